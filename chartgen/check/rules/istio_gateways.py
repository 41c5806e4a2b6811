"""Istio Gateways (networking.istio.io; Gateway API Gateways are another kind): servers, TLS, conflicts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from chartgen.check.helpers import ISTIO_NETWORKING, as_dict, as_int, as_list, fmt_labels, is_ip, spec_of
from chartgen.check.mesh import TLS_PROTOCOLS, hosts_overlap, servers_of, strip_ns
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.rules.istio_service_entries import wildcard_domain_ok

LAYER = "istio"
_ISTIO_LABEL = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")  # istio pkg/config/labels


@rule(
    "CG-ISTIO-014",
    Severity.ERROR,
    "Two Gateways with the same selector claim the same host and port (IST0145)",
    LAYER,
    why=(
        "Two Gateways selecting the same gateway pods claim the same host and port: Envoy keeps one and "
        "rejects the other (IST0145)."
    ),
    fix="serve each host:port from one Gateway (merge the servers) or use distinct hosts",
    example="""\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [web.example.com]}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public-2}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [web.example.com]}]
""",
)
def gateway_conflicts(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    groups: dict[frozenset[tuple[str, str]], list[Document]] = {}
    for gw in index.kind("Gateway", ISTIO_NETWORKING):
        sel = frozenset((str(k), str(v)) for k, v in as_dict(spec_of(gw).get("selector")).items())
        groups.setdefault(sel, []).append(gw)
    # the clash of two Gateways depends on their specs alone: copies of a chart (one shared spec object per equal
    # text) compare their specs once, not once per pair of copies
    clashes: dict[tuple[int, int], tuple[int, str] | None] = {}
    for sel, gws in groups.items():
        for j in range(1, len(gws)):
            b = gws[j]
            for a in gws[:j]:
                key = (id(a.obj.get("spec")), id(b.obj.get("spec")))
                if key not in clashes:
                    clashes[key] = _gateway_clash(a, b)
                clash = clashes[key]
                if clash:
                    port, host = clash
                    yield finding(
                        "CG-ISTIO-014",
                        b,
                        f"Gateway {b.name} and Gateway {a.name} select the same gateway pods "
                        f"({fmt_labels(dict(sel))}) and both claim host {host!r} on port {port} "
                        "(IST0145 ConflictingGateways); one of them is ignored",
                        hint="merge the servers into one Gateway, or use distinct hosts or ports",
                        field="spec.servers",
                    )
                    break


def _gateway_clash(a: Document, b: Document) -> tuple[int, str] | None:
    for sa in servers_of(a):
        pa = as_int(as_dict(sa.get("port")).get("number"))
        for sb in servers_of(b):
            if pa is None or pa != as_int(as_dict(sb.get("port")).get("number")):
                continue
            for ha in as_list(sa.get("hosts")):
                for hb in as_list(sb.get("hosts")):
                    if hosts_overlap(strip_ns(str(ha)), strip_ns(str(hb))):
                        return pa, strip_ns(str(hb))
    return None


@rule(
    "CG-ISTIO-016",
    Severity.ERROR,
    "Gateway server TLS settings are inconsistent with its protocol",
    LAYER,
    why=(
        "HTTPS/TLS servers need tls settings (mode and credentials), plain protocols must not have them: "
        "Istio rejects or ignores the server."
    ),
    fix=(
        "give HTTPS/TLS servers tls.mode (SIMPLE/MUTUAL with credentialName, or PASSTHROUGH); remove tls from"
        " HTTP servers"
    ),
    example="""\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: [web.example.com]}]
