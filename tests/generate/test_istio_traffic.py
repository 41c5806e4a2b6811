"""Istio traffic settings (issue 25): route CORS/rewrite/redirect/headers, method and authority matches,
consistentHash and portLevelSettings, Gateway PASSTHROUGH and minProtocolVersion, ServiceEntries with TLS
origination, the Sidecar. Spec refusals (one line, exit 2), the rendered objects through real helm (4.1.4 and
3.17.2), and the committed examples rendering every one of them in some environment."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from generate.test_istio_blueprints import helm, make_chart, one, render, runner  # noqa: F401  (helm: a fixture)

from chartgen.cli import app
from chartgen.generate.engine import generate
from chartgen.generate.writer import drift
from chartgen.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "generated-charts"

TRAFFIC = """
    apiVersion: chartgen/v1
    name: shop
    blueprint: clusterip
    image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
    service:
      ports:
        - {name: http, port: 80, targetPort: 8080}
        - {name: https, port: 443, targetPort: 8443, appProtocol: https}
    istio:
      enabled: true
      hosts: [shop.example.com]
      port: http
      gateway:
        https: {credentialName: shop-tls, minProtocolVersion: TLSV1_3}
      versions:
        v1: {weight: 90}
        v2: {weight: 10}
      routes:
        - name: old
          match:
            - uri: {prefix: /old/}
          redirect: {uri: /new, authority: www.example.com, redirectCode: 308}
        - name: deletes
          match:
            - method: {exact: DELETE}
              authority: {prefix: shop.}
          headers:
            request: {set: {x-audit: "1"}, add: {x-via: shop}, remove: [x-debug]}
            response: {remove: [server]}
        - name: api
          match:
            - uri: {prefix: /api/}
          rewrite: {uri: /, authority: api.internal}
          corsPolicy:
            allowOrigins: [{exact: "https://app.example.com"}, {regex: "https://.*\\\\.example\\\\.com"}]
            allowMethods: [GET, POST]
            allowHeaders: [authorization]
            exposeHeaders: [x-request-id]
            maxAge: 1h
            allowCredentials: true
      defaultRoute:
        headers:
          response: {set: {x-frame-options: DENY}}
      trafficPolicy:
        loadBalancer:
          consistentHash: {httpCookie: {name: shop-affinity, ttl: 30m, path: /}}
        portLevelSettings:
          - port: https
            loadBalancer: {consistentHash: {useSourceIp: true}}
          - port: 80
            loadBalancer: {consistentHash: {httpQueryParameterName: user}}
            connectionPool: {http: {http2MaxRequests: 100}}
      serviceEntries:
        - name: payments
          hosts: [api.payments.example.com]
          ports:
            - {number: 80, protocol: HTTP, targetPort: 443}
            - {number: 443, protocol: HTTPS, name: https}
          tls: {port: 80, mode: MUTUAL, credentialName: payments-client}
        - name: feeds
          hosts: ["*.feeds.example.com"]
          ports: [{number: 443, protocol: TLS}]
          resolution: NONE
      sidecar:
        enabled: true
        egressHosts: [orders/*]
    environments:
      dev:
        namespace: shop-dev
        istio:
          gateway:
            https: {mode: PASSTHROUGH, targetPort: https}
          trafficPolicy:
            loadBalancer:
              consistentHash: {httpHeaderName: x-user, httpCookie: null}
      prod: {namespace: shop}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return make_chart(tmp_path_factory.mktemp("istio-traffic"), TRAFFIC)


def routes_of(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in one(docs, "VirtualService", "shop-routing")["spec"]["http"]}


# ----------------------------------------------------------------------------------------- rendered shapes


def test_routes_redirect_rewrite_cors_headers_and_matches(helm, shop):  # noqa: F811
    routes = routes_of(render(helm, shop, "prod", "shop"))
    assert routes["old"]["redirect"] == {"uri": "/new", "authority": "www.example.com", "redirectCode": 308}
    assert "route" not in routes["old"]
    assert routes["deletes"]["match"][0]["method"] == {"exact": "DELETE"}
    assert routes["deletes"]["match"][0]["authority"] == {"prefix": "shop."}
    assert routes["deletes"]["headers"] == {"request": {"set": {"x-audit": "1"}, "add": {"x-via": "shop"},
                                                        "remove": ["x-debug"]}, "response": {"remove": ["server"]}}
    assert routes["api"]["rewrite"] == {"uri": "/", "authority": "api.internal"}
    cors = routes["api"]["corsPolicy"]
    assert cors["allowOrigins"] == [{"exact": "https://app.example.com"}, {"regex": "https://.*\\.example\\.com"}]
    assert (cors["allowMethods"], cors["maxAge"], cors["allowCredentials"]) == (["GET", "POST"], "1h", True)
    assert routes["default"]["headers"] == {"response": {"set": {"x-frame-options": "DENY"}}}
    assert {d["destination"]["subset"]: d["weight"] for d in routes["api"]["route"]} == {"v1": 90, "v2": 10}


def test_destination_rule_consistent_hash_and_port_level_settings(helm, shop):  # noqa: F811
    policy = one(render(helm, shop, "prod", "shop"), "DestinationRule", "shop")["spec"]["trafficPolicy"]
    assert policy["loadBalancer"] == {"consistentHash": {"httpCookie": {"name": "shop-affinity", "ttl": "30m",
                                                                        "path": "/"}}}
    assert policy["portLevelSettings"] == [
        {"port": {"number": 443}, "loadBalancer": {"consistentHash": {"useSourceIp": True}}},
        {"port": {"number": 80}, "loadBalancer": {"consistentHash": {"httpQueryParameterName": "user"}},
         "connectionPool": {"http": {"http2MaxRequests": 100}}}]
    dev = one(render(helm, shop, "dev", "shop-dev"), "DestinationRule", "shop")["spec"]["trafficPolicy"]
    assert dev["loadBalancer"] == {"consistentHash": {"httpHeaderName": "x-user"}}


def test_gateway_min_protocol_version_and_passthrough(helm, shop):  # noqa: F811
    prod = render(helm, shop, "prod", "shop")
    https = one(prod, "Gateway")["spec"]["servers"][1]
    assert https["tls"] == {"mode": "SIMPLE", "credentialName": "shop-tls", "minProtocolVersion": "TLSV1_3"}
    assert "tls" not in one(prod, "VirtualService")["spec"]
    dev = render(helm, shop, "dev", "shop-dev")
    https = one(dev, "Gateway")["spec"]["servers"][1]
    assert https["tls"] == {"mode": "PASSTHROUGH"}  # the inherited credentialName/minProtocolVersion are not used
    tls = one(dev, "VirtualService")["spec"]["tls"]
    assert tls[0]["match"] == [{"port": 443, "sniHosts": ["shop.example.com"], "gateways": ["shop-gateway"]}]
    assert [(d["destination"]["port"], d["destination"]["subset"], d["weight"]) for d in tls[0]["route"]] == [
        ({"number": 443}, "v1", 90), ({"number": 443}, "v2", 10)]


def test_service_entries_with_tls_origination(helm, shop):  # noqa: F811
    docs = render(helm, shop, "prod", "shop")
    payments = one(docs, "ServiceEntry", "shop-payments")["spec"]
    assert payments == {"hosts": ["api.payments.example.com"], "exportTo": ["."], "location": "MESH_EXTERNAL",
                        "resolution": "DNS", "ports": [
                            {"number": 80, "name": "http-80", "protocol": "HTTP", "targetPort": 443},
                            {"number": 443, "name": "https", "protocol": "HTTPS"}]}
    feeds = one(docs, "ServiceEntry", "shop-feeds")["spec"]
    assert (feeds["hosts"], feeds["resolution"]) == (["*.feeds.example.com"], "NONE")
    dr = one(docs, "DestinationRule", "shop-payments")["spec"]
    assert dr == {"host": "api.payments.example.com", "exportTo": ["."], "trafficPolicy": {"portLevelSettings": [
        {"port": {"number": 80}, "tls": {"mode": "MUTUAL", "sni": "api.payments.example.com",
                                         "credentialName": "payments-client"}}]}}
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "DestinationRule"] == ["shop", "shop-payments"]


def test_sidecar_egress_is_what_the_service_uses(helm, shop):  # noqa: F811
    sidecar = one(render(helm, shop, "prod", "shop"), "Sidecar", "shop")["spec"]
    assert sidecar["workloadSelector"]["labels"] == {"app.kubernetes.io/name": "shop",
                                                     "app.kubernetes.io/instance": "shop"}
    assert sidecar["egress"] == [{"hosts": ["./*", "istio-system/*", "./api.payments.example.com",
                                            "./*.feeds.example.com", "orders/*"]}]


def test_the_shop_chart_passes_chartgens_check_in_every_profile(shop):
    res = runner.invoke(app, ["verify", str(shop), "--no-cache"])
    assert res.exit_code == 0, res.output


# ----------------------------------------------------------------------------------------- spec refusals


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        ("redirect: {uri: /new, authority: www.example.com, redirectCode: 308}",
         "redirect: {uri: /new}\n          weights: {v1: 100}", "istio.routes[0].redirect", "not allowed with weights"),
        ("redirect: {uri: /new, authority: www.example.com, redirectCode: 308}",
         "redirect: {uri: /new}\n          rewrite: {uri: /x}", "istio.routes[0].redirect", "rewrite"),
        ("redirect: {uri: /new, authority: www.example.com, redirectCode: 308}", "redirect: {uri: new}",
         "istio.routes[0].redirect.uri", "must start with '/'"),
        ("defaultRoute:\n", "defaultRoute:\n        redirect: {uri: /x}\n", "istio.defaultRoute", "redirect"),
        ("method: {exact: DELETE}", "method: {exact: delete}", "istio.routes[1].match[0].method.exact", "capitals"),
        ("request: {set: {x-audit: \"1\"}", "request: {set: {host: a}", "istio.routes[1].headers.request.set.host",
         "rewrite.authority"),
        ("rewrite: {uri: /, authority: api.internal}", "rewrite: {uri: x}", "istio.routes[2].rewrite.uri",
         "must start with '/'"),
        ("allowOrigins: [{exact: \"https://app.example.com\"}, ", "allowOrigins: [{exact: \"*\"}, ",
         "istio.routes[2].corsPolicy.allowCredentials", "credentials"),
        ("consistentHash: {httpCookie: {name: shop-affinity, ttl: 30m, path: /}}",
         "consistentHash: {httpHeaderName: x}\n          simple: RANDOM", "istio.trafficPolicy.loadBalancer",
         "not both"),
        ("consistentHash: {httpCookie: {name: shop-affinity, ttl: 30m, path: /}}",
         "consistentHash: {httpHeaderName: x, useSourceIp: true}", "istio.trafficPolicy.loadBalancer.consistentHash",
         "exactly one hash key"),
        ("consistentHash: {httpHeaderName: x-user, httpCookie: null}", "consistentHash: {httpHeaderName: x-user}",
         "environments.dev.istio.trafficPolicy.loadBalancer.consistentHash", "exactly one hash key"),
        ("          - port: https\n", "          - port: admin\n", "istio.trafficPolicy.portLevelSettings[0].port",
         "no port 'admin'"),
        ("          - port: 80\n", "          - port: 443\n", "istio.trafficPolicy.portLevelSettings[1].port",
         "already set"),
        ("https: {mode: PASSTHROUGH, targetPort: https}", "https: {mode: PASSTHROUGH}\n          hosts: []",
         "environments.dev.istio.hosts", "SNI"),
        ("  versions:\n        v1: {weight: 90}\n        v2: {weight: 10}\n", "  canary: {controller: flagger}\n",
         "environments.dev.istio.gateway.https.mode", "flagger"),
        ("https: {mode: PASSTHROUGH, targetPort: https}", "https: {mode: PASSTHROUGH, targetPort: 8443}",
         "environments.dev.istio.gateway.https.targetPort", "no port 8443"),
        ("minProtocolVersion: TLSV1_3", "minProtocolVersion: TLSV1_0", "istio.gateway.https.minProtocolVersion",
         "TLSV1_2"),
        ("tls: {port: 80, mode: MUTUAL, credentialName: payments-client}", "tls: {port: 80, mode: MUTUAL}",
         "istio.serviceEntries[0].tls.credentialName", "MUTUAL"),
        ("tls: {port: 80, mode: MUTUAL, credentialName: payments-client}", "tls: {port: 443}",
         "istio.serviceEntries[0].tls.port", "plain HTTP port"),
        ("hosts: [api.payments.example.com]", "hosts: [api.payments.example.com, b.example.com]",
         "istio.serviceEntries[0].tls", "one host"),
        ("resolution: NONE", "resolution: DNS", "istio.serviceEntries[1].hosts[0]", "resolution NONE"),
        ("- name: feeds", "- name: payments", "istio.serviceEntries[1].name", "also the name"),
        ("egressHosts: [orders/*]", "egressHosts: [orders]", "istio.sidecar.egressHosts[0]", "namespace/dnsName"),
    ],
)
def test_refusals_exit_2_with_one_line_and_write_nothing(tmp_path, old, new, path, words):
    assert old in TRAFFIC, old
    chart = tmp_path / "shop"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(textwrap.dedent(TRAFFIC.replace(old, new, 1)))
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if f": {path}:" in line]
    assert len(lines) == 1 and words in lines[0], res.output
    assert sorted(p.name for p in chart.iterdir()) == ["chartgen.yaml"]


# ----------------------------------------------------------------------------------------- the examples


def _example(name: str, env: str, helm, ns: str) -> list[dict[str, Any]]:  # noqa: F811
    return render(helm, EXAMPLES / name, env, ns)


def test_the_examples_are_generated_from_their_specs():
    for name in ("checkout", "user-api", "webapp"):
        assert drift(generate(load_spec(EXAMPLES / name)), EXAMPLES / name) == [], name


def test_the_committed_examples_render_every_traffic_item(helm):  # noqa: F811
    user_api = _example("user-api", "prod", helm, "backend")
    vs = {r["name"]: r for r in one(user_api, "VirtualService")["spec"]["http"]}
    seen = {
        "redirect": "redirect" in vs["legacy"],
        "rewrite": "rewrite" in vs["users"],
        "corsPolicy": "corsPolicy" in vs["users"],
        "request headers": "request" in vs["admin-writes"]["headers"],
        "response headers": "response" in vs["default"]["headers"],
        "method match": "method" in vs["admin-writes"]["match"][0],
        "authority match": "authority" in vs["admin-writes"]["match"][0],
        "minProtocolVersion": one(user_api, "Gateway")["spec"]["servers"][1]["tls"].get("minProtocolVersion")
        == "TLSV1_3",
        "portLevelSettings": bool(one(user_api, "DestinationRule")["spec"]["trafficPolicy"]["portLevelSettings"]),
    }
    checkout = _example("checkout", "prod", helm, "checkout")
    seen["consistentHash"] = "consistentHash" in one(checkout, "DestinationRule", "checkout")["spec"][
        "trafficPolicy"]["loadBalancer"]
    seen["ServiceEntry"] = one(checkout, "ServiceEntry")["spec"]["location"] == "MESH_EXTERNAL"
    seen["TLS origination"] = one(checkout, "DestinationRule", "checkout-stripe")["spec"]["trafficPolicy"][
        "portLevelSettings"][0]["tls"]["mode"] == "SIMPLE"
    seen["Sidecar"] = "orders/*" in one(checkout, "Sidecar")["spec"]["egress"][0]["hosts"]
    webapp = _example("webapp", "staging", helm, "staging")
    seen["PASSTHROUGH"] = one(webapp, "Gateway")["spec"]["servers"][1]["tls"] == {"mode": "PASSTHROUGH"}
    seen["tls route"] = bool(one(webapp, "VirtualService")["spec"]["tls"])
    assert [k for k, ok in seen.items() if not ok] == []

