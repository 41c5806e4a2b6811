"""Write a FileTree into a chart folder: all or nothing, and never over a file the user changed.

`.chartgen.lock` records the sha256 of every file chartgen wrote. On the next generate a file is replaced only
if it still has the recorded content (the user did not edit it); an edited or unknown file in the way is a
conflict, reported before anything is written. Files chartgen wrote before and no longer produces are removed,
again only when unedited.

write() applies a whole generated tree; write_subset() applies only some of its files (e.g. the values-<env>.yaml
files) and keeps every other file and lock entry as it is. A user file such as chartgen.yaml is written only when
the caller says which text it expects on disk (`expect`), so a concurrent edit is a conflict, not lost.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from chartgen.errors import WriteConflict
from chartgen.filetree import FileTree

LOCK_FILE = ".chartgen.lock"
USER_FILES = frozenset({"chartgen.yaml"})


@dataclass
class Plan:
    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)

    @property
    def changed(self) -> list[str]:
        return sorted(self.create + self.update + self.delete)


def read_lock(root: Path) -> dict[str, str]:
    path = root / LOCK_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return dict(data.get("files", {}))
    except (ValueError, AttributeError):
        return {}


def _lock_json(files: Mapping[str, str]) -> str:
    return json.dumps({"generator": "chartgen", "files": dict(files)}, indent=2, sort_keys=True) + "\n"


def lock_text(tree: FileTree) -> str:
    return _lock_json({p: FileTree.digest(t) for p, t in tree if p not in USER_FILES and p != LOCK_FILE})


def plan(tree: FileTree, root: Path, *, select: Callable[[str], bool] | None = None,
         expect: Mapping[str, str] | None = None) -> Plan:
    """What writing `tree` into `root` would do. With `select`, lock entries it rejects are never deleted.

    `expect` maps user files in `tree` (chartgen.yaml) to the text the caller read from them: such a file is
    replaced only while it still holds exactly that text.
    """
    lock = read_lock(root)
    expect = expect or {}
    result = Plan()
    for rel, text in tree:
        target = root / rel
        if rel in expect:
            if not target.is_file():
                result.conflicts.append((rel, "was removed while chartgen was editing it"))
            elif target.read_bytes() == text.encode("utf-8"):
                result.unchanged.append(rel)
            elif target.read_bytes() == expect[rel].encode("utf-8"):
                result.update.append(rel)
            else:
                result.conflicts.append((rel, "changed while chartgen was editing it"))
            continue
        if not target.exists():
            result.create.append(rel)
            continue
        current = target.read_bytes()
        if current == text.encode("utf-8"):
            result.unchanged.append(rel)
        elif rel == LOCK_FILE or lock.get(rel) == FileTree.digest(current):
            result.update.append(rel)
        elif rel in lock:
            result.conflicts.append((rel, "edited since chartgen wrote it"))
        else:
            result.conflicts.append((rel, "exists and was not written by chartgen"))
    for rel in sorted(set(lock) - set(tree.paths())):
        if select is not None and not select(rel):
            continue
        target = root / rel
        if target.is_file():
            if FileTree.digest(target.read_bytes()) == lock[rel]:
                result.delete.append(rel)
            else:
                result.conflicts.append((rel, "no longer generated but edited; remove it yourself"))
    return result


def write(tree: FileTree, root: Path, *, force: bool = False, expect: Mapping[str, str] | None = None) -> Plan:
    """Apply `tree` to `root`. Raises WriteConflict (writing nothing) when a user-edited file is in the way.

    `expect`: user files in `tree` to replace, each with the text the caller read from it (see plan()).
    """
    tree.add(LOCK_FILE, lock_text(tree))
    return _apply(tree, root, plan(tree, root, expect=expect), force)


def write_subset(tree: FileTree, root: Path, select: Callable[[str], bool], *, force: bool = False) -> Plan:
    """Apply only the files of the generated `tree` that `select` accepts, with write()'s conflict protection.

    Selected files chartgen wrote before and `tree` no longer has are removed (when unedited). Every other file,
    and its lock entry, is left exactly as it is; the lock records the new digests of the files written.
    """
    subset = FileTree()
    for rel, text in tree:
        if rel != LOCK_FILE and rel not in USER_FILES and select(rel):
            subset.add(rel, text)
    files = {p: d for p, d in read_lock(root).items() if not select(p)}
    files.update({p: FileTree.digest(t) for p, t in subset})
    subset.add(LOCK_FILE, _lock_json(files))
    return _apply(subset, root, plan(subset, root, select=select), force)


def _apply(tree: FileTree, root: Path, result: Plan, force: bool) -> Plan:
    # --force overrides generated files only: a user file (chartgen.yaml) changed under us is never overwritten.
    if result.conflicts and (not force or any(p in USER_FILES for p, _ in result.conflicts)):
        first, reason = next(((p, r) for p, r in result.conflicts if p in USER_FILES), result.conflicts[0])
        more = f" (and {len(result.conflicts) - 1} more)" if len(result.conflicts) > 1 else ""
        raise WriteConflict(str(root / first), None,
                            f"{reason}; refusing to overwrite{more}. Move it aside or use --force")
    if force:
        result.update.extend(p for p, _ in result.conflicts if p in tree)
        result.delete.extend(p for p, _ in result.conflicts if p not in tree)
        result.conflicts = []
    # Stage every file first, then move into place: a failure while staging leaves the chart untouched.
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".chartgen-", dir=root))
    try:
        for rel in result.create + result.update:
            staged = staging / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_text(tree[rel], encoding="utf-8")
        for rel in result.create + result.update:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, target)
        for rel in result.delete:
            (root / rel).unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def drift(tree: FileTree, root: Path, select: Callable[[str], bool] | None = None) -> list[str]:
    """Files that differ between `tree` and `root` (for --check). Writes nothing.

    With `select`, only the files it accepts are compared (the lock file is then not compared).
    """
    if select is None:
        tree.add(LOCK_FILE, lock_text(tree))
    else:
        subset = FileTree()
        for rel, text in tree:
            if rel != LOCK_FILE and rel not in USER_FILES and select(rel):
                subset.add(rel, text)
        tree = subset
    out = []
    for rel, text in tree:
        target = root / rel
        if not target.is_file() or target.read_bytes() != text.encode("utf-8"):
            out.append(rel)
    for rel in sorted(set(read_lock(root)) - set(tree.paths())):
        if (select is None or select(rel)) and (root / rel).exists():
            out.append(rel)
    return sorted(out)


def write_new(tree: FileTree, root: Path) -> None:
    """Create a brand-new chart folder atomically: build it beside, then rename. Refuses an existing folder."""
    if root.exists() and any(root.iterdir()):
        raise WriteConflict(str(root), None, "already exists and is not empty; choose another --output or name")
    tree.add(LOCK_FILE, lock_text(tree))
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    staging.chmod(0o755)
    try:
        for rel, text in tree:
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_text(text, encoding="utf-8")
        if root.exists():
            root.rmdir()
        os.replace(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

