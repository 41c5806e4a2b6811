"""NetworkPolicies against the rendered pods (CG-X-009) and their peers against the rendered Namespaces and the
pods in them (CG-NET-003); both warnings: pods and namespaces outside the render may match."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import NETWORKING, PodLookup, as_dict, as_list, fmt_labels, selector_matches
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
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


NAME_LABEL = "kubernetes.io/metadata.name"


def _namespace_labels(index: ManifestIndex) -> dict[str, dict[str, Any]]:
    """Rendered Namespaces -> their labels, with the kubernetes.io/metadata.name label the API server adds."""
    return {ns.name: {**as_dict(as_dict(ns.obj.get("metadata")).get("labels")), NAME_LABEL: ns.name}
            for ns in index.kind("Namespace", ("",)) if ns.name}


def _peers(np: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = as_dict(np.obj.get("spec"))
    for direction, key in (("ingress", "from"), ("egress", "to")):
        for i, r in enumerate(as_list(spec.get(direction))):
            for j, peer in enumerate(as_list(as_dict(r).get(key))):
                yield f"spec.{direction}[{i}].{key}[{j}]", as_dict(peer)


def _aims_at_rendered(selector: dict[str, Any], namespaces: dict[str, dict[str, Any]]) -> bool:
    """Does a namespaceSelector use the render's own namespace labels (a key a rendered Namespace carries, or a
    value that names one), so that matching none of them is most likely a typo?"""
    ml = {k: v for k, v in as_dict(selector.get("matchLabels")).items() if k != NAME_LABEL}
    carried = {k for labels in namespaces.values() for k in labels if k != NAME_LABEL}
    return any(k in carried or str(v) in namespaces for k, v in ml.items())


@rule(
    "CG-NET-003",
    Severity.WARNING,
    "NetworkPolicy peer selects no rendered Namespace, or no pod in the Namespaces it selects",
    LAYER,
    why="A peer's namespaceSelector is matched against namespace labels (plus kubernetes.io/metadata.name, which "
    "the API server adds), and its podSelector against the pods of those namespaces. A selector that uses the "
    "render's own namespace labels but matches none of the rendered Namespaces, or a podSelector that matches none "
    "of the pods rendered into the namespaces it selects, admits nothing, so the traffic it was written for is "
    "dropped. Namespaces and pods outside the render may still match: a warning.",
    fix="use labels the rendered Namespace carries (or kubernetes.io/metadata.name: <namespace>) and the peer "
    "workload's pod labels",
    example="""\
apiVersion: v1
kind: Namespace
metadata:
  name: frontend
  labels: {team: frontend}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: backend}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: front-end}}
""",
)
def netpol_peers(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    namespaces = _namespace_labels(index)
    if not namespaces:
        return
    pods = PodLookup.of(index)
    for np in index.kind("NetworkPolicy", NETWORKING):
        for fld, peer in _peers(np):
            ns_sel = peer.get("namespaceSelector")
            if not isinstance(ns_sel, dict) or not (ns_sel.get("matchLabels") or ns_sel.get("matchExpressions")):
                continue
            matched = [name for name, labels in namespaces.items() if selector_matches(ns_sel, labels)]
            if not matched:
                if _aims_at_rendered(ns_sel, namespaces):
                    yield finding("CG-NET-003", np, f"NetworkPolicy {np.name}: {fld}.namespaceSelector "
                                  f"{fmt_labels(as_dict(ns_sel.get('matchLabels')))} matches none of the rendered "
                                  f"Namespaces ({', '.join(sorted(namespaces))}) although it uses their labels; it "
                                  "admits nothing unless a namespace outside the render carries them",
                                  field=f"{fld}.namespaceSelector")
                continue
            pod_sel = as_dict(peer.get("podSelector"))
            if not (pod_sel.get("matchLabels") or pod_sel.get("matchExpressions")):
                continue
            rendered = [ns for ns in matched if any(index.namespace_of(pt.owner) == ns for pt in pods.select({}, ns))]
            if rendered and not any(pods.select_label_selector(pod_sel, ns) for ns in rendered):
                yield finding("CG-NET-003", np, f"NetworkPolicy {np.name}: {fld}.podSelector "
                              f"{fmt_labels(as_dict(pod_sel.get('matchLabels')))} matches no pod rendered into "
                              f"namespace {', '.join(rendered)}; the peer admits nothing the render runs there",
                              field=f"{fld}.podSelector")
