"""The verify cache: a chart's result, keyed by a content hash of everything that decides it.

Key = sha256 of the chart's files (templates, values, subcharts, snapshots, chartgen.yaml), the helm version(s),
chartgen's version and code and blueprints, the check configuration (`check_config_fingerprint`) and the run's
options. An entry is one JSON file written to a temporary name and renamed into place (os.replace is atomic), so
concurrent runs never read a half-written entry; the worst case is two runs computing the same entry.
Location: $CHARTGEN_CACHE_DIR, else $XDG_CACHE_HOME/chartgen/verify, else ~/.cache/chartgen/verify.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from chartgen import __version__
from chartgen.user_cache import user_cache

SKIP_DIRS = frozenset({".git", "node_modules", ".chartgen", "__pycache__"})


def cache_dir() -> Path:
    explicit = os.environ.get("CHARTGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return user_cache("verify")


def tree_digest(root: Path, suffixes: tuple[str, ...] | None = None) -> str:
    """sha256 over the relative paths and contents of every file below root (optionally only some suffixes)."""
    h = hashlib.sha256()
    for path in _files(root):
        if suffixes is not None and not path.name.endswith(suffixes):
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _files(root: Path) -> Iterable[Path]:
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        out.extend(Path(dirpath) / f for f in filenames if not f.endswith(".pyc"))
    return sorted(out)


@lru_cache(maxsize=1)
def chartgen_fingerprint() -> str:
    """chartgen's version, its code and data, and the blueprints (a development checkout changes without a bump)."""
    from chartgen.blueprints import default_root

    package = Path(__file__).resolve().parent
    return hashlib.sha256("\0".join((__version__, tree_digest(package), tree_digest(default_root()))).encode()
                          ).hexdigest()


def check_config_fingerprint(chart_dir: Path) -> str:
    """A hash of the check configuration that applies to a chart ("" while there is none).

    Hook for the check configuration file (.chartgen-check.yaml): return a digest of its content here.
    """
    return ""


def key(*parts: str | Mapping[str, Any]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update((part if isinstance(part, str) else json.dumps(part, sort_keys=True)).encode() + b"\0")
    return h.hexdigest()


class Cache:
    """A folder of JSON entries; `enabled=False` makes every lookup a miss and stores nothing."""

    def __init__(self, root: Path | None = None, enabled: bool = True):
        self.root = root or cache_dir()
        self.enabled = enabled

    def _path(self, k: str) -> Path:
        return self.root / k[:2] / f"{k}.json"

    def get(self, k: str) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(k).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, k: str, value: Mapping[str, Any]) -> None:
        if not self.enabled:
            return
        path = self._path(k)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        except OSError:  # a read-only or full cache never fails the run
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
