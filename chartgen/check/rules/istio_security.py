"""Istio security policies: AuthorizationPolicy, PeerAuthentication and RequestAuthentication."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from chartgen.check.helpers import ISTIO_SECURITY, as_dict, as_int, as_list, spec_of
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "istio"


@rule(
    "CG-ISTIO-018",
    Severity.ERROR,
    "AuthorizationPolicy action/rules/provider are inconsistent",
    LAYER,
    why=(
        "Istio rejects an AuthorizationPolicy whose action, rules and provider contradict each other (CUSTOM "
        "without a provider, a provider without CUSTOM)."
    ),
    fix="use action CUSTOM with provider.name, or another action without provider",
    example="""\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz}
spec:
  action: CUSTOM
  rules: [{to: [{operation: {paths: [/admin]}}]}]
""",
)
def authz_policy(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ap in index.kind("AuthorizationPolicy", ISTIO_SECURITY):
        spec = spec_of(ap)
        action = str(spec.get("action") or "ALLOW").upper()
        rules = as_list(spec.get("rules"))
        if action in ("DENY", "CUSTOM") and not rules:
            yield finding(
                "CG-ISTIO-018",
                ap,
                f"AuthorizationPolicy {ap.name}: action {action} without rules (IST0106); a {action} policy "
                "needs rules to say what it applies to",
                hint="add rules, or use ALLOW with no rules to deny all",
                field="spec.rules",
            )
        if spec.get("provider") is not None and action != "CUSTOM":
            yield finding(
                "CG-ISTIO-018",
                ap,
                f"AuthorizationPolicy {ap.name}: provider is set but action is {action} (IST0106); provider is "
                "only allowed with CUSTOM",
                hint="set action: CUSTOM or drop provider",
                field="spec.provider",
            )
        if action == "CUSTOM" and not as_dict(spec.get("provider")).get("name"):
            yield finding(
                "CG-ISTIO-018",
                ap,
                f"AuthorizationPolicy {ap.name}: action CUSTOM needs provider.name (IST0106)",
                hint="set provider.name to an extension provider from the mesh config",
                field="spec.provider",
            )


@rule(
    "CG-ISTIO-019",
    Severity.ERROR,
    "PeerAuthentication portLevelMtls without a workload selector",
    LAYER,
    why=(
        "Istio rejects port-level mTLS on a PeerAuthentication without a workload selector (ports belong to workloads)."
    ),
    fix="add spec.selector.matchLabels, or set the mode for the whole namespace with spec.mtls",
    example="""\
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec:
  mtls: {mode: STRICT}
  portLevelMtls: {'8080': {mode: PERMISSIVE}}
""",
)
def peer_authn(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pa in index.kind("PeerAuthentication", ISTIO_SECURITY):
        spec = spec_of(pa)
        if as_dict(spec.get("portLevelMtls")) and not as_dict(as_dict(spec.get("selector")).get("matchLabels")):
            yield finding(
                "CG-ISTIO-019",
                pa,
                f"PeerAuthentication {pa.name}: portLevelMtls requires a selector with matchLabels (IST0106); "
                "namespace- or mesh-wide policies cannot set port-level mTLS",
                hint="add spec.selector.matchLabels for the workload, or move the port settings to a "
                "workload-specific PeerAuthentication",
                field="spec.portLevelMtls",
            )


# --- RequestAuthentication ------------------------------------------------------------------------------------


def _jwt_rule_problems(r: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    if not r.get("issuer") and not r.get("jwksUri"):
        yield where, "issuer or jwksUri must be non-empty string"
    for i, aud in enumerate(as_list(r.get("audiences"))):
        if not str(aud or ""):
            yield f"{where}.audiences[{i}]", "audience must be non-empty string"
    uri = r.get("jwksUri")
    if uri:
        parsed = urlsplit(str(uri))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            yield f"{where}.jwksUri", f"jwksUri {uri!r} is not an http(s) URL with a host"
    if r.get("jwks") and r.get("jwksUri"):
        yield where, "only one of jwks or jwksUri may be set (CEL)"
    for i, h in enumerate(as_list(r.get("fromHeaders"))):
        if not as_dict(h).get("name"):
            yield f"{where}.fromHeaders[{i}].name", "location header name must be non-empty string"
    for key, what in (("fromParams", "location query"), ("fromCookies", "cookie name")):
        for i, p in enumerate(as_list(r.get(key))):
            if not str(p or ""):
                yield f"{where}.{key}[{i}]", f"{what} must be non-empty string"
    for i, c in enumerate(as_list(r.get("outputClaimToHeaders"))):
        c = as_dict(c)
        if not c.get("claim") or not c.get("header"):
            yield f"{where}.outputClaimToHeaders[{i}]", "outputClaimToHeaders header and claim must be non-empty"


@rule("CG-MESH-019", Severity.ERROR, "RequestAuthentication jwtRules rejected by Istio validation", LAYER,
      why="validateJwtRule (istio pkg/config/validation) rejects a JWT rule without issuer and jwksUri, an empty "
          "audience, a jwksUri that is not an http(s) URL, empty fromHeaders/fromParams/fromCookies entries and "
          "outputClaimToHeaders without claim or header; the CRD's CEL rule allows only one of jwks and jwksUri.",
      fix="give each jwtRule an issuer (and jwksUri or jwks, not both) and non-empty locations",
      example="""\
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt}
spec:
  selector: {matchLabels: {app: web}}
  jwtRules: [{audiences: [web]}]
