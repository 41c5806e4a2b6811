"""A whole warm `chartgen verify` answer, replayed while everything it looked at is unchanged (issue 27).

A verify run whose every chart is in the cache prints an answer decided by its cache keys, and the keys by what the
run looked at: discovery's folders, every file of every chart, the check configurations searched for, the CRD
files, helm, chartgen's own code and data and its dependencies' metadata (chartgen.core.read_log notes each look).
When such a run ends, its record is stored: the looks, in order, and what it printed. A later run with the same
record key (the same command line, working directory, environment, Python, sys.path and terminal) looks again
(`read_log.all_same`: a stat per file, a listing per folder) and, when everything is as it was, prints the same
answer, without importing the rest of chartgen, keying 100 charts or loading their results (ccache's manifest;
Bazel's action key).

When unsure, no record: a record is stored only when the log is steady (no look saw two things, nothing was read
that a look cannot repeat: a helm that is a script, importlib.metadata, an interrupted write's recovery) and every
identity it holds was old enough when the looks began (the stat index's racy rule), never from a run in CI (its
progress lines are not kept), and only for the plain command lines chartgen.verify.verify_argv runs. After a run
that verified charts, the record comes from a second, cached pass over the same command line (`record_after`), so
it holds what a warm run would print.

Records live in the verify cache's runs/ folder (KEEP of them, newest first), one file per record key, written
whole (temp file + rename) in marshal's format, read as Python reads its own bytecode cache (a file of the user's
cache, never run): a record that is missing, damaged, foreign or of another format is simply not used. Only os,
sys, io, marshal and zlib are imported until a record answers.
"""

from __future__ import annotations

import io
import marshal
import os
import sys

from chartgen.core import read_log

FORMAT = 1  # bump when the record's shape or the looks change: older records are then never used
KEEP = 16

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, Any

    from chartgen.verify.command import VerifyArgs


def record_key(argv: list[str]) -> str | None:
    """Everything outside the looks that the answer may depend on (the command line, the working directory, the
    environment, Python, sys.path, whether stdout is a terminal); None when the working directory is gone."""
    import chartgen

    try:
        cwd = os.getcwd()
    except OSError:
        return None
    return repr((FORMAT, chartgen.__version__, sys.executable, sys.version, sys.path, cwd, argv,
                 sorted(os.environ.items()), _isatty(sys.stdout)))


def _file_name(key: str) -> str:
    """The record's file name: a checksum of its key (the record holds the whole key, compared on use; zlib, not
    hashlib, whose import alone is a twentieth of a replay)."""
    import zlib

    return f"{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}"


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _folder() -> str:
    from chartgen.core.user_cache import verify_cache_folder

    return os.path.join(verify_cache_folder(), "runs")


def replay(argv: list[str]) -> None:
    """Print the recorded answer of `chartgen verify ARGV` and end the process with its exit code, when a record
    holds it and every look sees what it saw; else return (nothing printed)."""
    key = record_key(argv)
    if key is None:
        return
    try:
        with open(os.path.join(_folder(), _file_name(key)), "rb") as fh:
            fmt, stored_key, looks, seen, out, code = marshal.loads(fh.read())
        if fmt != FORMAT or stored_key != key or type(out) is not str or code not in (0, 1) \
                or read_log.seen_now(looks) != seen:
            return
    except Exception:  # noqa: BLE001 - a missing, damaged or foreign record is only a miss
        return
    try:
        sys.stdout.write(out)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: exit 1 quietly, as the other commands do
        os._exit(1)
    os._exit(code)


class Capture(io.StringIO):
    """A text stream that keeps what is written, and answers isatty() as `real` does (the report's colours)."""

    def __init__(self, real: IO[str]) -> None:
        super().__init__()
        self.real = real

    def isatty(self) -> bool:
        return _isatty(self.real)

    def text(self) -> str:
        return self.getvalue()


def store(key: str | None, log: read_log.ReadLog, out: str, code: int) -> None:
    """Keep the record of a run that printed `out` and ended with `code`, when its log proves it (a failure to
    write is no error: the next run is only not replayed)."""
    if key is None or code not in (0, 1) or os.environ.get("CI") or not log.proves():
        return
    from chartgen.core.json_file import write_bytes_atomically

    folder = _folder()
    looks, seen = log.looks()
    write_bytes_atomically(os.path.join(folder, _file_name(key)), marshal.dumps((FORMAT, key, looks, seen, out, code)))
    _prune(folder)


def _prune(folder: str) -> None:
    try:
        with os.scandir(folder) as it:
            records = sorted((e for e in it if e.is_file() and len(e.name) == 8), key=lambda e: e.stat().st_mtime_ns,
                             reverse=True)
        for old in records[KEEP:]:
            os.unlink(old.path)
    except OSError:
        pass


def record_after(args: VerifyArgs, key: str | None, real_out: IO[str], first: read_log.ReadLog) -> None:
    """After a run that verified charts: look at everything again as a warm run would, and keep that run's record
    when every chart is now in the cache (nothing is printed). `first`: the log of the run's own first look; when
    something in it is still too young to vouch for its content, so would the second look be: no record. Nor when the
    first look was not steady (e.g. helm is a script, a version manager's shim, whose version is asked every time):
    the second would not prove a record either, and would ask helm for its version again."""
    from chartgen.core.errors import ChartgenError
    from chartgen.verify.command import plan, run_verify_cached
    from chartgen.verify.results import Progress

    if key is None or os.environ.get("CI") or not first.steady \
            or first.newest() + read_log.RACY_NS > read_log.now_ns():
        return
    shown = Capture(real_out)
    try:
        with read_log.ReadLog() as log:
            code = run_verify_cached(args, shown, plan(args), Progress())
    except (ChartgenError, OSError):  # something changed since the run: no record (the run's answer stands)
        return
    if code is not None:
        store(key, log, shown.text(), code)
