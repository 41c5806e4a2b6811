"""What Istio's admission validation (istio pkg/config/validation: validateHTTPRoute, validateHTTPRetry,
validateHTTPRedirect/Rewrite/DirectResponse/FaultInjection, ValidateDuration, validateTrafficPolicy) rejects field by
field in VirtualServices and DestinationRules - CG-MESH-025..027."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import ISTIO_NETWORKING, as_dict, as_int, as_list, spec_of
from chartgen.check.mesh import DNS1123_LABEL
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.rules.istio_mesh import duration_seconds

LAYER = "istio"
Problem = tuple[str, str]  # (field path, what Istio says)

_VS_HEAD = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
"""


def _routes(vs: Document) -> list[tuple[str, dict[str, Any]]]:
    return [(f"spec.http[{i}]", as_dict(r)) for i, r in enumerate(as_list(spec_of(vs).get("http")))]


def _conflicts(r: dict[str, Any], where: str, delegate_vs: bool) -> Iterator[Problem]:
    has = {k: r.get(k) is not None for k in ("route", "redirect", "directResponse", "fault", "rewrite", "delegate",
                                             "mirror", "mirrors")}
    if has["delegate"] and (has["redirect"] or has["route"]):
        yield where, "a root HTTP route with delegate must not specify route or redirect"
    if delegate_vs and has["delegate"]:
        yield f"{where}.delegate", "a delegate HTTP route cannot contain delegate"
    for action in ("redirect", "directResponse"):
        if has[action]:
            for other in ("fault", "rewrite"):
                if has[other]:
                    yield where, f"HTTP route cannot contain both {other} and {action}"
    if has["mirror"] and as_list(r.get("mirrors")):
        yield where, "HTTP route cannot contain both mirror and mirrors"


def _string_match(m: Any, where: str, allow_empty_prefix: bool = False) -> Iterator[Problem]:
    m = as_dict(m)
    if "prefix" in m and m["prefix"] in ("", None) and not allow_empty_prefix:
        yield f"{where}.prefix", "prefix string match should not be empty"
    if "regex" in m and m["regex"] in ("", None):
        yield f"{where}.regex", "regex string match should not be empty"


def _matches(r: dict[str, Any], where: str) -> Iterator[Problem]:
    for mi, m in enumerate(as_list(r.get("match"))):
        m, mw = as_dict(m), f"{where}.match[{mi}]"
        for key in ("headers", "withoutHeaders"):
            for name, sm in as_dict(m.get(key)).items():
                if key == "withoutHeaders" and as_dict(sm).get("regex") == "*":
                    continue
                yield from _string_match(sm, f"{mw}.{key}.{name}")
        yield from _string_match(m.get("uri"), f"{mw}.uri", allow_empty_prefix=True)
        for key in ("scheme", "method", "authority"):
            yield from _string_match(m.get(key), f"{mw}.{key}")
        for name, sm in as_dict(m.get("queryParams")).items():
            yield from _string_match(sm, f"{mw}.queryParams.{name}")
        port = m.get("port")
        if port is not None and not 1 <= (as_int(port) or 0) <= 65535:
            yield f"{mw}.port", f"port {port!r} is not in 1-65535"
        ns = m.get("sourceNamespace")
        if ns and not DNS1123_LABEL.match(str(ns)):
            yield f"{mw}.sourceNamespace", f"sourceNamespace match {ns} is invalid"


def _percent(value: Any, where: str) -> Iterator[Problem]:
    v = as_dict(value).get("value")
    if isinstance(v, (int, float)) and not isinstance(v, bool) and not 0 <= v <= 100:
        yield where, f"percentage {v} is not in 0-100"


def _actions(r: dict[str, Any], where: str) -> Iterator[Problem]:
    redirect = r.get("redirect")
    if redirect is not None:
        rd = as_dict(redirect)
        if not any(rd.get(k) for k in ("uri", "authority", "scheme", "port", "derivePort")):
            yield f"{where}.redirect", "redirect must specify URI, authority, scheme, or port"
        code = as_int(rd.get("redirectCode"))
        if rd.get("redirectCode") is not None and (code is None or (code != 0 and not 300 <= code <= 399)):
            yield f"{where}.redirect.redirectCode", f"{rd['redirectCode']} is not a valid redirect code, must be 3xx"
        if rd.get("scheme") not in (None, "", "http", "https"):
            yield f"{where}.redirect.scheme", 'invalid redirect scheme, must be "http" or "https"'
    rewrite = r.get("rewrite")
    if rewrite is not None:
        rw = as_dict(rewrite)
        if rw.get("uri") and rw.get("uriRegexRewrite") is not None:
            yield f"{where}.rewrite", "rewrite may only contain one of URI or UriRegexRewrite"
        if not rw.get("uri") and rw.get("uriRegexRewrite") is None and not rw.get("authority"):
            yield f"{where}.rewrite", "rewrite must specify at least one of URI, UriRegexRewrite, or authority"
        rr = rw.get("uriRegexRewrite")
        if rr is not None and (not as_dict(rr).get("match") or not as_dict(rr).get("rewrite")):
            yield f"{where}.rewrite.uriRegexRewrite", "UriRegexRewrite requires both rewrite and match"
    direct = r.get("directResponse")
    if direct is not None:
        raw = as_dict(direct).get("status")
        status = as_int(raw)
        if status is None or not 200 <= status <= 599:
            yield f"{where}.directResponse.status", f"HTTP status {raw} is not in range 200-599"
    yield from _fault(r.get("fault"), f"{where}.fault")
    for i, m in enumerate(as_list(r.get("mirrors"))):
        yield from _percent(as_dict(m).get("percentage"), f"{where}.mirrors[{i}].percentage")


