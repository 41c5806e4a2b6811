"""`httpRoute.rules`: what the HTTPRoute CRD's CEL rules refuse and the settings' schema cannot say.

traffic_spec.py calls :func:`check_http_route_rules` for each layer with an enabled HTTPRoute. Written from the
Gateway API standard channel's HTTPRoute CRD (the same rules chartgen's check applies to rendered routes,
chartgen/check/rules/gateway_api_routes.py, CG-GW-001/002/003/005/007):

* a filter gives the field of its own type and no other's, a path modifier the field of its own type;
* RequestRedirect and URLRewrite exclude each other; a filter type other than RequestMirror/ExtensionRef is given at
  most once per rule (a rule with a RequestRedirect renders without backendRefs: the CRD refuses both together);
* replacePrefixMatch needs exactly one PathPrefix match (a rule without matches matches PathPrefix /);
* a header modifier names each header once (case-insensitive) in set and in add;
* timeouts.backendRequest is at most timeouts.request (request 0s: no timeout).

Retries are not offered: HTTPRoute `retry` (GEP-1731) is in the experimental channel only (v1.2 and later), and the
charts target the standard channel's CRDs, which prune or refuse the field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.spec.report import Report

FILTER_FIELDS = {"RequestHeaderModifier": "requestHeaderModifier", "ResponseHeaderModifier": "responseHeaderModifier",
                 "RequestRedirect": "requestRedirect", "URLRewrite": "urlRewrite", "RequestMirror": "requestMirror",
                 "ExtensionRef": "extensionRef"}
REPEATABLE = ("RequestMirror", "ExtensionRef")
PATH_FIELDS = {"ReplaceFullPath": "replaceFullPath", "ReplacePrefixMatch": "replacePrefixMatch"}
DURATION_PART = lazy_pattern(r"([0-9]{1,5})(h|ms|m|s)")
MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def duration_ms(text: str) -> int:
    """A Gateway API duration (the schema checked its syntax) in milliseconds."""
    return sum(int(n) * MS[u] for n, u in DURATION_PART.findall(text))


def check_http_route_rules(rules: list[Mapping[str, Any]], report: Report) -> None:
    for i, rule in enumerate(rules):
        at = f"httpRoute.rules[{i}]"
        filters = [f for f in rule.get("filters") or [] if isinstance(f, Mapping)]
        for path, message in (*_filter_problems(filters, f"{at}.filters"), *_prefix_rewrite(rule, filters, at),
                              *_timeouts(rule.get("timeouts") or {}, f"{at}.timeouts")):
            report(path, message)


def _filter_problems(filters: list[Mapping[str, Any]], at: str) -> Iterator[tuple[str, str]]:
    types = [str(f.get("type")) for f in filters]
    for j, f in enumerate(filters):
        own = FILTER_FIELDS[types[j]]
        others = [key for key in FILTER_FIELDS.values() if key != own and key in f]
        if others:
            yield f"{at}[{j}].{others[0]}", f"not allowed with type {types[j]}; give {own} only"
        elif own not in f:
            yield f"{at}[{j}]", f"type {types[j]} needs {own}"
        path = (f.get(own) or {}).get("path") if own in ("requestRedirect", "urlRewrite") else None
        if isinstance(path, Mapping) and PATH_FIELDS[str(path.get("type"))] not in path:
            yield f"{at}[{j}].{own}.path", f"type {path['type']} needs {PATH_FIELDS[str(path['type'])]}"
        elif isinstance(path, Mapping) and (wrong := [k for k in PATH_FIELDS.values() if k in path
                                                      and k != PATH_FIELDS[str(path["type"])]]):
            yield f"{at}[{j}].{own}.path.{wrong[0]}", f"not allowed with type {path['type']}"
        yield from _header_names(f.get(own), f"{at}[{j}].{own}") if "HeaderModifier" in types[j] else ()
    if "RequestRedirect" in types and "URLRewrite" in types:
        yield at, "RequestRedirect and URLRewrite exclude each other (a redirect is not forwarded); keep one"
    for t in dict.fromkeys(types):
        if t not in REPEATABLE and types.count(t) > 1:
            yield at, f"{t} is given {types.count(t)} times; merge them into one (each filter type once per rule)"


def _header_names(modifier: Any, at: str) -> Iterator[tuple[str, str]]:
    for key in ("set", "add", "remove"):
        seen: set[str] = set()
        for k, item in enumerate((modifier or {}).get(key) or []):
            name = str(item.get("name") if isinstance(item, Mapping) else item).lower()
            if name in seen:
                yield f"{at}.{key}[{k}]", f"header {name!r} is named twice in {key} (header names ignore case)"
            seen.add(name)


def _prefix_rewrite(rule: Mapping[str, Any], filters: list[Mapping[str, Any]], at: str) -> Iterator[tuple[str, str]]:
    prefix = any(((f.get(key) or {}).get("path") or {}).get("type") == "ReplacePrefixMatch"
                 for f in filters for key in ("requestRedirect", "urlRewrite"))
    matches = rule.get("matches")
    if not prefix or matches is None:  # no matches: the CRD's default, one PathPrefix / match
        return
    if len(matches) != 1 or (matches[0].get("path") or {}).get("type", "PathPrefix") != "PathPrefix":
        yield f"{at}.matches", "replacePrefixMatch needs exactly one match with a PathPrefix path"


def _timeouts(timeouts: Mapping[str, Any], at: str) -> Iterator[tuple[str, str]]:
    request, backend = timeouts.get("request"), timeouts.get("backendRequest")
    if request is None or backend is None or duration_ms(str(request)) == 0:
        return
    if duration_ms(str(backend)) > duration_ms(str(request)):
        yield f"{at}.backendRequest", f"{backend} is longer than request ({request}); allowed: at most request"
