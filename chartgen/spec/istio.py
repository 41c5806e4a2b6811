"""The `istio:` section of chartgen.yaml: typed settings and the checks Istio (and chartgen) need up front.

spec.py calls :func:`parse_istio` once per settings layer (the defaults, then each environment) with the merged raw
mapping. Each part of the section has its own small parser (_canary, _versions, _hosts, _gateway, _routes, ...);
defaults come from the settings catalog (chartgen/spec/settings.py). It returns typed, frozen dataclasses plus a list
of (field path below the layer, message) errors that spec.py reports through its LayerReport. The JSON Schema
(data/spec.schema.json) has already checked the shape (types, enums, unknown keys); this module checks what a
schema cannot:

* route weights are PERCENT and must sum to 100 (Istio itself treats weights as relative; chartgen speaks in
  percent, which Argo Rollouts also requires), none negative;
* a route (or mirror) names only versions the chart deploys (DestinationRule subsets);
* HTTPS gateway servers have TLS (credentialName);
* route ports are ports of the chart's Service;
* the canary controller's rules (Argo Rollouts: subsets stable/canary; Flagger: it owns the Service,
  VirtualService and DestinationRule, so the spec must not describe them).

The typed settings themselves (and their values mapping) live in istio_settings.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.core.record import MutableRecord, Record, mutable_record, record
from chartgen.spec.blueprints import Blueprint
from chartgen.spec.canary_analysis import parse_analysis
from chartgen.spec.istio_fields import at as _at
from chartgen.spec.istio_fields import duration as _duration
from chartgen.spec.istio_fields import duration_ns
from chartgen.spec.istio_fields import string_match as _string_match
from chartgen.spec.istio_security import parse_security
from chartgen.spec.istio_settings import (
    ARGO_SUBSETS,
    DEFAULT_SELECTOR,
    DEFAULT_STEPS,
    Canary,
    Fault,
    Gateway,
    IstioSettings,
    Match,
    Mirror,
    Retries,
    Route,
    Version,
)
from chartgen.spec.istio_traffic import (
    passthrough,
    request_matches,
    route_http,
    service_entries,
    sidecar,
    traffic_policy_more,
)
from chartgen.spec.service import Service
from chartgen.spec.settings import CATALOG

__all__ = ["IstioContext", "IstioSettings", "duration_ns", "parse_istio"]

DNS1123_LABEL = lazy_pattern(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
HOST = lazy_pattern(r"^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$")
EXISTING_GATEWAY = lazy_pattern(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/"  # namespace/name
                              r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
TAG = lazy_pattern(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST = lazy_pattern(r"^sha256:[a-f0-9]{64}$")
HEADER_NAME = lazy_pattern(r"^[a-z0-9!#$%&'*+.^_`|~-]+$")
RETRY_ON = {"5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited",
            "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers",
            "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal", "resource-exhausted",
            "unavailable"}
HTTP_PROTOCOLS = ("http", "http2", "h2c", "grpc", "grpc-web", "kubernetes.io/h2c")
PERCENT_NOTE = "weights are percentages and must sum to 100 (Istio treats weights as relative; chartgen uses percent)"


# ------------------------------------------------------------------------------------------------- parsing


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def __call__(self, path: str, message: str) -> None:
        if all(p != path for p, _ in self.items):
            self.items.append((path, message))


def _matches(raw: Any, path: str, err: _Errors) -> tuple[Match, ...]:
    out = []
    for i, m in enumerate(raw or []):
        at = _at(path, i)
        m = m or {}
        uri = _string_match(m.get("uri"), _at(at, "uri"), err) if m.get("uri") is not None else None
        if uri and uri.kind != "regex" and not uri.value.startswith("/"):
            err(_at(at, "uri", uri.kind), f"{uri.value!r} must start with '/'")
        headers = []
        for name, sm in (m.get("headers") or {}).items():
            if not HEADER_NAME.match(str(name)):
                err(_at(at, "headers", str(name)), f"{name!r} is not a lowercase HTTP header name (Istio matches "
                                                   "header names in lowercase)")
            s = _string_match(sm, _at(at, "headers", str(name)), err)
            if s:
                headers.append((str(name), s))
        params = []
        for name, sm in (m.get("queryParams") or {}).items():
            s = _string_match(sm, _at(at, "queryParams", str(name)), err)
            if s:
                params.append((str(name), s))
        method, authority = request_matches(m, at, err)
        if not (uri or headers or params or method or authority):
            err(at, "an empty match matches every request; give uri, method, authority, headers or queryParams (or "
                    "drop the match)")
        out.append(Match(uri, tuple(headers), tuple(params), method, authority))
    return tuple(out)


def _service_port(value: Any, path: str, service: Service, err: _Errors) -> int | None:
    """A Service port given by name or number -> its number; an error when the Service lacks it."""
    ports = service.ports
    listing = ", ".join(f"{p.name}={p.port}" if p.name else str(p.port) for p in ports) or "none"
    if isinstance(value, int) and not isinstance(value, bool):
        if any(p.port == value for p in ports):
            return value
        err(path, f"the Service has no port {value}; its ports: {listing}")
        return None
    for p in ports:
        if p.name == value:
            return p.port
    err(path, f"the Service has no port named {value!r}; its ports: {listing}")
    return None


def _default_port(service: Service) -> int | None:
    """The destination port when the spec names none: the only port, else the first HTTP port, else the first."""
    ports = service.ports
    if not ports:
        return None
    for p in ports:
        name = (p.name or "").split("-")[0]
        if name in HTTP_PROTOCOLS or (p.app_protocol or "") in HTTP_PROTOCOLS:
            return p.port
    return ports[0].port


def _percent(value: Any, path: str, err: _Errors) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        err(path, f"{value!r} is out of range; allowed: 0-100 (percent)")
        return None
    return value


def _weights(raw: Mapping[str, Any], path: str, allowed: tuple[str, ...], err: _Errors,
             what: str) -> tuple[tuple[str, int], ...] | None:
    """{subset: percent} -> ordered pairs; checks names, signs and the sum of 100."""
    ok = True
    pairs = []
    for name, w in raw.items():
        name = str(name)
        if name not in allowed:
            err(_at(path, name), f"{name!r} is not a {what} this chart deploys; allowed: {', '.join(allowed) or 'none'}"
                                 + ("" if allowed else " (add versions to deploy them)"))
            ok = False
        if isinstance(w, bool) or not isinstance(w, int):
            err(_at(path, name), f"{w!r} is not a whole percent (0-100)")
            ok = False
            continue
        if w < 0:
            err(_at(path, name), f"{w} is negative; {PERCENT_NOTE}")
            ok = False
        pairs.append((name, w))
    if ok and pairs and sum(w for _, w in pairs) != 100:
        got = " + ".join(f"{n} {w}" for n, w in pairs)
        err(path, f"{PERCENT_NOTE}; got {got} = {sum(w for _, w in pairs)}")
        ok = False
    if ok and not pairs:
        err(path, f"give at least one {what}; {PERCENT_NOTE}")
        ok = False
    return tuple(pairs) if ok else None


def _route(raw: Mapping[str, Any], path: str, default_name: str, ctx: _Ctx, err: _Errors,
           *, is_default: bool) -> Route:
    name = str(raw.get("name") or default_name)
    if not DNS1123_LABEL.match(name) or len(name) > 63:
        err(_at(path, "name"), f"{name!r} is not a DNS-1123 label (lowercase letters, digits and '-')")
    matches = () if is_default else _matches(raw.get("match"), _at(path, "match"), err)
    if not is_default and not raw.get("match"):
        err(_at(path, "match"), "required: a route without match takes all traffic and hides the routes after it "
                                "(use istio.defaultRoute for the rest of the traffic)")
    weights = _route_weights(raw.get("weights"), _at(path, "weights"), ctx, err)
    port = _service_port(raw["port"], _at(path, "port"), ctx.service, err) if raw.get("port") is not None else None
    retries = _retries(raw["retries"], _at(path, "retries"), err) if raw.get("retries") is not None else None
    timeout = _duration(raw.get("timeout"), _at(path, "timeout"), err)
    fault = _fault(raw["fault"], _at(path, "fault"), err) if raw.get("fault") is not None else None
    mirror = _mirror(raw["mirror"], _at(path, "mirror"), ctx, err) if raw.get("mirror") is not None else None
    return Route(name, matches, weights, port, retries, timeout, fault, mirror, route_http(raw, path, err))


def _route_weights(raw: Any, path: str, ctx: _Ctx, err: _Errors) -> tuple[tuple[str, int], ...] | None:
    if raw is None:
        return None
    if not ctx.subsets:
        err(path, "the chart deploys no versions to split between; add versions (or drop weights)")
        return None
    return _weights(raw, path, ctx.subsets, err, ctx.subset_word)


def _retries(r: Mapping[str, Any], path: str, err: _Errors) -> Retries:
    retry_on = r.get("retryOn")
    for item in str(retry_on).split(",") if retry_on is not None else []:
        item = item.strip()
        if item not in RETRY_ON and not (item.isdigit() and 100 <= int(item) <= 599):
            err(_at(path, "retryOn"), f"{item!r} is not a retry condition; allowed: "
                                      f"{', '.join(sorted(RETRY_ON))} or an HTTP status code")
            break
    return Retries(int(r.get("attempts", 2)), _duration(r.get("perTryTimeout"), _at(path, "perTryTimeout"), err),
                   retry_on)


def _fault(f: Mapping[str, Any], path: str, err: _Errors) -> Fault:
    delay, abort = f.get("delay") or {}, f.get("abort") or {}
    if not delay and not abort:
        err(path, "give delay or abort")
    fault = Fault(
        delay_percent=_percent(delay.get("percent"), _at(path, "delay", "percent"), err),
        fixed_delay=_duration(delay.get("fixedDelay"), _at(path, "delay", "fixedDelay"), err) if delay else None,
        abort_percent=_percent(abort.get("percent"), _at(path, "abort", "percent"), err),
        http_status=abort.get("httpStatus"),
    )
    if delay and not delay.get("fixedDelay"):
        err(_at(path, "delay", "fixedDelay"), "required for a delay fault (e.g. 5s)")
    if abort and not abort.get("httpStatus"):
        err(_at(path, "abort", "httpStatus"), "required for an abort fault (e.g. 503)")
    return fault


def _mirror(m: Mapping[str, Any], path: str, ctx: _Ctx, err: _Errors) -> Mirror:
    version = m.get("version")
    if version is not None and str(version) not in ctx.subsets:
        err(_at(path, "version"), f"{version!r} is not a {ctx.subset_word} this chart deploys; "
                                  f"allowed: {', '.join(ctx.subsets) or 'none'}")
    percent = _percent(m.get("percent", 100), _at(path, "percent"), err)
    return Mirror(str(version) if version is not None else None, percent if percent is not None else 100)


@record
class IstioContext(Record):
    """What the Istio section needs to know of the chart: its blueprint, and which blueprints support Istio."""

    blueprint: Blueprint
    supporting: tuple[str, ...]  # names of the blueprints that use the istio part


@mutable_record
class _Ctx(MutableRecord):
    """What the parsers of one `istio:` section need to know about the chart."""

    service: Service
    subsets: tuple[str, ...]
    subset_word: str


def _get(raw: Mapping[str, Any], key: str) -> Any:
    """istio.<key> of this layer, or its declared default."""
    return CATALOG.get({"istio": raw}, f"istio.{key}")


def parse_istio(raw: Mapping[str, Any] | None, service: Service, ctx: IstioContext
                ) -> tuple[IstioSettings, list[tuple[str, str]]]:
    """Typed Istio settings for one layer, and the errors as (path below the layer, message)."""
    err = _Errors()
    raw = dict(raw or {})
    if not raw:
        return IstioSettings(port=_default_port(service)), []
    enabled = bool(_get(raw, "enabled"))
    if enabled and "istio" not in ctx.blueprint.uses:
        err("istio.enabled", f"blueprint {ctx.blueprint.name!r} does not support Istio; use "
                             f"{', '.join(ctx.supporting) or 'a blueprint that uses the istio part'}")
    canary = _canary(raw, err)
    versions = _versions(raw, canary.controller, err)
    hosts, mesh = _hosts(raw, err)
    gateway = _gateway(raw, hosts, err)
    port = _port(raw, service, err)
    gateway = passthrough(raw, gateway, hosts, service, port, err)
    routes, default = _routes(raw, canary.controller, _route_context(service, canary.controller, versions), err)
    _check_version_weights(canary.controller, versions, routes, default, err)
    traffic_policy = traffic_policy_more(_traffic_policy(raw, err), service, err)
    authorization, request_auth = parse_security(raw, service, err)
    return IstioSettings(
        enabled=enabled, hosts=hosts, mesh=mesh, port=port, gateway=gateway, versions=versions, routes=routes,
        default_route=default, traffic_policy=traffic_policy, peer_authentication=_peer(raw),
        authorization=authorization, request_auth=request_auth, canary=canary,
        service_entries=service_entries(raw, err), sidecar=sidecar(raw, err),
    ), err.items


def _canary(raw: Mapping[str, Any], err: _Errors) -> Canary:
    steps = tuple(_get(raw, "canary.steps") or DEFAULT_STEPS)
    for i, s in enumerate(steps):
        if not 0 < s < 100:
            err(_at("istio.canary.steps", i), f"{s} is out of range; allowed: 1-99 (percent of traffic to the canary)")
    if list(steps) != sorted(set(steps)):
        err("istio.canary.steps", "steps must increase (e.g. [10, 25, 50])")
    default_interval = CATALOG["istio.canary.interval"].default
    interval = _duration(_get(raw, "canary.interval"), "istio.canary.interval", err) or default_interval
    controller = str(_get(raw, "canary.controller"))
    return Canary(controller, steps, interval, int(_get(raw, "canary.threshold")),
                  parse_analysis(raw, controller, err))


def _versions(raw: Mapping[str, Any], controller: str, err: _Errors) -> tuple[Version, ...]:
    """One Deployment each, a DestinationRule subset each, the default split of every route."""
    versions_raw = {str(k): (v or {}) for k, v in (raw.get("versions") or {}).items()}
    if versions_raw and controller != "none":
        err("istio.versions", f"not allowed with istio.canary.controller {controller}: "
                              + ("Argo Rollouts manages the stable and canary ReplicaSets (subsets stable/canary)"
                                 if controller == "argo-rollouts" else
                                 "Flagger creates the primary and canary workloads itself"))
        return ()
    explicit = any("weight" in v for v in versions_raw.values())
    default_weight = 0 if explicit or len(versions_raw) > 1 else 100
    return tuple(_version(name, v, default_weight, err) for name, v in versions_raw.items())


def _version(name: str, v: Mapping[str, Any], default_weight: int, err: _Errors) -> Version:
    at = _at("istio.versions", name)
    if not DNS1123_LABEL.match(name) or len(name) > 63:
        err(at, f"{name!r} is not a DNS-1123 label (it becomes a subset name and a label value)")
    weight = v.get("weight", default_weight)
    if isinstance(weight, int) and weight < 0:
        err(_at(at, "weight"), f"{weight} is negative; {PERCENT_NOTE}")
    image = v.get("image") or {}
    tag, digest = image.get("tag"), image.get("digest")
    if tag is not None and (not TAG.match(str(tag)) or tag == "latest"):
        err(_at(at, "image", "tag"), f"{tag!r} is not allowed; pin a version (a valid tag other than 'latest')")
    if digest is not None and not DIGEST.match(str(digest)):
        err(_at(at, "image", "digest"), f"{digest!r} is not allowed; expected sha256:<64 hex digits>")
    return Version(name, weight, v.get("replicas"), tag, digest, v.get("autoscaling"))


def _route_context(service: Service, controller: str, versions: tuple[Version, ...]) -> _Ctx:
    if controller == "argo-rollouts":
        return _Ctx(service, ARGO_SUBSETS, "subset (Argo Rollouts: stable or canary)")
    return _Ctx(service, tuple(v.name for v in versions), "version")


def _hosts(raw: Mapping[str, Any], err: _Errors) -> tuple[tuple[str, ...], bool]:
    hosts = tuple(str(h) for h in _get(raw, "hosts") or ())
    mesh = bool(_get(raw, "mesh"))
    for i, h in enumerate(hosts):
        if not HOST.match(h) or len(h) > 253:
            err(_at("istio.hosts", i), f"{h!r} is not a host name (a DNS name, optionally starting with '*.')")
        elif h == "*" and mesh:
            err(_at("istio.hosts", i), "'*' is not allowed when the VirtualService is bound to the mesh")
    if len(set(hosts)) != len(hosts):
        err("istio.hosts", "duplicate hosts")
    return hosts, mesh


def _gateway(raw: Mapping[str, Any], hosts: tuple[str, ...], err: _Errors) -> Gateway:
    g = raw.get("gateway") or {}
    existing = g.get("existing") or None
    if existing and not EXISTING_GATEWAY.match(existing):
        err("istio.gateway.existing", f"{existing!r} is not namespace/name of a Gateway (e.g. istio-system/public)")
    if existing and not hosts:
        err("istio.hosts", "required with istio.gateway.existing: the hosts the VirtualService serves on that Gateway")
    https = g.get("https")
    gateway = Gateway(
        existing=existing,
        selector=dict(g.get("selector") or DEFAULT_SELECTOR),
        http_enabled=bool(_get(raw, "gateway.http.enabled")),
        http_port=int(_get(raw, "gateway.http.port")),
        https_redirect=bool(_get(raw, "gateway.http.httpsRedirect")),
        https_enabled=bool((https or {}).get("enabled", https is not None)),
        https_port=int(_get(raw, "gateway.https.port")),
        tls_mode=str(_get(raw, "gateway.https.mode")),
        credential_name=(https or {}).get("credentialName"),
        min_protocol_version=str(_get(raw, "gateway.https.minProtocolVersion")),
    )
    if hosts and not existing:
        _check_gateway(gateway, err)
    return gateway


def _check_gateway(gateway: Gateway, err: _Errors) -> None:
    if gateway.https_enabled and gateway.tls_mode != "PASSTHROUGH" and not gateway.credential_name:
        err("istio.gateway.https.credentialName",
            f"an HTTPS server needs TLS: the name of the Secret holding the certificate (tls.mode "
            f"{gateway.tls_mode}); create it in the ingress gateway's namespace")
    if not gateway.http_enabled and not gateway.https_enabled:
        err("istio.gateway", "the Gateway has no server; enable http or https")
    if gateway.https_redirect and not gateway.https_enabled:
        err("istio.gateway.http.httpsRedirect", "redirects to HTTPS, but istio.gateway.https is not enabled")
    if gateway.https_redirect and not gateway.http_enabled:
        err("istio.gateway.http.httpsRedirect", "needs istio.gateway.http.enabled")
    if gateway.http_enabled and gateway.https_enabled and gateway.http_port == gateway.https_port:
        err("istio.gateway.https.port", f"port {gateway.https_port} is also the HTTP server's port")
    if not gateway.selector:
        err("istio.gateway.selector", "an empty selector applies the Gateway to every gateway workload")


def _port(raw: Mapping[str, Any], service: Service, err: _Errors) -> int | None:
    port = _default_port(service)
    if raw.get("port") is not None:
        port = _service_port(raw["port"], "istio.port", service, err) or port
    return port


def _routes(raw: Mapping[str, Any], controller: str, ctx: _Ctx, err: _Errors) -> tuple[tuple[Route, ...], Route]:
    """The ordered routes and the default route; route names are unique."""
    routes_raw = list(raw.get("routes") or [])
    if routes_raw and controller == "flagger":
        err("istio.routes", "not allowed with istio.canary.controller flagger: Flagger generates the VirtualService")
        routes_raw = []
    routes = tuple(_route(r or {}, _at("istio.routes", i), f"route-{i}", ctx, err, is_default=False)
                   for i, r in enumerate(routes_raw))
    default_raw = dict(raw.get("defaultRoute") or {})
    if controller == "argo-rollouts":
        default_raw.setdefault("name", "primary")
        if default_raw.get("weights") is not None:
            err("istio.defaultRoute.weights", "not allowed with istio.canary.controller argo-rollouts: the Rollout "
                                              "sets the default route's stable/canary weights")
            default_raw.pop("weights")
    default = _route(default_raw, "istio.defaultRoute", "default", ctx, err, is_default=True)
    names: dict[str, str] = {}
    for r, path in _with_paths(routes, default):
        if r.name in names:
            err(_at(path, "name"), f"route name {r.name!r} is also used by {names[r.name]}")
        names.setdefault(r.name, path)
    return routes, default


def _with_paths(routes: tuple[Route, ...], default: Route) -> list[tuple[Route, str]]:
    return [(r, _at("istio.routes", i)) for i, r in enumerate(routes)] + [(default, "istio.defaultRoute")]


def _check_version_weights(controller: str, versions: tuple[Version, ...], routes: tuple[Route, ...],
                           default: Route, err: _Errors) -> None:
    """Routes without weights split by the versions' weights: those must then sum to 100 as well."""
    if controller != "none" or not versions or any(v.weight < 0 for v in versions):
        return
    if not any(r.weights is None and not _errored(err, p) for r, p in _with_paths(routes, default)):
        return
    total = sum(v.weight for v in versions)
    if total != 100:
        got = " + ".join(f"{v.name} {v.weight}" for v in versions)
        err("istio.versions", f"the versions' weights split every route that sets no weights of its own; "
                              f"{PERCENT_NOTE}; got {got} = {total}")


DURATION_FIELDS = (("connectionPool", ("tcp", "connectTimeout")), ("connectionPool", ("tcp", "idleTimeout")),
                   ("connectionPool", ("http", "idleTimeout")), ("outlierDetection", ("interval",)),
                   ("outlierDetection", ("baseEjectionTime",)))


def _traffic_policy(raw: Mapping[str, Any], err: _Errors) -> dict[str, Any]:
    tp = {"tls": {"mode": "ISTIO_MUTUAL"}, **(raw.get("trafficPolicy") or {})}
    for key, sub in DURATION_FIELDS:
        node: Any = tp.get(key) or {}
        for part in sub:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is not None:
            _duration(node, _at("istio.trafficPolicy", key, *sub), err)
    return tp


def _peer(raw: Mapping[str, Any]) -> str | None:
    """PeerAuthentication mode (None: none rendered)."""
    return str(_get(raw, "peerAuthentication.mode")) if _get(raw, "peerAuthentication.enabled") else None


def _errored(err: _Errors, prefix: str) -> bool:
    return any(p == prefix or p.startswith(prefix + ".") for p, _ in err.items)
