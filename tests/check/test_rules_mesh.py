"""CG-MESH-*: Istio semantics (istioctl analyze codes that need no cluster) and mesh consistency."""

from __future__ import annotations

import pytest

try:
    from recall_docs import deployment, docs, service
except ImportError:  # tests/ made a package
    from tests.check.recall_docs import deployment, docs, service

from chartgen.check.model import Severity
from chartgen.check.rules.istio_mesh import duration_seconds, regex_error

APP = (deployment(labels="app: web, version: v1"), service())


def vs(http: str, api: str = "networking.istio.io/v1", gateways: str = "[mesh]") -> str:
    return f"""\
apiVersion: {api}
kind: VirtualService
metadata: {{name: web, namespace: shop}}
spec:
  hosts: [web]
  gateways: {gateways}
  http:
{http}
"""


ARGO_SUBSETS = "[{name: stable, labels: {app: web}}, {name: canary, labels: {app: web}}]"


def rollout(destination_rule: str) -> str:
    """An Argo Rollout splitting traffic by the stable/canary subsets of `destination_rule`."""
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: nginx:1.27}}]
  strategy:
    canary:
      trafficRouting:
        istio:
          virtualService: {{name: web}}
          destinationRule: {{name: {destination_rule}, stableSubsetName: stable, canarySubsetName: canary}}
"""


def dr(traffic: str = "", subsets: str = "[{name: v1, labels: {version: v1}}]", host: str = "web") -> str:
    return f"""\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: web, namespace: shop}}
spec:
  host: {host}
  trafficPolicy: {traffic or "{}"}
  subsets: {subsets}
"""


def pa(mode: str, selector: str = "selector: {matchLabels: {app: web}}") -> str:
    return f"""\
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {{name: web, namespace: shop}}
spec:
  {selector}
  mtls: {{mode: {mode}}}
"""


def authz(labels: str = "app: web", ports: str = "['8080']") -> str:
    return f"""\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{matchLabels: {{{labels}}}}}
  rules: [{{to: [{{operation: {{ports: {ports}}}}}]}}]
"""


ROUTE = "    route: [{destination: {host: web}}]"
SIDECAR = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {{name: default, namespace: shop}}
spec:
  egress: [{{hosts: {hosts}}}]
"""
NO_SIDECAR = "annotations: {sidecar.istio.io/inject: 'false'}"

