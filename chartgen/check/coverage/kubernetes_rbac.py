"""Kubernetes rbac.authorization.k8s.io/v1 (pkg/apis/rbac/validation/validation.go): roles, bindings, subjects."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_V = "kubernetes pkg/apis/rbac/validation: "

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.rbac.names", _V + "ValidateRole / ValidateRoleBinding (minimalNameRequirements)", "role and "
             "binding names are path segments (no '/', '%', '.' or '..')", rules=("CG-API-005",)),
    Upstream("k8s.rbac.rule-verbs", _V + "validatePolicyRule", "every rule has verbs", rules=("CG-RBAC-001",)),
    Upstream("k8s.rbac.rule-resources", _V + "validatePolicyRule", "a resource rule has apiGroups and resources",
             rules=("CG-RBAC-001",)),
    Upstream("k8s.rbac.rule-resource-names", _V + "validatePolicyRule", "resourceNames only with a single "
             "resource", rules=("CG-RBAC-001",)),
    Upstream("k8s.rbac.rule-non-resource-urls", _V + "validatePolicyRule", "nonResourceURLs only in a ClusterRole "
             "and never with resources", rules=("CG-RBAC-001",)),
    Upstream("k8s.rbac.role-ref", _V + "ValidateRoleBinding / ValidateClusterRoleBinding", "roleRef.apiGroup is "
             "rbac.authorization.k8s.io; kind Role or ClusterRole (ClusterRole only for a ClusterRoleBinding); name "
             "a path segment", rules=("CG-RBAC-002",)),
    Upstream("k8s.rbac.subject-service-account", _V + "validateRoleBindingSubject", "a ServiceAccount subject has "
             "apiGroup \"\", a DNS-1123 subdomain name and, in a ClusterRoleBinding, a namespace",
             rules=("CG-RBAC-002",)),
    Upstream("k8s.rbac.subject-user-group", _V + "validateRoleBindingSubject", "a User/Group subject has a name "
             "and apiGroup rbac.authorization.k8s.io", rules=("CG-RBAC-002",)),
    Upstream("k8s.rbac.subject-kind", _V + "validateRoleBindingSubject", "a subject kind is ServiceAccount, User or "
             "Group", rules=("CG-RBAC-002",)),
    Upstream("k8s.rbac.role-exists", "kubernetes pkg/registry/rbac (authorizer)", "the Role/ClusterRole a binding "
             "names exists (the render's own roles)", rules=("CG-RBAC-003",)),
    Upstream("k8s.rbac.subject-exists", "kubernetes pkg/registry/rbac", "a binding's subjects exist",
             offline="the API server accepts any subject; users and groups come from the identity provider and "
             "service accounts may live in other namespaces"),
    Upstream("k8s.rbac.escalation", "kubernetes pkg/registry/rbac: EscalationAllowed", "the installing user holds "
             "every permission a role or binding grants", offline="depends on the permissions of whoever "
             "installs the chart"),
)
