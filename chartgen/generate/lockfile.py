""".chartgen.lock: which files chartgen generated (sha256 of what it wrote) and with which chartgen version.

The lock is input like any other: read_lock() refuses (LockError, exit 2) anything that is not exactly what
chartgen writes. Every path is normalised and must name a file inside the chart, outside chartgen's own folders.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path, PurePosixPath

from chartgen import __version__
from chartgen.core.chart_layout import SNAPSHOT_DIR
from chartgen.core.errors import LockError, UnsafePath
from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.core.record import Record, record

LOCK_FILE = ".chartgen.lock"
STATE_DIR = ".chartgen"  # what chartgen last generated: .chartgen/base/<path> (helmignored)
BASE_DIR = f"{STATE_DIR}/base"
STAGING_DIR = ".chartgen-staging"  # an interrupted run's staged files; the next run finishes or removes it
SPEC_FILE = "chartgen.yaml"
REJECT_SUFFIX = ".rej"  # chartgen's change it could not merge, left for the user (never recorded)
_DIGEST = lazy_pattern(r"^[0-9a-f]{64}$")
_REMEDY = "delete it to start over (chartgen then treats every existing file as yours)"


@record
class Lock(Record):
    """The chart's lock file: the digest of every file chartgen wrote, as last written."""

    files: Mapping[str, str] = field(default_factory=dict)  # chart-relative path -> sha256 of the generated text
    version: str | None = None  # chartgen version that wrote it (None: an older lock without one)


def lock_json(files: Mapping[str, str]) -> str:
    body = {"generator": "chartgen", "version": __version__, "files": dict(sorted(files.items()))}
    return json.dumps(body, indent=2) + "\n"


def normalise(rel: str) -> str | None:
    """`rel` as a clean relative POSIX path, or None when it is absolute, empty or leaves the chart."""
    if not rel or "\0" in rel or "\\" in rel or rel.startswith("/"):
        return None
    parts = [p for p in PurePosixPath(rel).parts if p != "."]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def reserved(rel: str) -> bool:
    """A path chartgen never generates: its own state (.chartgen*), the spec, snapshots, .rej files."""
    return (rel.split("/", 1)[0].startswith(".chartgen") or rel == SPEC_FILE
            or rel.startswith(f"{SNAPSHOT_DIR.as_posix()}/") or rel.endswith(REJECT_SUFFIX))


def read_lock(root: Path) -> Lock:
    path = root / LOCK_FILE
    where = str(path)
    try:
        st = path.lstat()
    except FileNotFoundError:
        return Lock()
    except OSError as exc:
        raise LockError(where, None, f"cannot read: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePath(where, None, "is a symbolic link; chartgen never reads or writes its lock through a "
                                      "link. Replace it with the file itself")
    if not stat.S_ISREG(st.st_mode):
        raise LockError(where, None, f"corrupt lock: is a folder or special file, not a file; {_REMEDY}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise LockError(where, None, f"corrupt lock: not UTF-8 text; {_REMEDY}") from None
    except json.JSONDecodeError as exc:
        raise LockError(where, None, f"corrupt lock: not valid JSON ({exc.msg}); {_REMEDY}", exc.lineno) from None
    except OSError as exc:
        raise LockError(where, None, f"cannot read: {exc.strerror}") from None
    return _parse(data, where)


def _parse(data: object, where: str) -> Lock:
    if not isinstance(data, dict):
        raise LockError(where, None, f"corrupt lock: expected a JSON object with 'files'; {_REMEDY}")
    files = data.get("files", {})
    if not isinstance(files, dict):
        raise LockError(where, "files", f"corrupt lock: expected an object of path -> sha256; {_REMEDY}")
    version = data.get("version")
    if version is not None and not isinstance(version, str):
        raise LockError(where, "version", f"corrupt lock: expected a string; {_REMEDY}")
    out: dict[str, str] = {}
    for rel, digest in files.items():
        clean = normalise(rel)
        if clean is None:
            raise LockError(where, f"files[{rel!r}]", "corrupt lock: the path must be relative and stay inside "
                                                      f"the chart (no '..', no absolute path); {_REMEDY}")
        if reserved(clean):
            raise LockError(where, f"files[{rel!r}]", "corrupt lock: chartgen never generates this path (its "
                            "own state, chartgen.yaml, snapshots and .rej files are never in the lock); "
                            f"{_REMEDY}")
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise LockError(where, f"files[{rel!r}]", f"corrupt lock: expected a sha256 hex digest; {_REMEDY}")
        if clean in out:
            raise LockError(where, f"files[{rel!r}]", f"corrupt lock: the path is listed twice; {_REMEDY}")
        out[clean] = digest
    return Lock(out, version)
