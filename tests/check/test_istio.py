"""Layer "istio": cross-object Istio rules (istioctl analyze codes) on a small consistent set and mutations of it."""

from __future__ import annotations

import copy

import pytest

try:
    from helpers import (docs_from_yaml, errors, index_from_files, index_from_objects, clean_sets, run_rules)
except ImportError:  # tests/ made a package
    from tests.check.helpers import (docs_from_yaml, errors, index_from_files, index_from_objects, clean_sets,
                                     run_rules)

import chartgen.check.rules
from chartgen.check.mesh import hosts_overlap, parse_host
from chartgen.check.model import Severity

chartgen.check.rules.load()  # registers the rules

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

BASE_YAML = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v1, namespace: demo}
spec:
  selector: {matchLabels: {app: web, version: v1}}
  template:
    metadata: {labels: {app: web, version: v1}}
    spec:
      containers: [{name: app, image: web:1, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v2, namespace: demo}
spec:
  selector: {matchLabels: {app: web, version: v2}}
  template:
    metadata: {labels: {app: web, version: v2}}
    spec:
      containers: [{name: app, image: web:2, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: demo}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [example.com]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: demo}
spec:
  hosts: [example.com]
  gateways: [gw]
  http:
  - route:
    - destination: {host: web, subset: v1, port: {number: 80}}
      weight: 80
    - destination: {host: web, subset: v2, port: {number: 80}}
      weight: 20
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: demo}
spec:
  host: web
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
"""


def base() -> dict[str, dict]:
    return {f"{d.kind}/{d.name}": copy.deepcopy(d.obj) for d in docs_from_yaml(BASE_YAML)}


def check(rule_id, objs) -> list[Severity]:
    return [f.severity for f in run_rules(index_from_objects(*objs.values()), ids=(rule_id,))]


def vs(objs):
    return objs["VirtualService/web"]["spec"]


def route(objs, i=0):
    return vs(objs)["http"][0]["route"][i]["destination"]


def add(objs, text):
    for d in docs_from_yaml(text):
        objs[f"{d.kind}/{d.name}/extra{len(objs)}"] = d.obj
    return objs


def test_base_set_is_clean():
    found = run_rules(index_from_objects(*base().values()), layers=("istio",))
    assert found == []


# ------------------------------------------------------------------------------------------- host parsing helpers


@pytest.mark.parametrize("host,ns,form,name,namespace", [
    ("reviews", "demo", "short", "reviews", "demo"),
    ("reviews", None, "short", "reviews", None),
    ("reviews.prod", "demo", "name.ns", "reviews", "prod"),
    ("reviews.prod.svc", "demo", "svc", "reviews", "prod"),
    ("reviews.prod.svc.cluster.local", "demo", "fqdn", "reviews", "prod"),
    ("api.example.com", "demo", "external", None, None),
    ("*.example.com", "demo", "wildcard", None, None),
    ("10.0.0.1", "demo", "ip", None, None),
])
def test_parse_host(host, ns, form, name, namespace):
    h = parse_host(host, ns)
    assert (h.form, h.name, h.namespace) == (form, name, namespace)


@pytest.mark.parametrize("a,b,overlap", [
    ("*", "anything.io", True),
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "*.b.example.com", True),
    ("a.example.com", "b.example.com", False),
    ("example.com", "example.com", True),
])
def test_hosts_overlap(a, b, overlap):
    assert hosts_overlap(a, b) is overlap and hosts_overlap(b, a) is overlap


# ------------------------------------------------------------------------------------------- CG-ISTIO-001


@pytest.mark.parametrize("gateways,expected", [
    (["missing"], [E]),
    (["demo/missing"], [E]),  # explicit, but the chart's own namespace
    (["istio-system/ingressgateway"], [W]),  # shared gateway elsewhere
    (["gw", "mesh"], []),
    (["demo/gw"], []),
])
def test_vs_gateway_missing(gateways, expected):
    objs = base()
    vs(objs)["gateways"] = gateways
    assert check("CG-ISTIO-001", objs) == expected


def test_vs_gateway_missing_in_route_match():
    objs = base()
    vs(objs)["http"][0]["match"] = [{"gateways": ["nope"]}]
    assert check("CG-ISTIO-001", objs) == [E]


# ------------------------------------------------------------------------------------------- CG-ISTIO-002

SE = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: demo}
spec:
  hosts: ["*.googleapis.com"]
  ports: [{number: 443, name: https, protocol: TLS}]
  resolution: DNS
"""


