"""RBAC (rbac.authorization.k8s.io/v1): what kubernetes pkg/apis/rbac/validation/validation.go rejects in Roles,
ClusterRoles and their bindings (CG-RBAC-001/002), and bindings whose Role the render should contain (CG-RBAC-003).

Certainty: 001 and 002 are the API server's own checks (errors). A binding to a Role that is not rendered is
accepted and merely grants nothing, and the Role may come from elsewhere, so 003 is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import as_dict, as_list, dns1123_subdomain_errors, path_segment_errors
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
SRC = "kubernetes pkg/apis/rbac/validation/validation.go"
RBAC = ("rbac.authorization.k8s.io",)
GROUP = "rbac.authorization.k8s.io"
# ClusterRoles every cluster has (the bootstrap policy): a binding to them needs no rendered ClusterRole.
BOOTSTRAP_CLUSTER_ROLES = frozenset({"cluster-admin", "admin", "edit", "view"})
# Roles the bootstrap policy makes in kube-system (besides system:* ones).
BOOTSTRAP_ROLES = frozenset({"extension-apiserver-authentication-reader"})


def _rule_errors(r: dict[str, Any], namespaced: bool) -> Iterator[tuple[str, str]]:
    """validatePolicyRule: (field suffix, message) per problem."""
    if not as_list(r.get("verbs")):
        yield "verbs", "Required value: verbs must contain at least one value"
    if as_list(r.get("nonResourceURLs")):
        if namespaced:
            yield "nonResourceURLs", "Invalid value: namespaced rules cannot apply to non-resource URLs"
        if as_list(r.get("apiGroups")) or as_list(r.get("resources")) or as_list(r.get("resourceNames")):
            yield "nonResourceURLs", "Invalid value: rules cannot apply to both regular resources and non-resource URLs"
        return
    if not as_list(r.get("apiGroups")):
        yield "apiGroups", "Required value: resource rules must supply at least one api group"
    if not as_list(r.get("resources")):
        yield "resources", "Required value: resource rules must supply at least one resource"
    if as_list(r.get("resourceNames")) and len(as_list(r.get("resources"))) > 1:
        yield "resourceNames", "Required value: resource names cannot apply to multiple resources"


@rule("CG-RBAC-001", E, "Role/ClusterRole rule invalid (no verbs, no apiGroups/resources, non-resource URLs mixed "
      "or in a Role)", "api",
      why=f"validatePolicyRule ({SRC}): every rule needs verbs; a resource rule needs apiGroups (\"\" for the core "
          "group) and resources, resourceNames only with one resource; nonResourceURLs only in a ClusterRole and "
          "never with resources.",
      fix="give each rule verbs, apiGroups (e.g. [\"\"]) and resources; keep nonResourceURLs in their own "
          "ClusterRole rule",
      example="""\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules:
- resources: [pods]
  verbs: [get, list]
