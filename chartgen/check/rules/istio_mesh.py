"""Layer "istio", mesh semantics beyond the existing CG-ISTIO rules: the `istioctl analyze` messages that need no
cluster (IST0122 invalid regexp, IST0128/0129 unverified upstream TLS, IST0130/0131 unreachable rules and
ineffective matches, IST0127 policies selecting no workload, IST0150, IST0161) and consistency istioctl does not
check (mTLS modes between PeerAuthentication and DestinationRule, sidecar injection versus mesh policies,
indistinguishable subsets, retries versus timeouts, AuthorizationPolicy ports versus container ports).

v1, v1beta1 and v1alpha3 objects are treated alike (same spec)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from chartgen.check.helpers import (
    PodLookup,
    as_dict,
    as_int,
    as_list,
    copy_key,
    distinct_copies,
    index_cache,
    injection_disabled,
    map_selector_matches,
    pods_of_service,
    resolve_port,
    same_namespace,
    service_target_ports,
    services_of_pods,
    serving_containers,
    spec_of,
)
from chartgen.check.helpers import proto as protocol_of
from chartgen.check.mesh import CLUSTER_SUFFIX, is_istio, istio_port_name_ok
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import finding, rule
from chartgen.core.record import Record, record

E, W = Severity.ERROR, Severity.WARNING
LAYER = "istio"
VALIDATION = "istio pkg/config/validation"


def _istio(index: ManifestIndex, kind: str) -> Iterator[Document]:
    for doc in index.kind(kind):
        if is_istio(doc):
            yield doc


# --- durations and hosts ------------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def duration_seconds(value: Any) -> float | None:
    """A protobuf/Go duration such as 1.5s, 250ms or 1m30s, in seconds (None when it does not parse)."""
    if not isinstance(value, str) or not value:
        return None
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(value):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return total if pos == len(value) else None


def service_for_host(index: ManifestIndex, host: str, namespace: str | None) -> Document | None:
    """The rendered Service a short name, name.ns[.svc] or cluster FQDN means (None for other hosts)."""
    h = host.lower().rstrip(".")
    ns: str | None
    if h.endswith(CLUSTER_SUFFIX):
        parts = h[: -len(CLUSTER_SUFFIX)].split(".")
        if len(parts) != 2:
            return None
        name, ns = parts[0], parts[1]
    elif "." not in h:
        name, ns = h, namespace
    else:
        return None
    return index.get("Service", name, ns)


# --- IST0122 -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _re2() -> Any:
    try:
        import re2  # google-re2, a dependency of cel-python

        return re2
    except ImportError:  # pragma: no cover - the fallback only matters without cel-python
        return None


def regex_error(pattern: str) -> str | None:
    """Why Go's regexp (RE2), which Istio's validation uses, rejects the pattern; None when it compiles."""
    if pattern == "":
        return "regex string match should not be empty"
    if len(pattern) > 1024:
        return "regex is too large, max length allowed is 1024"
    engine = _re2()
    if engine is not None:
        options = engine.Options()
        options.log_errors = False  # RE2 would print every parse error on stderr
        try:
            engine.compile(pattern, options)
        except Exception as err:  # re2.error, whose argument is bytes
            detail = err.args[0] if err.args else ""
            return (detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)) \
                or "invalid regular expression"
        return None
    if re.search(r"\(\?<?[=!]|\\[1-9]", pattern):
        return "lookarounds and backreferences are not supported by RE2"
    try:
        re.compile(pattern)
    except re.error as err:
        return str(err)
    return None


def _string_matches(match: dict[str, Any], base: str) -> Iterator[tuple[str, Any]]:
    for key in ("uri", "scheme", "method", "authority"):
        yield f"{base}.{key}", match.get(key)
    for key in ("headers", "queryParams", "withoutHeaders"):
        for name, sm in as_dict(match.get(key)).items():
            yield f"{base}.{key}[{name}]", sm


@rule("CG-MESH-001", E, "VirtualService regex does not compile as RE2 (IST0122)", LAYER,
      why=f"Istio's validation webhook compiles every StringMatch regex with Go's regexp (RE2) and rejects the "
          f"VirtualService ({VALIDATION}, validateStringMatchRegexp); istioctl analyze reports IST0122 InvalidRegexp. "
          "RE2 has no lookarounds or backreferences.",
      fix="rewrite the pattern in RE2 syntax (https://github.com/google/re2/wiki/Syntax), e.g. without (?!...)",
      example="""\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - match:
    - uri: {regex: '^/api/(?!internal).*'}
    route: [{destination: {host: web}}]
