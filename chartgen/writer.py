"""Write a FileTree into a chart folder: all or nothing, and never over a file the user changed.

`.chartgen.lock` records the sha256 of every file chartgen wrote. On the next generate a file is replaced only
if it still has the recorded content (the user did not edit it); an edited or unknown file in the way is a
conflict, reported before anything is written. Files chartgen wrote before and no longer produces are removed,
again only when unedited.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
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


def lock_text(tree: FileTree) -> str:
    files = {p: FileTree.digest(t) for p, t in tree if p not in USER_FILES and p != LOCK_FILE}
    return json.dumps({"generator": "chartgen", "files": files}, indent=2, sort_keys=True) + "\n"


def plan(tree: FileTree, root: Path) -> Plan:
    lock = read_lock(root)
    result = Plan()
    for rel, text in tree:
        target = root / rel
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
        target = root / rel
        if target.is_file():
            if FileTree.digest(target.read_bytes()) == lock[rel]:
                result.delete.append(rel)
            else:
                result.conflicts.append((rel, "no longer generated but edited; remove it yourself"))
    return result


def write(tree: FileTree, root: Path, *, force: bool = False) -> Plan:
    """Apply `tree` to `root`. Raises WriteConflict (writing nothing) when a user-edited file is in the way."""
    tree.add(LOCK_FILE, lock_text(tree))
    result = plan(tree, root)
    if result.conflicts and not force:
        first, reason = result.conflicts[0]
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


def drift(tree: FileTree, root: Path) -> list[str]:
    """Files that differ between `tree` and `root` (for --check). Writes nothing."""
    tree.add(LOCK_FILE, lock_text(tree))
    out = []
    for rel, text in tree:
        target = root / rel
        if not target.is_file() or target.read_bytes() != text.encode("utf-8"):
            out.append(rel)
    for rel in sorted(set(read_lock(root)) - set(tree.paths())):
        if (root / rel).exists():
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

