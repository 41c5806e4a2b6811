"""Checks of the `istio:` traffic settings beyond splitting: what a route does to a request, load balancing, the
Gateway's TLS passthrough, ServiceEntries for external hosts and the Sidecar.

istio_spec.py calls these from its parsers; each reports (field path below the layer, message) through ``err``. The
JSON Schema has already checked the shapes; these checks refuse what Istio's validation rejects or what would
certainly break traffic:

* a redirect answers the request itself: no weights, mirror, fault, retries, timeout or rewrite with it (Istio:
  "HTTP route cannot contain both route and redirect", "both rewrite and redirect");
* header manipulation of Host (use rewrite.authority) or of pseudo-headers; a lowercase method never matches;
* load balancing: simple or consistentHash, not both; portLevelSettings name Service ports, each once;
* PASSTHROUGH forwards by SNI: it needs istio.hosts without '*' and no canary controller (credentialName and
  minProtocolVersion, which an environment may inherit, are not rendered with it);
* ServiceEntries: DNS resolution needs names without wildcards; TLS origination needs one host and a plain HTTP port.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.core.merge import plain_copy
from chartgen.spec.istio_fields import Err, at, duration, string_match
from chartgen.spec.istio_settings import Gateway, ServiceEntry, Sidecar, StringMatch
from chartgen.spec.service import Service

TOKEN = lazy_pattern(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # an HTTP header name (RFC 9110 token)
METHOD = lazy_pattern(r"^[A-Z]+$")
DNS_NAME = lazy_pattern(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
NOT_WITH_REDIRECT = ("weights", "mirror", "fault", "retries", "timeout", "rewrite")
HTTP_PORT_PROTOCOLS = ("HTTP", "HTTP2", "GRPC")


# ------------------------------------------------------------------------------------------------- routes


def request_matches(raw: Mapping[str, Any], path: str, err: Err) -> tuple[StringMatch | None, StringMatch | None]:
    """The method and authority matches of one route match."""
    method = string_match(raw.get("method"), at(path, "method"), err) if raw.get("method") is not None else None
    if method and method.kind != "regex" and not METHOD.match(method.value):
        err(at(path, "method", method.kind), f"{method.value!r} is not an HTTP method in capitals (e.g. GET, POST); "
                                             "methods match case-sensitively")
    authority = (string_match(raw.get("authority"), at(path, "authority"), err)
                 if raw.get("authority") is not None else None)
    return method, authority


def route_http(raw: Mapping[str, Any], path: str, err: Err) -> dict[str, Any]:
    """corsPolicy, rewrite, redirect and headers of a route, checked, in Istio's shape."""
    out: dict[str, Any] = {}
    if raw.get("corsPolicy") is not None:
        out["corsPolicy"] = _cors(raw["corsPolicy"], at(path, "corsPolicy"), err)
    if raw.get("rewrite") is not None:
        out["rewrite"] = _rewrite(raw["rewrite"], at(path, "rewrite"), err)
    if raw.get("redirect") is not None:
        out["redirect"] = _redirect(raw, at(path, "redirect"), err)
    if raw.get("headers") is not None:
        out["headers"] = _headers(raw["headers"], at(path, "headers"), err)
    return out


def _cors(raw: Mapping[str, Any], path: str, err: Err) -> dict[str, Any]:
    out = plain_copy(dict(raw))
    origins = [string_match(o, at(path, "allowOrigins", i), err) for i, o in enumerate(raw.get("allowOrigins") or [])]
    out["allowOrigins"] = [o.values() for o in origins if o]
    if not out["allowOrigins"]:
        err(at(path, "allowOrigins"), "give the origins allowed (e.g. {exact: https://shop.example.com}); without "
                                      "them the proxy answers no CORS request")
    for key in ("allowMethods",):
        for i, m in enumerate(raw.get(key) or []):
            if m != "*" and not METHOD.match(str(m)):
                err(at(path, key, i), f"{m!r} is not an HTTP method in capitals (e.g. GET, POST) or '*'")
    for key in ("allowHeaders", "exposeHeaders"):
        for i, h in enumerate(raw.get(key) or []):
            if h != "*" and not TOKEN.match(str(h)):
                err(at(path, key, i), f"{h!r} is not an HTTP header name")
    duration(raw.get("maxAge"), at(path, "maxAge"), err)
    if raw.get("allowCredentials") and any(o.get("exact") == "*" for o in out["allowOrigins"]):
        err(at(path, "allowCredentials"), "browsers refuse credentials with the origin '*'; list the origins")
    return out


def _rewrite(raw: Mapping[str, Any], path: str, err: Err) -> dict[str, Any]:
    uri = raw.get("uri")
    if uri is not None and not str(uri).startswith("/"):
        err(at(path, "uri"), f"{uri!r} must start with '/'")
    authority = raw.get("authority")
    if authority is not None and not DNS_NAME.match(str(authority).split(":")[0]):
        err(at(path, "authority"), f"{authority!r} is not a host name (optionally with :port)")
    return dict(raw)