def _fault(fault: Any, where: str) -> Iterator[Problem]:
    if fault is None:
        return
    f = as_dict(fault)
    if f.get("abort") is None and f.get("delay") is None:
        yield where, "HTTP fault injection must have an abort and/or a delay"
    abort = f.get("abort")
    if abort is not None:
        a = as_dict(abort)
        yield from _percent(a.get("percentage"), f"{where}.abort.percentage")
        if "httpStatus" in a:
            status = as_int(a.get("httpStatus"))
            if status is None or not 200 <= status <= 600:
                yield f"{where}.abort.httpStatus", f"HTTP status {a.get('httpStatus')} is not in range 200-599"
        if "http2Error" in a:
            yield f"{where}.abort.http2Error", "HTTP/2 abort fault injection not supported yet"
    delay = f.get("delay")
    if delay is not None:
        yield from _percent(as_dict(delay).get("percentage"), f"{where}.delay.percentage")
        if "exponentialDelay" in as_dict(delay):
            yield f"{where}.delay.exponentialDelay", "exponentialDelay not supported yet"


def _retries(r: dict[str, Any], where: str) -> Iterator[Problem]:
    retries = r.get("retries")
    if retries is None:
        return
    rt = as_dict(retries)
    attempts = as_int(rt.get("attempts")) or 0
    if attempts < 0:
        yield f"{where}.retries.attempts", "attempts cannot be negative"
    if attempts == 0 and any(rt.get(k) not in (None, "") for k in ("perTryTimeout", "retryOn",
                                                                   "retryRemoteLocalities")):
        yield f"{where}.retries", "http retry policy configured when attempts are set to 0 (disabled)"


