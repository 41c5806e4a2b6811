"""Istio security policies: AuthorizationPolicy and PeerAuthentication."""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import ISTIO_SECURITY, as_dict, as_list, spec_of
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "istio"


@rule(
    "CG-ISTIO-018",
    Severity.ERROR,
    "AuthorizationPolicy action/rules/provider are inconsistent",
    LAYER,
    why=(
        "Istio rejects an AuthorizationPolicy whose action, rules and provider contradict each other (CUSTOM "
        "without a provider, a provider without CUSTOM)."
    ),
    fix="use action CUSTOM with provider.name, or another action without provider",
    example="""\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz}
spec:
  action: CUSTOM
  rules: [{to: [{operation: {paths: [/admin]}}]}]
""",
)
def authz_policy(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ap in index.kind("AuthorizationPolicy", ISTIO_SECURITY):
        spec = spec_of(ap)
        action = str(spec.get("action") or "ALLOW").upper()
        rules = as_list(spec.get("rules"))
        if action in ("DENY", "CUSTOM") and not rules:
            yield finding(
                "CG-ISTIO-018",
                ap,
                f"AuthorizationPolicy {ap.name}: action {action} without rules (IST0106); a {action} policy "
                "needs rules to say what it applies to",
                hint="add rules, or use ALLOW with no rules to deny all",
                field="spec.rules",
            )
        if spec.get("provider") is not None and action != "CUSTOM":
            yield finding(
                "CG-ISTIO-018",
                ap,
                f"AuthorizationPolicy {ap.name}: provider is set but action is {action} (IST0106); provider is "
                "only allowed with CUSTOM",
                hint="set action: CUSTOM or drop provider",
                field="spec.provider",
            )
        if action == "CUSTOM" and not as_dict(spec.get("provider")).get("name"):
            yield finding(
                "CG-ISTIO-018",
                ap,
                f"AuthorizationPolicy {ap.name}: action CUSTOM needs provider.name (IST0106)",
                hint="set provider.name to an extension provider from the mesh config",
                field="spec.provider",
            )


@rule(
    "CG-ISTIO-019",
    Severity.ERROR,
    "PeerAuthentication portLevelMtls without a workload selector",
    LAYER,
    why=(
        "Istio rejects port-level mTLS on a PeerAuthentication without a workload selector (ports belong to workloads)."
    ),
    fix="add spec.selector.matchLabels, or set the mode for the whole namespace with spec.mtls",
    example="""\
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default}
spec:
  mtls: {mode: STRICT}
  portLevelMtls: {'8080': {mode: PERMISSIVE}}
""",
)
def peer_authn(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pa in index.kind("PeerAuthentication", ISTIO_SECURITY):
        spec = spec_of(pa)
        if as_dict(spec.get("portLevelMtls")) and not as_dict(as_dict(spec.get("selector")).get("matchLabels")):
            yield finding(
                "CG-ISTIO-019",
                pa,
                f"PeerAuthentication {pa.name}: portLevelMtls requires a selector with matchLabels (IST0106); "
                "namespace- or mesh-wide policies cannot set port-level mTLS",
                hint="add spec.selector.matchLabels for the workload, or move the port settings to a "
                "workload-specific PeerAuthentication",
                field="spec.portLevelMtls",
            )
