"""chartgen never generates what the API server or its own check rejects (issue 20): each spec below used to
generate a chart that the API server or `chartgen check --profile prod` refuses, or a setting was dropped silently.
Now the chart renders cleanly, or the spec is refused (exit 2, one line, nothing written)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from render_helpers import KUBE_VERSION, find
from support import helm_binary
from typer.testing import CliRunner

from chartgen.check.command import check_text, make_options
from chartgen.check.model import Severity
from chartgen.check.waivers import waived
from chartgen.cli import app

runner = CliRunner()
BASE = """\
apiVersion: chartgen/v1
name: web
blueprint: clusterip
image: {repository: ghcr.io/acme/web, tag: "1.0.0"}
"""
PORT = "service:\n  ports: [{name: http, port: 80, targetPort: 8080}]\n"


def generate(tmp_path: Path, text: str) -> tuple[int, str, Path]:
    chart = tmp_path / "web"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(text)
    res = runner.invoke(app, ["generate", str(chart)])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output, chart


def spec(extra: str, head: str = BASE + PORT) -> str:
    return head + textwrap.dedent(extra)


def rendered(chart: Path, env: str = "prod") -> str:
    res = helm_binary("4.1.4").template(chart, chart.name, "apps", [chart / f"values-{env}.yaml"],
                                        kube_version=KUBE_VERSION)
    assert res.ok, res.message
    return res.stdout


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def prod_problems(text: str) -> list[str]:
    """Errors and unwaived warnings of `chartgen check --profile prod` on one rendering (chartgen.check.waivers)."""
    opts = make_options(profile="prod")
    return [f"{f.rule} {f.message}" for f in check_text(text, "rendered.yaml", opts)
            if f.severity >= Severity.WARNING and not waived(f)]


def refused(code: int, out: str, chart: Path, *needles: str) -> None:
    assert code == 2, out
    assert out.startswith("error: ") and out.count("\n") == 1 and all(n in out for n in needles), out
    assert sorted(p.name for p in chart.iterdir()) == ["chartgen.yaml"], "nothing is written"


# ---------------------------------------------------------------------------------------------- topology spread


def test_explicit_zone_spread_with_the_prod_profile_renders_each_pair_once(tmp_path):
    code, out, chart = generate(tmp_path, spec("""\
        topologySpreadConstraints:
          - {maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}
        """))
    assert code == 0, out
    text = rendered(chart, "prod")  # the prod profile turns topologySpread on (hostname and zone, ScheduleAnyway)
    spread = find(docs(text), "Deployment")["spec"]["template"]["spec"]["topologySpreadConstraints"]
    pairs = sorted((c["topologyKey"], c["whenUnsatisfiable"], c["maxSkew"]) for c in spread)
    assert pairs == [("kubernetes.io/hostname", "ScheduleAnyway", 1),
                     ("topology.kubernetes.io/zone", "ScheduleAnyway", 2)]  # the explicit one replaces the default
    assert not [p for p in prod_problems(text) if "topologySpread" in p]


def test_explicit_spread_pairs_repeated_are_refused(tmp_path):
    code, out, chart = generate(tmp_path, spec("""\
        topologySpreadConstraints:
          - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
          - {maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule}
        """))
    refused(code, out, chart, "topologySpreadConstraints[1]", "duplicates topologySpreadConstraints[0]")


def test_check_refuses_a_repeated_spread_pair_as_the_api_server_does():
    spread = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}], "topologySpreadConstraints": spread * 2}}
    found = [f for f in check_text(yaml.safe_dump(pod), "pod.yaml") if f.rule == "CG-POD-011"]
    assert len(found) == 1 and "Duplicate value" in found[0].message and "[0]" in found[0].message


# ---------------------------------------------------------------------------------------------- gRPC probes


def test_a_grpc_probe_on_a_named_port_gets_the_port_number(tmp_path):
    code, out, chart = generate(tmp_path, spec("""\
        service:
          ports: [{name: grpc, port: 9090, targetPort: 50051, appProtocol: grpc}]
        probes:
          liveness: {type: grpc, port: grpc}
          readiness: {type: grpc}
        """, head=BASE))
    assert code == 0, out
    text = rendered(chart, "prod")
    container = find(docs(text), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["grpc"] == {"port": 50051}
    assert container["readinessProbe"]["grpc"] == {"port": 50051}
    assert not [p for p in prod_problems(text) if "grpc" in p]
    res = runner.invoke(app, ["verify", str(chart)])
    assert res.exit_code == 0, res.output


# ------------------------------------------------------------------------------- settings a blueprint ignores


def test_a_statefulset_setting_on_clusterip_is_refused(tmp_path):
    code, out, chart = generate(tmp_path, spec("statefulSet: {storage: {size: 5Gi}}\n"))
    refused(code, out, chart, "chartgen.yaml:7: statefulSet: not available with blueprint 'clusterip'",
            "allowed with: headless")


def test_a_load_balancer_setting_of_an_environment_on_nodeport_is_refused(tmp_path):
    text = spec("environments:\n  prod:\n    service: {loadBalancer: {scheme: internal}}\n").replace(
        "blueprint: clusterip", "blueprint: nodeport")
    code, out, chart = generate(tmp_path, text)
    refused(code, out, chart, "environments.prod.service.loadBalancer.scheme: not available with blueprint 'nodeport'",
            "allowed with: loadbalancer")


@pytest.mark.parametrize(("blueprint", "setting"), [
    ("headless", "autoscaling: {enabled: true}"),
    ("headless", "service: {sessionAffinity: ClientIP, ports: [{port: 80}]}"),
    ("headless", "istio: {peerAuthentication: {mode: STRICT}}"),
])
def test_settings_the_headless_blueprint_never_reads_are_refused(tmp_path, blueprint, setting):
    head = BASE if setting.startswith("service") else BASE + PORT
    text = spec(setting + "\n", head=head).replace("blueprint: clusterip", f"blueprint: {blueprint}")
    code, out, _ = generate(tmp_path, text)
    assert code == 2 and f"not available with blueprint {blueprint!r}" in out, out


def test_settings_a_blueprint_reads_through_its_own_values_are_accepted(tmp_path):
    text = spec("service:\n  annotations: {example.com/team: db}\n  ports: [{name: tcp, port: 5432}]\n",
                head=BASE).replace("blueprint: clusterip", "blueprint: headless")
    code, out, chart = generate(tmp_path, text)
    assert code == 0, out
    svc = [d for d in docs(rendered(chart, "dev")) if d["kind"] == "Service"][0]
    assert svc["metadata"]["annotations"] == {"example.com/team": "db"}


# ---------------------------------------------------------------------------------------------- Argo Rollouts


def test_argo_rollouts_output_passes_its_own_check(tmp_path):
    code, out, chart = generate(tmp_path, spec("""\
        istio:
          enabled: true
          hosts: [web.example.com]
          canary: {controller: argo-rollouts}
        """))
    assert code == 0, out
    text = rendered(chart, "prod")
    assert [d for d in docs(text) if d["kind"] == "Rollout"]
    assert prod_problems(text) == []


# ---------------------------------------------------------------------------------------------- routes per port

PORTS = """\
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: grpc, port: 9090, targetPort: 9090, appProtocol: grpc}
    - {name: tcp-db, port: 5432, targetPort: 5432}
