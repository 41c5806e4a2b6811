"""The typed `istio:` settings of one layer, and their `istio` mapping in values.yaml.

:meth:`IstioSettings.values` is the `istio` mapping of values.yaml (or of one environment), in the shape the
templates in blueprints/istio read. Parsing and checking the section is istio_spec.py's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Any

from chartgen.core.merge import plain_copy
from chartgen.core.record import Record, record
from chartgen.spec.settings import CATALOG

ARGO_SUBSETS = ("stable", "canary")
DEFAULT_STEPS = tuple(CATALOG["istio.canary.steps"].default)
DEFAULT_SELECTOR = dict(CATALOG["istio.gateway.selector"].default)


@record
class StringMatch(Record):
    """One string match of a route (`exact`, `prefix` or `regex`)."""

    kind: str  # exact | prefix | regex
    value: str

    def values(self) -> dict[str, str]:
        return {self.kind: self.value}


@record
class Match(Record):
    """One match of an HTTP route: URI, method, authority, headers and query parameters (all must match)."""

    uri: StringMatch | None = None
    headers: tuple[tuple[str, StringMatch], ...] = ()
    query_params: tuple[tuple[str, StringMatch], ...] = ()
    method: StringMatch | None = None
    authority: StringMatch | None = None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.uri:
            out["uri"] = self.uri.values()
        if self.method:
            out["method"] = self.method.values()
        if self.authority:
            out["authority"] = self.authority.values()
        if self.headers:
            out["headers"] = {k: m.values() for k, m in self.headers}
        if self.query_params:
            out["queryParams"] = {k: m.values() for k, m in self.query_params}
        return out


@record
class Retries(Record):
    """A route's retry policy."""

    attempts: int
    per_try_timeout: str | None = None
    retry_on: str | None = None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"attempts": self.attempts}
        if self.per_try_timeout:
            out["perTryTimeout"] = self.per_try_timeout
        if self.retry_on:
            out["retryOn"] = self.retry_on
        return out


@record
class Fault(Record):
    """Fault injection on a route: a fixed delay and/or an aborted share of requests."""

    delay_percent: float | None = None
    fixed_delay: str | None = None
    abort_percent: float | None = None
    http_status: int | None = None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.fixed_delay:
            out["delay"] = {"percent": self.delay_percent if self.delay_percent is not None else 100,
                            "fixedDelay": self.fixed_delay}
        if self.http_status:
            out["abort"] = {"percent": self.abort_percent if self.abort_percent is not None else 100,
                            "httpStatus": self.http_status}
        return out


@record
class Mirror(Record):
    """Shadow traffic: a share of a route's requests copied to another version."""

    version: str | None  # a subset; None mirrors to the Service without a subset
    percent: float

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"percent": self.percent}
        if self.version:
            out["version"] = self.version
        return out


@record
class Route(Record):
    """One HTTP route of the VirtualService: its matches, version weights and policies."""

    name: str
    matches: tuple[Match, ...] = ()
    weights: tuple[tuple[str, int], ...] | None = None  # None: the versions' weights
    port: int | None = None
    retries: Retries | None = None
    timeout: str | None = None
    fault: Fault | None = None
    mirror: Mirror | None = None
    # corsPolicy, rewrite, redirect, headers in Istio's shape (checked by istio_traffic_spec.py)
    http: Mapping[str, Any] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.matches:
            out["match"] = [m.values() for m in self.matches]
        if self.weights is not None:
            out["weights"] = dict(self.weights)
        if self.port is not None:
            out["port"] = self.port
        if self.retries:
            out["retries"] = self.retries.values()
        if self.timeout:
            out["timeout"] = self.timeout
        if self.fault and self.fault.values():
            out["fault"] = self.fault.values()
        if self.mirror:
            out["mirror"] = self.mirror.values()
        out.update(plain_copy(self.http))
        return out


@record
class Version(Record):
    """One deployed version (a Deployment and a DestinationRule subset) and its default weight."""

    name: str
    weight: int
    replicas: int | None = None
    image_tag: str | None = None
    image_digest: str | None = None
    # as written: {enabled, minReplicas, ...} merged over the chart's; after sizing (spec.py): the effective HPA
    autoscaling: Mapping[str, Any] | None = None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"weight": self.weight}
        if self.replicas is not None:
            out["replicas"] = self.replicas
        if self.autoscaling is not None:
            out["autoscaling"] = dict(self.autoscaling)
        image = {k: v for k, v in (("tag", self.image_tag), ("digest", self.image_digest)) if v}
        if image:
            out["image"] = image
        return out


@record
class Gateway(Record):
    """The ingress Gateway: a shared existing one, or the chart's own servers."""

    existing: str | None = None  # "ns/name": bind to a shared Gateway, render none
    selector: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SELECTOR))
    http_enabled: bool = True
    http_port: int = 80
    https_redirect: bool = False
    https_enabled: bool = False
    https_port: int = 443
    tls_mode: str = "SIMPLE"  # SIMPLE | MUTUAL | PASSTHROUGH
    credential_name: str | None = None
    min_protocol_version: str = ""
    passthrough_port: int | None = None  # PASSTHROUGH: the Service port the TLS stream goes to

    def values(self) -> dict[str, Any]:
        return {
            "existing": self.existing or "",
            "selector": dict(self.selector),
            "http": {"enabled": self.http_enabled, "port": self.http_port, "httpsRedirect": self.https_redirect},
            "https": {"enabled": self.https_enabled, "port": self.https_port, "mode": self.tls_mode,
                      "credentialName": self.credential_name or "", "minProtocolVersion": self.min_protocol_version,
                      "targetPort": self.passthrough_port or 0},
        }


