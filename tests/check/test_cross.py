"""Layer "cross": each rule fires on a small broken set and stays quiet on the fixed one."""

from __future__ import annotations

import pytest

try:
    from helpers import errors, index_from_files, clean_sets, run_rule, run_rules
except ImportError:  # tests/ made a package
    from tests.check.helpers import errors, index_from_files, clean_sets, run_rule, run_rules

import chartgen.check.rules
from chartgen.check.model import Severity

chartgen.check.rules.load()  # registers the rules


def deployment(labels="app: web", selector="app: web", ports="[{name: http, containerPort: 8080}]",
               probe="", kind="Deployment", name="web", extra_spec="", pod_extra=""):
    return f"""
apiVersion: apps/v1
kind: {kind}
metadata: {{name: {name}}}
spec:
  {extra_spec}
  selector: {{matchLabels: {{{selector}}}}}
  template:
    metadata: {{labels: {{{labels}}}}}
    spec:
      {pod_extra}
      containers:
      - name: app
        image: nginx:1.27
        ports: {ports}
        {probe}
"""


def service(selector="app: web", ports="[{name: http, port: 80, targetPort: http}]", name="web", extra=""):
    return f"""
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  {extra}
  selector: {{{selector}}}
  ports: {ports}
"""


HOOK_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web-test
  labels: {app: web}
  annotations: {helm.sh/hook: test}
spec:
  containers: [{name: wget, image: busybox:1.36}]
