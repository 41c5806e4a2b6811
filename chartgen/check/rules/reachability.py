"""Layer "cross", reachability inside the render: NetworkPolicies against the ports and peers that Services,
Ingresses and Istio gateways use. Semantics follow the NetworkPolicy API: a pod is isolated for a direction once
any policy selecting it lists that policy type; then only the union of the selecting policies' rules is allowed.
A CNI that does not enforce NetworkPolicy makes all of this moot: the findings assume enforcement."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    PodLookup,
    as_dict,
    as_int,
    as_list,
    distinct_copies,
    index_cache,
    pods_of_service,
    resolve_port,
    same_namespace,
    selector_matches,
    service_target_ports,
    serving_containers,
    spec_of,
)
from chartgen.check.helpers import proto as protocol_of
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import finding, rule
from chartgen.core.record import Record, record

E, W = Severity.ERROR, Severity.WARNING
LAYER = "cross"


@record
class PolicyRule(Record):
    policy: Document
    position: int
    rule: dict[str, Any]
    direction: str  # ingress | egress

    @property
    def field(self) -> str:
        return f"spec.{self.direction}[{self.position}]"

    @property
    def peers(self) -> list[dict[str, Any]]:
        return [as_dict(p) for p in as_list(self.rule.get("from" if self.direction == "ingress" else "to"))]

    def admits(self, pt: PodTemplate, port: int, protocol: str) -> bool:
        """Does this rule allow (port, protocol) on pod pt, whoever the peer is?"""
        ports = as_list(self.rule.get("ports"))
        if not ports:
            return True
        # an egress port name refers to the destination pods, which are unknown here: assume it may match
        target = pt if self.direction == "ingress" else None
        return any(port_entry_matches(as_dict(p), target, port, protocol) or (
            target is None and as_int(as_dict(p).get("port")) is None and as_dict(p).get("port") is not None
            and protocol_of(as_dict(p).get("protocol")) == protocol) for p in ports)


def port_entry_matches(entry: dict[str, Any], pt: PodTemplate | None, port: int, protocol: str) -> bool:
    if protocol_of(entry.get("protocol")) != protocol:
        return False
    raw = entry.get("port")
    if raw is None:
        return True
    num = as_int(raw)
    if num is None:
        if pt is None:
            return False
        num = resolve_port(pt, raw, protocol)
        if num is None:
            return False
        return num == port
    end = as_int(entry.get("endPort"))
    return num <= port <= end if end is not None else num == port


def policy_types(policy: Document) -> list[str]:
    spec = spec_of(policy)
    types = spec.get("policyTypes")
    if isinstance(types, list) and types:
        return [str(t) for t in types]
    return ["Ingress"] + (["Egress"] if spec.get("egress") is not None else [])


PodKey = tuple[str | None, tuple[tuple[str, str], ...]]


def pod_key(index: ManifestIndex, pt: PodTemplate) -> PodKey:
    """What selecting a pod template depends on: its namespace and its labels."""
    return index.namespace_of(pt.owner), tuple(sorted((str(k), str(v)) for k, v in pt.labels.items()))


def distinct_pods(index: ManifestIndex, pods: list[PodTemplate]) -> list[PodTemplate]:
    """Pod templates that differ in namespace, labels or spec (identical copies are judged once: the same verdict).
    Computed once per list object (pods_of_service answers from PodLookup's cache), over distinct_copies, so N
    copies of a Service over N copies of a workload cost N + N, not N x N."""
    memo: dict[int, tuple[list[PodTemplate], list[PodTemplate]]] = index_cache(index, "_cg_reach_distinct", dict)
    hit = memo.get(id(pods))
    if hit is not None and hit[0] is pods:
        return hit[1]
    seen: set[tuple[PodKey, int]] = set()
    out = []
    for pt in distinct_copies(index, pods):  # a copy has its original's pod key and spec object
        key = (pod_key(index, pt), id(pt.spec))
        if key not in seen:
            seen.add(key)
            out.append(pt)
    memo[id(pods)] = (pods, out)
    return out


class Policies:
    """NetworkPolicies of one index, bucketed by one matchLabels pair so finding the policies that select a pod
    costs the number of its labels, not the number of policies. Built once per index."""

    def __init__(self, index: ManifestIndex) -> None:
        self.index = index
        self.policies = [p for p in index.kind("NetworkPolicy") if p.api_version.startswith("networking.k8s.io/")]
        self.unkeyed: list[Document] = []  # no matchLabels, only matchExpressions
        self.every_pod: dict[str | None, list[Document]] = {}  # podSelector {} per namespace
        self.by_pair: dict[tuple[str, str], list[Document]] = {}
        for p in self.policies:
            sel = as_dict(spec_of(p).get("podSelector"))
            labels = as_dict(sel.get("matchLabels"))
            if labels:
                k, v = next(iter(labels.items()))
                self.by_pair.setdefault((str(k), str(v)), []).append(p)
            elif as_list(sel.get("matchExpressions")):
                self.unkeyed.append(p)
            else:
                self.every_pod.setdefault(index.namespace_of(p), []).append(p)
        # keyed by the pod's namespace and labels (all that selection depends on), so copies of a workload share them
        self._keys: dict[int, PodKey] = {}
        self._selecting: dict[PodKey, list[Document]] = {}
        self._isolated: dict[tuple[PodKey, str], list[Document]] = {}
        self._rules: dict[tuple[PodKey, str], list[PolicyRule]] = {}
        self._every_pod_cache: dict[tuple[str | None, str], tuple[list[Document], list[PolicyRule]]] = {}

    @classmethod
    def of(cls, index: ManifestIndex) -> Policies:
        return index_cache(index, "_cg_recall_policies", lambda: cls(index))

    def key(self, pt: PodTemplate) -> PodKey:
        found = self._keys.get(id(pt))  # the index holds every pod template: ids stay theirs
        if found is None:
            found = self._keys[id(pt)] = pod_key(self.index, pt)
        return found

    def selecting(self, pt: PodTemplate) -> list[Document]:
        key = self.key(pt)
        if key not in self._selecting:
            ns = self.index.namespace_of(pt.owner)
            candidates = list(self.unkeyed)
            for k, v in pt.labels.items():
                candidates.extend(self.by_pair.get((str(k), str(v)), []))
            self._selecting[key] = [p for p in candidates if same_namespace(self.index.namespace_of(p), ns)
                                    and selector_matches(spec_of(p).get("podSelector"), pt.labels)]
        return self._selecting[key]

    def _every_pod(self, pt: PodTemplate, direction: str) -> tuple[list[Document], list[PolicyRule]]:
        """Isolating policies with podSelector {} of the pod's namespace and their rules (shared per namespace)."""
        ns = self.index.namespace_of(pt.owner)
        key = (ns, direction)
        if key not in self._every_pod_cache:
            kind = "Ingress" if direction == "ingress" else "Egress"
            policies = [p for pns, every in self.every_pod.items() if same_namespace(pns, ns)
                        for p in every if kind in policy_types(p)]
            rules = [PolicyRule(p, i, as_dict(r), direction) for p in policies
                     for i, r in enumerate(as_list(spec_of(p).get(direction)))]
            self._every_pod_cache[key] = (policies, rules)
        return self._every_pod_cache[key]

    def selected_by(self, policy: Document) -> list[PodTemplate]:
        sel = as_dict(spec_of(policy).get("podSelector"))
        return PodLookup.of(self.index).select(as_dict(sel.get("matchLabels")), self.index.namespace_of(policy),
                                               expressions=as_list(sel.get("matchExpressions")), include_hooks=True)

    def isolated(self, pt: PodTemplate, direction: str) -> list[Document]:
        key = (self.key(pt), direction)
        if key not in self._isolated:
            kind = "Ingress" if direction == "ingress" else "Egress"
            own = [p for p in self.selecting(pt) if kind in policy_types(p)]
            self._isolated[key] = own + self._every_pod(pt, direction)[0]
        return self._isolated[key]

    def rules(self, pt: PodTemplate, direction: str) -> list[PolicyRule]:
        key = (self.key(pt), direction)
        if key not in self._rules:
            kind = "Ingress" if direction == "ingress" else "Egress"
            own = [PolicyRule(p, i, as_dict(r), direction) for p in self.selecting(pt) if kind in policy_types(p)
                   for i, r in enumerate(as_list(spec_of(p).get(direction)))]
            self._rules[key] = own + self._every_pod(pt, direction)[1]
        return self._rules[key]


AdmitMemo = dict[tuple[int, int, int, str], list[PolicyRule]]


def admitting(memo: AdmitMemo, rules: list[PolicyRule], pt: PodTemplate, port: int, protocol: str) -> list[PolicyRule]:
    """The rules admitting (port, protocol) on pt. A rule reads the pod only through its spec (named ports), and
    Policies keeps each rules list, so the answer is kept per (rules list, pod spec, port): copies of a policy make
    long rules lists, which copies of a Service would otherwise scan again and again. `memo` lives for one rule run."""
    key = (id(rules), id(pt.spec), port, protocol)
    found = memo.get(key)
    if found is None:
        found = memo[key] = [r for r in rules if r.admits(pt, port, protocol)]
    return found


def _targets_declared_port(pt: PodTemplate, num: int, proto: str) -> bool:
    """True unless the pods declare container ports and none of them is (num, proto)."""
    declared = [(as_int(as_dict(p).get("containerPort")), protocol_of(as_dict(p).get("protocol")))
                for c in serving_containers(pt) for p in as_list(c.get("ports"))]
    return not declared or (num, proto) in declared


def names_text(docs: list[Document], limit: int = 3) -> str:
    names = [d.name for d in docs]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _admitted_text(rules: list[PolicyRule]) -> str:
    out: list[str] = []
    for r in rules:
        if len(out) >= 6:
            return ", ".join(out) + ", ..."
        ports = as_list(r.rule.get("ports"))
        if not ports:
            out.append(f"all ports ({r.policy.name})")
        for p in ports:
            p = as_dict(p)
            out.append(f"{protocol_of(p.get('protocol'))}/{p.get('port', 'any')} ({r.policy.name})")
    return ", ".join(out) or "nothing"


@rule("CG-REACH-001", E, "NetworkPolicies isolate a Service's pods and admit no traffic to its targetPort", LAYER,
      why="Once a NetworkPolicy of type Ingress selects a pod, only ports some selecting policy admits are "
          "reachable. If none admits the Service's targetPort, every connection through the Service times out.",
      fix="add an ingress rule admitting the Service's targetPort (the container port, not the Service port) for "
          "the clients that need it",
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
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: 8081}]
""")
def service_blocked(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    policies = Policies.of(index)
    if not policies.policies:
        return
    memo: AdmitMemo = {}
    for svc in index.kind("Service"):
        for pt in distinct_pods(index, pods_of_service(index, svc)):
            if as_dict(pt.spec).get("hostNetwork") is True:
                continue  # NetworkPolicies do not apply to host-network pods
            isolating = policies.isolated(pt, "ingress")
            if not isolating:
                continue
            rules = policies.rules(pt, "ingress")
            for i, port, target in service_target_ports(svc):
                proto = protocol_of(port.get("protocol"))
                num = resolve_port(pt, target, proto)
                if num is None or not _targets_declared_port(pt, num, proto):
                    continue  # a targetPort the pods do not declare is CG-X-003's (one root cause, one finding)
                if admitting(memo, rules, pt, num, proto):
                    continue
                yield finding("CG-REACH-001", svc, f"port {port.get('name') or port.get('port')} targets {proto}/{num} "
                              f"on {pt.owner.kind} {pt.owner.name}, but NetworkPolicies "
                              f"{names_text(isolating)} isolate those pods and admit only "
                              f"{_admitted_text(rules)}; the Service is unreachable", field=f"spec.ports[{i}]")


@rule("CG-REACH-002", W, "NetworkPolicy admits a port that no selected pod serves", LAYER,
      why="A rule for a port none of the selected containers declares (or a port name none of them has) admits "
          "nothing; usually the policy was written for the Service port (80) instead of the targetPort (8080), "
          "so the traffic it was meant to allow is dropped.",
      fix="admit the container port (by number or by the container port's name), not the Service port",
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
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: 80}]
""")
def policy_port_unused(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    policies = Policies.of(index)
    for policy in policies.policies:
        if "Ingress" not in policy_types(policy):
            continue
        selected = distinct_copies(index, policies.selected_by(policy))  # copies serve the same ports
        if not selected or not all(_declared_ports(pt) for pt in selected):
            continue
        for ri, r in enumerate(as_list(spec_of(policy).get("ingress"))):
            for pi, entry in enumerate(as_list(as_dict(r).get("ports"))):
                entry = as_dict(entry)
                raw = entry.get("port")
                if raw is None or as_int(entry.get("endPort")) is not None:
                    continue
                proto = protocol_of(entry.get("protocol"))
                if any(_serves(pt, raw, proto) for pt in selected):
                    continue
                declared = sorted({f"{p[1]}/{p[0]}" for pt in selected for p in _declared_ports(pt)})
                hint = _service_port_hint(index, selected, raw)
                yield finding("CG-REACH-002", policy, f"spec.ingress[{ri}].ports[{pi}] admits {proto}/{raw}, which "
                              f"none of the selected pods serves (declared: {', '.join(declared)}){hint}",
                              field=f"spec.ingress[{ri}].ports[{pi}].port")


def _declared_ports(pt: PodTemplate) -> list[tuple[int, str, str]]:
    out = []
    for c in serving_containers(pt):
        for p in as_list(c.get("ports")):
            p = as_dict(p)
            num = as_int(p.get("containerPort"))
            if num is not None:
                out.append((num, protocol_of(p.get("protocol")), str(p.get("name", ""))))
    return out


def _serves(pt: PodTemplate, raw: Any, proto: str) -> bool:
    num = as_int(raw)
    for port, p_proto, name in _declared_ports(pt):
        if p_proto == proto and ((num is not None and port == num) or (num is None and name == str(raw))):
            return True
    return False


def _service_port_hint(index: ManifestIndex, selected: list[PodTemplate], raw: Any) -> str:
    """Scans every Service: answered once per selection and port (copies of a policy share both)."""
    memo: dict[tuple[int, str], tuple[list[PodTemplate], str]] = index_cache(index, "_cg_reach_port_hint", dict)
    key = (id(selected), repr(raw))
    hit = memo.get(key)
    if hit is None or hit[0] is not selected:
        hit = memo[key] = (selected, _find_service_port_hint(index, selected, raw))
    return hit[1]


def _find_service_port_hint(index: ManifestIndex, selected: list[PodTemplate], raw: Any) -> str:
    for svc in index.kind("Service"):
        for _, port, target in service_target_ports(svc):
            if as_int(port.get("port")) == as_int(raw) and as_int(raw) is not None:
                for pt in selected:
                    num = resolve_port(pt, target, protocol_of(port.get("protocol")))
                    if num is not None and num != as_int(raw):
                        return f"; {raw} is Service {svc.name}'s port, its pods listen on {num}"
    return ""


def _edge_services(index: ManifestIndex) -> dict[tuple[str, str | None], str]:
    """Services that receive traffic from an edge proxy in another namespace: (name, namespace) -> via what."""
    out: dict[tuple[str, str | None], str] = {}
    for ing in index.kind("Ingress"):
        ns = index.namespace_of(ing)
        spec = spec_of(ing)
        backends = [as_dict(spec.get("defaultBackend"))] + [
            as_dict(as_dict(p).get("backend")) for r in as_list(spec.get("rules"))
            for p in as_list(as_dict(as_dict(r).get("http")).get("paths"))]
        for b in backends:
            name = as_dict(b.get("service")).get("name")
            if name:
                out.setdefault((str(name), ns), f"Ingress {ing.name}")
    for vs in index.kind("VirtualService"):
        gateways = [str(g) for g in as_list(spec_of(vs).get("gateways"))]
        if not any(g != "mesh" for g in gateways):
            continue
        ns = index.namespace_of(vs)
        for section in ("http", "tcp", "tls"):
            for r in as_list(spec_of(vs).get(section)):
                for d in as_list(as_dict(r).get("route")):
                    host = str(as_dict(as_dict(d).get("destination")).get("host", ""))
                    name, _, rest = host.partition(".")
                    host_ns = rest.split(".")[0] if rest else ns
                    if name:
                        out.setdefault((name, host_ns), f"VirtualService {vs.name} (gateway "
                                       f"{', '.join(g for g in gateways if g != 'mesh')})")
    return out


def _peer_allows_other_namespaces(peer: dict[str, Any]) -> bool:
    return peer.get("namespaceSelector") is not None or peer.get("ipBlock") is not None


@rule("CG-REACH-003", W, "Edge traffic (ingress gateway / Ingress controller) blocked by a same-namespace-only "
      "NetworkPolicy", LAYER,
      why="Istio ingress gateways and Ingress controllers run in their own namespace. A peer with only a "
          "podSelector matches pods of the policy's namespace, so when every rule admitting the targetPort is of "
          "that shape, the gateway's requests are dropped (504/503 at the edge). Certain when the gateway runs in "
          "another namespace, which is the default.",
      fix="add a peer with namespaceSelector (e.g. kubernetes.io/metadata.name: istio-system) and the gateway's "
          "podSelector to the rule admitting the targetPort",
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
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {}}]
    ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