""")
def invalid_regex(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in _istio(index, "VirtualService"):
        for ri, r in enumerate(as_list(spec_of(vs).get("http"))):
            r = as_dict(r)
            for mi, m in enumerate(as_list(r.get("match"))):
                for fld, sm in _string_matches(as_dict(m), f"spec.http[{ri}].match[{mi}]"):
                    sm = as_dict(sm)
                    pattern = sm.get("regex")
                    if isinstance(pattern, str) and (err := regex_error(pattern)):
                        yield finding("CG-MESH-001", vs, f"{fld}.regex {pattern!r} is not a valid RE2 regular "
                                      f"expression ({err}) (IST0122)", field=f"{fld}.regex")
            for oi, origin in enumerate(as_list(as_dict(r.get("corsPolicy")).get("allowOrigins"))):
                pattern = as_dict(origin).get("regex")
                if isinstance(pattern, str) and (err := regex_error(pattern)):
                    fld = f"spec.http[{ri}].corsPolicy.allowOrigins[{oi}].regex"
                    yield finding("CG-MESH-001", vs, f"{fld} {pattern!r} is not a valid RE2 regular expression "
                                  f"({err}) (IST0122)", field=fld)


# --- IST0130 / IST0131 ---------------------------------------------------------------------------------------


def _canonical(match: Any) -> str:
    m = {k: v for k, v in as_dict(match).items() if k != "name"}
    return json.dumps(m, sort_keys=True, default=str)


def _is_catch_all(route: dict[str, Any]) -> bool:
    matches = as_list(route.get("match"))
    return not matches or any(_canonical(m) == "{}" for m in matches)


@rule("CG-MESH-002", W, "VirtualService rule can never match: it follows a catch-all rule or repeats earlier "
      "matches (IST0130)", LAYER,
      why="Routes are evaluated in order and the first match wins: a rule without match (or with an empty match) "
          "takes every request, so the rules after it are never used; a rule whose matches all appeared earlier is "
          "never used either (istioctl analyze: IST0130 VirtualServiceUnreachableRule).",
      fix="order rules from the most specific to the catch-all, and put the rule without match last",
      example="""\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - route: [{destination: {host: web}}]
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api}}]
""")
def unreachable_rule(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in _istio(index, "VirtualService"):
        for section in ("http", "tcp", "tls"):
            routes = [as_dict(r) for r in as_list(spec_of(vs).get(section))]
            seen: dict[str, int] = {}
            catch_all: int | None = None
            for ri, r in enumerate(routes):
                fld = f"spec.{section}[{ri}]"
                name = f" {r['name']!r}" if r.get("name") else ""
                if catch_all is not None:
                    yield finding("CG-MESH-002", vs, f"{fld}{name} is never used: {section}[{catch_all}] has no "
                                  "match and takes every request (IST0130 VirtualServiceUnreachableRule; only the "
                                  "last rule can have no matches)", field=fld)
                    continue
                keys = [_canonical(m) for m in as_list(r.get("match"))]
                if keys and all(k in seen for k in keys):
                    earlier = sorted({seen[k] for k in keys})
                    yield finding("CG-MESH-002", vs, f"{fld}{name} is never used: every match already appears in "
                                  f"{', '.join(f'{section}[{i}]' for i in earlier)} (IST0130 "
                                  "VirtualServiceUnreachableRule)", field=f"{fld}.match")
                for k in keys:
                    seen.setdefault(k, ri)
                if _is_catch_all(r) and ri < len(routes) - 1:
                    catch_all = ri


@rule("CG-MESH-003", W, "VirtualService match repeats a match of an earlier rule (IST0131)", LAYER,
      why="A match identical to one of an earlier rule never selects this rule (first match wins); the rule still "
          "works through its other matches, so one of the two was probably meant to differ (istioctl analyze: "
          "IST0131 VirtualServiceIneffectiveMatch).",
      fix="remove the duplicated match or make it differ from the earlier rule's",
      example="""\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api}}]
  - match: [{uri: {prefix: /api}}, {uri: {prefix: /v2}}]
    route: [{destination: {host: api-v2}}]
""")
def ineffective_match(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in _istio(index, "VirtualService"):
        for section in ("http", "tcp", "tls"):
            seen: dict[str, int] = {}
            for ri, r in enumerate(as_list(spec_of(vs).get(section))):
                matches = as_list(as_dict(r).get("match"))
                keys = [_canonical(m) for m in matches]
                if keys and not all(k in seen for k in keys):  # all duplicated: CG-MESH-002
                    for mi, k in enumerate(keys):
                        if k in seen and k != "{}":
                            yield finding("CG-MESH-003", vs, f"spec.{section}[{ri}].match[{mi}] is not used: the same "
                                          f"match is in {section}[{seen[k]}] (IST0131 VirtualServiceIneffectiveMatch)",
                                          field=f"spec.{section}[{ri}].match[{mi}]")
                for k in keys:
                    seen.setdefault(k, ri)


# --- DestinationRule TLS -------------------------------------------------------------------------------------


@record
class TlsSetting(Record):
    tls: dict[str, Any]
    field: str
    port: int | None  # port-level setting
    subset: str | None

    @property
    def mode(self) -> str:
        return str(self.tls.get("mode", "DISABLE")).upper()


def dr_tls_settings(dr: Document) -> Iterator[TlsSetting]:
    spec = spec_of(dr)

    def policy(tp: Any, base: str, subset: str | None) -> Iterator[TlsSetting]:
        tp = as_dict(tp)
        if isinstance(tp.get("tls"), dict):
            yield TlsSetting(tp["tls"], f"{base}.tls", None, subset)
        for pi, pls in enumerate(as_list(tp.get("portLevelSettings"))):
            pls = as_dict(pls)
            if isinstance(pls.get("tls"), dict):
                yield TlsSetting(pls["tls"], f"{base}.portLevelSettings[{pi}].tls",
                                 as_int(as_dict(pls.get("port")).get("number")), subset)

    yield from policy(spec.get("trafficPolicy"), "spec.trafficPolicy", None)
    for si, s in enumerate(as_list(spec.get("subsets"))):
        yield from policy(as_dict(s).get("trafficPolicy"), f"spec.subsets[{si}].trafficPolicy",
                          str(as_dict(s).get("name")))


@rule("CG-MESH-004", W, "DestinationRule originates TLS without verifying the server certificate (IST0128/0129)",
      LAYER,
      why="tls.mode SIMPLE or MUTUAL without caCertificates (or a credentialName holding ca.crt) does not verify "
          "the upstream's certificate unless the proxy's VERIFY_CERTIFICATE_AT_CLIENT default applies; istioctl "
          "analyze reports IST0128 (destination level) / IST0129 (port level).",
      fix="set tls.caCertificates (or credentialName with a ca.crt) and sni/subjectAltNames for the upstream",
      example="""\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments}
