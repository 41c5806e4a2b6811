"""Beyond helm create: env sources, envFrom, the generated ConfigMap, init containers, native sidecars,
command/args, preStop, priorityClassName, ServiceMonitor and extraManifests; refused at spec time when wrong,
rendered by the real helm when right."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from render_helpers import KUBE_VERSION, find, render
from support import DEMO_SPEC

from chartgen.core.errors import SpecErrors
from chartgen.generate.engine import generate
from chartgen.generate.writer import write
from chartgen.spec.loader import parse_spec_text

BASE = DEMO_SPEC

FULL = BASE + """
volumes: [{name: cache, emptyDir: {}}]
env:
  DB_PASSWORD: {secretKeyRef: {name: demo-db, key: password}}
  POD_IP: {fieldRef: {fieldPath: status.podIP}}
  MEMORY_MB: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
  FLAG: {configMapKeyRef: {name: flags, key: flag, optional: true}}
  REGION: eu-west-1
envFrom: [{secretRef: {name: demo-env}, prefix: APP_}]
config:
  data: {LOG_FORMAT: json}
command: [/app/server]
args: [--port, "8080"]
preStop: {sleep: {seconds: 5}}
terminationGracePeriodSeconds: 40
priorityClassName: high-priority
initContainers:
  - name: migrate
    image: ghcr.io/acme/demo-migrate:1.0.0
    args: [up]
    env: {DB_URL: {secretKeyRef: {name: demo-db, key: url}}}
sidecars:
  - name: proxy
    image: ghcr.io/acme/proxy:2.1.0
    resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {cpu: 100m, memory: 64Mi}}
    volumeMounts: [{name: cache, mountPath: /cache}]
serviceMonitor: {enabled: true, labels: {release: prometheus}}
extraManifests:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: "{{ .Release.Name }}-extra"}
    data: {a: b}
  - |
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: {{ .Release.Name }}-extra-text
environments:
  staging:
    config:
      mountPath: /etc/demo
      data: {LOG_FORMAT: text}
    serviceMonitor: {force: true}
  prod: {}
