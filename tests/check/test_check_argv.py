"""`chartgen check` without typer (issue 27's start-up target): a plain command line is read by the console script
exactly as typer reads it; anything else goes to typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chartgen.check import check_argv, command
from chartgen.cli import app


def typer_call(argv: list[str], monkeypatch) -> tuple[list[str], dict]:
    """The paths and keywords the CLI passes to run_check for argv (run_check replaced by a recorder)."""
    seen: dict = {}

    def record(paths, **kw):
        seen["paths"] = list(paths)
        seen.update(kw)
        return 0

    monkeypatch.setattr(command, "run_check", record)
    res = CliRunner().invoke(app, ["check", *argv])
    assert res.exit_code == 0, res.output
    for k in ("out", "stdin"):
        seen.pop(k)
    return seen.pop("paths"), seen


VALID = [
    [],
    ["-"],
    ["a.yaml"],
    ["a.yaml", "dir", "--format", "json", "--kube-version", "1.30"],
    ["--severity", "warning", "a.yaml", "--profile", "prod", "-n", "shop", "--istio-version", "1.29"],
    ["a.yaml", "--disable", "CG-X-1,CG-X-2", "--disable", "CG-Y-1", "--crds", "c1", "--crds", "c2"],
    ["a.yaml", "--config", "cfg.yaml", "--allow-empty", "--namespace", "ns", "--format", "sarif", "--format", "json"],
]


@pytest.mark.parametrize("argv", VALID, ids=lambda a: " ".join(a) or "(none)")
def test_plain_command_lines_read_exactly_as_typer_reads_them(argv, monkeypatch):
    assert check_argv.parse_argv(argv) == typer_call(argv, monkeypatch)


@pytest.mark.parametrize("argv", [
    ["--help"], ["a.yaml", "-h"], ["a.yaml", "--format=json"], ["a.yaml", "--format"], ["--", "-x.yaml"],
    ["a.yaml", "--fromat", "json"], ["a.yaml", "-n", "-1"], ["a.yaml", "--allow-empty=1"], ["-nshop", "a.yaml"],
], ids=" ".join)
def test_anything_else_is_left_to_typer(argv):
    assert check_argv.parse_argv(argv) is None


def test_every_option_of_the_typer_command_is_read_by_the_fast_path():
    import typer.main

    cmd = typer.main.get_command(app).commands["check"]  # type: ignore[attr-defined]
    typer_flags = {flag for p in cmd.params for flag in (*p.opts, *p.secondary_opts) if flag.startswith("-")}
    assert typer_flags == set(check_argv._VALUED) | {"--allow-empty"}


SCRIPT = """
import os, sys
real_exit = os._exit
os._exit = lambda code: (print("typer" in sys.modules, file=sys.stderr, flush=True), real_exit(code))
sys.argv = ["chartgen", *{args!r}]
from chartgen.entry import main
main()
"""


@pytest.mark.parametrize("doc, code", [("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", 0),
                                       ("apiVersion: v1\nkind: Service\nmetadata: {name: A_b}\n", 1), ("", 2)])
def test_the_console_script_checks_without_typer_with_the_cli_exit_code(tmp_path: Path, doc, code):
    (tmp_path / "m.yaml").write_text(doc)
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(args=["check", "m.yaml", "--format", "json"])],
                          capture_output=True, text=True, cwd=tmp_path)
    res = CliRunner().invoke(app, ["check", str(tmp_path / "m.yaml"), "--format", "json"])
    assert (done.returncode, res.exit_code) == (code, code), done.stderr
    assert done.stderr.strip().splitlines()[-1] == "False"  # typer was never imported


def test_a_reader_that_goes_away_ends_quietly_with_exit_1_as_the_cli_does(tmp_path: Path):
    (tmp_path / "m.yaml").write_text("".join(f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: A_{i}}}\n"
                                             for i in range(2000)))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(args=["check", "m.yaml"])], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()  # nobody reads the report
    _, err = proc.communicate()
    assert proc.returncode == 1, err
    assert b"error" not in err and b"Traceback" not in err