"""


def routing(tmp_path: Path, istio: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    code, out, chart = generate(tmp_path, spec(istio, head=BASE + PORTS))
    assert code == 0, out
    text = rendered(chart, "prod")
    assert prod_problems(text) == []
    return find(docs(text), "VirtualService")["spec"], docs(text), text


def test_in_mesh_routes_match_the_port_they_serve(tmp_path):
    vs, _, _ = routing(tmp_path, """\
        istio:
          enabled: true
          routes:
            - {name: api, match: [{uri: {prefix: /api}}], timeout: 5s}
        """)
    api, default, grpc = vs["http"]
    assert api["match"] == [{"uri": {"prefix": "/api"}, "port": 80}]
    assert default["match"] == [{"port": 80}]
    assert grpc["name"] == "port-9090" and grpc["match"] == [{"port": 9090}]
    assert [d["destination"]["port"]["number"] for r in (api, default) for d in r["route"]] == [80, 80]
    assert grpc["route"] == [{"destination": {"host": "web", "port": {"number": 9090}}}]
    assert vs["tcp"] == [{"match": [{"port": 5432}], "route": [{"destination": {"host": "web",
                                                                                "port": {"number": 5432}}}]}]


def test_gateway_calls_keep_their_routes_and_mesh_calls_match_ports(tmp_path):
    vs, _, _ = routing(tmp_path, """\
        istio:
          enabled: true
          hosts: [web.example.com]
          mesh: true
          versions:
            v1: {weight: 90}
            v2: {weight: 10}
        """)
    default, grpc = vs["http"]
    assert default["match"] == [{"gateways": ["web-gateway"]}, {"gateways": ["mesh"], "port": 80}]
    assert grpc["match"] == [{"gateways": ["mesh"], "port": 9090}]
    assert {d["destination"]["subset"]: d["weight"] for d in grpc["route"]} == {"v1": 90, "v2": 10}
    assert vs["tcp"][0]["match"] == [{"gateways": ["mesh"], "port": 5432}]


def test_a_gateway_only_virtual_service_matches_no_port(tmp_path):
    vs, _, _ = routing(tmp_path, "istio: {enabled: true, hosts: [web.example.com]}\n")
    assert [r.get("match") for r in vs["http"]] == [None] and "tcp" not in vs


def test_argo_rollouts_manages_the_routes_of_every_port(tmp_path):
    _, rendered_docs, _ = routing(tmp_path, "istio: {enabled: true, canary: {controller: argo-rollouts}}\n")
    vs = find(rendered_docs, "VirtualService")["spec"]
    istio = find(rendered_docs, "Rollout")["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]
    assert istio["virtualService"]["routes"] == [r["name"] for r in vs["http"]] == ["primary", "port-9090"]
    assert istio["virtualService"]["tcpRoutes"] == [{"port": 5432}]
    assert [d["destination"]["subset"] for d in vs["tcp"][0]["route"]] == ["stable", "canary"]


def test_http_route_sends_to_its_port_and_attaches_to_that_port_of_a_service_parent(tmp_path):
    code, out, chart = generate(tmp_path, spec("""\
        httpRoute:
          enabled: true
          parentRefs:
            - {name: public, namespace: gateway-system}
            - {group: "", kind: Service, name: web}
          port: grpc
        """, head=BASE + PORTS))
    assert code == 0, out
    text = rendered(chart, "prod")
    route = find(docs(text), "HTTPRoute")["spec"]
    assert route["rules"][0]["backendRefs"] == [{"name": "web", "port": 9090}]
    assert route["parentRefs"] == [{"name": "public", "namespace": "gateway-system"},
                                   {"group": "", "kind": "Service", "name": "web", "port": 9090}]
    assert prod_problems(text) == []


# ---------------------------------------------------------------------------------------------- what a profile causes


def test_an_error_the_prod_profile_causes_is_reported_at_its_environment(tmp_path):
    """The prod profile's minReplicas (3) over a version's own maxReplicas (2): the HPA the API server rejects was
    generated, since the environment's own text does not touch the field."""
    code, out, chart = generate(tmp_path, spec("""\
        istio:
          enabled: true
          versions:
            v1: {weight: 90}
            v2: {weight: 10, autoscaling: {maxReplicas: 2}}
        """))
    refused(code, out, chart, "environments.prod.istio.versions.v2.autoscaling.minReplicas: 3 exceeds maxReplicas "
                              "(2) (with profile 'prod')")


def test_an_error_of_the_spec_itself_is_reported_once(tmp_path):
    code, out, chart = generate(tmp_path, spec("""\
        istio:
          enabled: true
          versions:
            v1: {weight: 90}
            v2: {weight: 10, autoscaling: {minReplicas: 4, maxReplicas: 2}}
        """))
    refused(code, out, chart, ": istio.versions.v2.autoscaling.minReplicas: 4 exceeds maxReplicas (2)")
