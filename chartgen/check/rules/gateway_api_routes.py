"""Gateway API routes (HTTPRoute, GRPCRoute): what the standard channel's CRD CEL rules and the Gateway API
validation (kubernetes-sigs/gateway-api apis/v1/validation/httproute.go, common.go) reject, as rules of our own so
they apply without the Gateway API CRDs - CG-GW-001..009."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.gatewayapi import HOSTNAME, FilterList, duration_ms, filter_lists, route_rules, routes
from chartgen.check.helpers import as_dict, as_list, spec_of
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "api"

# filter type -> the field it carries (HTTPRoute; GRPCRoute accepts the first three and ExtensionRef)
FILTER_FIELDS = {
    "RequestHeaderModifier": "requestHeaderModifier",
    "ResponseHeaderModifier": "responseHeaderModifier",
    "RequestMirror": "requestMirror",
    "RequestRedirect": "requestRedirect",
    "URLRewrite": "urlRewrite",
    "ExtensionRef": "extensionRef",
    "CORS": "cors",
    "ExternalAuth": "externalAuth",
}
GRPC_FILTERS = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef")
REPEATABLE = ("ExtensionRef", "RequestMirror")
PATH_MODIFIER_FIELDS = {"ReplaceFullPath": "replaceFullPath", "ReplacePrefixMatch": "replacePrefixMatch"}
_HTTP_ROUTES = ("HTTPRoute",)
_FILTERED_ROUTES = ("HTTPRoute", "GRPCRoute")

_ROUTE_EXAMPLE_HEAD = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
"""


def _allowed_filters(kind: str) -> tuple[str, ...]:
    return GRPC_FILTERS if kind == "GRPCRoute" else tuple(FILTER_FIELDS)


@rule("CG-GW-001", Severity.ERROR, "Route filter type and its settings disagree (Gateway API CEL)", LAYER,
      why="The HTTPRoute/GRPCRoute CRD's CEL rules reject a filter whose settings field is not the one its type names "
          "(e.g. type RequestRedirect with urlRewrite), a type the route kind does not have, a path modifier "
          "whose type does not match replaceFullPath/replacePrefixMatch, and a mirror backendRef to a Service "
          "without port: the API server refuses the route.",
      fix="set type to the filter you configure and give only that filter's field",
      example=_ROUTE_EXAMPLE_HEAD + """\
  rules:
  - filters:
    - type: URLRewrite
      requestRedirect: {hostname: example.com}
    backendRefs: [{name: web, port: 80}]
""")
def filter_type_fields(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, _FILTERED_ROUTES):
        allowed = _allowed_filters(route.kind)
        for fl in filter_lists(route):
            for i, f in enumerate(fl.filters):
                yield from _one_filter(route, f, f"{fl.field}[{i}]", allowed)


def _one_filter(route: Document, f: dict[str, Any], where: str, allowed: tuple[str, ...]) -> Iterator[Finding]:
    ftype = str(f.get("type", ""))
    if ftype not in allowed:
        yield finding("CG-GW-001", route, f"{route.kind} {route.name}: {where}.type {ftype or '(none)'!r} is not a "
                      f"{route.kind} filter (allowed: {', '.join(allowed)})", field=f"{where}.type")
        return
    for other, key in FILTER_FIELDS.items():
        if other != ftype and key in f:
            yield finding("CG-GW-001", route, f"{route.kind} {route.name}: {where}.{key} must not be set when the "
                          f"filter type is {ftype} (CEL: filter.{key} must be nil if the filter.type is not {other})",
                          field=f"{where}.{key}")
    if FILTER_FIELDS[ftype] not in f and ftype not in ("CORS", "ExternalAuth"):
        yield finding("CG-GW-001", route, f"{route.kind} {route.name}: filter type {ftype} needs "
                      f"{where}.{FILTER_FIELDS[ftype]} (CEL: filter.{FILTER_FIELDS[ftype]} must be specified for "
                      f"{ftype} filter.type)", field=where)
    for key in ("requestRedirect", "urlRewrite"):
        path = as_dict(as_dict(f.get(key)).get("path"))
        if path:
            yield from _path_modifier(route, path, f"{where}.{key}.path")
    mirror = as_dict(as_dict(f.get("requestMirror")).get("backendRef"))
    if mirror and str(mirror.get("kind", "Service")) == "Service" and str(mirror.get("group", "")) in ("", "core") \
            and mirror.get("port") is None:
        yield finding("CG-GW-001", route, f"{route.kind} {route.name}: {where}.requestMirror.backendRef to Service "
                      f"{mirror.get('name')!r} has no port (CEL: Must have port for Service reference)",
                      field=f"{where}.requestMirror.backendRef")


