"""Istio DestinationRules (hosts, subsets) and Service port naming for protocol selection."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from chartgen.check.helpers import (
    CORE,
    ISTIO_NETWORKING,
    PodLookup,
    as_dict,
    as_list,
    fmt_labels,
    service_ports,
    service_selector,
    spec_of,
)
from chartgen.check.mesh import Host, Mesh, is_istio, istio_port_name_ok
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "istio"


def _near_miss_service(mesh: Mesh, h: Host) -> str | None:
    """The rendered Service (same namespace) whose name is a near-miss of h's name, e.g. `reveiws` for `reviews`."""
    if not h.service_like or not h.name:
        return None
    names = sorted(
        {
            svc.name
            for svcs in mesh.services.values()
            for svc in svcs
            if ManifestIndex._same_ns(mesh.index.namespace_of(svc), h.namespace)
        }
    )
    close = difflib.get_close_matches(h.name, names, n=1, cutoff=0.8)
    return close[0] if close else None


@rule(
    "CG-ISTIO-010",
    Severity.WARNING,
    "DestinationRule host matches no Service or ServiceEntry (IST0174)",
    LAYER,
    why=(
        "A DestinationRule whose host matches nothing applies its policy to nothing (IST0174); it breaks no "
        "traffic, so a warning."
    ),
    fix="set host to the Service's name (short name or FQDN) or a ServiceEntry host",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: wbe
  subsets: [{name: v1, labels: {app: web}}]
""",
)
def dr_host(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # WARNING as in istioctl: the Service may belong to another release. ERROR when the host is a near-miss of a
    # Service the chart renders in that namespace: a typo, and the traffic policy (mTLS, subsets) silently applies
    # to nothing.
    mesh = Mesh.of(index)
    for dr, h in mesh.drs:
        if h.form in ("wildcard", "ip"):
            continue
        if mesh.service(h) is not None or mesh.service_entry(h) is not None:
            continue
        if h.form in ("fqdn", "svc") and not mesh.local_namespace(h.namespace):
            continue  # a Service of another namespace: cannot be judged from this chart
        near = _near_miss_service(mesh, h)
        yield finding(
            "CG-ISTIO-010",
            dr,
            f"DestinationRule {dr.name}: host {h.raw!r} matches no rendered Service or ServiceEntry "
            "(IST0174 UnknownDestinationRuleHost); the policy applies to nothing"
            + (f"; did you mean Service {near!r}?" if near else ""),
            hint="set spec.host to the rendered Service's name, or render a ServiceEntry for an external host",
            field="spec.host",
            severity=Severity.ERROR if near else Severity.WARNING,
        )


@rule(
    "CG-ISTIO-011",
    Severity.WARNING,
    "DestinationRule subset selects no pods (IST0173)",
    LAYER,
    why="A subset whose labels match no pod has no endpoints: traffic routed to it fails (IST0173).",
    fix="make the subset labels match the pod template labels of a version of the workload",
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
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets: [{name: v1, labels: {app: web, version: v9}}]
""",
)
def dr_subset_pods(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    pods = PodLookup.of(index)
    for dr, h in mesh.drs:
        svc = mesh.service(h)
        if svc is None:
            continue
        sel = service_selector(svc)
        if sel is None:
            continue
        for si, s in enumerate(as_list(spec_of(dr).get("subsets"))):
            labels = as_dict(as_dict(s).get("labels"))
            if not labels:
                continue
            combined = {k: str(v) for k, v in sel.items()}
            if any(k in combined and combined[k] != str(v) for k, v in labels.items()):
                found = []
            else:
                combined.update({k: str(v) for k, v in labels.items()})
                found = pods.select(combined, index.namespace_of(svc))
            if found:
                continue
            yield finding(
                "CG-ISTIO-011",
                dr,
                f"DestinationRule {dr.name}: subset {as_dict(s).get('name')!r} labels {fmt_labels(labels)} select "
                f"no pod behind Service {svc.name} in the rendered manifests "
                "(IST0173 DestinationRuleSubsetNotSelectPods); routes to it fail with 503",
                hint="make the subset labels match the pod template labels of a workload the Service selects "
                "(e.g. version: v1)",
                field=f"spec.subsets[{si}].labels",
            )


@rule(
    "CG-ISTIO-012",
    Severity.ERROR,
    "DestinationRule defines a subset name twice",
    LAYER,
    why="Istio rejects a DestinationRule that defines the same subset name twice.",
    fix="give each subset a unique name",
    example="""\
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets: [{name: v1, labels: {app: web}}, {name: v1, labels: {version: v1}}]
""",
)
def dr_duplicate_subsets(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for dr in index.kind("DestinationRule", ISTIO_NETWORKING):
        seen: set[str] = set()
        for si, s in enumerate(as_list(spec_of(dr).get("subsets"))):
            name = as_dict(s).get("name")
            if name is None:
                continue
            if name in seen:
                yield finding(
                    "CG-ISTIO-012",
                    dr,
                    f"DestinationRule {dr.name}: subset name {name!r} is defined twice (IST0106: duplicate "
                    "subset names)",
                    hint="give every subset a unique name",
                    field=f"spec.subsets[{si}].name",
                )
            seen.add(str(name))


@rule(
    "CG-ISTIO-013",
    Severity.INFO,
    "Service port name does not follow Istio protocol naming (IST0118)",
    LAYER,
    why=(
        "Istio picks the protocol from the port name (`http-*`, `grpc-*`, ...) or appProtocol; other names "
        "are treated as opaque TCP (IST0118, info)."
    ),
    fix="name Service ports `<protocol>[-suffix]` (http, http-web, grpc, tcp-db) or set appProtocol",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: web, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web}}]}]
""",
)
def service_port_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Only for charts that use Istio: elsewhere the naming convention is irrelevant. INFO, as in istioctl:
    # Istio falls back to protocol sniffing, which works but loses explicit protocol selection.
    if not any(is_istio(d) for d in index.documents):
        return
    for svc in index.kind("Service", CORE):
        if spec_of(svc).get("type") == "ExternalName":
            continue  # IST0150 for ExternalName Services is CG-MESH-011 (a warning there: no sniffing)
        for i, p in enumerate(service_ports(svc)):
            if p.get("appProtocol"):
                continue
            name = str(p.get("name") or "")
            if istio_port_name_ok(name):
                continue
            yield finding(
                "CG-ISTIO-013",
                svc,
                f"Service {svc.name}: port {name or p.get('port')!r} does not follow Istio's "
                "`<protocol>[-suffix]` "
                "naming and sets no appProtocol (IST0118 PortNameIsNotUnderNamingConvention); Istio sniffs the "
                "protocol",
                hint="name the port http, http2, grpc, tcp, tls, ... (e.g. `http-web`) or set appProtocol",
                field=f"spec.ports[{i}].name",
            )
