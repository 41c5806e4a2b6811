"""How a chartgen process ends when something goes wrong: one line on stderr and chartgen's exit code.

Bad input (ChartgenError) exits 2 (or its own code), the file system saying no (OSError) exits 2, Ctrl-C 130, and
anything else is a bug in chartgen: exit 3 with one line (CHARTGEN_DEBUG=1 shows the traceback). Used by the CLI
and by the typer-free `chartgen new` (chartgen/generate/new_command.py), so both end the same way.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from chartgen.core.errors import ChartgenError


def guarded(command: Callable[[], None]) -> None:
    try:
        command()
    except KeyboardInterrupt:
        sys.exit(130)
    except ChartgenError as exc:  # raised outside a command's own handling
        _say(f"error: {exc}")
        sys.exit(exc.exit_code)
    except OSError as exc:  # the file system said no (permissions, full disk): the user's to fix, not a bug
        where = exc.filename if exc.filename is not None else "chartgen"
        _say(f"error: {where}: {exc.strerror or exc}")
        sys.exit(2)
    except Exception as exc:  # a bug in chartgen: say so in one line (CHARTGEN_DEBUG=1 for the traceback)
        if os.environ.get("CHARTGEN_DEBUG"):
            raise
        _say(f"internal error: {type(exc).__name__}: {exc} (set CHARTGEN_DEBUG=1 for details)")
        sys.exit(3)


def _say(line: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def guarded_then_exit(command: Callable[[], None]) -> NoReturn:
    """guarded(command), then end the process at once (os._exit) once stdout and stderr are flushed: the typer-free
    commands (`chartgen new`, `chartgen check`) skip tearing down the interpreter (every module and object freed one
    by one), a tenth of a short process; their files are written and closed when the command returns or raises."""
    code = 0
    try:
        guarded(command)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe: nothing left to say
            stream.flush()
    from chartgen.core import regex_cache

    regex_cache.save()  # the patterns this process compiled, for the next one (os._exit runs no atexit hook)
    os._exit(code)
