"""Istio host names (istio pkg/config/validation/agent: ValidateWildcardDomain): VirtualService hosts and the
DestinationRule host - CG-MESH-040."""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import as_list, is_ip, spec_of
from chartgen.check.mesh import is_istio
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.rules.istio_service_entries import wildcard_domain_ok


@rule("CG-MESH-040", Severity.ERROR, "VirtualService or DestinationRule host is not a (wildcard) domain name",
      "istio",
      why="ValidateVirtualService and ValidateDestinationRule (istio pkg/config/validation) reject a host that is "
          "not a domain name with an optional wildcard first label (`reviews`, `reviews.shop.svc.cluster.local`, "
          "`*.example.com`): a scheme, a port, a path or an underscore (`http://web`, `web:8080`, `web_api`) is "
          "rejected (a VirtualService host may also be an IP address).",
      fix="use the bare host name: the Service name or its FQDN, without scheme, port or path",
      example="""\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web:8080
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
""")
def host_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for dr in index.kind("DestinationRule"):
        host = spec_of(dr).get("host")
        if is_istio(dr) and isinstance(host, str) and not wildcard_domain_ok(host):
            yield finding("CG-MESH-040", dr, f"DestinationRule {dr.name}: spec.host {host!r}: domain name invalid",
                          field="spec.host")
    for vs in index.kind("VirtualService"):
        spec = spec_of(vs)
        if not is_istio(vs) or spec.get("tls"):  # SNI hosts follow other rules
            continue
        for i, host in enumerate(as_list(spec.get("hosts"))):
            if isinstance(host, str) and host != "*" and not wildcard_domain_ok(host) and not is_ip(host):
                yield finding("CG-MESH-040", vs, f"VirtualService {vs.name}: spec.hosts[{i}] {host!r}: domain name "
                              "invalid", field=f"spec.hosts[{i}]")
