"""Istio blueprints (blueprints/istio): the seed's webapp example, per-environment splits, the canary controllers,
spec-time validation, and strict CRD validation of everything rendered, under helm 4.1.4 and 3.17.2."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.generate.engine import generate
from chartgen.generate.writer import drift
from chartgen.helm import install as helm_install
from chartgen.helm.runner import Helm, find_helm
from chartgen.spec.loader import load_spec, parse_spec_text

REPO = Path(__file__).resolve().parents[2]
WEBAPP = REPO / "generated-charts" / "webapp"
KUBE_VERSION = "1.31.0"
HELM_VERSIONS = ("4.1.4", "3.17.2")
ISTIO_KINDS = ("Gateway", "VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy")
runner = CliRunner()


@pytest.fixture(scope="module", params=HELM_VERSIONS, ids=[f"helm{v}" for v in HELM_VERSIONS])
def helm(request) -> Helm:
    path = helm_install.installed_path(request.param)
    if not path.is_file():
        pytest.fail(f"helm {request.param} is not installed at {path}; run `chartgen helm install`")
    h = find_helm(str(path))
    assert h.version == request.param
    return h


def render(helm: Helm, chart: Path, env: str, namespace: str = "production", release: str | None = None,
           set_values: list[str] | None = None) -> list[dict[str, Any]]:
    res = helm.template(chart, release or chart.name, namespace, [chart / f"values-{env}.yaml"],
                        kube_version=KUBE_VERSION, set_values=set_values)
    assert res.ok, res.message
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    hits = [d for d in of_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(hits) == 1, f"expected one {kind} {name or ''}: {[d['metadata']['name'] for d in hits]}"
    return hits[0]


def split(route: dict[str, Any]) -> dict[str, int]:
    return {d["destination"]["subset"]: d["weight"] for d in route["route"]}


def make_chart(root: Path, spec_text: str, name: str = "shop") -> Path:
    chart = root / name
    chart.mkdir(parents=True)
    (chart / "chartgen.yaml").write_text(textwrap.dedent(spec_text))
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0, res.output
    return chart


SHOP = """
    apiVersion: chartgen/v1
    name: shop
    blueprint: clusterip
    image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
    service:
      ports:
        - {name: http, port: 80, targetPort: 8080}
        - {name: grpc, port: 9090, targetPort: 9090, appProtocol: grpc}
    istio:
      enabled: true
      hosts: [shop.example.com]
      canary:
        controller: %s
    environments:
      dev: {namespace: shop-dev}
      prod: {namespace: shop}
"""

# Every feature at once: validated strictly against the CRDs below.
KITCHEN_SINK = """
    apiVersion: chartgen/v1
    name: store
    blueprint: nodeport
    image: {repository: ghcr.io/acme/store, tag: "2.0.0"}
    service:
      ports:
        - {name: http, port: 80, targetPort: 8080}
        - {name: grpc, port: 9090, targetPort: 9090, appProtocol: grpc}
    istio:
      enabled: true
      hosts: [store.example.com, "*.store.example.com"]
      mesh: false
      gateway:
        selector: {istio: public-gateway}
        http: {port: 8080, httpsRedirect: true}
        https: {port: 8443, mode: MUTUAL, credentialName: store-mtls}
      port: http
      versions:
        v1: {weight: 90}
        v2: {weight: 10, replicas: 1, image: {tag: "2.1.0"}}
      routes:
        - name: beta-users
          match:
            - headers: {x-beta: {exact: "true"}}
            - queryParams: {beta: {regex: "^(1|yes)$"}}
          weights: {v2: 100}
        - name: grpc
          match:
            - uri: {prefix: /store.v1.Store/}
          port: grpc
          retries: {attempts: 2, perTryTimeout: 500ms, retryOn: "unavailable,reset"}
          timeout: 3s
        - name: chaos
          match:
            - uri: {exact: /chaos}
          fault:
            delay: {percent: 50, fixedDelay: 2s}
            abort: {percent: 10, httpStatus: 503}
          mirror: {version: v2, percent: 25}
      defaultRoute:
        weights: {v1: 100}
        timeout: 15s
      trafficPolicy:
        loadBalancer: {simple: LEAST_REQUEST}
        connectionPool:
          tcp: {maxConnections: 100, connectTimeout: 2s}
          http: {http1MaxPendingRequests: 50, maxRequestsPerConnection: 10}
        outlierDetection: {consecutive5xxErrors: 3, interval: 10s, baseEjectionTime: 1m, maxEjectionPercent: 50}
      peerAuthentication: {mode: STRICT}
      authorizationPolicy:
        principals:
          - cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account
          - cluster.local/ns/frontend/sa/web
    environments:
      dev:
        namespace: store-dev
        istio:
          versions:
            v2: null
          routes: []
      prod: {namespace: store}
