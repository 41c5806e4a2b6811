"""Issue 23 gaps in the coverage map: HPA custom-resource / object / external metric targets (CG-HPA-001), DRA
resource claims (CG-POD-014), clusterTrustBundle projections (CG-POD-015), finalizer names (CG-OBJ-002) and Sidecar
listeners (CG-MESH-038). Each case states what the API server or Istio decides, and with which certainty."""

from __future__ import annotations

import pytest

try:
    from helpers import run_rule
except ImportError:  # tests/ made a package
    from tests.check.helpers import run_rule

import chartgen.check.rules
from chartgen.check.model import CheckOptions, Severity

chartgen.check.rules.load()  # registers the rules

E, W = Severity.ERROR, Severity.WARNING


def hpa(metric: str) -> str:
    return ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n"
            "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  maxReplicas: 5\n"
            f"  metrics:\n  - {metric}\n")


@pytest.mark.parametrize("metric,expected", [
    # validatePodsSource accepts any target type as long as averageValue is set (the controller reads averageValue)
    ("{type: Pods, pods: {metric: {name: rps}, target: {type: Utilization, averageValue: '10'}}}", []),
    ("{type: Pods, pods: {metric: {name: rps}, target: {type: AverageValue}}}", [E]),
    ("{type: Pods, pods: {metric: {name: a/b}, target: {type: AverageValue, averageValue: '1'}}}", [E]),
    # object metrics: describedObject kind and name, value or averageValue
    ("{type: Object, object: {describedObject: {kind: Ingress, name: web}, metric: {name: rps}, "
     "target: {type: Value, value: '10'}}}", []),
    ("{type: Object, object: {describedObject: {name: web}, metric: {name: rps}, target: {type: Value, value: '1'}}}",
     [E]),
    ("{type: Object, object: {describedObject: {kind: Ingress, name: web}, metric: {name: rps}, "
     "target: {type: Value}}}", [E]),
    # accepted, but the controller reads value for type Value: never computed
    ("{type: Object, object: {describedObject: {kind: Ingress, name: web}, metric: {name: rps}, "
     "target: {type: Value, averageValue: '10'}}}", [W]),
    # external metrics: exactly one of value and averageValue, positive
    ("{type: External, external: {metric: {name: q}, target: {type: Value, value: '30'}}}", []),
    ("{type: External, external: {metric: {name: q}, target: {type: Value, value: '30', averageValue: '3'}}}", [E]),
    ("{type: External, external: {metric: {name: q}, target: {type: Value, value: '0'}}}", [E]),
    # resource metrics: exactly one of averageUtilization and averageValue
    ("{type: Resource, resource: {name: cpu, target: {type: Value, value: '1'}}}", [E]),
    ("{type: Resource, resource: {name: cpu, target: {type: AverageValue, averageValue: 500m}}}", []),
])
def test_hpa_metric_targets_follow_upstream(metric, expected):
    assert [f.severity for f in run_rule("CG-HPA-001", hpa(metric))] == expected


POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: train}\nspec:\n"


def dra_pod(claims: str, refs: str) -> str:
    return (POD + f"  containers:\n  - name: train\n    image: nginx:1.27\n    resources: {{claims: {refs}}}\n"
            f"  resourceClaims: {claims}\n")


@pytest.mark.parametrize("claims,refs,n", [
    ("[{name: gpu, resourceClaimTemplateName: gpu}]", "[{name: gpu}]", 0),
    ("[{name: gpu, resourceClaimTemplateName: gpu}]", "[{name: accel}]", 1),
    ("[]", "[{name: gpu}]", 1),
    ("[{name: gpu}]", "[{name: gpu}]", 1),  # neither source
    ("[{name: gpu, resourceClaimName: a}, {name: gpu, resourceClaimName: b}]", "[{name: gpu}]", 1),
    ("[{name: gpu, resourceClaimName: a}]", "[{name: gpu}, {name: gpu}]", 1),
    ("[{name: gpu, resourceClaimName: a}]", "[{name: gpu, request: one}, {name: gpu, request: two}]", 0),
])
def test_resource_claims(claims, refs, n):
    assert len(run_rule("CG-POD-014", dra_pod(claims, refs), opts=CheckOptions(kube_version="1.34"))) == n


