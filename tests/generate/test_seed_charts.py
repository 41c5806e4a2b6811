"""The seed's Service examples, rendered by the real helm (4.1.4 and 3.17.2) from the committed charts."""

from __future__ import annotations

import pytest
import yaml
from render_helpers import find, render
from support import CHARTS, KUBE_VERSION, chart_dirs, helm_binary

from chartgen.spec.loader import load_spec

# chart, env, namespace, expected Service spec fields (after Kubernetes defaulting of protocol)
SEED = [
    ("user-api", "prod", "backend", {"type": "ClusterIP", "ports": [(None, 80, 8080, None)]}),
    ("postgres", "prod", "database", {"type": "ClusterIP", "ports": [(None, 5432, 5432, None)]}),
    ("redis-cache", "prod", "infrastructure", {"type": "ClusterIP", "ports": [(None, 6379, 6379, None)]}),
    ("webapp", "dev", "development", {"type": "NodePort", "ports": [("http", 80, 3000, 30080)]}),
    ("webapp", "prod", "production", {
        "type": "LoadBalancer", "ports": [("https", 443, 8443, None), ("http", 80, 8080, None)],
        "annotations": {
            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
            "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:us-west-2:123456789:certificate/12345",
        }}),
    ("api-test", "dev", "testing", {"type": "NodePort", "ports": [(None, 8080, 8080, 30808)]}),
    ("external-postgres", "prod", "production", {"type": "ExternalName", "externalName": "prod-db.company.com",
                                                  "ports": [(None, 5432, None, None)]}),
    ("postgres-cluster", "prod", "database", {"type": None, "clusterIP": "None", "ports": [(None, 5432, 5432, None)]}),
]


def _ports(svc):
    return [(p.get("name"), p["port"], p.get("targetPort"), p.get("nodePort")) for p in svc["spec"]["ports"]]


@pytest.mark.parametrize(("chart", "env", "namespace", "want"), SEED, ids=[f"{c}-{e}" for c, e, _, _ in SEED])
def test_seed_service_renders_exactly(helm, chart, env, namespace, want):
    docs = render(helm, CHARTS / chart, env, namespace)
    services = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == chart]
    assert len(services) == 1
    svc = services[0]
    assert svc["metadata"]["name"] == chart  # the release name
    assert svc["metadata"]["namespace"] == namespace  # kept by `helm template -n ns | kubectl apply -f -`
    assert svc["spec"].get("type") == want["type"]
    assert _ports(svc) == want["ports"]
    assert all(p.get("protocol", "TCP") == "TCP" for p in svc["spec"]["ports"])
    assert (svc["metadata"].get("annotations") or {}) == want.get("annotations", {})
    assert svc["spec"].get("externalName") == want.get("externalName")
    assert svc["spec"].get("clusterIP") == want.get("clusterIP")
    if want["type"] != "ExternalName":
        _assert_selects_own_pods(docs, svc)
    else:
        assert "selector" not in svc["spec"]
        assert not [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "ServiceAccount", "Pod")]


