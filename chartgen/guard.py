"""How a chartgen process ends when something goes wrong: one line on stderr and chartgen's exit code.

Bad input (ChartgenError) exits 2 (or its own code), the file system saying no (OSError) exits 2, Ctrl-C 130, and
anything else is a bug in chartgen: exit 3 with one line (CHARTGEN_DEBUG=1 shows the traceback). Used by the CLI
and by the typer-free `chartgen new` (chartgen/new_command.py), so both end the same way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from chartgen.errors import ChartgenError


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
