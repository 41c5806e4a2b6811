"""chartgen graph: the traffic model built from a hand-written rendering, its Mermaid and HTML drawings, the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import CHARTS, helm_binary
from typer.testing import CliRunner

from chartgen.check.loader import load_paths
from chartgen.check.model import ManifestIndex
from chartgen.cli import app
from chartgen.graph.build import build_graph
from chartgen.graph.mermaid import to_mermaid
from chartgen.graph.model import NodeKind, TrafficGraph
from chartgen.graph.svg import to_html

FIXTURE = Path(__file__).parents[1] / "fixtures" / "graph" / "shop.yaml"
runner = CliRunner()

# Written by hand from tests/fixtures/graph/shop.yaml (source title, target title, label).
EXPECTED_EDGES = {
    # Istio: the Gateway's two VirtualService rules; the canary split by subsets; an external host
    ("Gateway shop-gw", "shop http[0] api", ""),
    ("Gateway shop-gw", "shop http[1]", ""),
    ("shop http[0] api", "Service api", "90% subset v1 :80"),
    ("shop http[0] api", "Service api", "10% subset v2 :80"),
    ("Service api", "subset v1 of api", ""),
    ("Service api", "subset v2 of api", ""),
    ("subset v1 of api", "Deployment api-v1", ""),
    ("subset v2 of api", "Deployment api-v2", ""),
    ("shop http[1]", "host payments.stripe.com", "100%"),
    # Gateway API: weights 3:1 are shares of the rule's traffic; api reached without a subset -> all its pods
    ("Gateway public", "HTTPRoute web rule[0]", "http"),
    ("HTTPRoute web rule[0]", "Service web", "75% :80"),
    ("HTTPRoute web rule[0]", "Service api", "25% :80"),
    ("Service web", "Deployment web", ""),
    ("Service api", "Deployment api-v1", ""),
    ("Service api", "Deployment api-v2", ""),
    # Ingress
    ("Ingress admin", "Ingress admin admin.example.com/ (Prefix)", ""),
    ("Ingress admin admin.example.com/ (Prefix)", "Service admin", ":8080"),
    ("Service admin", "Deployment admin", ""),
}


@pytest.fixture(scope="module")
def graph() -> TrafficGraph:
    return build_graph(ManifestIndex(load_paths([str(FIXTURE)])))


def test_edges_follow_the_routing(graph: TrafficGraph) -> None:
    assert graph.titled_edges() == EXPECTED_EDGES


def test_nodes_carry_matches_retries_timeouts_and_policies(graph: TrafficGraph) -> None:
    rule = graph.node("shop http[0] api")
    assert rule.kind is NodeKind.ROUTE
    assert rule.details == ("hosts: shop.example.com", "match uri prefix /api, method exact POST", "timeout 3s",
                            "retries 2 x 1s")
    assert graph.node("HTTPRoute web rule[0]").details == (
        "hosts: www.example.com", "match path PathPrefix /, header x-beta Exact 1", "timeout request 5s")
    assert graph.node("Gateway shop-gw").details == ("HTTPS :443 shop.example.com (TLS SIMPLE, min TLSV1_3)",)
    assert graph.node("Service api").policies == ("DestinationRule api: TLS ISTIO_MUTUAL",
                                                  "DestinationRule api: load balancing consistentHash httpHeaderName")
    # the namespace-wide PeerAuthentication reaches every workload; the others only the pods they select
    assert graph.node("Deployment api-v2").policies == ("mTLS STRICT (PeerAuthentication strict)",
                                                        "AuthorizationPolicy api-deny: DENY, 1 rule(s)")
    assert graph.node("Deployment admin").policies == (
        "mTLS STRICT (PeerAuthentication strict)",
        "NetworkPolicy admin-only: Ingress/Egress, 1 ingress rule(s), 0 egress rule(s)")
    assert graph.node("Deployment web").policies == ("mTLS STRICT (PeerAuthentication strict)",)


def _mermaid_edges(text: str) -> set[tuple[str, str, str]]:
    """Edges as a Mermaid reader sees them: node ids mapped back to the bold first line of their labels."""
    titles = dict(re.findall(r'^  (n\d+)\["<b>(.*?)</b>', text, re.M))
    edges = re.findall(r'^  (n\d+) -->(?:\|"(.*?)"\|)? (n\d+)$', text, re.M)
    return {(titles[a], titles[b], label) for a, label, b in edges}


def test_mermaid_draws_every_edge_of_the_model(graph: TrafficGraph) -> None:
    text = to_mermaid(graph)
    assert text.startswith("flowchart LR\n")
    assert _mermaid_edges(text) == EXPECTED_EDGES


def test_mermaid_escapes_what_would_end_a_label() -> None:
    docs = load_paths([str(FIXTURE)])
    text = to_mermaid(build_graph(ManifestIndex(docs)))
    for line in text.splitlines()[1:]:
        if '["' in line:  # a node: exactly one quoted label, nothing after it but its class
            assert re.fullmatch(r'  n\d+\["[^"]*"\]:::\w+', line), line


def test_html_is_one_self_contained_page(graph: TrafficGraph) -> None:
    html = to_html(graph, "Traffic of shop: prod")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.count('<g class="node ') == len(graph.nodes)
    assert html.count('<path class="edge"') == len(graph.edges)


def test_cli_reads_rendered_manifests_from_stdin() -> None:
    result = runner.invoke(app, ["graph", "-"], input=FIXTURE.read_text())
    assert result.exit_code == 0, result.output
    assert _mermaid_edges(result.stdout) == EXPECTED_EDGES


def test_cli_writes_html(tmp_path: Path) -> None:
    out = tmp_path / "graph.html"
    result = runner.invoke(app, ["graph", str(FIXTURE), "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Deployment api-v1" in out.read_text()


@pytest.mark.parametrize("args, message", [
    (["graph", "-"], "no Kubernetes object to draw"),
    (["graph", str(FIXTURE), "--env", "prod"], "only a chart folder"),
    (["graph", str(CHARTS / "checkout")], "--env: a chart is drawn per environment; allowed: dev, staging, prod"),
    (["graph", str(FIXTURE), "--format", "png"], "--format: 'png' is not allowed"),
    (["graph", "missing.yaml"], "missing.yaml: no such file or directory"),
])
def test_bad_input_is_one_line_exit_2(args: list[str], message: str) -> None:
    result = runner.invoke(app, args, input="")
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_checkout_prod_is_drawn_from_its_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTGEN_HELM", str(helm_binary("4.1.4").path))
    result = runner.invoke(app, ["graph", str(CHARTS / "checkout"), "--env", "prod"])
    assert result.exit_code == 0, result.output
    edges = _mermaid_edges(result.stdout)
    assert ("checkout-routing http[0] default", "Service checkout", "90% subset v1 :80") in edges
    assert ("subset v2 of checkout", "Deployment checkout-v2", "") in edges


def _mermaid_blocks(readme: str) -> dict[str, str]:
    """### <env> heading -> the ```mermaid block under it."""
    return dict(re.findall(r"^### (\S+)\n\n```mermaid\n(.*?)```\n", readme, re.M | re.S))


