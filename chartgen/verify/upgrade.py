"""Upgrade safety: what `helm upgrade` from one rendering of a chart to the next does to the objects in the cluster.

Objects of the two renderings are paired by kind, namespace and name (chartgen.verify.diff.index_manifests).
Each rule is one declared unit (`upgrade_rule(id, severity, title, why=, fix=)`), registered in `RULES` and listed by
`chartgen rules`-like tables in the README. Errors are updates the API server rejects (the immutable fields of
pkg/apis/apps/validation ValidateStatefulSetUpdate / ValidateDeploymentUpdate / ValidateDaemonSetUpdate, batch
ValidateJobUpdate, pkg/apis/core/validation ValidateServiceUpdate, ValidatePersistentVolumeClaimUpdate,
ValidateConfigMapUpdate / ValidateSecretUpdate); warnings are updates that are accepted but lose data or traffic.

The rules need two renderings, so they are not check rules (those see one rendering): they have their own small
registry here, and their findings are ordinary `Finding`s, so every report format shows them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chartgen.check.helpers import as_dict, as_list, map_selector_matches, selector_matches
from chartgen.check.model import Finding, ResourceRef, Severity
from chartgen.check.quantity import parse_quantity
from chartgen.core.merge import lookup
from chartgen.verify.diff import MISSING, ResourceKey, field_changes, fmt_value, index_manifests

Doc = dict[str, Any]


@dataclass(frozen=True)
class Issue:
    """One problem a rule found: the object (as in the new rendering, or the old one when it is gone), the field,
    both values and, when the rule's fix needs the object's names, a fix of its own."""

    key: ResourceKey
    field: str
    old: Any
    new: Any
    detail: str = ""
    fix: str = ""


@dataclass(frozen=True)
class Pairing:
    """The objects of the rendering at REF (`old`) and now (`new`), by resource key."""

    old: Mapping[ResourceKey, Doc]
    new: Mapping[ResourceKey, Doc]
    namespace: str = ""  # the release namespace (keys name it None)

    def pairs(self, *kinds: str) -> Iterator[tuple[ResourceKey, Doc, Doc]]:
        for key in sorted(self.new):
            if key.kind in kinds and key in self.old:
                yield key, self.old[key], self.new[key]

    def removed(self, *kinds: str) -> Iterator[tuple[ResourceKey, Doc]]:
        for key in sorted(self.old):
            if key.kind in kinds and key not in self.new:
                yield key, self.old[key]

    def added(self, *kinds: str) -> Iterator[tuple[ResourceKey, Doc]]:
        for key in sorted(self.new):
            if key.kind in kinds and key not in self.old:
                yield key, self.new[key]


Check = Callable[[Pairing], Iterator[Issue]]


@dataclass(frozen=True)
class UpgradeRule:
    id: str
    severity: Severity
    title: str
    why: str
    fix: str
    check: Check

    @property
    def layer(self) -> str:  # reporting.RuleInfo (SARIF rule descriptors)
        return "upgrade"


RULES: dict[str, UpgradeRule] = {}


def upgrade_rule(rule_id: str, severity: Severity, title: str, *, why: str, fix: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"upgrade rule {rule_id} declared twice")
        RULES[rule_id] = UpgradeRule(rule_id, severity, title, why, fix, fn)
        return fn
    return register


def _leaf_issues(key: ResourceKey, path: str, old: Any, new: Any, fix: str = "") -> Iterator[Issue]:
    """One issue per changed leaf below `path` (list items matched by name), so each names a short field."""
    for change in field_changes(old, new, path):
        yield Issue(key, change.path, change.old, change.new, fix=fix)


def _spec(doc: Doc) -> dict[str, Any]:
    return as_dict(doc.get("spec"))


def _template_labels(doc: Doc) -> dict[str, Any]:
    return as_dict(as_dict(as_dict(_spec(doc).get("template")).get("metadata")).get("labels"))


def _get(doc: Mapping[str, Any], dotted: str) -> Any:
    return lookup(doc, dotted, MISSING)


def _annotations(doc: Doc) -> dict[str, Any]:
    return as_dict(as_dict(doc.get("metadata")).get("annotations"))


def _is_hook(doc: Doc) -> bool:
    return "helm.sh/hook" in _annotations(doc)


def _kept(doc: Doc) -> bool:
    return str(_annotations(doc).get("helm.sh/resource-policy", "")).strip() == "keep"


# ------------------------------------------------------------------------------------------------- errors


SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


@upgrade_rule("CG-UPG-001", Severity.ERROR, "workload selector changed",
              why="spec.selector of a Deployment, StatefulSet, DaemonSet, ReplicaSet (apps/v1) or Job is immutable: "
                  "helm upgrade fails with `field is immutable`",
              fix="keep the old selector (add new labels to the pod template only), or delete the object with "
                  "`kubectl delete <kind> <name> --cascade=orphan` before the upgrade so that helm creates it anew")
def selector_changed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs(*SELECTOR_KINDS):
        a, b = _spec(old).get("selector", MISSING), _spec(new).get("selector", MISSING)
        if a != b and not (key.kind == "Job" and MISSING in (a, b)):  # a Job without one gets a generated one
            yield from _leaf_issues(key, "spec.selector", a, b,
                                    fix=f"keep the old selector, or `kubectl delete {key.kind.lower()} {key.name} "
                                        "--cascade=orphan` before the upgrade (the pods keep running and the new "
                                        "object adopts the ones its selector matches)")


_VCT_DEFAULTS = {"volumeMode": "Filesystem"}


def _claim_templates(doc: Doc) -> list[Any]:
    out = []
    for vct in as_list(_spec(doc).get("volumeClaimTemplates")):
        if not isinstance(vct, dict):
            out.append(vct)
            continue
        meta = {k: v for k, v in as_dict(vct.get("metadata")).items() if k != "creationTimestamp" and v is not None}
        out.append({"metadata": meta, "spec": {**_VCT_DEFAULTS, **as_dict(vct.get("spec"))}})
    return out


def _named(templates: list[Any]) -> list[Any]:
    """Claim templates with their metadata.name as `name`, so that changes are matched per template."""
    return [{"name": as_dict(t.get("metadata")).get("name"), **t} if isinstance(t, dict) else t for t in templates]


@upgrade_rule("CG-UPG-002", Severity.ERROR, "StatefulSet volumeClaimTemplates changed",
              why="a StatefulSet's volumeClaimTemplates are immutable (ValidateStatefulSetUpdate): helm upgrade "
                  "fails with `updates to statefulset spec for fields other than ... are forbidden`",
              fix="delete the StatefulSet with `kubectl delete statefulset <name> --cascade=orphan` before the "
                  "upgrade (pods and PVCs stay; existing PVCs keep their old spec: resize them one by one)")
def claim_templates_changed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs("StatefulSet"):
        a, b = _claim_templates(old), _claim_templates(new)
        if a != b:
            yield from _leaf_issues(key, "spec.volumeClaimTemplates", _named(a), _named(b),
                                    fix=f"`kubectl delete statefulset {key.name} --cascade=orphan` before the "
                                        "upgrade (pods and PVCs stay; resize existing PVCs by hand)")


# ValidateStatefulSetUpdate: everything in spec but these (and selector, volumeClaimTemplates: own rules)
_STS_MUTABLE = {"replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy", "minReadySeconds", "selector", "volumeClaimTemplates"}
_STS_DEFAULTS = {"podManagementPolicy": "OrderedReady", "serviceName": ""}


@upgrade_rule("CG-UPG-003", Severity.ERROR, "StatefulSet immutable field changed",
              why="a StatefulSet's spec may change only in replicas, ordinals, template, updateStrategy, "
                  "revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds "
                  "(ValidateStatefulSetUpdate): serviceName and podManagementPolicy are immutable",
              fix="keep the old value, or delete the StatefulSet with `kubectl delete statefulset <name> "
                  "--cascade=orphan` before the upgrade")
def statefulset_field_changed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs("StatefulSet"):
        a, b = _spec(old), _spec(new)
        for name in sorted((set(a) | set(b)) - _STS_MUTABLE):
            va = a.get(name, _STS_DEFAULTS.get(name, MISSING))
            vb = b.get(name, _STS_DEFAULTS.get(name, MISSING))
            if va != vb:
                yield Issue(key, f"spec.{name}", a.get(name, MISSING), b.get(name, MISSING),
                            fix=f"keep the old {name}, or `kubectl delete statefulset {key.name} --cascade=orphan` "
                                "before the upgrade")


@upgrade_rule("CG-UPG-004", Severity.ERROR, "Job pod template changed",
              why="a Job's spec.template is immutable (ValidateJobUpdate): helm upgrade fails with `field is "
                  "immutable` while the old Job exists",
              fix="make the Job a helm hook (`helm.sh/hook: post-upgrade` with `helm.sh/hook-delete-policy: "
                  "before-hook-creation`), or give it a name that changes with its content, or delete it before "
                  "the upgrade")
def job_template_changed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs("Job"):
        if "ttlSecondsAfterFinished" in _spec(old):
            continue  # the old Job may be gone already: not certain (it would still fail while it runs)
        a, b = _spec(old).get("template", MISSING), _spec(new).get("template", MISSING)
        if a != b:
            yield from _leaf_issues(key, "spec.template", a, b)


def _first(value: Any) -> Any:
    items = as_list(value)
    return items[0] if items else MISSING


def _cluster_ip(spec: Mapping[str, Any]) -> Any:
    ip = spec.get("clusterIP", MISSING)
    if ip in (MISSING, "", None):
        ip = _first(spec.get("clusterIPs"))
    return MISSING if ip in ("", None) else ip


@upgrade_rule("CG-UPG-005", Severity.ERROR, "Service clusterIP or ipFamilies changed",
              why="spec.clusterIP, spec.clusterIPs[0] and spec.ipFamilies[0] of a Service are immutable "
                  "(ValidateServiceUpdate) unless the type changes to or from ExternalName; a Service without one "
                  "got an address from the cluster, which a new fixed value (or None) cannot replace",
              fix="keep the old clusterIP, or delete the Service before the upgrade (its address changes)")
def service_ip_changed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs("Service"):
        a, b = _spec(old), _spec(new)
        if "ExternalName" in (a.get("type"), b.get("type")):
            continue
        ip_a, ip_b = _cluster_ip(a), _cluster_ip(b)
        if ip_b is not MISSING and ip_a != ip_b:
            detail = "" if ip_a is not MISSING else " (the cluster allocated an address when it was created)"
            yield Issue(key, "spec.clusterIP", ip_a, ip_b, detail=detail)
        fam_a, fam_b = _first(a.get("ipFamilies")), _first(b.get("ipFamilies"))
        if MISSING not in (fam_a, fam_b) and fam_a != fam_b:
            yield Issue(key, "spec.ipFamilies[0]", fam_a, fam_b)


@upgrade_rule("CG-UPG-006", Severity.ERROR, "headless Service changed to NodePort or LoadBalancer",
              why="when the new Service gives no clusterIP the API server keeps the old one (None), which a NodePort "
                  "or LoadBalancer Service may not have: the upgrade is rejected",
              fix="delete the Service before the upgrade, or keep it headless and add a second Service of the new "
                  "type")
def headless_type_change(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs("Service"):
        a, b = _spec(old), _spec(new)
        if _cluster_ip(a) == "None" and _cluster_ip(b) is MISSING and b.get("type") in ("NodePort", "LoadBalancer"):
            yield Issue(key, "spec.type", a.get("type", "ClusterIP"), b["type"])


def _pvc_spec(doc: Doc) -> dict[str, Any]:
    spec = {**_VCT_DEFAULTS, **_spec(doc)}
    spec.pop("volumeAttributesClassName", None)  # mutable (VolumeAttributesClass)
    requests = dict(as_dict(as_dict(spec.get("resources")).get("requests")))
    requests.pop("storage", None)
    spec["resources"] = {**as_dict(spec.get("resources")), "requests": requests}
    return spec


@upgrade_rule("CG-UPG-007", Severity.ERROR, "PersistentVolumeClaim spec changed",
              why="a PVC's spec is immutable after creation except resources.requests.storage, which may only grow "
                  "(ValidatePersistentVolumeClaimUpdate)",
              fix="keep the old spec (only raise the storage request), or create a new PVC under another name and "
                  "move the data")
def pvc_changed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs("PersistentVolumeClaim"):
        size_a = parse_quantity(_get(old, "spec.resources.requests.storage"))
        size_b = parse_quantity(_get(new, "spec.resources.requests.storage"))
        if size_a is not None and size_b is not None and size_b < size_a:
            yield Issue(key, "spec.resources.requests.storage", _get(old, "spec.resources.requests.storage"),
                        _get(new, "spec.resources.requests.storage"), detail=" (a PVC cannot shrink)")
        a, b = _pvc_spec(old), _pvc_spec(new)
        if "storageClassName" not in _spec(old):
            b.pop("storageClassName", None)  # the cluster's default class was filled in: cannot tell
            a.pop("storageClassName", None)
        for name in sorted(set(a) | set(b)):
            if a.get(name, MISSING) != b.get(name, MISSING):
                yield Issue(key, f"spec.{name}", _spec(old).get(name, MISSING), _spec(new).get(name, MISSING))


def _payload(doc: Doc) -> dict[str, Any]:
    data = {k: str(v) for k, v in as_dict(doc.get("data")).items()}
    if doc.get("kind") == "Secret":
        for k, v in as_dict(doc.get("stringData")).items():
            data[k] = base64.b64encode(str(v).encode()).decode()
    return {"data": data, "binaryData": as_dict(doc.get("binaryData"))}


@upgrade_rule("CG-UPG-008", Severity.ERROR, "immutable ConfigMap or Secret changed",
              why="a ConfigMap or Secret with `immutable: true` cannot change its data, binaryData or immutable "
                  "field (ValidateConfigMapUpdate, ValidateSecretUpdate)",
              fix="give the object a new name when its content changes (e.g. a content-hash suffix, and point the "
                  "pods at the new name), or delete it before the upgrade")
def immutable_data_changed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs("ConfigMap", "Secret"):
        if old.get("immutable") is not True:
            continue
        if new.get("immutable") is not True:
            yield Issue(key, "immutable", True, new.get("immutable", MISSING))
        a, b = _payload(old), _payload(new)
        for part in ("data", "binaryData"):
            for name in sorted(set(a[part]) | set(b[part])):
                if a[part].get(name, MISSING) != b[part].get(name, MISSING):
                    yield Issue(key, f"{part}.{name}", a[part].get(name, MISSING), b[part].get(name, MISSING))


def _transition_rules(schema: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str, str]]:
    """(property path, rule, message) of every `oldSelf` rule below object properties (list items are correlated
    by their map keys upstream: not followed)."""
    if not isinstance(schema, dict):
        return
    for v in as_list(schema.get("x-kubernetes-validations")):
        text = str(v.get("rule", "")) if isinstance(v, dict) else ""
        if "oldSelf" in text:
            yield path, text, str(v.get("message") or f"failed rule: {text}")
    for name, child in as_dict(schema.get("properties")).items():
        yield from _transition_rules(child, (*path, str(name)))


def _crd_schemas(docs: Mapping[ResourceKey, Doc]) -> dict[tuple[str, str, str], Any]:
    """(group, version, kind) -> openAPIV3Schema of the CRDs a rendering holds."""
    out: dict[tuple[str, str, str], Any] = {}
    for key, doc in docs.items():
        if key.kind != "CustomResourceDefinition":
            continue
        spec = _spec(doc)
        kind = as_dict(spec.get("names")).get("kind")
        for version in as_list(spec.get("versions")):
            if isinstance(version, dict):
                schema = as_dict(version.get("schema")).get("openAPIV3Schema")
                out[(str(spec.get("group")), str(version.get("name")), str(kind))] = schema
    return out


def _holds(rule: str, old: Any, new: Any) -> bool:
    """The transition rule on (oldSelf, self); True when celpy cannot evaluate it (not certain)."""
    import celpy

    from chartgen.check.cel import compile_cel

    program, _reason = compile_cel(rule)
    if program is None:
        return True
    try:
        return bool(program.evaluate({"self": celpy.json_to_cel(new), "oldSelf": celpy.json_to_cel(old)}))
    except Exception:  # CELEvalError and anything celpy raises: not certain
        return True


@upgrade_rule("CG-UPG-009", Severity.ERROR, "custom resource breaks a CRD transition rule",
              why="a CRD's x-kubernetes-validations rule that reads `oldSelf` (e.g. `self == oldSelf`: an immutable "
                  "field) is evaluated on every update: the API server rejects the upgrade when it is false",
              fix="keep the old value (the CRD's message says why it may not change), or delete and recreate the "
                  "object")
def transition_rule_broken(p: Pairing) -> Iterator[Issue]:
    schemas = _crd_schemas(p.new)
    if not schemas:
        return
    for key in sorted(p.new):
        if key not in p.old or "/" not in key.api_version:
            continue
        group, _, version = key.api_version.partition("/")
        schema = schemas.get((group, version, key.kind))
        for path, rule, message in _transition_rules(schema):
            old, new = _get(p.old[key], ".".join(path)), _get(p.new[key], ".".join(path))
            if old is MISSING or new is MISSING or not path:
                continue  # transition rules run only where both the old and the new object have the value
            if not _holds(rule, old, new):
                yield Issue(key, ".".join(path), old, new, detail=f" ({message}; rule: {rule})")


# ------------------------------------------------------------------------------------------------- warnings


@upgrade_rule("CG-UPG-101", Severity.WARNING, "StatefulSet renamed: its data stays behind",
              why="PVCs of a StatefulSet are named <template>-<statefulset>-<ordinal>: a StatefulSet under a new "
                  "name creates new, empty PVCs, and helm deletes the old StatefulSet (its PVCs stay, unused)",
              fix="keep the old name (e.g. with fullnameOverride), or copy the data into the new PVCs before "
                  "switching traffic")
def statefulset_renamed(p: Pairing) -> Iterator[Issue]:
    gone = [(k, d) for k, d in p.removed("StatefulSet") if _claim_templates(d)]
    for key, doc in p.added("StatefulSet"):
        if not _claim_templates(doc):
            continue
        for old_key, _old in gone:
            if old_key.namespace == key.namespace:
                yield Issue(key, "metadata.name", old_key.name, key.name,
                            detail=f" (claims of {old_key.name} are not reused)")


_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def _old_pods(p: Pairing, namespace: str | None) -> list[tuple[ResourceKey, dict[str, Any], Doc]]:
    """(workload, pod template labels, workload) of the old rendering's workloads in a namespace."""
    return [(k, _template_labels(d), d) for k, d in sorted(p.old.items())
            if k.kind in _WORKLOADS and k.namespace == namespace]


