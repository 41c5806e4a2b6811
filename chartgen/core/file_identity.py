"""A file's identity as the kernel reports it, and when it is old enough to vouch for the file's content.

Declared once here, without heavy imports: the stat index (chartgen.core.stat_index), the read log
(chartgen.core.read_log) and the replay of a whole verify run (chartgen.verify.run_record) compare identities the
same way. Why an unchanged identity means unchanged content, and the racy rule: chartgen.core.stat_index.
"""

from __future__ import annotations

import os
import time

RACY_NS = 5_000_000_000  # a file's times must be this much older than the moment it was looked at

# [size, mtime_ns, ctime_ns, inode, device, mode]
Identity = tuple[int, int, int, int, int, int]


def identity(st: os.stat_result) -> Identity:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev, st.st_mode)


def identity_of(path: str) -> Identity | None:
    """The identity of the file at path, None when it cannot be stat'ed."""
    try:
        return identity(os.stat(path))
    except OSError:
        return None


def now_ns() -> int:
    return time.time_ns()
