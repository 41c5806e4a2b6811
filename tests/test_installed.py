"""The wheel, installed alone into a fresh venv outside the clone, runs every command (fails today: a plain
`pip install` left out chartgen.check.rules, so check, verify and rules ended in an ImportError, exit 3).

The venv is the one README's Install block makes (tests/conftest.py `readme_venv`, shared with the CI examples): pip
builds the wheel from the snapshot's git URL and installs it alone. The wheel `make dist` builds (from the sdist) is
proven to hold exactly the files that install holds, byte for byte, with the same metadata and entry points; so what
the commands do there, the `make dist` wheel does installed alone.

Each command runs as a user runs it: the venv's `chartgen` script, a working folder outside the clone, no trace of
the dev venv (tests/installed.py `user_env`), helm installed by the venv's own `chartgen helm install`.
"""

from __future__ import annotations

import json
import platform
import subprocess
import zipfile
from pathlib import Path

import installed
import pytest
import yaml
from installed import git, run, user_env
from support import REPO

from chartgen import __version__

pytestmark = pytest.mark.xdist_group("installed")  # readme_venv (tests/conftest.py), made once


class Chartgen:
    """The installed `chartgen`, run in `cwd` with its own tools folder and caches."""

    def __init__(self, bin_dir: Path, home: Path):
        self.bin_dir, self.home = bin_dir, home
        self.env = user_env(bin_dir, CHARTGEN_TOOLS_DIR=str(home / "tools"), XDG_CACHE_HOME=str(home / "cache"))

    def __call__(self, *args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return run([self.bin_dir / "chartgen", *args], cwd, self.env, ok=ok)


@pytest.fixture(scope="module")
def chartgen(readme_venv, tmp_path_factory) -> Chartgen:
    """The installed chartgen, after the README's `chartgen helm install` into a tools folder of its own."""
    cg = Chartgen(readme_venv, tmp_path_factory.mktemp("user"))
    res = cg("helm", "install", cwd=cg.home)
    assert "4.1.4: installed at" in res.stdout and "3.17.2: installed at" in res.stdout, res.stdout
    return cg


@pytest.fixture
def work(tmp_path) -> Path:
    assert not tmp_path.is_relative_to(REPO)
    return tmp_path


def test_the_wheel_holds_every_package_and_data_file_of_the_tree(built_wheel, source_repo):
    """Nothing listed by hand can be forgotten: the wheel is chartgen/ and blueprints/ (as chartgen/_blueprints) of
    the snapshot, file for file, plus its metadata."""
    tracked = git(source_repo.path, "ls-files", "chartgen", "blueprints").splitlines()
    expected = {"chartgen/_blueprints/" + t.removeprefix("blueprints/") if t.startswith("blueprints/") else t
                for t in tracked}
    with zipfile.ZipFile(built_wheel) as whl:
        names = set(whl.namelist())
        dist_info = f"chartgen-{__version__}.dist-info"
        metadata = whl.read(f"{dist_info}/METADATA").decode()
        entry_points = whl.read(f"{dist_info}/entry_points.txt").decode()
    assert {n for n in names if not n.startswith(dist_info + "/")} == expected
    assert {"chartgen/check/rules/__init__.py", "chartgen/check/coverage/__init__.py",
            "chartgen/_blueprints/profiles/prod.yaml", "chartgen/data/spec.schema.json"} <= names
    assert f"\nVersion: {__version__}\n" in metadata  # the version has one source: chartgen/__init__.py
    assert "chartgen = chartgen.entry:main" in entry_points and "chartgen = chartgen.pytest_plugin" in entry_points


def test_version_names_the_installed_chartgen_its_helm_and_python(chartgen, work):
    lines = chartgen("--version", cwd=work).stdout.splitlines()
    site = run([chartgen.bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
               work, chartgen.env).stdout.strip()
    helm = chartgen.home / "tools" / "helm" / "4.1.4" / "helm"
    assert lines[0] == f"chartgen {__version__} ({Path(site).resolve() / 'chartgen'})"  # the venv's, not the tree
    assert lines[1] == f"helm 4.1.4 ({helm})"
    version, where = lines[2].removeprefix("Python ").split(" ", 1)
    assert version == platform.python_version() and Path(where.strip("()")).parent == chartgen.bin_dir, lines[2]
    assert len(lines) == 3


def test_helm_which_prints_the_path_alone(chartgen, work):
    helm = chartgen.home / "tools" / "helm" / "4.1.4" / "helm"
    assert chartgen("helm", "which", cwd=work).stdout == f"{helm}\n"
    assert chartgen("helm", "which", "--verbose", cwd=work).stdout == f"{helm} (v4.1.4)\n"
    res = run(["bash", "-c", '"$(chartgen helm which)" version --short'], work, chartgen.env)  # usable in $(...)
    assert res.stdout.startswith("v4.1.4")


def test_new_generate_env_values_render_check_and_diff(chartgen, work):
    assert "created shop" in chartgen("new", "shop", "--image", "nginx:1.27", "--no-input", cwd=work).stdout
    spec = work / "shop" / "chartgen.yaml"
    spec.write_text(spec.read_text().replace('  tag: "1.27"\n', '  tag: "1.27"\nreplicas: 3\n'))
    assert "updated" in chartgen("generate", "shop", cwd=work).stdout
    assert "replicaCount: 3" in (work / "shop" / "values.yaml").read_text()
    assert "added environment qa" in chartgen("env", "add", "shop", "qa", "--from", "staging", cwd=work).stdout
    assert (work / "shop" / "values-qa.yaml").is_file()
    assert "values files up to date" in chartgen("values", "shop", "--check", cwd=work).stdout

    rendered = chartgen("render", "shop", "--env", "prod", cwd=work).stdout
    kinds = {d["kind"] for d in yaml.safe_load_all(rendered) if d}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler"} <= kinds
    (work / "prod.yaml").write_text(rendered)
    chartgen("check", "prod.yaml", cwd=work)
    diff = chartgen("diff", "shop", "--from", "staging", "--to", "prod", cwd=work).stdout
    assert "HorizontalPodAutoscaler shop (only in prod)" in diff


def test_check_and_rules_use_the_rule_catalogue(chartgen, work):
    catalogue = json.loads(chartgen("rules", "--format", "json", cwd=work).stdout)
    assert len(catalogue) > 50 and "CG-" in chartgen("rules", cwd=work).stdout
    rule = next(r for r in catalogue if r["severity"] == "error" and r["layer"] != "api")
    (work / "bad.yaml").write_text(rule["example"])
    res = chartgen("check", "bad.yaml", cwd=work, ok=False)
    assert res.returncode == 1 and rule["id"] in res.stdout, (res.stdout, res.stderr)


def test_verify_and_snapshot(chartgen, work):
    chartgen("new", "shop", "--image", "nginx:1.27", "--no-input", cwd=work)
    assert "3 of 3 chart environments passed (1 chart(s), 0 from cache)" in chartgen("verify", ".", cwd=work).stdout
    chartgen("snapshot", "shop", "--update", cwd=work)
    assert sorted(p.name for p in (work / "shop" / "tests" / "__snapshots__").iterdir()) == \
        ["dev.yaml", "prod.yaml", "staging.yaml"]
    chartgen("verify", "shop", "--no-cache", cwd=work)
    values = work / "shop" / "values-prod.yaml"
    values.write_text(values.read_text() + "podAnnotations: {team: a}\n")
    res = chartgen("verify", "shop", "--no-cache", cwd=work, ok=False)
    assert res.returncode == 1 and "SNAPSHOT-CHANGED" in res.stdout, res.stdout


def test_schema_is_the_committed_one(chartgen, work):
    """The blueprints are in the wheel: the schema lists the same blueprints, keys and shapes as the tree's."""
    assert chartgen("schema", cwd=work).stdout == (REPO / "chartgen" / "data" / "spec.schema.json").read_text()


def test_the_coverage_map_runs(chartgen, work):
    res = run([chartgen.bin_dir / "python", "-m", "chartgen.check.coverage"], work, chartgen.env)
    assert res.stdout == (REPO / "docs" / "coverage.md").read_text()


def test_a_user_error_is_one_line_and_exit_2(chartgen, work):
    res = chartgen("generate", "missing", cwd=work, ok=False)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_the_make_dist_wheel_is_what_the_readme_install_holds(built_wheel, readme_venv):
    """Every file of the `make dist` wheel (package, data, METADATA, entry points) is installed in the README's venv
    with the same bytes, and that install holds no other file: the commands below run the wheel's code."""
    in_wheel = installed.wheel_files(built_wheel)
    assert "chartgen/check/rules/__init__.py" in in_wheel and f"chartgen-{__version__}.dist-info/METADATA" in in_wheel
    assert installed.installed_files(readme_venv, "chartgen") == in_wheel


def test_installed_from_the_wheel_not_the_clone(readme_venv, work):
    """The venv imports chartgen from its own site-packages, whatever the working folder."""
    out = run([readme_venv / "python", "-c", "import chartgen; print(chartgen.__file__)"], work,
              user_env(readme_venv)).stdout.strip()
    assert not Path(out).is_relative_to(REPO) and Path(out).is_relative_to(readme_venv.parent), out
    assert installed.DEV_BIN.parent not in Path(out).parents


def test_the_tests_of_one_installation_share_a_worker(request):
    """`make test` (`-n 2 --dist loadgroup`) runs this module's tests on the worker of their xdist_group, so the
    installation is made once per run (with pytest 9.2, pytest-xdist 3.8 dropped the group without a word:
    pytest-dev/pytest-xdist issue 1386). Without loadgroup the run has no groups to keep."""
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@installed"), request.node.nodeid