def _selector(doc: Doc) -> dict[str, Any]:
    """A Service's map selector as a LabelSelector; a PodDisruptionBudget's LabelSelector as it is."""
    sel = as_dict(_spec(doc).get("selector"))
    return {"matchLabels": sel} if doc.get("kind") == "Service" else sel


def _selects(doc: Doc, labels: dict[str, Any]) -> bool:
    return selector_matches(_selector(doc), labels)


_SELECTING = ("Service", "PodDisruptionBudget")
_LOSS = {"Service": "the Service has no endpoints (traffic fails until the rollout ends)",
         "PodDisruptionBudget": "the budget protects none of them (a drain may evict them all at once)"}


@upgrade_rule("CG-UPG-102", Severity.WARNING, "Service or PodDisruptionBudget selector no longer matches the running "
              "pods",
              why="the Service (or PodDisruptionBudget) is updated before the new pods are ready: while the old pods "
                  "run, none of them matches the new selector, so the Service has no endpoints (traffic fails until "
                  "the rollout ends) and the budget protects no pod",
              fix="add the new labels to the pod template in one release and change the selector in the next")
def service_selector_orphans(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs(*_SELECTING):
        a, b = as_dict(_spec(old).get("selector")), as_dict(_spec(new).get("selector"))
        if not a or not b or a == b:
            continue
        served = [(k, labels) for k, labels, _d in _old_pods(p, key.namespace) if _selects(old, labels)]
        if served and not any(_selects(new, labels) for _k, labels in served):
            names = ", ".join(k.label for k, _ in served)
            yield Issue(key, "spec.selector", a, b, detail=f" (no pod of {names} as it runs now matches: "
                        f"{_LOSS[key.kind]})")


@upgrade_rule("CG-UPG-105", Severity.WARNING, "pod template labels leave a Service or PodDisruptionBudget without pods",
              why="the workload's pods matched the Service (or PodDisruptionBudget) before; its new pod template "
                  "does not, and no pod of the new rendering does: as the rollout replaces the pods the Service "
                  "loses its endpoints (none when the rollout ends) and the budget protects fewer and then no pods",
              fix="keep the labels the selector names on the pod template (add new labels beside them), or change "
                  "the selector in the same release to labels both the old and the new pods carry")
def template_labels_orphan(p: Pairing) -> Iterator[Issue]:
    new_pods = [_template_labels(d) for k, d in p.new.items() if k.kind in _WORKLOADS]
    for key, old, new in p.pairs(*_WORKLOADS):
        a, b = _template_labels(old), _template_labels(new)
        if a == b or _spec(old).get("selector") != _spec(new).get("selector"):
            continue  # a changed workload selector is CG-UPG-001 already
        for skey, sdoc in sorted(p.new.items()):
            if skey.kind not in _SELECTING or skey.namespace != key.namespace or not _selector(sdoc):
                continue
            if _selects(sdoc, a) and not any(_selects(sdoc, labels) for labels in new_pods):
                yield Issue(key, "spec.template.metadata.labels", a, b,
                            detail=f" ({skey.label} selects {fmt_value(as_dict(_spec(sdoc).get('selector')))}: "
                                   f"{_LOSS[skey.kind]} once the rollout ends)",
                            fix=f"keep the labels {skey.label} selects on the pod template of {key.label}, or "
                                "change both in one release to labels the old and new pods share")


def _container_port_names(doc: Doc) -> set[str]:
    pod = as_dict(as_dict(_spec(doc).get("template")).get("spec"))
    return {str(port.get("name")) for group in ("containers", "initContainers")
            for c in as_list(pod.get(group)) if isinstance(c, dict)
            for port in as_list(c.get("ports")) if isinstance(port, dict) and port.get("name")}


@upgrade_rule("CG-UPG-103", Severity.WARNING, "Service targetPort names a port the running pods lack",
              why="a named targetPort resolves per pod: the pods running before the upgrade have no container port "
                  "of the new name, so they drop out of the endpoints as soon as the Service changes, before the "
                  "new pods are ready",
              fix="rename the container port and the targetPort in separate releases (or use the port number as "
                  "targetPort for one release)")
def target_port_renamed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs("Service"):
        selector = as_dict(_spec(new).get("selector"))
        if not selector:
            continue
        old_ports = {port.get("port"): port for port in as_list(_spec(old).get("ports")) if isinstance(port, dict)}
        running = [(k, d) for k, labels, d in _old_pods(p, key.namespace) if map_selector_matches(selector, labels)]
        for i, port in enumerate(as_list(_spec(new).get("ports"))):
            if not isinstance(port, dict) or not isinstance(port.get("targetPort"), str):
                continue
            target = port["targetPort"]
            before = as_dict(old_ports.get(port.get("port"))).get("targetPort", MISSING)
            if before == target:
                continue
            lacking = [k.label for k, d in running if target not in _container_port_names(d)]
            if lacking:
                yield Issue(key, f"spec.ports[{i}].targetPort", before, target,
                            detail=f" ({', '.join(lacking)} as running now has no container port {target!r})")


def _service_port_refs(key: ResourceKey, doc: Doc, release_ns: str) -> Iterator[tuple[str, str, Any]]:
    """(field, Service name, port name or number) of every reference to a Service port in an Ingress, HTTPRoute,
    GRPCRoute or Istio VirtualService (a VirtualService host counts when it is a short or in-cluster name)."""
    spec = _spec(doc)
    if key.kind == "Ingress":
        backends = [("spec.defaultBackend", spec.get("defaultBackend"))]
        for i, rule in enumerate(as_list(spec.get("rules"))):
            for j, path in enumerate(as_list(as_dict(as_dict(rule).get("http")).get("paths"))):
                backends.append((f"spec.rules[{i}].http.paths[{j}].backend", as_dict(path).get("backend")))
        for where, backend in backends:
            service = as_dict(as_dict(backend).get("service"))
            port = as_dict(service.get("port"))
            for form in ("name", "number"):
                if service.get("name") and port.get(form) not in (None, ""):
                    yield f"{where}.service.port.{form}", str(service["name"]), port[form]
    elif key.kind in ("HTTPRoute", "GRPCRoute"):
        for i, rule in enumerate(as_list(spec.get("rules"))):
            for j, ref in enumerate(as_list(as_dict(rule).get("backendRefs"))):
                ref = as_dict(ref)
                if ref.get("kind", "Service") == "Service" and ref.get("group", "") == "" and "port" in ref:
                    yield f"spec.rules[{i}].backendRefs[{j}].port", str(ref.get("name")), ref["port"]
    elif key.kind == "VirtualService":
        for proto in ("http", "tcp", "tls"):
            for i, route in enumerate(as_list(spec.get(proto))):
                for j, dest in enumerate(as_list(as_dict(route).get("route"))):
                    d = as_dict(as_dict(dest).get("destination"))
                    host, number = str(d.get("host", "")), as_dict(d.get("port")).get("number")
                    parts = host.split(".")
                    local = len(parts) == 1 or (len(parts) > 2 and parts[2] == "svc"
                                                  and parts[1] == (key.namespace or release_ns))
                    if number is not None and local:
                        yield f"spec.{proto}[{i}].route[{j}].destination.port.number", parts[0], number


_REFERRERS = ("Ingress", "HTTPRoute", "GRPCRoute", "VirtualService")


def _has_port(service: Doc, port: Any) -> bool:
    return any(isinstance(sp, dict) and (sp.get("name") == port if isinstance(port, str) else sp.get("port") == port)
               for sp in as_list(_spec(service).get("ports")))


def _ports_text(service: Doc) -> str:
    return ", ".join(f"{sp.get('name') or '(unnamed)'}/{sp.get('port')}" for sp in as_list(_spec(service).get("ports"))
                     if isinstance(sp, dict)) or "none"


@upgrade_rule("CG-UPG-106", Severity.WARNING, "Service port renamed under a route that names it",
              why="helm updates the Service before the Ingress, HTTPRoute, GRPCRoute or VirtualService that routes "
                  "to it: while the route still names the old port (by name or number) the Service no longer has "
                  "it, and requests through the route fail until the route is updated (for good if it never is)",
              fix="rename the port in two releases: add the new port beside the old one, move the routes to it, "
                  "then remove the old port")
def route_port_renamed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs(*_REFERRERS):
        now = {field: port for field, _svc, port in _service_port_refs(key, new, p.namespace)}
        for field, svc, port in _service_port_refs(key, old, p.namespace):
            skey = ResourceKey("Service", key.namespace, svc)
            before, after = p.old.get(skey), p.new.get(skey)
            if before is None or after is None or not _has_port(before, port) or _has_port(after, port):
                continue
            yield Issue(key, field, port, now.get(field, MISSING),
                        detail=f" (Service {svc} has no port {port!r} any more; its ports were {_ports_text(before)}, "
                               f"now {_ports_text(after)})",
                        fix=f"keep port {port!r} on Service {svc} for one release beside the new one, move "
                            f"{key.label} to the new port, then drop the old one")


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _probe_ports(container: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for probe in _PROBES:
        for handler in ("httpGet", "tcpSocket"):
            port = as_dict(as_dict(container.get(probe)).get(handler)).get("port")
            if isinstance(port, str):
                yield f"{probe}.{handler}.port", port


def _containers(doc: Doc) -> dict[str, dict[str, Any]]:
    pod = as_dict(as_dict(_spec(doc).get("template")).get("spec"))
    return {str(c.get("name")): c for group in ("initContainers", "containers")
            for c in as_list(pod.get(group)) if isinstance(c, dict)}


def _port_names(container: dict[str, Any]) -> dict[str, Any]:
    return {str(port["name"]): port.get("containerPort") for port in as_list(container.get("ports"))
            if isinstance(port, dict) and port.get("name")}


@upgrade_rule("CG-UPG-107", Severity.WARNING, "probe names a container port that was renamed",
              why="a probe's named port resolves in its own container: the container port of that name was renamed "
                  "in this release and the probe still names the old one, so the kubelet cannot resolve it and the "
                  "probe fails on every new pod (never ready, or restarted by the liveness probe)",
              fix="point the probe at the new port name (or the port number)")
def probe_port_renamed(p: Pairing) -> Iterator[Issue]:
    for key, old, new in p.pairs(*_WORKLOADS, "Job"):
        before = _containers(old)
        for cname, container in _containers(new).items():
            had, has = _port_names(as_dict(before.get(cname))), _port_names(container)
            for field, port in _probe_ports(container):
                if port in had and port not in has:
                    renamed = [n for n, number in has.items() if number == had[port]]
                    to = renamed[0] if renamed else MISSING
                    yield Issue(key, f"spec.template.spec.containers[name={cname}].ports[containerPort={had[port]}]"
                                     ".name", port, to,
                                detail=f" (its {field} still names {port!r})",
                                fix=f"set {field} of container {cname} to {to if renamed else had[port]!r}")


@upgrade_rule("CG-UPG-104", Severity.WARNING, "PersistentVolumeClaim removed",
              why="helm deletes a PVC the chart no longer renders, and with it (reclaim policy Delete, the default "
                  "of dynamic provisioning) its volume and data",
              fix="keep rendering it, or annotate it `helm.sh/resource-policy: keep` in the release before removing "
                  "it")
def pvc_removed(p: Pairing) -> Iterator[Issue]:
    for key, doc in p.removed("PersistentVolumeClaim"):
        if not _kept(doc):
            yield Issue(key, "(object)", "rendered", MISSING)


# ------------------------------------------------------------------------------------------------- running


def compare(old_text: str, new_text: str, namespace: str, *, where: str, file: str | None = None,
            suffix: str = "") -> list[Finding]:
    """Every upgrade rule over the pairing of two renderings (helm template output, hooks left out) in one
    namespace. `where`
    names the renderings in parse errors; findings point at `file` (default: `where`) with `suffix` appended to
    their message."""
    old = {k: d for k, d in index_manifests(old_text, namespace, where).items() if not _is_hook(d)}
    new = {k: d for k, d in index_manifests(new_text, namespace, where).items() if not _is_hook(d)}
    # hooks are not upgraded: helm creates them anew (and never deletes them here)
    pairing = Pairing(old, new, namespace)
    found: list[Finding] = []
    for rule in RULES.values():
        for issue in rule.check(pairing):
            found.append(to_finding(rule, issue, file or where, suffix))
    return found


def to_finding(rule: UpgradeRule, issue: Issue, where: str, suffix: str = "") -> Finding:
    key = issue.key
    message = (f"{key.label}: {issue.field}: {fmt_value(issue.old)} -> {fmt_value(issue.new)}: {rule.title}"
               f"{issue.detail}{suffix}")
    return Finding(rule.id, rule.severity, message, ResourceRef(key.kind, key.name, key.namespace), where, None,
                   issue.fix or rule.fix, issue.field)


def rules_table() -> str:
    """The rules as a Markdown table (README)."""
    rows = ["| id | severity | title | why | fix |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(RULES.values(), key=lambda r: r.id):
        rows.append(f"| {r.id} | {r.severity} | {r.title} | {r.why} | {r.fix} |")
    return "\n".join(rows) + "\n"
