"""Snapshot tests for any chart: the normalised rendering of each environment under tests/__snapshots__/.

Rule: snapshots are enforced for a chart when its tests/__snapshots__/ folder exists (`chartgen snapshot CHART`
creates it) or when verify runs with --snapshots. Then a rendering that differs from its snapshot fails with a
unified diff, a missing snapshot fails (a snapshot test must never pass without a snapshot), and a snapshot of an
environment the chart no longer has is reported as obsolete. Generated charts helmignore the folder.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from chartgen.core.chart_layout import SNAPSHOT_DIR
from chartgen.core.record import Record, record

SUFFIX = ".yaml"
_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)


def folder(chart: Path) -> Path:
    return chart / SNAPSHOT_DIR


def path_for(chart: Path, env: str) -> Path:
    return folder(chart) / f"{env}{SUFFIX}"


def enabled(chart: Path, always: bool = False) -> bool:
    return always or folder(chart).is_dir()


def normalise(rendering: str) -> str:
    """helm template output with trailing blanks and empty documents removed, one `---` between documents."""
    docs = []
    for part in _SEPARATOR.split(rendering):
        lines = [line.rstrip() for line in part.strip("\n").splitlines()]
        if any(line and not line.lstrip().startswith("#") for line in lines):
            docs.append("\n".join(lines).strip("\n") + "\n")
    return "---\n" + "---\n".join(docs) if docs else ""


@record
class Comparison(Record):
    env: str
    path: Path
    status: str  # "same", "changed", "missing"
    diff: str = ""  # unified diff, snapshot -> rendering, when changed


def compare(chart: Path, env: str, rendering: str) -> Comparison:
    path = path_for(chart, env)
    if not path.is_file():
        return Comparison(env, path, "missing")
    old = path.read_text(encoding="utf-8")
    new = normalise(rendering)
    if old == new:
        return Comparison(env, path, "same")
    diff = "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"{path} (snapshot)", tofile=f"{chart} [{env}] (rendered)"))
    return Comparison(env, path, "changed", diff)


def obsolete(chart: Path, envs: list[str]) -> list[Path]:
    """Snapshot files of environments the chart does not have."""
    if not folder(chart).is_dir():
        return []
    keep = {f"{e}{SUFFIX}" for e in envs}
    return sorted(p for p in folder(chart).glob(f"*{SUFFIX}") if p.name not in keep)


@record
class Update(Record):
    written: list[Path]
    unchanged: list[Path]
    removed: list[Path]


def update(chart: Path, renderings: dict[str, str], prune: bool = True) -> Update:
    """Write each environment's snapshot; with prune, remove the ones of environments not rendered."""
    folder(chart).mkdir(parents=True, exist_ok=True)
    written, unchanged = [], []
    for env, rendering in renderings.items():
        path = path_for(chart, env)
        text = normalise(rendering)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            unchanged.append(path)
            continue
        path.write_text(text, encoding="utf-8")
        written.append(path)
    removed = obsolete(chart, list(renderings)) if prune else []
    for p in removed:
        p.unlink()
    return Update(written, unchanged, removed)
