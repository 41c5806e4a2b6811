"""CG-REACH-*: NetworkPolicies against the ports and peers Services, Ingresses and gateways use."""

from __future__ import annotations

import pytest

try:
    from recall_docs import deployment, docs, service
except ImportError:  # tests/ made a package
    from tests.check.recall_docs import deployment, docs, service

from chartgen.check.model import Severity

DENY_ALL = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""
DNS = "  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n" \
      "    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n"
GATEWAY_PEER = "{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}, " \
               "podSelector: {matchLabels: {istio: ingressgateway}}}"


def allow(ingress: str, egress: str = DNS) -> str:
    return f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  policyTypes: [Ingress, Egress]
  ingress:
{ingress}
  egress:
{egress}
"""


EDGE = """\
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http:
  - route: [{destination: {host: web, port: {number: 80}}}]
"""

APP = (deployment(), service())

CASES = {
    "policy admits the Service port instead of the targetPort": (
        "CG-REACH-001", Severity.ERROR,
        docs(*APP, DENY_ALL, allow("  - ports: [{port: 80}]")),
        docs(*APP, DENY_ALL, allow("  - ports: [{port: http}]"))),
    "policy admits the right port for UDP only": (
        "CG-REACH-001", Severity.ERROR,
        docs(*APP, DENY_ALL, allow("  - ports: [{port: 8080, protocol: UDP}]")),
        docs(*APP, DENY_ALL, allow("  - ports: [{port: 8000, endPort: 8999}]"))),
    "policy port no selected container declares": (
        "CG-REACH-002", Severity.WARNING,
        docs(*APP, DENY_ALL, allow("  - ports: [{port: http}, {port: metrics}]")),
        docs(*APP, DENY_ALL, allow("  - ports: [{port: http}, {port: 8080, protocol: TCP}]"))),
    "gateway-routed Service admits only same-namespace pods": (
        "CG-REACH-003", Severity.WARNING,
        docs(*APP, EDGE, DENY_ALL, allow("  - from: [{podSelector: {}}]\n    ports: [{port: http}]")),
        docs(*APP, EDGE, DENY_ALL, allow(f"  - from: [{{podSelector: {{}}}}, {GATEWAY_PEER}]\n"
                                         "    ports: [{port: http}]"))),
    "egress isolation without DNS": (
        "CG-REACH-004", Severity.WARNING,
        docs(*APP, DENY_ALL, allow("  - ports: [{port: http}]", "  - ports: [{port: 5432}]\n")),
        docs(*APP, DENY_ALL, allow("  - ports: [{port: http}]", "  - ports: [{port: 5432}]\n"
                                                                "  - ports: [{port: 1, endPort: 1024, "
                                                                "protocol: UDP}]\n"))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fires_on_the_fault_and_not_on_the_near_miss(check, name):
    rule_id, severity, bad, good = CASES[name]
    found = check(bad, rule=rule_id)
    assert found and {f.severity for f in found} == {severity}, (name, found)
    assert check(good, rule=rule_id) == [], name


def test_a_named_egress_port_may_be_dns(check):
    text = docs(*APP, DENY_ALL, allow("  - ports: [{port: http}]", "  - ports: [{port: dns, protocol: UDP}]\n"))
    assert check(text, rule="CG-REACH-004") == []


def test_no_policy_means_no_isolation(check):
    findings = check(docs(*APP))
    assert [f for f in findings if f.rule.startswith("CG-REACH")] == []


def test_a_service_without_selector_backed_by_endpointslices_is_left_alone(check):
    external = """\
    apiVersion: v1
    kind: Service
    metadata: {name: legacy-db, namespace: shop}
    spec:
      ports: [{name: tcp-pg, port: 5432}]
    ---
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata: {name: legacy-db-1, namespace: shop, labels: {kubernetes.io/service-name: legacy-db}}
    addressType: IPv4
    ports: [{name: tcp-pg, port: 5432}]
    endpoints: [{addresses: [10.20.0.5]}]
    """
    findings = check(docs(*APP, DENY_ALL, allow("  - ports: [{port: http}]"), external))
    assert [f for f in findings if f.rule.startswith("CG-REACH") or f.severity == Severity.ERROR] == []


def test_a_policy_of_another_namespace_does_not_isolate(check):
    other = DENY_ALL.replace("namespace: shop", "namespace: other")
    assert check(docs(*APP, other), rule="CG-REACH-001") == []
