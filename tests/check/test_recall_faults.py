"""Recall: a clean, hardened app (fixtures/hardened-app.yaml) stays clean with every rule on, and each single
fault that reaches a cluster today is caught by the rule meant for it, as an error or a warning."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from chartgen.check.command import check_text
from chartgen.check.coverage import entries as coverage_entries
from chartgen.check.model import CheckOptions, Finding, Severity
from chartgen.check.registry import all_rules
from chartgen.check.runner import load_rule_modules

FIXTURE = Path(__file__).parent / "fixtures" / "hardened-app.yaml"
Docs = list[dict[str, Any]]


def load_app() -> Docs:
    return [d for d in yaml.safe_load_all(FIXTURE.read_text()) if isinstance(d, dict)]


def run(docs: Docs, profile: str = "default") -> list[Finding]:
    return check_text(yaml.safe_dump_all(docs, sort_keys=False), "app.yaml", CheckOptions(profile=profile))


def obj(docs: Docs, kind: str, name: str) -> dict[str, Any]:
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    raise KeyError(f"{kind} {name}")


def pod(docs: Docs) -> dict[str, Any]:
    return obj(docs, "Deployment", "web")["spec"]["template"]["spec"]


def web(docs: Docs) -> dict[str, Any]:
    return pod(docs)["containers"][0]


def job_pod(docs: Docs) -> dict[str, Any]:
    return obj(docs, "CronJob", "web-cleanup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def np_web(docs: Docs) -> dict[str, Any]:
    return obj(docs, "NetworkPolicy", "web")["spec"]


def vs(docs: Docs) -> dict[str, Any]:
    return obj(docs, "VirtualService", "web")["spec"]


def dr(docs: Docs) -> dict[str, Any]:
    return obj(docs, "DestinationRule", "web")["spec"]


def add(docs: Docs, text: str) -> None:
    docs.append(yaml.safe_load(text))


def setitem(target: dict[str, Any], key: str, value: Any) -> None:
    target[key] = value


Fault = Callable[[Docs], None]

FAULTS: dict[str, tuple[str, Fault]] = {
    # --- 1. API server validation the schema cannot express -------------------------------------------------
    "volumeMount names an undefined volume": (
        "CG-POD-001", lambda d: web(d)["volumeMounts"].append({"name": "cache", "mountPath": "/cache"})),
    "duplicate volume name": (
        "CG-POD-002", lambda d: pod(d)["volumes"].append({"name": "tmp", "emptyDir": {}})),
    "configMap item path is absolute": (
        "CG-POD-003", lambda d: setitem(pod(d)["volumes"][0]["configMap"]["items"][0], "path", "/etc/web/c.yaml")),
    "init container and container share a name": (
        "CG-POD-004", lambda d: setitem(pod(d)["initContainers"][0], "name", "web")),
    "image reference with uppercase repository": (
        "CG-POD-005", lambda d: setitem(web(d), "image", "registry.example.com/Shop/web:1.4.2")),
    "image with an empty tag": (
        "CG-POD-005", lambda d: setitem(web(d), "image", "registry.example.com/shop/web:")),
    "env var with value and valueFrom": (
        "CG-POD-006", lambda d: setitem(web(d)["env"][0], "value", "production")),
    "configMapKeyRef key with a slash": (
        "CG-POD-006", lambda d: setitem(web(d)["env"][0]["valueFrom"]["configMapKeyRef"], "key", "app/mode")),
    "envFrom with both configMapRef and secretRef": (
        "CG-POD-006", lambda d: setitem(web(d)["envFrom"][0], "secretRef", {"name": "web-secret"})),
    "containerPort out of range": (
        "CG-POD-007", lambda d: setitem(web(d)["ports"][1], "containerPort", 90900)),
    "lower-case port protocol": (
        "CG-POD-007", lambda d: setitem(web(d)["ports"][0], "protocol", "tcp")),
    "probe with two handlers": (
        "CG-POD-008", lambda d: setitem(web(d)["livenessProbe"], "tcpSocket", {"port": "http"})),
    "liveness successThreshold 3": (
        "CG-POD-008", lambda d: setitem(web(d)["livenessProbe"], "successThreshold", 3)),
    "cpu request above its limit": (
        "CG-POD-009", lambda d: setitem(web(d)["resources"]["requests"], "cpu", "2")),
    "memory quantity with a bad suffix": (
        "CG-POD-009", lambda d: setitem(web(d)["resources"]["limits"], "memory", "256MB")),
    "Deployment with restartPolicy OnFailure": (
        "CG-POD-010", lambda d: setitem(pod(d), "restartPolicy", "OnFailure")),
    "CronJob pod with restartPolicy Always": (
        "CG-POD-010", lambda d: setitem(job_pod(d), "restartPolicy", "Always")),
    "toleration Exists with a value": (
        "CG-POD-011", lambda d: setitem(pod(d)["tolerations"][0], "operator", "Exists")),
    "unknown dnsPolicy": (
        "CG-POD-011", lambda d: setitem(pod(d), "dnsPolicy", "ClusterFirstWithHostNetwork")),
    "configMapKeyRef to a key the ConfigMap does not have": (
        "CG-POD-013", lambda d: setitem(web(d)["env"][0]["valueFrom"]["configMapKeyRef"], "key", "APP_MOD")),
    "sidecar container on the app's port": (
        "CG-POD-007", lambda d: pod(d)["containers"].append({
            "name": "metrics-proxy", "image": "registry.example.com/shop/proxy:0.9.1",
            "ports": [{"name": "proxy", "containerPort": 9090}],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi", "cpu": "1"}}})),
    "runAsNonRoot with runAsUser 0": (
        "CG-POD-012", lambda d: setitem(web(d)["securityContext"], "runAsUser", 0)),
    "required anti-affinity without topologyKey": (
        "CG-POD-011", lambda d: setitem(pod(d), "affinity", {"podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}}}]}})),
    "rolling update maxSurge 0 and maxUnavailable 0": (
        "CG-APPS-002", lambda d: setitem(obj(d, "Deployment", "web")["spec"]["strategy"]["rollingUpdate"],
                                         "maxSurge", 0)),
    "progressDeadlineSeconds below minReadySeconds": (
        "CG-APPS-001", lambda d: setitem(obj(d, "Deployment", "web")["spec"], "minReadySeconds", 900)),
    "CronJob schedule with an hour of 25": (
        "CG-BATCH-002", lambda d: setitem(obj(d, "CronJob", "web-cleanup")["spec"], "schedule", "15 25 * * 1-5")),
    "CronJob schedule with CRON_TZ": (
        "CG-BATCH-002", lambda d: setitem(obj(d, "CronJob", "web-cleanup")["spec"], "schedule",
                                          "CRON_TZ=Europe/Berlin 15 3 * * *")),
    "CronJob timeZone not IANA": (
        "CG-BATCH-002", lambda d: setitem(obj(d, "CronJob", "web-cleanup")["spec"], "timeZone", "CET+1")),
    "Job backoffLimit negative": (
        "CG-BATCH-001", lambda d: setitem(obj(d, "CronJob", "web-cleanup")["spec"]["jobTemplate"]["spec"],
                                          "backoffLimit", -1)),
    "NetworkPolicy ipBlock except outside cidr": (
        "CG-NET-001", lambda d: setitem(np_web(d)["egress"][1]["to"][0]["ipBlock"], "except", ["10.30.0.0/24"])),
    "NetworkPolicy peer mixes ipBlock and podSelector": (
        "CG-NET-001", lambda d: setitem(np_web(d)["egress"][1]["to"][0], "podSelector", {})),
    "NetworkPolicy namespaceSelector misses the labels of the rendered Namespace": (
        "CG-NET-003", lambda d: [add(d, """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