def _path_modifier(route: Document, path: dict[str, Any], where: str) -> Iterator[Finding]:
    ptype = str(path.get("type", ""))
    if ptype not in PATH_MODIFIER_FIELDS:
        yield finding("CG-GW-001", route, f"{route.kind} {route.name}: {where}.type {ptype or '(none)'!r} is not "
                      "ReplaceFullPath or ReplacePrefixMatch", field=f"{where}.type")
        return
    for other, key in PATH_MODIFIER_FIELDS.items():
        if other != ptype and key in path:
            yield finding("CG-GW-001", route, f"{route.kind} {route.name}: {where}.{key} is set but type is {ptype} "
                          f"(CEL: type must be '{other}' when {key} is set)", field=f"{where}.{key}")
    if PATH_MODIFIER_FIELDS[ptype] not in path:
        yield finding("CG-GW-001", route, f"{route.kind} {route.name}: {where}: type {ptype} needs "
                      f"{PATH_MODIFIER_FIELDS[ptype]} (CEL: {PATH_MODIFIER_FIELDS[ptype]} must be specified when type "
                      f"is set to '{ptype}')", field=where)


@rule("CG-GW-002", Severity.ERROR, "Route filters that exclude each other or repeat (Gateway API CEL)", LAYER,
      why="The CRD's CEL rules reject a rule with both RequestRedirect and URLRewrite, a RequestRedirect together "
          "with backendRefs, and a filter type other than RequestMirror/ExtensionRef given twice in one list.",
      fix="keep one redirect or rewrite per rule, drop backendRefs from a redirecting rule, merge repeated filters",
      example=_ROUTE_EXAMPLE_HEAD + """\
  rules:
  - filters:
    - type: RequestRedirect
      requestRedirect: {scheme: https, statusCode: 301}
    backendRefs: [{name: web, port: 80}]
""")
def exclusive_filters(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, _FILTERED_ROUTES):
        for fl in filter_lists(route):
            yield from _exclusive(route, fl)


def _exclusive(route: Document, fl: FilterList) -> Iterator[Finding]:
    types = [str(f.get("type", "")) for f in fl.filters]
    label = f"{route.kind} {route.name}: {fl.field}"
    if "RequestRedirect" in types and "URLRewrite" in types:
        yield finding("CG-GW-002", route, f"{label} has both RequestRedirect and URLRewrite (CEL: may specify either "
                      "httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both)", field=fl.field)
    for t in sorted(set(types)):
        if t and t not in REPEATABLE and types.count(t) > 1:
            yield finding("CG-GW-002", route, f"{label} has {types.count(t)} {t} filters (CEL: {t} filter cannot be "
                          "repeated)", field=fl.field, hint=f"merge the {t} filters into one")
    if fl.field.endswith("].filters") and ".backendRefs[" not in fl.field and "RequestRedirect" in types \
            and as_list(fl.rule.get("backendRefs")):
        yield finding("CG-GW-002", route, f"{label}: a RequestRedirect filter cannot be used together with "
                      "backendRefs (CEL: RequestRedirect filter must not be used together with backendRefs)",
                      field=fl.field.rsplit(".", 1)[0] + ".backendRefs")


def _exactly_one_prefix_match(r: dict[str, Any]) -> bool:
    if "matches" not in r:
        return True  # the default match is PathPrefix /
    matches = as_list(r.get("matches"))
    if len(matches) != 1:
        return False
    return str(as_dict(as_dict(matches[0]).get("path")).get("type", "PathPrefix")) == "PathPrefix"


