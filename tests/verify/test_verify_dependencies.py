"""verify builds a chart's dependencies (Chart.yaml `dependencies:`) the way `helm dependency build` does, offline:
charts/ as it is, else a file:// folder packaged into charts/; it says per chart which came from where; the
archives are inputs of the cached verdict; a dependency out of reach is one clear error, not a pass."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from chartgen.cli import app
from support import CHARTS

runner = CliRunner()


def umbrella(tmp_path: Path, repository: str = "file://../webapp") -> Path:
    """A generated chart (copy of user-api) depending on a generated chart (copy of webapp) by a file:// folder."""
    shutil.copytree(CHARTS / "webapp", tmp_path / "webapp")
    chart = tmp_path / "platform"
    shutil.copytree(CHARTS / "user-api", chart)
    version = yaml.safe_load((tmp_path / "webapp" / "Chart.yaml").read_text())["version"]
    spec = chart / "chartgen.yaml"
    spec.write_text(spec.read_text() + f"dependencies:\n  - name: webapp\n    version: {version}\n"
                    f"    repository: {json.dumps(repository)}\n    condition: webapp.enabled\n")
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0, res.output
    assert not (chart / "charts").exists()  # nothing built yet: verify has to
    return chart


def verify(chart: Path, *extra: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["verify", str(chart), "--format", "json", *extra])
    assert "Traceback" not in res.output
    return res.exit_code, json.loads(res.stdout)


def test_verify_builds_a_file_dependency_and_says_so(tmp_path: Path) -> None:
    chart = umbrella(tmp_path)
    version = yaml.safe_load((tmp_path / "webapp" / "Chart.yaml").read_text())["version"]
    code, report = verify(chart)
    assert code == 0, report
    archive = f"charts/webapp-{version}.tgz"
    assert (chart / archive).is_file()
    assert report["charts"][0]["dependencies"] == [{"chart": str(chart), "name": "webapp", "version": version,
                                                   "found": archive, "builtFrom": "file://../webapp"}]
    # the subchart was rendered: its Deployment is in the rendering verify checked
    assert all(r["template"]["ok"] for r in report["results"]) and report["results"]
    text = runner.invoke(app, ["verify", str(chart), "--no-cache"]).output
    assert f"dependencies webapp {version} from {archive}" in text  # second run: already in charts/


def test_dependency_archive_is_an_input_of_the_cached_verdict(tmp_path: Path) -> None:
    chart = umbrella(tmp_path)
    assert verify(chart)[0] == 0
    code, report = verify(chart)
    assert code == 0 and report["charts"][0]["cached"]  # stored under the key with the built archive
    # the dependency's source breaks and its archive is rebuilt: the verdict must not come from the cache
    for archive in (chart / "charts").glob("*.tgz"):
        archive.unlink()
    (tmp_path / "webapp" / "templates" / "broken.yaml").write_text("{{ .Values.nothing.here }}\n")
    code, report = verify(chart)
    assert not report["charts"][0]["cached"]
    assert code == 1
    assert report["charts"][0]["dependencies"][0]["builtFrom"] == "file://../webapp"


def test_a_dependency_out_of_reach_is_one_clear_error(tmp_path: Path) -> None:
    chart = umbrella(tmp_path, "file://../nowhere")
    code, report = verify(chart)
    assert code == 1
    [finding] = report["charts"][0]["findings"]
    assert finding["rule"] == "VERIFY-DEPENDENCY"
    assert f"dependency webapp (repository file://../nowhere) of chart {chart}" in finding["message"]
    assert "no Chart.yaml" in finding["message"] and finding["hint"]
    assert report["results"] == []  # nothing rendered, and nothing passed
    code, again = verify(chart)
    assert code == 1 and not again["charts"][0]["cached"]  # a failure to obtain is never cached


def test_an_unreachable_repository_is_named_with_what_to_do(tmp_path: Path) -> None:
    chart = umbrella(tmp_path, "http://127.0.0.1:9/charts")  # nothing listens on port 9: refused, offline
    code, report = verify(chart)
    assert code == 1
    [finding] = report["charts"][0]["findings"]
    assert "dependency webapp (repository http://127.0.0.1:9/charts)" in finding["message"]
    assert "helm pull" in finding["message"]
    assert "helm dependency build" in finding["hint"]


def test_a_repository_name_is_refused_with_what_to_do(tmp_path: Path) -> None:
    chart = umbrella(tmp_path, "@stable")
    code, report = verify(chart)
    assert code == 1
    [finding] = report["charts"][0]["findings"]
    assert "repository name is unknown" in finding["message"] and "URL" in finding["hint"]


def test_a_plain_umbrella_verifies_a_generated_chart_under_its_condition_and_global(tmp_path: Path) -> None:
    """The other direction: a hand-written umbrella chart (no chartgen.yaml) depends on a generated chart by a
    file:// folder, with `condition: webapp.enabled` and `global` values; verify builds it and renders it through
    real helm (the generated values.schema.json accepts both keys)."""
    shutil.copytree(CHARTS / "webapp", tmp_path / "webapp")
    version = yaml.safe_load((tmp_path / "webapp" / "Chart.yaml").read_text())["version"]
    root = tmp_path / "platform"
    root.mkdir()
    (root / "Chart.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v2", "name": "platform", "version": "1.0.0", "dependencies": [
            {"name": "webapp", "version": version, "repository": "file://../webapp", "condition": "webapp.enabled"}]}))
    (root / "templates").mkdir()
    (root / "templates" / "team.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: team}\ndata: {team: {{ .Values.global.team | quote }}}\n")
    (root / "values.yaml").write_text(yaml.safe_dump({"global": {"team": "payments"}, "webapp": {"enabled": True}}))
    (root / "values-on.yaml").write_text(yaml.safe_dump({"webapp": {"enabled": True}}))
    (root / "values-off.yaml").write_text(yaml.safe_dump({"webapp": {"enabled": False}}))
    code, report = verify(root)
    assert code == 0, json.dumps(report, indent=1)[:3000]
    assert [d["builtFrom"] for d in report["charts"][0]["dependencies"]] == ["file://../webapp"]
    assert [r["environment"] for r in report["results"]] == ["off", "on"]
    (root / "values-off.yaml").write_text(yaml.safe_dump({"webapp": {"enabled": "maybe"}}))
    code, report = verify(root, "--no-cache")
    assert code == 1  # helm validates the subchart's values against its schema: `enabled` must be a boolean
    off = report["results"][0]
    assert not off["template"]["ok"] and "enabled" in " ".join(off["template"]["messages"])
