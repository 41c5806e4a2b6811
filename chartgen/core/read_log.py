"""What a run looked at on the file system, as it looked: the proof a later run needs to reuse the whole answer.

ccache's manifest and Bazel's action key, for a warm `chartgen verify` (chartgen.verify.run_record): while a log is
recording, every look at the file system that a verify answer depends on (discovery's folders, every file of every
chart, the check configurations searched for, the CRD files, helm, chartgen's own code and its dependencies'
metadata) is noted here with what it saw. A later run that looks again, in the same way, and sees the same thing
everywhere, would compute the same keys and so print the same answer.

The kinds of look, each observed the same way when recorded (by the code that reads) and when checked (`look`):
  stat   os.stat (links followed): the file's identity (chartgen.core.file_identity), None when missing
  lstat  os.lstat: the same, of the link itself
  list   os.listdir, sorted
  dirs   os.scandir, sorted: (every name, the names of folders, links to folders included)
  real   os.path.realpath
  exec   a file the user may execute (is a file, os.access X_OK)
  which  shutil.which

A log is recorded by one thread (a verify run keys its charts one after another); the code that reads calls the
`note_*` functions, which do nothing unless a log is recording. A look that saw two different things in one run
(a file changed while the run read it) makes the log unsteady: it then proves nothing. Only os and time are
imported: a replay checks a log before anything else of chartgen is loaded.
"""

from __future__ import annotations

import marshal
import os
from stat import S_ISDIR, S_ISREG

from chartgen.core.file_identity import RACY_NS, identity, now_ns

TYPE_CHECKING = False  # typing is not imported at run time: a replay loads as little as it can
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from chartgen.core.file_identity import Identity

    Looks = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # ((folder + "/", ((kind, name), ...)), ...)

STAT, LSTAT, LIST, DIRS, REAL, EXEC, WHICH = "stat", "lstat", "list", "dirs", "real", "exec", "which"

class ReadLog:
    """The looks of one run, in the order they were first made."""

    def __init__(self) -> None:
        self.started = now_ns()  # before the first look: the identities vouch from here (the racy rule)
        self.seen: dict[tuple[str, str], Any] = {}
        self.steady = True  # False: a look saw two things, or the run read something it could not note
        self._outer: ReadLog | None = None  # the log that was recording when this one began (restored at its end)

    def note(self, kind: str, path: str, value: Any) -> None:
        k = (kind, path)
        if k not in self.seen:
            self.seen[k] = value
        elif self.seen[k] != value:
            self.steady = False
        if kind in (LIST, DIRS):  # one folder listed both ways must show the same names
            other = self.seen.get((DIRS if kind == LIST else LIST, path))
            if other is not None and (other if kind == DIRS else other[0]) != (value if kind == LIST else value[0]):
                self.steady = False

    def looks(self) -> tuple[Looks, bytes]:
        """The looks, grouped by folder (`Looks`), and what they saw, in that order, as `seen_now` spells it."""
        groups: dict[str, list[tuple[str, str]]] = {}
        values: dict[str, list[Any]] = {}
        for (kind, path), value in self.seen.items():
            if kind == LIST and (DIRS, path) in self.seen:  # the folder's names are in its `dirs` look
                continue
            cut = path.rfind("/") + 1
            head = path[:cut]
            groups.setdefault(head, []).append((kind, path[cut:]))
            values.setdefault(head, []).append(value)
        grouped = tuple((head, tuple(items)) for head, items in groups.items())
        return grouped, marshal.dumps([v for head in groups for v in values[head]], 2)

    def newest(self) -> int:
        """The latest modification or change time of anything looked at (ns)."""
        return max((max(v[1], v[2]) for (kind, _), v in self.seen.items() if kind in (STAT, LSTAT) and v), default=0)

    def proves(self) -> bool:
        """Steady, and every identity seen old enough (RACY_NS) when the run began: a later change to any of these
        files gives it another identity."""
        return self.steady and self.newest() + RACY_NS <= self.started

    def merge(self, other: ReadLog) -> None:
        """Note every look of `other` as it saw it (a sight that differs from this log's makes it unsteady)."""
        for (kind, path), value in other.seen.items():
            self.note(kind, path, value)
        if not other.steady:
            self.steady = False

    def __enter__(self) -> ReadLog:
        global _active
        self._outer, _active = _active, self
        return self

    def __exit__(self, *exc: object) -> None:
        global _active
        _active, self._outer = self._outer, None


_active: ReadLog | None = None


def recording() -> bool:
    return _active is not None


