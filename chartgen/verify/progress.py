"""Progress of a verify run on stderr: a rich bar on a terminal, plain lines in CI ($CI set), else nothing."""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from chartgen.verify.results import ChartResult, Progress


class PlainProgress(Progress):
    def __init__(self, out: IO[str]):
        self.out, self.total, self.count = out, 0, 0

    def start(self, total: int) -> None:
        self.total = total

    def done(self, result: ChartResult, ok: bool) -> None:
        self.count += 1
        cached = " (cached)" if result.cached else ""
        self.out.write(f"verify [{self.count}/{self.total}] {result.chart}: {'ok' if ok else 'FAILED'}{cached}\n")
        self.out.flush()


class BarProgress(Progress):
    def __init__(self, out: IO[str]):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(TextColumn("verify"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                TextColumn("{task.description}"), console=Console(file=out), transient=True)
        self.task: Any = None

    def start(self, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("", total=total)

    def done(self, result: ChartResult, ok: bool) -> None:
        self.bar.update(self.task, advance=1, description=result.chart)

    def stop(self) -> None:
        self.bar.stop()


def for_stream(out: IO[str] | None = None) -> Progress:
    out = out or sys.stderr
    if os.environ.get("CI"):
        return PlainProgress(out)
    isatty = getattr(out, "isatty", None)
    if isatty and isatty() and os.environ.get("TERM") != "dumb":
        return BarProgress(out)
    return Progress()
