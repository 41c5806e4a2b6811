"""istioctl analyzers over Kubernetes objects and Istio policies that no other module covers (istio
pkg/config/analysis/analyzers: annotations, sidecar/telemetry selectors, deployment, serviceentry, gateway,
injection) - CG-MESH-028, CG-MESH-031..036."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    ISTIO_NETWORKING,
    WORKLOAD_SELECTOR_KINDS,
    as_dict,
    as_int,
    as_list,
    containers,
    injection_disabled,
    pods_for_selector,
    resolve_port,
    services_of_pods,
    spec_of,
)
from chartgen.check.mesh import ISTIO_PROTOCOLS
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "istio"
POD_ANNOTATION_PREFIXES = ("sidecar.istio.io/", "proxy.istio.io/", "traffic.sidecar.istio.io/",
                           "readiness.status.sidecar.istio.io/", "status.sidecar.istio.io/")
CONTROLLERS = (*WORKLOAD_SELECTOR_KINDS, "Job", "CronJob", "Service")
PROXY_UID = 1337


@rule("CG-MESH-031", Severity.WARNING, "Pod-level Istio annotation on a workload or Service instead of the pod "
      "template (IST0107)", LAYER,
      why="sidecar.istio.io/*, proxy.istio.io/* and traffic.sidecar.istio.io/* annotations are read from the Pod by "
          "the injector and the proxy; on a Deployment's (or a Service's) own metadata they are ignored, so the "
          "setting never takes effect (istioctl: Misplaced annotation).",
      fix="move the annotation to spec.template.metadata.annotations",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {sidecar.istio.io/proxyCPU: 100m}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
""")
def misplaced_annotation(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for kind in CONTROLLERS:
        for doc in index.kind(kind):
            for key in as_dict(as_dict(doc.obj.get("metadata")).get("annotations")):
                if str(key).startswith(POD_ANNOTATION_PREFIXES):
                    yield finding("CG-MESH-031", doc, f"{kind} {doc.name}: annotation {key} only applies to Pods; "
                                  f"on the {kind} itself it is ignored (IST0107)",
                                  field=f"metadata.annotations[{key}]")


def _selector_of(doc: Document) -> dict[str, Any]:
    spec = spec_of(doc)
    if doc.kind == "Sidecar":
        return as_dict(as_dict(spec.get("workloadSelector")).get("labels"))
    return as_dict(as_dict(spec.get("selector")).get("matchLabels"))


@rule("CG-MESH-032", Severity.WARNING, "Two Sidecars (or Telemetries) select the same workload (IST0110/IST0159)",
      LAYER,
      why="Istio applies one Sidecar (one Telemetry) per workload; when two with workload selectors pick the same "
          "pods, which one applies is undefined.",
      fix="make the selectors disjoint, or merge the two resources",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web}
spec:
  workloadSelector: {labels: {app: web}}
  egress: [{hosts: [./*]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: front}
spec:
  workloadSelector: {labels: {tier: front}}
  egress: [{hosts: [./*, istio-system/*]}]
""")
def conflicting_selectors(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for kind, groups in (("Sidecar", ISTIO_NETWORKING), ("Telemetry", ("telemetry.istio.io",))):
        owners: dict[int, Document] = {}
        for doc in index.kind(kind, groups):
            selector = _selector_of(doc)
            if not selector:
                continue
            for pt in pods_for_selector(index, selector, index.namespace_of(doc), plain_map=True):
                first = owners.setdefault(id(pt.owner), doc)
                if first is not doc:
                    yield finding("CG-MESH-032", doc, f"{kind} {doc.name} and {kind} {first.name} both select the "
                                  f"pods of {pt.owner.kind} {pt.owner.name}; which applies is undefined "
                                  f"(IST01{10 if kind == 'Sidecar' else 59})", field="spec")
                    break


def _protocol(port: dict[str, Any]) -> str | None:
    if port.get("appProtocol"):
        return str(port["appProtocol"]).lower()
    name = str(port.get("name") or "").lower()
    return next((p for p in ISTIO_PROTOCOLS if name == p or name.startswith(p + "-")), None)


@rule("CG-MESH-033", Severity.WARNING, "Services selecting the same pods disagree on a port's protocol or "
      "targetPort (IST0116/IST0137)", LAYER,
      why="The sidecar builds one inbound listener per pod port: two Services that give the same port different "
          "protocols, or the same targetPort different Service ports, leave Istio to pick one and the other "
          "Service's traffic is handled with the wrong protocol or not matched.",
      fix="use the same port number, name/appProtocol and targetPort in every Service selecting these pods",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-grpc}
spec:
  selector: {app: web}
  ports: [{name: grpc, port: 80, targetPort: 8080}]
""")
def conflicting_service_ports(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    by_owner = services_of_pods(index)
    for pt in index.pod_templates:
        svcs = by_owner.get(id(pt.owner), [])
        if len(svcs) < 2:
            continue
        protocols: dict[int, tuple[str, str]] = {}
        targets: dict[int, tuple[int, str]] = {}
        for svc in svcs:
            for p in as_list(spec_of(svc).get("ports")):
                p = as_dict(p)
                number, proto = as_int(p.get("port")), _protocol(p)
                if number is None:
                    continue
                target = resolve_port(pt, p.get("targetPort", number))
                if proto is not None:
                    seen = protocols.setdefault(number, (proto, svc.name))
                    if seen[0] != proto and seen[1] != svc.name:
                        yield finding("CG-MESH-033", svc, f"Service {svc.name} port {number} is {proto} but Service "
                                      f"{seen[1]} gives the same port of {pt.owner.kind} {pt.owner.name} protocol "
                                      f"{seen[0]} (IST0116)", field="spec.ports")
                if target is not None:
                    first = targets.setdefault(target, (number, svc.name))
                    if first[0] != number and first[1] != svc.name:
                        yield finding("CG-MESH-033", svc, f"Service {svc.name} maps port {number} to targetPort "
                                      f"{target} of {pt.owner.kind} {pt.owner.name}, which Service {first[1]} exposes "
                                      f"as port {first[0]} (IST0137)", field="spec.ports")


@rule("CG-MESH-028", Severity.WARNING, "ServiceEntry with TCP ports has no addresses (IST0134)", LAYER,
      why="A TCP port (or one without protocol) is matched by destination IP: without spec.addresses (and without "
          "Istio's DNS auto-allocation) every ServiceEntry on that port shares the 0.0.0.0 listener and traffic "
          "goes to the wrong one or passes through unrouted.",
      fix="give the ServiceEntry addresses (a VIP or CIDR), or enable DNS proxying with auto-allocation",
      example="""\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db}
spec:
  hosts: [db.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 5432, name: tcp-db, protocol: TCP}]
""")
def service_entry_addresses(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for se in index.kind("ServiceEntry", ISTIO_NETWORKING):
        spec = spec_of(se)
        if as_list(spec.get("addresses")):
            continue
        for i, p in enumerate(as_list(spec.get("ports"))):
            if str(as_dict(p).get("protocol") or "TCP").upper() == "TCP":
                yield finding("CG-MESH-028", se, f"ServiceEntry {se.name}: port {as_dict(p).get('number')} serves TCP "
                              "and the entry has no addresses (IST0134)", field=f"spec.ports[{i}]")
                break


@rule("CG-MESH-034", Severity.WARNING, "Two Istio Gateways on the same workload use the same certificate (IST0138)",
      LAYER,
      why="Clients reuse an HTTP/2 connection for every host its certificate covers; when two Gateways on the same "
          "gateway pods serve the same certificate, requests for the other Gateway's hosts arrive on the first "
          "one's connection and get 404 (envoyproxy/envoy#6767).",
      fix="serve the hosts from one Gateway, or give each Gateway its own certificate",
      example="""\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [shop.example.com]
    tls: {mode: SIMPLE, credentialName: wildcard-tls}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: api}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [api.example.com]
    tls: {mode: SIMPLE, credentialName: wildcard-tls}
""")
def duplicate_certificate(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    seen: dict[tuple[str, str], Document] = {}
    for gw in index.kind("Gateway", ISTIO_NETWORKING):
        spec = spec_of(gw)
        selector = repr(sorted(as_dict(spec.get("selector")).items()))
        certs = {str(as_dict(as_dict(s).get("tls")).get("credentialName")) for s in as_list(spec.get("servers"))
                 if as_dict(as_dict(s).get("tls")).get("credentialName")}
        for cert in sorted(certs):
            first = seen.setdefault((selector, cert), gw)
            if first is not gw:
                yield finding("CG-MESH-034", gw, f"Gateway {gw.name} and Gateway {first.name} both serve certificate "
                              f"{cert} on the same gateway workload (IST0138)", field="spec.servers")


def _run_as_user(sc: Any) -> int | None:
    return as_int(as_dict(sc).get("runAsUser"))


@rule("CG-MESH-035", Severity.WARNING, "Application runs as UID 1337, the sidecar proxy's user (IST0144)", LAYER,
      why="Istio's iptables rules let traffic from UID 1337 bypass the proxy (it is the proxy's own user): an "
          "application running as 1337 escapes mTLS, authorization policies and routing for its outbound traffic.",
      fix="run the application as another user ID",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsUser: 1337}
      containers: [{name: web, image: nginx:1.27}]
""")
def proxy_uid(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        if injection_disabled(pt):
            continue
        pod_uid = _run_as_user(pt.spec.get("securityContext"))
        for c in containers(pt):
            uid = _run_as_user(c.obj.get("securityContext")) or pod_uid
            if uid == PROXY_UID and c.name != "istio-proxy":
                yield finding("CG-MESH-035", pt.owner, f"{pt.owner.kind} {pt.owner.name}: container "
                              f"{c.name} runs as UID 1337, the sidecar proxy's user (IST0144)",
                              field=f"{c.path}.securityContext.runAsUser")


@rule("CG-MESH-036", Severity.ERROR, "Container image `auto` in a pod that is not injected (IST0146/IST0147)", LAYER,
      why="`image: auto` is replaced by Istio's injector with the proxy image (gateway deployments use it); a pod "
          "whose injection is disabled keeps the literal image name `auto` and never starts (ErrImagePull).",
      fix="enable injection for the pod (drop sidecar.istio.io/inject: \"false\"), or give the container a real "
          "image",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata:
      labels: {istio: ingressgateway, sidecar.istio.io/inject: 'false'}
    spec:
      containers: [{name: istio-proxy, image: auto}]
""")
def image_auto(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        if not injection_disabled(pt):
            continue
        for c in containers(pt):
            if str(c.obj.get("image", "")) == "auto":
                yield finding("CG-MESH-036", pt.owner, f"{pt.owner.kind} {pt.owner.name}: container "
                              f"{c.name} has image `auto` but injection is disabled for the pod "
                              "(IST0147)", field=f"{c.path}.image")
