"""Gateway API (kubernetes-sigs/gateway-api): the standard channel's CRD schemas and CEL rules
(config/crd/standard/*.yaml), the validation package (apis/v1/validation: gateway.go, httproute.go, common.go) and
the attachment semantics of the spec (listeners, allowedRoutes, hostnames, ReferenceGrant). Every mapped check is a
rule of ours, so it applies without the user passing the Gateway API CRDs."""

from __future__ import annotations

from collections.abc import Callable

from chartgen.check.coverage import Upstream

_GW = "gateway-api config/crd/standard (CEL, schema): gateway.networking.k8s.io_gateways.yaml"
_GW_GO = "gateway-api apis/v1/validation: gateway.go ValidateGatewaySpec"
_HR = "gateway-api config/crd/standard (CEL, schema): gateway.networking.k8s.io_httproutes.yaml"
_HR_GO = "gateway-api apis/v1/validation: httproute.go ValidateHTTPRouteSpec"
_GR = "gateway-api config/crd/standard (CEL, schema): gateway.networking.k8s.io_grpcroutes.yaml"
_RG = "gateway-api config/crd/standard (CEL, schema): gateway.networking.k8s.io_referencegrants.yaml"
_ATTACH = "gateway-api spec: route attachment (Gateway listeners, allowedRoutes, hostnames)"
_GRANT = "gateway-api spec: ReferenceGrant (GEP-709)"
_APP = "gateway-api spec: backend protocol (GEP-1911 appProtocol)"


def entry_makers(prefix: str) -> tuple[Callable[..., Upstream], Callable[..., Upstream]]:
    """(mapped, offline): entry builders whose ids start with `prefix.` (istio.py uses them too)."""

    def mapped(id: str, source: str, check: str, *rules: str) -> Upstream:
        return Upstream(f"{prefix}.{id}", source, check, rules=rules)

    def offline(id: str, source: str, check: str, reason: str) -> Upstream:
        return Upstream(f"{prefix}.{id}", source, check, offline=reason)

    return mapped, offline


_m, _off = entry_makers("gwapi")


