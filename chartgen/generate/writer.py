"""Write a FileTree into a chart folder: all or nothing, confined to the chart, and never losing an edit.

`.chartgen.lock` records the sha256 of every file chartgen generated and `.chartgen/base/<path>` keeps the text
itself (helmignored). On the next run, for each generated file:

- unchanged on disk since chartgen wrote it: replaced by the new output;
- edited by hand: with conflict="merge" (generate), a three-way merge of base (what chartgen last wrote), ours
  (the file) and theirs (the new output); clean merges are written, conflicting ones get standard conflict
  markers (or, with conflict="rej", the hunks that do not clash are applied and <path>.rej holds the clashing
  ones; the base stays the old output, so the next run offers them again) and are listed in Plan.unmerged.
  With conflict=None (the values and env commands) an edit is a conflict that refuses the whole run, as is a
  file in the way that chartgen did not write. --force overwrites either.
- only its line endings differ (a CRLF checkout, chartgen.generate.eol): unedited; merged and written in its convention.
- deleted by the user: kept deleted (Plan.deleted); `restore` names the paths to bring back.
- a folder where chartgen generates a file: refused (exit 2, naming the user's path), even with --force.
- generated before, not any more: removed when unedited; when edited it is kept and becomes the user's file.

Files in the chart that are not in the lock are the user's and never touched. Everything is planned in memory,
then applied as one transaction (chartgen.generate.transaction): the lock is written last, a failure rolls back, and a
kill at any instant is finished or discarded by the next run.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Collection, Mapping
from dataclasses import field
from pathlib import Path

from chartgen.core.errors import WriteConflict, from_os_error
from chartgen.core.record import MutableRecord, mutable_record
from chartgen.generate.eol import convention, to_lf, to_lf_bytes, written_as
from chartgen.generate.filetree import FileTree
from chartgen.generate.fresh_chart import USER_FILES, lock_text, write_new
from chartgen.generate.lockfile import BASE_DIR, LOCK_FILE, STATE_DIR, lock_json
from chartgen.generate.lockfile import read_lock as _read_lock
from chartgen.generate.transaction import Change, apply, chart_lock, check_no_links, recover, recover_interrupted
from chartgen.generate.unresolved import Unresolved

CONFLICT_MODES = ("merge", "rej")

__all__ = ["LOCK_FILE", "STATE_DIR", "USER_FILES", "Plan", "drift", "lock_text", "plan", "read_lock",
           "unresolved", "write", "write_new", "write_subset"]


@mutable_record
class Plan(MutableRecord):
    """What writing a generated chart does to each file (created, updated, deleted, merged, in conflict)."""

    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): refuse the run
    merged: list[str] = field(default_factory=list)  # edited by hand, chartgen's change merged in cleanly
    unmerged: list[str] = field(default_factory=list)  # edited by hand, conflicting change (markers or .rej)
    kept: list[str] = field(default_factory=list)  # edited by hand, chartgen's output unchanged: left as it is
    orphaned: list[str] = field(default_factory=list)  # edited by hand, no longer generated: now the user's file
    deleted: list[str] = field(default_factory=list)  # generated, deleted by the user: kept deleted
    contents: dict[str, str] = field(default_factory=dict)  # what to write to each created/updated path
    records: dict[str, str] = field(default_factory=dict)  # generated text to record (lock + base) per path

    @property
    def changed(self) -> list[str]:
        return sorted(self.create + self.update + self.delete)


def read_lock(root: Path) -> dict[str, str]:
    """path -> sha256 of the generated text. Raises LockError (exit 2) for a lock chartgen did not write."""
    return dict(_read_lock(root).files)


def _lock_json(files: Mapping[str, str]) -> str:
    return lock_json(files)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError as exc:
        raise from_os_error(exc, str(path), "read") from None


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _read_target(root: Path, rel: str) -> bytes | None:
    """The file at a generated path (None: there is none). A folder or special file there is refused (exit 2)."""
    path = root / rel
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise from_os_error(exc, str(path), "inspect") from None
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise WriteConflict(str(path), None, f"is {what}, but chartgen generates a file here; move it aside "
                                             "and run again")
    return _read(path)


def _base(root: Path, rel: str, digest: str) -> str | None:
    """What chartgen last generated at `rel`, when it is recorded intact (also in a CRLF checkout)."""
    data = _read(root / BASE_DIR / rel)
    if data is not None and FileTree.digest(data) != digest:
        data = to_lf_bytes(data)
    if data is None or FileTree.digest(data) != digest:
        return None
    return _text(data)


def _recorded(root: Path, rel: str, text: str) -> bool:
    """The base copy of `rel` holds `text` (line endings aside: a checkout may have converted it)."""
    data = _read(root / BASE_DIR / rel)
    return data is not None and to_lf_bytes(data) == text.encode("utf-8")


def plan(tree: FileTree, root: Path, *, select: Callable[[str], bool] | None = None,
         expect: Mapping[str, str] | None = None, conflict: str | None = None,
         restore: Collection[str] = ()) -> Plan:
    """What writing `tree` into `root` would do (nothing is written).

    select: only lock entries it accepts may be deleted. expect: user files in `tree` (chartgen.yaml) with the
    text the caller read from them; such a file is replaced only while it still holds exactly that text.
    conflict: None (an edited file refuses the run), "merge" (three-way merge, markers) or "rej".
    restore: generated files the user deleted that are written again (others stay deleted).
    """
    files = read_lock(root)
    check_no_links(root, [*tree.paths(), *files, *(f"{BASE_DIR}/{p}" for p in files), LOCK_FILE, STATE_DIR])
    expect = expect or {}
    result = Plan()
    for rel, text in tree:
        data = _read_target(root, rel)
        if rel in expect:
            _plan_expected(result, rel, text, data, expect[rel])
        elif rel == LOCK_FILE:
            _plan_plain(result, rel, text, data)
        else:
            result.records[rel] = text
            if data is None and rel in files and rel not in restore:
                _plan_deleted(result, root, rel, files[rel])
            else:
                _plan_generated(result, root, rel, text, data, files.get(rel), conflict)
    for rel in sorted(set(files) - set(tree.paths())):
        if select is not None and not select(rel):
            continue
        data = _read(root / rel)
        if data is None:
            continue
        if FileTree.digest(data) == files[rel]:
            result.delete.append(rel)
        else:
            result.orphaned.append(rel)  # no longer generated, edited: it is the user's file now
    return result


def _plan_plain(result: Plan, rel: str, text: str, data: bytes | None) -> None:
    if data is None:
        result.create.append(rel)
    elif data == text.encode("utf-8"):
        result.unchanged.append(rel)
    else:
        result.update.append(rel)
    result.contents[rel] = text


def _plan_expected(result: Plan, rel: str, text: str, data: bytes | None, expected: str) -> None:
    if data is None:
        result.conflicts.append((rel, "was removed while chartgen was editing it"))
    elif data == text.encode("utf-8"):
        result.unchanged.append(rel)
    elif data == expected.encode("utf-8"):
        result.update.append(rel)
        result.contents[rel] = text
    else:
        result.conflicts.append((rel, "changed while chartgen was editing it"))


def _plan_deleted(result: Plan, root: Path, rel: str, recorded: str) -> None:
    """A generated file the user deleted stays deleted; its record stays, for --restore and the next run."""
    result.deleted.append(rel)
    base = _base(root, rel, recorded)
    if base is not None:
        result.records[rel] = base


def _plan_generated(result: Plan, root: Path, rel: str, text: str, data: bytes | None, recorded: str | None,
                    conflict: str | None) -> None:
    if data is None or data == text.encode("utf-8") or recorded == FileTree.digest(data):
        _plan_plain(result, rel, text, data)
        return
    ours = _text(data)
    if ours is not None and to_lf(ours) == text:  # chartgen's output, in the file's own line endings
        result.unchanged.append(rel)
        return
    if recorded is None:
        result.conflicts.append((rel, "exists and was not written by chartgen"))
        return
    base = _base(root, rel, recorded)
    if ours is not None and base is not None and to_lf(ours) == base:  # unedited: a CRLF checkout
        result.update.append(rel)
        result.contents[rel] = written_as(text, convention(ours))
        return
    if conflict is None or base is None or ours is None:
        why = "" if conflict is None else " (and no record of what chartgen last wrote to merge with)"
        result.conflicts.append((rel, f"edited since chartgen wrote it{why}"))
        return
    if base == text:  # chartgen's output did not change: the user's edit stands
        result.kept.append(rel)
        return
    _plan_merge(result, root, rel, base, ours, text, conflict)


def _plan_merge(result: Plan, root: Path, rel: str, base: str, ours: str, text: str, conflict: str) -> None:
    from chartgen.generate import threeway  # only for edited files: merge3 and difflib stay out of `chartgen new`

    merged = threeway.merge(base, ours, text, rel=rel, rej=conflict == "rej")
    changed = merged.text != ours
    if changed:
        result.update.append(rel)
        result.contents[rel] = merged.text
    if not merged.clean:
        result.unmerged.append(rel)
    else:
        (result.merged if changed else result.kept).append(rel)
    if not merged.clean and conflict == "rej":
        result.records[rel] = base  # the clashing change is not applied: the next run offers it again
        rej = f"{rel}.rej"
        result.create.append(rej) if not (root / rej).exists() else result.update.append(rej)
        result.contents[rej] = merged.rejected


def _refuse(root: Path, result: Plan) -> None:
    first, reason = next(((p, r) for p, r in result.conflicts if p in USER_FILES), result.conflicts[0])
    more = f" (and {len(result.conflicts) - 1} more: {', '.join(p for p, _ in result.conflicts if p != first)})" \
        if len(result.conflicts) > 1 else ""
    raise WriteConflict(str(root / first), None,
                        f"{reason}; refusing to overwrite{more}. Move it aside or use --force")


def _force(result: Plan, tree: FileTree) -> None:
    for rel, _ in result.conflicts:
        result.update.append(rel)
        result.contents[rel] = tree[rel]
    result.conflicts = []


def write(tree: FileTree, root: Path, *, force: bool = False, expect: Mapping[str, str] | None = None,
          conflict: str | None = None, restore: Collection[str] = ()) -> Plan:
    """Apply `tree` to `root`. Raises WriteConflict (writing nothing) when a file in the way cannot be merged.

    `expect`: user files in `tree` to replace, each with the text the caller read from it (see plan()).
    `conflict`: how an edited generated file is handled (see plan()); --force overwrites it instead.
    `restore`: generated files the user deleted to write again (see plan()).
    """
    tree.add(LOCK_FILE, lock_text(tree))
    with chart_lock(root):
        recover(root)
        result = plan(tree, root, expect=expect, conflict=None if force else conflict, restore=restore)
        return _apply(tree, root, result, force, keep_lock={})


def write_subset(tree: FileTree, root: Path, select: Callable[[str], bool], *, force: bool = False) -> Plan:
    """Apply only the files of the generated `tree` that `select` accepts, with write()'s conflict protection.

    Selected files chartgen wrote before and `tree` no longer has are removed (when unedited). Every other file,
    and its lock entry, is left exactly as it is; the lock records the new digests of the files written.
    """
    subset = _subset(tree, select)
    with chart_lock(root):
        recover(root)
        others = {p: d for p, d in read_lock(root).items() if not select(p)}
        subset.add(LOCK_FILE, _lock_json(others | {p: FileTree.digest(t) for p, t in subset}))
        result = plan(subset, root, select=select)
        return _apply(subset, root, result, force, keep_lock=others)


def _subset(tree: FileTree, select: Callable[[str], bool]) -> FileTree:
    subset = FileTree()
    for rel, text in tree:
        if rel != LOCK_FILE and rel not in USER_FILES and select(rel):
            subset.add(rel, text)
    return subset


def _apply(tree: FileTree, root: Path, result: Plan, force: bool, keep_lock: Mapping[str, str]) -> Plan:
    # --force overrides generated files only: a user file (chartgen.yaml) changed under us is never overwritten.
    if result.conflicts and (not force or any(p in USER_FILES for p, _ in result.conflicts)):
        _refuse(root, result)
    if force:
        _force(result, tree)
    old = read_lock(root)
    records = dict(result.records)
    lock = dict(keep_lock) | {p: FileTree.digest(t) for p, t in records.items()}
    result.contents[LOCK_FILE] = _lock_json(lock)
    if LOCK_FILE in result.unchanged and _read(root / LOCK_FILE) != result.contents[LOCK_FILE].encode():
        result.unchanged.remove(LOCK_FILE)
        result.update.append(LOCK_FILE)
    writes = [(rel, result.contents[rel].encode("utf-8")) for rel in result.create + result.update
              if rel != LOCK_FILE]
    for rel, text in records.items():
        if not _recorded(root, rel, text):
            writes.append((f"{BASE_DIR}/{rel}", text.encode("utf-8")))
    deletes = list(result.delete)
    deletes += [f"{BASE_DIR}/{rel}" for rel in old if rel not in lock and (root / BASE_DIR / rel).exists()]
    if not writes and not deletes and LOCK_FILE in result.unchanged:
        return result
    writes.append((LOCK_FILE, result.contents[LOCK_FILE].encode("utf-8")))  # the lock last
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os_error(exc, str(root), "create the chart folder") from None
    apply(root, Change(writes, deletes))
    return result


def preview(tree: FileTree, root: Path, conflict: str | None = "merge") -> Plan:
    """What `generate` would do (for --check). Writes nothing but the end of an interrupted run (finished or
    discarded first, as every command that reads the chart does)."""
    recover_interrupted(root)
    tree.add(LOCK_FILE, lock_text(tree))
    result = plan(tree, root, conflict=conflict)
    if not result.conflicts:
        missing = [rel for rel, text in result.records.items() if not _recorded(root, rel, text)]
        if missing:
            result.update.append(f"{STATE_DIR}/")
    return result


def drift(tree: FileTree, root: Path, select: Callable[[str], bool] | None = None) -> list[str]:
    """Files that `generate` (or, with `select`, `values`) would change or refuses to touch. Writes nothing."""
    if select is None:
        result = preview(tree, root)
    else:
        result = plan(_subset(tree, select), root, select=select)
    out = set(result.create + result.update + result.delete + result.unmerged) | {p for p, _ in result.conflicts}
    out.discard(LOCK_FILE)
    if select is None and (result.create or result.update or result.delete):
        lock = result.contents.get(LOCK_FILE)
        if lock is not None and _read(root / LOCK_FILE) != lock.encode("utf-8"):
            out.add(LOCK_FILE)
    return sorted(out)


def unresolved(root: Path) -> list[Unresolved]:
    """Conflict markers and pending .rej files that a `generate` left in the chart's generated files."""
    from chartgen.generate.unresolved import find

    return find(root, read_lock(root))
