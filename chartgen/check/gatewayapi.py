"""The Gateway API model the `gateway_api_*` rule modules share: route kinds, rules, filters, parentRefs, listeners.

Written from kubernetes-sigs/gateway-api (the standard channel's CRD CEL rules, apis/v1/validation and the spec's
attachment semantics), so that the rules apply without the user passing the Gateway API CRDs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import GATEWAY_API, as_dict, as_int, as_list, spec_of
from chartgen.check.model import Document, ManifestIndex
from chartgen.core.record import Record, record

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")
# apis/v1/validation/gateway.go validHostnameAddress; the CRDs' Hostname pattern is the same
HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# the CRDs' Duration pattern (GEP-2257)
DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
_UNITS_MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def duration_ms(text: str) -> int | None:
    """A Gateway API Duration in milliseconds, None when it does not match the CRD pattern."""
    if not DURATION.match(text):
        return None
    return sum(int(n) * _UNITS_MS[u] for n, u in re.findall(r"([0-9]+)(ms|h|m|s)", text))


def routes(index: ManifestIndex, kinds: tuple[str, ...] = ROUTE_KINDS) -> Iterator[Document]:
    for kind in kinds:
        yield from index.kind(kind, GATEWAY_API)


def route_rules(doc: Document) -> list[tuple[int, dict[str, Any]]]:
    return [(i, as_dict(r)) for i, r in enumerate(as_list(spec_of(doc).get("rules")))]


@record
class FilterList(Record):
    filters: list[dict[str, Any]]
    field: str  # e.g. spec.rules[0].filters or spec.rules[0].backendRefs[1].filters
    rule: dict[str, Any]  # the route rule the filters belong to (its matches and backendRefs)


def filter_lists(doc: Document) -> Iterator[FilterList]:
    """The rule-level and backendRef-level filter lists of a route."""
    for ri, r in route_rules(doc):
        yield FilterList([as_dict(f) for f in as_list(r.get("filters"))], f"spec.rules[{ri}].filters", r)
        for bi, b in enumerate(as_list(r.get("backendRefs"))):
            fl = [as_dict(f) for f in as_list(as_dict(b).get("filters"))]
            if fl:
                yield FilterList(fl, f"spec.rules[{ri}].backendRefs[{bi}].filters", r)


@record
class ParentRef(Record):
    name: str
    namespace: str | None  # the Gateway's namespace (the route's when not given)
    section: str | None
    port: int | None
    field: str


def parent_refs(index: ManifestIndex, route: Document) -> list[ParentRef]:
    """parentRefs that name a Gateway of gateway.networking.k8s.io (the default group and kind)."""
    out = []
    for i, p in enumerate(as_list(spec_of(route).get("parentRefs"))):
        p = as_dict(p)
        if str(p.get("group", GATEWAY_API[0])) != GATEWAY_API[0] or str(p.get("kind", "Gateway")) != "Gateway":
            continue
        if not p.get("name"):
            continue
        out.append(ParentRef(str(p["name"]), str(p["namespace"]) if p.get("namespace") else index.namespace_of(route),
                             str(p["sectionName"]) if p.get("sectionName") else None, as_int(p.get("port")),
                             f"spec.parentRefs[{i}]"))
    return out


def listeners(gw: Document) -> list[tuple[int, dict[str, Any]]]:
    return [(i, as_dict(listener)) for i, listener in enumerate(as_list(spec_of(gw).get("listeners")))]


def hostnames_intersect(a: str, b: str) -> bool:
    """Gateway API hostname matching: `*.example.com` matches any name with at least one more label."""
    if a == b:
        return True
    if a.startswith("*.") and b.startswith("*."):
        return a.endswith(b[1:]) or b.endswith(a[1:])
    if a.startswith("*."):
        return b.endswith(a[1:])
    if b.startswith("*."):
        return a.endswith(b[1:])
    return False
