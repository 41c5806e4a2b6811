"""pre-commit installs each hook of .pre-commit-hooks.yaml from the repository as it installs any hook repository
(`pip install .`, no `-e`), and runs it on a git repository of charts (fails today: without chartgen.check.rules in
the installed package, chartgen-verify and chartgen-check ended in an ImportError, exit 3).

`pre-commit try-repo` on the snapshot of the working tree (tests/installed.py), with a pre-commit home of the
session's own, so the hooks' environment is built once and shared by the tests of this module.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import installed
import pytest
import yaml
from installed import git, run, user_env

from chartgen.check.catalogue import render
from support import CHARTS, REPO, helm_binary

pytestmark = pytest.mark.xdist_group("pre-commit")
HOOKS = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
CHANGED = "webapp"


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def charts_repo(tmp_path) -> Path:
    """A repository of charts: the example charts and one chart's manifests rendered into deploy/rendered/."""
    root = tmp_path / "charts-repo"
    shutil.copytree(CHARTS, root / "charts")
    rendered = root / "deploy" / "rendered" / "user-api.yaml"
    rendered.parent.mkdir(parents=True)
    rendered.write_text(helm_binary("4.1.4").template(
        root / "charts" / "user-api", "user-api", "user-api", [root / "charts" / "user-api" / "values-prod.yaml"]
    ).stdout)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "charts")
    return root


def try_repo(source: installed.Source, hook: str, repo: Path, home: Path, *files: str,
             tmp: Path) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo SOURCE HOOK` on `files` (default: --all-files), as a user runs it in `repo`."""
    env = user_env(None, PRE_COMMIT_HOME=str(home),
                   CHARTGEN_HELM=helm_binary("4.1.4").path, CHARTGEN_CACHE_DIR=str(tmp / "verify-cache"),
                   XDG_CACHE_HOME=str(tmp / "cache"))
    selection = ["--files", *files] if files else ["--all-files"]
    return run([installed.DEV_BIN / "pre-commit", "try-repo", source.path, hook, "--ref", source.commit,
                *selection, "--color", "never"], repo, env, ok=False)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_each_hook_passes_on_good_charts(source_repo, precommit_home, charts_repo, hook, tmp_path):
    res = try_repo(source_repo, hook, charts_repo, precommit_home, tmp=tmp_path)
    statuses = [line.rsplit(".", 1)[-1] for line in res.stdout.splitlines() if line.startswith(HOOKS[hook]["name"])]
    assert res.returncode == 0 and statuses == ["Passed"], (res.stdout, res.stderr)  # ran on its files: not Skipped


def test_generate_check_hook_fails_on_a_spec_changed_without_generate(source_repo, precommit_home, charts_repo,
                                                                       tmp_path):
    spec = charts_repo / "charts" / CHANGED / "chartgen.yaml"
    spec.write_text(spec.read_text().replace("description: ", "description: Changed. ", 1))
    res = try_repo(source_repo, "chartgen-generate-check", charts_repo, precommit_home,
                   f"charts/{CHANGED}/chartgen.yaml", tmp=tmp_path)
    assert res.returncode == 1 and "Chart.yaml: out of date" in res.stdout, (res.stdout, res.stderr)


def test_check_hook_fails_on_a_broken_manifest(source_repo, precommit_home, charts_repo, tmp_path):
    rule = next(r for r in json.loads(render("json")) if r["severity"] == "error" and r["layer"] != "api")
    (charts_repo / "deploy" / "rendered" / "bad.yaml").write_text(rule["example"])
    res = try_repo(source_repo, "chartgen-check", charts_repo, precommit_home, "deploy/rendered/bad.yaml",
                   tmp=tmp_path)
    assert res.returncode == 1 and rule["id"] in res.stdout, (res.stdout, res.stderr)
