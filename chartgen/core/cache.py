"""The verify cache: a chart's result, keyed by a digest of everything that decides it (when unsure: a miss).

The key (verify.chart_key) covers:
- the chart folder as helm reads it: every file's relative path, permission bits and content, symbolic links
  followed (subcharts, `crds/`, values files linked from elsewhere; chartgen.core.input_digest; dependencies verify
  built into `charts/` are digested after the build: chartgen.helm.dependencies), chartgen's own state
  (.chartgen.lock, .chartgen/base) and the snapshots; the chart's path as given and resolved (a copy reports its
  own path, and the check configuration is found from it);
- the check configuration that applies (.chartgen-check.yaml found upward, or --config: its path and content),
  and every CRD file the check may read (--crds, CHARTGEN_CRDS, the configuration's `crds:`);
- the run's options (environments, kube version, release, namespace, checks, policy, snapshots);
- the helm binaries: version and sha256 of the file (`helm_fingerprint`);
- chartgen: its version, code and data, Python's version and the versions of its dependencies
  (`code_fingerprint`), and the blueprint library it generates from, where it is and what it holds
  (`blueprint_fingerprint`);
- with --policy, the checkov executable and the .checkov.yaml files it reads.

A chart with an input that cannot be digested (chartgen.core.input_digest.Uncacheable) is verified and not stored.
An entry is one JSON file written to a temporary name and renamed into place (os.replace is atomic), so
concurrent runs never read a half-written entry; an entry that is not exactly what this chartgen writes for this
key is a miss. Location: $CHARTGEN_CACHE_DIR, else $XDG_CACHE_HOME/chartgen/verify, else ~/.cache/chartgen/verify.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import chartgen
from chartgen import __version__
from chartgen.core import read_log
from chartgen.core.blueprint_root import SHIPPED_LIBRARY
from chartgen.core.input_digest import tree_digest
from chartgen.core.user_cache import user_cache, verify_cache_folder

if TYPE_CHECKING:
    from chartgen.core.stat_index import StatIndex

ENTRY_FORMAT = 2  # bump when the shape of an entry changes: older entries become misses


def cache_dir() -> Path:
    return Path(verify_cache_folder())


def code_fingerprint(index: StatIndex | None = None) -> str:
    """chartgen's version, code and data (a development checkout changes without a bump), Python and the versions
    of chartgen's dependencies (YAML parsing, the Kubernetes schemas, CEL, the three-way merge). Computed once per
    process; every call notes the looks it was computed from in the recording read log (a warm run's record, made
    after the run by a second pass, holds them without reading chartgen's files again: run_record.record_after)."""
    fingerprint, looks = _code_fingerprint(index)
    read_log.note_log(looks)
    return fingerprint


@lru_cache(maxsize=4)
def _code_fingerprint(index: StatIndex | None) -> tuple[str, read_log.ReadLog]:
    with read_log.ReadLog() as looks:
        package = Path(read_log.realpath(chartgen.__file__)).parent
        # the wheel's copy of the blueprint library (chartgen/_blueprints) is not code: blueprint_fingerprint covers
        # the library in use, that one or $CHARTGEN_BLUEPRINTS (walking it twice was half of this walk's stats)
        code = tree_digest(package, skip=frozenset({"__pycache__", SHIPPED_LIBRARY}), index=index)
        fingerprint = key(__version__, code, sys.version, _dependencies())
    return fingerprint, looks


code_fingerprint.cache_clear = _code_fingerprint.cache_clear  # type: ignore[attr-defined]  # as a new process


def _dependencies() -> dict[str, str | None]:
    from chartgen.core.installed_versions import dependency_versions

    return dependency_versions("chartgen")


def blueprint_fingerprint(index: StatIndex | None = None) -> str:
    """The blueprint library chartgen generates from ($CHARTGEN_BLUEPRINTS or the shipped one): where and what.
    Computed on every call: the variable and the folder may change within one process."""
    from chartgen.core.blueprint_root import default_root

    root = default_root()
    return key(read_log.realpath(root), tree_digest(root, index=index))


def chartgen_fingerprint() -> str:
    """Everything of chartgen that decides what it generates and checks: its code and its blueprint library."""
    own = own_index()
    return key(code_fingerprint(own), blueprint_fingerprint(own))


_OWN_INDEX: list[StatIndex] = []


def own_index() -> StatIndex:
    """The stat index of chartgen's own files (its code, its blueprint library): with chartgen's user cache, as its
    compiled templates are, not with the verify cache, so that a run with an empty verify cache (a new
    CHARTGEN_CACHE_DIR) does not read all of chartgen again. A speed-up only, like any stat index; saved by
    Cache.save_index."""
    if not _OWN_INDEX:
        from chartgen.core.stat_index import StatIndex

        _OWN_INDEX.append(StatIndex(user_cache("stat-index-chartgen")))
    return _OWN_INDEX[0]


def key(*parts: str | Mapping[str, Any]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update((part if isinstance(part, str) else json.dumps(part, sort_keys=True)).encode() + b"\0")
    return h.hexdigest()


class Cache:
    """A folder of JSON entries; `enabled=False` makes every lookup a miss and stores nothing.

    `stat_index` remembers the digests of the files that keys read (chartgen.core.stat_index), in the same folder;
    `save_index()` writes it."""

    def __init__(self, root: Path | None = None, enabled: bool = True):
        from chartgen.core.stat_index import StatIndex

        self.root = root or cache_dir()
        self.enabled = enabled
        self.stat_index = StatIndex(self.root / "stat-index" if enabled else None)

    def save_index(self) -> None:
        self.stat_index.save()
        if _OWN_INDEX:
            _OWN_INDEX[0].save()

    def _path(self, k: str) -> Path:
        return self.root / k[:2] / f"{k}.json"

    def get(self, k: str) -> dict[str, Any] | None:
        """The entry stored under k; None for a miss (no entry, or one that is unreadable, truncated or not a
        JSON object)."""
        if not self.enabled:
            return None
        try:
            data = json.loads(self._path(k).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, k: str, value: Mapping[str, Any]) -> None:
        if not self.enabled:
            return
        from chartgen.core.json_file import write_json_atomically

        write_json_atomically(self._path(k), value)  # a read-only or full cache never fails the run

    def get_entry(self, k: str) -> Mapping[str, Any] | None:
        """The value put with put_entry(k, ...): None unless the stored entry names this format and this key."""
        data = self.get(k)
        if data is None or data.get("format") != ENTRY_FORMAT or data.get("key") != k:
            return None
        value = data.get("value")
        return value if isinstance(value, dict) else None

    def put_entry(self, k: str, value: Mapping[str, Any]) -> None:
        self.put(k, {"format": ENTRY_FORMAT, "key": k, "value": value})
