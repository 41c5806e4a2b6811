"""lazy_pattern: a module's pattern is compiled when first used, and then answers exactly as re.compile's would."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from chartgen.core.lazy_pattern import lazy_pattern

CASES = [
    (r"^[a-z]([-a-z0-9]*[a-z0-9])?$", 0, ["web", "Web", "a-", "a-1", "", "x" * 70]),
    (r"(PASSWORD|SECRET|API_?KEY)$", re.IGNORECASE, ["DB_PASSWORD", "db_password", "apikey", "PASSWORDS"]),
    (r"(\d+(?:\.\d+)?)(h|ms|m|s)", 0, ["1h30m", "1.5s", "ms", "10ms2h"]),
]


def span(match: re.Match[str] | None) -> tuple[int, int] | None:
    return None if match is None else match.span()


@pytest.mark.parametrize(("pattern", "flags", "texts"), CASES)
def test_every_method_answers_as_re_compile(pattern, flags, texts):
    lazy, real = lazy_pattern(pattern, flags), re.compile(pattern, flags)
    for text in texts:
        for method in ("match", "fullmatch", "search"):
            for pos in (0, 1):
                assert span(getattr(lazy, method)(text, pos)) == span(getattr(real, method)(text, pos)), (method, text)
        assert lazy.findall(text) == real.findall(text)
        assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in real.finditer(text)]
        assert lazy.sub("<\\g<0>>", text) == real.sub("<\\g<0>>", text)
        assert lazy.sub(lambda m: m.group(0).upper(), text, 1) == real.sub(lambda m: m.group(0).upper(), text, 1)
    assert (lazy.pattern, lazy.flags) == (pattern, flags)


def test_nothing_is_compiled_before_the_first_use(monkeypatch):
    compiled: list[str] = []
    real_compile = re.compile
    monkeypatch.setattr(re, "compile", lambda p, f=0: compiled.append(p) or real_compile(p, f))
    pattern = lazy_pattern(r"^x+$")
    assert compiled == []
    assert pattern.match("xx") and not pattern.match("y")
    assert compiled == [r"^x+$"]  # once, then kept


PROBE = """
import sys
from chartgen.core.lazy_pattern import LazyPattern
import chartgen.generate.engine, chartgen.generate.envs, chartgen.generate.lockfile, chartgen.generate.scaffold
import chartgen.spec.loader, chartgen.spec.istio_traffic, chartgen.spec.route_rules, chartgen.core.blueprint_root
found = [(name, key, value._compiled is not None) for name, module in list(sys.modules.items())
         if name.startswith("chartgen") for key, value in vars(module).items() if isinstance(value, LazyPattern)]
print(len(found), sorted(f"{n}.{k}" for n, k, done in found if done))
"""


def test_importing_the_spec_and_generate_modules_compiles_none_of_their_patterns():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    count, compiled = done.stdout.split(" ", 1)
    assert int(count) >= 25  # the probe saw the modules' patterns
    assert compiled.strip() == "[]"
