"""NetworkPolicies against the rendered pods."""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import NETWORKING, PodLookup, as_dict, as_list, fmt_labels
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "cross"


@rule(
    "CG-X-009",
    Severity.WARNING,
    "NetworkPolicy podSelector selects no pods",
    LAYER,
    why="A NetworkPolicy whose podSelector matches none of the chart's pods has no effect on them.",
    fix="use the workload's selector labels in spec.podSelector",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: webb}}
  policyTypes: [Ingress]
""",
)
def netpol_selects_nothing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    pods = PodLookup.of(index)
    for np in index.kind("NetworkPolicy", NETWORKING):
        sel = as_dict(np.obj.get("spec")).get("podSelector")
        sel = as_dict(sel)
        if not as_dict(sel.get("matchLabels")) and not as_list(sel.get("matchExpressions")):
            continue  # {} applies to every pod of the namespace: intentional
        if pods.select_label_selector(sel, index.namespace_of(np)):
            continue
        yield finding(
            "CG-X-009",
            np,
            f"NetworkPolicy {np.name}: podSelector {fmt_labels(as_dict(sel.get('matchLabels')))} matches no "
            "pod template in the rendered manifests; the policy has no effect on this chart's pods",
            hint="use the workload's selector labels in spec.podSelector",
            field="spec.podSelector",
        )