""")
def request_authn(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ra in index.kind("RequestAuthentication", ISTIO_SECURITY):
        for i, r in enumerate(as_list(spec_of(ra).get("jwtRules"))):
            for field, message in _jwt_rule_problems(as_dict(r), f"spec.jwtRules[{i}]"):
                yield finding("CG-MESH-019", ra, f"RequestAuthentication {ra.name}: {field}: {message} (IST0106)",
                              field=field)


# --- AuthorizationPolicy rules --------------------------------------------------------------------------------

SOURCE_FIELDS = ("principals", "notPrincipals", "requestPrincipals", "notRequestPrincipals", "namespaces",
                 "notNamespaces", "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks", "serviceAccounts",
                 "notServiceAccounts")
TCP_SOURCE_FIELDS = frozenset(SOURCE_FIELDS) - {"requestPrincipals", "notRequestPrincipals"}
OPERATION_FIELDS = ("ports", "notPorts", "methods", "notMethods", "paths", "notPaths", "hosts", "notHosts")
CUSTOM_UNSUPPORTED = ("namespaces", "notNamespaces", "serviceAccounts", "notServiceAccounts", "principals",
                      "notPrincipals", "requestPrincipals", "notRequestPrincipals")


def _rule_problems(r: dict[str, Any], where: str, action: str) -> Iterator[tuple[str, str]]:
    if "from" in r and not as_list(r.get("from")):
        yield f"{where}.from", "`from` must not be empty"
    for fi, f in enumerate(as_list(r.get("from"))):
        src = as_dict(as_dict(f).get("source"))
        fw = f"{where}.from[{fi}].source"
        if not any(as_list(src.get(k)) for k in SOURCE_FIELDS):
            yield fw, "`from.source` must not be empty"
        if any(as_list(src.get(k)) for k in ("principals", "notPrincipals", "namespaces", "notNamespaces")) and \
                any(as_list(src.get(k)) for k in ("serviceAccounts", "notServiceAccounts")):
            yield fw, "cannot set serviceAccounts with namespaces or principals"
        for k in SOURCE_FIELDS:
            if any(str(v if v is not None else "") == "" for v in as_list(src.get(k))):
                yield f"{fw}.{k}", f"{k} must not contain empty values"
        if action == "CUSTOM":
            for k in CUSTOM_UNSUPPORTED:
                if as_list(src.get(k)):
                    yield f"{fw}.{k}", f"from.{k} is currently not supported with CUSTOM action"
    if "to" in r and not as_list(r.get("to")):
        yield f"{where}.to", "`to` must not be empty"
    for ti, t in enumerate(as_list(r.get("to"))):
        op = as_dict(as_dict(t).get("operation"))
        tw = f"{where}.to[{ti}].operation"
        if not any(as_list(op.get(k)) for k in OPERATION_FIELDS):
            yield tw, "`to.operation` must not be empty"
        for k in OPERATION_FIELDS:
            if any(str(v if v is not None else "") == "" for v in as_list(op.get(k))):
                yield f"{tw}.{k}", f"{k} must not contain empty values"
        for k in ("ports", "notPorts"):
            for v in as_list(op.get(k)):
                n = as_int(v)
                if str(v) != "" and (n is None or not 0 < n <= 65535):
                    yield f"{tw}.{k}", f"port {v!r} is not in 1-65535"
    for wi, w in enumerate(as_list(r.get("when"))):
        w = as_dict(w)
        ww = f"{where}.when[{wi}]"
        key = str(w.get("key") or "")
        if not key:
            yield ww, "`key` must not be empty"
        elif not as_list(w.get("values")) and not as_list(w.get("notValues")):
            yield ww, f"at least one of `values` or `notValues` must be set for key {key}"
        if action == "CUSTOM" and (key in ("source.namespace", "source.serviceAccount", "source.principal")
                                   or key.startswith("request.auth.")):
            yield ww, f"{key} is currently not supported with CUSTOM action"


@rule("CG-MESH-020", Severity.ERROR, "AuthorizationPolicy rule rejected by Istio validation (empty from/to/when, "
      "mixed source fields, unsupported CUSTOM conditions)", LAYER,
      why="ValidateAuthorizationPolicy rejects empty from/to lists, a source or operation with no field set, empty "
          "values, serviceAccounts together with namespaces or principals, ports outside 1-65535, a when condition "
          "without key or values, and identity conditions (namespaces, principals, request.auth.*) with action "
          "CUSTOM.",
      fix="drop empty from/to/when entries (an empty rule `{}` matches everything), give each condition a value",
      example="""\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web}
