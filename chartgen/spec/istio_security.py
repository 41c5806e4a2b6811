"""The security settings of `istio:` (AuthorizationPolicy, RequestAuthentication): the checks a schema cannot make.

istio_spec.py calls :func:`parse_security` once per layer with the merged raw `istio` mapping; errors go to its
`err(path, message)`. What is refused here, Istio or chartgen's own check would refuse or warn about:

* an enabled AuthorizationPolicy with neither principals nor rules (an ALLOW policy without rules denies all);
* principals with action DENY (principals are the ALLOW list; a DENY policy takes rules);
* a DENY rule matching on paths or methods without ports (Istio then applies it to every TCP connection:
  CG-MESH-021);
* RequestAuthentication without jwtRules, or on a Service without an HTTP port whose targetPort is a number (the
  require-jwt policy is a DENY on those ports: a request to them without a valid token is refused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chartgen.spec.istio_settings import Authorization, RequestAuth
from chartgen.spec.service import Service

Err = Callable[[str, str], None]
HTTP_PROTOCOLS = ("http", "http2", "h2c", "grpc", "grpc-web", "kubernetes.io/h2c")
AZ = "istio.authorizationPolicy"
RA = "istio.requestAuthentication"


def parse_security(raw: Mapping[str, Any], service: Service, err: Err) -> tuple[Authorization, RequestAuth]:
    return _authorization(raw.get("authorizationPolicy") or {}, err), \
        _request_auth(raw.get("requestAuthentication") or {}, service, err)


def _authorization(az: Mapping[str, Any], err: Err) -> Authorization:
    principals = tuple(str(p) for p in az.get("principals") or ())
    for i, p in enumerate(principals):
        if not p or " " in p:
            err(f"{AZ}.principals[{i}]", f"{p!r} is not a principal (e.g. cluster.local/ns/frontend/sa/web)")
    action = str(az.get("action") or "ALLOW")
    rules = tuple(dict(r) for r in az.get("rules") or ())
    if action == "DENY" and principals:
        err(f"{AZ}.principals", "not allowed with action DENY (principals are the ALLOW list); give the callers "
                                "to refuse in rules[].principals")
    if action == "DENY":
        for i, r in enumerate(rules):
            if (r.get("paths") or r.get("methods")) and not r.get("ports"):
                err(f"{AZ}.rules[{i}].ports", "a DENY rule on paths or methods needs the ports it applies to "
                                              "(on TCP ports Istio drops HTTP fields and would deny every connection)")
    if az.get("enabled") and not principals and not rules:
        err(f"{AZ}.principals", "give the principals allowed in, or rules (an ALLOW policy without rules would "
                                "deny every request)")
    if az.get("enabled", True) is False:
        return Authorization(action=action)
    return Authorization(principals, action, rules)


def http_target_ports(service: Service) -> tuple[int, ...]:
    """The workload ports behind the Service's HTTP ports (by name prefix or appProtocol), numeric targetPorts only."""
    out: list[int] = []
    for p in service.ports:
        http = (p.name or "").split("-")[0] in HTTP_PROTOCOLS or (p.app_protocol or "") in HTTP_PROTOCOLS
        if http and isinstance(p.target_port, int) and p.target_port not in out:
            out.append(p.target_port)
    return tuple(out)


def _request_auth(ra: Mapping[str, Any], service: Service, err: Err) -> RequestAuth:
    if not ra.get("enabled"):
        return RequestAuth()
    rules = tuple(dict(r) for r in ra.get("jwtRules") or ())
    if not rules:
        err(f"{RA}.jwtRules", "give at least one issuer, e.g. [{issuer: https://auth.example.com, jwksUri: "
                              "https://auth.example.com/.well-known/jwks.json}]")
    issuers = [r.get("issuer") for r in rules]
    for i, issuer in enumerate(issuers):
        if issuer in issuers[:i]:
            err(f"{RA}.jwtRules[{i}].issuer", f"{issuer!r} is listed twice; each issuer once")
    ports = http_target_ports(service)
    if not ports:
        err(f"{RA}.enabled", "the Service has no HTTP port (name http-* or appProtocol http) with a numeric "
                             "targetPort to require the token on")
    return RequestAuth(rules, tuple(str(p) for p in ra.get("paths") or ()), ports)
