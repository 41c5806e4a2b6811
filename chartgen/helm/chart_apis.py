"""The API versions a chart's templates test for (`.Capabilities.APIVersions.Has "..."`): helm renders with them,
so that an object the chart renders only when its API is available is rendered, and checked, too. A leaf (os, re,
pathlib): verify, diff and the README's traffic pictures render with it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

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
            found.update(_apis_in(text))
    return tuple(sorted(found))


def tested_api_versions_of(files: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """tested_api_versions of a chart in memory ((chart-relative POSIX path, text) pairs): the same answer as for
    the folder those files are written to."""
    found: set[str] = set()
    for rel, text in files:
        if "templates" in PurePosixPath(rel).parent.parts:
            found.update(_apis_in(text))
    return tuple(sorted(found))


def _apis_in(text: str) -> set[str]:
    return {a or b for a, b in _HAS_API.findall(text)}