spec:
  action: ALLOW
  rules:
  - from: [{source: {}}]
""")
def authz_rules(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ap in index.kind("AuthorizationPolicy", ISTIO_SECURITY):
        spec = spec_of(ap)
        action = str(spec.get("action") or "ALLOW").upper()
        for i, r in enumerate(as_list(spec.get("rules"))):
            for field, message in _rule_problems(as_dict(r), f"spec.rules[{i}]", action):
                yield finding("CG-MESH-020", ap, f"AuthorizationPolicy {ap.name}: {field}: {message} (IST0106)",
                              field=field)


def _http_only(r: dict[str, Any]) -> bool:
    """Istio's test for a rule that matches on HTTP attributes only (ValidateAuthorizationPolicy's DENY warning): it
    has from without TCP source fields and no to, or to without ports."""
    froms = [as_dict(as_dict(f).get("source")) for f in as_list(r.get("from"))]
    tos = [as_dict(as_dict(t).get("operation")) for t in as_list(r.get("to"))]
    tcp_from = any(k in src for src in froms for k in TCP_SOURCE_FIELDS)
    tcp_to = any(k in op for op in tos for k in ("ports", "notPorts"))
    return bool((froms and not tos and not tcp_from) or (tos and not tcp_to))


@rule("CG-MESH-021", Severity.WARNING, "AuthorizationPolicy DENY rule uses only HTTP attributes: it denies all "
      "TCP traffic", LAYER,
      why="On TCP ports Istio cannot evaluate HTTP attributes (paths, methods, hosts, requestPrincipals, "
          "request.* conditions); for a DENY rule it drops those attributes, so the rule matches every TCP "
          "connection and denies all TCP traffic to the selected workloads (ValidateAuthorizationPolicy's warning).",
      fix="add to.operation.ports naming the HTTP ports the rule is meant for",
      example="""\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin}
spec:
  action: DENY
  rules:
  - to: [{operation: {paths: [/admin]}}]
""")
def authz_http_only_deny(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ap in index.kind("AuthorizationPolicy", ISTIO_SECURITY):
        spec = spec_of(ap)
        if str(spec.get("action") or "ALLOW").upper() != "DENY":
            continue
        for i, r in enumerate(as_list(spec.get("rules"))):
            if _http_only(as_dict(r)):
                yield finding("CG-MESH-021", ap, f"AuthorizationPolicy {ap.name}: DENY rules[{i}] matches on HTTP "
                              "attributes only; on TCP ports Istio drops them and the rule denies all TCP traffic to "
                              "the selected workloads", field=f"spec.rules[{i}]")


@rule("CG-MESH-022", Severity.WARNING, "AuthorizationPolicy rule matches every request (an empty rule `{}`)", LAYER,
      why="A rule without from, to and when matches everything: in a DENY policy it denies every request to the "
          "selected workloads, in an ALLOW policy next to other rules it allows everything and makes them pointless, "
          "in an AUDIT policy it audits all traffic.",
      fix="add from/to/when conditions to the rule, or drop it",
      example="""\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web}
spec:
  action: DENY
  rules: [{}]