"""


def only(findings, sev=None):
    return [f for f in findings if sev is None or f.severity == sev]


# ---------------------------------------------------------------------------------------------------- CG-X-001


@pytest.mark.parametrize("texts,expected", [
    ((service(selector="app: api"), deployment()), [Severity.ERROR]),
    ((service(), deployment()), []),
    # only a helm test pod matches: still not accessible
    ((service(), HOOK_POD), [Severity.ERROR]),
    # ExternalName and selector-less Services are not checked
    (("apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec: {type: ExternalName, externalName: a.b}",),
     []),
    (("apiVersion: v1\nkind: Service\nmetadata: {name: manual}\nspec: {ports: [{port: 80}]}",), []),
])
def test_service_selects_nothing(texts, expected):
    assert [f.severity for f in run_rule("CG-X-001", *texts)] == expected


@pytest.mark.parametrize("selector,labels,expected", [
    # a key no template carries, every other key matched: the app may label its active pod at runtime
    ("{app: web, role: active}", "app: web", [Severity.WARNING]),
    # the template carries the key with another value: a certain conflict
    ("{app: web, role: active}", "app: web, role: standby", [Severity.ERROR]),
    # the only key is absent: nothing else matches, so it is no near miss
    ("{role: active}", "app: web", [Severity.ERROR]),
    # another key conflicts as well
    ("{app: api, role: active}", "app: web", [Severity.ERROR]),
])
def test_service_selector_with_runtime_labels_is_a_warning(selector, labels, expected):
    found = run_rule("CG-X-001", service(selector=selector.strip("{}")), deployment(labels=labels, selector=labels))
    assert [f.severity for f in found] == expected


def test_service_selector_respects_namespace():
    svc = service().replace("{name: web}", "{name: web, namespace: a}")
    dep = deployment().replace("{name: web}", "{name: web, namespace: b}")
    assert len(run_rule("CG-X-001", svc, dep)) == 1
    dep_any = deployment()  # no namespace: matches any
    assert run_rule("CG-X-001", svc, dep_any) == []


# ---------------------------------------------------------------------------------------------------- CG-X-002


@pytest.mark.parametrize("text,n", [
    (deployment(selector="app: web, tier: fe"), 1),
    (deployment(selector="app: api", kind="StatefulSet"), 1),
    (deployment(), 0),
    (deployment(labels="app: web, version: v1"), 0),
])
def test_workload_selector_mismatch(text, n):
    found = run_rule("CG-X-002", text)
    assert len(found) == n
    assert all(f.severity == Severity.ERROR and f.field == "spec.selector" for f in found)


def test_workload_selector_match_expressions():
    text = deployment().replace("selector: {matchLabels: {app: web}}",
                                "selector: {matchExpressions: [{key: app, operator: In, values: [api]}]}")
    assert len(run_rule("CG-X-002", text)) == 1
    ok = text.replace("values: [api]", "values: [web, api]")
    assert run_rule("CG-X-002", ok) == []


# ---------------------------------------------------------------------------------------------------- CG-X-003


@pytest.mark.parametrize("svc_ports,ctr_ports,expected", [
    ("[{name: http, port: 80, targetPort: web}]", "[{name: http, containerPort: 8080}]", [Severity.ERROR]),
    # the containers declare ports and the number is not among them: likely wrong, but a process may listen on
    # an undeclared port (Istio's otel sample collector on 5317), so a warning
    ("[{name: http, port: 80, targetPort: 9090}]", "[{name: http, containerPort: 8080}]", [Severity.WARNING]),
    ("[{name: http, port: 8081}]", "[{name: http, containerPort: 8080}]", [Severity.WARNING]),  # defaulted
    # nothing declared: a number is forwarded whether declared or not, nothing to compare with
    ("[{name: http, port: 80, targetPort: 9090}]", "[]", []),
    ("[{name: dns, port: 53, targetPort: dns, protocol: UDP}]", "[{name: dns, containerPort: 53}]",
     [Severity.ERROR]),  # protocol differs
    ("[{name: http, port: 80, targetPort: http}]", "[{name: http, containerPort: 8080}]", []),
    ("[{name: http, port: 80, targetPort: 8080}]", "[{name: http, containerPort: 8080}]", []),
    ("[{name: http, port: 8080}]", "[{containerPort: 8080}]", []),
])
def test_service_target_port(svc_ports, ctr_ports, expected):
    found = run_rule("CG-X-003", service(ports=svc_ports), deployment(ports=ctr_ports), HOOK_POD)
    assert [f.severity for f in found] == expected


def test_service_target_port_partial_selection_warns():
    other = deployment(name="worker", labels="app: web, role: worker", selector="app: web, role: worker",
                       ports="[{name: metrics, containerPort: 9000}]")
    found = run_rule("CG-X-003", service(), deployment(), other)
    assert [f.severity for f in found] == [Severity.WARNING]
    assert "Deployment worker" in found[0].message


# ---------------------------------------------------------------------------------------------------- CG-X-004


@pytest.mark.parametrize("probe,expected", [
    ("readinessProbe: {httpGet: {path: /, port: web}}", [Severity.ERROR]),
    # the kubelet probes a number whether declared or not (health endpoints often sit on a management port)
    ("livenessProbe: {tcpSocket: {port: 9999}}", [Severity.INFO]),
    ("startupProbe: {grpc: {port: 9999}}", [Severity.INFO]),
    ("readinessProbe: {httpGet: {path: /, port: http}}", []),
    ("livenessProbe: {tcpSocket: {port: 8080}}", []),
    ("livenessProbe: {exec: {command: [true]}}", []),
])
def test_probe_ports(probe, expected):
    found = run_rule("CG-X-004", deployment(probe=probe))
    assert [f.severity for f in found] == expected
    if found:
        assert found[0].field.startswith("spec.template.spec.containers[0].")


def test_probe_numeric_port_without_declared_ports_is_quiet():
    assert run_rule("CG-X-004", deployment(ports="[]", probe="livenessProbe: {tcpSocket: {port: 9999}}")) == []


# ---------------------------------------------------------------------------------------------------- CG-X-005

HEADLESS = service(name="db-hl", selector="app: db", extra="clusterIP: None",
                   ports="[{name: tcp, port: 5432, targetPort: tcp}]")
STS = deployment(kind="StatefulSet", name="db", labels="app: db", selector="app: db",
                 ports="[{name: tcp, containerPort: 5432}]", extra_spec="serviceName: db-hl")


@pytest.mark.parametrize("texts,n", [
    ((STS,), 1),  # missing
    ((STS, HEADLESS.replace("clusterIP: None", "")), 1),  # not headless
    ((STS, HEADLESS.replace("selector: {app: db}", "selector: {app: other}")), 1),  # selects other pods
    ((STS, HEADLESS), 0),
    ((STS.replace("serviceName: db-hl", ""),), 0),  # no serviceName: not checked
])
def test_statefulset_service(texts, n):
    # warnings: the StatefulSet runs either way, only its per-pod DNS names are missing
    found = run_rule("CG-X-005", *texts)
    assert len(found) == n
    assert all(f.severity == Severity.WARNING for f in found)


def test_statefulset_service_declared_external_is_not_reported():
    from chartgen.check.model import CheckOptions, ExternalObject

    opts = CheckOptions(external=(ExternalObject("Service", "db-hl"),))
    assert run_rule("CG-X-005", STS, opts=opts) == []
    assert len(run_rule("CG-X-005", STS, opts=CheckOptions(external=(ExternalObject("Service", "x"),)))) == 1


# ---------------------------------------------------------------------------------------------------- CG-X-006

SA = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\n"


@pytest.mark.parametrize("pod_extra,texts,n", [
    ("serviceAccountName: web", (), 1),
    ("serviceAccountName: web", (SA,), 0),
    ("serviceAccountName: default", (), 0),
    ("", (), 0),
])
def test_service_account(pod_extra, texts, n):
    found = run_rule("CG-X-006", deployment(pod_extra=pod_extra), *texts)
    assert len(found) == n
    assert all(f.severity == Severity.WARNING and "may be created outside" in f.hint for f in found)


# ---------------------------------------------------------------------------------------------------- CG-X-007


def hpa(kind="Deployment", name="web"):
    return f"""
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: {name}}}
  minReplicas: 2
  maxReplicas: 5
