"""Layer "api", networking.k8s.io/v1: what kubernetes pkg/apis/networking/validation/validation.go rejects beyond
the schema, for NetworkPolicy (policy types, ports, peers, ipBlocks) and Ingress (hosts, paths, backends)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import as_dict, as_list, spec_of, strict_int
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.core import k8snames

E, W = Severity.ERROR, Severity.WARNING
LAYER = "api"
SRC = "kubernetes pkg/apis/networking/validation/validation.go"
PROTOCOLS = ("TCP", "UDP", "SCTP")
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_PORT_NAME = re.compile(r"^[-a-z0-9]+$")


def port_name_ok(name: str) -> bool:
    """IsValidPortName: <= 15 chars of [-a-z0-9], a letter, no leading/trailing/double hyphen."""
    return (1 <= len(name) <= 15 and bool(_PORT_NAME.match(name)) and bool(re.search(r"[a-z]", name))
            and "--" not in name and not name.startswith("-") and not name.endswith("-"))


def cidr_error(text: str) -> str | None:
    if "/" not in text:
        return "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
    try:
        ipaddress.ip_network(text, strict=False)  # host bits set: accepted (with a warning) by the API server
    except ValueError:
        return "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
    return None


def _networkpolicies(index: ManifestIndex) -> Iterator[Document]:
    for doc in index.kind("NetworkPolicy"):
        if doc.api_version.startswith("networking.k8s.io/"):
            yield doc


@rule("CG-NET-001", E, "NetworkPolicy policyTypes, ports or peers invalid (ipBlock CIDR and except, endPort, "
      "empty peer)", LAYER,
      why=f"ValidateNetworkPolicySpec ({SRC}): policyTypes are Ingress/Egress (at most two); a port is a number "
          "1-65535 or a port name, protocol TCP/UDP/SCTP, endPort needs a numeric port and must not be below it; "
          "a peer sets ipBlock alone or pod/namespace selectors; ipBlock.cidr must be a CIDR and every except entry "
          "a strict subset of it.",
      fix="use valid CIDRs whose except ranges lie inside cidr, numeric ports with endPort, and one kind of peer",
      example="""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}
