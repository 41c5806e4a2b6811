"""The `chartgen` console script. `chartgen --version` answers here, without importing the CLI (typer and its
pydantic-based option handling are most of a process's start-up); everything else goes to chartgen.cli."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from chartgen import __version__

        sys.stdout.write(f"chartgen {__version__}\n")
        return
    import gc

    # Importing the CLI creates only long-lived objects (modules, classes): collecting during it, or scanning them in
    # every later collection, is wasted start-up time (bench/README.md "Start-up"); gc.freeze() sets them aside.
    gc.disable()
    try:
        from chartgen.cli import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    cli_main()
