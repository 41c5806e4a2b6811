"""Line endings: chartgen generates LF; a checkout may hold CRLF (Windows, git's core.autocrlf).

A file is compared and merged with its line endings set aside, and written back in its own convention (git's
merge does the same), so that a CRLF checkout is neither an edit nor a conflict.
"""

from __future__ import annotations

CRLF, LF = "\r\n", "\n"


def convention(text: str) -> str:
    """CRLF when every line break of `text` is CRLF (and there is one), else LF."""
    crlf = text.count(CRLF)
    return CRLF if crlf and crlf == text.count(LF) else LF


def to_lf(text: str) -> str:
    return text.replace(CRLF, LF)


def to_lf_bytes(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def written_as(text: str, eol: str) -> str:
    """LF `text` with the line breaks of `eol`."""
    return text if eol == LF else to_lf(text).replace(LF, CRLF)
