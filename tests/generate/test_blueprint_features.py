"""Each Service blueprint's options, generated from a spec and rendered by the real helm (4.1.4 and 3.17.2)."""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest
import yaml
from render_helpers import find
from support import CHARTS, KUBE_VERSION, chart_dirs
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.spec.loader import spec_schema

runner = CliRunner()


def make_chart(tmp_path, spec: str):
    chart = tmp_path / "svc"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(textwrap.dedent(spec))
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0, res.output
    return chart


def rendered(helm, chart, env="prod", sets=()):
    res = helm.template(chart, "svc", "ns", [chart / f"values-{env}.yaml"], kube_version=KUBE_VERSION,
                        set_values=list(sets))
    assert res.ok, res.message
    lint = helm.lint(chart, [chart / f"values-{env}.yaml"], strict=True, kube_version=KUBE_VERSION)
    assert lint.ok, lint.message
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def test_clusterip_options(helm, tmp_path):
    chart = make_chart(tmp_path, """
        name: svc
        blueprint: clusterip
        image: {repository: r/svc, tag: "1.0.0"}
        service:
          ports:
            - {name: http, port: 80, targetPort: 8080, appProtocol: http}
            - {name: grpc, port: 9090, targetPort: 9090, appProtocol: kubernetes.io/h2c}
          sessionAffinity: ClientIP
          sessionAffinityTimeoutSeconds: 600
          internalTrafficPolicy: Local
        """)
    svc = find(rendered(helm, chart), "Service")
    assert svc["spec"]["sessionAffinity"] == "ClientIP"
    assert svc["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 600}}
    assert svc["spec"]["internalTrafficPolicy"] == "Local"
    assert [(p["name"], p["appProtocol"]) for p in svc["spec"]["ports"]] == [("http", "http"),
                                                                             ("grpc", "kubernetes.io/h2c")]


def test_nodeport_allocated_or_fixed_and_custom_range(helm, tmp_path):
    chart = make_chart(tmp_path, """
        name: svc
        blueprint: nodeport
        image: {repository: r/svc, tag: "1.0.0"}
        service:
          nodePortRange: 20000-22767
          externalTrafficPolicy: Local
          ports:
            - {name: http, port: 80, targetPort: 8080, nodePort: 20080}
            - {name: admin, port: 81, targetPort: 8081}
        """)
    svc = find(rendered(helm, chart), "Service")
    assert [p.get("nodePort") for p in svc["spec"]["ports"]] == [20080, None]
    assert svc["spec"]["externalTrafficPolicy"] == "Local"
    schema = json.loads((chart / "values.schema.json").read_text())
    node_port = schema["properties"]["service"]["properties"]["ports"]["items"]["properties"]["nodePort"]
    assert (node_port["minimum"], node_port["maximum"]) == (20000, 22767)
    res = helm.template(chart, "svc", "ns", [], kube_version=KUBE_VERSION, set_values=["service.ports[1].nodePort=30000"])
    assert not res.ok and "nodePort" in res.message


@pytest.mark.parametrize(
    ("preset", "annotations"),
    [
        ("gcp-internal", {"networking.gke.io/load-balancer-type": "Internal"}),
        ("azure-internal", {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}),
        ("aws-nlb", {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                     "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                     "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp"}),
    ],
)
def test_load_balancer_presets_and_options(helm, tmp_path, preset, annotations):
    extra = "    scheme: internal\n    backendProtocol: tcp\n" if preset == "aws-nlb" else ""
    chart = make_chart(tmp_path, f"""
name: svc
blueprint: loadbalancer
image: {{repository: r/svc, tag: "1.0.0"}}
service:
  externalTrafficPolicy: Local
  ports:
    - {{name: http, port: 80, targetPort: 8080}}
  loadBalancer:
    preset: {preset}
{extra}    class: service.k8s.aws/nlb
    sourceRanges: [10.0.0.0/8, 192.168.0.0/16]
    allocateNodePorts: false
    healthCheckNodePort: 31000
""")
    svc = find(rendered(helm, chart), "Service")
    assert svc["metadata"]["annotations"] == annotations
    spec = svc["spec"]
    assert spec["loadBalancerClass"] == "service.k8s.aws/nlb"
    assert spec["loadBalancerSourceRanges"] == ["10.0.0.0/8", "192.168.0.0/16"]
    assert spec["allocateLoadBalancerNodePorts"] is False
    assert spec["healthCheckNodePort"] == 31000 and spec["externalTrafficPolicy"] == "Local"
    # the same chart as a NodePort in another environment carries none of the LoadBalancer-only fields
    docs = rendered(helm, chart, sets=["service.type=NodePort"])
    np = find(docs, "Service")
    assert "annotations" not in np["metadata"]
    assert not {"loadBalancerClass", "loadBalancerSourceRanges", "allocateLoadBalancerNodePorts",
                "healthCheckNodePort"} & set(np["spec"])


def test_load_balancer_source_ranges_must_be_cidrs_in_helm_too(helm):
    res = helm.template(CHARTS / "webapp", "webapp", "ns", [CHARTS / "webapp" / "values-prod.yaml"],
                        kube_version=KUBE_VERSION, set_values=["service.loadBalancer.sourceRanges[0]=10.0.0.0"])
    assert not res.ok and "sourceRanges" in res.message


def test_headless_options(helm, tmp_path):
    chart = make_chart(tmp_path, """
        name: svc
        blueprint: headless
        image: {repository: r/db, tag: "1.0.0"}
        service:
          clientService: true
          publishNotReadyAddresses: true
          ports:
            - {name: tcp-db, port: 5432, targetPort: 5432}
        statefulSet:
          podManagementPolicy: Parallel
          storage: {size: 5Gi, storageClassName: gp3, mountPath: /data}
        """)
    docs = rendered(helm, chart)
    headless = find(docs, "Service", "svc")
    client = find(docs, "Service", "svc-client")
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    assert client["spec"]["type"] == "ClusterIP" and client["spec"]["selector"] == headless["spec"]["selector"]
    sts = find(docs, "StatefulSet")
    assert sts["spec"]["podManagementPolicy"] == "Parallel"
    claim = sts["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["storageClassName"] == "gp3" and claim["resources"]["requests"]["storage"] == "5Gi"
    assert not [d for d in docs if d["kind"] in ("Deployment", "HorizontalPodAutoscaler")]


def test_every_type_has_probes_and_per_environment_resources(helm):
    for chart in chart_dirs():
        if chart.name == "external-postgres":
            continue
        by_env = {}
        for env in ("dev", "prod"):
            docs = rendered(helm, chart, env)
            workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
            assert workloads, chart.name
            for w in workloads:
                c = w["spec"]["template"]["spec"]["containers"][0]
                assert c.get("readinessProbe") and c.get("livenessProbe"), (chart.name, env)
                by_env[env] = c["resources"]
        assert by_env["dev"] != by_env["prod"], chart.name


@pytest.mark.parametrize("chart", chart_dirs(), ids=lambda p: p.name)
def test_committed_specs_validate_against_the_published_schema(chart):
    """What editors see through yaml-language-server: the published schema accepts every example spec."""
    data = yaml.safe_load((chart / "chartgen.yaml").read_text())
    jsonschema.Draft7Validator(spec_schema()).validate(data)
