"""A JSON file written whole or not at all: a temporary file in the same folder, then an atomic rename, so a reader
never sees half of it. For caches: a folder that cannot be written is no error (the cache simply keeps nothing)."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path


def write_json_atomically(path: Path, data: object) -> None:
    """Write `data` as JSON to `path` (folders made as needed); an OSError leaves no temporary file and is not
    raised."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