@rule("CG-GW-003", Severity.ERROR, "replacePrefixMatch needs exactly one PathPrefix match (Gateway API CEL)", LAYER,
      why="A RequestRedirect or URLRewrite with path.replacePrefixMatch rewrites the matched prefix; the HTTPRoute CRD "
          "rejects a rule that does not have exactly one match, of type PathPrefix.",
      fix="give the rule a single PathPrefix match, or use ReplaceFullPath",
      example=_ROUTE_EXAMPLE_HEAD + """\
  rules:
  - matches: [{path: {type: Exact, value: /old}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}
    backendRefs: [{name: web, port: 80}]
""")
def prefix_rewrite_match(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, _HTTP_ROUTES):
        for ri, r in route_rules(route):
            for fi, f in enumerate(as_list(r.get("filters"))):
                f = as_dict(f)
                for key in ("requestRedirect", "urlRewrite"):
                    path = as_dict(as_dict(f.get(key)).get("path"))
                    if path.get("type") == "ReplacePrefixMatch" and "replacePrefixMatch" in path \
                            and not _exactly_one_prefix_match(r):
                        yield finding("CG-GW-003", route, f"HTTPRoute {route.name}: rules[{ri}] uses "
                                      f"{key}.path.replacePrefixMatch but does not have exactly one PathPrefix match",
                                      field=f"spec.rules[{ri}].filters[{fi}].{key}.path")


_PATH_CHARS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$")
_BAD_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F", "#")
_BAD_SUFFIXES = ("/..", "/.")
PATH_TYPES = ("Exact", "PathPrefix", "RegularExpression")


def path_value_errors(value: str) -> list[str]:
    """Why an Exact/PathPrefix path value is rejected (the HTTPRoute CRD's CEL rules)."""
    errs = []
    if not value.startswith("/"):
        errs.append("must be an absolute path and start with '/'")
    errs += [f"must not contain {s!r}" for s in _BAD_SEQUENCES if s in value]
    errs += [f"must not end with {s!r}" for s in _BAD_SUFFIXES if value.endswith(s)]
    if not _PATH_CHARS.match(value):
        errs.append("must only contain valid characters (RFC 3986 path characters or %XX escapes)")
    return errs


@rule("CG-GW-004", Severity.ERROR, "HTTPRoute path match rejected (not absolute, '//', '/../', '#', bad characters, "
      "unknown type)", LAYER,
      why="The HTTPRoute CRD's CEL rules reject Exact and PathPrefix values that are not absolute paths, contain "
          "'//', '/./', '/../', '%2f' or '#', end in '/.' or '/..', or use characters outside RFC 3986.",
      fix="write the path as an absolute, normalised path (e.g. /api), or use type RegularExpression",
      example=_ROUTE_EXAMPLE_HEAD + """\
  rules:
  - matches: [{path: {type: PathPrefix, value: api}}]
    backendRefs: [{name: web, port: 80}]
""")
def path_matches(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, _HTTP_ROUTES):
        for ri, r in route_rules(route):
            for mi, m in enumerate(as_list(r.get("matches"))):
                path = as_dict(as_dict(m).get("path"))
                if not path:
                    continue
                where = f"spec.rules[{ri}].matches[{mi}].path"
                ptype = str(path.get("type", "PathPrefix"))
                if ptype not in PATH_TYPES:
                    yield finding("CG-GW-004", route, f"HTTPRoute {route.name}: {where}.type {ptype!r} is not one of "
                                  f"{', '.join(PATH_TYPES)}", field=f"{where}.type")
                    continue
                if ptype == "RegularExpression":
                    continue
                errs = path_value_errors(str(path.get("value", "/")))
                if errs:
                    yield finding("CG-GW-004", route, f"HTTPRoute {route.name}: {where}.value "
                                  f"{path.get('value')!r} {'; '.join(errs)} (type {ptype})", field=f"{where}.value")


def _duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    dup = []
    for n in names:
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    return dup