spec:
  host: api.payments.example.com
  trafficPolicy:
    tls: {mode: SIMPLE}
""")
def unverified_tls(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for dr in _istio(index, "DestinationRule"):
        for s in dr_tls_settings(dr):
            if s.mode not in ("SIMPLE", "MUTUAL"):
                continue
            if s.tls.get("caCertificates") or s.tls.get("credentialName") or s.tls.get("insecureSkipVerify"):
                continue
            code = "IST0129" if s.port is not None else "IST0128"
            where = f" at port {s.port}" if s.port is not None else ""
            yield finding("CG-MESH-004", dr, f"{s.field}.mode is {s.mode} but no caCertificates are set to validate "
                          f"the server identity for host {spec_of(dr).get('host')!r}{where} ({code})", field=s.field)


@rule("CG-MESH-005", E, "DestinationRule TLS settings rejected by Istio validation (MUTUAL without client "
      "certificate, ISTIO_MUTUAL with certificates)", LAYER,
      why=f"validateTLS ({VALIDATION}): mode MUTUAL needs clientCertificate and privateKey unless credentialName is "
          "set; ISTIO_MUTUAL uses the mesh's certificates and may not set clientCertificate, privateKey, "
          "caCertificates or credentialName. The webhook rejects the DestinationRule (IST0106).",
      fix="for MUTUAL set credentialName (a Secret with tls.crt, tls.key, ca.crt) or the three file paths; for "
          "ISTIO_MUTUAL drop the certificate fields",
      example="""\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments}
spec:
  host: api.payments.example.com
  trafficPolicy:
    tls: {mode: MUTUAL, caCertificates: /etc/certs/ca.pem}
""")
def tls_validation(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for dr in _istio(index, "DestinationRule"):
        for s in dr_tls_settings(dr):
            if s.mode == "MUTUAL" and not s.tls.get("credentialName"):
                for key in ("clientCertificate", "privateKey"):
                    if not s.tls.get(key):
                        what = "client certificate" if key == "clientCertificate" else "private key"
                        yield finding("CG-MESH-005", dr, f"{s.field}: {what} required for mutual tls "
                                      f"({key} or credentialName) (IST0106)", field=f"{s.field}.{key}")
            elif s.mode == "ISTIO_MUTUAL":
                present = [k for k in ("clientCertificate", "privateKey", "caCertificates", "credentialName")
                           if s.tls.get(k)]
                if present:
                    yield finding("CG-MESH-005", dr, f"{s.field}: ISTIO_MUTUAL TLS cannot have associated "
                                  f"{', '.join(present)} (IST0106)", field=f"{s.field}.{present[0]}")


# --- mTLS consistency ----------------------------------------------------------------------------------------


def _peer_authns(index: ManifestIndex) -> dict[tuple[str, str] | None, list[Document]]:
    """PeerAuthentications by one selector label pair (None: namespace-wide), built once."""
    def build() -> dict[tuple[str, str] | None, list[Document]]:
        out: dict[tuple[str, str] | None, list[Document]] = {}
        for pa in _istio(index, "PeerAuthentication"):
            labels = as_dict(as_dict(spec_of(pa).get("selector")).get("matchLabels"))
            key = (str(next(iter(labels))), str(next(iter(labels.values())))) if labels else None
            out.setdefault(key, []).append(pa)
        return out

    return index_cache(index, "_cg_recall_peer_authns", build)


def _peer_authn_mode(index: ManifestIndex, pt: PodTemplate, port: int | None) -> tuple[str, Document] | None:
    """The effective PeerAuthentication mode for a pod (and container port), from the rendered policies; it depends
    only on the pod's namespace and labels, so copies of a workload share one answer."""
    ns = index.namespace_of(pt.owner)
    cache: dict[Any, tuple[str, Document] | None] = index_cache(index, "_cg_peer_authn_mode", dict)
    key = (ns, tuple(sorted((str(k), str(v)) for k, v in pt.labels.items())), port)
    if key not in cache:
        cache[key] = _peer_authn_mode_of(index, pt, ns, port)
    return cache[key]


