"""Property test: random combinations of the helm-create and production settings, each a valid chartgen.yaml by
construction, are accepted by the spec, generated, rendered by the real helm and pass `chartgen check` with no
error. Fixed seed, few examples, and the charts of one example rendered together (one check run per example)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from render_helpers import KUBE_VERSION
from support import helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.engine import generate
from chartgen.spec import parse_spec_text
from chartgen.writer import write

NAME = st.from_regex(r"\A[a-z][a-z0-9]{1,8}\Z")
LABEL_VALUE = st.from_regex(r"\A[a-z0-9]{1,10}\Z")
VOLUMES = [
    {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}},
    {"name": "certs", "secret": {"secretName": "app-certs", "defaultMode": 292}},
    {"name": "settings", "configMap": {"name": "app-settings", "items": [{"key": "a", "path": "a.yaml"}]}},
    {"name": "shared", "persistentVolumeClaim": {"claimName": "shared", "readOnly": True}},
    {"name": "bundle", "projected": {"sources": [{"secret": {"name": "app-certs"}},
                                                 {"serviceAccountToken": {"path": "token", "audience": "vault"}}]}},
]
ENV_SOURCES = [
    {"secretKeyRef": {"name": "app-db", "key": "password"}},
    {"configMapKeyRef": {"name": "flags", "key": "x", "optional": True}},
    {"fieldRef": {"fieldPath": "metadata.name"}},
    {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
    "plain",
]
TOLERATIONS = [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
               {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]
AFFINITY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}}


@st.composite
def settings_layer(draw: Any) -> dict[str, Any]:
    """One random layer of the new settings (valid by construction)."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["imagePullSecrets"] = [{"name": n} for n in draw(st.lists(NAME, max_size=2, unique=True))]
    if draw(st.booleans()):
        out["serviceAccount"] = {"create": draw(st.booleans()), "automount": draw(st.booleans()),
                                 "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}}
    if draw(st.booleans()):
        out["podLabels"] = draw(st.dictionaries(st.sampled_from(["team", "tier", "cost"]), LABEL_VALUE, max_size=2))
        out["podAnnotations"] = {"example.com/owner": draw(LABEL_VALUE)}
    if draw(st.booleans()):
        out["podSecurityContext"] = {"runAsUser": draw(st.integers(1000, 65000)),
                                     "fsGroupChangePolicy": draw(st.sampled_from(["Always", "OnRootMismatch"]))}
    volumes = draw(st.lists(st.sampled_from(VOLUMES), max_size=3, unique_by=lambda v: v["name"]))
    if volumes:
        out["volumes"] = volumes
        out["volumeMounts"] = [{"name": v["name"], "mountPath": f"/mnt/{v['name']}", "readOnly": True}
                               for v in volumes]
    if draw(st.booleans()):
        out["nodeSelector"] = {"kubernetes.io/os": "linux"}
        out["tolerations"] = draw(st.lists(st.sampled_from(TOLERATIONS), max_size=2, unique_by=str))
        out["affinity"] = AFFINITY
    if draw(st.booleans()):
        out["topologySpreadConstraints"] = [{"maxSkew": draw(st.integers(1, 3)), "topologyKey": "kubernetes.io/hostname",
                                             "whenUnsatisfiable": "DoNotSchedule"}]
    names = draw(st.lists(st.sampled_from(["DB_PASS", "FLAG", "POD", "MEM", "REGION"]), max_size=4, unique=True))
    if names:
        out["env"] = {n: draw(st.sampled_from(ENV_SOURCES)) for n in names}
    if draw(st.booleans()):
        out["envFrom"] = [{"secretRef": {"name": "app-env"}, "prefix": "APP_"}]
    if draw(st.booleans()):
        out["config"] = {"data": {"A": draw(LABEL_VALUE)}, "mountPath": draw(st.sampled_from(["", "/etc/app"]))}
    if draw(st.booleans()):
        out["initContainers"] = [{"name": "init", "image": "busybox:1.36.1", "command": ["true"]}]
    if draw(st.booleans()):
        out["sidecars"] = [{"name": "agent", "image": "ghcr.io/acme/agent:1.0.0",
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                                          "limits": {"cpu": "50m", "memory": "32Mi"}}}]
    if draw(st.booleans()):
        grace = draw(st.integers(10, 60))
        out["terminationGracePeriodSeconds"] = grace
        out["preStop"] = draw(st.sampled_from([{"sleep": {"seconds": grace // 2}},
                                               {"exec": {"command": ["sleep", "2"]}}]))
    if draw(st.booleans()):
        out["command"], out["args"] = ["/app"], ["--v", "2"]
    if draw(st.booleans()):
        out["serviceMonitor"] = {"enabled": True, "force": True, "interval": "15s"}
    traffic = draw(st.sampled_from(["none", "ingress", "httpRoute", "split"]))
    if traffic == "ingress":
        out["ingress"] = {"enabled": True, "className": "nginx", "hosts": [
            {"host": "app.example.com", "paths": [{"path": "/", "pathType": draw(st.sampled_from(
                ["Prefix", "Exact", "ImplementationSpecific"])), "port": "http"}]}],
            "tls": [{"secretName": "app-tls", "hosts": ["app.example.com"]}]}
    if traffic in ("httpRoute", "split"):
        out["httpRoute"] = {"enabled": True, "parentRefs": [{"name": "public", "namespace": "gateway-system"}],
                            "hostnames": ["app.example.com"]}
    if traffic == "split":
        canary = draw(st.integers(0, 100))
        v2: dict[str, Any] = {"weight": canary}
        v2 |= draw(st.sampled_from([{}, {"replicas": 1}, {"autoscaling": {"enabled": True, "minReplicas": 1,
                                                                           "maxReplicas": 2}}]))
        out["istio"] = {"versions": {"v1": {"weight": 100 - canary}, "v2": v2}}
    return out


BASE = """
apiVersion: chartgen/v1
name: %s
blueprint: clusterip
image: {repository: ghcr.io/acme/app, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: http-metrics, port: 9090, targetPort: 9090}
probes:
  readiness: {path: /ready, port: http}
  liveness: {path: /healthz, port: http}
"""


def _chart(root: Path, name: str, top: dict[str, Any], prod: dict[str, Any]) -> Path:
    text = textwrap.dedent(BASE % name) + yaml.safe_dump(
        {**top, "environments": {"prod": {"namespace": "apps", **prod}}}, sort_keys=False)
    chart = root / name
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(chart / "chartgen.yaml"))), chart)
    return chart


@seed(20261202)
@settings(max_examples=4, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.too_slow,
                                                                               HealthCheck.data_too_large])
@given(st.lists(st.tuples(settings_layer(), settings_layer()), min_size=4, max_size=4))
def test_random_settings_render_and_pass_check(tmp_path_factory, layers):
    root = tmp_path_factory.mktemp("prop")
    helm = helm_binary("4.1.4")
    out = root / "rendered"
    out.mkdir()
    for i, (top, prod) in enumerate(layers):
        chart = _chart(root, f"app{i}", top, prod)
        res = helm.template(chart, chart.name, "apps", [chart / "values-prod.yaml"], kube_version=KUBE_VERSION)
        assert res.ok, (res.message, (chart / "chartgen.yaml").read_text())
        (out / f"{chart.name}.yaml").write_text(res.stdout)
    result = CliRunner().invoke(app, ["check", str(out), "--severity", "error"])
    assert result.exit_code == 0, result.output