@pytest.mark.parametrize("host,extra,expected", [
    ("api", None, [E]),  # short name, not rendered
    ("api.demo.svc.cluster.local", None, [E]),  # the chart's namespace
    ("api.other.svc.cluster.local", None, [W]),  # another namespace
    ("httpbin.org", None, [I]),  # outside the cluster, no ServiceEntry
    ("web.demo", None, [W]),  # Istio does not expand name.ns
    ("web.demo.svc", None, [W]),
    ("web", None, []),
    ("web.demo.svc.cluster.local", None, []),
    ("storage.googleapis.com", SE, []),
])
def test_vs_destination_host(host, extra, expected):
    objs = base()
    if extra:
        add(objs, extra)
    for i in (0, 1):
        route(objs, i)["host"] = host
    vs(objs)["http"][0]["route"] = vs(objs)["http"][0]["route"][:1]
    assert check("CG-ISTIO-002", objs) == expected


def test_vs_mirror_host_missing():
    objs = base()
    vs(objs)["http"][0]["mirror"] = {"host": "shadow"}
    found = run_rules(index_from_objects(*objs.values()), ids=("CG-ISTIO-002",))
    assert [f.severity for f in found] == [E] and "mirror host" in found[0].message
    assert found[0].field == "spec.http[0].mirror.host"


# ------------------------------------------------------------------------------------------- CG-ISTIO-003


def test_vs_subset_undefined():
    objs = base()
    route(objs, 1)["subset"] = "v3"
    assert check("CG-ISTIO-003", objs) == [E]


def test_vs_subset_without_destination_rule():
    # The input renders no DestinationRule at all: the one with the subsets may live in another file, so the
    # finding is a warning that says so (it was an error, a false one when the rules are applied separately).
    objs = base()
    dr = objs.pop("DestinationRule/web")
    assert check("CG-ISTIO-003", objs) == [W, W]
    # The input does render DestinationRules in the namespace, none for this host: certain.
    dr = {**dr, "metadata": {**dr["metadata"], "name": "other"}, "spec": {**dr["spec"], "host": "other"}}
    objs["DestinationRule/other"] = dr
    assert check("CG-ISTIO-003", objs) == [E, E]


def test_vs_subset_of_foreign_host_without_dr_is_warning():
    objs = base()
    route(objs, 0)["host"] = "api.other.svc.cluster.local"
    del route(objs, 0)["port"]
    assert check("CG-ISTIO-003", objs) == [W]


def test_vs_subset_defined():
    assert check("CG-ISTIO-003", base()) == []


# ------------------------------------------------------------------------------------------- CG-ISTIO-004/005


def test_port_selector_required_for_multi_port_service():
    objs = base()
    objs["Service/web"]["spec"]["ports"].append({"name": "grpc", "port": 9090, "targetPort": 9090})
    assert check("CG-ISTIO-004", objs) == []  # routes set the port
    for i in (0, 1):
        del route(objs, i)["port"]
    assert check("CG-ISTIO-004", objs) == [E, E]


def test_single_port_service_needs_no_port():
    objs = base()
    for i in (0, 1):
        del route(objs, i)["port"]
    assert check("CG-ISTIO-004", objs) == []


def test_destination_port_not_on_service():
    objs = base()
    route(objs, 0)["port"] = {"number": 8080}
    found = run_rules(index_from_objects(*objs.values()), ids=("CG-ISTIO-005",))
    assert [f.severity for f in found] == [E]
    assert found[0].field == "spec.http[0].route[0].destination.port.number"
    assert check("CG-ISTIO-005", base()) == []


# ------------------------------------------------------------------------------------------- CG-ISTIO-006


