"""Unresolved conflicts from `chartgen generate`: its conflict markers left in a generated file, or a pending .rej.

Any of them makes `generate`, `generate --check` and `verify` fail (exit 1), naming the file and the line: a chart
holding markers is not generated, whatever its digests say (helm would only report a YAML error).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from chartgen.core.record import Record, record
from chartgen.generate.lockfile import REJECT_SUFFIX

START, MID, END = "<<<<<<< yours", "=======", ">>>>>>> chartgen"  # chartgen.generate.threeway writes these
MESSAGE = "unresolved conflict from chartgen generate"
_START_BYTES = START.encode()  # ASCII: in UTF-8 (and after errors="replace") it is in the text iff in the bytes


@record
class Unresolved(Record):
    path: Path  # the generated file holding markers, or its pending .rej
    line: int
    hint: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {MESSAGE}; {self.hint}"


def find(root: Path, generated: Iterable[str]) -> list[Unresolved]:
    """Conflicts left in the chart's generated files (chart-relative paths, as the lock lists them)."""
    out: list[Unresolved] = []
    for rel in sorted(generated):
        line = _marker_line(root / rel)
        if line is not None:
            out.append(Unresolved(root / rel, line, "resolve the conflict markers (keep what you want, delete "
                                                    "the <<<<<<< ======= >>>>>>> lines)"))
        rej = root / f"{rel}{REJECT_SUFFIX}"
        if rej.is_file():
            out.append(Unresolved(rej, 1, f"apply chartgen's change to {rel} by hand, then delete the .rej"))
    return out


def _marker_line(path: Path) -> int | None:
    """The line of the first <<<<<<< yours that a >>>>>>> chartgen closes, or None."""
    try:
        if _START_BYTES not in path.read_bytes():  # nearly every file: no marker, no line-by-line read (verify)
            return None
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            start = None
            for number, line in enumerate(fh, 1):
                text = line.rstrip("\r\n")
                if text == START and start is None:
                    start = number
                elif text == END and start is not None:
                    return start
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return None