def _peer_authn_mode_of(index: ManifestIndex, pt: PodTemplate, ns: str | None,
                        port: int | None) -> tuple[str, Document] | None:
    workload: Document | None = None
    namespace_wide: Document | None = None
    by_pair = _peer_authns(index)
    candidates = [pa for k, v in pt.labels.items() for pa in by_pair.get((str(k), str(v)), [])]
    for pa in candidates + by_pair.get(None, []):
        if not same_namespace(index.namespace_of(pa), ns):
            continue
        labels = as_dict(as_dict(spec_of(pa).get("selector")).get("matchLabels"))
        if labels and map_selector_matches(labels, pt.labels):
            workload = pa
        elif not labels:
            namespace_wide = namespace_wide or pa
    for chosen in (workload, namespace_wide):
        if chosen is None:
            continue
        spec = spec_of(chosen)
        if port is not None and chosen is workload:
            port_mode = as_dict(as_dict(spec.get("portLevelMtls")).get(str(port))).get("mode")
            if port_mode and str(port_mode).upper() != "UNSET":
                return str(port_mode).upper(), chosen
        mode = str(as_dict(spec.get("mtls")).get("mode", "UNSET")).upper()
        if mode != "UNSET":
            return mode, chosen
    return None


def _dr_mode_for_port(dr: Document, port: int | None) -> tuple[str, str] | None:
    """(mode, field) the DestinationRule applies to traffic for a Service port (subset policies ignored)."""
    top = None
    for s in dr_tls_settings(dr):
        if s.subset is not None:
            continue
        if s.port is not None and s.port == port:
            return s.mode, s.field
        if s.port is None:
            top = (s.mode, s.field)
    return top


