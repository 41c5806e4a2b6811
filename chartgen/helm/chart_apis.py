"""The API versions a chart's templates test for (`.Capabilities.APIVersions.Has "..."`): helm renders with them,
so that an object the chart renders only when its API is available is rendered, and checked, too. A leaf (os, re,
pathlib): verify, diff and the README's traffic pictures render with it."""

from __future__ import annotations

import os
import re
from pathlib import Path

_HAS_API = re.compile(r"""Capabilities\.APIVersions\.Has\s+(?:"([^"\\]+)"|`([^`]+)`)""")


def tested_api_versions(chart: Path) -> tuple[str, ...]:
    """The API versions a chart's templates (its unpacked subcharts' included, symlinks followed as helm does) test
    for with a literal `.Capabilities.APIVersions.Has "..."`, sorted: verify renders with them, so that an object
    the chart renders only when its API is available is rendered, and checked, too."""
    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    for folder, dirnames, filenames in os.walk(chart, followlinks=True):
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in seen:  # a symlink loop, or a folder linked twice
            dirnames.clear()
            continue
        seen.add((st.st_dev, st.st_ino))
        if "templates" not in Path(folder).relative_to(chart).parts:
            continue
        for name in filenames:
            try:
                text = Path(folder, name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue  # helm reports the unreadable template
            found.update(a or b for a, b in _HAS_API.findall(text))
    return tuple(sorted(found))