"""), add(d, """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-team, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: shopp}}}]}]
""")]),
    "IngressClass controller without its domain": (
        "CG-NET-004", lambda d: add(d, """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: shop}
spec: {controller: ingress-nginx}
""")),
    "Ingress backend port with name and number": (
        "CG-NET-002", lambda d: setitem(obj(d, "Ingress", "web")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
                                        ["service"]["port"], "number", 80)),
    "Ingress Prefix path not absolute": (
        "CG-NET-002", lambda d: setitem(obj(d, "Ingress", "web")["spec"]["rules"][0]["http"]["paths"][0],
                                        "path", "api")),
    "ConfigMap key with a slash": (
        "CG-CFG-001", lambda d: setitem(obj(d, "ConfigMap", "web-config")["data"], "conf/app.yaml", "x: 1")),
    "Secret data not base64": (
        "CG-CFG-001", lambda d: setitem(obj(d, "Secret", "web-secret")["data"], "DATABASE_URL",
                                        "postgres://shop@db:5432/shop")),
    "TLS Secret without tls.key": (
        "CG-CFG-002", lambda d: obj(d, "Secret", "web-tls")["data"].pop("tls.key")),
    "annotation key with a space": (
        "CG-OBJ-001", lambda d: setitem(obj(d, "Deployment", "web")["metadata"]["annotations"], "checksum config",
                                        "abc")),
    "HPA scales a kind without a scale subresource": (
        "CG-HPA-004", lambda d: setitem(obj(d, "HorizontalPodAutoscaler", "web")["spec"]["scaleTargetRef"], "kind",
                                        "DaemonSet")),
    "HPA minReplicas above maxReplicas": (
        "CG-HPA-001", lambda d: setitem(obj(d, "HorizontalPodAutoscaler", "web")["spec"], "minReplicas", 12)),
    # validateResourceSource: exactly one of averageUtilization and averageValue (a Utilization target that sets
    # only averageValue is accepted, and the controller scales on the raw value)
    "HPA resource target with averageUtilization and averageValue": (
        "CG-HPA-001", lambda d: setitem(obj(d, "HorizontalPodAutoscaler", "web")["spec"]["metrics"][0]["resource"],
                                        "target", {"type": "Utilization", "averageUtilization": 70,
                                                   "averageValue": "500m"})),
    "PDB with minAvailable and maxUnavailable": (
        "CG-AVAIL-001", lambda d: setitem(obj(d, "PodDisruptionBudget", "web")["spec"], "minAvailable", 1)),
    # --- 2. availability -----------------------------------------------------------------------------------
    "PDB maxUnavailable 0": (
        "CG-AVAIL-002", lambda d: setitem(obj(d, "PodDisruptionBudget", "web")["spec"], "maxUnavailable", 0)),
    "PDB minAvailable equal to the replicas": (
        "CG-AVAIL-002", lambda d: (obj(d, "PodDisruptionBudget", "web")["spec"].pop("maxUnavailable"),
                                   setitem(obj(d, "PodDisruptionBudget", "web")["spec"], "minAvailable", 3))),
    "HPA on cpu utilisation without cpu requests": (
        "CG-HPA-002", lambda d: (web(d)["resources"]["requests"].pop("cpu"), web(d)["resources"]["limits"].pop("cpu"))),
    "Deployment replicas fixed under an HPA": (
        "CG-HPA-003", lambda d: setitem(obj(d, "Deployment", "web")["spec"], "replicas", 2)),
    "a second PDB over the same pods": (
        "CG-AVAIL-003", lambda d: add(d, """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: shop, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app.kubernetes.io/instance: shop}}
