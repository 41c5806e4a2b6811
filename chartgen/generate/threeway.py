"""Three-way merge of one text file: base = what chartgen last generated, ours = the file as the user left it,
theirs = what chartgen generates now. Uses merge3 (the diff3 algorithm of Breezy/bzr).

The merge runs in LF and its result is written in the line-ending convention of the user's file
(chartgen.generate.eol), so that a CRLF checkout merges line by line. With rej=True the hunks that do not clash are
applied, the clashing ones keep the user's lines and go, as chartgen's change (base -> theirs), into a unified
diff for a .rej file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import merge3

from chartgen.generate.eol import LF, convention, to_lf, written_as
from chartgen.generate.unresolved import END, MID, START


@dataclass(frozen=True)
class MergeResult:
    text: str  # the merge, with conflict markers (or, with rej, the user's lines) where both sides changed
    conflicts: int  # number of conflicting regions
    rejected: str = ""  # rej=True: chartgen's clashing hunks as a unified diff ("" when clean)

    @property
    def clean(self) -> bool:
        return self.conflicts == 0


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"  # markers must start on a line of their own
    return lines


def merge(base: str, ours: str, theirs: str, *, rel: str = "", rej: bool = False) -> MergeResult:
    eol = convention(ours)
    if eol != LF:
        base, ours, theirs = to_lf(base), to_lf(ours), to_lf(theirs)
    m = merge3.Merge3(_lines(base), _lines(ours), _lines(theirs))
    conflicts = sum(1 for region in m.merge_regions() if region[0] == "conflict")
    rejected = ""
    if rej:
        text, rejected = _keep_ours(m, rel)
    else:
        text = "".join(m.merge_lines(start_marker=START, mid_marker=MID, end_marker=END))
    if conflicts == 0 and not theirs.endswith("\n") and not ours.endswith("\n") and text.endswith("\n"):
        text = text[:-1]
    return MergeResult(written_as(text, eol), conflicts, rejected)


def _keep_ours(m: merge3.Merge3, rel: str) -> tuple[str, str]:
    """The merge with the user's lines where both sides changed, and chartgen's clashing hunks as a diff."""
    out: list[str] = []
    clashes: list[tuple[int, int, int, int]] = []  # (base start, end, theirs start, end)
    for region in m.merge_regions():
        kind = region[0]
        if kind == "unchanged":
            out += m.base[region[1]:region[2]]
        elif kind in ("a", "same"):
            out += m.a[region[1]:region[2]]
        elif kind == "b":
            out += m.b[region[1]:region[2]]
        else:
            _, z_start, z_end, a_start, a_end, b_start, b_end = region  # type: ignore[misc]
            out += m.a[a_start:a_end]
            clashes.append((z_start, z_end, b_start, b_end))
    wanted = list(m.base)
    for z_start, z_end, b_start, b_end in reversed(clashes):
        wanted[z_start:z_end] = m.b[b_start:b_end]
    return "".join(out), "".join(difflib.unified_diff(m.base, wanted, f"a/{rel}", f"b/{rel}"))

