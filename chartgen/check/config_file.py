"""Where `.chartgen-check.yaml` is found (chartgen.check.config reads it): apart from the reader, so that a warm
`chartgen verify` keys its cache without importing the YAML parser (chartgen.verify.chart_cache)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

CONFIG_NAME = ".chartgen-check.yaml"


def find_config(inputs: Iterable[str]) -> Path | None:
    """The nearest .chartgen-check.yaml at or above the first input (the working directory for stdin)."""
    first = next((p for p in inputs if p != "-"), None)
    start = Path(first).resolve() if first else Path.cwd()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_NAME
        if path.is_file():
            return path
    return None
