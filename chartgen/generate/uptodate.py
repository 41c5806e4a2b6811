"""Skip `chartgen generate` on a chart whose inputs did not change since chartgen last wrote or checked it.

Inputs: the chart's chartgen.yaml, chartgen's version, code and blueprints (verify_cache.chartgen_fingerprint).
After a generate (or a clean `generate --check`) the digest of the chart's .chartgen.lock is recorded under that
key in the cache folder. A later run skips the rendering when the inputs give the same key, the lock file is the
recorded one, and every file the lock lists still has its recorded digest (a hand edit or a deleted file means the
work is done again, with the writer's usual protection of edited files).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from chartgen.core.cache import Cache, cache_dir, chartgen_fingerprint, key
from chartgen.core.input_digest import Uncacheable

LOCK_FILE = ".chartgen.lock"  # chartgen.generate.writer.LOCK_FILE (not imported: the writer pulls in the engine)
SPEC_FILE = "chartgen.yaml"


def _cache() -> Cache:
    return Cache(cache_dir() / "generate")


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def spec_digest(chart: Path) -> str | None:
    """The digest of the chart's spec as it is now: take it BEFORE reading the spec to render, and record with it
    (a spec saved during the run then gives another key: a miss, never a false "up to date")."""
    return _sha(chart / SPEC_FILE)


def _key(chart: Path, spec: str | None) -> str | None:
    try:
        return None if spec is None else key(str(chart.resolve()), spec, chartgen_fingerprint())
    except Uncacheable:  # an unreadable blueprint library: nothing to vouch for the chart
        return None


def is_up_to_date(chart: Path) -> bool:
    k = _key(chart, spec_digest(chart))
    entry = _cache().get(k) if k else None
    lock = chart / LOCK_FILE
    if entry is None or entry.get("lock") != _sha(lock):
        return False
    try:
        files = json.loads(lock.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return all(_sha(chart / rel) == digest for rel, digest in files.items())


def record(chart: Path, spec: str | None) -> None:
    """Remember that the chart is what the spec of digest `spec` generates (after a write or a clean check)."""
    k, lock = _key(chart, spec), _sha(chart / LOCK_FILE)
    if k and lock:
        _cache().put(k, {"lock": lock})
