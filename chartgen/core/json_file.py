"""A file written whole or not at all: a temporary file in the same folder, then an atomic rename, so a reader
never sees half of it. For caches: a folder that cannot be written is no error (the cache simply keeps nothing)."""

from __future__ import annotations

import contextlib
import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only annotated: a process saving a cache as it ends imports nothing more (core/regex_cache.py)
    from pathlib import Path


def write_json_atomically(path: Path, data: object) -> None:
    """Write `data` as JSON to `path` (folders made as needed); an OSError leaves no temporary file and is not
    raised."""
    write_bytes_atomically(str(path), json.dumps(data).encode("utf-8"))


def write_bytes_atomically(path: str, data: bytes) -> bool:
    """Write `data` to `path` (folders made as needed); whether it was written. An OSError leaves no temporary file
    and is not raised."""
    import tempfile

    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    return True
