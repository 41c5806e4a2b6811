"""`chartgen new`'s chart folder: a brand-new chart written beside its place and renamed into it, all or nothing.

Apart from chartgen/generate/writer.py (which plans changes to an existing chart and applies them as a transaction),
so that creating a chart imports neither the planner nor the transaction machinery (start-up, issue 27).
"""

from __future__ import annotations

from pathlib import Path

from chartgen.core.errors import WriteConflict, from_os_error
from chartgen.generate.filetree import FileTree
from chartgen.generate.lockfile import BASE_DIR, LOCK_FILE, lock_json

USER_FILES = frozenset({"chartgen.yaml"})  # the user's files in a chart folder: never generated, never in the lock


def lock_text(tree: FileTree) -> str:
    return lock_json({p: FileTree.digest(t) for p, t in tree if p not in USER_FILES and p != LOCK_FILE})


def write_new(tree: FileTree, root: Path) -> None:
    """Create a brand-new chart folder atomically: build it beside, then rename. Refuses an existing folder."""
    import os
    import shutil
    import tempfile

    try:
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise WriteConflict(str(root), None, "already exists and is not empty; choose another --output or name")
        tree.add(LOCK_FILE, lock_text(tree))
        for rel, text in list(tree):
            if rel not in USER_FILES and rel != LOCK_FILE:
                tree.add(f"{BASE_DIR}/{rel}", text)
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    except OSError as exc:
        raise from_os_error(exc, str(root), "create the chart folder") from None
    try:
        staging.chmod(0o755)
        base = str(staging)
        for folder in sorted({os.path.dirname(rel) for rel, _ in tree} - {""}):
            os.makedirs(os.path.join(base, folder), exist_ok=True)
        for rel, text in tree:
            with open(os.path.join(base, rel), "wb") as fh:  # the bytes text mode would write, without its layers
                fh.write(text.encode("utf-8"))
        if root.exists():
            root.rmdir()
        os.replace(staging, root)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            raise from_os_error(exc, str(root), "create the chart (nothing was created)") from None
        raise
