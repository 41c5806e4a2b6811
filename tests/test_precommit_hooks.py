"""pre-commit installs the hooks of .pre-commit-hooks.yaml from the repository as it installs any hook repository
(`pip install .` of a clone, no `-e`), and each runs on a git repository of charts (fails today: without
chartgen.check.rules in the installed package, chartgen-verify and chartgen-check ended in an ImportError, exit 3).

The repository is the snapshot of the working tree (tests/installed.py); the configuration is the one the header of
.pre-commit-hooks.yaml tells users to write. One pre-commit home for the module: the hooks' environment is built once
(`pre-commit try-repo` would build it afresh on every call: it keeps its store in a temporary folder). One charts
repository and one user cache for the module, as on a developer's machine: each test starts from the committed charts
(the repository is reset after it), and verify's cache (keyed on each chart's path and content) keeps what an earlier
run verified of an unchanged chart; a changed chart is a miss.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import installed
import pytest
import yaml
from installed import git, run, user_env
from support import CHARTS, REPO, helm_binary

from chartgen.check.catalogue import render

pytestmark = pytest.mark.xdist_group("pre-commit")
HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
HOOKS = {h["id"]: h for h in yaml.safe_load(HOOKS_FILE.read_text())}
CHANGED = "webapp"


def documented_config(source: installed.Source) -> str:
    """The .pre-commit-config.yaml of the header comment of .pre-commit-hooks.yaml, naming the snapshot."""
    lines = HOOKS_FILE.read_text().splitlines()
    start = lines.index("#   repos:")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("#   "))
    body = "\n".join(line.removeprefix("#   ") for line in lines[start:end]) + "\n"
    assert "<this repository>" in body and "<tag>" in body, body
    return body.replace("<this repository>", str(source.path)).replace("<tag>", source.commit)


@pytest.fixture(scope="module")
def precommit(source_repo, tmp_path_factory):
    """`pre-commit run --all-files` in a repository, with the module's pre-commit home (hooks installed once) and
    user cache (chartgen's caches, verify's results)."""
    home = tmp_path_factory.mktemp("pre-commit-home")
    cache = tmp_path_factory.mktemp("pre-commit-user-cache")
    config = documented_config(source_repo)
    assert set(yaml.safe_load(config)["repos"][0]["hooks"][i]["id"] for i in range(3)) == set(HOOKS)

    def run_hooks(repo: Path) -> subprocess.CompletedProcess[str]:
        (repo / ".pre-commit-config.yaml").write_text(config)
        git(repo, "add", "-A")
        env = user_env(None, PRE_COMMIT_HOME=str(home), CHARTGEN_HELM=helm_binary("4.1.4").path,
                       CHARTGEN_CACHE_DIR=str(cache / "verify"), XDG_CACHE_HOME=str(cache / "xdg"))
        return run([installed.DEV_BIN / "pre-commit", "run", "--all-files", "--color", "never"], repo, env, ok=False)

    return run_hooks


@pytest.fixture
def charts_repo(committed_charts) -> Iterator[Path]:
    """The module's repository of charts as committed; reset (edits, new files) after the test."""
    yield committed_charts
    git(committed_charts, "reset", "-q", "--hard")
    git(committed_charts, "clean", "-qfdx")


@pytest.fixture(scope="module")
def committed_charts(tmp_path_factory) -> Path:
    """A repository of charts: the example charts and one chart's manifests rendered into deploy/rendered/."""
    root = tmp_path_factory.mktemp("pre-commit") / "charts-repo"
    shutil.copytree(CHARTS, root / "charts")
    rendered = root / "deploy" / "rendered" / "user-api.yaml"
    rendered.parent.mkdir(parents=True)
    chart = root / "charts" / "user-api"
    helm = helm_binary("4.1.4")
    rendered.write_text(helm.template(chart, "user-api", "user-api", [chart / "values-prod.yaml"]).stdout)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "charts")
    return root


def statuses(out: str) -> dict[str, str]:
    """Each hook's verdict line: `<name>....Passed` (or Failed, or `(no files to check)Skipped`)."""
    found = {}
    for hook_id, hook in HOOKS.items():
        lines = [line for line in out.splitlines() if line.startswith(hook["name"][:60])]
        assert len(lines) == 1, (hook_id, out)
        found[hook_id] = re.split(r"\.+|\)", lines[0])[-1]
    return found


def test_every_hook_passes_on_good_charts(precommit, charts_repo):
    res = precommit(charts_repo)
    assert statuses(res.stdout) == dict.fromkeys(HOOKS, "Passed") and res.returncode == 0, (res.stdout, res.stderr)


def test_the_hooks_fail_on_a_stale_chart_and_a_broken_manifest(precommit, charts_repo):
    spec = charts_repo / "charts" / CHANGED / "chartgen.yaml"
    spec.write_text(spec.read_text().replace("description: ", "description: Changed. ", 1))
    rule = next(r for r in json.loads(render("json")) if r["severity"] == "error" and r["layer"] != "api")
    (charts_repo / "deploy" / "rendered" / "bad.yaml").write_text(rule["example"])
    res = precommit(charts_repo)
    assert res.returncode == 1 and statuses(res.stdout) == dict.fromkeys(HOOKS, "Failed"), res.stdout
    assert f"charts/{CHANGED}/Chart.yaml: out of date" in res.stdout  # generate --check names the stale file
    assert rule["id"] in res.stdout and "ImportError" not in res.stdout + res.stderr
