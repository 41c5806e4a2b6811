"""Istio Sidecar listeners (istio pkg/config/validation/validation.go: ValidateSidecar) beyond the egress host form
(CG-MESH-016): ingress and egress listener ports, the catch-all egress listener, ingress TLS, the outbound traffic
policy's egress proxy - CG-MESH-038."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import as_dict, as_list, is_ip, spec_of, strict_int
from chartgen.check.mesh import is_istio
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

UNIX = "unix://"
LOOPBACK_HOSTS = ("", "127.0.0.1", "0.0.0.0", "::1", "::")
INGRESS_TLS_MODES_FORBIDDEN = ("ISTIO_MUTUAL", "AUTO_PASSTHROUGH")


@rule("CG-MESH-038", Severity.ERROR, "Sidecar listeners rejected by Istio validation (ports, catch-all egress, "
      "ingress TLS, egress proxy)", "istio",
      why="ValidateSidecar (istio pkg/config/validation) rejects a Sidecar with no egress, ingress, "
          "outboundTrafficPolicy or inboundConnectionPool; an ingress listener without a port; a port number "
          "outside 1-65535 or used by two IP-bound listeners; an egress listener without a port that is not the "
          "last one (or a second one); port 0 without a unix:// bind; an egress listener without hosts; an ingress "
          "defaultEndpoint that is not 127.0.0.1/0.0.0.0/[::1]/[::]:<port> or unix://; ingress TLS with "
          "ISTIO_MUTUAL/AUTO_PASSTHROUGH, httpsRedirect or credentialName; an egressProxy without mode ALLOW_ANY.",
      fix="give every ingress listener a unique port, keep one port-less egress listener and put it last, and set "
          "outboundTrafficPolicy.mode: ALLOW_ANY when you set egressProxy",
      example="""\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec:
  egress:
  - hosts: [./*]
  - port: {number: 9080, protocol: HTTP, name: http}
    hosts: [istio-system/*]
""")
def sidecar_listeners(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for sc in index.kind("Sidecar"):
        if not is_istio(sc):
            continue
        spec = spec_of(sc)
        if not (as_list(spec.get("egress")) or as_list(spec.get("ingress"))
                or any(spec.get(k) is not None for k in ("outboundTrafficPolicy", "inboundConnectionPool"))):
            yield finding("CG-MESH-038", sc, "sidecar: empty configuration provided", field="spec")
            continue
        for fld, msg in (*_ingress_errors(as_list(spec.get("ingress"))), *_egress_errors(as_list(spec.get("egress"))),
                         *_outbound_errors(as_dict(spec.get("outboundTrafficPolicy")))):
            yield finding("CG-MESH-038", sc, f"{fld}: sidecar: {msg}", field=fld)


def _port_error(port: dict[str, Any]) -> str | None:
    number = strict_int(port.get("number"))
    if number is not None and not 1 <= number <= 65535:
        return f"port number {number} must be in the range 1..65535"
    return None


def _ingress_errors(ingress: list[Any]) -> Iterator[tuple[str, str]]:
    seen: set[int] = set()
    for i, listener in enumerate(ingress):
        listener, fld = as_dict(listener), f"spec.ingress[{i}]"
        port = listener.get("port")
        if not isinstance(port, dict):
            yield f"{fld}.port", "port is required for ingress listeners"
            continue
        if err := _port_error(port):
            yield f"{fld}.port.number", err
        number = strict_int(port.get("number"))
        if number is not None and number in seen:
            yield f"{fld}.port.number", "ports on IP bound listeners must be unique"
        seen.add(number if number is not None else -1)
        endpoint = listener.get("defaultEndpoint")
        if isinstance(endpoint, str) and endpoint and (err := _endpoint_error(endpoint)):
            yield f"{fld}.defaultEndpoint", err
        tls = as_dict(listener.get("tls"))
        if tls.get("mode") in INGRESS_TLS_MODES_FORBIDDEN:
            yield f"{fld}.tls.mode", f"cannot set mode to {tls['mode']} in sidecar ingress tls"
        for key, what in (("httpsRedirect", "httpsRedirect"), ("credentialName", "credentialName")):
            if tls.get(key):
                yield f"{fld}.tls.{key}", f"{what} is not supported"


def _endpoint_error(endpoint: str) -> str | None:
    """defaultEndpoint is unix://<path> or <loopback or any address>:<port>."""
    if endpoint.startswith(UNIX):
        return None
    host, sep, port = endpoint.rpartition(":")
    host = host.strip("[]")
    number = int(port) if sep and port.isdigit() else None
    if not sep or host not in LOOPBACK_HOSTS or number is None or not 1 <= number <= 65535:
        return (f"defaultEndpoint {endpoint!r} must be of form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, "
                "[::]:<port>, unix://filepath, or unset")
    return None


def _egress_errors(egress: list[Any]) -> Iterator[tuple[str, str]]:
    seen: set[int] = set()
    catch_all = False
    for i, listener in enumerate(egress):
        listener, fld = as_dict(listener), f"spec.egress[{i}]"
        port = listener.get("port")
        if not isinstance(port, dict):
            if catch_all:
                yield fld, "egress can have only one listener with empty port"
                continue
            if i == len(egress) - 1:
                catch_all = True
            else:
                yield fld, "the egress listener with empty port should be the last listener in the list"
        else:
            number = strict_int(port.get("number"))
            bind = str(listener.get("bind") or "")
            if number == 0 and not bind.startswith(UNIX):
                yield f"{fld}.bind", "ports with 0 value must have a unix domain socket bind address"
            elif err := _port_error(port):
                yield f"{fld}.port.number", err
            elif number and bind and not bind.startswith(UNIX) and not is_ip(bind):
                yield f"{fld}.bind", f"bind {bind!r} is not an IP address"
            if number and number in seen:
                yield f"{fld}.port.number", "ports on IP bound listeners must be unique"
            if number:
                seen.add(number)
        if not as_list(listener.get("hosts")):
            yield f"{fld}.hosts", "egress listener must contain at least one host"


def _outbound_errors(policy: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if policy.get("egressProxy") is not None and policy.get("mode") != "ALLOW_ANY":
        yield "spec.outboundTrafficPolicy.egressProxy", "egress_proxy must be set only with ALLOW_ANY " \
            "outbound_traffic_policy mode"
