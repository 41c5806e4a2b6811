"""Layer "posture": security/reliability defaults; each rule fires and stays quiet."""

from __future__ import annotations

import pytest

try:
    from helpers import errors, index_from_files, index_from_yaml, clean_sets, run_rule, run_rules
except ImportError:  # tests/ made a package
    from tests.check.helpers import errors, index_from_files, index_from_yaml, clean_sets, run_rule, run_rules

import chartgen.check.rules
from chartgen.check.model import CheckOptions, Severity

chartgen.check.rules.load()  # registers the rules

HARDENED_SC = ("{runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, "
               "capabilities: {drop: [ALL]}}")
RESOURCES = "{requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 128Mi}}"
PROBES = ("readinessProbe: {httpGet: {path: /, port: http}}\n"
          "        livenessProbe: {httpGet: {path: /, port: http}}")


def workload(kind="Deployment", image="nginx:1.27", sc=HARDENED_SC, resources=RESOURCES, probes=PROBES,
             pod_extra="", replicas=2, annotations="{}", name="web"):
    spec_head = "" if kind in ("Job",) else f"replicas: {replicas}\n  selector: {{matchLabels: {{app: {name}}}}}"
    if kind == "DaemonSet":
        spec_head = f"selector: {{matchLabels: {{app: {name}}}}}"
    return f"""
apiVersion: apps/v1
kind: {kind}
metadata: {{name: {name}, annotations: {annotations}}}
spec:
  {spec_head}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      {pod_extra}
      containers:
      - name: app
        image: {image}
        ports: [{{name: http, containerPort: 8080}}]
        securityContext: {sc}
        resources: {resources}
        {probes}
"""


def pod(sc=HARDENED_SC, image="busybox:1.36", hook="test", pod_extra=""):
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: web-test
  annotations: {{helm.sh/hook: {hook}}}
spec:
  {pod_extra}
  restartPolicy: Never
  containers:
  - name: wget
    image: {image}
    securityContext: {sc}
    resources: {RESOURCES}
