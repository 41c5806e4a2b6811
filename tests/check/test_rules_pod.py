"""CG-POD-*: pod template validation the API server applies and the schema cannot express."""

from __future__ import annotations

import pytest

try:
    from recall_docs import CONTAINER, cronjob, deployment
except ImportError:  # tests/ made a package
    from tests.check.recall_docs import CONTAINER, cronjob, deployment

from chartgen.check.model import Severity
from chartgen.check.quantity import parse_quantity
from chartgen.check.imageref import image_error

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: shop}\ndata: {MODE: prod}\n"
SECRET = ("apiVersion: v1\nkind: Secret\nmetadata: {name: web-tls, namespace: shop}\ntype: kubernetes.io/tls\n"
          "stringData: {tls.crt: x, tls.key: y}\n")
WITH_MOUNT = CONTAINER + "  volumeMounts: [{name: data, mountPath: /data}]\n"

# (rule, failing manifest, near-miss manifest that must stay clean for that rule)
CASES = {
    "volumeMount without volume": (
        "CG-POD-001",
        deployment("volumes: [{name: tmp, emptyDir: {}}]", WITH_MOUNT),
        deployment("volumes: [{name: data, emptyDir: {}}]", WITH_MOUNT)),
    "StatefulSet mount of a claim template is defined": (
        "CG-POD-001",
        deployment("", WITH_MOUNT, kind="StatefulSet",
                   spec="serviceName: web\nvolumeClaimTemplates: [{metadata: {name: cache}, spec: {accessModes: "
                        "[ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}]"),
        deployment("", WITH_MOUNT, kind="StatefulSet",
                   spec="serviceName: web\nvolumeClaimTemplates: [{metadata: {name: data}, spec: {accessModes: "
                        "[ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}]")),
    "duplicate volume": (
        "CG-POD-002",
        deployment("volumes: [{name: data, emptyDir: {}}, {name: data, configMap: {name: web}}]"),
        deployment("volumes: [{name: data, emptyDir: {}}, {name: config, configMap: {name: web}}]")),
    "volume with two sources": (
        "CG-POD-002",
        deployment("volumes: [{name: data, emptyDir: {}, configMap: {name: web}}]"),
        deployment("volumes: [{name: data, projected: {sources: [{configMap: {name: a}}, {secret: {name: b}}]}}]")),
    "item path with ..": (
        "CG-POD-003",
        deployment("volumes: [{name: c, configMap: {name: web, items: [{key: app.yaml, path: ../app.yaml}]}}]"),
        deployment("volumes: [{name: c, configMap: {name: web, items: [{key: app.yaml, path: conf/app.yaml}]}}]")),
    "defaultMode above 0777": (
        "CG-POD-003",
        deployment("volumes: [{name: s, secret: {secretName: web, defaultMode: 644}}]"),
        deployment("volumes: [{name: s, secret: {secretName: web, defaultMode: 0644}}]")),
    "same mountPath twice": (
        "CG-POD-003",
        deployment("volumes: [{name: a, emptyDir: {}}, {name: b, emptyDir: {}}]",
                   CONTAINER + "  volumeMounts: [{name: a, mountPath: /data}, {name: b, mountPath: /data}]\n"),
        deployment("volumes: [{name: a, emptyDir: {}}, {name: b, emptyDir: {}}]",
                   CONTAINER + "  volumeMounts: [{name: a, mountPath: /data}, {name: b, mountPath: /data/b}]\n")),
    "container names clash": (
        "CG-POD-004",
        deployment("initContainers: [{name: web, image: busybox:1.36}]"),
        deployment("initContainers: [{name: web-init, image: busybox:1.36}]")),
    "container name with upper case": (
        "CG-POD-004",
        deployment("", CONTAINER.replace("name: web", "name: Web")),
        deployment("", CONTAINER.replace("name: web", "name: web-1"))),
    "image with two tags": (
        "CG-POD-005",
        deployment("", CONTAINER.replace(":1.4.2", ":1.4.2:alpine")),
        deployment("", CONTAINER.replace(":1.4.2", ":1.4.2-alpine@sha256:" + "a" * 64))),
    "env valueFrom with two sources": (
        "CG-POD-006",
        deployment("", CONTAINER + "  env: [{name: A, valueFrom: {configMapKeyRef: {name: c, key: a}, "
                   "secretKeyRef: {name: s, key: a}}}]\n"),
        deployment("", CONTAINER + "  env: [{name: A, valueFrom: {configMapKeyRef: {name: c, key: a.b_c-d}}}]\n")),
    "unsupported fieldPath": (
        "CG-POD-006",
        deployment("", CONTAINER + "  env: [{name: IP, valueFrom: {fieldRef: {fieldPath: status.podIp}}}]\n"),
        deployment("", CONTAINER + "  env: [{name: V, valueFrom: {fieldRef: {fieldPath: "
                   "\"metadata.labels['app']\"}}}]\n")),
    "duplicate hostPort": (
        "CG-POD-007",
        deployment("", CONTAINER.replace("containerPort: 8080}", "containerPort: 8080, hostPort: 80}")
                   + "- name: side\n  image: nginx:1.27\n  ports: [{containerPort: 8081, hostPort: 80}]\n"),
        deployment("", CONTAINER.replace("containerPort: 8080}", "containerPort: 8080, hostPort: 80}")
                   + "- name: side\n  image: nginx:1.27\n  ports: [{containerPort: 8081, hostPort: 80, "
                   "protocol: UDP}]\n")),
    "probe without handler": (
        "CG-POD-008",
        deployment("", CONTAINER + "  readinessProbe: {periodSeconds: 10}\n"),
        deployment("", CONTAINER + "  readinessProbe: {grpc: {port: 8080}, successThreshold: 2}\n")),
    "probe on a plain init container": (
        "CG-POD-008",
        deployment("initContainers: [{name: wait, image: busybox:1.36, readinessProbe: {exec: {command: [\"true\"]}}}]"),
        # a native sidecar (restartPolicy Always) may have probes
        deployment("initContainers: [{name: proxy, image: envoyproxy/envoy:v1.31.0, restartPolicy: Always, "
                   "readinessProbe: {tcpSocket: {port: 9901}}}]")),
    "memory request above limit": (
        "CG-POD-009",
        deployment("", CONTAINER.replace("memory: 128Mi", "memory: 1Gi")),
        deployment("", CONTAINER.replace("memory: 128Mi", "memory: 256Mi"))),
    "bad quantity": (
        "CG-POD-009",
        deployment("", CONTAINER.replace("cpu: 100m", "cpu: 100 m")),
        deployment("", CONTAINER.replace("cpu: 100m", "cpu: 0.1"))),
    "Job pod with restartPolicy Always": (
        "CG-POD-010",
        cronjob("restartPolicy: Always"),
        cronjob("restartPolicy: Never")),
    "container-level restartPolicy on a regular container": (
        "CG-POD-010",
        deployment("", CONTAINER + "  restartPolicy: Always\n"),
        deployment("initContainers: [{name: proxy, image: envoyproxy/envoy:v1.31.0, restartPolicy: Always}]")),
    "dnsPolicy None without nameservers": (
        "CG-POD-011",
        deployment("dnsPolicy: None"),
        deployment("dnsPolicy: None\ndnsConfig: {nameservers: [10.0.0.10]}")),
    "topology spread maxSkew 0": (
        "CG-POD-011",
        deployment("topologySpreadConstraints: [{maxSkew: 0, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, "
                   "labelSelector: {matchLabels: {app: web}}}]"),
        deployment("topologySpreadConstraints: [{maxSkew: 1, minDomains: 2, topologyKey: zone, "
                   "whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}]")),
    "seccomp Localhost without profile": (
        "CG-POD-011",
        deployment("securityContext: {seccompProfile: {type: Localhost}}"),
        deployment("securityContext: {seccompProfile: {type: Localhost, localhostProfile: profiles/web.json}}")),
    "hostNetwork with a different hostPort": (
        "CG-POD-007",
        deployment("hostNetwork: true", CONTAINER.replace("containerPort: 8080}", "containerPort: 8080, "
                                                                                   "hostPort: 80}")),
        deployment("hostNetwork: true", CONTAINER.replace("containerPort: 8080}", "containerPort: 8080, "
                                                                                   "hostPort: 8080}"))),
    "probe port name too long": (
        "CG-POD-008",
        deployment("", CONTAINER + "  livenessProbe: {tcpSocket: {port: management-https}}\n"),
        deployment("", CONTAINER + "  livenessProbe: {httpGet: {port: '8080', scheme: HTTPS}}\n")),
    "required anti-affinity without topologyKey": (
        "CG-POD-011",
        deployment("affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
                   "[{labelSelector: {matchLabels: {app: web}}}]}}"),
        deployment("affinity: {podAntiAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, "
                   "podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: "
                   "{app: web}}}}]}}")),
    "negative runAsUser": (
        "CG-POD-011",
        deployment("securityContext: {runAsUser: -1}"), deployment("securityContext: {runAsUser: 0}")),
    "missing key of a rendered ConfigMap": (
        "CG-POD-013",
        CONFIGMAP + "---\n" + deployment("", CONTAINER + "  env: [{name: MODE, valueFrom: {configMapKeyRef: "
                                                       "{name: web, key: mode}}}]\n"),
        CONFIGMAP + "---\n" + deployment("", CONTAINER + "  env: [{name: MODE, valueFrom: {configMapKeyRef: "
                                                       "{name: web, key: MODE}}}, {name: X, valueFrom: "
                                                       "{configMapKeyRef: {name: web, key: x, optional: true}}}]\n")),
    "volume item key missing from a rendered Secret": (
        "CG-POD-013",
        SECRET + "---\n" + deployment("volumes: [{name: tls, secret: {secretName: web-tls, items: [{key: tls.pem, "
                                      "path: tls.pem}]}}]"),
        SECRET + "---\n" + deployment("volumes: [{name: tls, secret: {secretName: web-tls, items: [{key: tls.crt, "
                                      "path: tls.pem}]}}, {name: ext, secret: {secretName: made-by-vault}}]")),
    "runAsNonRoot with UID 0": (
        "CG-POD-012",
        deployment("securityContext: {runAsNonRoot: true}", CONTAINER + "  securityContext: {runAsUser: 0}\n"),
        deployment("securityContext: {runAsNonRoot: true, runAsUser: 0}",
                   CONTAINER + "  securityContext: {runAsUser: 10001}\n")),
}


