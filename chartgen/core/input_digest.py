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
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chartgen.core.stat_index import StatIndex


class Uncacheable(Exception):
    """An input that cannot be digested completely: str() says which and why."""


def tree_digest(root: Path, skip: frozenset[str] = frozenset(), index: StatIndex | None = None) -> str:
    """sha256 over every file at or below root (a file root is digested alone), following symlinks.

    `skip` names folders that hold only derived files, never read (__pycache__ below chartgen's own code).
    `index`: file digests remembered by stat (chartgen.core.stat_index); a file whose stat changed is read again.
    Raises Uncacheable.
    """
    given = str(root)
    top = os.path.abspath(given)  # the index's key of each file is top/rel (of a file root: top itself)
    prefix = top if top.endswith("/") else top + "/"
    parts: list[bytes] = []  # hashed at once: the same digest as one update per part
    for rel, path, st in _walk(given, skip):
        parts.append(f"{rel}\0{stat.S_IMODE(st.st_mode):o}\0".encode())
        if index is None:
            parts.append(file_sha256(Path(path)))
        else:
            parts.append(_indexed_sha256(path, top if path == given else prefix + rel, st, index))
    return hashlib.sha256(b"".join(parts)).hexdigest()


def paths_digest(paths: Iterable[str | Path], index: StatIndex | None = None) -> str:
    """sha256 over each given path (as given) and the tree below it; a missing path counts as missing."""
    h = hashlib.sha256()
    for given in paths:
        present = os.path.lexists(given)
        h.update(f"{given}\0{tree_digest(Path(given), index=index) if present else 'missing'}\0".encode())
    return h.hexdigest()


def _indexed_sha256(path: str, absolute: str, st: os.stat_result, index: StatIndex) -> bytes:
    """The file's sha256, from the index while its stat is the one remembered; else read, and remembered when the
    file's stat after reading is the one before (a file written during the read is not). `absolute`: the path as
    os.path.abspath spells it (the index's key)."""
    from chartgen.core.stat_index import identity, now_ns

    before = identity(st)
    known = index.lookup_absolute(absolute, before)
    if known is not None:
        return known
    taken = now_ns()
    digest = file_sha256(Path(path))
    try:
        after = identity(os.stat(path))
    except OSError as err:
        raise Uncacheable(f"{path}: {err.strerror or err}") from None
    if after == before:
        index.remember(path, before, digest, taken)
    return digest


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
        inner = above | {here}
        base = "" if path == "." else path if path.endswith("/") else path + "/"  # as Path(path) / name spells it
        below = rel + "/" if rel else ""
        stack.extend((base + name, below + name, inner) for name in reversed(names) if name not in skip)