@pytest.mark.parametrize("gw_hosts,vs_hosts,expected", [
    (["example.com"], ["other.com"], [E]),
    (["*.example.com"], ["example.com"], [E]),
    (["other/example.com"], ["example.com"], [E]),  # exported to another namespace only
    (["*.example.com"], ["shop.example.com"], []),
    (["*"], ["anything.io"], []),
    (["./example.com"], ["example.com"], []),
    (["*/example.com"], ["example.com"], []),
])
def test_vs_host_in_gateway(gw_hosts, vs_hosts, expected):
    objs = base()
    objs["Gateway/gw"]["spec"]["servers"][0]["hosts"] = gw_hosts
    vs(objs)["hosts"] = vs_hosts
    assert check("CG-ISTIO-006", objs) == expected


# ------------------------------------------------------------------------------------------- CG-ISTIO-007/008


@pytest.mark.parametrize("weights,rule_id,expected", [
    ((-10, 110), "CG-ISTIO-007", [E]),
    ((0, 0), "CG-ISTIO-007", [E]),
    ((None, None), "CG-ISTIO-007", [E]),  # omitted weights are 0
    ((100, 0), "CG-ISTIO-007", []),
    ((80, 20), "CG-ISTIO-007", []),
    ((50, 30), "CG-ISTIO-008", [I]),  # relative weights: allowed, but flagged
    ((1, 1), "CG-ISTIO-008", [I]),
    ((80, 20), "CG-ISTIO-008", []),
])
def test_weights(weights, rule_id, expected):
    objs = base()
    for i, w in enumerate(weights):
        r = vs(objs)["http"][0]["route"][i]
        if w is None:
            r.pop("weight", None)
        else:
            r["weight"] = w
    assert check(rule_id, objs) == expected


def test_single_destination_needs_no_weight():
    objs = base()
    vs(objs)["http"][0]["route"] = [{"destination": {"host": "web", "port": {"number": 80}}}]
    assert check("CG-ISTIO-007", objs) == [] and check("CG-ISTIO-008", objs) == []


# ------------------------------------------------------------------------------------------- CG-ISTIO-009


@pytest.mark.parametrize("mutate,expected", [
    (lambda r: r.pop("route"), [E]),
    (lambda r: r.update(redirect={"uri": "/x"}), [E]),
    (lambda r: r.update(directResponse={"status": 503}), [E]),
    (lambda r: (r.pop("route"), r.update(redirect={"uri": "/x"})), []),
    (lambda r: (r.pop("route"), r.update(directResponse={"status": 404})), []),
    (lambda r: None, []),
])
def test_http_route_action(mutate, expected):
    objs = base()
    mutate(vs(objs)["http"][0])
    assert check("CG-ISTIO-009", objs) == expected


# ------------------------------------------------------------------------------------------- CG-ISTIO-010..012


@pytest.mark.parametrize("host,expected", [
    ("api", [W]),
    ("api.demo.svc.cluster.local", [W]),
    ("api.other.svc.cluster.local", []),  # another namespace: not judged
    ("httpbin.org", [W]),  # external host without a ServiceEntry
    ("web", []),
    ("*.demo.svc.cluster.local", []),
    ("webb", [E]),  # a near-miss of the rendered Service web: a typo, the policy silently applies to nothing
    ("wbe.demo.svc.cluster.local", [W]),  # not close enough to call it a typo
    ("webb.other.svc.cluster.local", []),  # another namespace: not judged
])
def test_dr_host(host, expected):
    objs = base()
    objs["DestinationRule/web"]["spec"]["host"] = host
    assert check("CG-ISTIO-010", objs) == expected


def test_dr_subset_selects_no_pods():
    objs = base()
    objs["DestinationRule/web"]["spec"]["subsets"].append({"name": "v9", "labels": {"version": "v9"}})
    found = run_rules(index_from_objects(*objs.values()), ids=("CG-ISTIO-011",))
    assert [f.severity for f in found] == [W] and "IST0173" in found[0].message
    assert check("CG-ISTIO-011", base()) == []


def test_dr_duplicate_subset():
    objs = base()
    objs["DestinationRule/web"]["spec"]["subsets"].append({"name": "v1", "labels": {"version": "v2"}})
    assert check("CG-ISTIO-012", objs) == [E]
    assert check("CG-ISTIO-012", base()) == []


