"""`chartgen new` without typer (issue 16's start-up target): the console script reads an ordinary `new` command line
itself, exactly as typer would, and hands anything else to typer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.generate import new_command

SCRIPT = """
import os, sys
def report():
    print("typer imported" if "typer" in sys.modules else "typer not imported", file=sys.stderr, flush=True)
real_exit = os._exit
os._exit = lambda code: (report(), real_exit(code))  # the fast path ends the process with os._exit
sys.argv = ["chartgen", *{args!r}]
from chartgen.entry import main
try:
    main()
finally:
    report()
"""


def run_entry(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT.format(args=list(args))], capture_output=True, text=True,
                          cwd=cwd)


def typer_params(argv: list[str], monkeypatch) -> dict:
    """The parameters typer passes to the `new` command for argv (the command itself replaced by a recorder)."""
    seen: dict = {}

    def record(params):
        seen.update(params)
        return "recorded"

    monkeypatch.setattr(new_command, "run", record)
    res = CliRunner().invoke(app, ["new", *argv])
    assert res.exit_code == 0, res.output
    return seen


VALID = [
    [],
    ["web"],
    ["web", "--image", "nginx:1.27", "--no-input"],
    ["--no-input", "web", "--image=ghcr.io/acme/app:1.2.3"],
    ["web", "-t", "nodeport", "--port", "8080", "--target-port=9090", "-o", "out"],
    ["db", "--type", "externalname", "--external-name", "db.example.com", "--no-input"],
    ["web", "--istio", "--image", "nginx"],
    ["web", "--no-istio", "--output=charts", "--image", "a/b:1"],
    ["--", "-weird"],
    ["web", "--port", "-1"],
]


@pytest.mark.parametrize("argv", VALID, ids=lambda a: " ".join(a) or "(none)")
def test_plain_command_lines_read_exactly_as_typer_reads_them(argv, monkeypatch):
    assert new_command.parse_argv(argv) == typer_params(argv, monkeypatch)


@pytest.mark.parametrize("argv", [
    ["--help"], ["web", "--help"], ["-h"], ["web", "--imag", "x"], ["web", "--port", "eighty"], ["web", "--port"],
    ["web", "other"], ["web", "--image", "a", "--image", "b"], ["web", "--no-input=yes"], ["web", "-tnodeport"],
    ["web", "--istio", "--no-istio"], ["web", "--no-istio=1"],
], ids=" ".join)
def test_anything_else_is_left_to_typer(argv):
    assert new_command.parse_argv(argv) is None


def test_every_option_of_the_typer_command_is_read_by_the_fast_path():
    import typer.main

    command = typer.main.get_command(app).commands["new"]  # type: ignore[attr-defined]
    typer_flags = {flag for p in command.params for flag in (*p.opts, *p.secondary_opts)}
    ours = {flag for o in new_command.NEW_OPTIONS for flag in (*o.flags, *([o.negative] if o.negative else []))}
    assert typer_flags == ours | {o.name for o in new_command.NEW_OPTIONS if not o.flags}


def test_chartgen_new_creates_the_chart_without_importing_typer(tmp_path):
    done = run_entry("new", "web", "--image", "nginx:1.27", "--no-input", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "created web (clusterip, environments: dev, staging, prod)\n"
    assert done.stderr.strip() == "typer not imported"
    assert (tmp_path / "web" / "templates" / "deployment.yaml").is_file()


def test_bad_input_on_the_fast_path_is_one_line_and_exit_2(tmp_path):
    done = run_entry("new", "Web", "--image", "nginx:1.27", "--no-input", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: chartgen new: name: 'Web' is not a DNS-1035 label: at most 63 lowercase letters, digits and '-', "
        "starting with a letter", "typer not imported"]
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_refused_and_left_alone(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "mine.txt").write_text("keep")
    done = run_entry("new", "web", "--image", "nginx:1.27", "--no-input", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith("error: web: ")
    assert [p.name for p in (tmp_path / "web").iterdir()] == ["mine.txt"]


def test_a_mistyped_option_still_gets_typers_message(tmp_path):
    done = run_entry("new", "web", "--imag", "nginx", cwd=tmp_path)
    assert done.returncode == 2
    assert "No such option: --imag" in done.stderr and "typer imported" in done.stderr


def test_both_paths_write_the_same_chart(tmp_path):
    argv = ["web", "-t", "headless", "--image", "ghcr.io/acme/db:2.0", "--port", "5432", "--no-input"]
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    fast.mkdir()
    slow.mkdir()
    assert run_entry("new", *argv, cwd=fast).returncode == 0
    res = CliRunner().invoke(app, ["new", *argv, "-o", str(slow)])
    assert res.exit_code == 0, res.output
    files = sorted(p.relative_to(fast) for p in fast.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(slow) for p in slow.rglob("*") if p.is_file())
    assert len(files) > 10
    for rel in files:
        assert (fast / rel).read_bytes() == (slow / rel).read_bytes(), rel


def test_a_reader_that_went_away_is_exit_1_without_a_traceback(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # `chartgen new ... | head -0`: nobody reads what chartgen prints
    try:
        done = subprocess.run([sys.executable, "-c", SCRIPT.format(args=["new", "web", "--image", "nginx:1.27", "--no-input"])],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr.strip() == "typer not imported"  # nothing but the probe's own line
    assert (tmp_path / "web" / "Chart.yaml").is_file()


def test_a_new_chart_needs_neither_the_planner_nor_the_transaction(tmp_path):
    """`chartgen new` writes a brand-new folder (chartgen/generate/fresh_chart.py): the writer's planner, the
    transaction and the conflict finder are for existing charts, and importing them is start-up time."""
    probe = ("import os, sys\n"
             "os._exit = lambda code, real=os._exit: (print(sorted(m for m in sys.modules if m in {names!r}), "
             "file=sys.stderr, flush=True), real(code))\n"
             "sys.argv = ['chartgen', 'new', 'web', '--image', 'nginx:1.27', '--no-input']\n"
             "from chartgen.entry import main\nmain()\n")
    names = ["chartgen.generate.writer", "chartgen.generate.transaction", "chartgen.generate.unresolved",
             "chartgen.generate.fresh_chart"]
    done = subprocess.run([sys.executable, "-c", probe.format(names=names)], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "['chartgen.generate.fresh_chart']"
    assert (tmp_path / "web" / ".chartgen.lock").is_file()
