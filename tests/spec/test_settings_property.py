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
from spec_space import pod_settings
from support import helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.generate.engine import generate
from chartgen.generate.writer import write
from chartgen.spec.loader import parse_spec_text


@st.composite
def settings_layer(draw: Any) -> dict[str, Any]:
    """One random layer of the new settings (valid by construction): spec_space's pod settings and traffic."""
    out: dict[str, Any] = draw(pod_settings())
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
