"""Canary analysis where a controller owns the split (issue 25): Argo Rollouts' AnalysisTemplate (Prometheus success
rate and p99 latency) run by the Rollout, Flagger's metrics and webhooks - refused for the wrong controller at spec
load, rendered by real helm in the committed storefront example."""

from __future__ import annotations

import pytest
from render_helpers import find, render
from support import CHARTS, helm_binary

from chartgen.core.errors import SpecErrors
from chartgen.spec.loader import parse_spec_text

STOREFRONT = CHARTS / "storefront"
SPEC = """
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
istio:
  enabled: true
  canary:
    controller: argo-rollouts
    prometheus: http://prometheus:9090
    successRate: 99
environments:
  dev: {}
"""


@pytest.mark.parametrize(("old", "new", "path", "words"), [
    ("argo-rollouts", "flagger", "istio.canary.prometheus", "only read with controller argo-rollouts"),
    ("argo-rollouts", "none", "istio.canary.successRate", "only read by a canary controller"),
    ("    prometheus: http://prometheus:9090\n", "", "istio.canary.successRate", "istio.canary.prometheus set"),
    ("    successRate: 99", "    webhooks: [{name: a, type: rollout, url: http://t/}]", "istio.canary.webhooks",
     "only read with controller flagger"),
    ("argo-rollouts\n    prometheus: http://prometheus:9090",
     "flagger\n    webhooks: [{name: a, type: rollout, url: http://t/}, {name: a, type: event, url: http://t/}]",
     "istio.canary.webhooks[1].name", "twice"),
    ("successRate: 99", "successRate: 101", "istio.canary.successRate", ""),
    ("prometheus: http://prometheus:9090", "prometheus: prometheus:9090", "istio.canary.prometheus", ""),
])
def test_settings_no_controller_reads_are_refused(old, new, path, words):
    assert old in SPEC
    with pytest.raises(SpecErrors) as exc:
        parse_spec_text(SPEC.replace(old, new, 1), "chartgen.yaml")
    found = {str(e.path): e.message for e in exc.value.errors}
    assert path in found and words in found[path], found


@pytest.fixture(scope="module", params=("4.1.4", "3.17.2"), ids=lambda v: f"helm{v}")
def helm(request):
    return helm_binary(request.param)


def test_argo_rollout_runs_the_chart_s_analysis_template(helm):
    docs = render(helm, STOREFRONT, "staging", "storefront-staging")
    template = find(docs, "AnalysisTemplate", "storefront")["spec"]
    assert template["args"] == [{"name": "service"}]
    rate, latency = template["metrics"]
    assert rate["name"] == "success-rate" and rate["successCondition"] == "len(result) == 0 || result[0] >= 0.995"
    assert latency["successCondition"] == "len(result) == 0 || result[0] <= 300"
    assert rate["failureLimit"] == 2 and rate["interval"] == "2m"
    prometheus = rate["provider"]["prometheus"]
    assert prometheus["address"] == "http://prometheus-operated.monitoring:9090"
    assert 'destination_service=~"{{args.service}}"' in prometheus["query"]  # for Argo, not substituted by helm
    canary = find(docs, "Rollout", "storefront")["spec"]["strategy"]["canary"]
    assert canary["analysis"] == {
        "templates": [{"templateName": "storefront"}], "startingStep": 1,
        "args": [{"name": "service", "value": "storefront.storefront-staging.svc.cluster.local"}]}


def test_flagger_canary_carries_the_thresholds_and_webhooks(helm):
    docs = render(helm, STOREFRONT, "prod", "storefront")
    analysis = find(docs, "Canary", "storefront")["spec"]["analysis"]
    assert {m["name"]: m["thresholdRange"] for m in analysis["metrics"]} == {
        "request-success-rate": {"min": 99.9}, "request-duration": {"max": 500}}
    assert [(w["name"], w["type"]) for w in analysis["webhooks"]] == [
        ("load-test", "rollout"), ("promotion-gate", "confirm-promotion")]
    assert analysis["webhooks"][0]["metadata"]["cmd"].startswith("hey ")
    assert not [d for d in docs if d["kind"] == "AnalysisTemplate"]


def test_without_prometheus_argo_renders_no_analysis(helm, tmp_path):
    from typer.testing import CliRunner

    from chartgen.cli import app

    chart = tmp_path / "shop"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(SPEC.replace("    prometheus: http://prometheus:9090\n    successRate: 99\n",
                                                      ""))
    assert CliRunner().invoke(app, ["generate", str(chart)]).exit_code == 0
    docs = render(helm, chart, "dev", "shop-dev")
    assert "analysis" not in find(docs, "Rollout")["spec"]["strategy"]["canary"]
    assert not [d for d in docs if d["kind"] == "AnalysisTemplate"]
