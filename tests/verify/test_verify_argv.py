"""A warm `chartgen verify` answered from the cache without typer (issue 27: warm <= 0.003x the nproc-wide helm loop).

The console script reads a plain verify command line exactly as typer reads it (chartgen.verify.verify_argv); when
every chart's result is cached it prints the CLI's report, progress and exit code without importing typer; a miss,
an option it leaves to the CLI or a bad command line goes to the CLI. Each end-to-end test runs the console script
and the CLI (chartgen.cli.main, the full path) on the same repository and compares stdout, stderr and exit code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support import KUBE_VERSION, helm_binary, marking_script, plain_chart
from test_verify_cache import widget_crd
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.verify import command, verify_argv

# --- the command line ---------------------------------------------------------------------------------------------


def typer_args(argv: list[str], monkeypatch) -> command.VerifyArgs:
    """The VerifyArgs the CLI passes to run_verify for argv (run_verify replaced by a recorder)."""
    seen: list[command.VerifyArgs] = []
    monkeypatch.setattr(command, "run_verify", lambda args, out: seen.append(args) or 0)
    res = CliRunner().invoke(app, ["verify", *argv])
    assert res.exit_code == 0, res.output
    return seen[0]


VALID = [
    ["charts"],
    ["a", "b/", "--kube-version", "1.31.0", "--format", "json"],
    ["a", "-e", "dev", "--env", "prod", "--severity", "warning", "--no-check", "--snapshots"],
    ["--release", "r", "a", "-n", "shop", "--namespace", "other", "--helm", "/x/helm", "-j", "3"],
    ["a", "--api-versions", "x.io/v1,y.io/v1", "-a", "z.io/v1", "--config", "c.yaml", "--jobs", "07"],
    ["a", "--format", "sarif", "--format", "junit", "--kube-version", "v1.30"],
]


@pytest.mark.parametrize("argv", VALID, ids=" ".join)
def test_plain_command_lines_read_exactly_as_typer_reads_them(argv, monkeypatch):
    monkeypatch.delenv("CHARTGEN_CRDS", raising=False)
    assert verify_argv.parse_argv(argv) == typer_args(argv, monkeypatch)


LEFT_TO_THE_CLI = {"--policy": "checkov", "--no-cache": None, "--changed-since": "main", "--shard": "1/2",
                   "--helm-matrix": None, "--crds": "crds/", "--upgrade-from": "main", "--help": None}


@pytest.mark.parametrize("argv", [
    *(["a", flag] if value is None else ["a", flag, value] for flag, value in LEFT_TO_THE_CLI.items()),
    [], ["-h"], ["a", "--format=json"], ["a", "--format"], ["--", "-x"], ["a", "--fromat", "json"],
    ["a", "-n", "-1"], ["a", "-j", "two"], ["a", "-j", "+2"], ["-eprod", "a"],
], ids=lambda a: " ".join(a) or "(none)")
def test_anything_else_is_left_to_typer(argv):
    assert verify_argv.parse_argv(argv) is None


def test_crds_from_the_environment_are_left_to_typer(monkeypatch):
    monkeypatch.setenv("CHARTGEN_CRDS", "crds/")  # the CLI reads them before any work (a bad file is exit 2)
    assert verify_argv.parse_argv(["a"]) is None


def test_every_option_of_the_typer_command_is_read_or_left_to_the_cli():
    import typer.main

    cmd = typer.main.get_command(app).commands["verify"]  # type: ignore[attr-defined]
    typer_flags = {flag for p in cmd.params for flag in (*p.opts, *p.secondary_opts) if flag.startswith("-")}
    assert typer_flags == set(verify_argv._VALUED) | set(verify_argv._FLAGS) | (set(LEFT_TO_THE_CLI) - {"--help"})


# --- the console script against the CLI ----------------------------------------------------------------------------

class Repo:
    def __init__(self, root: Path, helm: str):
        self.root, self.helm = root, helm

    def run(self, *args: str, module: str = "entry", cache: str = "cache") -> tuple[subprocess.CompletedProcess[str],
                                                                                     bool]:
        """(the process, whether it imported typer) of `chartgen verify charts ...` in the repository."""
        mark = self.root / "typer-imported"
        argv = ["verify", "charts", "--helm", self.helm, "--kube-version", KUBE_VERSION, *args]
        env = {**os.environ, "CHARTGEN_CACHE_DIR": str(self.root / cache), "CI": "1"}  # CI: progress lines
        env.pop("CHARTGEN_CRDS", None)
        done = subprocess.run(marking_script(mark, argv, module, "typer"), cwd=self.root, env=env,
                              capture_output=True, text=True, timeout=300)
        return done, mark.read_text() == "True"

    def same_as_cli(self, *args: str) -> tuple[subprocess.CompletedProcess[str], bool]:
        """Run the console script, then the CLI on the same cache; assert they print and exit alike."""
        fast, typer_imported = self.run(*args)
        full, cli_typer = self.run(*args, module="cli")
        assert cli_typer
        assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, full.stderr)
        return fast, typer_imported


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    plain_chart(tmp_path / "charts", "a")
    bad = plain_chart(tmp_path / "charts", "b")  # a Service name the API server rejects: a cached failure
    (bad / "templates" / "service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: Bad_Name}\n"
                                                    "spec: {ports: [{port: 80}]}\n")
    helm = tmp_path / "bin" / "helm"  # a copy of its own, so a test may replace it
    helm.parent.mkdir()
    shutil.copy2(helm_binary("4.1.4").path, helm)
    return Repo(tmp_path, str(helm))


def cached_flags(done: subprocess.CompletedProcess[str]) -> list[bool]:
    return [c["cached"] for c in json.loads(done.stdout)["charts"]]


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github", "sarif"])
def test_a_warm_run_answers_without_typer_as_the_cli_does(repo: Repo, fmt):
    cold, typer_imported = repo.run("--format", fmt)
    assert not typer_imported and cold.returncode == 1  # a miss: the whole run, still without typer
    warm, typer_imported = repo.same_as_cli("--format", fmt)
    assert not typer_imported and warm.returncode == 1
    assert "verify [2/2] charts/b: FAILED (cached)" in warm.stderr
    if fmt == "json":
        assert cached_flags(warm) == [True, True]
        failing = {(r["chart"], f["rule"]) for r in json.loads(warm.stdout)["results"] for f in r["findings"]}
        assert failing and {chart for chart, _ in failing} == {"charts/b"}


def test_options_the_fast_path_reads_give_the_cli_report(repo: Repo):
    args = ("-e", "dev", "--severity", "info", "--format", "json", "-n", "shop", "--release", "rel")
    repo.run(*args)
    warm, typer_imported = repo.same_as_cli(*args)
    assert not typer_imported and cached_flags(warm) == [True, True]
    assert {(r["environment"], r["namespace"]) for r in json.loads(warm.stdout)["results"]} == {("dev", "shop")}


def test_a_bad_option_is_the_cli_error(repo: Repo):
    repo.run()
    done, _ = repo.same_as_cli("--severity", "fatal")
    assert done.returncode == 2 and done.stderr.startswith("error: chartgen verify: --severity: 'fatal'")


def test_a_new_chart_is_a_partial_hit_left_to_the_cli(repo: Repo):
    repo.run()
    plain_chart(repo.root / "charts", "c")
    done, typer_imported = repo.run("--format", "json")
    assert not typer_imported and cached_flags(done) == [True, True, False]
    done, typer_imported = repo.same_as_cli("--format", "json")
    assert not typer_imported and cached_flags(done) == [True, True, True]


def _edit_template(repo: Repo) -> None:
    (repo.root / "charts" / "a" / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}\n")


def _edit_values(repo: Repo) -> None:
    with (repo.root / "charts" / "a" / "values-dev.yaml").open("a") as fh:
        fh.write("extra: 1\n")


def _edit_check_config(repo: Repo) -> None:
    (repo.root / ".chartgen-check.yaml").write_text("severity: {CG-SCHEMA-002: error}\n")


def _replace_helm(repo: Repo) -> None:
    shutil.copy2(helm_binary("3.17.2").path, repo.helm)  # same path, another binary


@pytest.mark.parametrize("edit", [_edit_template, _edit_values, _edit_check_config, _replace_helm],
                         ids=lambda f: f.__name__.lstrip("_"))
def test_an_edited_input_is_a_miss_the_cli_verifies(repo: Repo, edit):
    repo.run()
    done, typer_imported = repo.run("--format", "json")
    assert not typer_imported and cached_flags(done) == [True, True]
    edit(repo)
    done, typer_imported = repo.run("--format", "json")
    assert not typer_imported
    changed = [False, True] if edit is not _replace_helm and edit is not _edit_check_config else [False, False]
    assert cached_flags(done) == changed, done.stdout
    done, typer_imported = repo.same_as_cli("--format", "json")
    assert not typer_imported and cached_flags(done) == [True, True]


def test_a_crd_named_by_crds_is_read_by_the_cli(repo: Repo):
    crds = widget_crd(repo.root / "crds")
    repo.run("--crds", str(crds))
    done, typer_imported = repo.run("--crds", str(crds), "--format", "json")
    assert typer_imported and cached_flags(done) == [True, True]  # the CLI's hit: it reads --crds first
    widget_crd(crds, "string")
    done, typer_imported = repo.run("--crds", str(crds), "--format", "json")
    assert typer_imported and cached_flags(done) == [False, False]


def _without_seconds(value):
    if isinstance(value, dict):
        return {k: _without_seconds(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_seconds(v) for v in value]
    return value


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_cold_run_runs_without_typer_as_the_cli_does(repo: Repo, fmt):
    """A miss is verified by run_verify in the console script, with what the CLI prints and exits (each on an empty
    cache of its own)."""
    fast, typer_imported = repo.run("--format", fmt, cache="cache-fast")
    full, cli_typer = repo.run("--format", fmt, module="cli", cache="cache-cli")
    assert not typer_imported and cli_typer
    assert (fast.returncode, fast.stderr) == (full.returncode, full.stderr) and fast.returncode == 1
    if fmt == "json":
        assert _without_seconds(json.loads(fast.stdout)) == _without_seconds(json.loads(full.stdout))
        assert cached_flags(fast) == [False, False]
    else:
        assert fast.stdout == full.stdout and "FAILED" in fast.stdout


def test_a_miss_keys_each_chart_once_and_still_caches_its_result(repo: Repo, monkeypatch):
    """run_verify_cached's lookup (a miss) is handed to run(): the charts are keyed once per process, not twice
    (issue 27, cold start); the result is stored under that key, so the next run is all hits."""
    import io

    from chartgen.verify import chart, chart_cache

    monkeypatch.setenv("CHARTGEN_CACHE_DIR", str(repo.root / "cache-once"))
    monkeypatch.chdir(repo.root)
    calls: list[int] = []
    real = chart_cache.lookup

    def counted(charts, *rest):
        calls.append(len(charts))
        return real(charts, *rest)

    monkeypatch.setattr(chart_cache, "lookup", counted)
    monkeypatch.setattr(chart, "lookup", counted)
    args = verify_argv.parse_argv(["charts", "--helm", repo.helm, "--kube-version", KUBE_VERSION])
    p = command.plan(args)
    assert command.run_verify_cached(args, io.StringIO(), p) is None  # a miss
    assert command.run_verify(args, io.StringIO(), p) == 1  # chart b's Service name
    assert calls == [2]
    assert command.run_verify_cached(args, io.StringIO(), command.plan(args)) == 1  # every chart hits now
    assert calls == [2, 2]