""",
)
def gateway_tls(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in index.kind("Gateway", ISTIO_NETWORKING):
        for si, s in enumerate(as_list(spec_of(gw).get("servers"))):
            s = as_dict(s)
            proto = str(as_dict(s.get("port")).get("protocol", "")).upper()
            tls = s.get("tls")
            field = f"spec.servers[{si}]"

            def err(msg: str, hint: str, where: str = field, gw: Document = gw, si: int = si,
                    proto: str = proto) -> Finding:
                return finding(
                    "CG-ISTIO-016",
                    gw,
                    f"Gateway {gw.name}: server {si} ({proto}): {msg} (IST0106)",
                    hint=hint,
                    field=where,
                )

            if proto in TLS_PROTOCOLS and not isinstance(tls, dict):
                yield err(
                    "has no tls block; HTTPS/TLS servers must configure TLS",
                    "add tls: {mode: SIMPLE, credentialName: <secret>} (or PASSTHROUGH for TLS)",
                )
                continue
            if not isinstance(tls, dict):
                continue
            if proto not in TLS_PROTOCOLS:
                if not tls.get("httpsRedirect"):
                    yield err(
                        "plain-text server has TLS settings (only httpsRedirect is allowed)",
                        "remove tls, or change the protocol to HTTPS",
                        f"{field}.tls",
                    )
                continue
            mode = str(tls.get("mode", "PASSTHROUGH")).upper()
            has_cred = bool(
                tls.get("credentialName")
                or tls.get("credentialNames")
                or tls.get("tlsCertificates")
                or (tls.get("serverCertificate") and tls.get("privateKey"))
            )
            if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL") and not has_cred:
                yield err(
                    f"tls.mode {mode} without credentialName (or serverCertificate/privateKey)",
                    "set tls.credentialName to the TLS Secret in the gateway's namespace",
                    f"{field}.tls",
                )
            elif mode in ("MUTUAL", "OPTIONAL_MUTUAL") and not (
                tls.get("credentialName")
                or tls.get("credentialNames")
                or tls.get("caCertificates")
                or tls.get("caCertCredentialName")
            ):
                yield err(
                    f"tls.mode {mode} without a CA to verify clients (caCertificates or a credentialName "
                    "whose Secret holds ca.crt)",
                    "set credentialName (Secret with ca.crt) or caCertificates",
                    f"{field}.tls",
                )
            if mode == "ISTIO_MUTUAL" and tls.get("credentialName"):
                yield err(
                    "tls.mode ISTIO_MUTUAL must not set credentialName",
                    "drop credentialName, or use MUTUAL",
                    f"{field}.tls.credentialName",
                )


def gateway_host_error(host: str) -> str | None:
    """validateNamespaceSlashWildcardHostname (isGateway): `[namespace/]host`, the namespace `*`, `.` or a DNS
    label; the host `*`, a wildcard domain with a dot, or an IP address (short names are rejected)."""
    ns, sep, name = host.rpartition("/")
    if sep and (not ns or "/" in ns or (ns not in ("*", ".") and not (len(ns) <= 63 and _ISTIO_LABEL.match(ns)))):
        return f"invalid namespace value {ns!r} in gateway"
    if name == "*":
        return None
    if "." not in name:
        return "short names (non FQDN) are not allowed"
    if not wildcard_domain_ok(name) and not is_ip(name):
        return f"domain name {name!r} invalid"
    return None


@rule(
    "CG-ISTIO-017",
    Severity.ERROR,
    "Gateway fails Istio validation (servers, hosts, ports, port names)",
    LAYER,
    why=(
        "Istio rejects an Istio Gateway (networking.istio.io) without servers, hosts or valid ports (Gateway "
        "API Gateways are a different kind and are not checked here)."
    ),
    fix="give every server a port (number, name, protocol) and at least one host",
    example="""\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public}
spec:
  selector: {istio: ingressgateway}
  servers: []
""",
)
def gateway_validation(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in index.kind("Gateway", ISTIO_NETWORKING):
        servers = as_list(spec_of(gw).get("servers"))
        if not servers:
            yield finding(
                "CG-ISTIO-017",
                gw,
                f"Gateway {gw.name}: has no servers (IST0106)",
                hint="add at least one server",
                field="spec.servers",
            )
            continue
        names: dict[str, int] = {}
        for si, s in enumerate(servers):
            s = as_dict(s)
            port = as_dict(s.get("port"))
            if not as_list(s.get("hosts")):
                yield finding(
                    "CG-ISTIO-017",
                    gw,
                    f"Gateway {gw.name}: server {si} has no hosts (IST0106)",
                    hint='add hosts (e.g. "*" or a domain)',
                    field=f"spec.servers[{si}].hosts",
                )
            for hi, host in enumerate(as_list(s.get("hosts"))):
                if isinstance(host, str) and (host_err := gateway_host_error(host)):
                    yield finding(
                        "CG-ISTIO-017",
                        gw,
                        f"Gateway {gw.name}: server {si} host {host!r}: {host_err} (IST0106)",
                        hint='use "*", a domain (web.example.com, *.example.com), optionally as namespace/host',
                        field=f"spec.servers[{si}].hosts[{hi}]",
                    )
            num = as_int(port.get("number"))
            if num is not None and not 1 <= num <= 65535:
                yield finding(
                    "CG-ISTIO-017",
                    gw,
                    f"Gateway {gw.name}: server {si} port {num} is outside 1-65535 (IST0106)",
                    hint="use a valid port number",
                    field=f"spec.servers[{si}].port.number",
                )
            name = port.get("name")
            if name is None:
                continue
            if str(name) in names:
                yield finding(
                    "CG-ISTIO-017",
                    gw,
                    f"Gateway {gw.name}: port name {name!r} is used by servers {names[str(name)]} and {si}; "
                    "port names must be unique within a Gateway (IST0106)",
                    hint="give every server port a unique name (e.g. http, https)",
                    field=f"spec.servers[{si}].port.name",
                )
            else:
                names[str(name)] = si