"""


@pytest.fixture(scope="module")
def charts(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("istio-charts")
    out = {
        "flagger": make_chart(root / "flagger", SHOP % "flagger"),
        "argo": make_chart(root / "argo", SHOP % "argo-rollouts"),
        "store": make_chart(root, KITCHEN_SINK, "store"),
    }
    res = runner.invoke(app, ["new", "meshy", "--image", "ghcr.io/acme/meshy:1.0.0", "--istio", "--no-input",
                              "--output", str(root)])
    assert res.exit_code == 0, res.output
    out["scaffold"] = root / "meshy"
    return out


# ----------------------------------------------------------------------------------------- the seed's example


def test_webapp_chart_is_generated_from_its_spec():
    assert drift(generate(load_spec(WEBAPP)), WEBAPP) == []


def test_webapp_prod_renders_the_seed_example(helm):
    docs = render(helm, WEBAPP, "prod", release="webapp")

    gw = one(docs, "Gateway", "webapp-gateway")
    assert gw["apiVersion"] == "networking.istio.io/v1"
    assert gw["spec"]["selector"] == {"istio": "ingressgateway"}
    http, https = gw["spec"]["servers"]
    assert http["port"] == {"number": 80, "name": "http", "protocol": "HTTP"}
    assert http["hosts"] == ["myapp.example.com"] and "tls" not in http
    assert https["port"] == {"number": 443, "name": "https", "protocol": "HTTPS"}
    assert https["tls"] == {"mode": "SIMPLE", "credentialName": "myapp-tls"}
    assert https["hosts"] == ["myapp.example.com"]

    vs = one(docs, "VirtualService", "webapp-routing")
    assert vs["apiVersion"] == "networking.istio.io/v1"
    assert vs["spec"]["hosts"] == ["myapp.example.com"] and vs["spec"]["gateways"] == ["webapp-gateway"]
    api, default = vs["spec"]["http"]
    assert api["match"] == [{"uri": {"prefix": "/api/v2"}}]
    assert split(api) == {"v1": 80, "v2": 20}
    assert "match" not in default and split(default) == {"v1": 100}
    service = one(docs, "Service", "webapp")
    assert len(service["spec"]["ports"]) > 1  # so every destination names its port
    for route in (api, default):
        for dest in route["route"]:
            assert dest["destination"]["host"] == "webapp"
            assert dest["destination"]["port"] == {"number": 80}
    assert 80 in [p["port"] for p in service["spec"]["ports"]]

    dr = one(docs, "DestinationRule", "webapp")
    assert dr["spec"]["host"] == "webapp"
    assert dr["spec"]["trafficPolicy"]["tls"] == {"mode": "ISTIO_MUTUAL"}
    subsets = {s["name"]: s["labels"] for s in dr["spec"]["subsets"]}
    assert subsets == {"v1": {"version": "v1"}, "v2": {"version": "v2"}}

    # one Deployment per version; the subsets select exactly their pods, the Service selects both
    deployments = {d["metadata"]["name"]: d for d in of_kind(docs, "Deployment")}
    assert set(deployments) == {"webapp-v1", "webapp-v2"}
    for version, dep in (("v1", deployments["webapp-v1"]), ("v2", deployments["webapp-v2"])):
        pod_labels = dep["spec"]["template"]["metadata"]["labels"]
        assert dep["spec"]["selector"]["matchLabels"]["version"] == version
        assert set(dep["spec"]["selector"]["matchLabels"].items()) <= set(pod_labels.items())
        assert set(subsets[version].items()) <= set(pod_labels.items())
        assert set(service["spec"]["selector"].items()) <= set(pod_labels.items())
    images = {n: d["spec"]["template"]["spec"]["containers"][0]["image"] for n, d in deployments.items()}
    assert images == {"webapp-v1": "ghcr.io/acme/webapp:3.2.0", "webapp-v2": "ghcr.io/acme/webapp:3.3.0"}
    # prod autoscales: one HPA per version Deployment
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(docs, "HorizontalPodAutoscaler")}
    assert hpas == {"webapp-v1", "webapp-v2"}

    pa = one(docs, "PeerAuthentication", "webapp")
    assert pa["apiVersion"] == "security.istio.io/v1" and pa["spec"]["mtls"] == {"mode": "STRICT"}
    assert of_kind(docs, "AuthorizationPolicy") == []


def test_environments_split_differently(helm):
    splits = {}
    for env, ns in (("dev", "development"), ("staging", "staging"), ("prod", "production")):
        vs = one(render(helm, WEBAPP, env, ns), "VirtualService", "webapp-routing")
        splits[env] = split(vs["spec"]["http"][0])
    assert splits == {"dev": {"v1": 50, "v2": 50}, "staging": {"v1": 20, "v2": 80}, "prod": {"v1": 80, "v2": 20}}


def test_single_port_service_needs_no_destination_port(helm):
    docs = render(helm, WEBAPP, "dev", "development")  # dev's Service has only port 80
    vs = one(docs, "VirtualService")
    assert all("port" not in d["destination"] for r in vs["spec"]["http"] for d in r["route"])


# ----------------------------------------------------------------------------------------- values at helm time


def test_hand_edited_weights_fail_at_helm_time(helm):
    res = helm.template(WEBAPP, "webapp", "production", [WEBAPP / "values-prod.yaml"], kube_version=KUBE_VERSION,
                        set_values=["istio.versions.v2.weight=30"])
    assert not res.ok and "must sum to 100" in res.message


def test_values_schema_rejects_unknown_controller(helm):
    res = helm.template(WEBAPP, "webapp", "production", [WEBAPP / "values-prod.yaml"], kube_version=KUBE_VERSION,
                        set_values=["istio.canary.controller=spinnaker"])
    assert not res.ok and "controller" in res.message


def test_values_can_turn_istio_off_per_environment(helm):
    docs = render(helm, WEBAPP, "prod", set_values=["istio.enabled=false"])
    assert not [d for d in docs if d["kind"] in ISTIO_KINDS]
    assert one(docs, "Service", "webapp")
    assert {d["metadata"]["name"] for d in of_kind(docs, "Deployment")} == {"webapp-v1", "webapp-v2"}


# ----------------------------------------------------------------------------------------- canary controllers


def test_flagger_mode_leaves_service_and_routing_to_flagger(helm, charts):
    for env in ("dev", "prod"):
        docs = render(helm, charts["flagger"], env, "shop")
        kinds = {d["kind"] for d in docs}
        assert not kinds & {"Service", "VirtualService", "DestinationRule"}, kinds
        assert one(docs, "Deployment", "shop")["spec"]["selector"]["matchLabels"].get("version") is None
        canary = one(docs, "Canary", "shop")
        assert canary["spec"]["targetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop"}
        assert canary["spec"]["service"]["port"] == 80
        assert one(docs, "Gateway", "shop-gateway")
        # Flagger renames the name label of its primary pods: policies select by instance only
        assert one(docs, "PeerAuthentication")["spec"]["selector"]["matchLabels"] == {
            "app.kubernetes.io/instance": "shop"}
    # the guard is a value, like Flagger's podinfo chart (`if not .Values.canary.enabled`)
    assert '"flagger"' in (charts["flagger"] / "templates" / "service.yaml").read_text()


def test_argo_rollouts_mode_uses_stable_and_canary_subsets(helm, charts):
    docs = render(helm, charts["argo"], "prod", "shop")
    assert of_kind(docs, "Deployment") == []
    dr = one(docs, "DestinationRule", "shop")
    assert [s["name"] for s in dr["spec"]["subsets"]] == ["stable", "canary"]
    vs = one(docs, "VirtualService", "shop-routing")
    rollout = one(docs, "Rollout", "shop")
    istio = rollout["spec"]["strategy"]["canary"]["trafficRouting"]["istio"]
    assert istio["destinationRule"] == {"name": "shop", "stableSubsetName": "stable", "canarySubsetName": "canary"}
    assert istio["virtualService"]["name"] == "shop-routing"
    names = istio["virtualService"]["routes"]
    assert names == ["primary"]
    route = next(r for r in vs["spec"]["http"] if r["name"] == names[0])
    assert [d["destination"]["subset"] for d in route["route"]] == ["stable", "canary"]
    assert sum(d["weight"] for d in route["route"]) == 100 and len(route["route"]) == 2
    hpa = one(docs, "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Rollout"


def test_scaffold_istio_enabled_is_valid(helm, charts):
    spec_text = (charts["scaffold"] / "chartgen.yaml").read_text()
    assert yaml.safe_load(spec_text)["istio"] == {"enabled": True}
    docs = render(helm, charts["scaffold"], "prod", "meshy")
    vs = one(docs, "VirtualService", "meshy-routing")
    assert vs["spec"]["hosts"] == ["meshy"] and "gateways" not in vs["spec"]  # in-mesh only: no Gateway
    assert of_kind(docs, "Gateway") == []
    assert one(docs, "DestinationRule", "meshy")["spec"]["trafficPolicy"]["tls"]["mode"] == "ISTIO_MUTUAL"
    assert one(docs, "PeerAuthentication", "meshy")["spec"]["mtls"]["mode"] == "STRICT"
    assert one(docs, "Deployment", "meshy")


def test_kitchen_sink_renders_every_feature(helm, charts):
    docs = render(helm, charts["store"], "prod", "store")
    gw = one(docs, "Gateway", "store-gateway")
    http, https = gw["spec"]["servers"]
    assert http["tls"] == {"httpsRedirect": True} and https["tls"]["mode"] == "MUTUAL"
    vs = one(docs, "VirtualService", "store-routing")
    routes = {r["name"]: r for r in vs["spec"]["http"]}
    assert list(routes) == ["beta-users", "grpc", "chaos", "default"]
    assert split(routes["beta-users"]) == {"v2": 100}
    assert routes["grpc"]["route"][0]["destination"]["port"] == {"number": 9090}
    assert routes["grpc"]["retries"] == {"attempts": 2, "perTryTimeout": "500ms", "retryOn": "unavailable,reset"}
    assert routes["chaos"]["fault"]["abort"] == {"percentage": {"value": 10}, "httpStatus": 503}
    assert routes["chaos"]["mirror"]["subset"] == "v2" and routes["chaos"]["mirrorPercentage"] == {"value": 25}
    assert split(routes["chaos"]) == {"v1": 90, "v2": 10}
    ap = one(docs, "AuthorizationPolicy", "store")
    assert ap["spec"]["action"] == "ALLOW"
    assert len(ap["spec"]["rules"][0]["from"][0]["source"]["principals"]) == 2
    # v2 sets replicas: 1, so it is sized explicitly: no HPA (the prod profile's minimum of 3 would override it)
    assert {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(docs, "HorizontalPodAutoscaler")} == {"store-v1"}
    assert one(docs, "Deployment", "store-v2")["spec"]["replicas"] == 1
    fixed = render(helm, charts["store"], "prod", "store", set_values=["autoscaling.enabled=false"])
    assert {d["metadata"]["name"]: d["spec"]["replicas"] for d in of_kind(fixed, "Deployment")} == {
        "store-v1": 3, "store-v2": 1}
    v2 = one(docs, "Deployment", "store-v2")
    assert v2["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.1.0")
    # dev drops v2 (null) and the routes: one version, one subset
    dev = render(helm, charts["store"], "dev", "store-dev")
    assert {d["metadata"]["name"] for d in of_kind(dev, "Deployment")} == {"store-v1"}
    assert [s["name"] for s in one(dev, "DestinationRule")["spec"]["subsets"]] == ["v1"]


def test_without_istio_charts_render_as_before():
    plain = textwrap.dedent(SHOP % "none").split("istio:")[0] + "environments:\n  dev: {namespace: shop-dev}\n"
    off = textwrap.dedent(SHOP % "none").replace("enabled: true", "enabled: false")
    assert dict(generate(parse_spec_text(plain, "plain.yaml"))) == dict(generate(parse_spec_text(
        off.split("environments:")[0] + "environments:\n  dev: {namespace: shop-dev}\n", "off.yaml")))
    tree = dict(generate(parse_spec_text(plain, "plain.yaml")))
    assert not any("istio" in path for path in tree) and "istio" not in tree["values.yaml"]


# ----------------------------------------------------------------------------------------- CRD validation
# Validation of the rendered Istio objects against Istio's real CRDs needs the shared/ folder (outside the repo): tests/corpus/test_istio_crds.py.


def test_rendered_istio_objects_without_crds_are_reported_as_not_schema_checked(helm):
    from chartgen.check.command import check_text
    from chartgen.check.model import CheckOptions, Severity

    docs = render(helm, WEBAPP, "prod", "production")
    istio_kinds = {d["kind"] for d in docs if d["apiVersion"].split("/")[0].endswith(".istio.io")}
    text = "\n---\n".join(yaml.safe_dump(d) for d in docs)
    found = check_text(text, "webapp.yaml", CheckOptions(kube_version="1.31"), "production")
    assert [f for f in found if f.severity == Severity.ERROR] == []
    no_schema = [f for f in found if f.rule == "CG-SCHEMA-002"]
    assert {f.resource.kind for f in no_schema} == istio_kinds and len(no_schema) == len(istio_kinds)
    assert all(f.severity == Severity.INFO for f in no_schema)


# ----------------------------------------------------------------------------------------- spec-time errors

BASE_SPEC = """
apiVersion: chartgen/v1
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: grpc, port: 9090, targetPort: 9090}
istio:
  enabled: true
  hosts: [shop.example.com]
  gateway:
    https: {credentialName: shop-tls}
  versions:
    v1: {weight: 90}
    v2: {weight: 10}
  routes:
    - name: api
      match:
        - uri: {prefix: /api}
      weights: {v1: 50, v2: 50}
