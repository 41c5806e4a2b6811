"""Issue 25 (the security, Gateway API, canary-analysis and versions items): the committed example charts, together,
write every new setting in some environment and render every new object, so CI exercises each of them."""

from __future__ import annotations

from typing import Any

import pytest
from render_helpers import render
from support import CHARTS, chart_dirs, helm_binary

from chartgen.spec.loader import load_spec


def _paths(node: Any, prefix: str = "") -> set[str]:
    """Every key path a layer writes, list items as [] (e.g. httpRoute.rules[].filters[].type=URLRewrite)."""
    out: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            out |= {f"{prefix}{k}"} | _paths(v, f"{prefix}{k}.")
    elif isinstance(node, list):
        for item in node:
            out |= _paths(item, f"{prefix[:-1]}[].")
    if isinstance(node, dict) and isinstance(node.get("type"), str):
        out.add(f"{prefix}type={node['type']}")
    return out


def _written() -> set[str]:
    out: set[str] = set()
    for chart in chart_dirs():
        raw = load_spec(chart).raw
        out |= _paths({k: v for k, v in raw.items() if k != "environments"})
        for env in (raw.get("environments") or {}).values():
            out |= _paths(env or {})
    return out


WRITTEN_SOMEWHERE = [
    "versions",
    "istio.authorizationPolicy.action", "istio.authorizationPolicy.rules[].namespaces",
    "istio.authorizationPolicy.rules[].paths", "istio.authorizationPolicy.rules[].methods",
    "istio.authorizationPolicy.rules[].ports",
    "istio.requestAuthentication.enabled", "istio.requestAuthentication.paths",
    *(f"istio.requestAuthentication.jwtRules[].{k}" for k in ("issuer", "jwksUri", "audiences",
                                                               "forwardOriginalToken", "fromHeaders")),
    "httpRoute.rules[].matches[].headers", "httpRoute.rules[].matches[].queryParams",
    "httpRoute.rules[].matches[].method",
    "httpRoute.rules[].timeouts.request", "httpRoute.rules[].timeouts.backendRequest",
    *(f"httpRoute.rules[].filters[].type={t}" for t in ("RequestHeaderModifier", "ResponseHeaderModifier",
                                                        "RequestRedirect", "URLRewrite")),
    "istio.canary.prometheus", "istio.canary.successRate", "istio.canary.maxDuration", "istio.canary.webhooks",
    "referenceGrant.from",
]


@pytest.mark.parametrize("path", WRITTEN_SOMEWHERE)
def test_some_example_writes_it(path):
    assert path in _written()


RENDERED = {  # chart, environment, namespace -> the issue-25 objects it must render
    ("checkout", "prod", "checkout"): {("RequestAuthentication", "checkout"), ("AuthorizationPolicy", "checkout"),
                                       ("AuthorizationPolicy", "checkout-require-jwt")},
    ("webapp", "staging", "staging"): {("AuthorizationPolicy", "webapp")},
    ("storefront", "staging", "storefront-staging"): {("Rollout", "storefront"), ("AnalysisTemplate", "storefront")},
    ("storefront", "prod", "storefront"): {("Canary", "storefront")},
    ("user-api", "prod", "backend"): {("ReferenceGrant", "user-api")},
    ("checkout", "staging", "checkout-staging"): {("HTTPRoute", "checkout")},
}


@pytest.mark.parametrize(("chart", "env", "namespace"), list(RENDERED))
def test_the_example_renders_the_objects(chart, env, namespace):
    docs = render(helm_binary("4.1.4"), CHARTS / chart, env, namespace)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert RENDERED[(chart, env, namespace)] <= kinds
