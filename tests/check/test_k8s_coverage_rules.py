"""The certainty of the rules added for the Kubernetes coverage map (RBAC, EndpointSlices, Pod Security
Admission, LimitRange/ResourceQuota/PriorityClass, NetworkPolicy peers, pod spec details): each is an error only
where the render proves the rejection, a warning where something outside the render may decide it, and silent
where nothing is known. The fault/valid-twin pairs of tests/check/coverage/ prove that each one fires at all."""

from __future__ import annotations

import pytest

try:
    from helpers import run_rule
except ImportError:  # tests/ made a package
    from tests.check.helpers import run_rule

import chartgen.check.rules
from chartgen.check.model import Severity

chartgen.check.rules.load()
E, W = Severity.ERROR, Severity.WARNING


def severities(rule_id, *texts):
    return [f.severity for f in run_rule(rule_id, *texts)]


# ------------------------------------------------------------------------------------------------ RBAC

CLUSTER_ROLE = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: web}\nrules: []\n"


def binding(kind, name, binding_kind="RoleBinding", ns="kube-system"):
    return (f"apiVersion: rbac.authorization.k8s.io/v1\nkind: {binding_kind}\nmetadata: {{name: b, namespace: {ns}}}\n"
            f"roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: {name}}}\n"
            "subjects: [{kind: ServiceAccount, name: web, namespace: shop}]\n")


@pytest.mark.parametrize("texts,expected", [
    # bootstrap roles exist in every cluster
    ((CLUSTER_ROLE, binding("Role", "extension-apiserver-authentication-reader")), []),
    ((CLUSTER_ROLE, binding("ClusterRole", "view")), []),
    ((CLUSTER_ROLE, binding("ClusterRole", "system:auth-delegator", "ClusterRoleBinding")), []),
    # the render has its own roles and not this one: likely a name mismatch, but it may exist elsewhere
    ((CLUSTER_ROLE, binding("ClusterRole", "web-role")), [W]),
    # a render without any role binds to roles made elsewhere: not judged
    ((binding("ClusterRole", "web-role"),), []),
    ((CLUSTER_ROLE, binding("ClusterRole", "web")), []),
])
def test_binding_to_a_missing_role_is_a_warning_only_when_the_render_has_roles(texts, expected):
    assert severities("CG-RBAC-003", *texts) == expected


def test_binding_names_the_other_role_kind_when_the_render_has_it():
    found = run_rule("CG-RBAC-003", CLUSTER_ROLE, binding("Role", "web", ns="shop"))
    assert len(found) == 1 and "roleRef.kind should be ClusterRole" in found[0].message


@pytest.mark.parametrize("subject,expected", [
    ("{kind: User, name: jane}", []),  # v1 defaulting gives User/Group the rbac group
    ("{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}", []),
    ("{kind: ServiceAccount, name: web, apiGroup: rbac.authorization.k8s.io}", [E]),
    ("{kind: ServiceAccount, name: Web}", [E]),
])
def test_role_binding_subjects(subject, expected):
    text = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b}\n"
            f"roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}}\nsubjects: [{subject}]\n")
    assert severities("CG-RBAC-002", text) == expected


# ------------------------------------------------------------------------------------------------ EndpointSlice

def service(selector=""):
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: db}}\nspec:\n  {selector}\n  ports: [{{name: pg, port: 5432}}]\n"


def slice_(port_name, svc="db"):
    return ("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: db-1\n"
            f"  labels: {{kubernetes.io/service-name: {svc}}}\naddressType: IPv4\nendpoints: [{{addresses: [10.0.0.5]}}]\n"
            f"ports: [{{name: {port_name}, port: 5432, protocol: TCP}}]\n")


@pytest.mark.parametrize("texts,expected", [
    ((service(), slice_("pg")), []),
    # selector-less Service: the rendered slices are its only endpoints
    ((service(), slice_("postgres")), [E]),
    # a Service with a selector also gets the controller's slices
    ((service("selector: {app: db}"), slice_("postgres")), [W]),
    # the Service may exist outside the render
    ((slice_("pg", svc="other"),), [W]),
])
def test_endpoint_slice_ports_against_their_service(texts, expected):
    assert severities("CG-EPS-002", *texts) == expected


# ------------------------------------------------------------------------------------------------ Pod Security

def namespace(level):
    return f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {{pod-security.kubernetes.io/enforce: {level}}}\n"


def pod(ns, spec="hostNetwork: true"):
    meta = f"{{name: web, namespace: {ns}}}" if ns else "{name: web}"
    return f"apiVersion: v1\nkind: Pod\nmetadata: {meta}\nspec:\n  {spec}\n  containers: [{{name: web, image: nginx:1.27}}]\n"


