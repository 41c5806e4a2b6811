"""Issue 15's false-positive classes, each on a realistic fixture written for this test (no copy of a public chart):
what is certain stays an error, what the input cannot prove is a warning that says what would make it certain."""

from __future__ import annotations

import textwrap

from chartgen.check.command import check_text
from chartgen.check.model import CheckOptions, ExternalObject, Finding, Severity

E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def run(text: str, rule: str, **options) -> list[Severity]:
    found: list[Finding] = check_text(textwrap.dedent(text), "chart.yaml", CheckOptions(**options))
    return [f.severity for f in found if f.rule == rule]


CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              selector:
                type: object
                properties:
                  matchLabels:
                    type: object
                    description: Labels of the pods this widget watches. Keys and values are strings.
                    additionalProperties: {type: string}
"""


def test_crd_property_named_match_labels_is_not_a_label_map():
    assert run(CRD, "CG-API-004") == []


AGENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: metrics, namespace: monitoring}
spec:
  selector: {matchLabels: {app: metrics}}
  template:
    metadata: {labels: {app: metrics}}
    spec:
      containers: [{name: app, image: "example/metrics:1.0", ports: [{name: http, containerPort: 9090}]}]
"""
CONTROL_PLANE_SVC = """
---
apiVersion: v1
kind: Service
metadata: {name: metrics-kube-scheduler, namespace: kube-system}
spec:
  clusterIP: None
  selector: {component: kube-scheduler}
  ports: [{name: http-metrics, port: 10259, targetPort: 10259}]
"""


def test_service_for_control_plane_pods_in_another_namespace_is_a_warning():
    assert run(AGENT + CONTROL_PLANE_SVC, "CG-X-001") == [W]
    # the same typo in the chart's own namespace, where it runs its own workload, is certain
    own = CONTROL_PLANE_SVC.replace("namespace: kube-system", "namespace: monitoring")
    assert run(AGENT + own, "CG-X-001") == [E]
    # declared in the config: nothing to report
    ext = (ExternalObject("Pod", namespace="kube-system", selector=(("component", "kube-scheduler"),)),)
    assert run(AGENT + CONTROL_PLANE_SVC, "CG-X-001", external=ext) == []


OPERATOR = AGENT + """
---
apiVersion: example.com/v1
kind: Database
metadata: {name: orders-db, namespace: monitoring}
spec: {replicas: 3}
---
apiVersion: v1
kind: Service
metadata: {name: orders-db, namespace: monitoring}
spec:
  selector: {example.com/database: orders-db}
  ports: [{name: sql, port: 5432}]
"""


def test_service_for_operator_made_pods_is_a_warning():
    assert run(OPERATOR, "CG-X-001") == [W]


STS = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache}
spec:
  serviceName: cache-headless
  replicas: 2
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers: [{name: redis, image: "redis:7.2", ports: [{name: redis, containerPort: 6379}]}]
---
apiVersion: v1
kind: Service
metadata: {name: cache-announce-0}
spec:
  publishNotReadyAddresses: true
  selector: {app: cache, statefulset.kubernetes.io/pod-name: cache-0}
  ports: [{name: redis, port: 6379, targetPort: redis}]
"""


def test_controller_added_pod_labels_are_not_required_on_the_template():
    assert run(STS, "CG-X-001") == []
    assert run(STS, "CG-X-005") == [W]  # cache-headless is not rendered: per-pod DNS is missing, nothing breaks


GATEWAY_POD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress}
spec:
  selector: {matchLabels: {istio: ingress}}
  template:
    metadata: {labels: {istio: ingress}}
    spec:
      containers:
      - name: istio-proxy
        image: "docker.io/istio/proxyv2:1.30.0"
        ports: [{name: http-envoy-prom, containerPort: 15090}]
---
apiVersion: v1
kind: Service
metadata: {name: ingress}
spec:
  type: LoadBalancer
  selector: {istio: ingress}
  ports:
  - {name: status-port, port: 15021, targetPort: 15021}
  - {name: http2, port: 80, targetPort: 80}
"""


def test_undeclared_numeric_target_port_is_not_an_error():
    # a process may listen on ports it does not declare: likely wrong, never certain
    assert run(GATEWAY_POD, "CG-X-003") == [W, W]
    # an injected gateway (image: auto) gets its ports from the injector: nothing to judge in the render
    injected = GATEWAY_POD.replace('image: "docker.io/istio/proxyv2:1.30.0"', "image: auto")
    assert run(injected, "CG-X-003") == [INFO, INFO]
    # no container declares a port: a number is forwarded whether declared or not
    bare = GATEWAY_POD.replace("        ports: [{name: http-envoy-prom, containerPort: 15090}]\n", "")
    assert run(bare, "CG-X-003") == []


K8S_GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""


def test_gateway_api_gateway_is_not_checked_as_an_istio_gateway():
    assert run(K8S_GATEWAY, "CG-ISTIO-017") == []
    istio = K8S_GATEWAY.replace("gateway.networking.k8s.io/v1", "networking.istio.io/v1")
    assert run(istio, "CG-ISTIO-017")  # an Istio Gateway without servers is still reported


NODE_AGENT = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-metrics}
spec:
  selector: {matchLabels: {app: node-metrics}}
  template:
    metadata: {labels: {app: node-metrics}}
    spec:
      hostNetwork: true
      hostPID: true
      containers: [{name: exporter, image: "example/node-metrics:1.8.2", ports: [{name: metrics, containerPort: 9100}]}]
"""


def test_node_agent_host_namespaces_are_not_errors():
    assert run(NODE_AGENT, "CG-P-008") == [INFO, INFO]
    deployment = NODE_AGENT.replace("kind: DaemonSet", "kind: Deployment")
    assert run(deployment, "CG-P-008") == [W, W]
    assert run(deployment, "CG-P-008", profile="prod") == [E, E]


PROBED = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: "example/api:2.1.0"
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /ready, port: 8081}}
        livenessProbe: {httpGet: {path: /healthz, port: 8081}}
"""


def test_probe_on_an_undeclared_management_port_is_not_a_warning():
    assert run(PROBED, "CG-X-004") == [INFO, INFO]
    named = PROBED.replace("port: 8081}}\n        livenessProbe", "port: admin}}\n        livenessProbe")
    assert sorted(run(named, "CG-X-004")) == [INFO, E]  # an unknown port *name* never resolves