@record
class Canary(Record):
    """Progressive delivery by a controller (Argo Rollouts or Flagger)."""

    controller: str = "none"  # none | argo-rollouts | flagger
    steps: tuple[int, ...] = DEFAULT_STEPS
    interval: str = "1m"
    threshold: int = 5
    analysis: Analysis = field(default_factory=lambda: Analysis())

    def values(self) -> dict[str, Any]:
        return {"controller": self.controller, "steps": list(self.steps), "interval": self.interval,
                "threshold": self.threshold, **self.analysis.values()}


@record
class Analysis(Record):
    """What the canary controller measures: success rate and p99 latency (both controllers), Argo Rollouts'
    Prometheus (its AnalysisTemplate), Flagger's webhooks."""

    success_rate: float = 99
    max_duration: int = 500  # ms
    prometheus: str = ""  # argo-rollouts: set, an AnalysisTemplate is rendered
    webhooks: tuple[Mapping[str, Any], ...] = ()  # flagger

    def values(self) -> dict[str, Any]:
        return {"successRate": self.success_rate, "maxDuration": self.max_duration, "prometheus": self.prometheus,
                "webhooks": [dict(w) for w in self.webhooks]}


@record
class Authorization(Record):
    """The chart's AuthorizationPolicy: ALLOW from principals, and/or rules (ALLOW or DENY)."""

    principals: tuple[str, ...] = ()
    action: str = "ALLOW"  # ALLOW | DENY
    rules: tuple[Mapping[str, Any], ...] = ()  # {principals, namespaces, paths, methods, ports}, as written

    @property
    def enabled(self) -> bool:
        return bool(self.principals or self.rules)

    def values(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "principals": list(self.principals), "action": self.action,
                "rules": [dict(r) for r in self.rules]}


@record
class RequestAuth(Record):
    """RequestAuthentication (JWT) and the policy refusing requests without a valid token on `paths`."""

    jwt_rules: tuple[Mapping[str, Any], ...] = ()  # empty: none rendered
    paths: tuple[str, ...] = ()  # empty: every path
    ports: tuple[int, ...] = ()  # the workload's HTTP ports the token is required on

    def values(self) -> dict[str, Any]:
        return {"enabled": bool(self.jwt_rules), "jwtRules": [dict(r) for r in self.jwt_rules],
                "paths": list(self.paths), "ports": list(self.ports)}


@record
class ServiceEntry(Record):
    """An external host group the service calls (a MESH_EXTERNAL ServiceEntry), with optional TLS origination."""

    name: str
    hosts: tuple[str, ...]
    ports: tuple[Mapping[str, Any], ...]  # Istio's ServicePort fields, name filled in
    resolution: str = "DNS"
    tls: Mapping[str, Any] | None = None  # {port, mode, sni, credentialName?, caCertificates?}

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "hosts": list(self.hosts), "ports": [dict(p) for p in self.ports],
                               "resolution": self.resolution}
        if self.tls:
            out["tls"] = dict(self.tls)
        return out


@record
class Sidecar(Record):
    """The chart's Sidecar resource (egress limited to what the service uses)."""

    enabled: bool = False
    egress_hosts: tuple[str, ...] = ()

    def values(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "egressHosts": list(self.egress_hosts)}


@record
class IstioSettings(Record):
    """The typed `istio:` section of one layer (defaults or one environment)."""

    enabled: bool = False
    hosts: tuple[str, ...] = ()
    mesh: bool = False
    port: int | None = None  # destination port number (None: the Service has no ports)
    gateway: Gateway = field(default_factory=Gateway)
    versions: tuple[Version, ...] = ()
    routes: tuple[Route, ...] = ()
    default_route: Route = field(default_factory=lambda: Route("default"))
    traffic_policy: Mapping[str, Any] = field(default_factory=lambda: {"tls": {"mode": "ISTIO_MUTUAL"}})
    peer_authentication: str | None = "STRICT"  # None: no PeerAuthentication
    authorization: Authorization = field(default_factory=Authorization)
    request_auth: RequestAuth = field(default_factory=RequestAuth)
    canary: Canary = field(default_factory=Canary)
    service_entries: tuple[ServiceEntry, ...] = ()
    sidecar: Sidecar = field(default_factory=Sidecar)

    @property
    def subsets(self) -> tuple[str, ...]:
        """DestinationRule subset names: the versions, or Argo Rollouts' stable/canary."""
        if self.canary.controller == "argo-rollouts":
            return ARGO_SUBSETS
        if self.canary.controller == "flagger":
            return ()
        return tuple(v.name for v in self.versions)

    @property
    def renders_gateway(self) -> bool:
        return self.enabled and bool(self.hosts) and not self.gateway.existing

    def values(self) -> dict[str, Any]:
        """The `istio` mapping of the values file for this layer."""
        return {
            "enabled": self.enabled,
            "hosts": list(self.hosts),
            "mesh": self.mesh,
            "port": self.port or 0,
            "gateway": self.gateway.values(),
            "versions": {v.name: v.values() for v in self.versions},
            "canary": self.canary.values(),
            "routes": [r.values() for r in self.routes],
            "defaultRoute": self.default_route.values(),
            "trafficPolicy": dict(self.traffic_policy),
            "peerAuthentication": {"enabled": self.peer_authentication is not None,
                                   "mode": self.peer_authentication or "STRICT"},
            "authorizationPolicy": self.authorization.values(),
            "requestAuthentication": self.request_auth.values(),
            "serviceEntries": [e.values() for e in self.service_entries],
            "sidecar": self.sidecar.values(),
        }
