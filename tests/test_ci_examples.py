"""The pre-commit hooks and the CI examples, parsed and their chartgen commands executed on a copy of the charts.

Steps that install things (pip install, chartgen helm install, actions) are not run: the test runs every step's
`chartgen ...` command as the CI system would (bash, the job's variables set), against a temporary git
repository holding a copy of generated-charts with one chart changed on a branch.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from junitparser import JUnitXml

from support import CHARTS, REPO, helm_binary

BIN = Path(sys.executable).parent
CHANGED = "user-api"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the generated charts on main (also as origin/main), and one chart changed on a branch."""
    root = tmp_path / "repo"
    shutil.copytree(CHARTS, root / "charts")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "charts")
    _git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(root, "checkout", "-qb", "feature")
    spec = root / "charts" / CHANGED / "chartgen.yaml"
    spec.write_text(spec.read_text() + "# owner: team-a\n")
    # a changed chart raises its version (verify --changed-since reports it otherwise, as chart-testing does)
    from typer.testing import CliRunner

    from chartgen.cli import app

    bumped = CliRunner().invoke(app, ["generate", str(spec.parent), "--bump", "patch"])
    assert bumped.exit_code == 0, bumped.output
    _git(root, "commit", "-qam", "change one chart")
    return root


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "CHARTGEN_HELM": helm_binary("4.1.4").path, **extra}
    env.pop("CI", None)
    return env


def _bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _chartgen_lines(script: list[str] | str) -> list[str]:
    lines = [script] if isinstance(script, str) else script
    return [line for line in lines if line.startswith("chartgen ") and not line.startswith("chartgen helm install")]


def _junit_charts(path: Path) -> list[str]:
    return [suite.name for suite in JUnitXml.fromfile(str(path))]


def test_github_actions_example_covers_the_changed_chart_once(repo):
    workflow = yaml.safe_load((REPO / "examples" / "ci" / "github-actions.yml").read_text())
    job = workflow["jobs"]["verify"]
    shards = job["strategy"]["matrix"]["shard"]
    commands = [c for step in job["steps"] if "run" in step for c in _chartgen_lines(step["run"])]
    assert len(commands) == 2 and all("--shard" in c and "--changed-since" in c for c in commands)
    verified = 0
    for shard in shards:
        values = {"matrix.shard": str(shard), "github.base_ref || 'main'": "main"}
        outputs = []
        for command in commands:
            command = re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: values[m.group(1)], command)
            res = _bash(command, repo, _env())
            assert res.returncode == 0, (command, res.stdout, res.stderr)
            outputs.append(res.stdout)
        last = outputs[0].splitlines()[-1]  # the github format's summary line
        summary = re.search(r"^shard \d/4 holds no chart \(1 chart\(s\) in all\): nothing to verify$|"
                            r"\((\d+) chart\(s\)", last)
        assert summary, outputs[0]  # a shard without the changed chart says so (no "0 of 0 passed")
        verified += int(summary.group(1) or 0)
        sarif = yaml.safe_load((repo / f"chartgen-{shard}.sarif").read_text())
        assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "chartgen"
    assert verified == 1  # the one changed chart, in exactly one shard


def test_gitlab_example_shards_cover_exactly_the_changed_chart(repo):
    pipeline = yaml.safe_load((REPO / "examples" / "ci" / "gitlab-ci.yml").read_text())
    job = pipeline["verify-charts"]
    commands = _chartgen_lines(job["script"])
    assert len(commands) == 1
    total = job["parallel"]
    charts: list[str] = []
    for index in range(1, total + 1):
        env = _env(CI_NODE_INDEX=str(index), CI_NODE_TOTAL=str(total), CI_DEFAULT_BRANCH="main",
                   CHARTGEN_CACHE_DIR=str(repo / ".chartgen-cache"))
        res = _bash(commands[0], repo, env)
        assert res.returncode == 0, (res.stdout, res.stderr)
        charts += _junit_charts(repo / "chartgen-junit.xml")
    assert charts == ["charts/" + CHANGED]  # exactly once over all shards; unchanged charts are not verified


def test_precommit_hooks_run_their_entries(repo):
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"chartgen-generate-check", "chartgen-verify", "chartgen-check"}
    files = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True).stdout.split()
    rendered = repo / "deploy" / "rendered" / "user-api.yaml"
    rendered.parent.mkdir(parents=True)
    rendered.write_text(subprocess.run(
        [helm_binary("4.1.4").path, "template", "user-api", str(repo / "charts" / "user-api"), "--kube-version",
         "1.31.0", "-f", str(repo / "charts" / "user-api" / "values-prod.yaml")],
        capture_output=True, text=True, check=True).stdout)
    files.append("deploy/rendered/user-api.yaml")
    for hook_id, hook in hooks.items():
        assert hook["language"] == "python" and hook["entry"].startswith("chartgen ")
        matched = [f for f in files if re.search(hook["files"], f)]
        assert matched, hook_id  # the default pattern selects the files the hook is for
        command = hook["entry"].split() + (matched if hook["pass_filenames"] else [])
        res = subprocess.run(command, cwd=repo, env=_env(), capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, (hook_id, res.stdout, res.stderr)
    # a spec changed without regenerating fails the generate --check hook (a hand edit alone does not: generate
    # would keep it, merged)
    spec = repo / "charts" / "webapp" / "chartgen.yaml"
    spec.write_text(spec.read_text().replace("description: ", "description: Changed. ", 1))
    hook = hooks["chartgen-generate-check"]
    res = subprocess.run([*hook["entry"].split(), "charts/webapp/chartgen.yaml"], cwd=repo, env=_env(),
                         capture_output=True, text=True)
    assert res.returncode == 1 and "Chart.yaml: out of date" in res.stdout, res.stdout