environments:
  dev: {namespace: shop-dev}
  prod: {namespace: shop}
"""


@pytest.mark.parametrize(
    ("old", "new", "path", "words"),
    [
        ("weights: {v1: 50, v2: 50}", "weights: {v1: 70, v2: 20}", "istio.routes[0].weights", "sum to 100"),
        ("v2: {weight: 10}", "v2: {weight: 20}", "istio.versions", "sum to 100"),
        ("dev: {namespace: shop-dev}", "dev: {namespace: shop-dev, istio: {versions: {v1: {weight: 60}}}}",
         "environments.dev.istio.versions", "sum to 100"),
        ("weights: {v1: 50, v2: 50}", "weights: {v1: 50, v3: 50}", "istio.routes[0].weights.v3",
         "not a version this chart deploys"),
        ("weights: {v1: 50, v2: 50}", "weights: {v1: 110, v2: -10}", "istio.routes[0].weights.v2", "out of range"),
        ("v2: {weight: 10}", "v2: {weight: -10}", "istio.versions.v2.weight", "out of range"),
        ("https: {credentialName: shop-tls}", "https: {port: 443}", "istio.gateway.https.credentialName",
         "HTTPS server needs TLS"),
        ("https: {credentialName: shop-tls}", "https: {mode: MUTUAL}", "istio.gateway.https.credentialName",
         "HTTPS server needs TLS"),
        ("      weights: {v1: 50, v2: 50}", "      weights: {v1: 50, v2: 50}\n      port: admin",
         "istio.routes[0].port", "no port named 'admin'"),
        ("  hosts: [shop.example.com]", "  hosts: [shop.example.com]\n  port: 8080", "istio.port", "no port 8080"),
        ("      weights: {v1: 50, v2: 50}", "      weights: {v1: 50, v2: 50}\n      mirror: {version: v9}",
         "istio.routes[0].mirror.version", "not a version"),
        ("  hosts: [shop.example.com]", "  hosts: [shop.example.com]\n  canary: {controller: flagger}",
         "istio.versions", "Flagger"),
        ("  versions:\n    v1: {weight: 90}\n    v2: {weight: 10}\n", "  canary: {controller: argo-rollouts}\n",
         "istio.routes[0].weights.v1", "stable or canary"),
        ("blueprint: clusterip", "blueprint: headless", "istio.enabled", "does not support Istio"),
        ("  gateway:\n", "  gateway:\n    existing: shared-gateway\n", "istio.gateway.existing", "namespace/name"),
        ("      match:\n        - uri: {prefix: /api}", "      match:\n        - headers: {X-User: {exact: a}}",
         "istio.routes[0].match[0].headers.X-User", "lowercase"),
        ("  enabled: true", "  enabled: true\n  bogus: 1", "istio", "unknown field"),
        ("      match:\n        - uri: {prefix: /api}\n", "", "istio.routes[0].match", "takes all traffic"),
        ("  versions:\n    v1: {weight: 90}\n    v2: {weight: 10}\n",
         "  canary: {controller: argo-rollouts}\n  defaultRoute: {weights: {stable: 100}}\n",
         "istio.defaultRoute.weights", "Rollout"),
    ],
)
def test_spec_errors_exit_2_with_the_field_path_and_write_nothing(tmp_path, old, new, path, words):
    assert old in BASE_SPEC
    chart = tmp_path / "shop"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(BASE_SPEC.replace(old, new, 1))
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if f": {path}:" in line]
    assert lines and any(words in line for line in lines), res.output
    assert sorted(p.name for p in chart.iterdir()) == ["chartgen.yaml"]


def test_base_spec_is_valid(tmp_path):
    spec = parse_spec_text(BASE_SPEC, "chartgen.yaml")
    istio = spec.defaults.istio
    assert istio.enabled and [v.name for v in istio.versions] == ["v1", "v2"]
    assert istio.routes[0].weights == (("v1", 50), ("v2", 50)) and istio.port == 80
    schema = json.loads(dict(generate(spec))["values.schema.json"])
    assert schema["properties"]["istio"]["additionalProperties"] is False
