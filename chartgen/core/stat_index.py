"""Remembered file digests, trusted only while the file's stat is unchanged: git's index rule, for the verify cache.

A warm `chartgen verify` digests every file of every chart, of chartgen's code and of its blueprints to prove its
cache key (chartgen.core.cache). The index remembers, per absolute path, the file's identity as the kernel
reports it (size, modification and change times in ns, inode, device, mode) and the sha256 of its content; a file
whose identity is the same is not read again.

Why an unchanged identity means unchanged content: every write sets the modification and the change time, and the
change time cannot be set back by a user (`os.utime`, `touch -d`, `cp -p` set it to now), so an edit that keeps
the size and puts the modification time back still changes the change time; a file replaced by another (rename,
checkout) has another inode or change time.

"Racily clean" (git's term): a file written within the same timestamp tick as it was hashed, then written again
within that tick, keeps its identity with other content. The index therefore trusts an entry only when both of the
file's times are at least RACY_NS older than the moment its hash was taken (the clock the kernel stamps files with
is coarse and may lag the one Python reads; RACY_NS covers that and filesystems with 1-2 s timestamps). A younger
file is hashed every time until it is old enough. An entry is written only when the file's identity after reading
is the one before (a file that changed while it was read is not remembered).

Whole trees (a chart's folder, chartgen's code) are remembered too, in a file of their own beside the rows: the
digest of the tree's list of (path, identity), its content digest, and when its walk began. A walk that finds the
same list, every file at least RACY_NS older than that moment, has that digest: the same rule as a row's, for every
file at once, without loading or checking a row per file (a warm verify of 100 charts walks ~6,400 files). A tree
is recorded only when every file kept its identity while it was read.

The index is a speed-up, never an input: a missing, unreadable, damaged or foreign index is an empty one, and a
concurrent run that saves its own index wins (the loser's entries are only hashed again).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from chartgen.core.file_identity import RACY_NS, Identity, identity, now_ns

__all__ = ["RACY_NS", "Identity", "StatIndex", "identity", "now_ns"]

MAX_ENTRIES = 200_000  # beyond it, the entries hashed longest ago are dropped
MAX_TREES = 20_000  # the same for whole trees
_FORMAT = 1

Entry = tuple[Identity, bytes, int]
Tree = tuple[bytes, bytes, int]  # digest of the (path, identity) list, digest of the content, when the walk began


class StatIndex:
    """path -> (identity, sha256, when hashed); `path=None` keeps it in memory only."""

    def __init__(self, path: Path | None = None):
        self.path = path
        # a row read from the file stays as stored (a list) until it is looked up: a warm run reads every row once
        self._entries: dict[str, Entry | list[object]] | None = None
        self._dirty = False
        self._lock = threading.Lock()
        # whole trees (chartgen.core.input_digest.tree_digest), in a file of their own: a warm run whose trees are
        # all unchanged never reads the rows of their files
        self._trees: dict[str, object] | None = None
        self._trees_dirty = False

    @property
    def trees_path(self) -> Path | None:
        return None if self.path is None else self.path.with_name(self.path.name + "-trees")

    def tree(self, key: str) -> Tree | None:
        """(digest of the tree's (path, identity) list, digest of its content, when its walk began) remembered for
        the tree `key`; the caller trusts it only for the same list with every file older than that by RACY_NS."""
        with self._lock:
            if self._trees is None:
                self._trees = _read_trees(self.trees_path)
            row = self._trees.get(key)
        if type(row) is not list or len(row) != 3:
            return None
        listing, digest, taken = row
        if type(listing) is not str or type(digest) is not str or type(taken) is not int:
            return None
        try:
            return bytes.fromhex(listing), bytes.fromhex(digest), taken
        except ValueError:
            return None

    def remember_tree(self, key: str, listing: bytes, digest: bytes, taken: int) -> None:
        with self._lock:
            if self._trees is None:
                self._trees = _read_trees(self.trees_path)
            self._trees[key] = [listing.hex(), digest.hex(), taken]
            self._trees_dirty = True

    def lookup(self, path: str | Path, ident: Identity) -> bytes | None:
        """The remembered sha256 of the file at `path` with this identity, if it is safe to trust."""
        return self.lookup_absolute(os.path.abspath(path), ident)

    def lookup_absolute(self, path: str, ident: Identity) -> bytes | None:
        """lookup() of a path that is already absolute and normal (as os.path.abspath returns it)."""
        with self._lock:
            row = self._load().get(path)
        entry = row if row is None or isinstance(row, tuple) else _entry(row)
        if entry is None:
            return None
        known, digest, taken = entry
        if known != ident or max(ident[1], ident[2]) + RACY_NS > taken:
            return None
        return digest

    def remember(self, path: str | Path, ident: Identity, digest: bytes, taken: int) -> None:
        """Record that the file with identity `ident` (statted before `taken`) hashed to `digest`."""
        with self._lock:
            self._load()[os.path.abspath(path)] = (ident, digest, taken)
            self._dirty = True

    def save(self) -> None:
        """Write the index atomically (temp file + rename); a failure to write never fails the run."""
        if self.path is None:
            return
        if self._trees_dirty and self.trees_path is not None:
            with self._lock:
                trees = dict(sorted(self._trees.items(), key=lambda kv: _taken(kv[1]), reverse=True)[:MAX_TREES]
                             if self._trees else [])
                self._trees_dirty = False
            _write(self.trees_path, {"format": _FORMAT, "trees": trees})
        if not self._dirty:
            return
        with self._lock:
            valid = ((p, row if isinstance(row, tuple) else _entry(row)) for p, row in self._load().items())
            entries = sorted(((p, e) for p, e in valid if e is not None), key=lambda kv: kv[1][2],
                             reverse=True)[:MAX_ENTRIES]
            data = {"format": _FORMAT, "entries": {p: [*i, d.hex(), t] for p, (i, d, t) in entries}}
            self._dirty = False
        _write(self.path, data)

    def _load(self) -> dict[str, Entry | list[object]]:
        if self._entries is None:
            self._entries = _read(self.path) if self.path is not None else {}
        return self._entries


def _write(path: Path, data: object) -> None:
    from chartgen.core.json_file import write_json_atomically

    write_json_atomically(path, data)


def _read_trees(path: Path | None) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path is not None else {}
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("trees"), dict):
        return {}
    return data["trees"]


def _taken(row: object) -> int:
    return row[2] if type(row) is list and len(row) == 3 and type(row[2]) is int else -1


def _read(path: Path) -> dict[str, Entry | list[object]]:
    """The stored rows, each checked (`_entry`) only when it is used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def _entry(row: object) -> Entry | None:
    """One stored row, or None unless it is exactly [6 ints, 64 hex digits, int] (checked one by one: every lookup
    of a warm run checks a row)."""
    if type(row) is not list or len(row) != 8:
        return None
    a, b, c, d, e, f, digest, taken = row
    if type(a) is not int or type(b) is not int or type(c) is not int or type(d) is not int or type(e) is not int \
            or type(f) is not int or type(taken) is not int or type(digest) is not str or len(digest) != 64:
        return None
    try:
        raw = bytes.fromhex(digest)
    except ValueError:
        return None
    return (a, b, c, d, e, f), raw, taken