@rule("CG-GW-005", Severity.ERROR, "Route matches or header modifiers name the same header or query parameter twice",
      LAYER,
      why="headers and queryParams of a match, and set/add of a header modifier, are lists keyed by name "
          "(x-kubernetes-list-type map): the API server rejects a name given twice. The same header in several "
          "actions of one modifier (set and remove) is rejected by Gateway API validation; header names differing "
          "only in case are one header (a warning: the CRD alone does not reject them).",
      fix="match or modify each header (query parameter) once per match or modifier",
      example=_ROUTE_EXAMPLE_HEAD + """\
  rules:
  - matches:
    - headers: [{name: x-env, value: canary}, {name: x-env, value: beta}]
    backendRefs: [{name: web, port: 80}]
""")
def duplicate_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, _FILTERED_ROUTES):
        for ri, r in route_rules(route):
            for mi, m in enumerate(as_list(r.get("matches"))):
                m = as_dict(m)
                for key in ("headers", "queryParams"):
                    names = [str(as_dict(h).get("name", "")) for h in as_list(m.get(key))]
                    yield from _dup_findings(route, names, f"spec.rules[{ri}].matches[{mi}].{key}",
                                             fold_case=key == "headers")
        for fl in filter_lists(route):
            for fi, f in enumerate(fl.filters):
                for key in ("requestHeaderModifier", "responseHeaderModifier"):
                    mod = as_dict(f.get(key))
                    if mod:
                        yield from _modifier_dups(route, mod, f"{fl.field}[{fi}].{key}")


def _dup_findings(route: Document, names: list[str], where: str, fold_case: bool) -> Iterator[Finding]:
    exact = _duplicates(names)
    for n in exact:
        yield finding("CG-GW-005", route, f"{route.kind} {route.name}: {where} names {n!r} twice", field=where)
    if fold_case:
        for n in _duplicates([x.lower() for x in names]):
            if n not in {e.lower() for e in exact}:
                yield finding("CG-GW-005", route, f"{route.kind} {route.name}: {where} names header {n!r} twice "
                              "(header names are case-insensitive)", field=where, severity=Severity.WARNING)


def _modifier_dups(route: Document, mod: dict[str, Any], where: str) -> Iterator[Finding]:
    for action in ("set", "add"):
        names = [str(as_dict(h).get("name", "")) for h in as_list(mod.get(action))]
        yield from _dup_findings(route, names, f"{where}.{action}", fold_case=False)
    actions: dict[str, list[str]] = {}
    for action in ("set", "add"):
        for h in as_list(mod.get(action)):
            actions.setdefault(str(as_dict(h).get("name", "")).lower(), []).append(action)
    for name in as_list(mod.get("remove")):
        actions.setdefault(str(name).lower(), []).append("remove")
    for name, acts in actions.items():
        if len(set(acts)) > 1:
            yield finding("CG-GW-005", route, f"{route.kind} {route.name}: {where} gives header {name!r} several "
                          f"actions ({', '.join(acts)}); Gateway API validation: cannot specify multiple actions for "
                          "header", field=where, severity=Severity.WARNING)


_GRPC_SERVICE = re.compile(r"^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$", re.I)
_GRPC_METHOD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


@rule("CG-GW-006", Severity.ERROR, "GRPCRoute method match is empty or not a gRPC service/method name", LAYER,
      why="The GRPCRoute CRD's CEL rules need service or method in a method match, and for type Exact a service "
          "that is a dotted protobuf name (helloworld.Greeter) and a method that is one identifier (SayHello); "
          "a path such as /helloworld.Greeter/SayHello is rejected.",
      fix="split the gRPC path: service: helloworld.Greeter, method: SayHello",
      example="""\
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: greeter}
spec:
  rules:
  - matches: [{method: {service: /helloworld.Greeter/SayHello}}]
    backendRefs: [{name: greeter, port: 50051}]
""")
def grpc_method(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, ("GRPCRoute",)):
        for ri, r in route_rules(route):
            for mi, m in enumerate(as_list(r.get("matches"))):
                method = as_dict(m).get("method")
                if method is None:
                    continue
                method = as_dict(method)
                where = f"spec.rules[{ri}].matches[{mi}].method"
                if "service" not in method and "method" not in method:
                    yield finding("CG-GW-006", route, f"GRPCRoute {route.name}: {where} sets neither service nor "
                                  "method (CEL: one or both of 'service' or 'method' must be specified)", field=where)
                    continue
                if str(method.get("type", "Exact")) != "Exact":
                    continue
                for key, pattern in (("service", _GRPC_SERVICE), ("method", _GRPC_METHOD)):
                    if key in method and not pattern.match(str(method[key])):
                        yield finding("CG-GW-006", route, f"GRPCRoute {route.name}: {where}.{key} "
                                      f"{method[key]!r} is not a gRPC {key} name ({pattern.pattern})",
                                      field=f"{where}.{key}")