@pytest.mark.parametrize("kube,severity", [("1.33", W), ("1.34", E), ("1.35", E)])
def test_resource_claims_certain_only_where_dra_is_on_by_default(kube, severity):
    found = run_rule("CG-POD-014", dra_pod("[{name: gpu, resourceClaimTemplateName: gpu}]", "[{name: x}]"),
                     opts=CheckOptions(kube_version=kube))
    assert [f.severity for f in found] == [severity]


def ctb_pod(sources: str) -> str:
    return (POD + "  containers:\n  - name: web\n    image: nginx:1.27\n"
            f"  volumes:\n  - name: ca\n    projected: {{sources: {sources}}}\n")


@pytest.mark.parametrize("sources,n", [
    ("[{clusterTrustBundle: {signerName: example.com/s, path: ca.pem}}]", 0),
    ("[{clusterTrustBundle: {name: b, path: ca.pem}}]", 0),
    ("[{clusterTrustBundle: {name: b, signerName: example.com/s, path: ca.pem}}]", 1),
    ("[{clusterTrustBundle: {path: ca.pem}}]", 1),
    ("[{clusterTrustBundle: {name: b, path: ../ca.pem}}]", 1),
    ("[{clusterTrustBundle: {name: b, path: ca.pem}}, {secret: {name: s, items: [{key: k, path: ca.pem}]}}]", 1),
    ("[{clusterTrustBundle: {name: b, path: ca.pem}, secret: {name: s}}]", 1),
])
def test_cluster_trust_bundle_is_a_warning(sources, n):
    found = run_rule("CG-POD-015", ctb_pod(sources))
    assert len(found) == n and {f.severity for f in found} <= {W}


def test_projected_source_with_two_types_is_rejected():
    found = run_rule("CG-POD-003", ctb_pod("[{configMap: {name: a}, secret: {name: b}}]"))
    assert [f.severity for f in found] == [E]
    assert run_rule("CG-POD-003", ctb_pod("[{configMap: {name: a}}, {secret: {name: b}}]")) == []


@pytest.mark.parametrize("finalizers,n", [
    ("[example.com/cleanup, kubernetes, foregroundDeletion]", 0),
    ("[example.com/clean up]", 1),
    ("[a/b/c]", 1),
    ("[orphan, foregroundDeletion]", 1),
])
def test_finalizer_names(finalizers, n):
    cm = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c, finalizers: {finalizers}}}\n"
    assert len(run_rule("CG-OBJ-002", cm)) == n


SIDECAR = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default}\nspec:\n"


@pytest.mark.parametrize("spec,n", [
    ("  egress: [{hosts: [./*]}]\n", 0),
    ("  outboundTrafficPolicy: {}\n", 0),  # a present (empty) policy is configuration
    ("  egress: []\n", 1),
    ("  egress: [{hosts: [./*]}, {hosts: [istio-system/*]}]\n", 1),  # a second catch-all
    ("  egress: [{port: {number: 80, protocol: HTTP, name: http}, hosts: [./*]},"
     " {port: {number: 80, protocol: HTTP, name: http2}, hosts: [./*]}]\n", 1),
    ("  egress: [{port: {number: 80, protocol: HTTP, name: http}, hosts: []}]\n", 1),
    ("  ingress: [{port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: '[::1]:8080'}]\n", 0),
    ("  ingress: [{port: {number: 9080, protocol: HTTP, name: http}, defaultEndpoint: 'unix:///var/run/a.sock'}]\n",
     0),
    ("  ingress: [{defaultEndpoint: '127.0.0.1:8080'}]\n", 1),
    ("  outboundTrafficPolicy: {mode: REGISTRY_ONLY, egressProxy: {host: p.example.com, port: {number: 3128}}}\n", 1),
])
def test_sidecar_listeners(spec, n):
    found = run_rule("CG-MESH-038", SIDECAR + spec)
    assert len(found) == n and {f.severity for f in found} <= {E}


