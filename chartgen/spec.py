"""chartgen.yaml: typed spec dataclasses, and loading that validates everything before anything is written.

Layers of a spec, lowest first (later wins, Helm merge rules):
  blueprints/profiles/base.yaml -> the blueprint's defaults -> the spec's top-level settings   = values.yaml
  ... -> blueprints/profiles/<profile>.yaml -> environments.<env> settings                     = values-<env>.yaml
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from chartgen import k8snames
from chartgen.blueprints import Blueprint, BlueprintLibrary
from chartgen.errors import SpecError, SpecErrors
from chartgen.istio_spec import IstioSettings, parse_istio
from chartgen.merge import merge
from chartgen.spec_shape import check_sections
from chartgen.yamlsource import YamlSource, join, parse_yaml, read_yaml

SPEC_FILE = "chartgen.yaml"
SPEC_API_VERSION = "chartgen/v1"

DNS1035 = k8snames.DNS1035_LABEL
DNS1123_LABEL = k8snames.DNS1123_LABEL
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$")
IANA_SVC_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$")
QUALIFIED_NAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DEFAULT_NODE_PORT_RANGE = (30000, 32767)
META_KEYS = ("apiVersion", "name", "description", "chartVersion", "appVersion", "blueprint", "kubeVersion", "image",
             "environments")
ENV_ONLY_KEYS = ("profile", "namespace", "image")
DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")


# ---------------------------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class ServicePort:
    port: int
    target_port: int | str
    protocol: str = "TCP"
    name: str | None = None
    app_protocol: str | None = None
    node_port: int | None = None


@dataclass(frozen=True)
class ContainerPort:
    container_port: int
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True)
class LoadBalancer:
    preset: str = "none"
    scheme: str | None = None
    certificate_arn: str | None = None
    ssl_ports: str | None = None
    backend_protocol: str | None = None
    class_name: str | None = None
    source_ranges: tuple[str, ...] = ()
    allocate_node_ports: bool | None = None
    health_check_node_port: int | None = None


@dataclass(frozen=True)
class Service:
    type: str
    ports: tuple[ServicePort, ...]
    annotations: Mapping[str, str]
    session_affinity: str
    session_affinity_timeout: int
    internal_traffic_policy: str | None
    external_traffic_policy: str | None
    external_name: str | None
    node_port_range: tuple[int, int]
    client_service: bool
    publish_not_ready_addresses: bool
    load_balancer: LoadBalancer

    @property
    def headless(self) -> bool:
        return False


@dataclass(frozen=True)
class Probe:
    enabled: bool
    type: str  # http | tcp | grpc
    path: str | None
    port: int | str | None
    initial_delay_seconds: int
    period_seconds: int
    timeout_seconds: int
    failure_threshold: int


@dataclass(frozen=True)
class Autoscaling:
    enabled: bool
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int


@dataclass(frozen=True)
class DisruptionBudget:
    enabled: bool
    min_available: int | str | None  # wins over max_unavailable when set
    max_unavailable: int | str | None


@dataclass(frozen=True)
class Storage:
    enabled: bool
    size: str
    storage_class_name: str | None
    mount_path: str
    access_modes: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    """Everything that may differ per environment, after all layers are merged."""

    replicas: int
    image_tag: str | None
    image_digest: str | None
    pull_policy: str
    service: Service
    container_ports: tuple[ContainerPort, ...]
    resources: Mapping[str, Mapping[str, str]]
    probes: Mapping[str, Probe]
    autoscaling: Autoscaling
    pod_disruption_budget: DisruptionBudget
    network_policy: bool
    topology_spread: bool
    log_level: str
    env: Mapping[str, str]
    writable_tmp: bool
    pod_management_policy: str
    storage: Storage
    istio: IstioSettings
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class Environment:
    name: str
    profile: str | None
    namespace: str
    settings: Settings


@dataclass(frozen=True)
class Image:
    repository: str
    allow_latest: bool


@dataclass(frozen=True)
class Spec:
    file: str
    name: str
    description: str
    chart_version: str
    app_version: str
    blueprint: Blueprint
    kube_version: str
    image: Image
    defaults: Settings
    environments: tuple[Environment, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def istio_enabled(self) -> bool:
        """Istio is on in the defaults or in any environment (the istio blueprint parts are then used)."""
        return self.defaults.istio.enabled or any(e.settings.istio.enabled for e in self.environments)

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)


# ---------------------------------------------------------------------------------------------- loading


@lru_cache(maxsize=1)
def spec_schema() -> dict[str, Any]:
    return json.loads(resources.files("chartgen").joinpath("data/spec.schema.json").read_text(encoding="utf-8"))


class _Collector:
    def __init__(self, src: YamlSource):
        self.src = src
        self.errors: list[SpecError] = []
        self.istio_errors: set[tuple[str, str]] = set()  # reported at the top level; not repeated per environment

    def add(self, path: str, message: str) -> None:
        if any(e.path == path for e in self.errors):
            return
        self.errors.append(SpecError(self.src.file, path, message, self.src.line(path)))

    def raise_if_any(self) -> None:
        if self.errors:
            self.errors.sort(key=lambda e: (e.line or 0, e.path or ""))
            raise SpecErrors(self.errors)


def load_spec(path: Path | str, library: BlueprintLibrary | None = None) -> Spec:
    """Load and fully validate a chartgen.yaml (a file, or a chart folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / SPEC_FILE
    return parse_spec(read_yaml(path, str(path)), library)


def parse_spec_text(text: str, name: str, library: BlueprintLibrary | None = None) -> Spec:
    return parse_spec(parse_yaml(text, name), library)


def parse_spec(src: YamlSource, library: BlueprintLibrary | None = None) -> Spec:
    library = library or BlueprintLibrary.default()
    col = _Collector(src)
    data = src.data
    if not isinstance(data, dict):
        raise SpecError(src.file, None, "must be a mapping with at least name, blueprint and image")
    check_sections(src)
    _schema_errors(data, col, library.blueprint_names())
    col.raise_if_any()

    name = data["name"]
    blueprint = library.service_blueprint(data["blueprint"])
    image = data.get("image") or {}
    if blueprint.has_workload:
        if "image" not in data:
            col.add("image", f"required field 'image' is missing (blueprint {blueprint.name!r} deploys pods)")
        _check_image(image, "image", col, allow_latest=bool(image.get("allowLatest")), need_ref=True)
    chart_version = str(data.get("chartVersion", "0.1.0"))
    if not SEMVER.match(chart_version):
        col.add("chartVersion", f"{chart_version!r} is not a SemVer 2 version (e.g. 0.1.0)")

    top = {k: v for k, v in data.items() if k not in META_KEYS}
    top_image = {k: v for k, v in image.items() if k in ("tag", "digest", "pullPolicy")}
    if top_image:
        top["image"] = top_image
    base_layers = merge(library.profile("base"), blueprint.defaults)
    default_raw = merge(base_layers, top)
    defaults = _settings(default_raw, "", blueprint, col, origin=top)

    envs_raw = data.get("environments")
    if envs_raw is None:
        envs_raw = {name_: {} for name_ in DEFAULT_ENVIRONMENTS}
    environments = []
    for env_name, env_data in envs_raw.items():
        env_data = env_data or {}
        prefix = join("environments", env_name)
        profile = env_data.get("profile", env_name if env_name in library.profile_names() else None)
        if profile is not None and profile not in library.profile_names():
            col.add(join(prefix, "profile"),
                    f"unknown profile {profile!r}; allowed: {', '.join(library.profile_names())}")
            continue
        if "image" in env_data:
            _check_image(env_data["image"], join(prefix, "image"), col,
                         allow_latest=bool(image.get("allowLatest")), need_ref=False)
        override = {k: v for k, v in env_data.items() if k not in ("profile", "namespace")}
        layered = merge(default_raw, library.profile(profile)) if profile else default_raw
        raw = merge(layered, override)
        settings = _settings(raw, prefix, blueprint, col, origin=override)
        environments.append(Environment(env_name, profile, str(env_data.get("namespace", "default")), settings))
    col.raise_if_any()

    app_version = str(data.get("appVersion") or image.get("tag") or chart_version)
    return Spec(
        file=src.file,
        name=name,
        description=str(data.get("description") or f"A Helm chart for {name}"),
        chart_version=chart_version,
        app_version=app_version,
        blueprint=blueprint,
        kube_version=str(data.get("kubeVersion", "1.31.0")),
        image=Image(image.get("repository", ""), bool(image.get("allowLatest"))),
        defaults=defaults,
        environments=tuple(environments),
        raw=data,
    )


def _schema_errors(data: dict[str, Any], col: _Collector, blueprints: list[str]) -> None:
    import jsonschema  # lazy: keeps `chartgen --help` fast

    # The published schema lists the shipped blueprints; validation uses the library actually loaded.
    schema = dict(spec_schema())
    schema["properties"] = dict(schema["properties"], blueprint={"enum": blueprints})
    validator = jsonschema.Draft7Validator(schema)
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = ""
        for part in err.absolute_path:
            path = join(path, part)
        col.add(path or "(top level)", _explain(err))
    allowed_top = set(META_KEYS) | set(spec_schema()["definitions"]["settings"]["properties"])
    for key in data:
        if key not in allowed_top:
            col.add(str(key), f"unknown field; allowed: {', '.join(sorted(allowed_top))}")
    for env_name, env in (data.get("environments") or {}).items():
        if isinstance(env, dict):
            allowed_env = set(ENV_ONLY_KEYS) | set(spec_schema()["definitions"]["settings"]["properties"])
            for key in env:
                if key not in allowed_env:
                    col.add(join(join("environments", env_name), key),
                            f"unknown field; allowed: {', '.join(sorted(allowed_env))}")


def _explain(err: Any) -> str:
    v = err.validator
    inst = err.instance
    if v == "enum":
        return f"{inst!r} is not allowed; allowed: {', '.join(map(str, err.validator_value))}"
    if v == "pattern":
        if err.validator_value == spec_schema()["definitions"]["dns1035"]["pattern"]:
            return f"{inst!r} is not a DNS-1035 label: lowercase letters, digits and '-', starting with a letter"
        return f"{inst!r} does not match {err.validator_value}"
    if v in ("minimum", "maximum"):
        schema = err.schema
        lo, hi = schema.get("minimum"), schema.get("maximum")
        rng = f"{lo}-{hi}" if lo is not None and hi is not None else (f">= {lo}" if lo is not None else f"<= {hi}")
        return f"{inst!r} is out of range; allowed: {rng}"
    if v == "type":
        return f"{inst!r} has the wrong type; expected {err.validator_value}"
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"required field {missing!r} is missing"
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(inst) - set(allowed)) if isinstance(inst, dict) else []
        return f"unknown field(s) {', '.join(map(repr, extra))}; allowed: {', '.join(allowed)}"
    if v == "maxLength":
        return f"{inst!r} is longer than {err.validator_value} characters"
    if v == "const":
        return f"{inst!r} is not allowed; allowed: {err.validator_value}"
    return err.message


