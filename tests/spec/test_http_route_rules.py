"""HTTPRoute rules (issue 25): header/query/method matches, the four core filters, timeouts - refused at spec load
where the HTTPRoute CRD's CEL rules would refuse them, and rendered by real helm in the committed checkout example
(a redirecting rule without backendRefs)."""

from __future__ import annotations

import pytest
from render_helpers import find, render
from support import CHARTS, helm_binary

from chartgen.core.errors import SpecErrors
from chartgen.spec.loader import parse_spec_text

SPEC = """
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
httpRoute:
  enabled: true
  parentRefs: [{name: public, namespace: gateway-system}]
  rules:
    - matches:
        - path: {type: PathPrefix, value: /api}
      timeouts: {request: 10s, backendRequest: 2s}
      filters:
        - type: URLRewrite
          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}
        - type: RequestHeaderModifier
          requestHeaderModifier: {set: [{name: x-a, value: "1"}]}
environments:
  dev: {}
"""
REWRITE = ("        - type: URLRewrite\n"
           "          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}\n")
HEADERS = "          requestHeaderModifier: {set: [{name: x-a, value: \"1\"}]}"


def errors(text: str) -> dict[str, str]:
    with pytest.raises(SpecErrors) as exc:
        parse_spec_text(text, "chartgen.yaml")
    return {str(e.path): e.message for e in exc.value.errors}


def test_the_spec_is_valid():
    assert parse_spec_text(SPEC, "chartgen.yaml").defaults.raw["httpRoute"]["rules"][0]["timeouts"]["request"] == "10s"


@pytest.mark.parametrize(("old", "new", "path", "words"), [
    ("backendRequest: 2s", "backendRequest: 1m", "httpRoute.rules[0].timeouts.backendRequest", "longer than request"),
    ("backendRequest: 2s", "backendRequest: 1.5s", "httpRoute.rules[0].timeouts.backendRequest", ""),
    (REWRITE, REWRITE + "        - type: RequestRedirect\n          requestRedirect: {scheme: https}\n",
     "httpRoute.rules[0].filters", "exclude each other"),
    (HEADERS, HEADERS + "\n        - type: RequestHeaderModifier\n          requestHeaderModifier: {remove: [x-b]}",
     "httpRoute.rules[0].filters", "each filter type once"),
    ("          urlRewrite: {path:", "          requestRedirect: {scheme: https}\n          urlRewrite: {path:",
     "httpRoute.rules[0].filters[0].requestRedirect", "give urlRewrite only"),
    ("          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}",
     "          urlRewrite: {path: {type: ReplaceFullPath, replacePrefixMatch: /v2}}",
     "httpRoute.rules[0].filters[0].urlRewrite.path", "needs replaceFullPath"),
    ("        - path: {type: PathPrefix, value: /api}", "        - path: {type: Exact, value: /api}",
     "httpRoute.rules[0].matches", "exactly one match with a PathPrefix"),
    ("{set: [{name: x-a, value: \"1\"}]}", "{set: [{name: x-a, value: \"1\"}, {name: X-A, value: \"2\"}]}",
     "httpRoute.rules[0].filters[1].requestHeaderModifier.set[1]", "named twice"),
    ("        - type: RequestHeaderModifier\n", "        - type: ResponseHeaderModifier\n",
     "httpRoute.rules[0].filters[1].requestHeaderModifier", "give responseHeaderModifier only"),
    ("      timeouts:", "      retry: {attempts: 2}\n      timeouts:", "httpRoute.rules[0]", "retry"),
    ("  dev: {}", "  dev: {httpRoute: {rules: [{timeouts: {request: 1s, backendRequest: 2s}}]}}",
     "environments.dev.httpRoute.rules[0].timeouts.backendRequest", "longer than request"),
])
def test_what_the_crd_refuses_is_refused_at_spec_load(old, new, path, words):
    assert old in SPEC
    found = errors(SPEC.replace(old, new, 1))
    assert path in found and words in found[path], found


def test_no_request_timeout_allows_any_backend_timeout():
    parse_spec_text(SPEC.replace("request: 10s, backendRequest: 2s", "request: 0s, backendRequest: 1h"), "c.yaml")


@pytest.mark.parametrize("version", ("4.1.4", "3.17.2"))
def test_checkout_staging_renders_matches_filters_timeouts_and_a_redirect(version):
    docs = render(helm_binary(version), CHARTS / "checkout", "staging", "checkout-staging")
    api, orders, pay = find(docs, "HTTPRoute", "checkout")["spec"]["rules"]
    assert api["timeouts"] == {"request": "10s", "backendRequest": "3s"}
    assert [f["type"] for f in api["filters"]] == ["RequestHeaderModifier", "ResponseHeaderModifier"]
    assert api["filters"][0]["requestHeaderModifier"] == {"set": [{"name": "x-env", "value": "staging"}],
                                                          "remove": ["x-debug"]}
    assert orders["matches"] == [{"path": {"type": "PathPrefix", "value": "/v1/orders"}, "method": "POST",
                                  "headers": [{"name": "x-client", "value": "mobile"}],
                                  "queryParams": [{"type": "Exact", "name": "version", "value": "1"}]}]
    assert orders["filters"] == [{"type": "URLRewrite", "urlRewrite": {
        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/api/orders"}}}]
    assert [b["weight"] for b in orders["backendRefs"]] == [80, 20]
    assert "backendRefs" not in pay  # the CRD refuses a RequestRedirect with backendRefs
    assert pay["filters"][0]["requestRedirect"]["statusCode"] == 301


GRANT = """
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
versions:
  v1: {weight: 90}
  v2: {weight: 10}
httpRoute:
  enabled: true
  parentRefs: [{name: public, namespace: gateway-system}]
referenceGrant:
  from: [{kind: HTTPRoute, namespace: edge}, {kind: GRPCRoute, namespace: edge}]
environments:
  dev: {namespace: shop-dev}
"""


def test_a_reference_grant_names_every_service_routes_may_send_to(tmp_path):
    from typer.testing import CliRunner

    from chartgen.cli import app

    chart = tmp_path / "shop"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(GRANT)
    assert CliRunner().invoke(app, ["generate", str(chart)]).exit_code == 0
    grant = find(render(helm_binary("4.1.4"), chart, "dev", "shop-dev"), "ReferenceGrant", "shop")
    assert grant["metadata"]["namespace"] == "shop-dev"
    assert grant["spec"]["from"] == [{"group": "gateway.networking.k8s.io", "kind": k, "namespace": "edge"}
                                     for k in ("HTTPRoute", "GRPCRoute")]
    assert [t["name"] for t in grant["spec"]["to"]] == ["shop", "shop-v1", "shop-v2"]


def test_a_reference_grant_for_another_kind_is_refused():
    found = errors(GRANT.replace("kind: GRPCRoute", "kind: TCPRoute"))
    assert "referenceGrant.from[1].kind" in found, found


@pytest.mark.parametrize("version", ("4.1.4", "3.17.2"))
def test_user_api_prod_grants_the_platform_routes(version):
    docs = render(helm_binary(version), CHARTS / "user-api", "prod", "backend")
    grant = find(docs, "ReferenceGrant", "user-api")["spec"]
    assert grant == {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                               "namespace": "gateway-system"}],
                     "to": [{"group": "", "kind": "Service", "name": "user-api"}]}