""")
def networkpolicy(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _networkpolicies(index):
        spec = spec_of(doc)
        types = as_list(spec.get("policyTypes"))
        if len(types) > 2:
            yield finding("CG-NET-001", doc, "spec.policyTypes: Invalid value: may not specify more than two "
                          "policyTypes", field="spec.policyTypes")
        for i, t in enumerate(types):
            if t not in ("Ingress", "Egress"):
                yield finding("CG-NET-001", doc, f"spec.policyTypes[{i}]: Unsupported value: {t!r}: supported values: "
                              "\"Ingress\", \"Egress\"", field=f"spec.policyTypes[{i}]")
        for direction, peers_key in (("ingress", "from"), ("egress", "to")):
            for ri, r in enumerate(as_list(spec.get(direction))):
                base = f"spec.{direction}[{ri}]"
                for pi, p in enumerate(as_list(as_dict(r).get("ports"))):
                    yield from _np_port(doc, f"{base}.ports[{pi}]", as_dict(p))
                for pi, peer in enumerate(as_list(as_dict(r).get(peers_key))):
                    yield from _np_peer(doc, f"{base}.{peers_key}[{pi}]", as_dict(peer))


def _np_port(doc: Document, fld: str, p: dict[str, Any]) -> Iterator[Finding]:
    proto = p.get("protocol")
    if proto is not None and proto not in PROTOCOLS:
        yield finding("CG-NET-001", doc, f"{fld}.protocol: Unsupported value: {proto!r}: supported values: "
                      "\"SCTP\", \"TCP\", \"UDP\"", field=f"{fld}.protocol")
    port, end = p.get("port"), strict_int(p.get("endPort"))
    num = strict_int(port)
    if num is not None and not 1 <= num <= 65535:
        yield finding("CG-NET-001", doc, f"{fld}.port: Invalid value: {num}: must be between 1 and 65535, inclusive",
                      field=f"{fld}.port")
    elif isinstance(port, str) and not port_name_ok(port):
        yield finding("CG-NET-001", doc, f"{fld}.port: Invalid value: {port!r}: must be a port number or an "
                      "IANA_SVC_NAME (at most 15 characters of [-a-z0-9] with a letter)", field=f"{fld}.port")
    if end is not None:
        if num is None:
            yield finding("CG-NET-001", doc, f"{fld}.endPort: Required value: may not be specified when `port` is "
                          "not a number", field=f"{fld}.endPort")
        elif end < num:
            yield finding("CG-NET-001", doc, f"{fld}.endPort: Invalid value: {end}: must be greater than or equal "
                          "to `port`", field=f"{fld}.endPort")
        elif end > 65535:
            yield finding("CG-NET-001", doc, f"{fld}.endPort: Invalid value: {end}: must be between 1 and 65535",
                          field=f"{fld}.endPort")


def _np_peer(doc: Document, fld: str, peer: dict[str, Any]) -> Iterator[Finding]:
    present = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(k) is not None]
    if not present:
        yield finding("CG-NET-001", doc, f"{fld}: Required value: must specify a peer", field=fld)
        return
    if "ipBlock" in present and len(present) > 1:
        yield finding("CG-NET-001", doc, f"{fld}: Forbidden: may not specify both ipBlock and another peer",
                      field=fld)
    block = peer.get("ipBlock")
    if not isinstance(block, dict):
        return
    cidr = block.get("cidr")
    if not isinstance(cidr, str) or not cidr:
        yield finding("CG-NET-001", doc, f"{fld}.ipBlock.cidr: Required value", field=f"{fld}.ipBlock.cidr")
        return
    if err := cidr_error(cidr):
        yield finding("CG-NET-001", doc, f"{fld}.ipBlock.cidr: Invalid value: {cidr!r}: {err}",
                      field=f"{fld}.ipBlock.cidr")
        return
    net = ipaddress.ip_network(cidr, strict=False)
    for i, ex in enumerate(as_list(block.get("except"))):
        efld = f"{fld}.ipBlock.except[{i}]"
        if not isinstance(ex, str) or cidr_error(ex):
            yield finding("CG-NET-001", doc, f"{efld}: Invalid value: {ex!r}: must be a valid CIDR value",
                          field=efld)
            continue
        exn = ipaddress.ip_network(ex, strict=False)
        if exn.version != net.version or not exn.subnet_of(net) or exn.prefixlen <= net.prefixlen:  # type: ignore[arg-type]
            yield finding("CG-NET-001", doc, f"{efld}: Invalid value: {ex!r}: must be a strict subset of `cidr` "
                          f"({cidr})", field=efld)


def host_errors(host: str) -> str | None:
    """An Ingress rule host: a DNS subdomain, optionally with a leading `*.` label; never an IP address."""
    try:
        ipaddress.ip_address(host)
        return "must be a DNS name, not an IP address"
    except ValueError:
        pass
    name = host[2:] if host.startswith("*.") else host
    if "*" in name:
        return "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain"
    if len(host) > 253 or not k8snames.DNS1123_SUBDOMAIN.match(name):
        return ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                "must start and end with an alphanumeric character")
    return None


def _ingresses(index: ManifestIndex) -> Iterator[Document]:
    for doc in index.kind("Ingress"):
        if doc.api_version == "networking.k8s.io/v1":
            yield doc


@rule("CG-NET-002", E, "Ingress rules, paths, pathType or backends invalid", LAYER,
      why=f"ValidateIngressSpec ({SRC}): either defaultBackend or rules; hosts are DNS names (a wildcard only as "
          "the first label, never an IP); paths are absolute and, for Exact/Prefix, free of '//', '/./', '/../'; "
          "pathType is Exact, Prefix or ImplementationSpecific; a backend is a service XOR a resource, and a "
          "service port a name XOR a number (1-65535); ingressClassName and the kubernetes.io/ingress.class "
          "annotation may not both be set.",
      fix="use absolute paths with pathType Prefix, backend.service {name, port: {number|name}}, DNS hostnames",
      example="""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: api
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
""")
def ingress(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _ingresses(index):
        spec = spec_of(doc)
        rules = as_list(spec.get("rules"))
        if spec.get("defaultBackend") is None and not rules:
            yield finding("CG-NET-002", doc, "spec: Invalid value: either `defaultBackend` or `rules` must be "
                          "specified", field="spec")
        if spec.get("ingressClassName") is not None and INGRESS_CLASS_ANNOTATION in doc.annotations:
            yield finding("CG-NET-002", doc, f"metadata.annotations[{INGRESS_CLASS_ANNOTATION}]: Invalid value: can "
                          "not be set when the class field is also set",
                          field=f"metadata.annotations[{INGRESS_CLASS_ANNOTATION}]")
        if spec.get("defaultBackend") is not None:
            yield from _backend(doc, "spec.defaultBackend", as_dict(spec.get("defaultBackend")))
        for ri, r in enumerate(rules):
            r = as_dict(r)
            host = r.get("host")
            if isinstance(host, str) and host and (err := host_errors(host)):
                yield finding("CG-NET-002", doc, f"spec.rules[{ri}].host: Invalid value: {host!r}: {err}",
                              field=f"spec.rules[{ri}].host")
            http = r.get("http")
            if http is None:
                continue
            for pi, p in enumerate(as_list(as_dict(http).get("paths"))):
                yield from _path(doc, f"spec.rules[{ri}].http.paths[{pi}]", as_dict(p))
        for ti, t in enumerate(as_list(spec.get("tls"))):
            for hi, host in enumerate(as_list(as_dict(t).get("hosts"))):
                if isinstance(host, str) and (err := host_errors(host)):
                    yield finding("CG-NET-002", doc, f"spec.tls[{ti}].hosts[{hi}]: Invalid value: {host!r}: {err}",
                                  field=f"spec.tls[{ti}].hosts[{hi}]")


def _path(doc: Document, fld: str, p: dict[str, Any]) -> Iterator[Finding]:
    path, ptype = p.get("path"), p.get("pathType")
    if ptype is not None and ptype not in PATH_TYPES:
        yield finding("CG-NET-002", doc, f"{fld}.pathType: Unsupported value: {ptype!r}: supported values: "
                      "\"Exact\", \"ImplementationSpecific\", \"Prefix\"", field=f"{fld}.pathType")
    if isinstance(path, str) and path:
        if not path.startswith("/"):
            yield finding("CG-NET-002", doc, f"{fld}.path: Invalid value: {path!r}: must be an absolute path",
                          field=f"{fld}.path")
        elif ptype in ("Exact", "Prefix"):
            bad = [s for s in INVALID_PATH_SEQUENCES if s in path] + [s for s in INVALID_PATH_SUFFIXES
                                                                     if path.endswith(s)]
            if bad:
                yield finding("CG-NET-002", doc, f"{fld}.path: Invalid value: {path!r}: must not contain '{bad[0]}'",
                              field=f"{fld}.path")
    elif ptype in ("Exact", "Prefix") and path is not None:
        yield finding("CG-NET-002", doc, f"{fld}.path: Invalid value: \"\": must be an absolute path",
                      field=f"{fld}.path")
    if p.get("backend") is not None:
        yield from _backend(doc, f"{fld}.backend", as_dict(p.get("backend")))


def _backend(doc: Document, fld: str, b: dict[str, Any]) -> Iterator[Finding]:
    svc, res = b.get("service"), b.get("resource")
    if svc is not None and res is not None:
        yield finding("CG-NET-002", doc, f"{fld}: Invalid value: cannot set both resource and service backends",
                      field=fld)
        return
    if svc is None and res is None:
        yield finding("CG-NET-002", doc, f"{fld}: Invalid value: resource or service backend is required", field=fld)
        return
    if svc is None:
        return
    svc = as_dict(svc)
    name = svc.get("name")
    if isinstance(name, str) and name and not k8snames.DNS1035_LABEL.match(name):
        yield finding("CG-NET-002", doc, f"{fld}.service.name: Invalid value: {name!r}: a Service name must be a "
                      "DNS-1035 label", field=f"{fld}.service.name")
    port = svc.get("port")
    if port is None:
        yield finding("CG-NET-002", doc, f"{fld}.service.port: Required value: port name or number is required",
                      field=f"{fld}.service.port")
        return
    port = as_dict(port)
    pname, pnum = port.get("name"), port.get("number")
    if pname not in (None, "") and pnum not in (None, 0):
        yield finding("CG-NET-002", doc, f"{fld}.service.port: Invalid value: cannot set both port name & port "
                      "number", field=f"{fld}.service.port")
    elif pname in (None, "") and pnum in (None, 0):
        yield finding("CG-NET-002", doc, f"{fld}.service.port: Invalid value: port name or number is required",
                      field=f"{fld}.service.port")
    elif isinstance(pname, str) and pname and not port_name_ok(pname):
        yield finding("CG-NET-002", doc, f"{fld}.service.port.name: Invalid value: {pname!r}: must be a valid port "
                      "name (IANA_SVC_NAME)", field=f"{fld}.service.port.name")
    elif (n := strict_int(pnum)) is not None and not 1 <= n <= 65535:
        yield finding("CG-NET-002", doc, f"{fld}.service.port.number: Invalid value: {n}: must be between 1 and "
                      "65535, inclusive", field=f"{fld}.service.port.number")


_HTTP_PATH = re.compile(r"^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$")


def _domain_prefixed_path_error(value: str) -> str | None:
    """IsDomainPrefixedPath: `<DNS-1123 subdomain>/<HTTP path>`, e.g. k8s.io/ingress-nginx."""
    domain, slash, path = value.partition("/")
    if not slash or not domain or not path:
        return "must be a domain-prefixed path (such as \"acme.io/foo\")"
    if len(domain) > 253 or not k8snames.DNS1123_SUBDOMAIN.match(domain):
        return "the domain part must be a DNS-1123 subdomain"
    if not _HTTP_PATH.match(path):
        return "the path part must be a valid HTTP path"
    return None


@rule("CG-NET-004", E, "IngressClass controller or parameters invalid", LAYER,
      why=f"ValidateIngressClass ({SRC}): spec.controller is a domain-prefixed path of at most 250 characters "
          "(e.g. k8s.io/ingress-nginx); parameters need kind and name, scope Cluster or Namespace, a namespace "
          "exactly with scope Namespace.",
      fix="set spec.controller to the controller's name (e.g. k8s.io/ingress-nginx) and complete the parameters",
      example="""\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec:
  controller: ingress-nginx
