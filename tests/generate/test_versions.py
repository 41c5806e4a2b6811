"""One versions model: Istio subsets (as before), Gateway API HTTPRoute weighted backendRefs without Istio, and each
version sized on its own (its replicas, its own HPA, or the chart's)."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from render_helpers import find, render
from support import CHARTS, helm_binary

from chartgen.core.errors import SpecErrors
from chartgen.generate.engine import generate
from chartgen.generate.writer import write
from chartgen.spec.loader import parse_spec_text

SPEC = """
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
istio:
  versions:
    v1: {weight: 80}
    v2: {weight: 20, replicas: 1, image: {tag: "1.1.0"}}
environments:
  staging:
    httpRoute:
      enabled: true
      parentRefs: [{name: public, namespace: gateway-system}]
      hostnames: [shop.staging.example.com]
  prod:
    istio:
      enabled: true
      versions:
        v3: {weight: 0, autoscaling: {enabled: true, minReplicas: 1, maxReplicas: 2}}
"""


@pytest.fixture(scope="module")
def chart(tmp_path_factory):
    root = tmp_path_factory.mktemp("charts") / "shop"
    root.mkdir()
    text = textwrap.dedent(SPEC)
    (root / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(root / "chartgen.yaml"))), root)
    return root


def test_explicit_sizes_are_in_the_values_and_effective_ones_in_notes(chart):
    helm = helm_binary("4.1.4")  # NOTES need install --dry-run=client, which helm 3 cannot do without a cluster
    from chartgen.core.merge import merge

    prod = merge(yaml.safe_load((chart / "values.yaml").read_text()),
                 yaml.safe_load((chart / "values-prod.yaml").read_text()))["istio"]["versions"]
    assert "autoscaling" not in prod["v1"]  # follows the chart's (helm --set autoscaling.* still applies)
    assert prod["v2"]["replicas"] == 1 and prod["v2"]["autoscaling"] == {"enabled": False}
    assert prod["v3"]["autoscaling"] == {"enabled": True, "minReplicas": 1, "maxReplicas": 2}
    res = helm.run("install", "shop", str(chart), "-n", "shop", "-f", str(chart / "values-prod.yaml"),
                   "--dry-run=client")
    assert res.ok, res.message
    notes = res.stdout[res.stdout.index("NOTES:"):]
    assert "shop-v1: HPA 3-10 replicas, weight 80%" in notes  # the prod profile's HPA
    assert "shop-v2: 1 replicas, weight 20%" in notes
    assert "shop-v3: HPA 1-2 replicas, weight 0%" in notes


def test_canary_with_replicas_is_not_scaled_by_the_chart_hpa(helm, chart):
    docs = render(helm, chart, "prod", "shop")
    v1, v2 = find(docs, "Deployment", "shop-v1"), find(docs, "Deployment", "shop-v2")
    assert "replicas" not in v1["spec"]  # the HPA owns it
    assert v2["spec"]["replicas"] == 1
    hpas = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    assert set(hpas) == {"shop-v1", "shop-v3"}
    assert (hpas["shop-v1"]["minReplicas"], hpas["shop-v1"]["maxReplicas"]) == (3, 10)
    assert (hpas["shop-v3"]["minReplicas"], hpas["shop-v3"]["maxReplicas"]) == (1, 2)
    dr = find(docs, "DestinationRule")
    assert [s["name"] for s in dr["spec"]["subsets"]] == ["v1", "v2", "v3"]


def test_http_route_splits_by_version_weight_without_istio(helm, chart):
    docs = render(helm, chart, "staging", "shop")
    assert not [d for d in docs if d["apiVersion"].startswith("networking.istio.io")]
    route = find(docs, "HTTPRoute")
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "shop-v1", "port": 80, "weight": 80},
                                                        {"name": "shop-v2", "port": 80, "weight": 20}]
    for version in ("v1", "v2"):
        svc = find(docs, "Service", f"shop-{version}")
        deployment = find(docs, "Deployment", f"shop-{version}")
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert svc["spec"]["selector"]["version"] == version
        assert all(pod_labels.get(k) == v for k, v in svc["spec"]["selector"].items())
        assert svc["spec"]["ports"][0]["targetPort"] == 8080
    assert find(docs, "Deployment", "shop-v2")["spec"]["template"]["spec"]["containers"][0]["image"].endswith(
        ":1.1.0")


def test_version_hpa_min_above_max_is_refused():
    text = textwrap.dedent(SPEC).replace("{weight: 0, autoscaling: {enabled: true, minReplicas: 1",
                                         "{weight: 0, autoscaling: {enabled: true, minReplicas: 5")
    with pytest.raises(SpecErrors) as info:
        parse_spec_text(text, "charts/shop/chartgen.yaml")
    assert [str(e).split(": ", 1)[1] for e in info.value.errors] == [
        "environments.prod.istio.versions.v3.autoscaling.minReplicas: 5 exceeds maxReplicas (2)"]


def test_chartgen_values_prints_the_effective_size_per_environment(chart):
    from typer.testing import CliRunner

    from chartgen.cli import app

    res = CliRunner().invoke(app, ["values", str(chart)])
    assert res.exit_code == 0, res.output
    lines = [line.strip() for line in res.output.splitlines()]
    assert "prod: shop-v1 HPA 3-10 weight 80%, shop-v2 1 replica(s) weight 20%, shop-v3 HPA 1-2 weight 0%" in lines
    assert "staging: shop-v1 2 replica(s) weight 80%, shop-v2 1 replica(s) weight 20%" in lines


def test_versions_without_istio_anywhere_split_by_http_route(helm, tmp_path):
    """A chart that never enables Istio still deploys its versions and splits them with Gateway API."""
    text = textwrap.dedent(SPEC.split("environments:")[0]) + textwrap.dedent("""
        httpRoute:
          enabled: true
          parentRefs: [{name: public}]
        """)
    assert "enabled: true\n  versions" not in text  # istio.enabled is never set
    chart = tmp_path / "shop"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(chart / "chartgen.yaml"))), chart)
    docs = render(helm, chart, "dev", "shop")
    assert sorted(d["metadata"]["name"] for d in docs if d["kind"] == "Deployment") == ["shop-v1", "shop-v2"]
    assert [(b["name"], b["weight"]) for b in find(docs, "HTTPRoute")["spec"]["rules"][0]["backendRefs"]] == [
        ("shop-v1", 80), ("shop-v2", 20)]
    assert not [d for d in docs if "istio.io" in d["apiVersion"]]


@pytest.mark.parametrize("env, namespace, expected", [
    ("prod", "checkout", {"checkout-v1": "2.4.1", "checkout-v2": "2.5.0"}),
    ("staging", "checkout-staging", {"checkout-v1": "2.4.1", "checkout-v2": "2.5.0-rc.1"}),
])
def test_a_version_s_pods_carry_its_own_app_version(helm, env, namespace, expected):
    """A version with its own image tag runs that version: its Deployment and pods say so (not the chart's
    appVersion 2.4.1, which the versions without an image keep)."""
    docs = render(helm, CHARTS / "checkout", env, namespace)
    for name, version in expected.items():
        deployment = find(docs, "Deployment", name)
        assert deployment["metadata"]["labels"]["app.kubernetes.io/version"] == version
        assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/version"] == version
