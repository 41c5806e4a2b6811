"""Istio VirtualServices: gateways, destination hosts, subsets, ports, weights, route actions, conflicts
(modelled on istioctl analyze; IST codes are quoted in messages).
"""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import CORE, ISTIO_NETWORKING, as_dict, as_int, as_list, renders_kind_in, spec_of
from chartgen.check.mesh import (
    CLUSTER_SUFFIX,
    DNS1123_LABEL,
    MESH,
    Host,
    Mesh,
    bound_to_mesh,
    dest_ports,
    destinations,
    gateway_hosts,
    gateway_refs,
    host_is_local,
    hosts_overlap,
    parse_host,
    port_number,
    ports_list_text,
    routes_of,
    split_gateway,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "istio"


@rule(
    "CG-ISTIO-001",
    Severity.ERROR,
    "VirtualService references a Gateway that is not rendered (IST0101)",
    LAYER,
    why=(
        "A VirtualService bound to a Gateway that does not exist is never attached to any gateway (IST0101): "
        "its routes serve nothing. An error when the input renders the Gateways of that namespace; a warning "
        "when the Gateway may live elsewhere."
    ),
    fix=(
        "use the rendered Gateway's name, `<namespace>/<name>` for a shared gateway, or `mesh`; declare "
        "shared gateways in .chartgen-check.yaml (external)"
    ),
    example="""\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [web.example.com]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com]
  gateways: [publc]
  http: [{route: [{destination: {host: web}}]}]
""",
)
def vs_gateway_missing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        vs_ns = index.namespace_of(vs)
        seen: set[str] = set()
        for ref, field in gateway_refs(vs):
            if ref == MESH or ref in seen:
                continue
            seen.add(ref)
            name, ns, explicit = split_gateway(ref, vs_ns)
            if index.get("Gateway", name, ns, ISTIO_NETWORKING) is not None or opts.is_external("Gateway", name, ns):
                continue
            if not renders_kind_in(index, "Gateway", ISTIO_NETWORKING, ns) and not (
                explicit and not mesh.local_namespace(ns)
            ):
                yield finding(
                    "CG-ISTIO-001",
                    vs,
                    f"VirtualService {vs.name}: gateway {ref!r} is not in the input, which holds no Istio Gateway "
                    f"in {'namespace ' + ns if ns else 'the release namespace'}; the routes attach to nothing unless "
                    "it exists there",
                    hint="check it together with the manifests that define the Gateway, or declare it in "
                    ".chartgen-check.yaml (external: [{kind: Gateway, namespace: ..., name: ...}])",
                    field=field,
                    severity=Severity.WARNING,
                )
            elif explicit and not mesh.local_namespace(ns):
                yield finding(
                    "CG-ISTIO-001",
                    vs,
                    f"VirtualService {vs.name}: gateway {ref!r} is not in the rendered manifests "
                    f"(IST0101 ReferencedResourceNotFound unless it exists in namespace {ns})",
                    hint=f"make sure Gateway {name} exists in namespace {ns} (a shared ingress gateway), or render it",
                    field=field,
                    severity=Severity.WARNING,
                )
            else:
                yield finding(
                    "CG-ISTIO-001",
                    vs,
                    f"VirtualService {vs.name}: gateway {ref!r} is not rendered (IST0101 "
                    "ReferencedResourceNotFound); the routes are never attached to a gateway",
                    hint="use the rendered Gateway's name (same fullname helper), `<namespace>/<name>` for a shared "
                    "gateway in another namespace, or `mesh` for sidecars",
                    field=field,
                )


@rule(
    "CG-ISTIO-002",
    Severity.ERROR,
    "VirtualService destination host not found (IST0101)",
    LAYER,
    why=(
        "A destination host that matches no Service or ServiceEntry has no endpoints: requests fail with 503 "
        "(IST0101). An error when the input renders the Services of that namespace; a warning otherwise; info"
        " for hosts outside the cluster."
    ),
    fix="use the rendered Service's name (short name = same namespace), or render a ServiceEntry",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: wbe}}]}]