def _redirect(route: Mapping[str, Any], path: str, err: Err) -> dict[str, Any]:
    raw = route["redirect"]
    clash = [k for k in NOT_WITH_REDIRECT if route.get(k) is not None]
    if clash:
        err(path, f"not allowed with {', '.join(clash)}: a redirect answers the request itself, nothing is forwarded "
                  f"(drop {', '.join(clash)} or the redirect)")
    uri = raw.get("uri")
    if uri is not None and not str(uri).startswith("/"):
        err(at(path, "uri"), f"{uri!r} must start with '/'")
    authority = raw.get("authority")
    if authority is not None and not DNS_NAME.match(str(authority)):
        err(at(path, "authority"), f"{authority!r} is not a host name")
    return dict(raw)


def _headers(raw: Mapping[str, Any], path: str, err: Err) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for side in ("request", "response"):
        ops = raw.get(side)
        if not ops:
            continue
        for op in ("set", "add", "remove"):
            names = list(ops.get(op) or [])
            for name in names:
                where = at(path, side, op, name) if op != "remove" else at(path, side, op)
                low = str(name).lower()
                if not TOKEN.match(str(name)):
                    err(where, f"{name!r} is not an HTTP header name (pseudo-headers such as :path cannot be changed)")
                elif side == "request" and low == "host":
                    err(where, "the Host header is not changed here; use rewrite.authority")
        out[side] = plain_copy(dict(ops))
    return out


# ------------------------------------------------------------------------------------------------- load balancing


def traffic_policy_more(tp: dict[str, Any], service: Service, err: Err) -> dict[str, Any]:
    """The DestinationRule trafficPolicy with consistentHash checked and portLevelSettings ports as {number}."""
    base = "istio.trafficPolicy"
    _load_balancer(tp.get("loadBalancer"), at(base, "loadBalancer"), err)
    levels = tp.get("portLevelSettings")
    if levels is None:
        return tp
    out = dict(tp)
    seen: dict[int, int] = {}
    rendered = []
    for i, pl in enumerate(levels):
        where = at(base, "portLevelSettings", i)
        _load_balancer(pl.get("loadBalancer"), at(where, "loadBalancer"), err)
        number = _service_port_number(pl.get("port"), at(where, "port"), service, err)
        if number is not None and number in seen:
            err(at(where, "port"), f"port {number} is already set by portLevelSettings[{seen[number]}]")
        if number is not None:
            seen.setdefault(number, i)
        rendered.append({**plain_copy(dict(pl)), "port": {"number": number or 0}})
    out["portLevelSettings"] = rendered
    return out


def _load_balancer(lb: Any, path: str, err: Err) -> None:
    if not isinstance(lb, Mapping):
        return
    if lb.get("simple") is not None and lb.get("consistentHash") is not None:
        err(path, "set simple or consistentHash, not both (Istio's load balancer is one of them; an environment "
                  "switching sets the other to null)")
    keys = [k for k, v in (lb.get("consistentHash") or {}).items() if v is not None]
    if lb.get("consistentHash") is not None and len(keys) != 1:
        err(at(path, "consistentHash"), f"set exactly one hash key, got {', '.join(keys) or 'none'} (an environment "
                                        "switching keys sets the inherited one to null)")
    cookie = (lb.get("consistentHash") or {}).get("httpCookie")
    if isinstance(cookie, Mapping) and cookie.get("ttl") not in (None, "0s"):
        duration(cookie["ttl"], at(path, "consistentHash", "httpCookie", "ttl"), err)


def _service_port_number(value: Any, path: str, service: Service, err: Err) -> int | None:
    listing = ", ".join(f"{p.name}={p.port}" if p.name else str(p.port) for p in service.ports) or "none"
    for p in service.ports:
        if value in (p.port, p.name) and not isinstance(value, bool):
            return p.port
    err(path, f"the Service has no port {value!r}; its ports: {listing}")
    return None


# ------------------------------------------------------------------------------------------------- gateway


