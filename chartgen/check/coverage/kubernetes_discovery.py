"""Kubernetes discovery.k8s.io/v1 (pkg/apis/discovery/validation/validation.go): EndpointSlices."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_V = "kubernetes pkg/apis/discovery/validation: "

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.discovery.address-type", _V + "validateAddressType", "addressType is IPv4, IPv6 or FQDN",
             rules=("CG-EPS-001",)),
    Upstream("k8s.discovery.addresses", _V + "validateEndpoints", "an endpoint has 1-100 addresses of the slice's "
             "type, no loopback/link-local/unspecified IPs", rules=("CG-EPS-001",)),
    Upstream("k8s.discovery.hostname", _V + "validateEndpoints", "an endpoint hostname is a DNS-1123 label",
             rules=("CG-EPS-001",)),
    Upstream("k8s.discovery.ports", _V + "validatePorts", "port names are unique DNS-1123 labels, protocols "
             "TCP/UDP/SCTP, appProtocol a qualified name", rules=("CG-EPS-001",)),
    Upstream("k8s.discovery.endpoints-reachable", "kubernetes pkg/proxy", "the endpoint addresses answer",
             offline="whether an address outside the cluster answers is the network's state"),
    Upstream("k8s.discovery.service-ports", "kubernetes pkg/proxy: EndpointSliceCache", "the slice's ports match "
             "its Service's ports by name and protocol", rules=("CG-EPS-002",)),
)