""",
)
def vs_destination_host(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        vs_ns = index.namespace_of(vs)
        for d in destinations(vs):
            raw = d.dest.get("host")
            if not raw:
                continue
            h = parse_host(str(raw), vs_ns)
            if h.form in ("wildcard", "ip"):
                continue  # `*` is a validation error (CG-ISTIO-020); IPs are not looked up
            field = f"{d.field}.host"
            what = "mirror host" if d.kind == "mirror" else "destination host"
            svc = mesh.service(h)
            se = mesh.service_entry(h)
            if svc is not None or se is not None:
                if svc is not None and se is None and h.form in ("name.ns", "svc"):
                    yield finding(
                        "CG-ISTIO-002",
                        vs,
                        f"VirtualService {vs.name}: {what} {raw!r} looks like Service {svc.name} but Istio "
                        "expands only short names; this form is taken literally and matches no service",
                        hint=f"use {h.name!r} (same namespace) or {h.name}.{h.namespace}{CLUSTER_SUFFIX}",
                        field=field,
                        severity=Severity.WARNING,
                    )
                continue
            if h.service_like and opts.is_external("Service", h.name or "", h.namespace):
                continue
            if h.form == "short" or h.form in ("fqdn", "svc", "name.ns") and h.namespace in mesh.namespaces:
                # certain only when the input renders the Services of that namespace (it is complete for them)
                sev = Severity.ERROR if renders_kind_in(index, "Service", CORE, h.namespace) else Severity.WARNING
            elif h.form in ("fqdn", "svc"):
                sev = Severity.WARNING
            else:
                sev = Severity.INFO  # outside the cluster (incl. two-label names like httpbin.org)
            if sev == Severity.INFO:
                yield finding(
                    "CG-ISTIO-002",
                    vs,
                    f"VirtualService {vs.name}: {what} {raw!r} is outside the cluster and no ServiceEntry in "
                    "the rendered manifests declares it",
                    hint="render a ServiceEntry for it (required when outboundTrafficPolicy is REGISTRY_ONLY)",
                    field=field,
                    severity=sev,
                )
            elif sev == Severity.WARNING:
                yield finding(
                    "CG-ISTIO-002",
                    vs,
                    f"VirtualService {vs.name}: {what} {raw!r} is a Service in namespace {h.namespace or '(release)'}"
                    ", and the input renders no Service there (IST0101 unless it exists there)",
                    hint="check it together with the manifests that define the Service, or declare it in "
                    ".chartgen-check.yaml (external: [{kind: Service, namespace: ..., name: ...}])",
                    field=field,
                    severity=sev,
                )
            else:
                yield finding(
                    "CG-ISTIO-002",
                    vs,
                    f"VirtualService {vs.name}: {what} {raw!r} matches no rendered Service or ServiceEntry "
                    "(IST0101 ReferencedResourceNotFound); requests fail with 503 (no healthy upstream)",
                    hint="use the rendered Service's name (short name = same namespace), or render a ServiceEntry",
                    field=field,
                    severity=sev,
                )


@rule(
    "CG-ISTIO-003",
    Severity.ERROR,
    "VirtualService subset not defined by a DestinationRule (IST0101)",
    LAYER,
    why=(
        "A route to a subset no DestinationRule defines fails with 503 (IST0101). An error when a "
        "DestinationRule for the host is rendered without that subset, or the input renders DestinationRules "
        "in the namespace; a warning when the DestinationRule may be elsewhere."
    ),
    fix="add the subset to the DestinationRule or fix the subset name",
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
  host: web
  subsets: [{name: v1, labels: {app: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web, subset: v2}}]}]
""",
)
def vs_subset(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        vs_ns = index.namespace_of(vs)
        for d in destinations(vs):
            subset, raw = d.dest.get("subset"), d.dest.get("host")
            if not subset or not raw:
                continue
            h = parse_host(str(raw), vs_ns)
            if h.form in ("wildcard", "ip"):
                continue
            drs = mesh.destination_rules(h)
            if not drs:
                local = host_is_local(mesh, h)
                yield finding(
                    "CG-ISTIO-003",
                    vs,
                    f"VirtualService {vs.name}: subset {subset!r} of host {raw!r}, but no rendered "
                    "DestinationRule is for that host (IST0101 ReferencedResourceNotFound)"
                    + ("" if local else "; it may exist where the host lives"),
                    hint=f"render a DestinationRule with host {raw} and a subset named {subset}",
                    field=f"{d.field}.subset",
                    severity=Severity.ERROR
                    if local and renders_kind_in(index, "DestinationRule", ISTIO_NETWORKING, h.namespace)
                    else Severity.WARNING,
                )
                continue
            names = mesh.subset_names(h)
            if str(subset) not in names:
                yield finding(
                    "CG-ISTIO-003",
                    vs,
                    f"VirtualService {vs.name}: subset {subset!r} is not defined by DestinationRule "
                    f"{', '.join(sorted({dr.name for dr in drs}))} for host {raw!r} "
                    f"(subsets: {', '.join(names) or 'none'}; "
                    "IST0101); requests fail with 503",
                    hint="add the subset to the DestinationRule or fix the subset name",
                    field=f"{d.field}.subset",
                )


@rule(
    "CG-ISTIO-004",
    Severity.ERROR,
    "Destination Service has several ports and the route sets none (IST0112)",
    LAYER,
    why=(
        "When the destination Service has several ports, Istio cannot pick one: the route needs "
        "destination.port (IST0112)."
    ),
    fix="set destination.port.number to one of the Service's ports",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}, {name: grpc, port: 9090}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web}}]}]