@pytest.mark.parametrize("texts,expected", [
    ((namespace("baseline"), pod("shop")), [E]),
    ((namespace("privileged"), pod("shop")), []),
    ((namespace("baseline"), pod("other")), []),  # another namespace: its level is unknown
    ((namespace("baseline"), pod(None)), []),  # the pod's namespace is not known
    ((namespace("baseline"), pod("shop", "hostNetwork: false")), []),
    # restricted also requires the hardening fields a plain pod lacks
    ((namespace("restricted"), pod("shop", "hostNetwork: false")), [E]),
])
def test_pod_security_admission_judges_only_pods_in_a_rendered_enforcing_namespace(texts, expected):
    assert severities("CG-PSA-001", *texts) == expected


# ------------------------------------------------------------------------------------------------ LimitRange / quota

def limit_range(ns="shop"):
    return (f"apiVersion: v1\nkind: LimitRange\nmetadata: {{name: l, namespace: {ns}}}\nspec:\n"
            "  limits: [{type: Container, max: {cpu: '1'}, min: {cpu: 100m}, maxLimitRequestRatio: {cpu: '4'}}]\n")


def res_pod(resources, ns="shop"):
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: web, namespace: {ns}}}\nspec:\n"
            f"  containers: [{{name: web, image: nginx:1.27, resources: {resources}}}]\n")


@pytest.mark.parametrize("resources,expected", [
    ("{limits: {cpu: '2'}}", [E]),
    ("{requests: {cpu: 50m}}", [E]),
    ("{limits: {cpu: 50m}}", [E]),  # the request defaults to the limit, below the minimum
    ("{requests: {cpu: 100m}, limits: {cpu: '1'}}", [E]),  # ratio 10 > 4
    ("{requests: {cpu: 500m}, limits: {cpu: '1'}}", []),
    ("{}", []),  # defaulted values are not judged
])
def test_limit_range_judges_values_the_template_writes(resources, expected):
    assert severities("CG-LIMIT-001", limit_range(), res_pod(resources)) == expected


def test_limit_range_of_another_namespace_does_not_apply():
    assert severities("CG-LIMIT-001", limit_range("other"), res_pod("{limits: {cpu: '2'}}")) == []


QUOTA = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: shop}\nspec: {hard: {limits.memory: 1Gi}}\n"


@pytest.mark.parametrize("texts,expected", [
    ((QUOTA, res_pod("{limits: {memory: 2Gi}}")), [E]),
    ((QUOTA, res_pod("{limits: {memory: 512Mi}}")), []),
    # no limit for a tracked resource: a LimitRange outside the render may default it
    ((QUOTA, res_pod("{}")), [W]),
    ((QUOTA, limit_range(), res_pod("{}")), []),
])
def test_resource_quota(texts, expected):
    assert severities("CG-QUOTA-001", *texts) == expected


# ------------------------------------------------------------------------------------------------ PriorityClass

PRIORITY_CLASS = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n"


def prio_pod(name, priority=""):
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: web}}\nspec:\n  priorityClassName: {name}\n  {priority}\n"
            "  containers: [{name: web, image: nginx:1.27}]\n")


@pytest.mark.parametrize("texts,expected", [
    ((prio_pod("system-cluster-critical"),), []),
    ((prio_pod("system-critical"),), [E]),  # can never exist
    ((prio_pod("batch-low"),), []),  # may be cluster-wide: nothing to compare with
    ((PRIORITY_CLASS, prio_pod("hihg")), [W]),
    ((PRIORITY_CLASS, prio_pod("high", "priority: 1000")), []),
    ((PRIORITY_CLASS, prio_pod("high", "priority: 5")), [E]),
])
def test_priority_class_names(texts, expected):
    assert severities("CG-PRIO-002", *texts) == expected


# ------------------------------------------------------------------------------------------------ NetworkPolicy peers

def policy(peer):
    return ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api, namespace: backend}\n"
            f"spec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n  ingress: [{{from: [{peer}]}}]\n")


FRONTEND = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: frontend\n  labels: {team: frontend}\n"


@pytest.mark.parametrize("texts,expected", [
    ((FRONTEND, policy("{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: frontend}}}")), []),
    ((FRONTEND, policy("{namespaceSelector: {matchLabels: {team: frontend}}}")), []),
    ((FRONTEND, policy("{namespaceSelector: {matchLabels: {team: web}}}")), [W]),
    # a label scheme the render does not use: other namespaces of the cluster may carry it
    ((FRONTEND, policy("{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}")), []),
    # no Namespace rendered: nothing to compare with
    ((policy("{namespaceSelector: {matchLabels: {team: web}}}"),), []),
])
def test_network_policy_namespace_selectors(texts, expected):
    assert severities("CG-NET-003", *texts) == expected


