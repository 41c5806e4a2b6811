"""`chartgen --help` (and `chartgen` alone) without importing typer: the text typer prints, stored.

Importing typer and the CLI is nearly all of a `chartgen --help` process (issue 27: <= 0.1 s). The top-level help
is the same text every time typer prints it on a terminal of at least MIN_COLUMNS columns (or into a pipe): click
formats help at min(columns, 80) - 2 characters. `python -m chartgen.help_text` writes it, as typer prints it, to
chartgen/data/help.txt; tests/test_help_text.py fails when the file is not what typer prints today (a command or a
docstring changed: run it again), and compares the console script's output with typer's at several widths.

chartgen/entry.py prints the stored text only when typer would print exactly it: the program name is `chartgen`
(the console script, not `python -m ...`), the terminal is wide enough, and no shell completion is asked for
(`_CHARTGEN_COMPLETE`). Everything else, `chartgen COMMAND --help` included, goes to typer as before.
"""

from __future__ import annotations

import os
import sys

HELP_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "help.txt")
MIN_COLUMNS = 80  # click's help width is min(columns, 80) - 2: the same text on every terminal this wide
PROG = "chartgen"

# Typer's own output, in a fresh process: the program name the console script gives it, a wide terminal.
_RENDER = "import sys; sys.argv = [{prog!r}, '--help']; from chartgen.cli import main; main()"


def stored() -> str | None:
    """The stored top-level help, when typer would print exactly it in this process; None to ask typer."""
    main_module = sys.modules.get("__main__")
    if os.path.basename(sys.argv[0]) != PROG or getattr(main_module, "__package__", None) not in (None, ""):
        return None  # click names the program after argv[0], or `python -m module`
    if os.environ.get(f"_{PROG.upper()}_COMPLETE"):
        return None  # typer answers shell completion instead
    import shutil

    if shutil.get_terminal_size().columns < MIN_COLUMNS:  # what click's HelpFormatter asks
        return None
    try:
        with open(HELP_FILE, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def render() -> str:
    """What typer prints for `chartgen --help` on a terminal of MIN_COLUMNS columns (a fresh process)."""
    import subprocess

    env = {**os.environ, "COLUMNS": str(MIN_COLUMNS), "LINES": "24"}
    env.pop(f"_{PROG.upper()}_COMPLETE", None)
    done = subprocess.run([sys.executable, "-c", _RENDER.format(prog=PROG)], env=env, capture_output=True,
                          text=True, check=True)
    return done.stdout


def main() -> None:
    with open(HELP_FILE, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render())
    print(f"wrote {HELP_FILE}")


if __name__ == "__main__":
    main()