def passthrough(raw: Mapping[str, Any], gateway: Gateway, hosts: tuple[str, ...], service: Service,
                port: int | None, err: Err) -> Gateway:
    """PASSTHROUGH routes the TLS stream by its SNI to a Service port whose pods terminate TLS: the hosts are the
    SNI names; nothing is terminated at the Gateway. Returns the gateway with that port resolved."""
    target = ((raw.get("gateway") or {}).get("https") or {}).get("targetPort")
    if not gateway.https_enabled or gateway.tls_mode != "PASSTHROUGH":
        if target is not None:
            err("istio.gateway.https.targetPort", "only used with istio.gateway.https.mode PASSTHROUGH")
        return gateway
    controller = (raw.get("canary") or {}).get("controller") or "none"
    if controller != "none":
        err("istio.gateway.https.mode", f"PASSTHROUGH is not available with istio.canary.controller {controller}: "
                                        "its traffic routing does not shift the VirtualService's tls route")
    if not hosts:
        err("istio.hosts", "required with istio.gateway.https.mode PASSTHROUGH: the SNI names the Gateway passes "
                           "through to the pods")
    elif "*" in hosts:
        err("istio.hosts", "'*' is no SNI name; PASSTHROUGH routes by the names in istio.hosts")
    if target is not None:
        port = _service_port_number(target, "istio.gateway.https.targetPort", service, err)
    return replace(gateway, passthrough_port=port)


# ------------------------------------------------------------------------------------------------- egress


def service_entries(raw: Mapping[str, Any], err: Err) -> tuple[ServiceEntry, ...]:
    out = []
    names: dict[str, int] = {}
    for i, e in enumerate(raw.get("serviceEntries") or []):
        path = at("istio.serviceEntries", i)
        name = str(e.get("name"))
        if name in names:
            err(at(path, "name"), f"{name!r} is also the name of istio.serviceEntries[{names[name]}]")
        names.setdefault(name, i)
        out.append(_service_entry(e, path, err))
    return tuple(out)


def _service_entry(e: Mapping[str, Any], path: str, err: Err) -> ServiceEntry:
    hosts = tuple(str(h) for h in e.get("hosts") or ())
    resolution = str(e.get("resolution") or "DNS")
    for i, h in enumerate(hosts):
        if not DNS_NAME.match(h) or len(h) > 253:
            err(at(path, "hosts", i), f"{h!r} is not a DNS name (optionally starting with '*.')")
        elif h.startswith("*") and resolution != "NONE":
            err(at(path, "hosts", i), f"{h!r}: a wildcard cannot be resolved by {resolution}; use resolution NONE")
    ports = []
    numbers: dict[int, int] = {}
    for i, p in enumerate(e.get("ports") or []):
        number = int(p["number"])
        if number in numbers:
            err(at(path, "ports", i, "number"), f"port {number} is also istio.serviceEntries ports[{numbers[number]}]")
        numbers.setdefault(number, i)
        ports.append({"number": number, "name": p.get("name") or f"{str(p['protocol']).lower()}-{number}",
                      "protocol": p["protocol"], **({"targetPort": p["targetPort"]} if p.get("targetPort") else {})})
    raw_tls = e.get("tls")
    tls = _origination(raw_tls, at(path, "tls"), hosts, ports, err) if raw_tls is not None else None
    return ServiceEntry(str(e.get("name")), hosts, tuple(ports), resolution, tls)


def _origination(raw: Mapping[str, Any], path: str, hosts: tuple[str, ...], ports: list[dict[str, Any]],
                 err: Err) -> dict[str, Any]:
    mode = str(raw.get("mode") or "SIMPLE")
    if len(hosts) != 1:
        err(path, "TLS origination names one host (the DestinationRule's host and the SNI); split the entry")
    elif hosts[0].startswith("*"):
        err(path, "TLS origination needs a host name, not a wildcard")
    port = next((p for p in ports if p["number"] == raw.get("port")), None)
    if port is None:
        err(at(path, "port"), f"{raw.get('port')!r} is not one of the entry's ports "
                              f"({', '.join(str(p['number']) for p in ports)})")
    elif port["protocol"] not in HTTP_PORT_PROTOCOLS:
        err(at(path, "port"), f"port {port['number']} is {port['protocol']}; TLS origination needs a plain HTTP "
                              "port (the application speaks HTTP, the sidecar adds TLS; e.g. number 80, protocol "
                              "HTTP, targetPort 443)")
    if mode == "MUTUAL" and not raw.get("credentialName"):
        err(at(path, "credentialName"), "required with mode MUTUAL: a Secret with tls.crt, tls.key and ca.crt")
    out = {"port": raw.get("port"), "mode": mode, "sni": raw.get("sni") or (hosts[0] if hosts else "")}
    out.update({k: raw[k] for k in ("credentialName", "caCertificates") if raw.get(k)})
    return out


def sidecar(raw: Mapping[str, Any], err: Err) -> Sidecar:
    s = raw.get("sidecar") or {}
    hosts = tuple(str(h) for h in s.get("egressHosts") or ())
    for i, h in enumerate(hosts):
        ns, _, name = h.partition("/")
        if not name or not (ns in (".", "*", "~") or re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ns)) \
                or not (name == "*" or DNS_NAME.match(name)):
            err(at("istio.sidecar.egressHosts", i), f"{h!r} is not namespace/dnsName (e.g. orders/*, "
                                                     "payments/api.payments.svc.cluster.local)")
    return Sidecar(bool(s.get("enabled")), hosts)
