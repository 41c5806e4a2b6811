"""Compiled regular expressions kept between processes: `re`'s own per-process cache, filled from disk at start-up.

Compiling the ~45 patterns a `chartgen new` process meets (PyYAML's reader and resolver, Jinja's lexer and utils,
chartgen's own) was ~12 ms, 8 % of the process (issue 27); building the same patterns from their compiled code is
0.2 ms. A compiled pattern is a pure function of (pattern text, flags) and of Python's regular expression compiler,
so the cache key covers exactly that (Bazel's rule): the interpreter's version string and the `_sre` engine's magic
number and code size, and the size and modification time of each source file of the `re` package (git's index
rule: a changed compiler is a different key, and the whole file is ignored).

`seed(command)` runs once at start-up (chartgen/entry.py), before anything compiles a pattern: every entry stored for
the command (`new`, `check` and `verify` have a file each, other command lines share one) is built
with `_sre.compile` (as `re._compiler.compile` ends) and put in `re`'s cache under the key `re.compile` looks up, so
`re.compile(text, flags)` anywhere in the process returns it without compiling; a pattern built this way compares
equal to a freshly compiled one (CPython's Pattern equality compares the compiled code; tests/core/
test_regex_cache.py checks every stored entry). `save()` runs as the process ends and stores the patterns compiled
since (their code computed again, once, by `re`'s own parser and code generator, and each entry stored only when the
pattern built from it equals the one `re` compiled), at most MAX_ENTRIES per file.

Like the other caches in $XDG_CACHE_HOME/chartgen, it can only cost time: an unreadable, stale or corrupt file, or an
interpreter whose `re` internals differ from CPython 3.11-3.13's, means patterns are compiled as usual; the file is
written whole (a temp file renamed into place); $CHARTGEN_NO_TEMPLATE_CACHE disables it, as it does the compiled
templates.
"""

from __future__ import annotations

import marshal
import os
import re
import sys
from typing import TYPE_CHECKING

from chartgen.core.user_cache import user_cache_folder

if TYPE_CHECKING:
    from typing import Any

MAX_ENTRIES = 256  # re's own cache holds 512 (3.11) or 512 + 256 (3.12+): seeding never evicts what it seeds
FORMAT = 1
GROUPS = ("new", "check", "verify")  # commands with a file of their own; every other command line shares "cli"
_RE_SOURCES = ("__init__.py", "_casefix.py", "_compiler.py", "_constants.py", "_parser.py")

# what seed() put in re's cache (keys) and read from the file, for save() to store only what the process compiled
_seeded: set[tuple[Any, ...]] = set()
_stored: list[tuple[Any, ...]] = []
_group = ["cli"]  # the file this process seeded from and saves to


def cache_file(group: str | None = None) -> str:
    """The file of a command's patterns (each command compiles its own set: `chartgen new` does not build `check`'s)."""
    return user_cache_folder("regex", f"{sys.implementation.cache_tag}-{group or _group[0]}.marshal")


def compiler_key() -> str | None:
    """What compiled code depends on, or None when it cannot be told (then nothing is read or written)."""
    try:
        import _sre

        folder = os.path.dirname(re.__file__)
        stamps = []
        for name in _RE_SOURCES:
            st = os.stat(os.path.join(folder, name))
            stamps.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        return "|".join([f"format {FORMAT}", sys.version, f"magic {_sre.MAGIC}", f"codesize {_sre.CODESIZE}",
                         f"maxunicode {sys.maxunicode}", *stamps])
    except (AttributeError, OSError, ImportError):
        return None


def _supported() -> bool:
    import _sre

    compiler, parser = getattr(re, "_compiler", None), getattr(re, "_parser", None)
    return (isinstance(getattr(re, "_cache", None), dict) and callable(getattr(_sre, "compile", None))
            and callable(getattr(compiler, "_code", None)) and callable(getattr(parser, "parse", None)))


def _disabled() -> bool:
    return bool(os.environ.get("CHARTGEN_NO_TEMPLATE_CACHE"))


