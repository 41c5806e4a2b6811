"""The `chartgen` console script. `chartgen --version` answers here, without importing the CLI (typer and its
pydantic-based option handling are most of a process's start-up); everything else goes to chartgen.cli."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from chartgen import __version__

        sys.stdout.write(f"chartgen {__version__}\n")
        return
    from chartgen.cli import main as cli_main

    cli_main()