def _assert_selects_own_pods(docs, svc):
    selector = svc["spec"]["selector"]
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    assert workloads
    for w in workloads:
        pod_labels = w["spec"]["template"]["metadata"]["labels"]
        assert all(pod_labels.get(k) == v for k, v in selector.items()), (selector, pod_labels)
        assert all(pod_labels.get(k) == v for k, v in w["spec"]["selector"]["matchLabels"].items())
        ports = {p["containerPort"] for c in w["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        for p in svc["spec"]["ports"]:
            assert p["targetPort"] in ports, f"targetPort {p['targetPort']} not exposed by {w['metadata']['name']}"


def test_headless_statefulset_has_three_replicas_and_service_name(helm):
    docs = render(helm, CHARTS / "postgres-cluster", "prod", "database")
    sts = find(docs, "StatefulSet", "postgres-cluster")
    assert sts["spec"]["replicas"] == 3
    assert sts["spec"]["serviceName"] == "postgres-cluster"
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    mounts = sts["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "data", "mountPath": "/var/lib/postgresql/data"} in mounts
    assert sts["spec"]["template"]["spec"]["securityContext"]["fsGroup"] > 0


def test_external_name_differs_per_environment(helm):
    dev = find(render(helm, CHARTS / "external-postgres", "dev", "development"), "Service")
    prod = find(render(helm, CHARTS / "external-postgres", "prod", "production"), "Service")
    assert dev["spec"]["externalName"] == "dev-db.internal"
    assert prod["spec"]["externalName"] == "prod-db.company.com"


@pytest.mark.parametrize("chart", chart_dirs(), ids=lambda p: p.name)
def test_helm_lint_strict_passes_for_every_environment(helm, chart):
    for env in load_spec(chart).environments:
        res = helm.lint(chart, [chart / f"values-{env.name}.yaml"], strict=True, kube_version=KUBE_VERSION)
        assert res.ok, f"{chart.name} [{env.name}] helm {helm.version}: {res.message}"


@pytest.mark.parametrize(
    ("chart", "setting", "needle"),
    [
        ("user-api", "replicaCount=three", "replicaCount"),
        ("api-test", "service.ports[0].nodePort=40000", "nodePort"),
        ("webapp", "service.type=Banana", "type"),
        ("user-api", "image.tag=latest", "tag"),
        ("external-postgres", "service.externalName=prod_db..company.com", "externalName"),
        ("user-api", "replicaCont=2", "replicaCont"),
    ],
)
def test_values_schema_makes_helm_reject_bad_values(helm, chart, setting, needle):
    res = helm.template(CHARTS / chart, chart, "default", [], kube_version=KUBE_VERSION, set_values=[setting])
    assert not res.ok, f"helm accepted {setting}"
    assert needle in res.message


def test_duplicate_node_ports_fail_in_helm(helm):
    res = helm.template(CHARTS / "webapp", "webapp", "default", [CHARTS / "webapp" / "values-dev.yaml"],
                        kube_version=KUBE_VERSION,
                        set_values=["service.ports[0].nodePort=30080", "service.ports[1].nodePort=30080",
                                    "service.ports[1].port=81", "service.ports[1].targetPort=3000",
                                    "service.ports[1].name=alt"])
    assert not res.ok
    assert "nodePort 30080 is used twice" in res.message


def _install_dry_run(chart: str, namespace: str, env: str) -> str:
    """helm 4's install --dry-run=client renders NOTES.txt offline (helm template does not render NOTES, and
    helm 3's dry run needs a cluster)."""
    helm = helm_binary("4.1.4")
    res = helm.run("install", chart, str(CHARTS / chart), "-n", namespace, "-f",
                   str(CHARTS / chart / f"values-{env}.yaml"), "--dry-run=client")
    assert res.ok, res.message
    return res.stdout


def test_notes_list_per_pod_dns_names():
    notes = _install_dry_run("postgres-cluster", "database", "prod")
    for i in range(3):
        assert f"postgres-cluster-{i}.postgres-cluster.database.svc.cluster.local" in notes
    assert "kubectl get endpoints postgres-cluster -n database" in notes
    assert "--show-labels" in notes


def test_load_balancer_notes_explain_pending():
    notes = _install_dry_run("webapp", "production", "prod")
    assert "<pending>" in notes and "cloud-controller" in notes
    dev_notes = _install_dry_run("webapp", "development", "dev")
    assert "NodePort" in dev_notes and "<pending>" not in dev_notes


# Kinds chartgen renders that are cluster-scoped: none today; a new one must be added here (and get no namespace).
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "StorageClass"}


@pytest.mark.parametrize("chart", ["user-api", "postgres-cluster"])
def test_every_namespaced_object_carries_the_namespace_and_override_wins(helm, chart):
    docs = render(helm, CHARTS / chart, "prod", "backend")
    assert len(docs) > 3
    for d in docs:
        if d["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in d["metadata"], d["metadata"]["name"]
        else:
            assert d["metadata"].get("namespace") == "backend", (d["kind"], d["metadata"]["name"])
    res = helm.template(CHARTS / chart, chart, "backend", [CHARTS / chart / "values-prod.yaml"],
                        kube_version=KUBE_VERSION, set_values=["namespaceOverride=payments"])
    assert res.ok, res.message
    other = [d for d in yaml.safe_load_all(res.stdout) if d]
    assert {d["metadata"]["namespace"] for d in other} == {"payments"}


def test_longest_accepted_name_installs_with_every_suffix(helm, tmp_path):
    """47 characters (the spec limit) renders with helm as a release named after the chart; 54 would not."""
    from chartgen.generate.engine import generate
    from chartgen.generate.writer import write
    from chartgen.spec.loader import parse_spec_text

    name = "a" + "b" * 46
    text = (CHARTS / "user-api" / "chartgen.yaml").read_text().replace("name: user-api", f"name: {name}")
    (tmp_path / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(tmp_path / "chartgen.yaml"))), tmp_path)
    docs = render(helm, tmp_path, "prod", "backend", release=name)
    assert max(len(d["metadata"]["name"]) for d in docs) <= 63
    assert any(d["metadata"]["name"] == f"{name}-test-connection" for d in docs)
    res = helm.template(tmp_path, name + "x" * 7, "backend", [], kube_version=KUBE_VERSION)
    assert not res.ok and "53" in res.message