# ------------------------------------------------------------------------------------------------ pod spec details

def one(container="", spec=""):
    return (f"apiVersion: v1\nkind: Pod\nmetadata: {{name: web}}\nspec:\n  {spec}\n"
            f"  containers:\n  - name: web\n    image: nginx:1.27\n    {container}\n")


@pytest.mark.parametrize("text,expected", [
    (one("lifecycle: {preStop: {sleep: {seconds: 30}}}"), []),  # the default grace period is 30
    (one("lifecycle: {preStop: {sleep: {seconds: 31}}}"), [E]),
    (one("lifecycle: {preStop: {sleep: {seconds: 5}}}", "terminationGracePeriodSeconds: 2"), [E]),
    (one("livenessProbe: {exec: {command: [true]}, terminationGracePeriodSeconds: 0}"), [E]),
])
def test_probe_and_hook_timing_against_the_grace_period(text, expected):
    assert severities("CG-POD-008", text) == expected


@pytest.mark.parametrize("resources,expected", [
    ("{requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 1}}", []),
    ("{limits: {nvidia.com/gpu: 1}}", []),  # the request defaults to the limit
    ("{requests: {nvidia.com/gpu: 1}, limits: {nvidia.com/gpu: 2}}", [E]),
    ("{requests: {nvidia.com/gpu: 500m}, limits: {nvidia.com/gpu: 500m}}", [E, E]),
    ("{requests: {cpu: 500m}}", []),  # native resources may be fractional and overcommitted
])
def test_extended_resources(resources, expected):
    assert severities("CG-POD-009", one(f"resources: {resources}")) == expected


def workload(kind, replicas, cpu="500m", name="web"):
    rep = f"  replicas: {replicas}\n" if replicas is not None else ""
    return (f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n{rep}"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
            f"    spec:\n      containers: [{{name: app, image: nginx:1.27, resources: {{requests: {{cpu: {cpu}}}}}}}]\n")


CPU_QUOTA = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: shop}\nspec: {hard: {requests.cpu: '1'}}\n"
HPA = ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\nspec:\n"
       "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 9\n")


@pytest.mark.parametrize("texts,expected", [
    ((CPU_QUOTA, workload("Deployment", 3)), [E]),  # 3 x 500m > 1
    ((CPU_QUOTA, workload("Deployment", 2)), []),
    ((CPU_QUOTA, workload("Deployment", None)), []),  # replicas default to 1
    ((CPU_QUOTA, workload("Deployment", 3), HPA), []),  # the autoscaler may run a single replica
    ((CPU_QUOTA, workload("DaemonSet", None)), []),  # one pod per node: the nodes are not known
    # a single pod over the quota is CG-QUOTA-001's finding, not repeated here
    ((CPU_QUOTA, workload("Deployment", 3, cpu="2")), []),
])
def test_namespace_quota_counts_the_replicas_the_render_runs_at_least(texts, expected):
    assert severities("CG-QUOTA-002", *texts) == expected


def limit_item(fields):
    return f"apiVersion: v1\nkind: LimitRange\nmetadata: {{name: l}}\nspec:\n  limits: [{{type: Container, {fields}}}]\n"


@pytest.mark.parametrize("fields,expected", [
    ("max: {memory: 1Gi}, min: {memory: 64Mi}", []),  # default and defaultRequest come from max
    ("min: {cpu: '2'}", []),  # defaultRequest comes from min
    ("max: {cpu: '1'}, defaultRequest: {cpu: '2'}", [E, E]),  # above max, and above the default taken from max
    ("min: {cpu: '2'}, default: {cpu: '1'}", [E, E]),  # min above default, and above the defaulted request
    ("maxLimitRequestRatio: {cpu: '0.5'}", [E]),
])
def test_limit_range_bounds_after_defaulting(fields, expected):
    assert severities("CG-LIMIT-002", limit_item(fields)) == expected


@pytest.mark.parametrize("hard,expected", [
    ("{count/deployments.apps: '5', requests.nvidia.com/gpu: 2, services.loadbalancers: '0'}", []),
    ("{gold.storageclass.storage.k8s.io/requests.storage: 100Gi}", []),
    ("{requests.cpu: '-1'}", [E]),
    ("{memory-limit: 1Gi}", [E]),
])
def test_resource_quota_objects(hard, expected):
    text = f"apiVersion: v1\nkind: ResourceQuota\nmetadata: {{name: q}}\nspec: {{hard: {hard}}}\n"
    assert severities("CG-QUOTA-003", text) == expected