"""


@pytest.mark.parametrize("texts,expected", [
    ((hpa(name="webb"), deployment()), [Severity.ERROR]),
    ((hpa(kind="Rollout", name="web"), deployment()), [Severity.WARNING]),
    ((hpa(), deployment()), []),
])
def test_hpa_target(texts, expected):
    assert [f.severity for f in run_rule("CG-X-007", *texts)] == expected


# ---------------------------------------------------------------------------------------------------- CG-X-008


def pdb(selector="{matchLabels: {app: web}}"):
    return f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: web}}\n" \
           f"spec: {{maxUnavailable: 1, selector: {selector}}}\n"


@pytest.mark.parametrize("text,expected", [
    # the chart renders its own pods and nothing else could create any: most likely a label bug, but the API
    # server accepts it and it breaks no traffic (a budget of a workload scaled out of the render): a warning
    (pdb("{matchLabels: {app: api}}"), [Severity.WARNING]),
    (pdb("{matchLabels: {app: web, role: active}}"), [Severity.WARNING]),
    ("apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec: {maxUnavailable: 1}\n",
     [Severity.WARNING]),
    (pdb(), []),
    (pdb("{matchExpressions: [{key: app, operator: Exists}]}"), []),
])
def test_pdb_selects_nothing(text, expected):
    assert [f.severity for f in run_rule("CG-X-008", text, deployment(), HOOK_POD)] == expected


CLUSTER_CR = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: db}\nspec: {instances: 3}\n"


@pytest.mark.parametrize("others", [
    (deployment(), CLUSTER_CR),  # an operator may create the pods from the custom resource
    (HOOK_POD,),  # no long-running pods of its own: the PDB is for pods of another release
    (),
])
def test_pdb_selects_nothing_warning_when_pods_may_come_from_elsewhere(others):
    found = run_rule("CG-X-008", pdb("{matchLabels: {app: db}}"), *others)
    assert [f.severity for f in found] == [Severity.WARNING]


# ---------------------------------------------------------------------------------------------------- CG-X-009


@pytest.mark.parametrize("selector,n", [
    ("{matchLabels: {app: api}}", 1),
    ("{matchLabels: {app: web}}", 0),
    ("{}", 0),  # namespace-wide policy
])
def test_netpol_selects_nothing(selector, n):
    np = f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: web}}\n" \
         f"spec: {{podSelector: {selector}, policyTypes: [Ingress]}}\n"
    found = run_rule("CG-X-009", np, deployment())
    assert len(found) == n and all(f.severity == Severity.WARNING for f in found)


# ---------------------------------------------------------------------------------------------------- CG-X-010


def ingress(svc="web", port="number: 80"):
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web}}
spec:
  rules:
  - host: example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {{service: {{name: {svc}, port: {{{port}}}}}}}
"""


