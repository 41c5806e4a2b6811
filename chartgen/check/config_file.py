"""Where `.chartgen-check.yaml` is found (chartgen.check.config reads it): apart from the reader, so that a warm
`chartgen verify` keys its cache without importing the YAML parser (chartgen.verify.chart_cache)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from chartgen.core import read_log

CONFIG_NAME = ".chartgen-check.yaml"


def find_config(inputs: Iterable[str], found: dict[str, Path | None] | None = None) -> Path | None:
    """The nearest .chartgen-check.yaml at or above the first input (the working directory for stdin).

    `found`: the answers for folders already asked in this run (folder -> its nearest file), filled in here; verify
    keys 100 charts below the same folders. The run and its cache keys use the same answers, so a file created
    during the run is seen by neither (the next run's keys see it)."""
    first = next((p for p in inputs if p != "-"), None)
    start = read_log.realpath(first) if first else os.getcwd()
    folder = start if read_log.is_dir(start, quiet=True) else os.path.dirname(start)
    asked: list[str] = []
    answer: Path | None = None
    while True:
        if found is not None and folder in found:
            answer = found[folder]
            break
        asked.append(folder)
        path = os.path.join(folder, CONFIG_NAME)
        if read_log.is_file(path, quiet=True):
            answer = Path(path)
            break
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    if found is not None:
        found.update(dict.fromkeys(asked, answer))
    return answer
