"""Which charts a verify run covers: discovery below paths, `--changed-since REF`, `--shard I/N`.

Discovery is chart-testing's: every folder holding a Chart.yaml is a chart, except the ones inside a chart's own
charts/ folder (its subcharts, verified with their parent) and anything below .git, node_modules or .chartgen.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chartgen.errors import ChartgenError

SKIP_DIRS = frozenset({".git", "node_modules", ".chartgen"})


def discover_charts(paths: Sequence[Path]) -> list[Path]:
    """Chart folders below each path (a path may be a chart, a Chart.yaml/chartgen.yaml, or any folder)."""
    found: dict[Path, Path] = {}
    for path in paths:
        if path.name in ("Chart.yaml", "chartgen.yaml") and path.is_file():
            path = path.parent
        if not path.is_dir():
            raise ChartgenError(str(path), None, "no such folder")
        charts = list(_walk(path))
        if not charts:
            raise ChartgenError(str(path), None, "no chart below this folder (no Chart.yaml)")
        for chart in charts:
            found.setdefault(chart.resolve(), chart)
    return sorted(found.values(), key=lambda p: p.as_posix())


def _walk(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        if "Chart.yaml" in filenames:
            yield Path(dirpath)
            dirnames[:] = [d for d in dirnames if d != "charts"]  # subcharts go with their parent


# --- --shard I/N ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
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


# --- --changed-since REF ---------------------------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise ChartgenError("--changed-since", None, "git is not installed") from None
    if proc.returncode != 0:
        raise ChartgenError("--changed-since", None, f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


def changed_files(ref: str, cwd: Path) -> list[Path]:
    """Files changed since the merge base of REF and HEAD (committed, staged, unstaged and untracked), absolute."""
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    base = _git(["merge-base", ref, "HEAD"], cwd).strip()
    names = _git(["diff", "--name-only", "--find-renames", base], top).splitlines()
    names += _git(["ls-files", "--others", "--exclude-standard"], top).splitlines()
    return [(top / n).resolve() for n in names if n]


def changed_charts(charts: Sequence[Path], ref: str, cwd: Path | None = None) -> list[Path]:
    """The charts holding at least one file changed since REF (a file belongs to its deepest chart)."""
    if not charts:
        return []
    files = changed_files(ref, cwd or charts[0])
    roots = sorted(((c.resolve(), c) for c in charts), key=lambda rc: len(rc[0].parts), reverse=True)
    hit: set[Path] = set()
    for f in files:
        for resolved, chart in roots:
            if f.is_relative_to(resolved):
                hit.add(chart)
                break
    return [c for c in charts if c in hit]