""")
def edge_blocked(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    policies = Policies.of(index)
    if not policies.policies:
        return
    edges: dict[str, list[tuple[str | None, str]]] = {}
    for (name, ens), what in _edge_services(index).items():
        edges.setdefault(name, []).append((ens, what))
    memo: AdmitMemo = {}
    same_ns_only: dict[int, str | None] = {}  # id(admitting list) -> the rules' text when all are same-namespace
    for svc in index.kind("Service"):
        ns = index.namespace_of(svc)
        via = next((v for ens, v in edges.get(svc.name, []) if same_namespace(ens, ns)), None)
        if via is None:
            continue
        for pt in distinct_pods(index, pods_of_service(index, svc)):
            if not policies.isolated(pt, "ingress"):
                continue
            rules = policies.rules(pt, "ingress")
            for i, port, target in service_target_ports(svc):
                proto = protocol_of(port.get("protocol"))
                num = resolve_port(pt, target, proto)
                if num is None:
                    continue
                admits = admitting(memo, rules, pt, num, proto)
                if not admits:
                    continue  # CG-REACH-001
                if id(admits) not in same_ns_only:
                    same_ns_only[id(admits)] = None if any(
                        not r.peers or any(_peer_allows_other_namespaces(p) for p in r.peers) for r in admits
                    ) else ", ".join(f"{r.policy.name} {r.field}" for r in admits)
                rules_text = same_ns_only[id(admits)]
                if rules_text is None:
                    continue
                yield finding("CG-REACH-003", svc, f"{via} sends edge traffic to {proto}/{num} of {pt.owner.kind} "
                              f"{pt.owner.name}, but the rules admitting it ({rules_text}) "
                              "only allow pods of the same namespace; the gateway/controller in its own namespace "
                              "is blocked",
                              field=f"spec.ports[{i}]")
                break


@rule("CG-REACH-004", W, "Egress-isolated pods with no rule admitting DNS (port 53)", LAYER,
      why="Once a NetworkPolicy of type Egress selects a pod, only admitted egress is allowed. Without a rule for "
          "UDP/53 (and TCP/53) to the cluster DNS, every name lookup fails, so connections by Service name break. "
          "Certain unless the application only connects by IP.",
      fix="add an egress rule to kube-dns: to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "
          "kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{port: 53, protocol: UDP}, "
          "{port: 53, protocol: TCP}]",
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
      - name: web
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 5432}]
""")
def egress_without_dns(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    policies = Policies.of(index)
    if not policies.policies:
        return
    for pt in index.pod_templates:
        isolating = policies.isolated(pt, "egress")
        if not isolating:
            continue
        rules = policies.rules(pt, "egress")
        if any(r.admits(pt, 53, "UDP") for r in rules):
            continue
        if as_dict(pt.spec).get("dnsPolicy") == "None" or as_dict(pt.spec).get("hostNetwork") is True:
            continue
        yield finding("CG-REACH-004", pt.owner, f"NetworkPolicies {names_text(isolating)} isolate the "
                      f"egress of these pods and admit only {_admitted_text(rules)}: DNS (UDP/53) is blocked, so "
                      "name lookups fail", field="spec")