@pytest.mark.parametrize("extra,n", [
    ("  overhead: {cpu: 250m}\n", 1),
    ("  runtimeClassName: kata\n  overhead: {cpu: 250m}\n", 0),  # a class outside the render: not decidable
    ("  runtimeClassName: kata\n  overhead: {cpu: 250m}\n---\napiVersion: node.k8s.io/v1\nkind: RuntimeClass\n"
     "metadata: {name: kata}\nhandler: kata\n", 1),
    ("", 0),
])
def test_overhead_needs_a_runtime_class_with_overhead(extra, n):
    pod = POD.replace("spec:\n", "spec:\n  containers: [{name: web, image: nginx:1.27}]\n") + extra
    assert len(run_rule("CG-POD-016", pod)) == n


@pytest.mark.parametrize("gates,n", [("[{name: a.io/x}, {name: a.io/y}]", 0), ("[{name: a.io/x}, {name: a.io/x}]", 1),
                                     ("[{name: 'bad gate'}]", 1)])
def test_scheduling_gates(gates, n):
    pod = POD + f"  schedulingGates: {gates}\n  containers: [{{name: web, image: nginx:1.27}}]\n"
    assert len([f for f in run_rule("CG-POD-011", pod) if "schedulingGates" in f.message]) == n


@pytest.mark.parametrize("host,n", [
    ("'*'", 0), ("web.example.com", 0), ("'*.example.com'", 0), ("ns/web.example.com", 0), ("'./*'", 0),
    ("1.2.3.4", 0),
    ("web", 1),  # short names are rejected on Gateways
    ("foo.*.com", 1),
    ("a/b/c.com", 1),
])
def test_istio_gateway_server_hosts(host, n):
    gw = ("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: public}\nspec:\n"
          f"  servers: [{{port: {{number: 80, name: http, protocol: HTTP}}, hosts: [{host}]}}]\n")
    assert len(run_rule("CG-ISTIO-017", gw)) == n


@pytest.mark.parametrize("kind,meta,extra,export,n", [
    ("VirtualService", "", "", "['.']", 0),
    ("VirtualService", "", "", "['.', istio-system, team-a]", 0),
    ("VirtualService", "", "", "['*', istio-system]", 1),
    ("VirtualService", "", "", "[a, a]", 1),
    ("VirtualService", ", namespace: shop", "", "['.', shop]", 1),  # `.` is the object's own namespace
    ("VirtualService", "", "", "['.', shop]", 0),  # namespace unknown: `.` may or may not be shop
    ("VirtualService", "", "", "['~']", 1),
    ("ServiceEntry", "", "", "['~']", 0),
    ("ServiceEntry", "", "", "['~', '.']", 1),
    ("VirtualService", "", "", "[Bad_ns]", 1),
    ("DestinationRule", "", "  workloadSelector: {matchLabels: {app: web}}\n", "['*']", 1),
    ("DestinationRule", "", "  workloadSelector: {matchLabels: {app: web}}\n", "[team-a]", 0),
    ("DestinationRule", ", namespace: shop", "  workloadSelector: {matchLabels: {app: web}}\n", "[team-a]", 1),
    ("DestinationRule", "", "  workloadSelector: {matchLabels: {app: web}}\n", "['.', team-a]", 1),
])
def test_export_to(kind, meta, extra, export, n):
    doc = (f"apiVersion: networking.istio.io/v1\nkind: {kind}\nmetadata: {{name: web{meta}}}\nspec:\n"
           f"  hosts: [web.example.com]\n  host: web\n{extra}  exportTo: {export}\n")
    assert len(run_rule("CG-MESH-039", doc)) == n


@pytest.mark.parametrize("hosts,n", [
    ("[web, web.shop.svc.cluster.local, '*.example.com', 10.0.0.1]", 0),
    ("['web:8080']", 1), ("['http://web']", 1), ("[web_api]", 1),
])
def test_virtual_service_host_syntax(hosts, n):
    vs = ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web}\nspec:\n"
          f"  hosts: {hosts}\n  http: [{{route: [{{destination: {{host: web}}}}]}}]\n")
    assert len(run_rule("CG-MESH-040", vs)) == n


def test_sni_virtual_service_hosts_are_left_alone():
    vs = ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: web}\nspec:\n"
          "  hosts: ['web:8080']\n  tls: [{match: [{sniHosts: [web]}], route: [{destination: {host: web}}]}]\n")
    assert run_rule("CG-MESH-040", vs) == []
