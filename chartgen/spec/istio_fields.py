"""Small parsers the `istio:` section's checks share: field paths, durations, string matches.

istio_spec.py (routes, versions, gateway, security) and istio_traffic_spec.py (CORS, rewrites, redirects, headers,
load balancing, ServiceEntries, the Sidecar) both report errors as (field path below the layer, message) through an
``Err`` callable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.spec.istio_settings import StringMatch

Err = Callable[[str, str], None]

DURATION = lazy_pattern(r"^(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns))+$")
DURATION_PART = lazy_pattern(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
DURATION_NS = {"h": 3600e9, "m": 60e9, "s": 1e9, "ms": 1e6, "us": 1e3, "µs": 1e3, "ns": 1}


def at(*parts: str | int) -> str:
    """A field path: at("istio.routes", 0, "match") -> istio.routes[0].match."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out = f"{out}.{p}" if out else p
    return out


def duration_ns(text: str) -> float | None:
    if not isinstance(text, str) or not DURATION.match(text):
        return None
    return sum(float(n) * DURATION_NS[u] for n, u in DURATION_PART.findall(text))


def duration(value: Any, path: str, err: Err) -> str | None:
    if value is None:
        return None
    ns = duration_ns(str(value))
    if ns is None:
        err(path, f"{value!r} is not a duration (e.g. 500ms, 2s, 1m)")
        return None
    if ns < 1e6:
        err(path, f"{value!r} is too short; Istio requires at least 1ms")
        return None
    return str(value)


def string_match(raw: Any, path: str, err: Err) -> StringMatch | None:
    if not isinstance(raw, Mapping):
        return None
    kinds = [k for k in ("exact", "prefix", "regex") if raw.get(k) is not None]
    if len(kinds) != 1:
        err(path, "set exactly one of exact, prefix, regex")
        return None
    value = str(raw[kinds[0]])
    if kinds[0] == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            err(at(path, "regex"), f"{value!r} is not a valid regular expression: {exc}")
    return StringMatch(kinds[0], value)
