"""The `chartgen` console script. `chartgen --version` answers here, `chartgen --help` and `chartgen` alone print the
help typer prints, stored (chartgen/help_text.py), and an ordinary `chartgen new ...` runs here
(chartgen/generate/new_command.py), as does a plain `chartgen check ...` (chartgen/check/check_argv.py) and a
`chartgen verify ...` that the cache answers (chartgen/verify/verify_argv.py), without importing the CLI (typer is a
fifth of a `chartgen new` process); everything else, `chartgen new --help` and mistyped `new`, `check` or `verify`
command lines included, goes to chartgen.cli. Before any of them, `re`'s cache is filled with the patterns earlier
processes of the same command compiled (chartgen/core/regex_cache.py); each path stores what it compiled as it ends."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from chartgen.about import versions

        sys.stdout.write(versions())
        return
    if sys.argv[1:] in (["--help"], []):
        from chartgen.help_text import stored

        text = stored()
        if text is not None:  # typer's text for this terminal: on stdout for --help, on stderr (exit 2) alone
            (sys.stdout if sys.argv[1:] else sys.stderr).write(text)
            if not sys.argv[1:]:
                sys.exit(2)
            return
    if sys.argv[1:2] == ["verify"]:
        from chartgen.verify.run_record import replay

        replay(sys.argv[2:])  # ends the process when a record of the same run answers (a warm run, unchanged)
    from chartgen.core import regex_cache

    regex_cache.seed(sys.argv[1] if len(sys.argv) > 1 else "")  # what earlier processes compiled (core/regex_cache.py)
    if sys.argv[1:2] == ["new"]:
        from chartgen.generate.new_command import main_fast

        if main_fast(sys.argv[2:]):  # a plain `chartgen new ...` runs without importing typer
            return
    if sys.argv[1:2] == ["check"]:
        from chartgen.check.check_argv import main_fast as check_fast

        if check_fast(sys.argv[2:]):  # a plain `chartgen check FILE...` runs without importing typer
            return
    if sys.argv[1:2] == ["verify"]:
        from chartgen.verify.verify_argv import main_fast as verify_fast

        if verify_fast(sys.argv[2:]):  # a warm `chartgen verify` answered from the cache without importing typer
            return
    import atexit
    import gc

    atexit.register(regex_cache.save)  # the fast paths above save as they end (chartgen/core/guard.py)

    # Importing the CLI creates only long-lived objects (modules, classes): collecting during it, or scanning them in
    # every later collection, is wasted start-up time (bench/README.md "Start-up"); gc.freeze() sets them aside.
    gc.disable()
    try:
        from chartgen.cli import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    cli_main()