def note_stat(path: str | os.PathLike[str], st: os.stat_result | None) -> None:
    if _active is not None:
        _active.note(STAT, os.fspath(path), None if st is None else identity(st))


def note_lstat(path: str | os.PathLike[str], st: os.stat_result | None) -> None:
    if _active is not None:
        _active.note(LSTAT, os.fspath(path), None if st is None else identity(st))


def note_list(path: str | os.PathLike[str], names: list[str]) -> None:
    if _active is not None:
        _active.note(LIST, os.fspath(path), tuple(sorted(names)))


def note_dirs(path: str | os.PathLike[str], names: Sequence[str], folders: Sequence[str]) -> None:
    if _active is not None:
        _active.note(DIRS, os.fspath(path), (tuple(sorted(names)), tuple(sorted(folders))))


def note_real(path: str | os.PathLike[str], resolved: str | os.PathLike[str]) -> None:
    if _active is not None:
        _active.note(REAL, os.fspath(path), os.fspath(resolved))


def note_exec(path: str | os.PathLike[str], ok: bool) -> None:
    if _active is not None:
        _active.note(EXEC, os.fspath(path), ok)


def note_which(name: str, found: str | None) -> None:
    if _active is not None:
        _active.note(WHICH, name, found)


def note_log(log: ReadLog) -> None:
    """Note in the recording log the looks of `log`: what a value kept from an earlier computation was computed from
    (the value is only as current as those looks; a later replay looks at them again)."""
    if _active is not None and _active is not log:
        _active.merge(log)


def note_unsure() -> None:
    """The run read something in a way no look describes (the log then proves nothing)."""
    if _active is not None:
        _active.steady = False


def stat_or_none(path: str | os.PathLike[str], quiet: bool = False) -> os.stat_result | None:
    """os.stat (links followed), noted; None when the path is missing. Other errors are raised, or with `quiet`
    taken as missing, as os.path.isfile does (the log then proves nothing: not every error is lasting)."""
    try:
        st: os.stat_result | None = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        st = None
    except OSError:
        if not quiet:
            raise
        note_unsure()
        return None
    note_stat(path, st)
    return st


def is_dir(path: str | os.PathLike[str], quiet: bool = False) -> bool:
    """os.path.isdir (links followed) through stat_or_none."""
    st = stat_or_none(path, quiet)
    return st is not None and S_ISDIR(st.st_mode)


def is_file(path: str | os.PathLike[str], quiet: bool = False) -> bool:
    """os.path.isfile (links followed) through stat_or_none."""
    st = stat_or_none(path, quiet)
    return st is not None and S_ISREG(st.st_mode)


def realpath(path: str | os.PathLike[str]) -> str:
    """os.path.realpath (what Path.resolve() returns), noted."""
    out = os.path.realpath(path)
    note_real(path, out)
    return out


# --- looking again ---------------------------------------------------------------------------------------------

ERROR = "\0error"  # what a look that failed otherwise than "missing" sees: no path, name or identity is this


def _stat_of(fn: Callable[[str], os.stat_result], path: str) -> Identity | None | object:
    try:
        return identity(fn(path))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return ERROR


def _dirs(path: str) -> Any:
    with os.scandir(path) as it:
        entries = sorted(it, key=lambda e: e.name)
        return tuple(e.name for e in entries), tuple(e.name for e in entries if e.is_dir())


def _exec(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)


_LOOK: dict[str, Callable[[str], Any]] = {  # kind -> how to look
    STAT: lambda p: _stat_of(os.stat, p),
    LSTAT: lambda p: _stat_of(os.lstat, p),
    LIST: lambda p: tuple(sorted(os.listdir(p))),
    DIRS: _dirs,
    REAL: os.path.realpath,
    EXEC: _exec,
    WHICH: _which,
}


def look(kind: str, path: str) -> Any:
    """What the same look sees now (ERROR when it fails)."""
    try:
        return _LOOK[kind](path)
    except (OSError, KeyError, ValueError):
        return ERROR


def seen_now(looks: Looks) -> bytes:
    """What the same looks see now, spelled as ReadLog.looks spells what they saw (marshal version 2: no
    back-references, so equal values give equal bytes); a look that fails sees ERROR, which nothing recorded is."""
    stat = os.stat
    out: list[Any] = []
    add = out.append
    for head, items in looks:
        for kind, tail in items:
            path = head + tail
            if kind == STAT:  # the common look (every file of every chart), without a call per kind
                try:
                    add(identity(stat(path)))
                except (FileNotFoundError, NotADirectoryError):
                    add(None)
                except OSError:
                    add(ERROR)
            else:
                add(look(kind, path))
    return marshal.dumps(out, 2)