def _read(path: str, key: str) -> list[tuple[Any, ...]]:
    """The file's entries when it was written under this key; [] for a missing, stale or malformed file."""
    try:
        with open(path, "rb") as fh:
            data = marshal.loads(fh.read())  # marshal.load(file) reads object by object: ~20x slower
    except (OSError, EOFError, ValueError, TypeError):
        return []
    if not (isinstance(data, tuple) and len(data) == 2 and data[0] == key and isinstance(data[1], list)):
        return []
    return data[1]


def _build(entry: Any) -> tuple[tuple[Any, ...], re.Pattern[Any]]:
    """(re's cache key, the pattern) from one stored entry; raises on anything malformed."""
    import _sre

    pattern, flags, final_flags, code, groups, groupindex, indexgroup = entry
    if type(pattern) not in (str, bytes) or type(flags) is not int or flags & re.DEBUG:
        raise ValueError("not a cacheable pattern")
    compiled = _sre.compile(pattern, final_flags, code, groups, groupindex, indexgroup)
    return (type(pattern), pattern, flags), compiled


def seed(command: str = "") -> int:
    """Put the patterns stored for this command (`chartgen COMMAND ...`) in re's cache; how many. Never raises."""
    _group[0] = command if command in GROUPS else "cli"
    if _disabled() or _seeded:
        return 0
    try:
        if not _supported():
            return 0
        key = compiler_key()
        if key is None:
            return 0
        entries = _read(cache_file(), key)
        built = [_build(entry) for entry in entries]  # all or nothing: one malformed entry voids the file
    except Exception:  # noqa: BLE001 - a cache can only cost time: compile as usual
        return 0
    cache = re._cache  # type: ignore[attr-defined]
    for cache_key, compiled in built:
        if cache_key not in cache:
            cache[cache_key] = compiled
        _seeded.add(cache_key)
    _stored.extend(entries)
    return len(built)


def _entry(cache_key: tuple[Any, ...]) -> tuple[Any, ...] | None:
    kind, pattern, flags = cache_key
    if kind not in (str, bytes) or type(pattern) is not kind or type(flags) is not int or flags & re.DEBUG:
        return None
    parsed = getattr(re, "_parser").parse(pattern, flags)  # noqa: B009 - internal: typeshed does not declare it
    code = getattr(re, "_compiler")._code(parsed, flags)  # noqa: B009
    state = parsed.state
    indexgroup: list[str | None] = [None] * state.groups
    for name, index in state.groupdict.items():
        indexgroup[index] = name
    return (pattern, flags, flags | state.flags, [int(c) for c in code], state.groups - 1, dict(state.groupdict),
            tuple(indexgroup))


def _verified(cache_key: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The entry to store for a pattern in re's cache, only when building it from the entry gives a pattern equal to
    the one `re` compiled (CPython compares patterns by flags, text and compiled code): an interpreter whose internals
    differ stores nothing wrong."""
    entry = _entry(cache_key)
    if entry is None:
        return None
    rebuilt_key, rebuilt = _build(entry)
    return entry if rebuilt_key == cache_key and rebuilt == re._cache.get(cache_key) else None  # type: ignore[attr-defined]


def save() -> int:
    """Store the patterns this process compiled that the file lacks; how many were added. A file that would hold more
    than MAX_ENTRIES starts again from this process's (patterns made from input, e.g. a chart's name, would otherwise
    fill it for good). Never raises."""
    if _disabled():
        return 0
    try:
        if not _supported():
            return 0
        fresh = [k for k in list(re._cache) if k not in _seeded]  # type: ignore[attr-defined]
        if not fresh:
            return 0
        key = compiler_key()
        if key is None:
            return 0
        path = cache_file()
        stored = _read(path, key) if not _stored else list(_stored)  # another process may have written it since
        known = {(type(e[0]), e[0], e[1]) for e in stored}
        added = [e for k in fresh if k not in known and (e := _verified(k)) is not None]
        if not added:
            return 0
        if len(stored) + len(added) > MAX_ENTRIES:
            stored, added = [], added[:MAX_ENTRIES]
        from chartgen.core.json_file import write_bytes_atomically

        if not write_bytes_atomically(path, marshal.dumps((key, stored + added))):
            return 0
        _seeded.update((type(e[0]), e[0], e[1]) for e in added)
        _stored[:] = stored + added
        return len(added)
    except Exception:  # noqa: BLE001 - a cache can only cost time
        return 0
