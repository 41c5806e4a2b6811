"""Istio: the admission validation (istio/istio pkg/config/validation/agent/validation.go, per kind) and the
istioctl analyzers (pkg/config/analysis/analyzers, IST0xxx messages), plus mesh semantics that break traffic with no
error anywhere (mTLS modes, retries, unreachable matches)."""

from __future__ import annotations

from chartgen.check.coverage import Upstream
from chartgen.check.coverage.gateway_api import entry_makers

_VS = "istio pkg/config/validation: ValidateVirtualService"
_DR = "istio pkg/config/validation: ValidateDestinationRule"
_GW = "istio pkg/config/validation: ValidateGateway"
_SE = "istio pkg/config/validation: ValidateServiceEntry"
_SC = "istio pkg/config/validation: ValidateSidecar"
_AP = "istio pkg/config/validation: ValidateAuthorizationPolicy"
_PA = "istio pkg/config/validation: ValidatePeerAuthentication"
_RA = "istio pkg/config/validation: ValidateRequestAuthentication"
_AN = "istioctl analyzers (pkg/config/analysis/analyzers)"
_MESH = "istio mesh semantics (no error anywhere, traffic breaks)"


_m, _off = entry_makers("istio")

ENTRIES: tuple[Upstream, ...] = (
    # VirtualService
    _m("vs.hosts-unique", _VS, "hosts are unique, not '*' when bound to the mesh", "CG-ISTIO-020"),
    _m("vs.http-route-action", _VS, "validateHTTPRoute: exactly one of route, redirect, directResponse, delegate",
       "CG-ISTIO-009"),
    _m("vs.weights-valid", _VS, "validateHTTPRoute: weights are not negative and not all zero", "CG-ISTIO-007"),
    _m("vs.retry-on", _VS, "validateHTTPRetry: retryOn names Envoy retry policies, gRPC codes or status codes",
       "CG-MESH-014"),
    _m("vs.regex-re2", _AN + ": virtualservice/regexes (IST0122)", "match regexes compile as RE2", "CG-MESH-001"),
    _m("vs.gateway-exists", _AN + ": virtualservice/gateways (IST0101)", "gateways name an existing Gateway",
       "CG-ISTIO-001"),
    _m("vs.destination-host-exists", _AN + ": virtualservice/destinationhosts (IST0101)", "destination hosts "
       "exist as Services or ServiceEntries", "CG-ISTIO-002"),
    _m("vs.subset-defined", _AN + ": virtualservice/destinationrules (IST0101)", "destination subsets are defined "
       "by a DestinationRule", "CG-ISTIO-003"),
    _m("vs.destination-port-needed", _AN + ": virtualservice/destinationhosts (IST0112)", "a destination with "
       "several Service ports names one", "CG-ISTIO-004"),
    _m("vs.destination-port-exists", _MESH, "a destination port is a port of the destination Service",
       "CG-ISTIO-005"),
    _m("vs.gateway-host-served", _AN + ": virtualservice/gateways (IST0132)", "a VirtualService host is served "
       "by its Gateway", "CG-ISTIO-006"),
    _m("vs.mesh-host-conflict", _AN + ": virtualservice/conflictingmeshgatewayhosts (IST0109)", "one mesh "
       "VirtualService per host", "CG-ISTIO-015"),
    _m("vs.unreachable-rule", _AN + ": virtualservice/conditions (IST0130)", "a rule after a catch-all can never "
       "match", "CG-MESH-002"),
    _m("vs.repeated-match", _AN + ": virtualservice/conditions (IST0131)", "a match repeats a match of an earlier "
       "rule and can never match", "CG-MESH-003"),
    _m("vs.retries-fit-timeout", _MESH, "retries that can never happen: perTryTimeout x attempts exceeds the "
       "route timeout", "CG-MESH-009"),
    _m("vs.delegate-exists", _AN + ": virtualservice (IST0101)", "a delegate names a rendered delegate "
       "VirtualService", "CG-MESH-015"),
    # DestinationRule
    _m("dr.subset-name-unique", _DR, "subset names are unique", "CG-ISTIO-012"),
    _m("dr.tls-mutual-certs", _DR, "validateTLS: MUTUAL needs client certificate and key (or credentialName), "
       "ISTIO_MUTUAL takes none", "CG-MESH-005"),
    _m("dr.tls-verify", _AN + ": destinationrule/ca-certificates (IST0128/IST0129)", "TLS origination verifies "
       "the server certificate", "CG-MESH-004"),
    _m("dr.host-exists", _AN + ": destinationrule (IST0174)", "the host is a Service or ServiceEntry", "CG-ISTIO-010"),
    _m("dr.subset-selects-pods", _AN + ": destinationrule/subsets (IST0173)", "a subset's labels select pods",
       "CG-ISTIO-011"),
    _m("dr.subsets-distinct", _MESH, "two subsets selecting the same pods cannot be told apart", "CG-MESH-008"),
    _m("mtls.peer-vs-destination", _MESH, "DestinationRule TLS mode against the destination's PeerAuthentication "
       "(DISABLE to STRICT, ISTIO_MUTUAL to DISABLE)", "CG-MESH-006"),
    # Gateway
    _m("gateway.servers-required", _GW, "validateServer: servers, hosts, port number/name/protocol", "CG-ISTIO-017"),
    _m("gateway.server-hosts", _GW, "validateNamespaceSlashWildcardHostname: server hosts are [namespace/]host with "
       "a `*`, `.` or DNS-label namespace and a `*`, wildcard-domain or IP host; short names are rejected",
       "CG-ISTIO-017"),
    _m("gateway.server-tls-protocol", _GW, "validateServerTLS: HTTPS/TLS servers need tls, plain ones take none",
       "CG-ISTIO-016"),
    _m("gateway.conflicting-hosts", _AN + ": gateway/conflictinggateway (IST0145)", "two Gateways with one "
       "selector claim the same host and port", "CG-ISTIO-014"),
    _m("gateway.credential-secret-keys", _AN + ": gateway/secret (IST0161)", "credentialName names a Secret with "
       "the certificate keys", "CG-MESH-012"),
    _off("gateway.port-on-workload", _AN + ": gateway/gateway (IST0162)", "the Gateway port is exposed by the "
         "ingress gateway Service", "the ingress gateway's Service is installed with Istio (istio-system), not in "
         "the chart's render"),
    # Service and injection
    _m("service.port-naming", _AN + ": service/portname (IST0118)", "Service port names declare the protocol",
       "CG-ISTIO-013"),
    _m("service.externalname-port-protocol", _AN + ": service/externalname (IST0150)", "ExternalName Service ports "
       "declare the protocol", "CG-MESH-011"),
    _m("injection.policy-without-proxy", _MESH, "policies and ISTIO_MUTUAL target pods without a sidecar",
       "CG-MESH-007"),
    _off("injection.namespace-injected", _AN + ": injection (IST0102)", "the namespace has sidecar injection "
         "enabled", "namespace labels of a namespace the chart does not render are cluster state"),
    _off("injection.proxy-image", _AN + ": injection (IST0158)", "the injected proxy image matches the control "
         "plane", "the injector's image is control-plane state, known only at admission"),
    # Sidecar
    _m("sidecar.egress-hosts", _SC, "validateSidecarEgress: hosts are namespace/dnsName", "CG-MESH-016"),
    _m("vs.host-syntax", _VS, "ValidateWildcardDomain: hosts are domain names with an optional wildcard first "
       "label, or IP addresses (no scheme, port or path)", "CG-MESH-040"),
    _m("dr.host-syntax", _DR, "ValidateWildcardDomain: the host is a domain name with an optional wildcard first "
       "label", "CG-MESH-040"),
    _m("export-to.entries", "istio pkg/config/validation: validateExportTo", "VirtualService/DestinationRule/"
       "ServiceEntry exportTo entries are `.`, `*` or a namespace (`~` only on ServiceEntries), each once, `*` and "
       "`~` alone; a DestinationRule with a workloadSelector stays in its namespace", "CG-MESH-039"),
    _m("sidecar.not-empty", _SC, "a Sidecar sets egress, ingress, outboundTrafficPolicy or inboundConnectionPool",
       "CG-MESH-038"),
    _m("sidecar.ingress-ports", _SC, "ingress listeners have a port, 1-65535, unique among IP-bound listeners; "
       "defaultEndpoint is a loopback/any address with a port or unix://", "CG-MESH-038"),
    _m("sidecar.ingress-tls", _SC, "ingress TLS takes no ISTIO_MUTUAL/AUTO_PASSTHROUGH mode, httpsRedirect or "
       "credentialName", "CG-MESH-038"),
    _m("sidecar.egress-listeners", _SC, "one port-less (catch-all) egress listener and it is last; egress ports "
       "unique, port 0 only with a unix:// bind; every egress listener has hosts", "CG-MESH-038"),
    _m("sidecar.egress-proxy-mode", _SC, "outboundTrafficPolicy.egressProxy only with mode ALLOW_ANY",
       "CG-MESH-038"),
    _m("sidecar.one-per-namespace", _AN + ": sidecar/defaultselector (IST0111)", "one namespace-wide Sidecar "
       "per namespace", "CG-MESH-017"),
    # security
    _m("authz.custom-provider", _AP, "CUSTOM needs a provider, a provider needs CUSTOM", "CG-ISTIO-018"),
    _m("authz.target-port", _MESH, "AuthorizationPolicy ports are the pods' ports, not Service ports",
       "CG-MESH-013"),
    _m("policy.selects-workload", _AN + ": authz (IST0127)", "a policy's selector matches a workload",
       "CG-MESH-010"),
    _m("peerauthn.port-level-selector", _PA, "portLevelMtls needs a workload selector", "CG-ISTIO-019"),
    # validateHTTPRoute field by field, durations, traffic policies
    _m("vs.retry-attempts-zero", _VS, "validateHTTPRetry: a retry policy with attempts 0 (disabled) sets no "
       "perTryTimeout or retryOn", "CG-MESH-025"),
    _m("vs.redirect-with-rewrite", _VS, "validateHTTPRouteConflict: redirect excludes fault and rewrite",
       "CG-MESH-025"),
    _m("vs.direct-response-with-fault", _VS, "validateHTTPRouteConflict: directResponse excludes fault and rewrite",
       "CG-MESH-025"),
    _m("vs.mirror-and-mirrors", _VS, "validateHTTPRouteConflict: mirror excludes mirrors", "CG-MESH-025"),
    _m("vs.redirect-fields", _VS, "validateHTTPRedirect: uri, authority, scheme or port is required",
       "CG-MESH-025"),
    _m("vs.redirect-code", _VS, "validateHTTPRedirect: redirectCode is 3xx", "CG-MESH-025"),
    _m("vs.rewrite-fields", _VS, "validateHTTPRewrite: uri, uriRegexRewrite or authority is required",
       "CG-MESH-025"),
    _m("vs.direct-response-status", _VS, "validateHTTPDirectResponse: status is in 200-599", "CG-MESH-025"),
    _m("vs.fault-abort-or-delay", _VS, "validateHTTPFaultInjection: an abort and/or a delay", "CG-MESH-025"),
    _m("vs.fault-percentage", _VS, "validatePercentage: fault and mirror percentages are in 0-100", "CG-MESH-025"),
    _m("vs.match-empty-prefix", _VS, "validateStringMatch: prefix and regex matches are not empty", "CG-MESH-025"),
    _m("vs.match-port", _VS, "validateHTTPRouteMatchRequest: match port is in 1-65535", "CG-MESH-025"),
    _m("vs.duration-unit", _VS, "CRD CEL duration(self) >= duration('1ms'): timeouts are durations",
       "CG-MESH-026"),
    _m("vs.duration-min", _VS, "ValidateDuration: a duration is at least 1ms", "CG-MESH-026"),
    _m("dr.duration-connect-timeout", _DR, "connectTimeout, idleTimeout and outlier intervals are durations >= 1ms",
       "CG-MESH-026"),
    _m("dr.traffic-policy-empty", _DR, "validateTrafficPolicy: traffic policy must have at least one field",
       "CG-MESH-027"),
    _m("dr.pool-negative", _DR, "validateConnectionPool: limits are non-negative", "CG-MESH-027"),
    _m("dr.outlier-percent", _DR, "validateOutlierDetection: maxEjectionPercent and minHealthPercent in 0-100",
       "CG-MESH-027"),
    _m("dr.consistent-hash-oneof", _DR, "consistentHash takes one hash key (a oneof)", "CG-MESH-027"),
    _m("dr.locality-weights", _DR, "validateLocalityLbSetting: distribute weights in 1-100 totalling 100",
       "CG-MESH-027"),
    # istioctl analyzers over Kubernetes objects, EnvoyFilters
    _m("analyzer.misplaced-annotation", _AN + ": annotations (IST0107)", "pod-level Istio annotations sit on the "
       "pod template, not on the workload or Service", "CG-MESH-031"),
    _m("analyzer.sidecar-selectors", _AN + ": sidecar/selector (IST0110), telemetry (IST0159)", "two Sidecars or "
       "Telemetries do not select the same workload", "CG-MESH-032"),
    _m("analyzer.service-port-protocols", _AN + ": deployment/services (IST0116)", "Services selecting one workload "
       "give a port one protocol", "CG-MESH-033"),
    _m("analyzer.service-target-ports", _AN + ": deployment/services (IST0137)", "Services selecting one workload "
       "map a targetPort to one port", "CG-MESH-033"),
    _m("analyzer.se-addresses", _AN + ": serviceentry (IST0134)", "a ServiceEntry with TCP ports has addresses",
       "CG-MESH-028"),
    _m("analyzer.gateway-duplicate-certificate", _AN + ": gateway/certificate (IST0138)", "Gateways on one workload "
       "do not share a certificate", "CG-MESH-034"),
    _m("analyzer.proxy-uid", _AN + ": deployment/applicationUID (IST0144)", "applications do not run as UID 1337",
       "CG-MESH-035"),
    _m("analyzer.image-auto", _AN + ": injection/imageauto (IST0146/IST0147)", "`image: auto` only in injected "
       "pods", "CG-MESH-036"),
    _m("envoyfilter.ignored-operation", _AN + ": envoyfilter (IST0152-IST0154)", "ADD/REMOVE not on route "
       "configuration, REPLACE only on HTTP_FILTER/NETWORK_FILTER", "CG-MESH-029"),
    _m("envoyfilter.relative-without-priority", _AN + ": envoyfilter (IST0151/IST0155)", "relative patch "
       "operations come with a priority", "CG-MESH-030"),
    _off("analyzer.pod-missing-proxy", _AN + ": injection (IST0103)", "running pods have the proxy",
         "needs the running pods"),
    _off("analyzer.namespace-injection-labels", _AN + ": injection (IST0123, IST0148)", "a namespace has one "
         "injection label / is injected by default", "namespace labels and the injector's settings are cluster "
         "state unless the chart renders the Namespace"),
    _off("analyzer.jwt-service-port", _AN + ": authz/jwt (IST0119)", "a JWT policy's Service port is named for "
         "HTTP", "retired in current Istio (protocol sniffing); the check applies to old control planes only"),
    _off("analyzer.invalid-annotation-values", _AN + ": annotations (IST0125, IST0135, IST0136)", "annotation "
         "values parse; deprecated and alpha annotations", "the valid values and phases come from the control "
         "plane's annotation table of the installed Istio version"),
    _off("analyzer.unknown-annotation", _AN + ": annotations (IST0108)", "an annotation in an istio.io domain is "
         "one Istio knows", "the known annotations are the installed Istio version's table (istio/api "
         "annotation/annotations.yaml), which gains and retires names every release; a name unknown to one table "
         "is valid for another control plane, so the render alone cannot decide it"),
    _off("analyzer.mesh-networks", _AN + ": multicluster (IST0126, IST0165)", "mesh networks and multi-cluster "
         "services are consistent", "mesh networks and remote clusters are control-plane state"),
    _off("analyzer.webhooks", _AN + ": webhook (IST0139, IST0163, IST0164)", "injection webhooks reference a "
         "control plane", "webhook configurations are installed with Istio, not by an application chart"),
    _off("analyzer.ingress-subset", _AN + ": virtualservice (IST0140)", "subsets have an effect on ingress "
         "requests", "depends on the ingress gateway's deployment mode, known only in the cluster"),
    _off("analyzer.install", _AN + ": (IST0141, IST0142, IST0156)", "permissions, Kubernetes and Gateway API "
         "versions suffice", "properties of the cluster, not of the render"),
    _off("analyzer.localhost-listener", _AN + ": service (IST0143)", "a Service port does not listen on "
         "localhost", "what address a process binds to is known only at run time"),
    _off("analyzer.jwt-claim-routing", _AN + ": virtualservice/jwtclaimroute (IST0149)", "claim-based routing "
         "has a RequestAuthentication on the gateway pods", "the gateway pods live in the control plane's "
         "namespace, outside the render"),
    _off("analyzer.telemetry-providers", _AN + ": telemetry (IST0157)", "a Telemetry with empty providers has "
         "mesh default providers", "default providers are mesh config (control-plane state)"),
    # ServiceEntry
    _m("se.hosts-required", _SE, "a ServiceEntry has at least one host", "CG-MESH-018"),
    _m("se.host-not-all", _SE, "the full wildcard `*` is not a ServiceEntry host", "CG-MESH-018"),
    _m("se.host-syntax", _SE, "hosts are (wildcard) DNS names", "CG-MESH-018"),
    _m("se.addresses-ip", _SE, "addresses are IP addresses or CIDRs", "CG-MESH-018"),
    _m("se.cidr-resolution", _SE, "CIDR addresses only with resolution NONE or STATIC", "CG-MESH-018"),
    _m("se.port-unique", _SE, "port names and numbers are unique", "CG-MESH-018"),
    _m("se.port-name", _SE, "port names are DNS-1123 labels", "CG-MESH-018"),
    _m("se.protocol", _SE, "port protocols are ones Istio supports", "CG-MESH-018"),
    _m("se.endpoints-resolution-none", _SE, "no endpoints with resolution NONE", "CG-MESH-018"),
    _m("se.static-endpoint-ip", _SE, "STATIC endpoints are IP addresses (or unix://)", "CG-MESH-018"),
    _m("se.dns-fqdn", _SE, "DNS resolution without endpoints needs FQDN hosts (no wildcard)", "CG-MESH-018"),
    _m("se.multiple-hosts-tcp", _SE, "several hosts need HTTP or TLS ports unless resolution NONE", "CG-MESH-018"),
    _m("se.workload-selector-endpoints", _SE, "only one of workloadSelector or endpoints", "CG-MESH-018"),
    _m("se.dns-round-robin-one-endpoint", _SE, "DNS_ROUND_ROBIN takes at most one endpoint (CRD CEL)",
       "CG-MESH-018"),
    _m("se.endpoint-port-defined", _SE, "endpoint ports name ports of the ServiceEntry", "CG-MESH-018"),
    _m("dr.istio-mutual-external", _MESH, "DestinationRule TLS mode against the destination: ISTIO_MUTUAL towards a "
       "MESH_EXTERNAL host", "CG-MESH-024"),
    _m("sidecar.egress-covers-routes", _MESH, "a namespace-wide Sidecar's egress hosts include the hosts the "
       "namespace's VirtualServices route to", "CG-MESH-023"),
    _m("vs.retry-per-try-ge-timeout", _MESH, "retries that can never happen: perTryTimeout >= the route timeout",
       "CG-MESH-009"),
    # RequestAuthentication
    _m("ra.issuer-required", _RA, "validateJwtRule: issuer or jwksUri must be non-empty", "CG-MESH-019"),
    _m("ra.audience-non-empty", _RA, "validateJwtRule: audiences are non-empty strings", "CG-MESH-019"),
    _m("ra.jwks-uri-url", _RA, "validateJwtRule: jwksUri is an http(s) URL", "CG-MESH-019"),
    _m("ra.jwks-one-of", _RA, "only one of jwks and jwksUri (CRD CEL)", "CG-MESH-019"),
    _m("ra.from-headers-name", _RA, "validateJwtRule: fromHeaders entries have a name", "CG-MESH-019"),
    # AuthorizationPolicy rules
    _m("authz.deny-without-rules", _AP, "DENY without rules is meaningless (never triggered)", "CG-ISTIO-018"),
    _m("authz.from-source-empty", _AP, "`from.source` must not be empty", "CG-MESH-020"),
    _m("authz.from-not-empty", _AP, "`from` and `to` must not be empty lists", "CG-MESH-020"),
    _m("authz.to-operation-empty", _AP, "`to.operation` must not be empty", "CG-MESH-020"),
    _m("authz.empty-values", _AP, "source and operation values are non-empty", "CG-MESH-020"),
    _m("authz.service-accounts-mix", _AP, "cannot set serviceAccounts with namespaces or principals", "CG-MESH-020"),
    _m("authz.port-range", _AP, "operation ports are in 1-65535", "CG-MESH-020"),
    _m("authz.when-values", _AP, "a when condition has a key and values or notValues", "CG-MESH-020"),
    _m("authz.custom-identity", _AP, "identity conditions are not supported with CUSTOM", "CG-MESH-020"),
    _m("authz.deny-http-only-tcp", _AP, "warning: a DENY rule with only HTTP attributes denies all TCP traffic",
       "CG-MESH-021"),
    _m("authz.allow-http-only-tcp", _MESH, "AuthorizationPolicy ALLOW rules Istio drops on TCP ports (HTTP-only "
       "attributes) leave the workload's TCP ports denied", "CG-MESH-037"),
    _m("authz.match-all-deny", _MESH, "an AuthorizationPolicy rule that matches everything (empty DENY rule)",
       "CG-MESH-022"),
    _m("authz.match-all-allow", _MESH, "an empty ALLOW rule next to others makes them pointless", "CG-MESH-022"),
    _off("authz.provider-in-mesh-config", _AP, "a CUSTOM provider is defined in the mesh config's "
         "extensionProviders", "the mesh config lives in the control plane (istio ConfigMap), not in the render"),
    _off("ra.jwks-reachable", _RA, "jwksUri serves a key set", "needs the network: the keys are fetched by istiod"),
)
