"""`chartgen --version`: chartgen's version, the helm it will use and the Python it runs on, one per line.

Each line is `<name> <version> (<where>)`; the helm line says why there is none when none is usable. Imported only
for --version (by chartgen.entry before the CLI loads, and by the CLI's own option).
"""

from __future__ import annotations

import sys
from pathlib import Path

from chartgen import __version__
from chartgen.core.errors import ChartgenError


def versions() -> str:
    from chartgen.helm.runner import find_helm

    try:
        helm = find_helm()
        helm_line = f"helm {helm.version} ({helm.path})"
    except ChartgenError as exc:  # HelmNotFound: what to do is in the message
        helm_line = f"helm none ({exc})"
    python = f"Python {sys.version.split()[0]} ({sys.executable})"
    return "\n".join((f"chartgen {__version__} ({Path(__file__).resolve().parent})", helm_line, python)) + "\n"
