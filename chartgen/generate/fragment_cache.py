"""Parsed YAML fragments on disk, by content.

A blueprint's values.schema fragments render to the same text for every chart (the settings' schemas, inlined by
`declared()`), and parsing the largest of them was a fifth of a `chartgen new` process. A fragment of at least
MIN_CHARS is looked up by the sha256 of its text in $XDG_CACHE_HOME/chartgen/fragments/ and stored there as JSON
after it is parsed, only when JSON carries it unchanged (no timestamps, non-string keys or NaN). Entries are
written whole (temp file renamed into place), so concurrent runs are safe; an unreadable, corrupt or unwritable
cache only means the text is parsed again. $CHARTGEN_NO_TEMPLATE_CACHE disables it, as it does the compiled
templates.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from typing import Any

from chartgen.core.user_cache import user_cache

MIN_CHARS = 4096


def load(text: str, parse: Callable[[str], Any]) -> Any:
    """parse(text), or its cached result."""
    if len(text) < MIN_CHARS or os.environ.get("CHARTGEN_NO_TEMPLATE_CACHE"):
        return parse(text)
    path = user_cache("fragments") / f"{hashlib.sha256(text.encode()).hexdigest()}.json"
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text(encoding="utf-8"))
    data = parse(text)
    _store(path, data)
    return data


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