# ------------------------------------------------------------------------------------------- CG-ISTIO-013


@pytest.mark.parametrize("port,expected", [
    ({"name": "web", "port": 80}, [I]),
    ({"port": 80}, [I]),
    ({"name": "http-web", "port": 80}, []),
    ({"name": "tcp-postgresql", "port": 5432}, []),
    ({"name": "grpc-web", "port": 80}, []),
    ({"name": "web", "port": 80, "appProtocol": "http"}, []),
])
def test_port_naming(port, expected):
    objs = base()
    objs["Service/web"]["spec"]["ports"] = [dict(port, targetPort="http")]
    assert check("CG-ISTIO-013", objs) == expected


def test_port_naming_only_for_istio_charts():
    objs = {k: v for k, v in base().items() if not k.split("/")[0] in ("Gateway", "VirtualService", "DestinationRule")}
    objs["Service/web"]["spec"]["ports"][0]["name"] = "web"
    assert check("CG-ISTIO-013", objs) == []


# ------------------------------------------------------------------------------------------- CG-ISTIO-014

GW2 = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw2, namespace: demo}
spec:
  selector: %s
  servers:
  - port: {number: %d, name: http, protocol: HTTP}
    hosts: [%s]
"""


@pytest.mark.parametrize("selector,port,hosts,expected", [
    ("{istio: ingressgateway}", 80, "example.com", [E]),
    ("{istio: ingressgateway}", 80, "'*'", [E]),
    ("{istio: ingressgateway}", 80, "other.com", []),
    ("{istio: ingressgateway}", 8080, "example.com", []),
    ("{istio: internal}", 80, "example.com", []),
])
def test_conflicting_gateways(selector, port, hosts, expected):
    objs = add(base(), GW2 % (selector, port, hosts))
    assert check("CG-ISTIO-014", objs) == expected


# ------------------------------------------------------------------------------------------- CG-ISTIO-015

MESH_VS = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: %s, namespace: demo}
spec:
  hosts: [%s]
  %s
  http:
  - route: [{destination: {host: web}}]
"""


@pytest.mark.parametrize("second_host,second_gw,expected", [
    ("web", "", [E]),
    ("web.demo.svc.cluster.local", "gateways: [mesh]", [E]),
    ("web", "gateways: [gw]", []),  # bound to a gateway only
    ("api", "", []),
])
def test_conflicting_mesh_virtualservices(second_host, second_gw, expected):
    objs = add(base(), MESH_VS % ("a", "web", ""))
    objs = add(objs, MESH_VS % ("b", second_host, second_gw))
    assert check("CG-ISTIO-015", objs) == expected


# ------------------------------------------------------------------------------------------- CG-ISTIO-016/017


@pytest.mark.parametrize("protocol,tls,expected", [
    ("HTTPS", None, [E]),
    ("TLS", None, [E]),
    ("HTTP", {"mode": "SIMPLE", "credentialName": "cert"}, [E]),
    ("HTTPS", {"mode": "SIMPLE"}, [E]),
    ("HTTPS", {"mode": "MUTUAL", "serverCertificate": "/c", "privateKey": "/k"}, [E]),  # no CA
    ("HTTPS", {"mode": "ISTIO_MUTUAL", "credentialName": "cert"}, [E]),
    ("HTTP", {"httpsRedirect": True}, []),
    ("HTTPS", {"mode": "SIMPLE", "credentialName": "cert"}, []),
    ("HTTPS", {"mode": "MUTUAL", "credentialName": "cert"}, []),
    ("TLS", {"mode": "PASSTHROUGH"}, []),
    ("HTTP", None, []),
])
def test_gateway_tls(protocol, tls, expected):
    objs = base()
    server = objs["Gateway/gw"]["spec"]["servers"][0]
    server["port"]["protocol"] = protocol
    if tls is not None:
        server["tls"] = tls
    assert check("CG-ISTIO-016", objs) == expected