def _check_image(image: Mapping[str, Any], path: str, col: _Collector, *, allow_latest: bool, need_ref: bool) -> None:
    tag, digest = image.get("tag"), image.get("digest")
    if need_ref and not tag and not digest:
        col.add(join(path, "tag"), "an image tag (or digest) is required; a missing tag means 'latest'")
    if tag is not None and not TAG.match(str(tag)):
        col.add(join(path, "tag"), f"{tag!r} is not a valid image tag")
    if tag == "latest" and not allow_latest:
        col.add(join(path, "tag"), "'latest' is mutable and not allowed; pin a version or set image.allowLatest: true")
    if digest is not None and not DIGEST.match(str(digest)):
        col.add(join(path, "digest"), f"{digest!r} is not allowed; expected sha256:<64 hex digits>")


def _settings(raw: dict[str, Any], prefix: str, bp: Blueprint, col: _Collector, origin: Mapping[str, Any]) -> Settings:
    """Build typed Settings from merged raw settings, reporting errors under `prefix`.

    `origin` is the layer the user wrote at this level; semantic errors are reported only for fields that
    layer touches, so an error in the top-level spec is not repeated once per environment.
    """
    at = lambda p: join(prefix, p) if prefix else p  # noqa: E731
    touched = _touched_paths(origin)

    def add(p: str, msg: str, *, always: bool = False) -> None:
        if always or not prefix or any(t == p or t.startswith(p + ".") or t.startswith(p + "[") or p.startswith(t)
                                       for t in touched):
            col.add(at(p), msg)

    svc_raw = raw.get("service") or {}
    svc_type = svc_raw.get("type") or bp.service_type
    if svc_type not in bp.allowed_service_types:
        add("service.type", f"{svc_type!r} is not allowed for blueprint {bp.name!r}; "
                            f"allowed: {', '.join(bp.allowed_service_types)}")
    npr = _node_port_range(svc_raw.get("nodePortRange"), add)
    ports = _service_ports(svc_raw.get("ports") or [], svc_type, bp, npr, add)

    extra_cports = tuple(ContainerPort(int(p["containerPort"]), p.get("protocol", "TCP"), p["name"])
                         for p in raw.get("containerPorts") or [])
    container_ports = _container_ports(ports, extra_cports, bp, add)

    lb_raw = svc_raw.get("loadBalancer") or {}
    lb = LoadBalancer(
        preset=lb_raw.get("preset", "none"),
        scheme=lb_raw.get("scheme"),
        certificate_arn=lb_raw.get("certificateArn"),
        ssl_ports=lb_raw.get("sslPorts"),
        backend_protocol=lb_raw.get("backendProtocol"),
        class_name=lb_raw.get("class"),
        source_ranges=tuple(lb_raw.get("sourceRanges") or ()),
        allocate_node_ports=lb_raw.get("allocateNodePorts"),
        health_check_node_port=lb_raw.get("healthCheckNodePort"),
    )
    for i, cidr in enumerate(lb.source_ranges):
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            add(f"service.loadBalancer.sourceRanges[{i}]", f"{cidr!r} is not a valid CIDR (e.g. 10.0.0.0/8)")
    if lb.class_name and not QUALIFIED_NAME.match(lb.class_name):
        add("service.loadBalancer.class", f"{lb.class_name!r} is not a qualified name (e.g. service.k8s.aws/nlb)")

    etp = svc_raw.get("externalTrafficPolicy")
    if etp and svc_type not in ("NodePort", "LoadBalancer"):
        add("service.externalTrafficPolicy", f"only allowed with type NodePort or LoadBalancer, not {svc_type}")
    if lb.health_check_node_port is not None:
        if svc_type != "LoadBalancer" or etp != "Local":
            add("service.loadBalancer.healthCheckNodePort",
                "only allowed with type LoadBalancer and externalTrafficPolicy Local")
        elif not npr[0] <= lb.health_check_node_port <= npr[1]:
            add("service.loadBalancer.healthCheckNodePort",
                f"{lb.health_check_node_port} is out of range; allowed: {npr[0]}-{npr[1]}")

    affinity = svc_raw.get("sessionAffinity", "None")
    timeout = int(svc_raw.get("sessionAffinityTimeoutSeconds", 10800))
    if not 0 < timeout <= 86400:
        add("service.sessionAffinityTimeoutSeconds", f"{timeout} is out of range; allowed: 1-86400")

    ext_name = svc_raw.get("externalName")
    if svc_type == "ExternalName":
        if not ext_name:
            add("service.externalName", "required for type ExternalName (a DNS name such as db.example.com)",
                always=True)
        elif not DNS1123_SUBDOMAIN.match(ext_name) or len(ext_name.rstrip(".")) > 253:
            add("service.externalName", f"{ext_name!r} is not a DNS-1123 subdomain: lowercase labels of "
                                        "[a-z0-9-] separated by single dots")
    elif ext_name:
        add("service.externalName", f"only allowed with type ExternalName, not {svc_type}")

    for key in svc_raw.get("annotations") or {}:
        if not QUALIFIED_NAME.match(str(key)):
            add(f"service.annotations.{key}", "annotation key is not a qualified name")

    service = Service(
        type=svc_type,
        ports=ports,
        annotations=dict(svc_raw.get("annotations") or {}),
        session_affinity=affinity,
        session_affinity_timeout=timeout,
        internal_traffic_policy=svc_raw.get("internalTrafficPolicy"),
        external_traffic_policy=etp,
        external_name=ext_name,
        node_port_range=npr,
        client_service=bool(svc_raw.get("clientService", False)),
        publish_not_ready_addresses=bool(svc_raw.get("publishNotReadyAddresses", False)),
        load_balancer=lb,
    )

    istio, istio_errors = parse_istio(raw.get("istio"), service, bp)
    for p, msg in istio_errors:
        if not prefix:
            col.istio_errors.add((p, msg))
            add(p, msg)
        elif (p, msg) not in col.istio_errors:  # caused by this environment (or its profile)
            add(p, msg, always=True)

    probes = {}
    for kind in ("readiness", "liveness", "startup"):
        p = (raw.get("probes") or {}).get(kind) or {}
        ptype = p.get("type") or ("http" if p.get("path") else "tcp")
        if ptype == "http" and not p.get("path"):
            add(f"probes.{kind}.path", "an http probe needs a path (e.g. /healthz)")
        port = p.get("port")
        if port is None and container_ports:
            port = container_ports[0].name or container_ports[0].container_port
        if isinstance(port, str) and port not in {c.name for c in container_ports}:
            add(f"probes.{kind}.port", f"{port!r} names no container port; allowed: "
                                       f"{', '.join(c.name for c in container_ports if c.name) or 'a port number'}")
        probes[kind] = Probe(
            enabled=bool(p.get("enabled", kind != "startup")) and bool(container_ports),
            type=ptype, path=p.get("path"), port=port,
            initial_delay_seconds=int(p.get("initialDelaySeconds", 0)),
            period_seconds=int(p.get("periodSeconds", 10)),
            timeout_seconds=int(p.get("timeoutSeconds", 1)),
            failure_threshold=int(p.get("failureThreshold", 3)),
        )

    st = (raw.get("statefulSet") or {})
    storage_raw = st.get("storage") or {}
    storage = Storage(
        enabled=bool(storage_raw.get("enabled", True)),
        size=str(storage_raw.get("size", "1Gi")),
        storage_class_name=storage_raw.get("storageClassName"),
        mount_path=storage_raw.get("mountPath", "/data"),
        access_modes=tuple(storage_raw.get("accessModes") or ("ReadWriteOnce",)),
    )
    hpa = raw.get("autoscaling") or {}
    autoscaling = Autoscaling(bool(hpa.get("enabled", False)), int(hpa.get("minReplicas", 2)),
                              int(hpa.get("maxReplicas", 5)), int(hpa.get("targetCPUUtilizationPercentage", 80)))
    if autoscaling.enabled and autoscaling.min_replicas > autoscaling.max_replicas:
        add("autoscaling.minReplicas", "must not exceed autoscaling.maxReplicas")
    pdb = raw.get("podDisruptionBudget") or {}
    disruption_budget = DisruptionBudget(bool(pdb.get("enabled", False)), pdb.get("minAvailable"),
                                         pdb.get("maxUnavailable", None if "minAvailable" in pdb else 1))
    image_raw = raw.get("image") or {}
    return Settings(
        replicas=int(raw.get("replicas", 1)),
        image_tag=image_raw.get("tag"),
        image_digest=image_raw.get("digest"),
        pull_policy=image_raw.get("pullPolicy", "IfNotPresent"),
        service=service,
        container_ports=container_ports,
        resources=raw.get("resources") or {},
        probes=probes,
        autoscaling=autoscaling,
        pod_disruption_budget=disruption_budget,
        network_policy=bool((raw.get("networkPolicy") or {}).get("enabled", False)),
        topology_spread=bool(raw.get("topologySpread", False)),
        log_level=str(raw.get("logLevel", "info")),
        env=dict(raw.get("env") or {}),
        writable_tmp=bool(raw.get("writableTmp", True)),
        pod_management_policy=st.get("podManagementPolicy", "OrderedReady"),
        storage=storage,
        istio=istio,
        raw=raw,
    )