@rule("CG-MESH-006", E, "PeerAuthentication and DestinationRule disagree on mTLS (STRICT vs DISABLE, DISABLE vs "
      "ISTIO_MUTUAL)", LAYER,
      why="A DestinationRule with tls.mode DISABLE makes client sidecars send plain text, which a STRICT "
          "PeerAuthentication on the server rejects (connection reset); ISTIO_MUTUAL towards pods whose "
          "PeerAuthentication is DISABLE sends mTLS to a listener that expects plain text. Either way every "
          "request through the mesh fails.",
      fix="use tls.mode ISTIO_MUTUAL (or omit tls: auto mTLS) with STRICT/PERMISSIVE servers, and DISABLE only "
          "together with PeerAuthentication DISABLE",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy:
    tls: {mode: DISABLE}
""")
def mtls_conflict(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    if not index.kind("PeerAuthentication"):
        return
    for dr in _istio(index, "DestinationRule"):
        svc = service_for_host(index, str(spec_of(dr).get("host", "")), index.namespace_of(dr))
        if svc is None:
            continue
        reported = False
        for pt in distinct_copies(index, pods_of_service(index, svc)):  # a copy conflicts when its original does
            if injection_disabled(pt):
                continue  # no sidecar: PeerAuthentication does not apply (ISTIO_MUTUAL there is CG-MESH-007)
            for _, port, target in service_target_ports(svc):
                dr_mode = _dr_mode_for_port(dr, as_int(port.get("port")))
                if dr_mode is None:
                    continue
                pa = _peer_authn_mode(index, pt, resolve_port(pt, target, protocol_of(port.get("protocol"))))
                if pa is None:
                    continue
                conflict = (pa[0] == "STRICT" and dr_mode[0] == "DISABLE") or (
                    pa[0] == "DISABLE" and dr_mode[0] == "ISTIO_MUTUAL")
                if conflict and not reported:
                    reported = True
                    yield finding("CG-MESH-006", dr, f"{dr_mode[1]}.mode is {dr_mode[0]} for Service {svc.name} port "
                                  f"{port.get('port')}, but PeerAuthentication {pa[1].name} sets mTLS {pa[0]} on "
                                  f"{pt.owner.kind} {pt.owner.name}; requests through the mesh fail",
                                  field=f"{dr_mode[1]}.mode")


def _selector_labels(doc: Document) -> dict[str, Any] | None:
    """The workload selector labels of an Istio policy (None when it has none: namespace-wide)."""
    spec = spec_of(doc)
    if doc.kind in ("Sidecar", "EnvoyFilter"):
        labels = as_dict(as_dict(spec.get("workloadSelector")).get("labels"))
    else:
        labels = as_dict(as_dict(spec.get("selector")).get("matchLabels"))
    return labels or None


ROOT_NAMESPACE = "istio-system"  # meshConfig.rootNamespace default: selectors there apply to every namespace
POLICY_KINDS = ("AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication", "Sidecar", "Telemetry",
                "EnvoyFilter", "WasmPlugin")


@rule("CG-MESH-007", W, "Mesh policy or mTLS targets pods whose sidecar injection is disabled", LAYER,
      why="Pods labelled or annotated sidecar.istio.io/inject: \"false\" have no proxy: AuthorizationPolicy, "
          "PeerAuthentication, RequestAuthentication and Sidecar objects selecting them are not enforced, and a "
          "DestinationRule with ISTIO_MUTUAL makes clients send mTLS to an application that speaks plain text "
          "(certain failure: reported as an error).",
      fix="remove sidecar.istio.io/inject: \"false\" from the pod template, or drop the policies/ISTIO_MUTUAL for "
          "these pods",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, sidecar.istio.io/inject: 'false'}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  action: DENY
  rules: [{from: [{source: {notNamespaces: [shop]}}]}]
""")
def injection_vs_policies(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    blind_pods = any(injection_disabled(pt) for pt in index.pod_templates)
    for kind in POLICY_KINDS if blind_pods else ():
        for policy in _istio(index, kind):
            labels = _selector_labels(policy)
            if labels is None:
                continue
            selected = PodLookup.of(index).select(labels, index.namespace_of(policy), include_jobs=False)
            blind_keys = {copy_key(pt) for pt in distinct_copies(index, selected) if injection_disabled(pt)}
            for pt in selected if blind_keys else ():
                if copy_key(pt) in blind_keys:
                    yield finding("CG-MESH-007", policy, f"selects {pt.owner.kind} {pt.owner.name}, whose pods disable "
                                  "sidecar injection (sidecar.istio.io/inject: false); the policy is not enforced "
                                  "there", field="spec.selector" if kind not in ("Sidecar", "EnvoyFilter")
                                  else "spec.workloadSelector")
    for dr in _istio(index, "DestinationRule"):
        svc = service_for_host(index, str(spec_of(dr).get("host", "")), index.namespace_of(dr))
        if svc is None:
            continue
        for s in dr_tls_settings(dr):
            if s.mode != "ISTIO_MUTUAL":
                continue
            blind = [pt for pt in distinct_copies(index, pods_of_service(index, svc)) if injection_disabled(pt)]
            if blind:
                yield finding("CG-MESH-007", dr, f"{s.field}.mode is ISTIO_MUTUAL for Service {svc.name}, but "
                              f"{blind[0].owner.kind} {blind[0].owner.name} disables sidecar injection: clients send "
                              "mTLS to a plain-text application and every request fails", field=f"{s.field}.mode",
                              severity=E)
                break


@rule("CG-MESH-008", W, "DestinationRule subsets that select the same pods (cannot be told apart)", LAYER,
      why="Two subsets with identical labels, or whose labels pick exactly the same rendered workloads behind the "
          "Service, route to the same pods, so a canary or version split between them changes nothing; usually "
          "one label value was copied and not edited. The stable and canary subsets an Argo Rollout in the input "
          "names (trafficRouting.istio.destinationRule) are exempt: Argo Rollouts adds rollouts-pod-template-hash "
          "to their labels while a rollout runs.",
      fix="give each subset the label that distinguishes its pods (e.g. version: v1 / version: v2)",
      example="""\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v1}}
""")
def identical_subsets(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    managed = _rollout_subsets(index)
    for dr in _istio(index, "DestinationRule"):
        seen: dict[str, str] = {}
        own = managed.get((index.namespace_of(dr), dr.name), frozenset())
        yield from _same_workloads(index, dr, own)
        for si, s in enumerate(as_list(spec_of(dr).get("subsets"))):
            s = as_dict(s)
            labels = {str(k): str(v) for k, v in as_dict(s.get("labels")).items()}
            if not labels or s.get("name") in own:
                continue
            key = json.dumps(labels, sort_keys=True)
            if key in seen:
                yield finding("CG-MESH-008", dr, f"spec.subsets[{si}] {s.get('name')!r} has the same labels as "
                              f"subset {seen[key]!r} ({labels}); both select the same pods",
                              field=f"spec.subsets[{si}].labels")
            else:
                seen[key] = str(s.get("name"))


def _rollout_subsets(index: ManifestIndex) -> dict[tuple[str | None, str], frozenset[str]]:
    """(namespace, DestinationRule) -> the stable and canary subsets an Argo Rollout in the input manages: Argo
    Rollouts adds its rollouts-pod-template-hash label to both while a rollout runs (istio subset-level traffic
    splitting), so alike labels in the rendering are how they are meant to be written."""
    out: dict[tuple[str | None, str], frozenset[str]] = {}
    for ro in index.kind("Rollout", ["argoproj.io"]):
        canary = as_dict(as_dict(spec_of(ro).get("strategy")).get("canary"))
        dr = as_dict(as_dict(as_dict(canary.get("trafficRouting")).get("istio")).get("destinationRule"))
        names = frozenset(str(dr[k]) for k in ("stableSubsetName", "canarySubsetName") if dr.get(k))
        if dr.get("name") and len(names) == 2:
            key = (index.namespace_of(ro), str(dr["name"]))
            out[key] = out.get(key, frozenset()) | names
    return out


def _same_workloads(index: ManifestIndex, dr: Document, managed: frozenset[str]) -> Iterator[Finding]:
    """Subsets with different labels that select the same non-empty set of rendered workloads."""
    svc = service_for_host(index, str(spec_of(dr).get("host", "")), index.namespace_of(dr))
    if svc is None:
        return
    behind = distinct_copies(index, pods_of_service(index, svc))  # copies are selected alike and named alike
    seen: dict[frozenset[int], str] = {}
    labelsets: set[str] = set()
    for si, s in enumerate(as_list(spec_of(dr).get("subsets"))):
        s = as_dict(s)
        labels = as_dict(s.get("labels"))
        key = json.dumps({str(k): str(v) for k, v in labels.items()}, sort_keys=True)
        if not labels or key in labelsets or s.get("name") in managed:
            continue  # identical labels: reported below
        labelsets.add(key)
        owners = frozenset(id(pt.owner) for pt in behind if map_selector_matches(labels, pt.labels))
        if not owners:
            continue  # CG-ISTIO-011
        if owners in seen:
            names = sorted({f"{pt.owner.kind} {pt.owner.name}" for pt in behind if id(pt.owner) in owners})
            yield finding("CG-MESH-008", dr, f"spec.subsets[{si}] {s.get('name')!r} selects the same workloads as "
                          f"subset {seen[owners]!r} ({', '.join(names)}); traffic split between them changes nothing",
                          field=f"spec.subsets[{si}].labels")
        else:
            seen[owners] = str(s.get("name"))


@rule("CG-MESH-009", W, "Retries cannot fit in the route timeout (perTryTimeout x attempts > timeout)", LAYER,
      why="The route timeout bounds the whole request including retries: a perTryTimeout at least as long as "
          "the route timeout leaves no time for any retry, and when attempts x perTryTimeout exceeds it the later "
          "retries are cut off and clients see 504 instead of a retried "
          "success.",
      fix="raise the route timeout to at least attempts x perTryTimeout, or lower perTryTimeout/attempts",
      example="""\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - timeout: 2s
    retries: {attempts: 3, perTryTimeout: 2s}
    route: [{destination: {host: web}}]
""")
def retries_vs_timeout(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in _istio(index, "VirtualService"):
        for ri, r in enumerate(as_list(spec_of(vs).get("http"))):
            r = as_dict(r)
            timeout = duration_seconds(r.get("timeout"))
            retries = as_dict(r.get("retries"))
            attempts = as_int(retries.get("attempts"))
            per_try = duration_seconds(retries.get("perTryTimeout"))
            if not timeout or not attempts or not per_try:
                continue
            if per_try >= timeout - 1e-9:
                yield finding("CG-MESH-009", vs, f"spec.http[{ri}]: perTryTimeout {retries.get('perTryTimeout')} is "
                              f"not shorter than the route timeout {r.get('timeout')}: the first try uses the whole "
                              "timeout, so no retry can ever happen", field=f"spec.http[{ri}].retries.perTryTimeout")
            elif attempts * per_try > timeout + 1e-9:
                yield finding("CG-MESH-009", vs, f"spec.http[{ri}]: {attempts} attempts x perTryTimeout "
                              f"{retries.get('perTryTimeout')} = {attempts * per_try:g}s exceed the route timeout "
                              f"{r.get('timeout')}; later retries never happen", field=f"spec.http[{ri}].retries")


@rule("CG-MESH-010", W, "Istio policy selects no workload in the rendered namespace (IST0127)", LAYER,
      why="An AuthorizationPolicy, PeerAuthentication, RequestAuthentication, Sidecar, Telemetry, EnvoyFilter or "
          "WasmPlugin whose workload selector matches none of the pods the chart renders in its namespace has no "
          "effect (istioctl analyze: IST0127 NoMatchingWorkloadsFound); the workload it was meant for stays "
          "unprotected. Certain when the chart renders every workload of that namespace.",
      fix="use the workload's pod labels (the chart's selectorLabels) in the policy's selector",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web-server}}
  action: ALLOW
  rules: [{from: [{source: {namespaces: [shop]}}]}]
""")
def policy_selects_nothing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    gateway_selectors = [as_dict(spec_of(g).get("selector")) for g in _istio(index, "Gateway")]
    for kind in POLICY_KINDS:
        for policy in _istio(index, kind):
            labels = _selector_labels(policy)
            ns = index.namespace_of(policy)
            if labels is None or ns == ROOT_NAMESPACE:
                continue
            pods = PodLookup.of(index)
            if pods.select(labels, ns, include_hooks=True) or not pods.select({}, ns, include_hooks=True):
                continue
            if any(gs and map_selector_matches(labels, gs) for gs in gateway_selectors):
                continue  # a policy for the gateway's pods, which live elsewhere
            owners = sorted({f"{pt.owner.kind} {pt.owner.name}" for pt in pods.select({}, ns, include_hooks=True)})
            shown = ", ".join(owners[:5]) + (f", ... ({len(owners)} workloads)" if len(owners) > 5 else "")
            yield finding("CG-MESH-010", policy, f"selector {labels} matches none of the pods rendered in this "
                          f"namespace ({shown}) "
                          "(IST0127 NoMatchingWorkloadsFound); it has no effect",
                          field="spec.workloadSelector" if kind in ("Sidecar", "EnvoyFilter") else "spec.selector")


@rule("CG-MESH-011", W, "ExternalName Service port name does not declare its protocol (IST0150)", LAYER,
      why="For ExternalName Services the proxy cannot sniff the protocol: ports not named `<protocol>[-suffix]` "
          "(and without appProtocol) may not be forwarded correctly (istioctl analyze: IST0150 "
          "ExternalNameServiceTypeInvalidPortName, a warning).",
      fix="name the port tcp-..., http-..., https-... or set appProtocol",
      example="""\
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  type: ExternalName
  externalName: db.example.com
  ports: [{name: db, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 100}}}
""")
def external_name_port(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    if not any(is_istio(d) for d in index.documents):
        return
    for svc in index.kind("Service"):
        if spec_of(svc).get("type") != "ExternalName":
            continue
        for i, p in enumerate(as_list(spec_of(svc).get("ports"))):
            p = as_dict(p)
            if p.get("appProtocol") or istio_port_name_ok(str(p.get("name") or "")):
                continue
            yield finding("CG-MESH-011", svc, f"spec.ports[{i}] name {p.get('name')!r} does not follow "
                          "`<protocol>[-suffix]` on an ExternalName Service (IST0150)", field=f"spec.ports[{i}].name")


CREDENTIAL_KEYS = (("tls.crt", "tls.key"), ("cert", "key"))
CA_KEYS = ("ca.crt", "cacert")


@rule("CG-MESH-012", E, "Gateway credentialName names a rendered Secret without the certificate keys (IST0161)",
      LAYER,
      why="The gateway loads credentialName as tls.crt/tls.key (or cert/key), plus ca.crt (or cacert) for MUTUAL; "
          "a Secret without them leaves the listener without a certificate and TLS handshakes fail (istioctl "
          "analyze: IST0161 InvalidGatewayCredential).",
      fix="store the certificate as a kubernetes.io/tls Secret with tls.crt and tls.key (and ca.crt for MUTUAL)",
      example="""\
apiVersion: v1
kind: Secret
metadata: {name: web-tls}
type: Opaque
data: {cert.pem: LS0tLS1CRUdJTi0tLS0t, key.pem: LS0tLS1CRUdJTi0tLS0t}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: web-tls}
""")
def gateway_credential(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in _istio(index, "Gateway"):
        ns = index.namespace_of(gw)
        for si, s in enumerate(as_list(spec_of(gw).get("servers"))):
            tls = as_dict(as_dict(s).get("tls"))
            name = tls.get("credentialName")
            if not name:
                continue
            secret = index.get("Secret", str(name), ns)
            if secret is None:
                continue
            keys = set(as_dict(secret.obj.get("data"))) | set(as_dict(secret.obj.get("stringData")))
            problems = []
            if not any(all(k in keys for k in pair) for pair in CREDENTIAL_KEYS):
                problems.append("tls.crt and tls.key (or cert and key)")
            mutual = str(tls.get("mode", "")).upper() in ("MUTUAL", "OPTIONAL_MUTUAL")
            if mutual and not any(k in keys for k in CA_KEYS) and index.get("Secret", f"{name}-cacert", ns) is None:
                problems.append("ca.crt (or a <name>-cacert Secret) for mode MUTUAL")
            if problems:
                yield finding("CG-MESH-012", gw, f"spec.servers[{si}].tls.credentialName {name!r}: Secret {name} has "
                              f"no {' and no '.join(problems)} (keys: {', '.join(sorted(keys)) or 'none'}) (IST0161)",
                              field=f"spec.servers[{si}].tls.credentialName")


@rule("CG-MESH-013", W, "AuthorizationPolicy port is a Service port, not a port the selected pods listen on",
      LAYER,
      why="AuthorizationPolicy `to.operation.ports` are matched against the workload's (container) port after the "
          "Service has translated it; a Service port such as 80 in front of containerPort 8080 never matches, so an "
          "ALLOW rule admits nothing (requests get 403) and a DENY rule protects nothing.",
      fix="use the container port (the Service's targetPort), e.g. 8080 instead of 80",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  rules:
  - to: [{operation: {ports: ['80']}}]
""")
def authz_ports(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ap in _istio(index, "AuthorizationPolicy"):
        labels = _selector_labels(ap)
        if labels is None:
            continue
        ns = index.namespace_of(ap)
        pods = PodLookup.of(index).select(labels, ns, include_jobs=False)
        if not pods:
            continue
        declared = {as_int(as_dict(p).get("containerPort")) for pt in pods for c in serving_containers(pt)
                    for p in as_list(c.get("ports"))}
        service_ports = _service_port_map(index, pods)
        for ri, r in enumerate(as_list(spec_of(ap).get("rules"))):
            for ti, to in enumerate(as_list(as_dict(r).get("to"))):
                op = as_dict(as_dict(to).get("operation"))
                for pi, raw in enumerate(as_list(op.get("ports"))):
                    num = as_int(raw)
                    if num is None or num in declared or num not in service_ports:
                        continue
                    yield finding("CG-MESH-013", ap, f"spec.rules[{ri}].to[{ti}].operation.ports[{pi}] is {num}, a "
                                  f"Service port of {service_ports[num][0]} whose pods listen on "
                                  f"{service_ports[num][1]}; the policy never matches this traffic",
                                  field=f"spec.rules[{ri}].to[{ti}].operation.ports[{pi}]")


def _service_port_map(index: ManifestIndex, pods: list[PodTemplate]) -> dict[int, tuple[str, int]]:
    out: dict[int, tuple[str, int]] = {}
    by_pod = services_of_pods(index)
    for pt in pods:
        for svc in by_pod.get(id(pt.owner), []):
            for _, port, target in service_target_ports(svc):
                num, resolved = as_int(port.get("port")), resolve_port(pt, target, protocol_of(port.get("protocol")))
                if num is not None and resolved is not None and num != resolved:
                    out.setdefault(num, (svc.name, resolved))
    return out


RETRY_ON = frozenset({
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
    "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
    # gRPC status names
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
})
HTTP_STATUS_CODES = range(100, 600)


@rule("CG-MESH-014", E, "VirtualService retries.retryOn names an unknown retry policy (IST0106)", LAYER,
      why=f"validateHTTPRetry ({VALIDATION}) accepts only Envoy retry policies (5xx, gateway-error, reset, "
          "connect-failure, retriable-4xx, refused-stream, retriable-status-codes, ...), gRPC status names "
          "(cancelled, deadline-exceeded, internal, resource-exhausted, unavailable) and HTTP status codes; the "
          "webhook rejects anything else (e.g. gateway_error, 503s).",
      fix="use the exact policy names, comma-separated without spaces, e.g. retryOn: 5xx,reset,connect-failure",
      example="""\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - retries: {attempts: 3, retryOn: 'gateway_error,connect-failure'}
    route: [{destination: {host: web}}]
""")
def retry_on(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in _istio(index, "VirtualService"):
        for ri, r in enumerate(as_list(spec_of(vs).get("http"))):
            value = as_dict(as_dict(r).get("retries")).get("retryOn")
            if not isinstance(value, str) or not value:
                continue
            for policy in value.split(","):
                if policy in RETRY_ON or (policy.isdigit() and int(policy) in HTTP_STATUS_CODES):
                    continue
                yield finding("CG-MESH-014", vs, f"spec.http[{ri}].retries.retryOn: {policy!r} is not a valid "
                              "retryOn policy (IST0106)", field=f"spec.http[{ri}].retries.retryOn")


@rule("CG-MESH-015", E, "VirtualService delegate names a VirtualService that is not rendered or not a delegate "
      "(IST0101)", LAYER,
      why="A route with `delegate` hands the request to another VirtualService; when that VirtualService does not "
          "exist in the namespace, or sets hosts (so it is not a delegate), the route has no destination and "
          "requests get 404 (istioctl analyze: IST0101 ReferencedResourceNotFound). A delegate in a namespace the "
          "chart does not render into is only a warning.",
      fix="render the delegate VirtualService (with no hosts and no gateways) or fix delegate.name/namespace",
      example="""\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - match: [{uri: {prefix: /api}}]
    delegate: {name: api-routes}
""")
def delegate_missing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    namespaces = {d.namespace for d in index.documents if d.namespace} | (
        {index.default_namespace} if index.default_namespace else set())
    for vs in _istio(index, "VirtualService"):
        for ri, r in enumerate(as_list(spec_of(vs).get("http"))):
            delegate = as_dict(r).get("delegate")
            if not isinstance(delegate, dict) or not delegate.get("name"):
                continue
            name = str(delegate["name"])
            ns = str(delegate.get("namespace") or "") or index.namespace_of(vs)
            target = index.get("VirtualService", name, ns)
            fld = f"spec.http[{ri}].delegate"
            if target is None:
                local = ns is None or ns in namespaces or not namespaces
                yield finding("CG-MESH-015", vs, f"{fld}: VirtualService {name!r}"
                              f"{f' in namespace {ns}' if ns else ''} is not in the rendered manifests (IST0101)"
                              + ("" if local else "; it may exist in that namespace"), field=fld,
                              severity=E if local else W)
            elif as_list(spec_of(target).get("hosts")):
                yield finding("CG-MESH-015", vs, f"{fld}: VirtualService {name!r} sets hosts, so it is not a "
                              "delegate: Istio ignores the delegation and this route has no destination", field=fld)


def _sidecar_host_error(host: str) -> str | None:
    ns, sep, name = host.partition("/")
    if not sep or not ns or not name:
        return "hosts must be of form namespace/dnsName"
    if ns not in ("*", ".", "~") and not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", ns):
        return f"invalid namespace {ns!r}"
    return None


@rule("CG-MESH-016", E, "Sidecar egress/ingress settings rejected by Istio validation (hosts form)", LAYER,
      why=f"validateSidecar ({VALIDATION}): every egress host is `namespace/dnsName` (`./*`, `istio-system/*`, "
          "`*/api.example.com`); a bare host name is rejected by the webhook (IST0106).",
      fix="prefix each egress host with its namespace: ./*, istio-system/*, */api.example.com",
      example="""\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec:
  egress:
  - hosts: [istio-system/*, api.example.com]
""")
def sidecar_hosts(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for sc in _istio(index, "Sidecar"):
        for ei, egress in enumerate(as_list(spec_of(sc).get("egress"))):
            for hi, host in enumerate(as_list(as_dict(egress).get("hosts"))):
                if isinstance(host, str) and (err := _sidecar_host_error(host)):
                    yield finding("CG-MESH-016", sc, f"spec.egress[{ei}].hosts[{hi}] {host!r}: {err} (IST0106)",
                                  field=f"spec.egress[{ei}].hosts[{hi}]")


@rule("CG-MESH-017", W, "More than one namespace-wide Sidecar, Telemetry or PeerAuthentication in a namespace "
      "(IST0111/IST0160)", LAYER,
      why="Istio applies a single selector-less Sidecar, Telemetry or PeerAuthentication per namespace; with two "
          "it picks one (the oldest), so which settings apply is undefined (istioctl analyze: IST0111 "
          "MultipleSidecarsWithoutWorkloadSelectors, IST0160 MultipleTelemetriesWithoutWorkloadSelectors).",
      fix="merge them into one namespace-wide object, or give the others a workload selector",
      example="""\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec:
  egress: [{hosts: [./*]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: strict}
spec:
  egress: [{hosts: [istio-system/*]}]
""")
def multiple_namespace_wide(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    codes = {"Sidecar": "IST0111", "Telemetry": "IST0160", "PeerAuthentication": "conflicting mTLS policy"}
    for kind, code in codes.items():
        seen: dict[str | None, Document] = {}
        for doc in _istio(index, kind):
            if _selector_labels(doc) is not None or (kind == "Sidecar" and spec_of(doc).get("workloadSelector")):
                continue
            ns = index.namespace_of(doc)
            first = seen.setdefault(ns, doc)
            if first is not doc:
                yield finding("CG-MESH-017", doc, f"{kind} {first.name} already applies to the whole namespace; with "
                              f"two, Istio picks one and the other is ignored ({code})", field="spec")