@pytest.mark.parametrize("chart", sorted(p.name for p in CHARTS.iterdir() if (p / "chartgen.yaml").is_file()))
def test_example_readmes_carry_a_picture_per_environment(chart: str) -> None:
    from chartgen.spec.loader import load_spec

    envs = [e.name for e in load_spec(CHARTS / chart).environments]
    blocks = _mermaid_blocks((CHARTS / chart / "README.md").read_text())
    assert list(blocks) == envs
    assert all(b.startswith("flowchart LR\n") for b in blocks.values())


def test_readme_picture_is_what_graph_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTGEN_HELM", str(helm_binary("3.17.2").path))  # the other helm draws the same
    drawn = runner.invoke(app, ["graph", str(CHARTS / "checkout"), "--env", "prod"]).stdout
    assert _mermaid_blocks((CHARTS / "checkout" / "README.md").read_text())["prod"] == drawn


def test_without_the_setting_generate_renders_no_picture_and_needs_no_helm(monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:
    import chartgen.helm.runner
    from chartgen.generate.engine import generate
    from chartgen.spec.loader import load_spec

    def no_helm(*_: object) -> None:
        raise AssertionError("helm was looked for")

    monkeypatch.setattr(chartgen.helm.runner, "find_helm", no_helm)
    spec_text = (CHARTS / "checkout" / "chartgen.yaml").read_text()
    spec_text = spec_text.replace("  trafficGraph: true", "  trafficGraph: false")
    (tmp_path / "chartgen.yaml").write_text(spec_text)
    readme = generate(load_spec(tmp_path))["README.md"]
    assert "## Traffic" not in readme and "```mermaid" not in readme and "chartgen:traffic-graph" not in readme