""")),
    # --- 3. reachability -----------------------------------------------------------------------------------
    "NetworkPolicy admits the Service port, not the targetPort": (
        "CG-REACH-001", lambda d: setitem(np_web(d)["ingress"][0]["ports"][0], "port", 80)),
    "NetworkPolicy admits a port no pod serves": (
        "CG-REACH-002", lambda d: np_web(d)["ingress"][1]["ports"].append({"port": 9091})),
    "Istio ingress gateway blocked by a same-namespace-only policy": (
        "CG-REACH-003", lambda d: setitem(np_web(d)["ingress"][0], "from", [{"podSelector": {}}])),
    "egress deny without DNS": (
        "CG-REACH-004", lambda d: np_web(d)["egress"].pop(0)),
    # --- 4. Istio ------------------------------------------------------------------------------------------
    "VirtualService regex with a lookahead (IST0122)": (
        "CG-MESH-001", lambda d: setitem(vs(d)["http"][0]["match"][1]["uri"], "regex", "^/v[0-9]+/(?!internal).*")),
    "catch-all route before a specific one (IST0130)": (
        "CG-MESH-002", lambda d: vs(d)["http"].reverse()),
    "duplicate match in a later route (IST0131)": (
        "CG-MESH-003", lambda d: vs(d)["http"][1].setdefault("match", []).extend(
            [copy.deepcopy(vs(d)["http"][0]["match"][0]), {"uri": {"prefix": "/"}}])),
    "DestinationRule SIMPLE TLS without CA (IST0128)": (
        "CG-MESH-004", lambda d: setitem(dr(d)["trafficPolicy"], "tls", {"mode": "SIMPLE"})),
    "DestinationRule MUTUAL without client certificate": (
        "CG-MESH-005", lambda d: setitem(dr(d)["trafficPolicy"], "tls", {"mode": "MUTUAL",
                                                                         "caCertificates": "/etc/ca.pem"})),
    "STRICT PeerAuthentication with DestinationRule DISABLE": (
        "CG-MESH-006", lambda d: setitem(dr(d)["trafficPolicy"], "tls", {"mode": "DISABLE"})),
    "sidecar injection disabled under ISTIO_MUTUAL and policies": (
        "CG-MESH-007", lambda d: setitem(obj(d, "Deployment", "web")["spec"]["template"]["metadata"]["labels"],
                                         "sidecar.istio.io/inject", "false")),
    "subsets with identical labels": (
        "CG-MESH-008", lambda d: dr(d)["subsets"].append({"name": "v2", "labels": {"version": "v1"}})),
    "retries longer than the route timeout": (
        "CG-MESH-009", lambda d: setitem(vs(d)["http"][0], "timeout", "5s")),
    "AuthorizationPolicy selects no pod (IST0127)": (
        "CG-MESH-010", lambda d: setitem(obj(d, "AuthorizationPolicy", "web")["spec"]["selector"]["matchLabels"],
                                         "app.kubernetes.io/name", "web-server")),
    "ExternalName Service port without protocol name (IST0150)": (
        "CG-MESH-011", lambda d: add(d, """
