"""GRPCRoute (gateway.networking.k8s.io/v1) for the Service's gRPC port: rendered, split by version, refused with
one line when its port or parents are wrong, and drawn by chartgen graph."""

from __future__ import annotations

import textwrap

import pytest
from render_helpers import find, render
from support import CHARTS

from chartgen.check.loader import load_text
from chartgen.check.model import ManifestIndex
from chartgen.core.errors import SpecErrors
from chartgen.graph.build import build_graph
from chartgen.spec.loader import parse_spec_text


def test_checkout_staging_routes_grpc_calls_to_the_grpc_port_of_each_version(helm):
    route = find(render(helm, CHARTS / "checkout", "staging", "checkout-staging"), "GRPCRoute", "checkout-grpc")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == [{"name": "public", "namespace": "gateway-system", "sectionName": "grpc"}]
    assert route["spec"]["hostnames"] == ["checkout-grpc.staging.example.com"]
    assert route["spec"]["rules"] == [{
        "backendRefs": [{"name": "checkout-v1", "port": 9000, "weight": 80},
                        {"name": "checkout-v2", "port": 9000, "weight": 20}],
        "matches": [{"method": {"service": "acme.payments.v1.Payments"}}],
    }]


def test_other_environments_render_no_grpc_route(helm):
    docs = render(helm, CHARTS / "checkout", "prod", "checkout")
    assert [d for d in docs if d["kind"] == "GRPCRoute"] == []


def test_the_graph_draws_the_grpc_route(helm):
    chart = CHARTS / "checkout"
    res = helm.template(chart, "checkout", "checkout-staging", [chart / "values-staging.yaml"], kube_version="1.31.0")
    assert res.ok, res.message
    edges = build_graph(ManifestIndex(load_text(res.stdout), default_namespace="checkout-staging")).titled_edges()
    assert ("Gateway gateway-system/public", "GRPCRoute checkout-grpc rule[0]", "grpc") in edges
    assert ("GRPCRoute checkout-grpc rule[0]", "Service checkout-v2", "20% :9000") in edges


SPEC = """
apiVersion: chartgen/v1
name: pay
blueprint: clusterip
image: {repository: ghcr.io/acme/pay, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: grpc, port: 9000, targetPort: 9000, appProtocol: grpc}
environments:
  dev:
    grpcRoute: {GRPC}
"""


@pytest.mark.parametrize("grpc, message", [
    ("{enabled: true, port: grpc}", "dev.grpcRoute.parentRefs: an enabled GRPCRoute needs at least one parentRef"),
    ("{enabled: true, parentRefs: [{name: gw}], port: grpc-web}",
     "dev.grpcRoute.port: 'grpc-web' names no Service port; allowed: 80, 9000, http, grpc"),
    ("{enabled: true, parentRefs: [{name: gw}], rules: [{matches: [{method: {service: a.B, type: Prefix}}]}]}",
     "grpcRoute.rules[0].matches[0].method.type"),
])
def test_a_bad_grpc_route_is_one_line(grpc, message):
    with pytest.raises(SpecErrors) as info:
        parse_spec_text(textwrap.dedent(SPEC).replace("{GRPC}", grpc), "charts/pay/chartgen.yaml")
    assert any(message in str(e) for e in info.value.errors), [str(e) for e in info.value.errors]
