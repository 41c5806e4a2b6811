"""Kubernetes networking.k8s.io/v1 (pkg/apis/networking/validation/validation.go): NetworkPolicies and Ingresses,
and the cross-object checks that decide whether their peers and backends exist in the render."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_NP = "kubernetes pkg/apis/networking/validation: ValidateNetworkPolicySpec"
_ING = "kubernetes pkg/apis/networking/validation: ValidateIngressSpec"

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.networking.networkpolicy.policy-types", _NP, "policyTypes are Ingress/Egress, at most two",
             rules=("CG-NET-001",)),
    Upstream("k8s.networking.networkpolicy.port", _NP, "a port is 1-65535 or a port name, protocol TCP/UDP/SCTP",
             rules=("CG-NET-001",)),
    Upstream("k8s.networking.networkpolicy.end-port", _NP, "endPort needs a numeric port and is not below it",
             rules=("CG-NET-001",)),
    Upstream("k8s.networking.networkpolicy.peer", _NP, "a peer sets ipBlock alone or pod/namespace selectors, not "
             "nothing", rules=("CG-NET-001",)),
    Upstream("k8s.networking.networkpolicy.ip-block", _NP, "ipBlock.cidr is a CIDR and each except a strict subset",
             rules=("CG-NET-001",)),
    Upstream("k8s.networking.networkpolicy.selects-pods", "kubernetes NetworkPolicy semantics", "the podSelector "
             "selects pods of the render", rules=("CG-X-009",)),
    Upstream("k8s.networking.networkpolicy.namespace-selector", "kubernetes NetworkPolicy semantics", "a peer's "
             "namespaceSelector matches the labels a rendered Namespace carries (kubernetes.io/metadata.name "
             "included)", rules=("CG-NET-003",)),
    Upstream("k8s.networking.networkpolicy.peer-pods", "kubernetes NetworkPolicy semantics", "a peer's podSelector "
             "matches pods rendered into the namespaces the peer selects", rules=("CG-NET-003",)),
    Upstream("k8s.networking.networkpolicy.service-traffic", "kubernetes NetworkPolicy semantics", "isolated pods "
             "still admit traffic to the ports their Services target", rules=("CG-REACH-001",)),
    Upstream("k8s.networking.networkpolicy.served-ports", "kubernetes NetworkPolicy semantics", "an admitted "
             "port is served by a selected pod (a named port resolves in the pods)", rules=("CG-REACH-002",)),
    Upstream("k8s.networking.networkpolicy.dns-egress", "kubernetes NetworkPolicy semantics", "egress-isolated "
             "pods still reach DNS on port 53", rules=("CG-REACH-004",)),
    Upstream("k8s.networking.ingress.backend-or-rules", _ING, "an Ingress has a defaultBackend or rules",
             rules=("CG-NET-002",)),
    Upstream("k8s.networking.ingress.class", _ING, "ingressClassName and the kubernetes.io/ingress.class "
             "annotation are not both set", rules=("CG-NET-002",)),
    Upstream("k8s.networking.ingress.host", "kubernetes pkg/apis/networking/validation: validateIngressRules",
             "rule and TLS hosts are DNS names, a wildcard only as the first label, never an IP",
             rules=("CG-NET-002",)),
    Upstream("k8s.networking.ingress.path", "kubernetes pkg/apis/networking/validation: validateHTTPIngressPath",
             "paths are absolute and, for Exact/Prefix, free of '//', '/./', '/../'; pathType is known",
             rules=("CG-NET-002",)),
    Upstream("k8s.networking.ingress.backend", "kubernetes pkg/apis/networking/validation: validateIngressBackend",
             "a backend is a service XOR a resource; a service port is a name XOR a number 1-65535",
             rules=("CG-NET-002",)),
    Upstream("k8s.networking.ingress.backend-exists", "ingress controllers (endpoints lookup)", "the backend "
             "Service and port exist", rules=("CG-X-010",)),
    Upstream("k8s.networking.ingressclass.spec", "kubernetes pkg/apis/networking/validation: ValidateIngressClass",
             "controller is a domain-prefixed path; parameters have kind, name and a namespace exactly with scope "
             "Namespace", rules=("CG-NET-004",)),
    Upstream("k8s.networking.networkpolicy.enforced", "the cluster's CNI plugin", "NetworkPolicies are enforced "
             "at all", offline="whether the CNI plugin implements NetworkPolicy is the cluster's configuration"),
    Upstream("k8s.networking.ingress.tls-secret", "ingress controllers", "a TLS secretName names a Secret with a "
             "certificate", offline="certificates usually come from cert-manager or the platform, outside the "
             "render (a rendered Secret of the wrong type is k8s.core.secret.type-keys)"),
    Upstream("k8s.networking.ingress.class-exists", "ingress controllers", "the IngressClass is installed",
             offline="IngressClasses come with the ingress controller, outside application charts"),
)
