"""Layer "api": every rule fires on a broken snippet (naming the field) and stays quiet on the fixed one."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from chartgen.check.helpers import (dns1035_label_errors, label_value_errors, port_name_errors,
                                      qualified_name_errors)
from chartgen.check.model import Severity

PORT = {"name": "http", "port": 80, "targetPort": 8080}


def service(spec: dict[str, Any] | None = None, name: str = "web", annotations: dict[str, str] | None = None,
            **spec_fields: Any) -> str:
    body = {"selector": {"app": "web"}, "ports": [dict(PORT)]}
    body.update(spec or {})
    body.update(spec_fields)
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = annotations
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": body})


def ports(*entries: dict[str, Any]) -> list[dict[str, Any]]:
    return list(entries)


# rule id, broken Service spec, fixed Service spec, field the finding must name, options
SERVICE_CASES = [
    ("CG-SVC-002", {"ports": []}, {"ports": [], "clusterIP": "None"}, "spec.ports", {}),
    ("CG-SVC-002", {"ports": [], "type": "NodePort"},
     {"ports": [], "type": "ExternalName", "externalName": "db.example.com"}, "spec.ports", {}),
    ("CG-SVC-003", {"ports": ports(PORT, {"port": 81})}, {"ports": ports({"port": 81})}, "spec.ports[1].name", {}),
    ("CG-SVC-004", {"ports": ports({"name": "Web_Bad", "port": 80})}, {"ports": ports({"name": "web-ok", "port": 80})},
     "spec.ports[0].name", {}),
    ("CG-SVC-005", {"ports": ports(PORT, {"name": "http", "port": 81})},
     {"ports": ports(PORT, {"name": "admin", "port": 81})}, "spec.ports[1].name", {}),
    ("CG-SVC-006", {"ports": ports({"port": 0})}, {"ports": ports({"port": 65535})}, "spec.ports[0].port", {}),
    ("CG-SVC-006", {"ports": ports({"port": 65536})}, {"ports": ports({"port": 1})}, "spec.ports[0].port", {}),
    ("CG-SVC-007", {"ports": ports({"name": "a", "port": 80}, {"name": "b", "port": 80, "protocol": "TCP"})},
     {"ports": ports({"name": "a", "port": 80}, {"name": "b", "port": 80, "protocol": "UDP"})}, "spec.ports[1].port", {}),
    ("CG-SVC-008", {"ports": ports({"port": 80, "protocol": "FOO"})}, {"ports": ports({"port": 80, "protocol": "SCTP"})},
     "spec.ports[0].protocol", {}),
    ("CG-SVC-009", {"ports": ports({"port": 80, "appProtocol": "a/b/c"})},
     {"ports": ports({"port": 80, "appProtocol": "kubernetes.io/h2c"})}, "spec.ports[0].appProtocol", {}),
    ("CG-SVC-010", {"ports": ports({"port": 80, "targetPort": 70000})}, {"ports": ports({"port": 80, "targetPort": 0})},
     "spec.ports[0].targetPort", {}),
    ("CG-SVC-010", {"ports": ports({"port": 80, "targetPort": "http-metrics-admin"})},
     {"ports": ports({"port": 80, "targetPort": "http-metrics"})}, "spec.ports[0].targetPort", {}),
    ("CG-SVC-011", {"ports": ports({"port": 80, "nodePort": 30080})},
     {"type": "NodePort", "ports": ports({"port": 80, "nodePort": 30080})}, "spec.ports[0].nodePort", {}),
    ("CG-SVC-012", {"type": "NodePort", "ports": ports({"name": "a", "port": 80, "nodePort": 30080},
                                                         {"name": "b", "port": 81, "nodePort": 30080})},
     {"type": "NodePort", "ports": ports({"name": "a", "port": 80, "nodePort": 30080},
                                         {"name": "b", "port": 81, "nodePort": 30080, "protocol": "UDP"})},
     "spec.ports[1].nodePort", {}),
    ("CG-SVC-013", {"type": "NodePort", "ports": ports({"port": 80, "nodePort": 8080})},
     {"type": "NodePort", "ports": ports({"port": 80, "nodePort": 32767})}, "spec.ports[0].nodePort", {}),
    ("CG-SVC-013", {"type": "LoadBalancer", "ports": ports({"port": 80, "nodePort": 30080})},
     {"type": "LoadBalancer", "ports": ports({"port": 80, "nodePort": 20080})}, "spec.ports[0].nodePort",
     {"node_port_range": (20000, 22767)}),
    ("CG-SVC-014", {"type": "Banana"}, {"type": "LoadBalancer"}, "spec.type", {}),
    ("CG-SVC-015", {"type": "ExternalName"}, {"type": "ExternalName", "externalName": "db.example.com."},
     "spec.externalName", {}),
    ("CG-SVC-015", {"type": "ExternalName", "externalName": "https://db.example.com"},
     {"type": "ExternalName", "externalName": "db.example.com"}, "spec.externalName", {}),
    ("CG-SVC-016", {"type": "ExternalName", "externalName": "db.example.com", "clusterIP": "None"},
     {"type": "ExternalName", "externalName": "db.example.com", "clusterIP": ""}, "spec.clusterIP", {}),
    ("CG-SVC-016", {"type": "ExternalName", "externalName": "db.example.com", "ipFamilyPolicy": "SingleStack"},
     {"type": "ExternalName", "externalName": "db.example.com"}, "spec.ipFamilyPolicy", {}),
    ("CG-SVC-017", {"type": "NodePort", "clusterIP": "None"}, {"type": "ClusterIP", "clusterIP": "None"},
     "spec.clusterIP", {}),
    ("CG-SVC-017", {"type": "LoadBalancer", "clusterIPs": ["None"]}, {"clusterIPs": ["None"]},
     "spec.clusterIPs[0]", {}),
    ("CG-SVC-018", {"clusterIPs": ["None", "10.96.0.10"]}, {"clusterIPs": ["None"]}, "spec.clusterIPs", {}),
    ("CG-SVC-018", {"clusterIP": "10.96.0.300"}, {"clusterIP": "10.96.0.30"}, "spec.clusterIP", {}),
    ("CG-SVC-018", {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.11"]},
     {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10", "fd00::10"]}, "spec.clusterIPs[0]", {}),
    ("CG-SVC-019", {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/33"]},
     {"type": "LoadBalancer", "loadBalancerSourceRanges": [" 10.0.0.0/8 "]}, "spec.loadBalancerSourceRanges[0]", {}),
    ("CG-SVC-019", {"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.7"]},
     {"type": "LoadBalancer", "loadBalancerSourceRanges": ["203.0.113.7/32"]}, "spec.loadBalancerSourceRanges[0]", {}),
    ("CG-SVC-020", {"loadBalancerSourceRanges": ["10.0.0.0/8"]},
     {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8"]}, "spec.loadBalancerSourceRanges", {}),
    ("CG-SVC-020", {"type": "NodePort", "allocateLoadBalancerNodePorts": False},
     {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False}, "spec.allocateLoadBalancerNodePorts", {}),
    ("CG-SVC-020", {"loadBalancerClass": "example.com/lb"}, {"type": "LoadBalancer", "loadBalancerClass": "example.com/lb"},
     "spec.loadBalancerClass", {}),
    ("CG-SVC-021", {"type": "LoadBalancer", "loadBalancerClass": "my lb"},
     {"type": "LoadBalancer", "loadBalancerClass": "example.com/internal"}, "spec.loadBalancerClass", {}),
    ("CG-SVC-022", {"sessionAffinity": "Sticky"}, {"sessionAffinity": "ClientIP"}, "spec.sessionAffinity", {}),
    ("CG-SVC-023", {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 0}}},
     {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 86400}}},
     "spec.sessionAffinityConfig.clientIP.timeoutSeconds", {}),
    ("CG-SVC-023", {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 86401}}},
     {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 1}}},
     "spec.sessionAffinityConfig.clientIP.timeoutSeconds", {}),
    ("CG-SVC-024", {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}},
     {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}},
     "spec.sessionAffinityConfig", {}),
    ("CG-SVC-025", {"externalTrafficPolicy": "Local"}, {"externalTrafficPolicy": "Local", "externalIPs": ["203.0.113.9"]},
     "spec.externalTrafficPolicy", {}),
    ("CG-SVC-025", {"type": "ExternalName", "externalName": "a.example.com", "externalTrafficPolicy": "Cluster"},
     {"type": "NodePort", "externalTrafficPolicy": "Cluster"}, "spec.externalTrafficPolicy", {}),
    ("CG-SVC-026", {"type": "NodePort", "externalTrafficPolicy": "local"},
     {"type": "NodePort", "externalTrafficPolicy": "Local"}, "spec.externalTrafficPolicy", {}),
    ("CG-SVC-027", {"type": "NodePort", "externalTrafficPolicy": "Local", "healthCheckNodePort": 30500},
     {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 30500},
     "spec.healthCheckNodePort", {}),
    ("CG-SVC-027", {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "healthCheckNodePort": 80},
     {"type": "LoadBalancer", "externalTrafficPolicy": "Local"}, "spec.healthCheckNodePort", {}),
    ("CG-SVC-028", {"internalTrafficPolicy": "Node"}, {"internalTrafficPolicy": "Local"},
     "spec.internalTrafficPolicy", {}),
    ("CG-SVC-029", {"externalIPs": ["127.0.0.1"]}, {"externalIPs": ["203.0.113.10"]}, "spec.externalIPs[0]", {}),
    ("CG-SVC-029", {"externalIPs": ["169.254.10.1"]}, {"externalIPs": ["2001:db8::1"]}, "spec.externalIPs[0]", {}),
    ("CG-SVC-029", {"externalIPs": ["224.0.0.5"]}, {"externalIPs": ["198.51.100.1"]}, "spec.externalIPs[0]", {}),
    ("CG-SVC-029", {"externalIPs": ["10.0.0.0/8"]}, {"externalIPs": ["10.0.0.8"]}, "spec.externalIPs[0]", {}),
    ("CG-SVC-030", {"type": "LoadBalancer", "ports": ports({"port": 10250})},
     {"type": "ClusterIP", "ports": ports({"port": 10250})}, "spec.ports[0].port", {}),
    ("CG-SVC-031", {"loadBalancerIP": "203.0.113.5"}, {}, "spec.loadBalancerIP", {}),
    ("CG-SVC-032", {"ipFamilies": ["IPv5"]}, {"ipFamilies": ["IPv6"]}, "spec.ipFamilies[0]", {}),
    ("CG-SVC-032", {"ipFamilies": ["IPv4", "IPv4"]}, {"ipFamilies": ["IPv4", "IPv6"]}, "spec.ipFamilies", {}),
    ("CG-SVC-032", {"ipFamilyPolicy": "DualStack"}, {"ipFamilyPolicy": "PreferDualStack"}, "spec.ipFamilyPolicy", {}),
    ("CG-SVC-032", {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4", "IPv6"]},
     {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"]}, "spec.ipFamilies", {}),
    ("CG-SVC-033", {"trafficDistribution": "PreferSameZone"}, {"trafficDistribution": "PreferClose"},
     "spec.trafficDistribution", {}),
]


@pytest.mark.parametrize("rule, broken, fixed, field, options", SERVICE_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SERVICE_CASES)])
def test_service_rule_fires_on_broken_and_not_on_fixed(check, rule, broken, fixed, field, options):
    found = check(service(broken), rule=rule, **options)
    assert [f.field for f in found] == [field], found
    finding = found[0]
    assert finding.message.startswith("Service web: ")  # names the resource...
    assert field in finding.message or field.split(".")[-1] in finding.message  # ...and the field
    assert finding.hint
    assert check(service(fixed), rule=rule, **options) == []


def test_service_rules_keep_api_server_severity(check):
    assert {f.severity for f in check(service({"type": "Banana"}), rule="CG-SVC-014")} == {Severity.ERROR}
    deprecated = check(service({"type": "LoadBalancer", "loadBalancerIP": "203.0.113.5"}), rule="CG-SVC-031")
    assert [f.severity for f in deprecated] == [Severity.WARNING]
    ip_alias = check(service({"type": "ExternalName", "externalName": "10.0.0.1"}), rule="CG-SVC-015")
    assert [f.severity for f in ip_alias] == [Severity.WARNING]


@pytest.mark.parametrize("name, fires", [("web", False), ("web-2", False), ("Web_Svc", True), ("1web", True),
                                         ("a" * 64, True), ("a" * 63, False), ("web.svc", True)])
def test_cg_svc_001_service_name_is_a_dns1035_label(check, name, fires):
    found = check(service(name=name), rule="CG-SVC-001")
    assert bool(found) is fires
    if fires:
        assert found[0].field == "metadata.name"


def test_cg_svc_008_hint_suggests_upper_case(check):
    (finding,) = check(service({"ports": ports({"port": 80, "protocol": "tcp"})}), rule="CG-SVC-008")
    assert "TCP" in finding.hint


def test_cg_svc_010_quoted_number_hint(check):
    (finding,) = check(service({"ports": ports({"port": 80, "targetPort": "8080"})}), rule="CG-SVC-010")
    assert "unquoted" in finding.hint


def test_cg_svc_014_hint_fixes_case(check):
    (finding,) = check(service({"type": "nodeport"}), rule="CG-SVC-014")
    assert "NodePort" in finding.hint


def test_cg_svc_019_checks_the_source_ranges_annotation(check):
    annotations = {"service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8, bogus"}
    found = check(service({"type": "LoadBalancer"}, annotations=annotations), rule="CG-SVC-019")
    assert len(found) == 1 and "'bogus'" in found[0].message
    assert found[0].field == "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]"


def test_cg_svc_033_accepts_new_values_on_newer_kubernetes(check):
    assert check(service({"trafficDistribution": "PreferSameZone"}), rule="CG-SVC-033", kube_version="1.33") == []


def test_the_reference_example_is_fully_reported(check):
    """kubernetes-service-rules.md: strict schema validation alone passes this Service."""
    text = service({"type": "Banana", "ports": ports({"name": "Web_Bad", "port": 80, "protocol": "FOO",
                                                      "nodePort": 99999}, {"port": 81})})
    rules = {f.rule for f in check(text) if f.rule.startswith("CG-SVC")}
    assert {"CG-SVC-014", "CG-SVC-004", "CG-SVC-008", "CG-SVC-003"} <= rules


# --- document-level rules -------------------------------------------------------------------------------------

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n"


@pytest.mark.parametrize("text, field", [
    ("- a list\n- of things\n", None),
    ("apiVersion: v1\nmetadata: {name: x}\n", "kind"),
    ("kind: ConfigMap\nmetadata: {name: x}\n", "apiVersion"),
    ("apiVersion: 1\nkind: ConfigMap\nmetadata: {name: x}\n", "apiVersion"),
])
def test_cg_api_001_not_an_object(check, text, field):
    found = check(text, rule="CG-API-001")
    assert [f.field for f in found] == [field]
    assert found[0].severity == Severity.ERROR
    assert check(CONFIGMAP, rule="CG-API-001") == []


def test_cg_api_002_duplicate_key(check):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  a: b\n  a: c\n"
    (finding,) = check(text, rule="CG-API-002")
    assert (finding.field, finding.line) == ("data.a", 6)
    assert "lines 5 and 6" in finding.message
    assert check(CONFIGMAP, rule="CG-API-002") == []


def configmap(name: str, namespace: str | None = None, api_version: str = "v1", kind: str = "ConfigMap") -> str:
    md: dict[str, Any] = {"name": name}
    if namespace:
        md["namespace"] = namespace
    return yaml.safe_dump({"apiVersion": api_version, "kind": kind, "metadata": md})


@pytest.mark.parametrize("docs, namespace, fires", [
    ([configmap("a"), configmap("a")], None, True),
    ([configmap("a", "x"), configmap("a", "x")], None, True),
    ([configmap("a", "x"), configmap("a", "y")], None, False),
    ([configmap("a"), configmap("a", kind="Secret")], None, False),
    ([configmap("a"), configmap("a", "demo")], None, False),
    ([configmap("a"), configmap("a", "demo")], "demo", True),
    ([configmap("r", "x", "rbac.authorization.k8s.io/v1", "ClusterRole"),
      configmap("r", "y", "rbac.authorization.k8s.io/v1", "ClusterRole")], None, True),
    ([configmap("d", api_version="apps/v1", kind="Deployment"),
      configmap("d", api_version="extensions/v1beta1", kind="Deployment")], None, False),
])
def test_cg_api_003_duplicate_objects(check, docs, namespace, fires):
    found = check("---\n".join(docs), rule="CG-API-003", namespace=namespace)
    assert bool(found) is fires
    if fires:
        assert found[0].doc_index == 1 and "test.yaml:1" in found[0].message


def labelled(labels: dict[str, Any], kind: str = "ConfigMap", api_version: str = "v1", spec: Any = None) -> str:
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "labels": labels}}
    if spec is not None:
        obj["spec"] = spec
    return yaml.safe_dump(obj)


def deployment(selector: dict[str, Any], pod_labels: dict[str, str], affinity: Any = None) -> str:
    pod_spec: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    if affinity:
        pod_spec["affinity"] = affinity
    return yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                           "spec": {"selector": selector,
                                    "template": {"metadata": {"labels": pod_labels}, "spec": pod_spec}}})


@pytest.mark.parametrize("text, field", [
    (labelled({"app": "free text!"}), "metadata.labels.app"),
    (labelled({"bad key": "x"}), "metadata.labels[bad key]"),
    (labelled({"example.com/a/b": "x"}), "metadata.labels[example.com/a/b]"),
    (labelled({"app": "x" * 64}), "metadata.labels.app"),
    (deployment({"matchLabels": {"app": "-d"}}, {"app": "d"}), "spec.selector.matchLabels.app"),
    (deployment({"matchLabels": {"app": "d"}}, {"app": "d_"}), "spec.template.metadata.labels.app"),
    (deployment({"matchExpressions": [{"key": "app", "operator": "in", "values": ["d"]}]}, {"app": "d"}),
     "spec.selector.matchExpressions[0].operator"),
    (deployment({"matchExpressions": [{"key": "app", "operator": "In", "values": []}]}, {"app": "d"}),
     "spec.selector.matchExpressions[0].values"),
    (deployment({"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["d"]}]}, {"app": "d"}),
     "spec.selector.matchExpressions[0].values"),
    (deployment({"matchExpressions": [{"key": "app", "operator": "In", "values": ["no way"]}]}, {"app": "d"}),
     "spec.selector.matchExpressions[0].values[0]"),
    (service(selector={"app.kubernetes.io/name": "web app"}), "spec.selector[app.kubernetes.io/name]"),
])
def test_cg_api_004_invalid_labels_and_selectors(check, text, field):
    found = check(text, rule="CG-API-004")
    assert [f.field for f in found] == [field]


@pytest.mark.parametrize("text", [
    labelled({"app.kubernetes.io/name": "web", "helm.sh/chart": "web-0.1.0", "empty": "", "v": "1.2.3_rc-1"}),
    deployment({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["db"]}]}, {"tier": "web"},
               affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                   {"matchExpressions": [{"key": "cpu-count", "operator": "Gt", "values": ["4"]}]}]}}}),
    # inside an unknown CRD, a nested "labels" key is user data: only metadata.labels is checked
    labelled({"app": "ok"}, kind="Application", api_version="argoproj.io/v1alpha1",
             spec={"template": {"metadata": {"labels": {"x": "{{ not a label }}"}}}}),
])
def test_cg_api_004_quiet_on_valid_labels(check, text):
    assert check(text, rule="CG-API-004") == []


@pytest.mark.parametrize("text, field, fires", [
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "metadata.name", True),
    ("apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-}\nspec: {}\n", None, False),
    (configmap("My_Config"), "metadata.name", True),
    (configmap("cfg.v1"), None, False),
    (configmap("a.b", kind="Namespace"), "metadata.name", True),
    (configmap("system:controller:web", api_version="rbac.authorization.k8s.io/v1", kind="ClusterRole"), None, False),
    (configmap("a/b", api_version="rbac.authorization.k8s.io/v1", kind="Role"), "metadata.name", True),
    (configmap("cfg", namespace="Bad_NS"), "metadata.namespace", True),
    (configmap("Web_Svc", kind="Service"), None, False),  # core Services: CG-SVC-001
    (configmap("Web_Svc", api_version="serving.knative.dev/v1", kind="Service"), "metadata.name", True),
])
def test_cg_api_005_object_names(check, text, field, fires):
    found = check(text, rule="CG-API-005")
    assert [f.field for f in found] == ([field] if fires else [])


# --- name validators (the building blocks) -------------------------------------------------------------------

@pytest.mark.parametrize("fn, value, ok", [
    (dns1035_label_errors, "a-1", True), (dns1035_label_errors, "1a", False),
    (qualified_name_errors, "example.com/Name_1", True), (qualified_name_errors, "/x", False),
    (qualified_name_errors, "Example.com/x", False), (qualified_name_errors, "a" * 64, False),
    (label_value_errors, "", True), (label_value_errors, "a b", False),
    (port_name_errors, "http", True), (port_name_errors, "8080", False), (port_name_errors, "a--b", False),
    (port_name_errors, "-http", False), (port_name_errors, "a" * 16, False), (port_name_errors, "HTTP", False),
])
def test_name_validators(fn, value, ok):
    assert (fn(value) == []) is ok


def _pod_with_ports(*ports: dict[str, Any], init_ports: tuple[dict[str, Any], ...] = ()) -> str:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "r/app:1", "ports": list(ports)}]}
    if init_ports:
        spec["initContainers"] = [{"name": "init", "image": "r/init:1", "ports": list(init_ports)}]
    return yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                           "spec": {"selector": {"matchLabels": {"app": "web"}},
                                    "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}}})


@pytest.mark.parametrize("ports, field", [
    (({"name": "metrics-endpoint", "containerPort": 9090},), "spec.template.spec.containers[0].ports[0].name"),
    (({"name": "Http", "containerPort": 80},), "spec.template.spec.containers[0].ports[0].name"),
    (({"name": "8080", "containerPort": 8080},), "spec.template.spec.containers[0].ports[0].name"),
    (({"name": "http", "containerPort": 80}, {"name": "http", "containerPort": 81}),
     "spec.template.spec.containers[0].ports[1].name"),
])
def test_cg_api_006_container_port_names(check, ports, field):
    (finding,) = check(_pod_with_ports(*ports), rule="CG-API-006")
    assert finding.field == field and finding.severity == Severity.ERROR
    ok = _pod_with_ports({"name": "http", "containerPort": 80}, {"name": "metrics", "containerPort": 9090},
                         {"containerPort": 9091})
    assert check(ok, rule="CG-API-006") == []


def test_cg_api_006_names_are_unique_across_init_and_app_containers(check):
    text = _pod_with_ports({"name": "http", "containerPort": 80}, init_ports=({"name": "http", "containerPort": 81},))
    (finding,) = check(text, rule="CG-API-006")
    assert finding.field == "spec.template.spec.containers[0].ports[0].name"