def _touched_paths(origin: Mapping[str, Any], prefix: str = "") -> list[str]:
    out = []
    for k, v in origin.items():
        p = join(prefix, k)
        out.append(p)
        if isinstance(v, Mapping):
            out.extend(_touched_paths(v, p))
        elif isinstance(v, list):
            for i, item in enumerate(v):
                out.append(join(p, i))
                if isinstance(item, Mapping):
                    out.extend(_touched_paths(item, join(p, i)))
    return out


def _node_port_range(text: str | None, add) -> tuple[int, int]:
    if not text:
        return DEFAULT_NODE_PORT_RANGE
    lo, hi = (int(x) for x in text.split("-"))
    if not 1 <= lo <= hi <= 65535:
        add("service.nodePortRange", f"{text!r} is not a valid range; expected LOW-HIGH within 1-65535")
        return DEFAULT_NODE_PORT_RANGE
    return lo, hi


def _service_ports(raw_ports: list[dict[str, Any]], svc_type: str, bp: Blueprint, npr: tuple[int, int],
                   add) -> tuple[ServicePort, ...]:
    if not raw_ports and bp.requires_ports:
        add("service.ports", f"at least one port is required for blueprint {bp.name!r}", always=True)
    ports = []
    names: set[str] = set()
    pairs: set[tuple[str, int]] = set()
    node_ports: dict[tuple[str, int], int] = {}
    for i, p in enumerate(raw_ports):
        at = f"service.ports[{i}]"
        name = p.get("name")
        protocol = p.get("protocol", "TCP")
        if name is None and len(raw_ports) > 1:
            add(f"{at}.name", "required when the Service has more than one port (a DNS-1123 label such as http)")
        if name is not None:
            if not DNS1123_LABEL.match(name) or len(name) > 63:
                add(f"{at}.name", f"{name!r} is not a DNS-1123 label: lowercase letters, digits and '-'")
            if name in names:
                add(f"{at}.name", f"duplicate port name {name!r}")
            names.add(name)
        if (protocol, p["port"]) in pairs:
            add(f"{at}.port", f"duplicate {protocol} port {p['port']}")
        pairs.add((protocol, p["port"]))
        target = p.get("targetPort", p["port"])
        if isinstance(target, int) and not 1 <= target <= 65535:
            add(f"{at}.targetPort", f"{target} is out of range; allowed: 1-65535")
        if isinstance(target, str) and (not IANA_SVC_NAME.match(target) or len(target) > 15):
            add(f"{at}.targetPort", f"{target!r} is not a valid port name: at most 15 of [-a-z0-9] with a letter")
        app = p.get("appProtocol")
        if app is not None and not QUALIFIED_NAME.match(app):
            add(f"{at}.appProtocol", f"{app!r} is not a qualified name (e.g. http, kubernetes.io/h2c)")
        node_port = p.get("nodePort")
        if node_port is not None:
            if svc_type not in ("NodePort", "LoadBalancer"):
                add(f"{at}.nodePort", f"only allowed with type NodePort or LoadBalancer, not {svc_type}")
            elif not npr[0] <= node_port <= npr[1]:
                add(f"{at}.nodePort", f"{node_port} is out of range; allowed: {npr[0]}-{npr[1]} "
                                      "(set service.nodePortRange for a custom --service-node-port-range)")
            elif (protocol, node_port) in node_ports:
                add(f"{at}.nodePort", f"duplicate nodePort {node_port} (also used by "
                                      f"service.ports[{node_ports[(protocol, node_port)]}])")
            node_ports.setdefault((protocol, node_port), i)
        ports.append(ServicePort(p["port"], target, protocol, name, app, node_port))
    return tuple(ports)


def _container_ports(ports: tuple[ServicePort, ...], extra: tuple[ContainerPort, ...], bp: Blueprint,
                     add) -> tuple[ContainerPort, ...]:
    if not bp.has_workload:
        return ()
    out: list[ContainerPort] = []
    seen: set[tuple[int, str]] = set()
    extra_names = {c.name: c for c in extra}
    for i, p in enumerate(ports):
        if isinstance(p.target_port, str):
            if p.target_port not in extra_names:
                add(f"service.ports[{i}].targetPort",
                    f"{p.target_port!r} names no container port; declare it under containerPorts or use a number")
            continue
        key = (p.target_port, p.protocol)
        if key in seen:
            continue
        seen.add(key)
        cname = p.name if p.name and IANA_SVC_NAME.match(p.name) and len(p.name) <= 15 else None
        out.append(ContainerPort(p.target_port, p.protocol, cname))
    for c in extra:
        if (c.container_port, c.protocol) not in seen:
            seen.add((c.container_port, c.protocol))
            out.append(c)
    return tuple(out)