CASES = {
    "regex with a backreference": (
        "CG-MESH-001", Severity.ERROR,
        vs(f"  - match: [{{headers: {{x-id: {{regex: '(a)\\1'}}}}}}]\n{ROUTE}"),
        vs(f"  - match: [{{headers: {{x-id: {{regex: '^[a-f0-9]{{32}}$'}}}}}}]\n{ROUTE}")),
    "route after a catch-all": (
        "CG-MESH-002", Severity.WARNING,
        vs(f"  - route: [{{destination: {{host: web}}}}]\n  - match: [{{uri: {{prefix: /api}}}}]\n{ROUTE}"),
        vs(f"  - match: [{{uri: {{prefix: /api}}}}]\n{ROUTE}\n  - route: [{{destination: {{host: web}}}}]")),
    "rule repeating an earlier match": (
        "CG-MESH-002", Severity.WARNING,
        vs(f"  - match: [{{uri: {{prefix: /a}}}}]\n{ROUTE}\n  - match: [{{uri: {{prefix: /a}}}}]\n{ROUTE}\n"
           "  - route: [{destination: {host: web}}]"),
        vs(f"  - match: [{{uri: {{prefix: /a}}}}]\n{ROUTE}\n  - match: [{{uri: {{exact: /a}}}}]\n{ROUTE}\n"
           "  - route: [{destination: {host: web}}]")),
    "one match repeated": (
        "CG-MESH-003", Severity.WARNING,
        vs(f"  - match: [{{uri: {{prefix: /a}}}}]\n{ROUTE}\n  - match: [{{uri: {{prefix: /a}}}}, {{uri: {{prefix: /b}}}}]"
           f"\n{ROUTE}"),
        vs(f"  - match: [{{uri: {{prefix: /a}}}}]\n{ROUTE}\n  - match: [{{uri: {{prefix: /b}}}}]\n{ROUTE}")),
    "TLS origination without CA": (
        "CG-MESH-004", Severity.WARNING,
        dr("{tls: {mode: SIMPLE, sni: api.example.com}}", "[]", "api.example.com"),
        dr("{tls: {mode: SIMPLE, sni: api.example.com, caCertificates: /etc/ssl/certs/ca.pem}}", "[]",
           "api.example.com")),
    "ISTIO_MUTUAL with a client certificate": (
        "CG-MESH-005", Severity.ERROR,
        dr("{tls: {mode: ISTIO_MUTUAL, clientCertificate: /etc/certs/cert.pem}}"),
        dr("{tls: {mode: ISTIO_MUTUAL, sni: web.shop.svc.cluster.local}}")),
    "PeerAuthentication DISABLE with ISTIO_MUTUAL": (
        "CG-MESH-006", Severity.ERROR,
        docs(*APP, pa("DISABLE"), dr("{tls: {mode: ISTIO_MUTUAL}}")),
        docs(*APP, pa("PERMISSIVE"), dr("{tls: {mode: ISTIO_MUTUAL}}"))),
    "namespace-wide STRICT with a port-level DISABLE (FQDN host)": (
        "CG-MESH-006", Severity.ERROR,
        docs(*APP, pa("STRICT", selector=""),
             dr("{portLevelSettings: [{port: {number: 80}, tls: {mode: DISABLE}}]}",
                host="web.shop.svc.cluster.local")),
        docs(*APP, pa("STRICT", selector=""),
             dr("{portLevelSettings: [{port: {number: 9090}, tls: {mode: DISABLE}}]}",
                host="web.shop.svc.cluster.local"))),
    "AuthorizationPolicy on pods without sidecar": (
        "CG-MESH-007", Severity.WARNING,
        docs(deployment(labels="app: web", template_meta=NO_SIDECAR), authz()),
        docs(deployment(labels="app: web"), authz())),
    "identical subsets": (
        "CG-MESH-008", Severity.WARNING,
        dr(subsets="[{name: v1, labels: {version: v1}}, {name: canary, labels: {version: v1}}]"),
        dr(subsets="[{name: v1, labels: {version: v1}}, {name: canary, labels: {version: v1, track: canary}}]")),
    "subsets whose labels pick the same workloads": (
        "CG-MESH-008", Severity.WARNING,
        docs(*APP, dr(subsets="[{name: v1, labels: {version: v1}}, {name: stable, labels: {app: web}}]")),
        docs(*APP, deployment(name="web-v2", labels="app: web, version: v2"),
             dr(subsets="[{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]"))),
    "stable and canary subsets alike, no Rollout managing them": (
        "CG-MESH-008", Severity.WARNING,
        docs(dr(subsets=ARGO_SUBSETS), rollout("other")), docs(dr(subsets=ARGO_SUBSETS), rollout("web"))),
    "per-try timeout longer than the route": (
        "CG-MESH-009", Severity.WARNING,
        vs(f"  - timeout: 1s\n    retries: {{attempts: 1, perTryTimeout: 1500ms}}\n{ROUTE}"),
        vs(f"  - timeout: 1m\n    retries: {{attempts: 3, perTryTimeout: 20s}}\n{ROUTE}")),
    "PeerAuthentication selecting no pod": (
        "CG-MESH-010", Severity.WARNING,
        docs(*APP, pa("STRICT", "selector: {matchLabels: {app: webapp}}")),
        docs(*APP, pa("STRICT", "selector: {matchLabels: {version: v1}}"))),
    "ExternalName port named for the database": (
        "CG-MESH-011", Severity.WARNING,
        docs(service(name="db", ports="[{name: postgres, port: 5432}]", extra="type: ExternalName\n"
                     "externalName: db.example.net"), dr()),
        docs(service(name="db", ports="[{name: tcp-postgres, port: 5432}]", extra="type: ExternalName\n"
                     "externalName: db.example.net"), dr())),
    "AuthorizationPolicy on the Service port": (
        "CG-MESH-013", Severity.WARNING,
        docs(*APP, authz(ports="['80']")), docs(*APP, authz(ports="['8080']"))),
    "retryOn with an underscore": (
        "CG-MESH-014", Severity.ERROR,
        vs(f"  - retries: {{attempts: 2, retryOn: 'gateway_error,reset'}}\n{ROUTE}"),
        vs(f"  - retries: {{attempts: 2, retryOn: 'gateway-error,reset,503,unavailable'}}\n{ROUTE}")),
    "delegate not rendered": (
        "CG-MESH-015", Severity.ERROR,
        vs("  - delegate: {name: api-routes}"),
        docs(vs("  - delegate: {name: api-routes}"),
             vs(f"  - match: [{{uri: {{prefix: /api}}}}]\n{ROUTE}").replace("name: web,", "name: api-routes,")
             .replace("  hosts: [web]\n  gateways: [mesh]\n", ""))),
    "Sidecar egress host without namespace": (
        "CG-MESH-016", Severity.ERROR,
        SIDECAR.format(hosts="['istio-system/*', 'api.example.com']"),
        SIDECAR.format(hosts="['istio-system/*', '*/api.example.com', './*']")),
    "two namespace-wide PeerAuthentications": (
        "CG-MESH-017", Severity.WARNING,
        docs(pa("STRICT", selector=""), pa("PERMISSIVE", selector="").replace("name: web", "name: default")),
        docs(pa("STRICT", selector=""), pa("PERMISSIVE").replace("name: web", "name: default"))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fires_on_the_fault_and_not_on_the_near_miss(check, name):
    rule_id, severity, bad, good = CASES[name]
    found = check(bad, rule=rule_id)
    assert found and {f.severity for f in found} == {severity}, (name, found)
    assert check(good, rule=rule_id) == [], name


GATEWAY_SECRET = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: MUTUAL, credentialName: web-tls}
---
apiVersion: v1
kind: Secret
metadata: {name: web-tls, namespace: shop}
type: Opaque
"""


def test_gateway_credential_without_certificate_keys(check):
    bad = GATEWAY_SECRET + "stringData: {cert.pem: x, key.pem: y}\n"
    good = GATEWAY_SECRET + "stringData: {cert: x, key: y, cacert: z}\n"
    found = check(bad, rule="CG-MESH-012")
    assert [f.severity for f in found] == [Severity.ERROR]
    assert "ca.crt" in found[0].message
    assert check(good, rule="CG-MESH-012") == []


UNUSUAL_BUT_VALID = docs(
    deployment(labels="app: web, version: v1",
               pod="initContainers: [{name: istio-proxy, image: docker.io/istio/proxyv2:1.24.0, "
                   "restartPolicy: Always, readinessProbe: {httpGet: {path: /healthz/ready, port: 15021}}}]"),
    deployment(name="web-v2", labels="app: web, version: v2"),
    service(),
    # relative weights (Istio normalises them), FQDN and short hosts side by side, a shared gateway elsewhere
    vs("""\
  - match: [{uri: {prefix: /api}}]
    route:
    - {destination: {host: web.shop.svc.cluster.local, subset: v1}, weight: 30}
    - {destination: {host: web, subset: v2}, weight: 30}
  - route:
    - {destination: {host: web, subset: v1}, weight: 1}
    - {destination: {host: web, subset: v2}, weight: 1}""", api="networking.istio.io/v1beta1",
       gateways="[istio-system/public-gateway, mesh]").replace("hosts: [web]", "hosts: [web, shop.example.com]"),
    dr("{tls: {mode: ISTIO_MUTUAL}}", "[{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]"),
    pa("STRICT"),
    authz(),
    """\
apiVersion: example.com/v1alpha1
kind: Widget
metadata: {name: web, namespace: shop}
spec: {selector: {matchLabels: {app: nothing}}, regex: '(?!x)', ports: [{port: 1}]}
""",
)


def test_valid_but_unusual_mesh_configuration_stays_clean(check):
    findings = check(UNUSUAL_BUT_VALID)
    mine = [f for f in findings if f.rule.split("-")[1] in ("MESH", "REACH", "POD", "AVAIL", "HPA", "APPS")]
    assert mine == []
    assert [f for f in findings if f.severity == Severity.ERROR] == []


@pytest.mark.parametrize("text, seconds", [("10s", 10), ("1.5s", 1.5), ("250ms", 0.25), ("1m30s", 90), ("1h", 3600)])
def test_durations(text, seconds):
    assert duration_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "s", "1.5", "10 s", ""])
def test_invalid_durations(text):
    assert duration_seconds(text) is None


def test_regex_errors_are_re2_errors():
    assert regex_error("^/api/(v1|v2)/.*$") is None
    assert regex_error(r"\pL+") is None  # RE2 syntax Python's re rejects
    assert regex_error("(?<=a)b") is not None
    assert regex_error("[a-") is not None


def test_externalname_port_naming_is_reported_once(check):
    """IST0150 on an ExternalName Service is CG-MESH-011 (a warning); CG-ISTIO-013 (IST0118, info) keeps to the
    Services whose traffic Istio can sniff, so one port is not reported twice."""
    external = service(name="db", ports="[{name: postgres, port: 5432}]",
                       extra="type: ExternalName\nexternalName: db.example.net")
    ordinary = service(name="api", ports="[{name: web, port: 80}]")
    found = check(docs(external, ordinary, dr()))
    naming = sorted((f.rule, f.resource.name) for f in found if f.rule in ("CG-MESH-011", "CG-ISTIO-013"))
    assert naming == [("CG-ISTIO-013", "api"), ("CG-MESH-011", "db")]