apiVersion: v1
kind: Service
metadata: {name: payments, namespace: shop}
spec:
  type: ExternalName
  externalName: payments.example.net
  ports: [{name: api, port: 443}]
""")),
    "Gateway credential Secret without tls.crt (IST0161)": (
        "CG-MESH-012", lambda d: setitem(obj(d, "Secret", "web-tls"), "type", "Opaque")
        or setitem(obj(d, "Secret", "web-tls"), "data", {"cert.pem": "QQ==", "key.pem": "QQ=="})),
    "AuthorizationPolicy on the Service port": (
        "CG-MESH-013", lambda d: setitem(obj(d, "AuthorizationPolicy", "web")["spec"]["rules"][0]["to"][0]
                                         ["operation"], "ports", ["80"])),
    "retryOn with a misspelt policy (IST0106)": (
        "CG-MESH-014", lambda d: setitem(vs(d)["http"][0]["retries"], "retryOn", "5xx,gateway_error")),
    "delegate to a VirtualService that is not rendered (IST0101)": (
        "CG-MESH-015", lambda d: vs(d)["http"].insert(0, {"match": [{"uri": {"prefix": "/admin"}}],
                                                          "delegate": {"name": "web-admin"}})),
    "second namespace-wide PeerAuthentication": (
        "CG-MESH-017", lambda d: add(d, """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec: {mtls: {mode: STRICT}}
