"""The realistic example (generated-charts/checkout) upgraded from its previous committed version, in this
repository's own history: `chartgen verify --upgrade-from <the previous version>` passes with no upgrade finding;
a breaking change (a selector label) made in a clone of the repository is the CG-UPG error.

The tests read git history: in a shallow clone or a copy without .git they fail (loudly: the promise is about
the committed versions), they never skip."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import REPO
from typer.testing import CliRunner

from chartgen.cli import app

CHART = "generated-charts/checkout"
runner = CliRunner()


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"git {' '.join(args)} in {cwd} failed: {proc.stderr.strip()} (these tests need the repository "
                    "with its full history: a `git clone`, not an archive)")
    return proc.stdout.strip()


def previous_version(repo: Path) -> str:
    """The commit holding the chart's previous committed version: HEAD when the work tree changed the chart, else
    the parent of the last commit that changed it."""
    if git(repo, "rev-parse", "--is-shallow-repository") != "false":
        pytest.fail(f"{repo} is a shallow clone: fetch its history (`git fetch --unshallow`) to test the upgrade "
                    "from the example's previous version")
    if git(repo, "status", "--porcelain", "--", CHART):
        return git(repo, "rev-parse", "HEAD")
    last = git(repo, "log", "-n", "1", "--format=%H", "--", CHART)
    if not last:
        pytest.fail(f"git log knows no commit of {CHART}")
    parent = git(repo, "rev-parse", f"{last}^")
    if not git(repo, "ls-tree", parent, "--", f"{CHART}/Chart.yaml"):
        pytest.fail(f"{CHART} did not exist before {last[:12]}: no previous version to upgrade from")
    return parent


def verify_upgrade(repo: Path, ref: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["verify", str(repo / CHART), "--upgrade-from", ref, "--no-cache", "--format", "json"])
    assert "Traceback" not in res.output
    return res.exit_code, json.loads(res.stdout)


def upgrade_findings(report: dict) -> set[tuple[str, str, str]]:
    return {(r["environment"], f["rule"], f["severity"]) for r in report["results"] for f in r["findings"]
            if f["rule"].startswith(("CG-UPG", "UPGRADE-"))}


def test_checkout_upgrades_from_its_previous_committed_version() -> None:
    ref = previous_version(REPO)
    assert git(REPO, "diff", "--stat", ref, "--", CHART), "the previous version is the same as the work tree's"
    code, report = verify_upgrade(REPO, ref)
    assert code == 0, json.dumps(report["results"], indent=1)[:4000]
    assert [r["environment"] for r in report["results"]] == ["dev", "staging", "prod"]
    assert all(r["ok"] for r in report["results"])
    assert upgrade_findings(report) == set()  # no upgrade error, no warning, and every environment compared


def test_a_selector_label_change_in_a_clone_is_the_upgrade_error(tmp_path: Path) -> None:
    clone = tmp_path / "repo"
    git(tmp_path, "clone", "-q", str(REPO), str(clone))
    helpers = clone / CHART / "templates" / "_helpers.tpl"
    text = helpers.read_text()
    marker = "app.kubernetes.io/instance: {{ .Release.Name }}"
    assert marker in text
    helpers.write_text(text.replace(marker, marker + "\ntier: web", 1))  # into the selector labels
    code, report = verify_upgrade(clone, "HEAD")
    assert code == 1
    found = upgrade_findings(report)
    assert {env for env, rule, severity in found if rule == "CG-UPG-001" and severity == "error"} == \
        {"dev", "staging", "prod"}
    [finding] = [f for r in report["results"] if r["environment"] == "dev" for f in r["findings"]
                 if f["rule"] == "CG-UPG-001"]
    assert finding["resource"] == {"kind": "Deployment", "name": "checkout", "namespace": None}
    assert finding["field"].startswith("spec.selector") and "kubectl delete deployment checkout" in finding["hint"]
