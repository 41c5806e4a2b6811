"""Digests of the files a verdict reads, walked as helm walks a chart: symbolic links are followed.

helm's chart loader (internal/sympath) follows every symlink, to files and to folders (a subchart, a `crds/`
folder, a values file shared between charts), so a digest that did not would miss edits helm sees. Unlike helm,
the walk remembers the folders above it: a link back into one of them (a loop) makes the input `Uncacheable`, as
does anything it cannot read to the end (an unreadable file or folder, a dangling link, a FIFO or device). The
caller then runs the work and stores nothing: an input whose content is not known cannot vouch for a result.

Each file contributes its path relative to the root, its permission bits and the sha256 of its content. helm
ignores the executable bits, but a mode change is rare and cheap to miss on, and proving which bits chartgen and
helm never look at is not worth a stale pass.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from chartgen.core import read_log

if TYPE_CHECKING:
    from chartgen.core.stat_index import StatIndex


class Uncacheable(Exception):
    """An input that cannot be digested completely: str() says which and why."""


def tree_digest(root: Path, skip: frozenset[str] = frozenset(), index: StatIndex | None = None) -> str:
    """sha256 over every file at or below root (a file root is digested alone), following symlinks.

    `skip` names folders that hold only derived files, never read (__pycache__ below chartgen's own code).
    `index`: file digests remembered by stat (chartgen.core.stat_index); a file whose stat changed is read again.
    With an index, the whole tree's digest is remembered too, with the digest of its list of (path, stat): a walk
    that finds exactly that list, every file old enough (the index's racy rule), has that digest without a lookup
    per file (a warm verify walks every file of every chart). Raises Uncacheable.
    """
    given = str(root)
    top = os.path.abspath(given)  # the index's key of each file is top/rel (of a file root: top itself)
    if index is None:
        return _digest((rel, st, file_sha256(Path(path))) for rel, path, st in _walk(given, skip))
    from chartgen.core.stat_index import RACY_NS, identity, now_ns

    started = now_ns()  # before any file of the walk is looked at: the tree's record vouches from here
    walked = list(_walk(given, skip))
    rows = [(rel, identity(st)) for rel, _, st in walked]
    listing = hashlib.sha256(marshal.dumps(rows, 2)).digest()  # version 2: no back-references, one spelling
    newest = max((max(st.st_mtime_ns, st.st_ctime_ns) for _, _, st in walked), default=0)
    tree_key = top + "\0" + "\0".join(sorted(skip))
    known = index.tree(tree_key)
    if known is not None and known[0] == listing and newest + RACY_NS <= known[2]:
        return known[1].hex()
    prefix = top if top.endswith("/") else top + "/"
    stable = True
    digests = []
    for rel, path, st in walked:
        digest, same = _indexed_sha256(path, top if path == given else prefix + rel, st, index)
        digests.append((rel, st, digest))
        stable = stable and same
    out = _digest(iter(digests))
    if stable:
        index.remember_tree(tree_key, listing, bytes.fromhex(out), started)
    return out


def _digest(files: Iterator[tuple[str, os.stat_result, bytes]]) -> str:
    parts: list[bytes] = []  # hashed at once: the same digest as one update per part
    for rel, st, digest in files:
        parts.append(f"{rel}\0{stat.S_IMODE(st.st_mode):o}\0".encode())
        parts.append(digest)
    return hashlib.sha256(b"".join(parts)).hexdigest()


def paths_digest(paths: Iterable[str | Path], index: StatIndex | None = None) -> str:
    """sha256 over each given path (as given) and the tree below it; a missing path counts as missing."""
    h = hashlib.sha256()
    for given in paths:
        present = _lexists(given)
        h.update(f"{given}\0{tree_digest(Path(given), index=index) if present else 'missing'}\0".encode())
    return h.hexdigest()


def _lexists(path: str | Path) -> bool:
    """os.path.lexists, noted in the read log."""
    try:
        st: os.stat_result | None = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError:
        read_log.note_unsure()
        return False
    read_log.note_lstat(path, st)
    return st is not None


def _indexed_sha256(path: str, absolute: str, st: os.stat_result, index: StatIndex) -> tuple[bytes, bool]:
    """The file's sha256, from the index while its stat is the one remembered; else read, and remembered when the
    file's stat after reading is the one before (a file written during the read is not). `absolute`: the path as
    os.path.abspath spells it (the index's key). With whether the file kept its stat (False: changed while read)."""
    from chartgen.core.stat_index import identity, now_ns

    before = identity(st)
    known = index.lookup_absolute(absolute, before)
    if known is not None:
        return known, True
    taken = now_ns()
    digest = file_sha256(Path(path))
    try:
        st_after = os.stat(path)
    except OSError as err:
        raise Uncacheable(f"{path}: {err.strerror or err}") from None
    read_log.note_stat(path, st_after)  # a file changed while it was read makes the read log unsteady
    after = identity(st_after)
    if after == before:
        index.remember(path, before, digest, taken)
    return digest, after == before


def file_sha256(path: Path) -> bytes:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError as err:
        raise Uncacheable(f"{path}: {err.strerror or err}") from None
    return h.digest()


def walk(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, Path, os.stat_result]]:
    """(relative path, path, stat, symlinks followed) of every regular file, in a stable order; raises
    Uncacheable."""
    for rel, path, st in _walk(str(root), skip):
        yield rel, Path(path), st


def _walk(root: str, skip: frozenset[str]) -> Iterator[tuple[str, str, os.stat_result]]:
    """walk() on path strings, depth first in name order (a warm verify walks every file of every chart: Path
    objects were a third of it, nested generators a sixth)."""
    stack: list[tuple[str, str, frozenset[tuple[int, int]]]] = [(root, "", frozenset())]  # path, rel, folders above
    while stack:
        path, rel, above = stack.pop()
        try:
            st = os.stat(path)  # follows a symlink, as helm does
        except OSError as err:
            raise Uncacheable(f"{path}: {err.strerror or err}") from None
        read_log.note_stat(path, st)
        if stat.S_ISREG(st.st_mode):
            yield rel or os.path.basename(path), path, st
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise Uncacheable(f"{path}: neither a file nor a folder")
        here = (st.st_dev, st.st_ino)
        if here in above:
            raise Uncacheable(f"{path}: a symbolic link loop")
        try:
            names = sorted(os.listdir(path))
        except OSError as err:
            raise Uncacheable(f"{path}: {err.strerror or err}") from None
        read_log.note_list(path, names)
        inner = above | {here}
        base = "" if path == "." else path if path.endswith("/") else path + "/"  # as Path(path) / name spells it
        below = rel + "/" if rel else ""
        stack.extend((base + name, below + name, inner) for name in reversed(names) if name not in skip)