""")
def role_rules(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for kind in ("Role", "ClusterRole"):
        for doc in index.kind(kind, RBAC):
            for i, r in enumerate(as_list(doc.obj.get("rules"))):
                for suffix, msg in _rule_errors(as_dict(r), kind == "Role"):
                    yield finding("CG-RBAC-001", doc, f"rules[{i}].{suffix}: {msg}", field=f"rules[{i}].{suffix}")


def _subject_errors(s: dict[str, Any], namespaced: bool) -> Iterator[tuple[str, str]]:
    """validateRoleBindingSubject after v1 defaulting (User/Group get the rbac group when apiGroup is empty)."""
    name, kind, group = s.get("name"), s.get("kind"), s.get("apiGroup") or ""
    if not name:
        yield "name", "Required value"
    if kind == "ServiceAccount":
        if isinstance(name, str) and name and (errs := dns1123_subdomain_errors(name)):
            yield "name", f"Invalid value: {name!r}: {errs[0]}"
        if group:
            yield "apiGroup", f"Unsupported value: {group!r}: supported values: \"\""
        if not namespaced and not s.get("namespace"):
            yield "namespace", "Required value (a ClusterRoleBinding's ServiceAccount subject needs its namespace)"
    elif kind in ("User", "Group"):
        if group and group != GROUP:
            yield "apiGroup", f"Unsupported value: {group!r}: supported values: \"{GROUP}\""
    else:
        yield "kind", f"Unsupported value: {kind!r}: supported values: \"Group\", \"ServiceAccount\", \"User\""


def _role_ref_errors(doc: Document) -> Iterator[tuple[str, str]]:
    ref = as_dict(doc.obj.get("roleRef"))
    if "apiGroup" in ref and ref.get("apiGroup") != GROUP:
        yield "roleRef.apiGroup", f"Unsupported value: {ref.get('apiGroup')!r}: supported values: \"{GROUP}\""
    kinds = ("Role", "ClusterRole") if doc.kind == "RoleBinding" else ("ClusterRole",)
    if "kind" in ref and ref.get("kind") not in kinds:
        yield "roleRef.kind", f"Unsupported value: {ref.get('kind')!r}: supported values: " + ", ".join(
            f'"{k}"' for k in kinds)
    name = ref.get("name")
    if "name" in ref and not name:
        yield "roleRef.name", "Required value"
    elif isinstance(name, str) and (errs := path_segment_errors(name)):
        yield "roleRef.name", f"Invalid value: {name!r}: {errs[0]}"


@rule("CG-RBAC-002", E, "RoleBinding/ClusterRoleBinding roleRef or subject invalid (group, kind, name, namespace)",
      "api",
      why=f"ValidateRoleBinding / ValidateClusterRoleBinding / validateRoleBindingSubject ({SRC}): roleRef.apiGroup "
          "is rbac.authorization.k8s.io, a ClusterRoleBinding may only reference a ClusterRole, a subject is a "
          "ServiceAccount (apiGroup \"\", a DNS-1123 subdomain name, a namespace in a ClusterRoleBinding), a User "
          "or a Group (apiGroup rbac.authorization.k8s.io).",
      fix="reference roleRef {apiGroup: rbac.authorization.k8s.io, kind: Role|ClusterRole, name}; give "
          "ServiceAccount subjects apiGroup \"\" and, in a ClusterRoleBinding, their namespace",
      example="""\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: ServiceAccount, name: reader}
""")
def bindings(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        for doc in index.kind(kind, RBAC):
            for fld, msg in _role_ref_errors(doc):
                yield finding("CG-RBAC-002", doc, f"{fld}: {msg}", field=fld)
            for i, s in enumerate(as_list(doc.obj.get("subjects"))):
                for suffix, msg in _subject_errors(as_dict(s), kind == "RoleBinding"):
                    yield finding("CG-RBAC-002", doc, f"subjects[{i}].{suffix}: {msg}",
                                  field=f"subjects[{i}].{suffix}")


def _renders_rbac_roles(index: ManifestIndex) -> bool:
    return bool(index.kind("Role", RBAC) or index.kind("ClusterRole", RBAC))


@rule("CG-RBAC-003", W, "RoleBinding references a Role/ClusterRole that is not rendered", "cross",
      why="The API server accepts a binding to a role that does not exist; it grants nothing until the role "
          "appears, so the subject's calls fail with 403. A chart that renders its own roles normally renders the "
          "one its binding names (same name helper); the role may still come from elsewhere, so a warning. "
          "Bootstrap roles (cluster-admin, admin, edit, view, system:*, "
          "extension-apiserver-authentication-reader) are not judged.",
      fix="render the Role/ClusterRole the binding names (same name helper in both templates), or fix roleRef",
      example="""\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: web-reader}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: web-reader-role}
subjects:
- {kind: ServiceAccount, name: web}
""")
def binding_targets(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    if not _renders_rbac_roles(index):
        return  # a render without any role binds to roles made elsewhere
    for kind in ("RoleBinding", "ClusterRoleBinding"):
        for doc in index.kind(kind, RBAC):
            ref = as_dict(doc.obj.get("roleRef"))
            ref_kind, name = ref.get("kind"), ref.get("name")
            if not isinstance(name, str) or not name or ref_kind not in ("Role", "ClusterRole"):
                continue
            if ref_kind == "ClusterRole":
                if name in BOOTSTRAP_CLUSTER_ROLES or name.startswith("system:") or \
                        index.get("ClusterRole", name, None, RBAC) is not None:
                    continue
            elif name in BOOTSTRAP_ROLES or name.startswith("system:") or \
                    index.get("Role", name, index.namespace_of(doc), RBAC) is not None:
                continue
            other = "ClusterRole" if ref_kind == "Role" else "Role"
            hint = f" (the render has a {other} {name}: roleRef.kind should be {other})" if index.get(
                other, name, index.namespace_of(doc) if other == "Role" else None, RBAC) is not None else ""
            yield finding("CG-RBAC-003", doc, f"roleRef: {ref_kind} {name!r} is not in the rendered manifests"
                          f"{hint}; the binding grants nothing until it exists", field="roleRef.name")