""")
def ingress_class(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("IngressClass", ("networking.k8s.io",)):
        spec = spec_of(doc)
        controller = spec.get("controller")
        if isinstance(controller, str) and (err := (_domain_prefixed_path_error(controller) if len(controller) <= 250
                                                    else "must be no more than 250 characters")):
            yield finding("CG-NET-004", doc, f"spec.controller: Invalid value: {controller!r}: {err}",
                          field="spec.controller")
        params = spec.get("parameters")
        if not isinstance(params, dict):
            continue
        for key in ("kind", "name"):
            if not params.get(key):
                yield finding("CG-NET-004", doc, f"spec.parameters.{key}: Required value",
                              field=f"spec.parameters.{key}")
        scope = params.get("scope", "Cluster")
        if scope not in ("Cluster", "Namespace"):
            yield finding("CG-NET-004", doc, f"spec.parameters.scope: Unsupported value: {scope!r}: supported values: "
                          "\"Cluster\", \"Namespace\"", field="spec.parameters.scope")
        elif (scope == "Namespace") != bool(params.get("namespace")):
            what = "Required value: `parameters.scope` is set to 'Namespace'" if scope == "Namespace" else \
                "Forbidden: `parameters.scope` is set to 'Cluster'"
            yield finding("CG-NET-004", doc, f"spec.parameters.namespace: {what}", field="spec.parameters.namespace")
