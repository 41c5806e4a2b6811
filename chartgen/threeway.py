"""Three-way merge of one text file: base = what chartgen last generated, ours = the file as the user left it,
theirs = what chartgen generates now. Uses merge3 (the diff3 algorithm of Breezy/bzr)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import merge3

START, MID, END = "<<<<<<< yours", "=======", ">>>>>>> chartgen"


@dataclass(frozen=True)
class MergeResult:
    text: str  # the merge, with conflict markers where both sides changed the same lines
    conflicts: int  # number of conflicting regions

    @property
    def clean(self) -> bool:
        return self.conflicts == 0


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"  # markers must start on a line of their own
    return lines


def merge(base: str, ours: str, theirs: str) -> MergeResult:
    m = merge3.Merge3(_lines(base), _lines(ours), _lines(theirs))
    conflicts = sum(1 for region in m.merge_regions() if region[0] == "conflict")
    text = "".join(m.merge_lines(start_marker=START, mid_marker=MID, end_marker=END))
    if conflicts == 0 and not theirs.endswith("\n") and not ours.endswith("\n") and text.endswith("\n"):
        text = text[:-1]
    return MergeResult(text, conflicts)


def rejected(rel: str, base: str, theirs: str) -> str:
    """A .rej file: the change chartgen wanted to make to `rel`, as a unified diff the user applies by hand."""
    diff = difflib.unified_diff(_lines(base), _lines(theirs), f"a/{rel}", f"b/{rel}")
    return "".join(diff)