@rule("CG-MESH-025", Severity.ERROR, "VirtualService HTTP route rejected by Istio validation (conflicting actions, "
      "redirect/rewrite/directResponse/fault fields, empty matches, retries with 0 attempts)", LAYER,
      why="validateHTTPRoute rejects a route combining redirect or directResponse with fault or rewrite, mirror "
          "with mirrors, a redirect without uri/authority/scheme/port or with a non-3xx code, a rewrite without "
          "uri/authority, a directResponse or abort status outside 200-599, a fault without abort or delay, "
          "percentages outside 0-100, empty prefix/regex matches, a match port outside 1-65535, and a retry policy "
          "whose attempts are 0 (retries disabled) but which sets perTryTimeout or retryOn.",
      fix="fix the field the finding names (see Istio's VirtualService reference)",
      example=_VS_HEAD + """\
  - retries: {attempts: 0, perTryTimeout: 2s}
    route: [{destination: {host: web}}]
""")
def http_route_fields(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        delegate_vs = not as_list(spec_of(vs).get("hosts"))
        for where, r in _routes(vs):
            for field, message in (*_conflicts(r, where, delegate_vs), *_matches(r, where), *_actions(r, where),
                                   *_retries(r, where)):
                yield finding("CG-MESH-025", vs, f"VirtualService {vs.name}: {field}: {message} (IST0106)",
                              field=field)


def _durations(doc: Document) -> Iterator[tuple[str, Any]]:
    spec = spec_of(doc)
    if doc.kind == "VirtualService":
        for where, r in _routes(doc):
            yield f"{where}.timeout", r.get("timeout")
            rt = as_dict(r.get("retries"))
            yield f"{where}.retries.perTryTimeout", rt.get("perTryTimeout")
            yield f"{where}.retries.backoff", rt.get("backoff")
            yield f"{where}.fault.delay.fixedDelay", as_dict(as_dict(r.get("fault")).get("delay")).get("fixedDelay")
        return
    for where, policy in _policies(spec):
        pool = as_dict(policy.get("connectionPool"))
        yield f"{where}.connectionPool.tcp.connectTimeout", as_dict(pool.get("tcp")).get("connectTimeout")
        yield f"{where}.connectionPool.http.idleTimeout", as_dict(pool.get("http")).get("idleTimeout")
        od = as_dict(policy.get("outlierDetection"))
        yield f"{where}.outlierDetection.interval", od.get("interval")
        yield f"{where}.outlierDetection.baseEjectionTime", od.get("baseEjectionTime")


@rule("CG-MESH-026", Severity.ERROR, "Istio duration is not a duration of at least 1ms (timeouts, perTryTimeout, "
      "connectTimeout, outlier intervals)", LAYER,
      why="The Istio CRDs' CEL rule `duration(self) >= duration('1ms')` and ValidateDuration reject a timeout that is "
          "not a duration (a bare number such as 30, or 30sec), one shorter than 1ms (0s), and one finer than a "
          "millisecond.",
      fix="write durations with a unit, at least 1ms and in whole milliseconds: 500ms, 2s, 1m",
      example=_VS_HEAD + """\
  - timeout: '30'
    route: [{destination: {host: web}}]
""")
def istio_durations(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in [*index.kind("VirtualService", ISTIO_NETWORKING), *index.kind("DestinationRule", ISTIO_NETWORKING)]:
        for field, value in _durations(doc):
            if value is None:
                continue
            seconds = duration_seconds(value)
            if seconds is None:
                why = f"{value!r} is not a duration (a number with a unit: ms, s, m, h)"
            elif seconds < 1e-3 - 1e-12:
                why = f"{value!r} is shorter than 1ms"
            elif abs(seconds * 1000 - round(seconds * 1000)) > 1e-6:
                why = f"{value!r} is finer than a millisecond (only ms precision is supported)"
            else:
                continue
            yield finding("CG-MESH-026", doc, f"{doc.kind} {doc.name}: {field}: {why} (IST0106)", field=field)


def _policies(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    tp = spec.get("trafficPolicy")
    if tp is not None:
        yield "spec.trafficPolicy", as_dict(tp)
        for i, pl in enumerate(as_list(as_dict(tp).get("portLevelSettings"))):
            yield f"spec.trafficPolicy.portLevelSettings[{i}]", as_dict(pl)
    for i, s in enumerate(as_list(spec.get("subsets"))):
        stp = as_dict(s).get("trafficPolicy")
        if stp is not None:
            yield f"spec.subsets[{i}].trafficPolicy", as_dict(stp)


_POLICY_FIELDS = ("loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings", "proxyProtocol",
                  "tunnel", "port")
_NON_NEGATIVE = (("tcp", "maxConnections"), ("http", "http1MaxPendingRequests"), ("http", "http2MaxRequests"),
                 ("http", "maxRequestsPerConnection"), ("http", "maxRetries"))
_HASH_KEYS = ("httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName")


def _policy_problems(policy: dict[str, Any], where: str) -> Iterator[Problem]:
    if ".portLevelSettings[" not in where and not any(policy.get(k) is not None for k in _POLICY_FIELDS):
        yield where, "traffic policy must have at least one field"
    pool = as_dict(policy.get("connectionPool"))
    for section, key in _NON_NEGATIVE:
        v = as_int(as_dict(pool.get(section)).get(key))
        if v is not None and v < 0:
            yield f"{where}.connectionPool.{section}.{key}", f"{key} must be non-negative"
    od = as_dict(policy.get("outlierDetection"))
    for key in ("maxEjectionPercent", "minHealthPercent"):
        v = as_int(od.get(key))
        if v is not None and not 0 <= v <= 100:
            yield f"{where}.outlierDetection.{key}", f"{key} {v} is not in 0-100"
    ch = as_dict(as_dict(policy.get("loadBalancer")).get("consistentHash"))
    if sum(1 for k in _HASH_KEYS if ch.get(k) is not None) > 1:
        yield f"{where}.loadBalancer.consistentHash", f"consistentHash takes one of {', '.join(_HASH_KEYS)}"
    locality = as_dict(as_dict(policy.get("loadBalancer")).get("localityLbSetting"))
    if as_list(locality.get("distribute")) and as_list(locality.get("failover")):
        yield f"{where}.loadBalancer.localityLbSetting", "can not simultaneously specify 'distribute' and 'failover'"
    for i, d in enumerate(as_list(locality.get("distribute"))):
        weights = [as_int(w) for w in as_dict(as_dict(d).get("to")).values()]
        if weights and (None in weights or sum(w or 0 for w in weights) != 100 or 0 in weights):
            yield f"{where}.loadBalancer.localityLbSetting.distribute[{i}].to", \
                "locality weights must be in 1-100 and total 100"


@rule("CG-MESH-027", Severity.ERROR, "DestinationRule traffic policy rejected by Istio validation (empty policy, "
      "negative pool sizes, percentages, several consistent hash keys, locality weights)", LAYER,
      why="validateTrafficPolicy rejects an empty trafficPolicy, negative connection pool limits, outlier "
          "percentages outside 0-100, a consistentHash with several hash keys (a oneof), locality distribute together "
          "with failover, and distribute weights that do not total 100.",
      fix="fix the field the finding names (see Istio's DestinationRule reference)",
      example="""\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy:
    connectionPool: {tcp: {maxConnections: -1}}
""")
def traffic_policy(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for dr in index.kind("DestinationRule", ISTIO_NETWORKING):
        for where, policy in _policies(spec_of(dr)):
            for field, message in _policy_problems(policy, where):
                yield finding("CG-MESH-027", dr, f"DestinationRule {dr.name}: {field}: {message} (IST0106)",
                              field=field)