"""


def sevs(rule_id, *texts, opts=None):
    return [f.severity for f in run_rule(rule_id, *texts, opts=opts)]


W, E = Severity.WARNING, Severity.ERROR
# Hardening advice (resources, non-root, read-only root, no privilege escalation, drop ALL) is info by default:
# charts leave these to the user on purpose (helm create's values.yaml says so); --profile prod requires them.
I = Severity.INFO  # noqa: E741


def test_hardened_workload_is_clean_even_in_prod():
    found = run_rules(index_from_yaml(workload()), layers=("posture",), opts=CheckOptions(profile="prod"))
    assert found == []


@pytest.mark.parametrize("resources,expected", [
    ("{}", [I]),
    ("{requests: {cpu: 100m}}", [I]),
    ("{requests: {cpu: 100m, memory: 64Mi}}", [I]),  # no memory limit
    (RESOURCES, []),
    ("{limits: {cpu: 1, memory: 64Mi}}", []),  # requests default to limits
])
def test_resources(resources, expected):
    assert sevs("CG-P-001", workload(resources=resources)) == expected


@pytest.mark.parametrize("image,expected", [
    ("nginx", [W]),
    ("nginx:latest", [W]),
    ("localhost:5000/team/app", [W]),
    ("nginx:1.27", []),
    ("localhost:5000/team/app:2.0", []),
    ("nginx@sha256:" + "a" * 64, []),
])
def test_image_tag(image, expected):
    assert sevs("CG-P-002", workload(image=image)) == expected


@pytest.mark.parametrize("sc,pod_extra,expected", [
    ("{}", "", [I]),
    ("{runAsNonRoot: false}", "securityContext: {runAsNonRoot: true}", [I]),  # container overrides pod
    ("{runAsUser: 0}", "", [I]),
    ("{}", "securityContext: {runAsNonRoot: true}", []),  # pod level
    ("{runAsUser: 1001}", "", []),
    (HARDENED_SC, "", []),
])
def test_run_as_non_root(sc, pod_extra, expected):
    assert sevs("CG-P-003", workload(sc=sc, pod_extra=pod_extra)) == expected


@pytest.mark.parametrize("rule_id,sc,expected", [
    ("CG-P-004", "{}", [I]),
    ("CG-P-004", "{readOnlyRootFilesystem: false}", [I]),
    ("CG-P-004", "{readOnlyRootFilesystem: true}", []),
    ("CG-P-005", "{}", [I]),
    ("CG-P-005", "{allowPrivilegeEscalation: true}", [I]),
    ("CG-P-005", "{allowPrivilegeEscalation: false}", []),
    ("CG-P-006", "{}", [I]),
    ("CG-P-006", "{capabilities: {drop: [NET_RAW]}}", [I]),
    ("CG-P-006", "{capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}", []),
    ("CG-P-007", "{privileged: true}", [W]),  # an error only under --profile prod
    ("CG-P-007", "{privileged: false}", []),
])
def test_container_security_context(rule_id, sc, expected):
    assert sevs(rule_id, workload(sc=sc)) == expected


@pytest.mark.parametrize("pod_extra,expected", [
    # warnings by default (a node exporter needs hostNetwork/hostPID); errors under --profile prod
    ("hostNetwork: true", [W]),
    ("hostPID: true", [W]),
    ("hostIPC: true", [W]),
    ("hostNetwork: false", []),
    ("", []),
])
def test_host_namespaces(pod_extra, expected):
    assert sevs("CG-P-008", workload(pod_extra=pod_extra)) == expected


def test_host_namespaces_and_privileged_are_errors_only_in_prod():
    from chartgen.check.command import check_text

    text = workload(pod_extra="hostNetwork: true", sc="{privileged: true}")
    for profile, severity in (("default", W), ("prod", E)):
        found = [f for f in check_text(text, opts=CheckOptions(profile=profile)) if f.rule in ("CG-P-007", "CG-P-008")]
        assert sorted(f.rule for f in found) == ["CG-P-007", "CG-P-008"]
        assert {f.severity for f in found} == {severity}


def test_init_containers_get_security_checks():
    init = "initContainers: [{name: init, image: busybox:1.36, securityContext: {privileged: true}}]"
    text = workload(pod_extra=init)
    found = run_rule("CG-P-007", text)
    assert len(found) == 1 and "init container init" in found[0].message
    assert found[0].field == "spec.template.spec.initContainers[0].securityContext.privileged"


SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}"


@pytest.mark.parametrize("kind,probes,annotations,expected", [
    ("Deployment", "", "{}", [W]),
    ("StatefulSet", "readinessProbe: {tcpSocket: {port: http}}", "{}", [I]),  # liveness missing: advice
    ("DaemonSet", "", "{}", [W]),
    ("Deployment", PROBES, "{}", []),
    ("Job", "", "{}", []),  # runs to completion
    ("Deployment", "", "{helm.sh/hook: pre-install}", []),  # hooks are not long-running
])
def test_probes(kind, probes, annotations, expected):
    text = workload(kind=kind, probes=probes, annotations=annotations)
    if kind == "Job":
        text = text.replace("apps/v1", "batch/v1")
    assert sevs("CG-P-009", text, SERVICE) == expected


def test_missing_readiness_probe_is_advice_when_no_service_sends_traffic():
    # a controller/worker no Service selects gets no traffic: nothing is "sent before it is ready"
    assert sevs("CG-P-009", workload(probes="")) == [I]
    assert sevs("CG-P-009", workload(probes=""), SERVICE.replace("app: web", "app: other")) == [I]


def test_host_namespaces_of_node_agents_are_info():
    # node exporters, CNI and log shippers run as DaemonSets and need the host's network/PID namespace
    assert sevs("CG-P-008", workload(kind="DaemonSet", pod_extra="hostNetwork: true")) == [I]


def test_istio_injected_auto_image_is_not_an_unpinned_image():
    text = workload(image="auto").replace("metadata: {labels: {app: web}}",
                                          "metadata: {labels: {app: web, sidecar.istio.io/inject: 'true'}}")
    assert sevs("CG-P-002", text) == []
    assert sevs("CG-P-002", workload(image="auto")) == [W]


def test_helm_test_pod_gets_security_but_not_probe_checks():
    idx = index_from_yaml(pod(sc="{}", image="busybox"))
    found = run_rules(idx, layers=("posture",), opts=CheckOptions(profile="prod"))
    ids = sorted({f.rule for f in found})
    assert ids == ["CG-P-002", "CG-P-003", "CG-P-004", "CG-P-005", "CG-P-006"]


PDB = ("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
       "spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}\n")
HPA = ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\n"
       "spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: %d, maxReplicas: 5}\n")
PROD = CheckOptions(profile="prod")


@pytest.mark.parametrize("texts,opts,n", [
    ((workload(replicas=1),), PROD, 1),
    ((workload(replicas=1).replace("replicas: 1\n  ", ""),), PROD, 1),  # replicas defaults to 1
    ((workload(kind="StatefulSet", replicas=1),), PROD, 1),
    ((workload(replicas=1), HPA % 1), PROD, 1),
    ((workload(replicas=1),), CheckOptions(), 0),  # default profile: not checked
    ((workload(replicas=1), PDB), PROD, 0),
    ((workload(replicas=3),), PROD, 0),
    ((workload(replicas=1), HPA % 2), PROD, 0),
    ((workload(kind="DaemonSet"),), PROD, 0),
])
def test_single_replica_without_pdb(texts, opts, n):
    assert sevs("CG-P-010", *texts, opts=opts) == [W] * n


@pytest.mark.parametrize("name", sorted(clean_sets()))
def test_clean_corpus_has_no_posture_errors(name):
    for opts in (CheckOptions(), CheckOptions(profile="prod")):
        found = run_rules(index_from_files(*clean_sets()[name]), layers=("posture",), opts=opts)
        assert errors(found) == []


def test_clean_corpus_posture_warnings_where_expected():
    sets = clean_sets()
    assert run_rules(index_from_files(*sets["mesh-teashop"]), layers=("posture",))  # a sample app: not hardened
    for hardened in ("db-statefulset", "web-frontend"):
        assert run_rules(index_from_files(*sets[hardened]), layers=("posture",), opts=PROD) == []
