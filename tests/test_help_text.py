"""`chartgen --help` and `chartgen` alone print typer's text without importing typer (issue 27: <= 0.1 s), and only
when it is typer's text: the stored file is what typer prints today, and the console script prints, on the same
stream with the same exit code, byte for byte what typer prints, on every terminal width and program name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chartgen import help_text

# The console script's entry point, in a fresh process, with argv[0] as given; says whether typer was imported.
ENTRY = """
import sys
sys.argv = {argv!r}
from chartgen.entry import main
try:
    main()
finally:
    print("typer imported" if "typer" in sys.modules else "typer not imported", file=sys.stderr)
"""
# typer itself (the CLI's main, as the console script ran it before the stored text).
TYPER = "import sys; sys.argv = {argv!r}; from chartgen.cli import main; main()"
TYPER_NOTE = "typer imported\n"


def run(code: str, argv: list[str], columns: str | None, extra_env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "_CHARTGEN_COMPLETE")}
    if columns is not None:
        env["COLUMNS"] = columns
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-c", code.format(argv=argv)], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL)


def entry_and_typer(argv: list[str], columns: str | None, extra_env: dict[str, str] | None = None,
                    ) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str], bool]:
    """(the console script's run, typer's run, whether the console script imported typer)."""
    ours = run(ENTRY, argv, columns, extra_env)
    note = ours.stderr.splitlines()[-1] + "\n"
    assert note in ("typer imported\n", "typer not imported\n"), ours.stderr
    ours.stderr = ours.stderr[: -len(note)]
    return ours, run(TYPER, argv, columns, extra_env), note == TYPER_NOTE


def test_the_stored_help_is_what_typer_prints_today():
    assert Path(help_text.HELP_FILE).read_text(encoding="utf-8") == help_text.render(), (
        "chartgen/data/help.txt is stale: run `python -m chartgen.help_text`")


def test_the_stored_help_is_the_top_level_help():
    text = Path(help_text.HELP_FILE).read_text(encoding="utf-8")
    assert text.startswith("Usage: chartgen [OPTIONS] COMMAND [ARGS]...\n")
    assert "\nCommands:\n" in text and "\n  new " in text and "\n  verify " in text


@pytest.mark.parametrize("columns", [None, "80", "200"])
@pytest.mark.parametrize("args", [["--help"], []], ids=["--help", "alone"])
def test_wide_terminal_prints_typers_text_without_typer(args, columns):
    ours, typer_run, imported = entry_and_typer(["chartgen", *args], columns)
    assert not imported
    assert (ours.returncode, ours.stdout, ours.stderr) == (typer_run.returncode, typer_run.stdout, typer_run.stderr)
    stream = ours.stdout if args else ours.stderr  # --help: stdout, exit 0; alone: stderr, exit 2 (typer's choice)
    assert ours.returncode == (0 if args else 2)
    assert stream == Path(help_text.HELP_FILE).read_text(encoding="utf-8")


@pytest.mark.parametrize("columns", ["79", "60", "20"])
def test_narrow_terminal_gets_typers_own_wrapping(columns):
    ours, typer_run, imported = entry_and_typer(["chartgen", "--help"], columns)
    assert imported
    assert (ours.returncode, ours.stdout, ours.stderr) == (typer_run.returncode, typer_run.stdout, typer_run.stderr)
    assert ours.stdout != Path(help_text.HELP_FILE).read_text(encoding="utf-8")


def test_another_program_name_is_typers():
    ours, typer_run, imported = entry_and_typer(["/opt/bin/chartgen-dev", "--help"], "120")
    assert imported
    assert ours.stdout == typer_run.stdout and ours.stdout.startswith("Usage: chartgen-dev ")


def test_shell_completion_is_typers():
    ours, typer_run, imported = entry_and_typer(["chartgen", "--help"], "120", {"_CHARTGEN_COMPLETE": "bash_source"})
    assert imported
    assert (ours.returncode, ours.stdout, ours.stderr) == (typer_run.returncode, typer_run.stdout, typer_run.stderr)


def test_command_help_still_comes_from_typer():
    ours, typer_run, imported = entry_and_typer(["chartgen", "check", "--help"], "120")
    assert imported and ours.returncode == 0
    assert ours.stdout == typer_run.stdout and ours.stdout.startswith("Usage: chartgen check ")
