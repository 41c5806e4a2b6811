"""Gateway API rules (CG-GW-*): the semantics the coverage cases do not pin - hostname intersection, durations, and
when the render cannot prove a broken attachment or reference (a warning that says so, never an error)."""

from __future__ import annotations

import pytest

from chartgen.check.command import check_text
from chartgen.check.gatewayapi import duration_ms, hostnames_intersect
from chartgen.check.model import CheckOptions, ExternalObject, Severity


def found(text: str, rule: str) -> list[tuple[Severity, str]]:
    return [(f.severity, f.message) for f in check_text(text, "t.yaml", CheckOptions()) if f.rule == rule]


@pytest.mark.parametrize(("a", "b", "meets"), [
    ("shop.example.com", "shop.example.com", True),
    ("*.example.com", "shop.example.com", True),
    ("*.example.com", "a.b.example.com", True),
    ("*.example.com", "example.com", False),  # a wildcard needs at least one more label
    ("*.example.com", "*.shop.example.com", True),
    ("shop.example.com", "api.example.com", False),
    ("*.example.org", "shop.example.com", False),
])
def test_hostnames_intersect(a, b, meets):
    assert hostnames_intersect(a, b) is meets and hostnames_intersect(b, a) is meets


@pytest.mark.parametrize(("text", "ms"), [("10s", 10_000), ("1m30s", 90_000), ("500ms", 500), ("1h", 3_600_000),
                                          ("0s", 0), ("1.5s", None), ("10us", None), ("", None), ("10", None)])
def test_gateway_api_durations(text, ms):
    assert duration_ms(text) == ms


GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: edge}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
"""


def route(meta: str, parent: str) -> str:
    return f"""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {meta}
spec:
  parentRefs: [{parent}]
  rules:
  - backendRefs: [{{name: web, port: 80}}]
"""


def test_a_route_in_another_named_namespace_is_not_admitted_by_a_same_listener():
    text = GATEWAY + route("{name: web, namespace: shop}", "{name: public, namespace: edge}")
    assert [s for s, _ in found(text, "CG-GW-021")] == [Severity.ERROR]


def test_a_route_without_a_namespace_may_be_installed_next_to_the_gateway_so_it_is_a_warning():
    text = GATEWAY + route("{name: web}", "{name: public, namespace: edge}")
    assert [s for s, _ in found(text, "CG-GW-021")] == [Severity.WARNING]


def test_a_gateway_the_render_does_not_hold_is_a_warning_and_a_typo_next_to_rendered_gateways_an_error():
    alone = route("{name: web, namespace: shop}", "{name: shared, namespace: infra}")
    assert [s for s, _ in found(alone, "CG-GW-020")] == [Severity.WARNING]
    typo = GATEWAY + route("{name: web, namespace: edge}", "{name: pubilc}")
    assert [s for s, _ in found(typo, "CG-GW-020")] == [Severity.ERROR]


def test_a_gateway_declared_external_is_not_reported():
    text = route("{name: web, namespace: shop}", "{name: shared, namespace: infra}")
    opts = CheckOptions(external=(ExternalObject("Gateway", "shared", "infra"),))
    assert [f for f in check_text(text, "t.yaml", opts) if f.rule == "CG-GW-020"] == []


CROSS = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: edge}
spec:
  rules:
  - backendRefs: [{name: web, namespace: shop, port: 80}]
"""


def test_a_cross_namespace_backend_without_any_rendered_grant_is_a_warning():
    assert [s for s, _ in found(CROSS, "CG-GW-023")] == [Severity.WARNING]


def test_a_grant_for_one_name_does_not_cover_another():
    grant = """\
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: g, namespace: shop}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: edge}]
  to: [{group: '', kind: Service, name: api}]
---
"""
    assert [s for s, _ in found(grant + CROSS, "CG-GW-023")] == [Severity.ERROR]
    assert found(grant.replace("name: api", "name: web") + CROSS, "CG-GW-023") == []


def test_case_only_duplicate_header_matches_are_a_warning():
    text = route("{name: web}", "{name: public}").replace(
        "  - backendRefs", "  - matches: [{headers: [{name: X-Env, value: a}, {name: x-env, value: b}]}]\n"
                           "    backendRefs")
    assert [s for s, _ in found(text, "CG-GW-005")] == [Severity.WARNING]
