"""Istio security beyond mTLS (issue 25): AuthorizationPolicy rules and DENY, RequestAuthentication (JWT) with its
require-jwt policy - refused at spec load when invalid, rendered by real helm in the committed webapp example."""

from __future__ import annotations

import pytest
from render_helpers import find, render
from support import CHARTS, helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.spec.loader import parse_spec_text

runner = CliRunner()
WEBAPP, CHECKOUT = CHARTS / "webapp", CHARTS / "checkout"

SPEC = """
apiVersion: chartgen/v1
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: grpc, port: 9090, targetPort: 9090, appProtocol: grpc}
istio:
  enabled: true
  authorizationPolicy:
    enabled: true
    rules:
      - {namespaces: [front], paths: [/api/*], methods: [GET]}
  requestAuthentication:
    enabled: true
    jwtRules:
      - {issuer: https://auth.example.com, jwksUri: https://auth.example.com/jwks.json}
environments:
  dev: {namespace: shop-dev}
"""


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        ("    rules:\n      - {namespaces: [front], paths: [/api/*], methods: [GET]}\n", "",
         "istio.authorizationPolicy.principals", "or rules"),
        ("    enabled: true\n    rules:", "    enabled: true\n    action: DENY\n    rules:",
         "istio.authorizationPolicy.rules[0].ports", "needs the ports"),
        ("    enabled: true\n    rules:", "    enabled: true\n    action: DENY\n    principals: [a/b]\n    rules:",
         "istio.authorizationPolicy.principals", "not allowed with action DENY"),
        ("    rules:\n      - {namespaces", "    rules:\n      - {}\n      - {namespaces",
         "istio.authorizationPolicy.rules[0]", ""),
        ("    jwtRules:\n      - {issuer: https://auth.example.com, jwksUri: https://auth.example.com/jwks.json}\n",
         "", "istio.requestAuthentication.jwtRules", "at least one issuer"),
        ("jwksUri: https://auth.example.com/jwks.json}", "jwksUri: https://auth.example.com/jwks.json}\n"
         "      - {issuer: https://auth.example.com}", "istio.requestAuthentication.jwtRules[1].issuer", "twice"),
        ("jwksUri: https://auth.example.com/jwks.json", "jwksUri: file:///etc/jwks.json",
         "istio.requestAuthentication.jwtRules[0].jwksUri", ""),
        ("{issuer: https://auth.example.com, ", "{", "istio.requestAuthentication.jwtRules[0]", "issuer"),
        ("    - {name: http, port: 80, targetPort: 8080}\n    - {name: grpc, port: 9090, targetPort: 9090, "
         "appProtocol: grpc}", "    - {name: tcp-db, port: 80, targetPort: 8080}",
         "istio.requestAuthentication.enabled", "no HTTP port"),
        ("  dev: {namespace: shop-dev}", "  dev: {namespace: shop-dev, istio: {authorizationPolicy: {action: DENY}}}",
         "environments.dev.istio.authorizationPolicy.rules[0].ports", "needs the ports"),
    ],
)
def test_invalid_security_settings_are_refused_with_one_line(tmp_path, old, new, path, words):
    assert old in SPEC
    chart = tmp_path / "shop"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(SPEC.replace(old, new, 1))
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if f": {path}" in line]
    assert lines and any(words in line for line in lines), res.output
    assert sorted(p.name for p in chart.iterdir()) == ["chartgen.yaml"]


def test_the_valid_spec_is_accepted_and_the_token_is_required_on_the_http_target_port():
    istio = parse_spec_text(SPEC, "chartgen.yaml").defaults.istio
    assert istio.authorization.enabled and istio.authorization.action == "ALLOW"
    assert istio.request_auth.ports == (8080, 9090)  # the targetPorts of http and grpc (HTTP/2) alike
    assert istio.request_auth.paths == ()


@pytest.fixture(scope="module", params=("4.1.4", "3.17.2"), ids=lambda v: f"helm{v}")
def helm(request):
    return helm_binary(request.param)


def test_webapp_staging_allows_by_namespace_and_operation(helm):
    docs = render(helm, WEBAPP, "staging", "staging")
    ap = find(docs, "AuthorizationPolicy", "webapp")["spec"]
    assert ap["action"] == "ALLOW"
    assert ap["rules"] == [
        {"from": [{"source": {"namespaces": ["istio-system"]}}]},
        {"from": [{"source": {"namespaces": ["storefront"]}}],
         "to": [{"operation": {"paths": ["/api/*"], "methods": ["GET", "POST"]}}]},
    ]
    assert not [d for d in docs if d["kind"] == "RequestAuthentication"]


def test_checkout_prod_denies_admin_and_requires_a_token_on_api(helm):
    docs = render(helm, CHECKOUT, "prod", "checkout")
    deny = find(docs, "AuthorizationPolicy", "checkout")["spec"]
    assert deny["action"] == "DENY"
    assert deny["rules"] == [{"to": [{"operation": {"paths": ["/admin", "/admin/*"], "ports": ["8080"]}}]}]
    ra = find(docs, "RequestAuthentication", "checkout")["spec"]
    assert ra["selector"]["matchLabels"]["app.kubernetes.io/name"] == "checkout"
    assert ra["jwtRules"] == [{
        "issuer": "https://auth.example.com", "jwksUri": "https://auth.example.com/.well-known/jwks.json",
        "audiences": ["checkout"], "forwardOriginalToken": True,
        "fromHeaders": [{"name": "Authorization", "prefix": "Bearer "}]}]
    jwt = find(docs, "AuthorizationPolicy", "checkout-require-jwt")["spec"]
    assert jwt["action"] == "DENY"
    assert jwt["rules"] == [{"from": [{"source": {"notRequestPrincipals": ["*"]}}],
                             "to": [{"operation": {"ports": ["8080", "9090", "9000"], "paths": ["/api/*"]}}]}]


def test_checkout_staging_renders_no_istio_security_policy(helm):
    docs = render(helm, CHECKOUT, "staging", "checkout-staging")
    assert not [d for d in docs if d["kind"] in ("RequestAuthentication", "AuthorizationPolicy")]
