"""What chartgen derives from a file (a compiled template, parsed YAML), remembered by the file's identity.

Git's index rule, for files chartgen reads in every process: the blueprint library's templates, manifests and
profiles. Jinja's bytecode cache keeps a file per template, found by the sha1 of its name and validated by the sha1
of its source, so loading one reads the template and its cache file and hashes both; a `chartgen new` loads ~37
templates that way (5.2-5.9 ms, 4 % of the process; issue 27), and parses ~20 blueprint manifests and profiles with
PyYAML (~5 ms). An index keeps, per file, the file's identity (chartgen.core.file_identity: size, modification and
change times, inode, device, mode) and the derived value, marshalled; a file with the same identity gets that value
without being read. Why an unchanged identity means unchanged content, and the racy rule (a file whose times are not
RACY_NS older than the moment it was read is not remembered: it could change again within the same timestamp tick):
chartgen.core.stat_index. A value derived from no file (a part's `when:` template, whose source is its name) is
remembered under its name, with no identity.

Each index is one file in a folder whose name covers everything else the value depends on (the callers': chartgen's,
Jinja's or PyYAML's and Python's versions, the template syntax), for one library folder. It is a speed-up, never an
input: a missing, unreadable, damaged or foreign file is an empty index; a value of another type than expected is a
miss; additions are saved whole (a temp file renamed into place) and a concurrent process that saves its own wins
(the loser's files are only read the slower way again).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import threading
from typing import Any

from chartgen.core.file_identity import RACY_NS, Identity, identity
from chartgen.core.json_file import write_bytes_atomically

FORMAT = 1

# file path (or, for a value derived from no file, its name) -> (identity or None, marshalled value)
Entry = tuple[Identity | None, bytes]


class IdentityIndex:
    """Values derived from the files of one folder (`root`), by file identity; `path` is the index file, `kind` the
    type every value has."""

    @classmethod
    def in_folder(cls, folder: str, root: str, kind: type) -> IdentityIndex:
        """The index of the library folder `root` in the cache folder `folder` (one file per library folder)."""
        return cls(os.path.join(folder, f"index-{hashlib.sha256(root.encode()).hexdigest()[:16]}.marshal"), root, kind)

    def __init__(self, path: str, root: str, kind: type):
        self.path = path
        self.root = root
        self.kind = kind
        self._entries: dict[str, Entry] | None = None
        self._added: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def _stored(self) -> dict[str, Entry]:
        if self._entries is None:
            try:
                with open(self.path, "rb") as fh:
                    data = marshal.loads(fh.read())  # marshal.load(file) reads object by object
                ok = type(data) is tuple and len(data) == 3 and data[:2] == (FORMAT, self.root) \
                    and type(data[2]) is dict
                self._entries = data[2] if ok else {}
            except (OSError, EOFError, ValueError, TypeError):
                self._entries = {}
        return self._entries

    def lookup(self, key: str, filename: str | None) -> tuple[Any, Identity | None] | None:
        """The value remembered for `filename` (None: a value derived from no file, remembered as `key`) and the file's
        identity, when the file has the identity it had when the value was remembered."""
        entry = self._stored().get(key)
        try:
            if entry is None or type(entry) is not tuple or len(entry) != 2:
                return None
            known, blob = entry
            if filename is None:
                if known is not None:
                    return None
            elif known is None or identity(os.stat(filename)) != known:
                return None
            value = marshal.loads(blob)
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return (value, known) if type(value) is self.kind else None

    def add(self, key: str, filename: str | None, before: Identity | None, looked_at: int, value: Any) -> None:
        """Remember `value`, derived from what was read at `looked_at` from `filename`, whose identity was `before`
        then: only when the file still has that identity, its times are RACY_NS older than `looked_at`, and marshal
        carries the value unchanged (no dates, no objects of other classes)."""
        if type(value) is not self.kind:
            return
        if filename is not None:
            if before is None or max(before[1], before[2]) > looked_at - RACY_NS:
                return
            try:
                if identity(os.stat(filename)) != before:
                    return
            except OSError:
                return
        try:
            blob = marshal.dumps(value)  # type: ignore[arg-type]  # any value: the ones marshal refuses raise
            if marshal.loads(blob) != value:
                return
        except ValueError:  # a value marshal cannot carry
            return
        with self._lock:
            self._added[key] = (before, blob)

    def save(self) -> None:
        """Write what was added since the last save, with the stored entries, to the index file. Never raises."""
        with self._lock:
            if not self._added:
                return
            entries = dict(self._stored())
            entries.update(self._added)
            self._added.clear()
            self._entries = entries
        write_bytes_atomically(self.path, marshal.dumps((FORMAT, self.root, entries)))