def test_a_configmap_that_is_not_rendered_is_a_warning(check):
    found = check(deployment("volumes: [{name: c, configMap: {name: shared-config}}]"), rule="CG-POD-013")
    assert [f.severity for f in found] == [Severity.WARNING]


def test_two_containers_on_one_port_is_a_warning(check):
    text = deployment("", CONTAINER + "- name: side\n  image: nginx:1.27\n  ports: [{containerPort: 8080}]\n")
    found = check(text, rule="CG-POD-007")
    assert [f.severity for f in found] == [Severity.WARNING]
    assert check(deployment("", CONTAINER + "- name: side\n  image: nginx:1.27\n  ports: [{containerPort: 8080, "
                                          "protocol: UDP}]\n"), rule="CG-POD-007") == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fires_on_the_fault_and_not_on_the_near_miss(check, name):
    rule_id, bad, good = CASES[name]
    found = check(bad, rule=rule_id)
    assert found and all(f.severity == Severity.ERROR for f in found), (name, found)
    assert found[0].field and found[0].line, found[0]
    assert check(good, rule=rule_id) == [], name


def test_job_template_without_restart_policy_is_rejected(check):
    found = check(cronjob("dnsPolicy: ClusterFirst"), rule="CG-POD-010")
    assert [f.field for f in found] == ["spec.jobTemplate.spec.template.spec.restartPolicy"]


@pytest.mark.parametrize("value, expected", [
    ("100m", "0.1"), ("1Gi", str(2**30)), ("1e3", "1000"), (2, "2"), (0.5, "0.5"), ("1.5Mi", str(int(1.5 * 2**20))),
])
def test_quantities_parse_like_the_api_server(value, expected):
    assert parse_quantity(value) == parse_quantity(expected)


@pytest.mark.parametrize("value", ["256MB", "1 Gi", "", "1.2.3", "Mi", "1Gi ", "0x10"])
def test_invalid_quantities(value):
    assert parse_quantity(value) is None


@pytest.mark.parametrize("image", [
    "nginx", "nginx:1.27", "library/nginx:1.27-alpine", "localhost:5000/team/app:v2", "ghcr.io/a_b/c__d:x.y",
    "registry.Example.com:443/app@sha256:" + "0" * 64, "[::1]:5000/app:1",
])
def test_valid_image_references(image):
    assert image_error(image) is None


@pytest.mark.parametrize("image", ["Nginx", "nginx:", "nginx:1:2", "app@sha256:abc", " nginx", "-app:1", "a/-b:1"])
def test_invalid_image_references(image):
    assert image_error(image) is not None