ENTRIES: tuple[Upstream, ...] = (
    # Gateway
    _m("gateway.listener-tls-forbidden", _GW, "tls must not be specified for protocols HTTP, TCP, UDP", "CG-GW-010"),
    _m("gateway.https-mode-terminate", _GW, "tls mode must be Terminate for protocol HTTPS", "CG-GW-010"),
    _m("gateway.tls-required", _GW_GO, "ValidateListenerTLSConfig: tls must be set for protocols HTTPS and TLS",
       "CG-GW-010"),
    _m("gateway.terminate-certificate-refs", _GW, "certificateRefs or options must be specified when mode is "
       "Terminate", "CG-GW-010"),
    _m("gateway.hostname-forbidden-tcp-udp", _GW, "hostname must not be specified for protocols TCP, UDP",
       "CG-GW-011"),
    _m("gateway.listener-hostname-syntax", _GW, "listener hostname is a lowercase DNS name or '*.' wildcard",
       "CG-GW-011"),
    _m("gateway.listener-port-range", _GW, "listener port is in 1-65535", "CG-GW-011"),
    _m("gateway.listener-protocol-syntax", _GW, "listener protocol is a core protocol or domain-prefixed",
       "CG-GW-011"),
    _m("gateway.listener-name-syntax", _GW, "listener name (SectionName) is a DNS subdomain", "CG-GW-011"),
    _m("gateway.tls-mode-enum", _GW, "listener tls.mode is Terminate or Passthrough", "CG-GW-010"),
    _m("gateway.allowed-routes-from", _GW, "allowedRoutes.namespaces.from is All, Same or Selector", "CG-GW-011"),
    _m("gateway.listener-name-unique", _GW, "Listener name must be unique within the Gateway", "CG-GW-012"),
    _m("gateway.listener-combination-unique", _GW, "Combination of port, protocol and hostname must be unique for "
       "each listener", "CG-GW-012"),
    _m("gateway.address-ip", _GW, "an IPAddress address value is an IP address", "CG-GW-013"),
    _m("gateway.address-hostname", _GW, "a Hostname address value is a DNS hostname", "CG-GW-013"),
    _m("gateway.address-unique", _GW, "IPAddress and Hostname address values must be unique", "CG-GW-013"),
    _m("gateway.class-name-required", _GW, "spec.gatewayClassName and spec.listeners are required", "CG-GW-014"),
    _m("gateway.listener-required-fields", _GW, "listener name, port and protocol are required", "CG-GW-014"),
    _off("gateway.class-exists", _GW, "the GatewayClass exists and its controller accepts the Gateway",
         "GatewayClasses are cluster-scoped objects installed with the implementation, not part of a chart's render"),
    _off("gateway.certificate-secret-valid", _GW, "a certificateRef Secret exists and holds a valid certificate",
         "certificates are usually created by cert-manager or by hand in the cluster; a rendered Secret's key "
         "material is a placeholder in most charts"),
    # HTTPRoute / GRPCRoute
    _m("httproute.filter-type-field", _HR, "filter.<field> must be nil if the filter.type is not <Type>",
       "CG-GW-001"),
    _m("httproute.filter-field-required", _HR, "filter.<field> must be specified for <Type> filter.type",
       "CG-GW-001"),
    _m("httproute.path-modifier-type", _HR, "replaceFullPath / replacePrefixMatch must match the path modifier type",
       "CG-GW-001"),
    _m("httproute.mirror-port", _HR, "a RequestMirror backendRef to a Service must have a port", "CG-GW-001"),
    _m("grpcroute.filter-type-supported", _GR, "GRPCRoute filter type is RequestHeaderModifier, "
       "ResponseHeaderModifier, RequestMirror or ExtensionRef", "CG-GW-001"),
    _m("httproute.redirect-rewrite-exclusive", _HR, "may specify either RequestRedirect or URLRewrite, but not both",
       "CG-GW-002"),
    _m("httproute.filter-not-repeated", _HR, "RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect and "
       "URLRewrite filters cannot be repeated", "CG-GW-002"),
    _m("httproute.redirect-without-backends", _HR, "RequestRedirect filter must not be used together with "
       "backendRefs", "CG-GW-002"),
    _m("httproute.replace-prefix-one-match", _HR, "replacePrefixMatch needs exactly one PathPrefix match",
       "CG-GW-003"),
    _m("httproute.path-absolute", _HR, "an Exact/PathPrefix value must be an absolute path and start with '/'",
       "CG-GW-004"),
    _m("httproute.path-sequences", _HR, "an Exact/PathPrefix value must not contain '//', '/./', '/../', '%2f', "
       "'#'", "CG-GW-004"),
    _m("httproute.path-suffix", _HR, "an Exact/PathPrefix value must not end with '/..' or '/.'", "CG-GW-004"),
    _m("httproute.path-characters", _HR, "an Exact/PathPrefix value only contains RFC 3986 path characters",
       "CG-GW-004"),
    _m("httproute.path-type", _HR, "path match type is Exact, PathPrefix or RegularExpression", "CG-GW-004"),
    _off("httproute.regex-syntax", _HR, "a RegularExpression path/header/query value compiles",
         "the regular-expression dialect is implementation-specific (RE2 for Envoy-based ones) and the API server "
         "does not check it; chartgen cannot know which implementation serves the route"),
    _m("httproute.header-match-unique", _HR_GO, "a header is matched at most once per match (listType map on name)",
       "CG-GW-005"),
    _m("httproute.query-match-unique", _HR_GO, "a query parameter is matched at most once per match", "CG-GW-005"),
    _m("httproute.header-modifier-unique", _HR_GO, "a header modifier sets/adds/removes a header once",
       "CG-GW-005"),
    _m("httproute.match-required-fields", _HR, "header and query-param matches need name and value", "CG-GW-014"),
    _m("grpcroute.method-service-or-method", _GR, "One or both of 'service' or 'method' must be specified",
       "CG-GW-006"),
    _m("grpcroute.method-syntax", _GR, "Exact service is a dotted protobuf name and method an identifier",
       "CG-GW-006"),
    _m("httproute.timeout-duration", _HR, "timeouts are Gateway API durations (^([0-9]{1,5}(h|m|s|ms)){1,4}$)",
       "CG-GW-007"),
    _m("httproute.backend-timeout-le-request", _HR, "backendRequest timeout cannot be longer than request timeout",
       "CG-GW-007"),
    _m("route.parentrefs-same-parent", _HR, "sectionName must be specified when parentRefs includes 2 or more "
       "references to the same parent", "CG-GW-008"),
    _m("route.parentrefs-section-unique", _HR, "sectionName must be unique when parentRefs includes 2 or more "
       "references to the same parent", "CG-GW-008"),
    _m("route.hostname-syntax", _HR, "route hostnames are lowercase DNS names or '*.' wildcards", "CG-GW-009"),
    _m("route.match-count", _HR, "at most 16 rules, 64 matches per rule and 128 matches per route", "CG-GW-009"),
    _m("route.backend-weight", _HR, "backendRef weight is in 0-1000000 and port in 1-65535", "CG-GW-009"),
    _m("httproute.redirect-scheme", _HR, "requestRedirect.scheme is http or https", "CG-GW-009"),
    _m("httproute.redirect-status", _HR, "requestRedirect.statusCode is 301 or 302 (standard channel)", "CG-GW-009"),
    _m("route.parentref-name-required", _HR, "parentRefs[].name and backendRefs[].name are required",
       "CG-GW-014"),
    _m("route.service-backend-port", _HR, "Must have port for Service reference", "CG-X-010"),
    _m("route.backend-port-exists", _ATTACH, "a Service backendRef's port is a port of the Service (else 503)",
       "CG-X-010"),
    # attachment and references
    _m("attach.section-name", _ATTACH, "a parentRef's sectionName names a listener of the Gateway", "CG-GW-020"),
    _m("attach.port", _ATTACH, "a parentRef's port is the port of a listener of the Gateway", "CG-GW-020"),
    _m("attach.gateway-exists", _ATTACH, "a parentRef names a Gateway that exists", "CG-GW-020"),
    _m("attach.allowed-namespaces", _ATTACH, "the listener's allowedRoutes.namespaces (Same by default) admits the "
       "route's namespace", "CG-GW-021"),
    _m("attach.allowed-namespaces-selector", _ATTACH, "an allowedRoutes Selector matches the labels of the route's "
       "(rendered) Namespace", "CG-GW-021"),
    _m("attach.allowed-kinds", _ATTACH, "the listener's protocol carries the route's kind", "CG-GW-021"),
    _m("attach.allowed-kinds-explicit", _ATTACH, "the route's kind is in the listener's allowedRoutes.kinds",
       "CG-GW-021"),
    _m("attach.hostnames", _ATTACH, "the route's hostnames intersect the listener's hostname", "CG-GW-022"),
    _off("attach.namespace-labels", _ATTACH, "an allowedRoutes Selector matches a Namespace the chart does not "
         "render", "the labels of a namespace the render does not create are cluster state"),
    _m("refgrant.backend", _GRANT, "a backendRef to another namespace is allowed by a ReferenceGrant there",
       "CG-GW-023"),
    _m("refgrant.certificate", _GRANT, "a certificateRef to another namespace is allowed by a ReferenceGrant there",
       "CG-GW-023"),
    _m("refgrant.placement", _GRANT, "a ReferenceGrant lives in the namespace of the objects it grants access to",
       "CG-GW-024"),
    _m("refgrant.required-fields", _RG, "from entries need group, kind and namespace; to entries group and kind",
       "CG-GW-014"),
    _m("backend.grpc-app-protocol", _APP, "a GRPCRoute backend port speaks HTTP/2 (appProtocol not http or "
       "kubernetes.io/ws)", "CG-GW-025"),
)