def test_gateway_port_names_unique():
    objs = base()
    servers = objs["Gateway/gw"]["spec"]["servers"]
    servers.append({"port": {"number": 443, "name": "http", "protocol": "HTTPS"}, "hosts": ["example.com"],
                    "tls": {"mode": "SIMPLE", "credentialName": "cert"}})
    assert check("CG-ISTIO-017", objs) == [E]
    servers[1]["port"]["name"] = "https"
    assert check("CG-ISTIO-017", objs) == []


@pytest.mark.parametrize("mutate,expected", [
    (lambda s: s.update(servers=[]), [E]),
    (lambda s: s["servers"][0].update(hosts=[]), [E]),
    (lambda s: s["servers"][0]["port"].update(number=70000), [E]),
])
def test_gateway_validation(mutate, expected):
    objs = base()
    mutate(objs["Gateway/gw"]["spec"])
    assert check("CG-ISTIO-017", objs) == expected


# ------------------------------------------------------------------------------------------- CG-ISTIO-018/019


@pytest.mark.parametrize("spec,expected", [
    ({"action": "DENY"}, [E]),
    ({"action": "CUSTOM", "provider": {"name": "ext-authz"}}, [E]),  # no rules
    ({"action": "CUSTOM", "rules": [{}]}, [E]),  # no provider
    ({"action": "ALLOW", "provider": {"name": "x"}, "rules": [{}]}, [E]),
    ({"action": "DENY", "rules": [{"from": [{"source": {"notNamespaces": ["demo"]}}]}]}, []),
    ({}, []),  # ALLOW nothing = deny all: a valid idiom
    ({"action": "CUSTOM", "provider": {"name": "ext-authz"}, "rules": [{"to": [{"operation": {"paths": ["/a"]}}]}]},
     []),
])
def test_authorization_policy(spec, expected):
    objs = {"ap": {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                   "metadata": {"name": "ap"}, "spec": spec}}
    assert check("CG-ISTIO-018", objs) == expected


@pytest.mark.parametrize("spec,expected", [
    ({"portLevelMtls": {"8080": {"mode": "DISABLE"}}}, [E]),
    ({"selector": {"matchLabels": {}}, "portLevelMtls": {"8080": {"mode": "DISABLE"}}}, [E]),
    ({"selector": {"matchLabels": {"app": "web"}}, "portLevelMtls": {"8080": {"mode": "DISABLE"}}}, []),
    ({"mtls": {"mode": "STRICT"}}, []),
])
def test_peer_authentication(spec, expected):
    objs = {"pa": {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                   "metadata": {"name": "pa"}, "spec": spec}}
    assert check("CG-ISTIO-019", objs) == expected


# ------------------------------------------------------------------------------------------- CG-ISTIO-020


@pytest.mark.parametrize("mutate,expected", [
    (lambda s: s.pop("http"), [E]),
    (lambda s: s.update(hosts=["example.com", "example.com"]), [E]),
    (lambda s: (s.update(hosts=["*"]), s.pop("gateways")), [E]),
    (lambda s: s["http"][0]["route"][0]["destination"].update(host="*"), [E]),
    (lambda s: s["http"][0]["route"][0]["destination"].update(port={"number": 70000}), [E]),
    (lambda s: s["http"][0]["route"][0]["destination"].update(subset="V1"), [E]),
    (lambda s: s["http"][0].update(mirror={"host": "web"}, mirrorPercentage={"value": 150.0}), [E]),
    (lambda s: s.update(tcp=[{"match": [{"port": 5432}]}]), [E]),
    (lambda s: s.update(hosts=["*"]), []),  # `*` is fine on a gateway
    (lambda s: None, []),
])
def test_vs_validation(mutate, expected):
    objs = base()
    mutate(vs(objs))
    assert check("CG-ISTIO-020", objs) == expected


# ------------------------------------------------------------------------------------------- corpus


@pytest.mark.parametrize("name", sorted(clean_sets()))
def test_clean_corpus_has_no_istio_errors(name):
    found = run_rules(index_from_files(*clean_sets()[name]), layers=("istio",))
    assert errors(found) == []


def test_mesh_app_has_no_istio_finding_at_all():
    found = run_rules(index_from_files(*clean_sets()["mesh-teashop"]), layers=("istio",))
    assert found == []
