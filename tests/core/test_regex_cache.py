"""chartgen/core/regex_cache.py: compiled patterns kept between processes. A pattern built from the cache must be the
pattern `re` compiles (CPython's Pattern equality compares flags, text and compiled code), and a stale, damaged or
foreign cache must only cost compiling."""

from __future__ import annotations

import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chartgen.core import regex_cache

PATTERNS: list[tuple[str | bytes, int]] = [
    (r"(?P<name>[a-z0-9]([-a-z0-9]*[a-z0-9])?)\.(?P<rest>.*)", 0),
    (r"[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]", 0),  # PyYAML's reader
    (r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$", 0),
    (r"(?i)straße|ǅ", 0),
    (r"  a  b  # verbose\n c", re.VERBOSE),
    (r"^\d+(\.\d+)?(ms|s|m|h)$", re.MULTILINE | re.IGNORECASE),
    (rb"\x00[\x80-\xff]+", 0),
    (r"(a)(?:b)(?P<c>c)?\1", re.ASCII),
]

PROCESS = """
import json, os, re, sys
import re._compiler as compiler
from chartgen.core import regex_cache
compiled = []
real = compiler.compile
def counting(p, flags=0):
    compiled.append(p if isinstance(p, str) else repr(p))
    return real(p, flags)
compiler.compile = counting
regex_cache.MAX_ENTRIES = int(os.environ.get("PROBE_MAX_ENTRIES", regex_cache.MAX_ENTRIES))
seeded = regex_cache.seed()
patterns = [(p.encode("latin-1") if kind == "bytes" else p, f) for p, f, kind in json.loads(sys.argv[1])]
same = [re.compile(p, f) == real(p, f) for p, f in patterns]
saved = regex_cache.save()
print(json.dumps({"seeded": seeded, "compiled": compiled, "same": same, "saved": saved}))
"""


def run(tmp_path: Path, patterns=PATTERNS, **env: str) -> dict:
    arg = json.dumps([(p.decode("latin-1") if isinstance(p, bytes) else p, f,
                       "bytes" if isinstance(p, bytes) else "str") for p, f in patterns])
    done = subprocess.run([sys.executable, "-c", PROCESS, arg], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path), **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cache_file(tmp_path: Path, group: str = "cli") -> Path:
    return tmp_path / "chartgen" / "regex" / f"{sys.implementation.cache_tag}-{group}.marshal"


def test_a_second_process_compiles_none_of_the_stored_patterns_and_gets_the_same_ones(tmp_path):
    first = run(tmp_path)
    assert first["seeded"] == 0 and first["saved"] >= len(PATTERNS) and all(first["same"])
    assert len(first["compiled"]) >= len(PATTERNS)
    second = run(tmp_path)
    assert second["seeded"] == first["saved"]
    assert second["compiled"] == []  # not one pattern compiled: every re.compile was answered from the cache
    assert second["same"] == [True] * len(PATTERNS) and second["saved"] == 0


def test_a_new_pattern_is_added_to_the_stored_ones(tmp_path):
    run(tmp_path, PATTERNS[:2])
    later = run(tmp_path, PATTERNS)
    new = [p if isinstance(p, str) else repr(p) for p, _ in PATTERNS[2:]]
    assert sorted(later["compiled"]) == sorted(new)  # only the patterns the first process did not meet
    assert later["saved"] == len(new)
    assert run(tmp_path)["compiled"] == []


def test_every_pattern_a_chartgen_process_stores_is_the_one_re_compiles(tmp_path):
    """What `chartgen new` and `chartgen check` store (PyYAML's, Jinja's, chartgen's patterns ...), rebuilt as the
    next process does it, against a fresh compile of each."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    exe = str(Path(sys.executable).parent / "chartgen")
    subprocess.run([exe, "new", "web", "--image", "nginx:1.27", "--no-input", "-o", str(tmp_path)], env=env,
                   check=True, capture_output=True, timeout=120)
    subprocess.run([exe, "check", str(tmp_path / "web" / "values.yaml")], env=env, capture_output=True, timeout=120)
    new_key, new_entries = marshal.loads(cache_file(tmp_path, "new").read_bytes())
    check_key, check_entries = marshal.loads(cache_file(tmp_path, "check").read_bytes())
    assert new_key == check_key == regex_cache.compiler_key()
    assert len(new_entries) >= 30 and len(check_entries) >= 30
    for entry in new_entries + check_entries:
        cache_key, built = regex_cache._build(entry)
        _, pattern, flags = cache_key
        compiled = re._compiler.compile(pattern, flags)  # type: ignore[attr-defined]
        assert built == compiled, pattern  # flags, text and compiled code
        assert (built.groups, built.groupindex) == (compiled.groups, compiled.groupindex), pattern


def test_a_pattern_whose_rebuilt_code_differs_is_not_stored(tmp_path, monkeypatch):
    """save() rebuilds each entry and stores it only if it equals what `re` compiled: an interpreter whose
    internals differ (here: a code generator that answers something else) stores nothing wrong."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(regex_cache, "_seeded", set())
    monkeypatch.setattr(regex_cache, "_stored", [])
    real_entry = regex_cache._entry

    def wrong(cache_key):
        entry = real_entry(cache_key)
        if entry is None:
            return None
        other = real_entry((str, "zz+", 0)) if cache_key[0] is str else real_entry((bytes, b"zz+", 0))
        return (*entry[:3], other[3], *entry[4:])  # type: ignore[index]

    monkeypatch.setattr(regex_cache, "_entry", wrong)
    re.compile(r"chartgen-test-[0-9]+x")
    assert regex_cache.save() == 0
    assert not cache_file(tmp_path).exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other key", "bad entry", "bad code", "debug flag"])
def test_a_stale_or_damaged_cache_is_not_used(tmp_path, damage):
    run(tmp_path)
    path = cache_file(tmp_path)
    key, entries = marshal.loads(path.read_bytes())
    first = list(entries[0])
    if damage == "garbage":
        path.write_bytes(b"not marshal at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "other key":  # another Python, or an edited `re` package
        path.write_bytes(marshal.dumps((key.replace("format 1", "format 0"), entries)))
    elif damage == "bad entry":
        path.write_bytes(marshal.dumps((key, [*entries, ("only", "three", "items")])))
    elif damage == "bad code":  # _sre refuses code that is not well formed
        first[3] = [999999, 1, 2]
        path.write_bytes(marshal.dumps((key, [tuple(first), *entries[1:]])))
    else:
        first[1] = int(re.DEBUG)
        path.write_bytes(marshal.dumps((key, [tuple(first), *entries[1:]])))
    again = run(tmp_path)
    assert again["seeded"] == 0  # all or nothing: one bad entry voids the file
    assert again["same"] == [True] * len(PATTERNS)
    assert len(again["compiled"]) >= len(PATTERNS)


def test_the_key_covers_the_interpreter_and_the_re_package(tmp_path):
    key = regex_cache.compiler_key()
    assert key is not None
    assert sys.version in key
    for name in regex_cache._RE_SOURCES:
        st = os.stat(os.path.join(os.path.dirname(re.__file__), name))
        assert f"{name}:{st.st_size}:{st.st_mtime_ns}" in key


def test_disabled_with_the_template_cache_variable(tmp_path):
    done = run(tmp_path, CHARTGEN_NO_TEMPLATE_CACHE="1")
    assert done["saved"] == 0 and not cache_file(tmp_path).exists()
    run(tmp_path)
    assert run(tmp_path, CHARTGEN_NO_TEMPLATE_CACHE="1")["seeded"] == 0


def test_an_unwritable_cache_only_costs_compiling(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    done = run(blocker)  # XDG_CACHE_HOME is a file: the folder cannot be made
    assert done["saved"] == 0 and all(done["same"])


def test_a_full_file_starts_again_from_the_last_process_patterns(tmp_path):
    """Patterns made from input (a chart's name in a pattern) would otherwise fill the file for good."""
    cap = [(f"chartgen-cap-{i}-[a-z]+", 0) for i in range(6)]
    first = run(tmp_path, cap[:3])
    _, entries = marshal.loads(cache_file(tmp_path).read_bytes())
    assert first["saved"] == len(entries) >= 3
    second = run(tmp_path, cap[3:], PROBE_MAX_ENTRIES=str(len(entries) + 1))  # 3 more do not fit
    assert second["saved"] == 3
    _, entries = marshal.loads(cache_file(tmp_path).read_bytes())
    assert [e[0] for e in entries] == [p for p, _ in cap[3:]]
    third = run(tmp_path, cap[3:])
    assert third["seeded"] == 3 and set(third["compiled"]).isdisjoint(p for p, _ in cap[3:])  # kept: seeded


def test_each_command_has_its_own_file(tmp_path):
    run(tmp_path)
    assert cache_file(tmp_path, "cli").exists() and not cache_file(tmp_path, "new").exists()
    assert regex_cache.cache_file("check").endswith(f"{sys.implementation.cache_tag}-check.marshal")
    assert regex_cache.cache_file("other").endswith(f"{sys.implementation.cache_tag}-other.marshal")


NEW_PROBE = """
import os, sys
import re._compiler as compiler
real = compiler.compile
compiled = []
def counting(p, flags=0):
    compiled.append(p)
    return real(p, flags)
compiler.compile = counting
real_exit = os._exit
def report(code=0):
    print("COMPILED", len(compiled), file=sys.stderr, flush=True)
    real_exit(code)
os._exit = report
sys.argv = ["chartgen", "new", sys.argv[1], "--image", "nginx:1.27", "--no-input", "-o", sys.argv[2]]
from chartgen.entry import main
main()
"""


def test_a_second_chartgen_new_compiles_no_regular_expression(tmp_path):
    """chartgen/entry.py seeds re's cache before anything compiles, and the command saves what it compiled."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    counts = []
    for name in ("first", "second"):
        done = subprocess.run([sys.executable, "-c", NEW_PROBE, name, str(tmp_path)], capture_output=True, text=True,
                              env=env, timeout=120)
        assert done.returncode == 0 and done.stdout.startswith(f"created {tmp_path / name} "), done.stderr
        counts.append(int(done.stderr.split("COMPILED ")[-1]))
    assert counts[0] >= 30 and counts[1] == 0
