"""Short text for what a route rule or a workload says: matches, retries, timeouts, rewrites, filters, replicas."""

from __future__ import annotations

from typing import Any

from chartgen.check.helpers import as_dict, as_list
from chartgen.check.model import PodTemplate


def percent(weight: int, total: int) -> str:
    """A Gateway API weight as the share of its rule's traffic (weights are relative)."""
    if total <= 0:
        return "0%"
    share = 100 * weight / total
    return f"{share:.0f}%" if share == int(share) else f"{share:.1f}%"


def _string_match(m: dict[str, Any]) -> str:
    for op in ("exact", "prefix", "regex"):
        if op in m:
            return f"{op} {m[op]}"
    return "any"


def _istio_match(m: dict[str, Any]) -> str:
    parts = []
    for key in ("uri", "authority", "method", "scheme"):
        if isinstance(m.get(key), dict):
            parts.append(f"{key} {_string_match(m[key])}")
    for key in ("headers", "queryParams"):
        for name, value in as_dict(m.get(key)).items():
            parts.append(f"{key[:-1] if key == 'headers' else 'query'} {name} {_string_match(as_dict(value))}")
    if m.get("port"):
        parts.append(f"port {m['port']}")
    if m.get("sniHosts"):
        parts.append("sni " + " ".join(map(str, as_list(m["sniHosts"]))))
    return ", ".join(parts) or "any"


def istio_rule_details(rule: dict[str, Any]) -> tuple[str, ...]:
    """One VirtualService http/tls/tcp rule: matches, timeout, retries, rewrite, redirect, headers, CORS, faults."""
    out = [f"match {_istio_match(as_dict(m))}" for m in as_list(rule.get("match"))] or ["match any"]
    if rule.get("timeout"):
        out.append(f"timeout {rule['timeout']}")
    retries = as_dict(rule.get("retries"))
    if retries:
        out.append(f"retries {retries.get('attempts', '?')}" +
                   (f" x {retries['perTryTimeout']}" if retries.get("perTryTimeout") else "") +
                   (f" on {retries['retryOn']}" if retries.get("retryOn") else ""))
    rewrite = as_dict(rule.get("rewrite"))
    if rewrite:
        out.append("rewrite " + ", ".join(f"{k} {v}" for k, v in rewrite.items()))
    redirect = as_dict(rule.get("redirect"))
    if redirect:
        out.append("redirect " + ", ".join(f"{k} {v}" for k, v in redirect.items()))
    headers = as_dict(rule.get("headers"))
    for side in ("request", "response"):
        ops = as_dict(headers.get(side))
        if ops:
            out.append(f"{side} headers " + ", ".join(f"{op} {', '.join(map(str, as_dict(v) or as_list(v)))}"
                                                      for op, v in ops.items()))
    if rule.get("corsPolicy"):
        origins = [_string_match(as_dict(o)) for o in as_list(as_dict(rule["corsPolicy"]).get("allowOrigins"))]
        out.append("CORS " + (", ".join(origins) or "policy"))
    if rule.get("fault"):
        out.append("fault injection " + ", ".join(as_dict(rule["fault"])))
    return tuple(out)


def _api_match(m: dict[str, Any]) -> str:
    parts = []
    path = as_dict(m.get("path"))
    if path:
        parts.append(f"path {path.get('type', 'PathPrefix')} {path.get('value', '/')}")
    method = m.get("method")
    if isinstance(method, dict):  # GRPCRoute: service and method
        parts.append(f"method {method.get('service', '*')}/{method.get('method', '*')}")
    elif method:
        parts.append(f"method {method}")
    for key, word in (("headers", "header"), ("queryParams", "query")):
        for h in as_list(m.get(key)):
            h = as_dict(h)
            parts.append(f"{word} {h.get('name')} {h.get('type', 'Exact')} {h.get('value')}")
    return ", ".join(parts) or "any"


def gateway_api_rule_details(rule: dict[str, Any]) -> tuple[str, ...]:
    """One HTTPRoute/GRPCRoute rule: matches, filters, timeouts, retries."""
    out = [f"match {_api_match(as_dict(m))}" for m in as_list(rule.get("matches"))] or ["match any"]
    for f in as_list(rule.get("filters")):
        out.append(f"filter {as_dict(f).get('type', '?')}")
    timeouts = as_dict(rule.get("timeouts"))
    for key in ("request", "backendRequest"):
        if timeouts.get(key):
            out.append(f"timeout {key} {timeouts[key]}")
    retry = as_dict(rule.get("retry"))
    if retry:
        out.append(f"retries {retry.get('attempts', '?')}" +
                   (f" on {', '.join(map(str, as_list(retry.get('codes'))))}" if retry.get("codes") else ""))
    return tuple(out)


def ingress_rule_title(ingress: str, host: Any, path: dict[str, Any]) -> str:
    return f"Ingress {ingress} {host or '*'}{path.get('path', '/')} ({path.get('pathType', 'Prefix')})"


def workload_details(pt: PodTemplate) -> tuple[str, ...]:
    spec = as_dict(pt.owner.obj.get("spec"))
    out = []
    if "replicas" in spec:
        out.append(f"replicas {spec['replicas']}")
    for key in ("version", "app.kubernetes.io/version"):
        if key in pt.labels:
            out.append(f"{key}={pt.labels[key]}")
    images = [str(c.get("image", "")) for c in pt.containers]
    out.extend(f"image {i}" for i in images if i)
    return tuple(out)