""",
)
def vs_port_required(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        for d in destinations(vs):
            raw = d.dest.get("host")
            if not raw or d.dest.get("port") is not None:
                continue
            target, ports, key = dest_ports(mesh, parse_host(str(raw), index.namespace_of(vs)))
            if target is not None and len(ports) > 1:
                yield finding(
                    "CG-ISTIO-004",
                    vs,
                    f"VirtualService {vs.name}: destination {raw!r} is {target.kind} {target.name} with "
                    f"{len(ports)} ports ({ports_list_text(ports, key)}) and no destination.port "
                    "(IST0112 VirtualServiceDestinationPortSelectorRequired)",
                    hint="set destination.port.number to the Service port to route to",
                    field=d.field,
                )


@rule(
    "CG-ISTIO-005",
    Severity.ERROR,
    "Destination port is not a port of the destination Service",
    LAYER,
    why="A destination port the Service does not expose routes to nothing: requests fail with 503.",
    fix="use a port of the destination Service (the Service port, not the targetPort)",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web, port: {number: 8080}}}]}]
""",
)
def vs_port_exists(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        for d in destinations(vs):
            raw, num = d.dest.get("host"), port_number(d.dest)
            if not raw or num is None:
                continue
            target, ports, key = dest_ports(mesh, parse_host(str(raw), index.namespace_of(vs)))
            if target is None or not ports:
                continue
            if any(as_int(p.get(key)) == num for p in ports):
                continue
            extra = ""
            if target.kind == "Service" and any(as_int(p.get("targetPort")) == num for p in ports):
                extra = " (it is a targetPort: Istio routes to the Service port)"
            yield finding(
                "CG-ISTIO-005",
                vs,
                f"VirtualService {vs.name}: destination {raw}:{num} is not a port of {target.kind} "
                f"{target.name} (ports: {ports_list_text(ports, key)}){extra} (IST0101 host:port)",
                hint="set destination.port.number to one of the Service's `port` values",
                field=f"{d.field}.port.number",
            )


@rule(
    "CG-ISTIO-006",
    Severity.ERROR,
    "VirtualService host not served by its Gateway (IST0132)",
    LAYER,
    why="A VirtualService host its Gateway does not serve is never reached through that gateway (IST0132).",
    fix="add the host to the Gateway's servers, or fix the VirtualService host",
    example="""\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [web.example.com]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [api.example.com]
  gateways: [public]
  http: [{route: [{destination: {host: web}}]}]
""",
)
def vs_host_in_gateway(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # ERROR (istioctl reports IST0132 as a warning): both objects are in the chart, and a VirtualService whose
    # hosts the Gateway does not serve is never used for that gateway's traffic (404 at the edge).
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        vs_ns = index.namespace_of(vs)
        hosts = [str(h) for h in as_list(spec_of(vs).get("hosts"))]
        if not hosts:
            continue
        for i, ref in enumerate(as_list(spec_of(vs).get("gateways"))):
            ref = str(ref)
            if ref == MESH:
                continue
            name, ns, _ = split_gateway(ref, vs_ns)
            gw = index.get("Gateway", name, ns, ISTIO_NETWORKING)
            if gw is None:
                continue
            ghosts = gateway_hosts(gw, index.namespace_of(gw), vs_ns)
            if any(hosts_overlap(g, h) for g in ghosts for h in hosts):
                continue
            yield finding(
                "CG-ISTIO-006",
                vs,
                f"VirtualService {vs.name}: none of its hosts ({', '.join(hosts)}) is served by Gateway "
                f"{gw.name} (hosts: {', '.join(ghosts) or 'none'}) (IST0132 VirtualServiceHostNotFoundInGateway)",
                hint="make the VirtualService hosts match a Gateway server host (wildcards like *.example.com "
                "allowed), or add the host to the Gateway",
                field=f"spec.gateways[{i}]",
            )


@rule(
    "CG-ISTIO-007",
    Severity.ERROR,
    "Invalid route weights (negative, or all zero with several destinations)",
    LAYER,
    why="Istio rejects negative weights; all-zero weights over several destinations send no traffic anywhere.",
    fix="use non-negative weights with at least one above zero",
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
  host: web
  subsets: [{name: v1, labels: {app: web}}, {name: v2, labels: {app: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - route:
    - {destination: {host: web, subset: v1}, weight: -10}
    - {destination: {host: web, subset: v2}, weight: 110}
""",
)
def vs_weights(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        for field, route in routes_of(vs):
            total = 0
            for di, d in enumerate(route):
                w = as_dict(d).get("weight", 0)
                w_int = as_int(w)
                if w_int is None:
                    continue  # wrong type: schema layer
                if w_int < 0:
                    yield finding(
                        "CG-ISTIO-007",
                        vs,
                        f"VirtualService {vs.name}: {field}[{di}].weight is {w_int}; weights must be >= 0 (IST0106)",
                        hint="use a weight >= 0",
                        field=f"{field}[{di}].weight",
                    )
                total += w_int
            if len(route) > 1 and total == 0:
                yield finding(
                    "CG-ISTIO-007",
                    vs,
                    f"VirtualService {vs.name}: {field} has {len(route)} destinations and a total weight of 0 "
                    "(IST0106: total destination weight = 0); Istio rejects it",
                    hint="give at least one destination a positive weight (e.g. 100 and 0)",
                    field=field,
                )


@rule(
    "CG-ISTIO-008",
    Severity.INFO,
    "Route weights do not add up to 100 (Istio treats them as relative)",
    LAYER,
    why="Istio normalises weights that do not add up to 100; a sum other than 100 is often a typo (info only).",
    fix="make the weights add up to 100 (or ignore: Istio treats them as relative)",
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
  host: web
  subsets: [{name: v1, labels: {app: web}}, {name: v2, labels: {app: web}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - route:
    - {destination: {host: web, subset: v1}, weight: 80}
    - {destination: {host: web, subset: v2}, weight: 30}
""",
)
def vs_weights_sum(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        for field, route in routes_of(vs):
            if len(route) < 2:
                continue
            ws = [as_int(as_dict(d).get("weight", 0)) for d in route]
            if any(w is None or w < 0 for w in ws):
                continue
            total = sum(w for w in ws if w is not None)
            if total not in (0, 100):
                yield finding(
                    "CG-ISTIO-008",
                    vs,
                    f"VirtualService {vs.name}: {field} weights add up to {total}, not 100; Istio treats "
                    "weights as relative, so this works, but reads like a mistake",
                    hint="make the weights add up to 100 (Argo Rollouts and most tooling expect percentages)",
                    field=field,
                )


@rule(
    "CG-ISTIO-009",
    Severity.ERROR,
    "HTTP route needs exactly one of route, redirect, directResponse, delegate",
    LAYER,
    why="Istio rejects an HTTP route with none or several of route, redirect, directResponse and delegate.",
    fix="give each http route exactly one of route, redirect, directResponse or delegate",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - route: [{destination: {host: web}}]
    redirect: {uri: /new}
""",
)
def vs_http_action(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        for ri, r in enumerate(as_list(spec_of(vs).get("http"))):
            r = as_dict(r)
            present = [
                k
                for k in ("route", "redirect", "directResponse", "delegate")
                if (as_list(r.get(k)) if k == "route" else r.get(k) is not None)
            ]
            if len(present) == 1:
                continue
            name = f" {r['name']!r}" if r.get("name") else ""
            if not present:
                msg = (
                    "has none of route, redirect, directResponse, delegate (IST0106: http route or redirect or "
                    "direct response is required)"
                )
            else:
                msg = f"sets {' and '.join(present)}; they are mutually exclusive (IST0106)"
            yield finding(
                "CG-ISTIO-009",
                vs,
                f"VirtualService {vs.name}: http[{ri}]{name} {msg}",
                hint="give each http route exactly one of route / redirect / directResponse / delegate",
                field=f"spec.http[{ri}]",
            )


@rule(
    "CG-ISTIO-015",
    Severity.ERROR,
    "Two mesh VirtualServices claim the same host (IST0109)",
    LAYER,
    why="Two mesh VirtualServices for the same host: only one is applied, the other is ignored (IST0109).",
    fix="merge the routes into one VirtualService per host",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web-2}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web}}]}]
""",
)
def vs_mesh_conflict(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    claims: dict[str, list[tuple[Document, Host]]] = {}
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        if not bound_to_mesh(vs):
            continue
        vs_ns = index.namespace_of(vs)
        for h in {str(x) for x in as_list(spec_of(vs).get("hosts"))}:
            ph = parse_host(h, vs_ns)
            key = ph.name if ph.service_like else ph.raw
            claims.setdefault(key or "", []).append((vs, ph))
    for entries in claims.values():
        for j in range(1, len(entries)):
            vs_b, hb = entries[j]
            for vs_a, ha in entries[:j]:
                if vs_a is vs_b:
                    continue
                if ha.service_like and not ManifestIndex._same_ns(ha.namespace, hb.namespace):
                    continue
                yield finding(
                    "CG-ISTIO-015",
                    vs_b,
                    f"VirtualService {vs_b.name} and VirtualService {vs_a.name} both bind host {hb.raw!r} to the "
                    "mesh (IST0109 ConflictingMeshGatewayVirtualServiceHosts); only one of them takes effect",
                    hint="merge the routes into one VirtualService per host (or bind one of them to a gateway only)",
                    field="spec.hosts",
                )
                break


@rule(
    "CG-ISTIO-020",
    Severity.ERROR,
    "VirtualService fails Istio validation (IST0106)",
    LAYER,
    why=(
        "Istio's admission validation rejects the VirtualService (IST0106): e.g. a host listed twice, a `*` "
        "destination host, no routes."
    ),
    fix="fix the field named in the message (see Istio's VirtualService reference)",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web, web]
  http: [{route: [{destination: {host: web}}]}]
""",
)
def vs_validation(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        spec = spec_of(vs)
        hosts = [str(h) for h in as_list(spec.get("hosts"))]

        def err(msg: str, field: str, hint: str, vs: Document = vs) -> Finding:
            return finding("CG-ISTIO-020", vs, f"VirtualService {vs.name}: {msg} (IST0106)", hint=hint, field=field)

        if not any(as_list(spec.get(k)) for k in ("http", "tcp", "tls")):
            yield err("has none of http, tcp, tls", "spec", "add at least one http (or tcp/tls) route")
        if not hosts and as_list(spec.get("gateways")):
            yield err(
                "has gateways but no hosts (a delegate VirtualService must not set gateways)",
                "spec.hosts",
                "add hosts, or drop gateways if this is a delegate",
            )
        seen: set[str] = set()
        for i, h in enumerate(hosts):
            if h in seen:
                yield err(f"host {h!r} is listed twice", f"spec.hosts[{i}]", "remove the duplicate host")
            seen.add(h)
            if h == "*" and bound_to_mesh(vs):
                yield err(
                    "wildcard host `*` is not allowed for a VirtualService bound to the mesh",
                    f"spec.hosts[{i}]",
                    "bind it to a gateway, or name the hosts",
                )
        for d in destinations(vs):
            if str(d.dest.get("host", "")) == "*":
                yield err("destination host `*` is not allowed", f"{d.field}.host", "name the destination Service")
            num = port_number(d.dest)
            if num is not None and not 1 <= num <= 65535:
                yield err(
                    f"destination port {num} is outside 1-65535",
                    f"{d.field}.port.number",
                    "use the Service port number",
                )
            sub = d.dest.get("subset")
            if sub is not None and not DNS1123_LABEL.match(str(sub)):
                yield err(
                    f"subset {sub!r} is not a DNS-1123 label",
                    f"{d.field}.subset",
                    "use lowercase letters, digits and '-'",
                )
        for ri, r in enumerate(as_list(spec.get("http"))):
            mp = as_dict(as_dict(r).get("mirrorPercentage")).get("value")
            if isinstance(mp, (int, float)) and not isinstance(mp, bool) and not 0 <= mp <= 100:
                yield err(
                    f"http[{ri}].mirrorPercentage {mp} is outside 0-100",
                    f"spec.http[{ri}].mirrorPercentage",
                    "use a percentage between 0 and 100",
                )
        for section in ("tcp", "tls"):
            for ri, r in enumerate(as_list(spec.get(section))):
                if not as_list(as_dict(r).get("route")):
                    yield err(
                        f"{section}[{ri}] has no route destinations",
                        f"spec.{section}[{ri}].route",
                        "add at least one route destination",
                    )
