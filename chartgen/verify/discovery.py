"""Which charts a verify run covers: discovery below paths, `--shard I/N` (`--changed-since`: chartgen.verify.changes).

Discovery is chart-testing's: every folder holding a Chart.yaml is a chart, except the ones inside a chart's own
charts/ folder (its subcharts, verified with their parent) and anything below .git, node_modules or .chartgen.
Symlinked folders are followed, as helm follows them when it loads a chart; a folder reached twice (a symlink
loop, or two links to one folder) is walked once. A folder that cannot be read, or a file name in a chart that is
not UTF-8, is bad input (exit 2 naming it): a chart is never silently skipped or half-read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from chartgen.core import read_log
from chartgen.core.errors import ChartgenError
from chartgen.core.record import Record, record

SKIP_DIRS = frozenset({".git", "node_modules", ".chartgen"})


def discover_charts(paths: Sequence[Path]) -> list[Path]:
    """Chart folders below each path (a path may be a chart, a Chart.yaml/chartgen.yaml, or any folder)."""
    found: dict[Path, Path] = {}
    for path in paths:
        if path.name in ("Chart.yaml", "chartgen.yaml") and read_log.is_file(path):
            path = path.parent
        if not read_log.is_dir(path):
            raise ChartgenError(str(path), None, "no such folder")
        charts = list(_walk(path))
        if not charts:
            raise ChartgenError(str(path), None, "no chart below this folder (no Chart.yaml)")
        for chart in charts:
            found.setdefault(Path(read_log.realpath(chart)), chart)
    return sorted(found.values(), key=lambda p: p.as_posix())


@record
class _Folder(Record):
    path: Path
    in_chart: bool = False  # at or below a chart: its file names must be UTF-8
    in_subcharts: bool = False  # below a chart's charts/ folder: no chart of its own


def _walk(root: Path) -> Iterable[Path]:
    """Chart folders below root, depth first in name order, following symlinked folders (once each per role)."""
    seen: set[tuple[int, int, bool, bool]] = set()  # a folder reached as a subchart is still a chart elsewhere
    stack = [_Folder(root)]
    while stack:
        folder = stack.pop()
        st = _stat(folder.path)
        key = (st.st_dev, st.st_ino, folder.in_chart, folder.in_subcharts)
        if key in seen:
            continue
        seen.add(key)
        names, subdirs = _list(folder.path)
        is_chart = "Chart.yaml" in names
        if is_chart and not folder.in_subcharts:
            _check_path(folder.path)
            yield folder.path
        in_chart = folder.in_chart or is_chart
        if in_chart:
            _check_names(folder.path, names)
        stack.extend(_Folder(folder.path / d, in_chart, folder.in_subcharts or (is_chart and d == "charts"))
                     for d in reversed(subdirs) if d not in SKIP_DIRS)


def _stat(path: Path) -> os.stat_result:
    try:
        st = path.stat()
    except OSError as exc:
        raise ChartgenError(str(path), None, f"cannot read this folder: {exc.strerror or exc}") from None
    read_log.note_stat(path, st)
    return st


def _list(folder: Path) -> tuple[list[str], list[str]]:
    """(every entry name, the names of folders, symlinked ones included), sorted."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
            names, folders = [e.name for e in entries], [e.name for e in entries if e.is_dir()]
    except OSError as exc:
        raise ChartgenError(str(folder), None, f"cannot read this folder: {exc.strerror or exc}; a chart below it "
                            "would be skipped (fix its permissions, or leave it out of the paths)") from None
    read_log.note_dirs(folder, names, folders)
    return names, folders


def shown(path: Path | str) -> str:
    """A path as text that can always be printed (bytes that are not UTF-8 as \\xNN)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _utf8(name: Path | str) -> bool:
    try:
        os.fsencode(name).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_path(chart: Path) -> None:
    if not _utf8(chart):
        raise ChartgenError(shown(chart), None, "the chart's path is not UTF-8; chartgen reports and caches charts "
                            "by their path: rename the folder")


def _check_names(folder: Path, names: list[str]) -> None:
    for name in names:
        if not _utf8(name):
            raise ChartgenError(shown(folder), None, f"file name '{shown(name)}' is not UTF-8; helm and chartgen read "
                                "a chart's file names as UTF-8: rename it")


# --- --shard I/N ---------------------------------------------------------------------------------------------


@record
class Shard(Record):
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        head, sep, tail = text.partition("/")
        try:
            index, count = int(head), int(tail)
        except ValueError:
            index = count = 0
        if not sep or not 1 <= index <= count:
            raise ChartgenError("--shard", None, f"{text!r} is not I/N with 1 <= I <= N (e.g. 2/4)")
        return cls(index, count)

    def select(self, charts: Sequence[Path]) -> list[Path]:
        """Round-robin over the charts sorted by path: shards 1/N..N/N hold every chart exactly once."""
        ordered = sorted(charts, key=lambda p: p.as_posix())
        return ordered[self.index - 1 :: self.count]
