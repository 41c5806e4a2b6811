"""The layout of a plain manifest stream from its column-0 lines alone: documents and their top-level entries.

Rendered manifests are block mappings whose top-level keys start at column 0 (`apiVersion:`, `kind:`,
`metadata:`, `spec:`), documents separated by `---` lines. In such a stream a top-level entry ("block") runs from
its key line to the next column-0 key line or `---`: nothing inside a value may start at column 0 except
sequence items (`- `) and comments, since a block scalar's or a plain scalar's lines are indented past the key. So
equal block texts are equal entries, and the loader parses each distinct block once (the CRDs, specs and
metadata repeated across the charts and environments of one CI run).

Only the simplest shape is accepted; anything else at column 0 (directives, `...`, content after `---`, quoted or
complex keys, a document that is not a block mapping, CRLF line ends) makes split_blocks answer None and the
stream is read by the loader's other paths. What a line scan cannot see (a quoted scalar or flow collection
running across a column-0 key line) the loader catches when it parses the blocks: the keys it finds must be
exactly the blocks' keys.
"""

from __future__ import annotations

import re

from chartgen.core.record import Record, record

# a column-0 line after a newline: `---` (a comment may follow), `key:`, a sequence item, or anything else
_SIGNIFICANT = re.compile(r"\n(?:(---)(?:[ \t]+#[^\n]*|[ \t]*)(?=\n)|([A-Za-z_][A-Za-z0-9_.\-/]*):(?=[ \t\n])"
                          r"|(-(?=[ \t\n]))|(?=[^ \t\n#]))")
_NOTHING = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*")  # blank and comment lines only


@record
class Block(Record):
    key: str
    start: int  # the key line's first character
    end: int  # the next column-0 key line or `---` (or the end of the stream)


@record
class DocumentLayout(Record):
    start: int  # the `---` line, or the first key line of a first document without one
    end: int  # the next `---` line or the end of the stream
    first_line: int  # 0-based line of start
    line: int  # 0-based line of the first key (where the document's mapping starts)
    blocks: tuple[Block, ...]


def split_blocks(text: str) -> list[DocumentLayout | None] | None:
    """Every document slot of the stream (None: an empty document, which keeps its index), or None when the stream
    is not of the simple shape (see the module docstring)."""
    if not text.endswith("\n") or "\r" in text:
        return None
    slots: list[DocumentLayout | None] = []
    starts: list[tuple[str, int]] = []  # (key, start) of the current document's blocks
    doc_start, explicit = 0, False
    lines = _LineCounter(text)

    def close(end: int) -> bool:
        """Record the current document; False when it holds something other than blocks."""
        body = text.index("\n", doc_start) + 1 if explicit else doc_start  # after the `---` line
        if not _nothing(text, body, starts[0][1] if starts else end):
            return False
        if not starts:
            if explicit:
                slots.append(None)
            return True
        keys = [key for key, _ in starts]
        if len(set(keys)) != len(keys):
            return False  # a repeated key: the loader's node-tree path records it
        ends = [s for _, s in starts[1:]] + [end]
        start = doc_start if explicit else starts[0][1]
        slots.append(DocumentLayout(start, end, lines.at(start), lines.at(starts[0][1]),
                                    tuple(Block(k, s, e) for (k, s), e in zip(starts, ends, strict=True))))
        return True

    for m in _SIGNIFICANT.finditer("\n" + text):
        at = m.start()  # in text: "\n" + text shifts every index by one, so the line starts here
        if m.group(1):
            if not close(at):
                return None
            starts, doc_start, explicit = [], at, True
        elif m.group(2):
            starts.append((m.group(2), at))
        elif m.group(3):
            if not starts:
                return None  # a sequence where the document's mapping should be
        else:
            return None
    if not close(len(text)):
        return None
    return slots


def _nothing(text: str, start: int, end: int) -> bool:
    return start >= end or _NOTHING.fullmatch(text, start, end) is not None


class _LineCounter:
    """0-based line numbers of increasing positions, counting each stretch of text once."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 0

    def at(self, pos: int) -> int:
        if pos < self.pos:
            return self.text.count("\n", 0, pos)
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line
