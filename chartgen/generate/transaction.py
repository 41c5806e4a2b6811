"""Apply a set of file writes and deletions to a chart folder as one transaction.

    1. stage: every new file is written into .chartgen-staging/ inside the chart (same file system), and every
       file about to be replaced or removed is hard-linked (or copied) there as a backup. A failure here (a full
       disk, a read-only folder) changes nothing in the chart.
    2. commit: the journal (what goes where, in order; the lock last) is renamed to .chartgen-staging/COMMIT.
    3. apply: each staged file is renamed over its target, removals follow; then the staging folder goes.

A failure while applying rolls back from the backups. After a kill (-9) the next run (any chartgen command that
reads or writes the chart) first calls recover(): without COMMIT the staging folder is removed and the chart is
the old one, untouched; with COMMIT the journal is replayed (renames are idempotent) and the chart is the new
one. So chartgen never sees a mix of old and new files that it could mistake for edits by hand.

chartgen never writes or deletes through a symbolic link inside the chart (check_no_links), and one chart is
changed by one chartgen process at a time (an flock on the chart folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from chartgen.core import read_log
from chartgen.core.errors import ChartgenError, UnsafePath, from_os_error
from chartgen.core.record import Record, record
from chartgen.generate.lockfile import STAGING_DIR, normalise

COMMIT = "COMMIT"


@record
class Change(Record):
    """The files one write creates or replaces, and the files it deletes."""

    writes: Sequence[tuple[str, bytes]]  # (chart-relative path, content), applied in this order
    deletes: Sequence[str]


def check_no_links(root: Path, rels: Sequence[str]) -> None:
    """Refuse (exit 2, naming the link) when any existing component of root/rel inside the chart is a symlink."""
    seen: set[str] = set()
    for rel in rels:
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub in seen:
                continue
            seen.add(sub)
            p = root / sub
            try:
                mode = p.lstat().st_mode
            except FileNotFoundError:
                break
            except OSError as exc:
                raise from_os_error(exc, str(p), "inspect") from None
            if stat.S_ISLNK(mode):
                raise UnsafePath(str(p), None, f"is a symbolic link (to {os.readlink(p)}); chartgen never writes "
                                               "or deletes through a link inside the chart. Replace the link with "
                                               "the real folder or file, or remove it")
            if i < len(parts) and not stat.S_ISDIR(mode):
                raise UnsafePath(str(p), None, f"is not a folder, but chartgen needs to write {rel}; move it aside")


@contextlib.contextmanager
def chart_lock(root: Path) -> Iterator[None]:
    """Hold an exclusive flock on the chart folder: concurrent chartgen runs on one chart wait for each other."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        yield
        return
    try:
        fd = os.open(root, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    except OSError as exc:
        raise from_os_error(exc, str(root), "open the chart folder") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def recover_interrupted(root: Path) -> str | None:
    """recover() under the chart's flock; a no-op (no lock taken) when no interrupted run left its folder.

    Every command that reads a chart calls it first, before anything it reads could be a half-applied run."""
    staging = root / STAGING_DIR
    try:
        staging.lstat()
    except (FileNotFoundError, NotADirectoryError):  # no interrupted run (or no chart folder: said elsewhere)
        read_log.note_lstat(staging, None)
        return None
    except OSError as exc:
        raise from_os_error(exc, str(staging), "inspect") from None
    read_log.note_unsure()  # what recovery reads and writes is no look a later run could repeat
    with chart_lock(root):
        return recover(root)


def recover(root: Path) -> str | None:
    """Finish (COMMIT present) or discard (no COMMIT) an interrupted transaction. Returns what it did."""
    staging = root / STAGING_DIR
    try:
        mode = staging.lstat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
        raise UnsafePath(str(staging), None, "is not chartgen's staging folder (a link or a file); remove it")
    journal = staging / COMMIT
    try:
        if journal.is_file():
            plan = json.loads(journal.read_text(encoding="utf-8"))
            writes = [(str(rel), str(name)) for rel, name in plan["writes"]]
            deletes = [str(rel) for rel in plan["deletes"]]
            if any(normalise(rel) != rel for rel in [r for r, _ in writes] + deletes) or \
                    any(not name.isdigit() for _, name in writes):
                raise ValueError("a path in the journal leaves the chart")
            check_no_links(root, [rel for rel, _ in writes] + deletes)
            for rel, name in writes:
                staged = staging / "new" / name
                if staged.exists():
                    (root / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(staged, root / rel)
            for rel in deletes:
                _unlink(root / rel)
            shutil.rmtree(staging)
            return "finished"
        shutil.rmtree(staging)
        return "discarded"
    except (ValueError, KeyError, TypeError):
        raise ChartgenError(str(journal), None, "unreadable journal of an interrupted run; check the chart "
                                                "by hand, then remove the folder") from None
    except OSError as exc:
        raise from_os_error(exc, str(staging), "recover an interrupted run") from None


def apply(root: Path, change: Change) -> None:
    """Apply `change` to `root` all or nothing (see the module doc). Raises FileSystemError (exit 2) on failure."""
    check_no_links(root, [rel for rel, _ in change.writes] + list(change.deletes) + [STAGING_DIR])
    staging = root / STAGING_DIR
    try:
        _stage(root, staging, change)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            _name_the_users_path(exc, root)
            raise from_os_error(exc, str(root), "write the chart (nothing was changed)") from None
        raise
    done: list[tuple[str, str | None]] = []  # (rel, backup name or None when the target was new)
    made: list[Path] = []
    target = root
    try:
        backups = {rel: name for rel, name in json.loads((staging / COMMIT).read_text())["backups"]}
        for i, (rel, _) in enumerate(change.writes):
            target = root / rel
            _makedirs(root, target.parent, made)
            os.replace(staging / "new" / str(i), target)
            done.append((rel, backups.get(rel)))
        for rel in change.deletes:
            target = root / rel
            _unlink(target)
            done.append((rel, backups.get(rel)))
    except BaseException as exc:
        _rollback(root, staging, done, made)
        if isinstance(exc, OSError):
            _name_the_users_path(exc, target)
            raise from_os_error(exc, str(target), "write the chart (every change was rolled back)") from None
        raise
    shutil.rmtree(staging, ignore_errors=True)


def _stage(root: Path, staging: Path, change: Change) -> None:
    (staging / "new").mkdir(parents=True)
    (staging / "old").mkdir()
    backups: list[tuple[str, str]] = []
    for i, (rel, data) in enumerate(change.writes):
        staged = staging / "new" / str(i)
        try:
            staged.write_bytes(data)
            _keep_mode(root / rel, staged)
        except OSError as exc:
            _name_the_users_path(exc, root / rel)
            raise
    for i, rel in enumerate([rel for rel, _ in change.writes] + list(change.deletes)):
        target = root / rel
        if target.is_file():
            _backup(target, staging / "old" / str(i))
            backups.append((rel, str(i)))
    journal = {"writes": [[rel, str(i)] for i, (rel, _) in enumerate(change.writes)],
               "deletes": list(change.deletes), "backups": backups}
    tmp = staging / "journal.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(journal, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, staging / COMMIT)  # the commit point


def _name_the_users_path(exc: OSError, path: Path) -> None:
    """An error names the user's file (or the chart), never chartgen's staged copy in .chartgen-staging/."""
    if exc.filename is None or STAGING_DIR in Path(str(exc.filename)).parts:
        exc.filename = str(path)
    if exc.filename2 is not None and STAGING_DIR in Path(str(exc.filename2)).parts:
        exc.filename2 = None


def _keep_mode(target: Path, staged: Path) -> None:
    """A rewritten file keeps its permission bits (chmod +x on a generated script survives)."""
    try:
        st = target.stat()
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode):
        staged.chmod(stat.S_IMODE(st.st_mode))


def _backup(target: Path, backup: Path) -> None:
    try:
        os.link(target, backup)
    except OSError:
        shutil.copy2(target, backup)


def _makedirs(root: Path, folder: Path, made: list[Path]) -> None:
    missing = []
    while not folder.exists() and folder != root:
        missing.append(folder)
        folder = folder.parent
    for d in reversed(missing):
        d.mkdir()
        made.append(d)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _rollback(root: Path, staging: Path, done: list[tuple[str, str | None]], made: list[Path]) -> None:
    """Undo the applied part of a transaction from its backups, newest first.

    The journal goes first, so a kill during the rollback is never replayed forward over restored files (what is
    left is a part of the new files beside the old lock; a merging generate reads them as the same change).
    """
    with contextlib.suppress(OSError):
        (staging / COMMIT).unlink()
    for rel, backup in reversed(done):
        with contextlib.suppress(OSError):
            if backup is not None:
                os.replace(staging / "old" / backup, root / rel)
            else:
                _unlink(root / rel)
    for d in reversed(made):
        with contextlib.suppress(OSError):
            d.rmdir()
    shutil.rmtree(staging, ignore_errors=True)