"""


def spec(text: str):
    return parse_spec_text(textwrap.dedent(text), "charts/demo/chartgen.yaml")


def errors_of(text: str) -> list[str]:
    with pytest.raises(SpecErrors) as info:
        spec(text)
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize(("extra", "path", "allowed"), [
    ("env: {DB_PASSWORD: hunter2}", "env.DB_PASSWORD", "secretKeyRef"),
    ("env: {A: {secretKeyRef: {name: s}}}", "env.A", "allowed: one of a string | an object with one of "
     "configMapKeyRef, fieldRef, resourceFieldRef, secretKeyRef"),
    ("env: {A: {fieldRef: {fieldPath: x}, secretKeyRef: {name: s, key: k}}}", "env.A", "allowed: one of"),
    ("envFrom: [{secretRef: {}}]", "envFrom[0].secretRef", "required field 'name'"),
    ("initContainers: [{name: demo, image: 'busybox:1.36'}]", "initContainers[0].name", "already a container"),
    ("initContainers: [{name: x, image: busybox}]", "initContainers[0].image", "does not match"),
    ("initContainers: [{name: x, image: 'busybox:1.36', volumeMounts: [{name: v, mountPath: /v}]}]",
     "initContainers[0].volumeMounts[0].name", "names no volume"),
    ("kubeVersion: 1.28.0\nsidecars: [{name: x, image: 'busybox:1.36'}]", "sidecars", "Kubernetes >= 1.29"),
    ("kubeVersion: 1.29.0\npreStop: {sleep: {seconds: 5}}", "preStop.sleep", "Kubernetes >= 1.30"),
    ("preStop: {sleep: {seconds: 30}}", "preStop.sleep.seconds", "terminationGracePeriodSeconds (30)"),
    ("preStop: {exec: {command: [sh]}, sleep: {seconds: 1}}", "preStop", "has 2 field(s); allowed: exactly 1 of "
     "exec, httpGet, sleep"),
    ("priorityClassName: High", "priorityClassName", "does not match"),
    ("serviceMonitor: {enabled: true, port: metrics}", "serviceMonitor.port", "allowed: http"),
    ("serviceMonitor: {interval: 30}", "serviceMonitor.interval", "wrong type"),
    ("config: {data: {a: 1}}", "config.data.a", "wrong type"),
    ("config: {data: {'a b': x}}", "config.data", "does not match ^[-._a-zA-Z0-9]+$"),
    ("config: {mountPath: etc}", "config.mountPath", "does not match"),
])
def test_bad_setting_is_refused_with_path_and_what_is_allowed(extra, path, allowed):
    errs = errors_of(BASE + extra)
    assert any("charts/demo/chartgen.yaml:" in e and f" {path}: " in e and allowed in e for e in errs), errs


@pytest.fixture(scope="module")
def chart(tmp_path_factory):
    root = tmp_path_factory.mktemp("charts") / "demo"
    root.mkdir()
    text = textwrap.dedent(FULL)
    (root / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(root / "chartgen.yaml"))), root)
    return root


def test_secrets_are_references_in_values_files(chart):
    env = yaml.safe_load((chart / "values.yaml").read_text())["env"]
    assert env["DB_PASSWORD"] == {"secretKeyRef": {"name": "demo-db", "key": "password"}}


def test_container_settings_render_through_helm(helm, chart):
    docs = render(helm, chart, "prod", "payments")
    pod = find(docs, "Deployment")["spec"]["template"]
    spec = pod["spec"]
    app = spec["containers"][0]
    env = {e["name"]: e for e in app["env"]}
    assert env["DB_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "demo-db", "key": "password"}}
    assert env["POD_IP"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert env["MEMORY_MB"]["valueFrom"]["resourceFieldRef"] == {"resource": "limits.memory", "divisor": "1Mi"}
    assert env["FLAG"]["valueFrom"]["configMapKeyRef"]["optional"] is True
    assert env["REGION"] == {"name": "REGION", "value": "eu-west-1"}
    assert app["envFrom"] == [{"configMapRef": {"name": "demo-config"}},
                              {"secretRef": {"name": "demo-env"}, "prefix": "APP_"}]
    assert app["command"] == ["/app/server"] and app["args"] == ["--port", "8080"]
    assert app["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert spec["terminationGracePeriodSeconds"] == 40 and spec["priorityClassName"] == "high-priority"
    init = {c["name"]: c for c in spec["initContainers"]}
    assert list(init) == ["migrate", "proxy"]
    assert "restartPolicy" not in init["migrate"] and init["proxy"]["restartPolicy"] == "Always"
    assert init["migrate"]["resources"] == app["resources"]  # the app's by default
    assert init["proxy"]["resources"]["limits"] == {"cpu": "100m", "memory": "64Mi"}
    assert init["migrate"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert init["migrate"]["env"][0]["valueFrom"]["secretKeyRef"]["key"] == "url"
    cm = find(docs, "ConfigMap", "demo-config")
    assert cm["data"] == {"LOG_FORMAT": "json"} and cm["metadata"]["namespace"] == "payments"
    checksum = pod["metadata"]["annotations"]["checksum/config"]
    assert len(checksum) == 64
    assert find(docs, "ConfigMap", "demo-extra")["data"] == {"a": "b"}
    find(docs, "ConfigMap", "demo-extra-text")
    assert not [d for d in docs if d["kind"] == "ServiceMonitor"]  # the API is not served


def test_config_change_rolls_pods_and_mount_path_mounts_files(helm, chart):
    prod = find(render(helm, chart, "prod", "web"), "Deployment")["spec"]["template"]
    docs = render(helm, chart, "staging", "web")
    staging = find(docs, "Deployment")["spec"]["template"]
    assert prod["metadata"]["annotations"]["checksum/config"] != staging["metadata"]["annotations"]["checksum/config"]
    app = staging["spec"]["containers"][0]
    assert {"name": "config", "mountPath": "/etc/demo", "readOnly": True} in app["volumeMounts"]
    assert {"name": "config", "configMap": {"name": "demo-config"}} in staging["spec"]["volumes"]
    assert "envFrom" not in app or {"configMapRef": {"name": "demo-config"}} not in app["envFrom"]
    sm = find(docs, "ServiceMonitor")  # forced in staging
    assert sm["metadata"]["labels"]["release"] == "prometheus"
    assert sm["spec"]["endpoints"][0]["port"] == "http"


def test_service_monitor_renders_when_the_api_is_served(helm, chart):
    res = helm.run("template", "demo", str(chart), "-n", "web", "--kube-version", KUBE_VERSION, "-f",
                   str(chart / "values-prod.yaml"), "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor")
    assert res.ok, res.message
    sm = find([d for d in yaml.safe_load_all(res.stdout) if d], "ServiceMonitor")
    assert sm["spec"]["endpoints"][0] == {"port": "http", "path": "/metrics", "interval": "30s",
                                          "scrapeTimeout": "10s"}
    assert sm["spec"]["namespaceSelector"] == {"matchNames": ["web"]}


def test_an_environment_replaces_an_env_source_and_pre_stop_whole(helm, tmp_path):
    """Found by the property test: maps merge across layers, so a source switched in an environment used to be
    merged with the old one (two sources: refused by values.schema.json)."""
    text = BASE + textwrap.dedent("""
        env:
          A: {fieldRef: {fieldPath: metadata.name}}
          B: plain
        preStop: {exec: {command: [sleep, "2"]}}
        podLabels: {canary: "y"}
        environments:
          prod:
            env:
              A: {secretKeyRef: {name: s, key: k}}
              B: {configMapKeyRef: {name: c, key: k}}
            preStop: {sleep: {seconds: 3}}
        """)
    chart = tmp_path / "demo"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(chart / "chartgen.yaml"))), chart)
    pod = find(render(helm, chart, "prod", "web"), "Deployment")["spec"]["template"]
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["A"]["valueFrom"] == {"secretKeyRef": {"name": "s", "key": "k"}}
    assert env["B"]["valueFrom"] == {"configMapKeyRef": {"name": "c", "key": "k"}}
    assert pod["spec"]["containers"][0]["lifecycle"]["preStop"] == {"sleep": {"seconds": 3}}
    assert pod["metadata"]["labels"]["canary"] == "y"  # not YAML 1.1's boolean
