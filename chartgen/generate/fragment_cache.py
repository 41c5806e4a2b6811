"""Parsed YAML fragments on disk, by content.

A blueprint's values.schema fragments render to the same text for every chart (the settings' schemas, inlined by
`declared()`), and parsing the largest of them was a fifth of a `chartgen new` process. A fragment of at least
MIN_CHARS is looked up by the sha256 of its text in $XDG_CACHE_HOME/chartgen/fragments/ and stored there as JSON
after it is parsed, only when JSON carries it unchanged (no timestamps, non-string keys or NaN). Entries are
written whole (temp file renamed into place), so concurrent runs are safe; an unreadable, corrupt or unwritable
cache only means the text is parsed again. $CHARTGEN_NO_TEMPLATE_CACHE disables it, as it does the compiled
templates.

In a process, every parsed text is also kept in memory (any length: a chart's environments, and the charts of one
`chartgen verify`, render many fragments to the same text), when it holds only plain data (maps, lists and immutable
scalars); each caller gets its own deep copy, since callers merge into what they get.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from typing import Any

from chartgen.core.merge import plain_copy
from chartgen.core.user_cache import user_cache

MIN_CHARS = 4096
MEMORY_ENTRIES = 1024  # parsed texts kept in memory; all are dropped when it is reached

_memory: dict[tuple[Callable[[str], Any], str], Any] = {}
_MISS = object()
_IMMUTABLE = (str, int, float, bool, type(None), bytes, datetime.date, datetime.time)


class _NotPlain(Exception):
    pass


def load(text: str, parse: Callable[[str], Any]) -> Any:
    """parse(text), or its cached result (the caller's own: it may change it)."""
    kept = _memory.get((parse, text), _MISS)
    if kept is not _MISS:
        return plain_copy(kept)
    data = _load(text, parse)
    try:
        copy = _plain_copy(data)
    except _NotPlain:  # e.g. a YAML !!set: a shared mutable value
        return data
    if len(_memory) >= MEMORY_ENTRIES:
        _memory.clear()
    _memory[(parse, text)] = copy
    return data


def forget() -> None:
    """Drop what this process keeps in memory (the disk entries stay): the next load is a new process's."""
    _memory.clear()


def _load(text: str, parse: Callable[[str], Any]) -> Any:
    if len(text) < MIN_CHARS or os.environ.get("CHARTGEN_NO_TEMPLATE_CACHE"):
        return parse(text)
    path = user_cache("fragments") / f"{hashlib.sha256(text.encode()).hexdigest()}.json"
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text(encoding="utf-8"))
    data = parse(text)
    _store(path, data)
    return data


def _plain_copy(value: Any) -> Any:
    """A deep copy of maps, lists and immutable scalars; _NotPlain for anything else."""
    if type(value) is dict:
        return {k: _plain_copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_plain_copy(v) for v in value]
    if isinstance(value, _IMMUTABLE):
        return value
    raise _NotPlain


def _store(path: os.PathLike[str], data: Any) -> None:
    try:
        encoded = json.dumps(data, ensure_ascii=False)
        if json.loads(encoded) != data:  # e.g. integer keys would come back as strings
            return
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(encoded)
        os.replace(tmp, path)
    except (TypeError, ValueError, OSError):
        with contextlib.suppress(NameError, OSError):
            os.unlink(tmp)