@rule("CG-GW-007", Severity.ERROR, "HTTPRoute timeouts: not a Gateway API duration, or backendRequest longer than "
      "request", LAYER,
      why="The HTTPRoute CRD accepts durations such as 10s, 1m30s or 500ms (no fractions, no 'us'), and its CEL rule "
          "rejects a backendRequest timeout longer than the request timeout: the whole request would end before one "
          "backend attempt could.",
      fix="write durations as <n>h/m/s/ms and keep backendRequest <= request",
      example=_ROUTE_EXAMPLE_HEAD + """\
  rules:
  - timeouts: {request: 5s, backendRequest: 10s}
    backendRefs: [{name: web, port: 80}]
""")
def route_timeouts(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, _HTTP_ROUTES):
        for ri, r in route_rules(route):
            t = as_dict(r.get("timeouts"))
            where = f"spec.rules[{ri}].timeouts"
            values: dict[str, int] = {}
            for key in ("request", "backendRequest"):
                if key not in t:
                    continue
                ms = duration_ms(str(t[key]))
                if ms is None:
                    yield finding("CG-GW-007", route, f"HTTPRoute {route.name}: {where}.{key} {t[key]!r} is not a "
                                  "Gateway API duration (e.g. 10s, 1m30s, 500ms)", field=f"{where}.{key}")
                else:
                    values[key] = ms
            req, backend = values.get("request"), values.get("backendRequest")
            if req and backend is not None and backend > req:
                yield finding("CG-GW-007", route, f"HTTPRoute {route.name}: {where}.backendRequest "
                              f"{t['backendRequest']} is longer than request {t['request']} (CEL: backendRequest "
                              "timeout cannot be longer than request timeout)", field=f"{where}.backendRequest")


def _parent_key(p: dict[str, Any]) -> tuple[str, str, str, str]:
    return (str(p.get("group", "gateway.networking.k8s.io")), str(p.get("kind", "Gateway")), str(p.get("name", "")),
            str(p.get("namespace") or ""))


@rule("CG-GW-008", Severity.ERROR, "Route parentRefs name the same parent twice without distinct sectionNames",
      LAYER,
      why="The route CRDs' CEL rules: when 2 or more parentRefs name the same parent, each must set a sectionName "
          "and the sectionNames must differ; otherwise the API server rejects the route.",
      fix="attach once per parent, or give each parentRef to that parent its own listener's sectionName",
      example=_ROUTE_EXAMPLE_HEAD + """\
  parentRefs: [{name: public}, {name: public, sectionName: https}]
  rules:
  - backendRefs: [{name: web, port: 80}]
""")
def same_parent(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index):
        by_parent: dict[tuple[str, str, str, str], list[tuple[int, str]]] = {}
        for i, p in enumerate(as_list(spec_of(route).get("parentRefs"))):
            p = as_dict(p)
            by_parent.setdefault(_parent_key(p), []).append((i, str(p.get("sectionName") or "")))
        for (_, kind, name, _), refs in by_parent.items():
            if len(refs) < 2:
                continue
            sections = [s for _, s in refs]
            if "" in sections:
                yield finding("CG-GW-008", route, f"{route.kind} {route.name}: {len(refs)} parentRefs name {kind} "
                              f"{name} and not all set sectionName (CEL: sectionName or port must be specified when "
                              "parentRefs includes 2 or more references to the same parent)", field="spec.parentRefs")
            elif _duplicates(sections):
                yield finding("CG-GW-008", route, f"{route.kind} {route.name}: parentRefs to {kind} {name} repeat "
                              f"sectionName {_duplicates(sections)[0]!r} (CEL: sectionName or port must be unique when "
                              "parentRefs includes 2 or more references to the same parent)", field="spec.parentRefs")


MAX_RULES, MAX_MATCHES, MAX_TOTAL_MATCHES, MAX_HOSTNAMES = 16, 64, 128, 16