""") or add(d, """
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: permissive, namespace: shop}
spec: {mtls: {mode: PERMISSIVE}}
""")),
    "Sidecar egress host without a namespace (IST0106)": (
        "CG-MESH-016", lambda d: add(d, """
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress: [{hosts: ["./*", "istio-system/*", "payments.example.net"]}]
""")),
}


@pytest.mark.parametrize("profile", ["default", "prod"])
def test_the_hardened_app_is_clean(profile: str) -> None:
    findings = run(load_app(), profile)
    assert [f for f in findings if f.severity >= Severity.WARNING] == []


RECALL_PREFIXES = ("CG-POD-", "CG-APPS-", "CG-BATCH-", "CG-NET-", "CG-CFG-", "CG-OBJ-", "CG-HPA-", "CG-AVAIL-",
                   "CG-REACH-", "CG-MESH-")


def test_every_recall_rule_is_documented_and_has_a_fault_case() -> None:
    load_rule_modules()
    rules = [r for r in all_rules() if r.id.startswith(RECALL_PREFIXES)]
    assert len(rules) >= 40
    for r in rules:
        assert r.title and r.why and r.fix and r.example, r.id
    covered = {rule_id for rule_id, _ in FAULTS.values()}
    untested_here = {r.id for r in rules} - covered
    # rules whose faults need objects the hardened app does not have are tested in test_rules_*.py, or by the fault
    # and valid twin of their coverage-map entries (tests/check/test_coverage.py)
    mapped = {rule_id for e in coverage_entries() for rule_id in e.rules}
    assert untested_here - mapped <= {"CG-APPS-003", "CG-APPS-004"}, sorted(untested_here - mapped)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_is_caught(name: str) -> None:
    rule_id, fault = FAULTS[name]
    docs = load_app()
    fault(docs)
    findings = run(docs)
    caught = [f for f in findings if f.rule == rule_id and f.severity >= Severity.WARNING]
    assert caught, f"{name}: {rule_id} not reported; got {[(f.rule, str(f.severity), f.message) for f in findings]}"


def test_the_fault_catalogue_covers_every_recall_family() -> None:
    families = {rule_id.rsplit("-", 1)[0] for rule_id, _ in FAULTS.values()}
    assert families >= {"CG-POD", "CG-APPS", "CG-BATCH", "CG-NET", "CG-CFG", "CG-OBJ", "CG-HPA", "CG-AVAIL",
                        "CG-REACH", "CG-MESH"}
    assert len(FAULTS) >= 40


MALFORMED: dict[str, Fault] = {
    "pod spec is a list": lambda d: setitem(obj(d, "Deployment", "web")["spec"]["template"], "spec", []),
    "containers is a string": lambda d: setitem(pod(d), "containers", "web"),
    "env entries are scalars": lambda d: setitem(web(d), "env", [1, "A=b", None]),
    "ports is a mapping": lambda d: setitem(web(d), "ports", {"http": 8080}),
    "resources hold lists": lambda d: setitem(web(d), "resources", {"requests": [1], "limits": "1Gi"}),
    "HPA metric type is a list": lambda d: setitem(obj(d, "HorizontalPodAutoscaler", "web")["spec"]["metrics"][0],
                                                   "type", ["Resource"]),
    "NetworkPolicy rules are strings": lambda d: setitem(np_web(d), "ingress", ["allow-all"]),
    "VirtualService http is a mapping": lambda d: setitem(vs(d), "http", {"route": []}),
    "DestinationRule tls is a string": lambda d: setitem(dr(d)["trafficPolicy"], "tls", "ISTIO_MUTUAL"),
    "Secret data is a list": lambda d: setitem(obj(d, "Secret", "web-tls"), "data", ["tls.crt"]),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_shapes_are_reported_not_crashed_on(name: str) -> None:
    docs = load_app()
    MALFORMED[name](docs)
    findings = run(docs)  # must not raise: the schema layer reports the shape
    assert findings, f"{name}: nothing reported"  # all() over no findings would pass
    assert all(f.rule and f.message for f in findings)