def httproute(svc="web", port="port: 80"):
    return f"""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: web}}
spec:
  parentRefs: [{{name: gw}}]
  rules:
  - backendRefs: [{{name: {svc}, {port}}}]
"""


@pytest.mark.parametrize("route,expected", [
    (ingress(port="number: 8080"), [Severity.ERROR]),
    (ingress(port="name: https"), [Severity.ERROR]),
    (ingress(svc="api"), [Severity.WARNING]),
    (httproute(port="port: 8080"), [Severity.ERROR]),
    (httproute(port="weight: 1"), [Severity.ERROR]),
    (ingress(), []),
    (ingress(port="name: http"), []),
    (httproute(), []),
])
def test_route_backends(route, expected):
    assert [f.severity for f in run_rule("CG-X-010", route, service())] == expected


FLAGGER_CANARY = """
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: api}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  service: {port: 80}
"""


@pytest.mark.parametrize("route,expected", [
    (ingress(svc="api"), []),  # Flagger creates api, api-primary and api-canary
    (httproute(svc="api-primary"), []),
    (httproute(svc="api-stable"), [Severity.WARNING]),  # not one of Flagger's
    (ingress(svc="other"), [Severity.WARNING]),
])
def test_route_backends_to_the_services_a_flagger_canary_creates(route, expected):
    assert [f.severity for f in run_rule("CG-X-010", route, FLAGGER_CANARY)] == expected


# ---------------------------------------------------------------------------------------------------- corpus


@pytest.mark.parametrize("name", sorted(clean_sets()))
def test_clean_corpus_has_no_cross_findings(name):
    found = run_rules(index_from_files(*clean_sets()[name]), layers=("cross",))
    assert errors(found) == []
    assert found == []  # the corpus is clean for this layer: no warnings either


# ---------------------------------------------------------------------------------------------------- all layers

MY_PREFIXES = ("CG-X-", "CG-ISTIO-", "CG-P-")  # cross, istio, istio schema, posture


def _my_rules_findings(index, opts=None):
    import chartgen.check.crd_schema  # noqa: F401
    from chartgen.check.model import CheckOptions
    from chartgen.check.registry import all_rules

    ids = tuple(r.id for r in all_rules() if r.id.startswith(MY_PREFIXES))
    return run_rules(index, ids=ids, opts=opts or CheckOptions())


@pytest.mark.parametrize("name", sorted(clean_sets()))
def test_clean_corpus_no_errors_from_cross_istio_posture_layers(name):
    found = _my_rules_findings(index_from_files(*clean_sets()[name]))
    assert errors(found) == [], [f.message for f in errors(found)]


def _big_set(n):
    parts = []
    for i in range(n):
        parts.append(f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}, namespace: demo}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app{i}}}}}
  template:
    metadata: {{labels: {{app: app{i}, version: v1}}}}
    spec:
      containers:
      - name: c
        image: nginx:1.27
        ports: [{{name: http, containerPort: 8080}}]
        readinessProbe: {{httpGet: {{path: /, port: http}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: app{i}, namespace: demo}}
spec:
  selector: {{app: app{i}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: app{i}, namespace: demo}}
spec:
  hosts: [app{i}]
  http:
  - timeout: 5s
    route:
    - destination: {{host: app{i}, subset: v1}}
      weight: 90
    - destination: {{host: app{i}, subset: v1}}
      weight: 10
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: app{i}, namespace: demo}}
spec:
  host: app{i}
  subsets: [{{name: v1, labels: {{version: v1}}}}]
""")
    return "---".join(parts)


def test_thousand_documents_give_no_errors():
    """Scale without a clock: 1,000 consistent documents, no error (speed is measured in bench/check.py)."""
    try:
        from helpers import index_from_yaml
    except ImportError:
        from tests.check.helpers import index_from_yaml

    index = index_from_yaml(_big_set(250))
    assert len(index.documents) == 1000
    found = _my_rules_findings(index)
    assert errors(found) == []