@rule("CG-GW-009", Severity.ERROR, "Route hostnames, sizes or values rejected (hostname syntax, more than 16 rules "
      "or hostnames, more than 128 matches, weights, ports, redirect scheme and status)", LAYER,
      why="Route hostnames must be lowercase DNS names, optionally with a leading '*.' (no IPs, no ports, no '*' "
          "alone); a route holds at most 16 hostnames and 16 rules, a rule at most 64 matches, and the CEL rule caps "
          "all matches of a route at 128; backendRef weights are 0-1000000, ports 1-65535, a redirect's scheme http "
          "or https and its statusCode 301 or 302 (303, 307 and 308 only with the experimental channel's CRDs: a "
          "warning). The API server rejects anything else.",
      fix="use lowercase DNS hostnames; split large routes into several routes",
      example=_ROUTE_EXAMPLE_HEAD + """\
  hostnames: [Shop.Example.com]
  rules:
  - backendRefs: [{name: web, port: 80}]
""")
def hostnames_and_sizes(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, ("HTTPRoute", "GRPCRoute", "TLSRoute")):
        spec = spec_of(route)
        hostnames = as_list(spec.get("hostnames"))
        for i, h in enumerate(hostnames):
            if not isinstance(h, str) or not HOSTNAME.match(h) or len(h) > 253:
                yield finding("CG-GW-009", route, f"{route.kind} {route.name}: hostname {h!r} is not a lowercase DNS "
                              "name or '*.'-wildcard (IP addresses and ports are not allowed)",
                              field=f"spec.hostnames[{i}]")
        if len(hostnames) > MAX_HOSTNAMES:
            yield finding("CG-GW-009", route, f"{route.kind} {route.name}: {len(hostnames)} hostnames (at most "
                          f"{MAX_HOSTNAMES})", field="spec.hostnames")
        rules = route_rules(route)
        if len(rules) > MAX_RULES:
            yield finding("CG-GW-009", route, f"{route.kind} {route.name}: {len(rules)} rules (at most {MAX_RULES})",
                          field="spec.rules")
        yield from _ranges(route, rules)
        counts = [len(as_list(r.get("matches"))) for _, r in rules]
        for (ri, _), n in zip(rules, counts, strict=True):
            if n > MAX_MATCHES:
                yield finding("CG-GW-009", route, f"{route.kind} {route.name}: rules[{ri}] has {n} matches (at most "
                              f"{MAX_MATCHES})", field=f"spec.rules[{ri}].matches")
        if sum(counts) > MAX_TOTAL_MATCHES:
            yield finding("CG-GW-009", route, f"{route.kind} {route.name}: {sum(counts)} matches across its rules "
                          f"(CEL: the total number of matches across all rules in a route must be less than "
                          f"{MAX_TOTAL_MATCHES})", field="spec.rules")


REDIRECT_CODES, EXPERIMENTAL_REDIRECT_CODES = (301, 302), (303, 307, 308)


def _ranges(route: Document, rules: list[tuple[int, dict[str, Any]]]) -> Iterator[Finding]:
    label = f"{route.kind} {route.name}"
    for ri, r in rules:
        for bi, b in enumerate(as_list(r.get("backendRefs"))):
            b, where = as_dict(b), f"spec.rules[{ri}].backendRefs[{bi}]"
            weight, port = b.get("weight"), b.get("port")
            if weight is not None and not (isinstance(weight, int) and 0 <= weight <= 1_000_000):
                yield finding("CG-GW-009", route, f"{label}: {where}.weight {weight!r} is not in 0-1000000",
                              field=f"{where}.weight")
            if port is not None and not (isinstance(port, int) and 1 <= port <= 65535):
                yield finding("CG-GW-009", route, f"{label}: {where}.port {port!r} is not in 1-65535",
                              field=f"{where}.port")
        for fi, f in enumerate(as_list(r.get("filters"))):
            redirect = as_dict(as_dict(f).get("requestRedirect"))
            where = f"spec.rules[{ri}].filters[{fi}].requestRedirect"
            if redirect.get("scheme") is not None and redirect["scheme"] not in ("http", "https"):
                yield finding("CG-GW-009", route, f"{label}: {where}.scheme {redirect['scheme']!r} is not http or "
                              "https", field=f"{where}.scheme")
            code = redirect.get("statusCode")
            if code is not None and code not in REDIRECT_CODES:
                experimental = code in EXPERIMENTAL_REDIRECT_CODES
                yield finding("CG-GW-009", route, f"{label}: {where}.statusCode {code!r} is not 301 or 302"
                              + (" (accepted only by the experimental channel's CRDs)" if experimental else ""),
                              field=f"{where}.statusCode", severity=Severity.WARNING if experimental else None)