""")
def authz_match_all(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ap in index.kind("AuthorizationPolicy", ISTIO_SECURITY):
        spec = spec_of(ap)
        action = str(spec.get("action") or "ALLOW").upper()
        rules = as_list(spec.get("rules"))
        for i, r in enumerate(rules):
            if any(as_dict(r).get(k) for k in ("from", "to", "when")):
                continue
            if action == "DENY":
                yield finding("CG-MESH-022", ap, f"AuthorizationPolicy {ap.name}: rules[{i}] is empty, so this DENY "
                              "policy denies every request to the selected workloads", field=f"spec.rules[{i}]")
            elif action == "ALLOW" and len(rules) > 1:
                yield finding("CG-MESH-022", ap, f"AuthorizationPolicy {ap.name}: rules[{i}] is empty and allows "
                              "every request; the other rules change nothing", field=f"spec.rules[{i}]")


HTTP_SOURCE_FIELDS = ("requestPrincipals", "notRequestPrincipals")
HTTP_OPERATION_FIELDS = ("methods", "notMethods", "paths", "notPaths", "hosts", "notHosts")
TCP_PROTOCOLS = ("tcp", "mongo", "mysql", "redis", "tls")


def _uses_http(r: dict[str, Any]) -> bool:
    """Does the rule match on an HTTP-only attribute (then Istio drops the whole ALLOW rule on TCP ports)?"""
    sources = [as_dict(as_dict(f).get("source")) for f in as_list(r.get("from"))]
    operations = [as_dict(as_dict(t).get("operation")) for t in as_list(r.get("to"))]
    return (any(k in s for s in sources for k in HTTP_SOURCE_FIELDS)
            or any(k in o for o in operations for k in HTTP_OPERATION_FIELDS)
            or any(str(as_dict(w).get("key", "")).startswith("request.") for w in as_list(r.get("when"))))


def _tcp_ports(index: ManifestIndex, ap: Any) -> list[str]:
    """Service ports declared as TCP-like that front the pods the policy selects."""
    from chartgen.check.helpers import pods_for_selector, services_of_pods

    selector = as_dict(spec_of(ap).get("selector"))
    if not as_dict(selector.get("matchLabels")):
        return []
    by_owner = services_of_pods(index)
    out = []
    for pt in pods_for_selector(index, selector, index.namespace_of(ap)):
        for svc in by_owner.get(id(pt.owner), []):
            for p in as_list(spec_of(svc).get("ports")):
                p = as_dict(p)
                proto = str(p.get("appProtocol") or p.get("name") or "").lower()
                if any(proto == t or proto.startswith(t + "-") for t in TCP_PROTOCOLS):
                    out.append(f"{svc.name}:{p.get('port')}")
    return sorted(set(out))


@rule("CG-MESH-037", Severity.WARNING, "ALLOW AuthorizationPolicy has only HTTP rules for workloads with TCP ports: "
      "Istio drops them there and denies all TCP traffic", LAYER,
      why="On a TCP port Istio cannot evaluate HTTP attributes (methods, paths, hosts, requestPrincipals, request.* "
          "conditions); it drops every ALLOW rule that uses one. When all rules of the only ALLOW policy are dropped, "
          "nothing is allowed on the workload's TCP ports and every connection is denied.",
      fix="add a rule for the TCP ports (e.g. to.operation.ports with only TCP attributes), or narrow the policy to "
          "HTTP workloads",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16, ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{name: tcp-postgres, port: 5432, targetPort: 5432}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  action: ALLOW
  rules:
  - to: [{operation: {methods: [GET]}}]
""")
def authz_allow_http_only_on_tcp(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    allows = [ap for ap in index.kind("AuthorizationPolicy", ISTIO_SECURITY)
              if str(spec_of(ap).get("action") or "ALLOW").upper() == "ALLOW"]
    for ap in allows:
        rules = [as_dict(r) for r in as_list(spec_of(ap).get("rules"))]
        if not rules or not all(_uses_http(r) for r in rules):
            continue
        same_pods = [o for o in allows if o is not ap and index.namespace_of(o) == index.namespace_of(ap)]
        if same_pods:
            continue  # another ALLOW policy may allow the TCP traffic
        ports = _tcp_ports(index, ap)
        if ports:
            yield finding("CG-MESH-037", ap, f"AuthorizationPolicy {ap.name}: every ALLOW rule uses HTTP attributes, "
                          f"which Istio drops on TCP ports; TCP traffic to {', '.join(ports)} is denied",
                          field="spec.rules")
