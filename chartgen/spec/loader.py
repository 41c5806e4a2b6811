"""chartgen.yaml: typed spec dataclasses, and loading that validates everything before anything is written.

Layers of a spec, lowest first (later wins, Helm merge rules):
  the settings' defaults (chartgen/spec/settings.py) -> the blueprint's defaults -> the top-level settings = values.yaml
  ... -> blueprints/profiles/<profile>.yaml -> environments.<env> settings                     = values-<env>.yaml
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any

from chartgen.core import k8snames
from chartgen.core.errors import SpecError
from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.core.merge import merge
from chartgen.core.record import Record, record
from chartgen.spec import versions_key
from chartgen.spec.blueprints import Blueprint, BlueprintLibrary
from chartgen.spec.container import check_containers, check_service_monitor
from chartgen.spec.istio import IstioContext, IstioSettings, parse_istio
from chartgen.spec.name_limits import name_problem, version_problems
from chartgen.spec.platform import check_platform
from chartgen.spec.report import Collector, LayerReport
from chartgen.spec.schema import build as build_schema
from chartgen.spec.schema_quick import conforms
from chartgen.spec.service import ContainerPort, LoadBalancer, Service, ServicePort, container_ports, parse_service
from chartgen.spec.settings import CATALOG
from chartgen.spec.shape import check_sections
from chartgen.spec.traffic import check_traffic
from chartgen.spec.workload import (
    Autoscaling,
    DisruptionBudget,
    Probe,
    Storage,
    check_dns,
    check_topology_spread,
    check_volumes,
    parse_autoscaling,
    parse_disruption_budget,
    parse_probes,
    parse_storage,
)
from chartgen.spec.yamlsource import YamlSource, join, parse_yaml, read_text

__all__ = ["Autoscaling", "ContainerPort", "DisruptionBudget", "Environment", "Image", "LoadBalancer", "Probe",
           "Service", "ServicePort", "Settings", "Spec", "Storage", "load_spec", "parse_spec", "parse_spec_text"]

SPEC_FILE = "chartgen.yaml"
SPEC_API_VERSION = "chartgen/v1"

DNS1035 = k8snames.DNS1035_LABEL
SEMVER = lazy_pattern(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
DIGEST = lazy_pattern(r"^sha256:[a-f0-9]{64}$")
TAG = lazy_pattern(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
META_KEYS = (*(s.key for s in CATALOG if s.where == "top" and "." not in s.key), "image", "environments")
ENV_ONLY_KEYS = ("profile", "namespace", "image")
DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")


# ---------------------------------------------------------------------------------------------- dataclasses


@record
class Settings(Record):
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

    def value(self, key: str) -> Any:
        """Any declared setting of this layer by its chartgen.yaml key (its default when unset), e.g. for a
        template: ``s.value("autoscaling.minReplicas")``."""
        return CATALOG.get(self.raw, key)


@record
class Environment(Record):
    """One environment of the chart: its values-<env>.yaml, profile, namespace and effective settings."""

    name: str
    profile: str | None
    namespace: str
    settings: Settings


@record
class Image(Record):
    """The image repository of the chart's workload (tags and digests are per environment)."""

    repository: str
    allow_latest: bool


@record
class Spec(Record):
    """A validated chartgen.yaml: the chart's metadata, its blueprint, and its defaults and environments."""

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
    notes: tuple[str, ...] = field(compare=False, default=())  # said on stderr (e.g. a deprecated key)

    @property
    def chart_yaml_tail(self) -> str:
        """Chart.yaml after kubeVersion: metadata, dependencies and annotations from chartgen.yaml."""
        from chartgen.spec.chart_meta import chart_yaml_tail

        return chart_yaml_tail(self.raw, self.blueprint.name)

    @property
    def istio_enabled(self) -> bool:
        """Istio is on in the defaults or in any environment (the istio blueprint parts are then used)."""
        return self.defaults.istio.enabled or any(e.settings.istio.enabled for e in self.environments)

    @property
    def uses_versions(self) -> bool:
        """istio.versions are declared in the defaults or any environment: one Deployment per version, split by
        Istio or, without it, by an HTTPRoute (the istio/common and istio/canary parts are then used)."""
        return bool(self.defaults.istio.versions) or any(e.settings.istio.versions for e in self.environments)

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        raise KeyError(name)


# ---------------------------------------------------------------------------------------------- loading


def spec_schema(library: BlueprintLibrary | None = None) -> dict[str, Any]:
    """The JSON Schema of chartgen.yaml for this library (its blueprints are the `blueprint` enum)."""
    return _schema(tuple((library or BlueprintLibrary.default()).blueprint_names()))


@lru_cache(maxsize=8)
def _schema(blueprints: tuple[str, ...]) -> dict[str, Any]:
    return build_schema(list(blueprints))


# A spec loaded with keep=True, with the text it was parsed from, for the next load_spec of that file: `chartgen verify`
# reads each chart's spec for its environments (chartgen.verify.target), then its drift check reads it again. The
# next load takes it (once) only when the file still holds that text; a spec is a function of its text, its file name
# and the blueprint library.
_kept: dict[tuple[str, BlueprintLibrary], tuple[str, Spec]] = {}


def load_spec(path: Path | str, library: BlueprintLibrary | None = None, *, keep: bool = False) -> Spec:
    """Load and fully validate a chartgen.yaml (a file, or a chart folder holding one). keep: the next load of this
    file returns the same Spec, unless the file changed in between (the caller must not change the Spec)."""
    path = Path(path)
    if path.is_dir():
        path = path / SPEC_FILE
    library = library or BlueprintLibrary.default()
    name = str(path)
    text = read_text(path, name)
    kept = _kept.pop((name, library), None)
    spec = kept[1] if kept is not None and kept[0] == text else parse_spec(parse_yaml(text, name), library)
    if keep:
        _kept[(name, library)] = (text, spec)
    return spec


def parse_spec_text(text: str, name: str, library: BlueprintLibrary | None = None) -> Spec:
    return parse_spec(parse_yaml(text, name), library)


def parse_spec(src: YamlSource, library: BlueprintLibrary | None = None) -> Spec:
    library = library or BlueprintLibrary.default()
    col = Collector(src)
    data = src.data
    if not isinstance(data, dict):
        raise SpecError(src.file, None, "must be a mapping with at least name, blueprint and image")
    check_sections(src)
    _schema_errors(data, col, library)
    col.raise_if_any()

    blueprint = library.service_blueprint(data["blueprint"])
    image = data.get("image") or {}
    _check_top(data, blueprint, col)
    alias, mixed = versions_key.spelling(data)
    for path, message in mixed:
        col.add(path, message)
    col.spell = functools.partial(versions_key.spelled, alias=alias)
    istio = IstioContext(blueprint, tuple(library.supporting("istio")))
    top = _top_settings(versions_key.canonical(data))
    default_raw = merge(merge(CATALOG.base_layer(), blueprint.defaults), top)
    meta = ChartMeta(str(data["name"]), str(CATALOG.get(data, "kubeVersion")))
    defaults = _settings(default_raw, LayerReport(col, "", top), blueprint, istio, meta)
    environments = [env for name, env_data in _environments(data).items()
                    if (env := _environment(name, env_data, default_raw, library, col, istio, image, meta))
                    is not None]
    _check_version_names(str(data["name"]), defaults, environments, col)
    _check_parts(data, blueprint, library, col)  # after the settings: their own message on a path goes first
    col.raise_if_any()

    chart_version = str(CATALOG.get(data, "chartVersion"))
    return Spec(
        file=src.file,
        name=data["name"],
        description=str(data.get("description") or f"A Helm chart for {data['name']}"),
        chart_version=chart_version,
        app_version=str(data.get("appVersion") or image.get("tag") or chart_version),
        blueprint=blueprint,
        kube_version=str(CATALOG.get(data, "kubeVersion")),
        image=Image(image.get("repository", ""), bool(image.get("allowLatest"))),
        defaults=defaults,
        environments=tuple(environments),
        raw=data,
        notes=(versions_key.NOTE,) if alias else (),
    )


def _check_top(data: Mapping[str, Any], blueprint: Blueprint, col: Collector) -> None:
    image = data.get("image") or {}
    if (problem := name_problem(str(data["name"]))) is not None:
        col.add("name", problem)
    if blueprint.has_workload:
        if "image" not in data:
            col.add("image", f"required field 'image' is missing (blueprint {blueprint.name!r} deploys pods)")
        _check_image(image, "image", col, allow_latest=bool(image.get("allowLatest")), need_ref=True)
    chart_version = str(CATALOG.get(data, "chartVersion"))
    if not SEMVER.match(chart_version):
        col.add("chartVersion", f"{chart_version!r} is not a SemVer 2 version (e.g. 0.1.0)")


def _check_parts(data: Mapping[str, Any], blueprint: Blueprint, library: BlueprintLibrary, col: Collector) -> None:
    """A setting whose part the blueprint does not use would be ignored silently: refused instead, at the widest
    key that holds nothing the blueprint uses (`statefulSet` on clusterip, `service.loadBalancer` on nodeport)."""
    layers = [("", data), *((join("environments", n), e) for n, e in (data.get("environments") or {}).items()
                            if isinstance(e, Mapping))]
    for key in _unused_keys(blueprint.name, library):
        for prefix, layer in layers:
            if _lookup(layer, key) is not None:  # the other blueprints' keys only for the message (start-up)
                allowed = [n for n in library.blueprint_names() if key not in _unused_keys(n, library)]
                col.add(join(prefix, key), f"not available with blueprint {blueprint.name!r} (it renders no part "
                                           f"that reads it); allowed with: {', '.join(allowed) or 'no blueprint'}")


@lru_cache(maxsize=64)
def _unused_keys(blueprint: str, library: BlueprintLibrary) -> tuple[str, ...]:
    """The widest setting keys of which the blueprint's parts read nothing."""
    parts = {p.id for p in library.parts_for(library.service_blueprint(blueprint))}
    placed = {v.of for v in CATALOG.values.values() if v.of and v.part in parts}  # e.g. headless' annotations
    used = {s.key for s in CATALOG if s.part is None or s.part in parts or s.key in placed}
    # every key of `used` and each of its dotted prefixes: p is in it iff a used key is p or starts with "p."
    held = {".".join(words[:i]) for k in used for words in (k.split("."),) for i in range(1, len(words) + 1)}
    out: list[str] = []
    for s in CATALOG:
        if s.key in used:
            continue
        words = s.key.split(".")
        widest = next(p for p in (".".join(words[:i]) for i in range(1, len(words) + 1)) if p not in held)
        if widest not in out:
            out.append(widest)
    return tuple(out)


def _lookup(layer: Mapping[str, Any], key: str) -> Any:
    value: Any = layer
    for word in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(word)
    return value


def _check_version_names(name: str, defaults: Settings, environments: list[Environment], col: Collector) -> None:
    """Each version's Deployment (<name>-<version>) must keep a DNS label; reported once per version."""
    seen: set[str] = set()
    for prefix, settings in (("", defaults), *((join("environments", e.name), e.settings) for e in environments)):
        for version, message in version_problems(name, (v.name for v in settings.istio.versions)):
            if version not in seen:
                seen.add(version)
                col.add(join(join(prefix, "istio.versions"), version), message)


def _top_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings layer the top level of chartgen.yaml writes (its image tag/digest/pullPolicy included)."""
    top = {k: v for k, v in data.items() if k not in META_KEYS}
    top_image = {k: v for k, v in (data.get("image") or {}).items() if k in ("tag", "digest", "pullPolicy")}
    if top_image:
        top["image"] = top_image
    return top


def _environments(data: Mapping[str, Any]) -> dict[str, Any]:
    envs = data.get("environments")
    return {name: {} for name in DEFAULT_ENVIRONMENTS} if envs is None else dict(envs)


def _environment(name: str, env_data: Mapping[str, Any] | None, default_raw: dict[str, Any],
                 library: BlueprintLibrary, col: Collector, istio: IstioContext,
                 image: Mapping[str, Any], meta: ChartMeta) -> Environment | None:
    """One environment: the defaults, then its profile, then what it overrides (None when its profile is unknown)."""
    env_data = versions_key.canonical(env_data or {})
    prefix = join("environments", name)
    profile = env_data.get("profile", name if name in library.profile_names() else None)
    if profile is not None and profile not in library.profile_names():
        col.add(join(prefix, "profile"), f"unknown profile {profile!r}; allowed: {', '.join(library.profile_names())}")
        return None
    if "image" in env_data:
        _check_image(env_data["image"], join(prefix, "image"), col, allow_latest=bool(image.get("allowLatest")),
                     need_ref=False)
    override = {k: v for k, v in env_data.items() if k not in ("profile", "namespace")}
    layered = merge(default_raw, library.profile(profile)) if profile else default_raw
    settings = _settings(_atomic_env(merge(layered, override), override), LayerReport(col, prefix, override, profile),
                         istio.blueprint, istio, meta)
    return Environment(name, profile, str(env_data.get("namespace", CATALOG["namespace"].default)), settings)


def _schema_errors(data: dict[str, Any], col: Collector, library: BlueprintLibrary) -> None:
    if not conforms(spec_schema(library), data):  # valid specs skip jsonschema's import (start-up, issue 16)
        _jsonschema_errors(data, col, library)
    _unknown_keys(data, "", set(CATALOG.keys("top")) | set(META_KEYS), col)
    for env_name, env in (data.get("environments") or {}).items():
        if isinstance(env, dict):
            _unknown_keys(env, join("environments", env_name), set(CATALOG.keys("env")) | set(ENV_ONLY_KEYS), col)


def _jsonschema_errors(data: dict[str, Any], col: Collector, library: BlueprintLibrary) -> None:
    import jsonschema  # lazy: keeps `chartgen --help` fast

    validator = jsonschema.Draft7Validator(spec_schema(library))
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        if err.validator == "additionalProperties" and _spec_level(err.absolute_path):
            continue  # _unknown_keys names each unknown key by its own path
        path = ""
        for part in err.absolute_path:
            path = join(path, part)
        col.add(path or "(top level)", _explain(err))


def _spec_level(path: Sequence[Any]) -> bool:
    """The top level or an environment: the objects whose keys _unknown_keys checks."""
    return len(path) == 0 or (len(path) == 2 and path[0] == "environments")


def _unknown_keys(data: Mapping[str, Any], prefix: str, allowed: set[str], col: Collector) -> None:
    for key in data:
        if key not in allowed:
            col.add(join(prefix, key) if prefix else str(key), f"unknown field; allowed: {', '.join(sorted(allowed))}")


def _explain(err: Any) -> str:
    v, inst = err.validator, err.instance
    if v in ("enum", "const"):
        allowed = ", ".join(map(str, err.validator_value)) if v == "enum" else err.validator_value
        return f"{inst!r} is not allowed; allowed: {allowed}"
    if v == "pattern":
        if err.validator_value == k8snames.DNS1035_LABEL.pattern:
            return f"{inst!r} is not a DNS-1035 label: lowercase letters, digits and '-', starting with a letter"
        return f"{inst!r} does not match {err.validator_value}"
    if v in ("minimum", "maximum"):
        return f"{inst!r} is out of range; allowed: {_range(err.schema)}"
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
    if v == "minLength":
        return f"{inst!r} is shorter than {err.validator_value} characters"
    if v in ("minProperties", "maxProperties"):
        fields = sorted(err.schema.get("properties", {}))
        lo, hi = err.schema.get("minProperties"), err.schema.get("maxProperties")
        count = f"exactly {lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo or 0}-{hi}"
        return f"has {len(inst)} field(s); allowed: {count} of {', '.join(fields)}" if fields else \
            f"has {len(inst)} field(s); allowed: {count}"
    if v == "oneOf":
        return f"{_short(inst)} is not allowed; allowed: one of {' | '.join(_branch(b) for b in err.validator_value)}"
    if v in ("minItems", "maxItems"):
        return f"has {len(inst)} item(s); allowed: {'at least' if v == 'minItems' else 'at most'} {err.validator_value}"
    return str(err.message)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _branch(schema: Mapping[str, Any]) -> str:
    """A oneOf branch in words: its type, or the one field it takes."""
    props = sorted(schema.get("properties", {}))
    if props and schema.get("maxProperties") == 1:
        return "an object with one of " + ", ".join(props)
    if "pattern" in schema:
        return f"a {schema.get('type', 'value')} matching {schema['pattern']}"
    if "minimum" in schema or "maximum" in schema:
        return f"an {schema.get('type', 'number')} {_range(schema)}"
    return f"a {schema.get('type', 'value')}"


def _range(schema: Mapping[str, Any]) -> str:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None and hi is not None:
        return f"{lo}-{hi}"
    return f">= {lo}" if lo is not None else f"<= {hi}"


def _check_image(image: Mapping[str, Any], path: str, col: Collector, *, allow_latest: bool, need_ref: bool) -> None:
    tag, digest = image.get("tag"), image.get("digest")
    if need_ref and not tag and not digest:
        col.add(join(path, "tag"), "an image tag (or digest) is required; a missing tag means 'latest'")
    if tag is not None and not TAG.match(str(tag)):
        col.add(join(path, "tag"), f"{tag!r} is not a valid image tag")
    if tag == "latest" and not allow_latest:
        col.add(join(path, "tag"), "'latest' is mutable and not allowed; pin a version or set image.allowLatest: true")
    if digest is not None and not DIGEST.match(str(digest)):
        col.add(join(path, "digest"), f"{digest!r} is not allowed; expected sha256:<64 hex digits>")


@record
class ChartMeta(Record):
    """What the per-layer checks need from the top level: the chart name and the Kubernetes version."""

    name: str
    kube_version: str


def _settings(raw: dict[str, Any], report: LayerReport, bp: Blueprint, istio_ctx: IstioContext,
              meta: ChartMeta) -> Settings:
    """Typed Settings of one merged layer; errors go to `report` (see spec_report.LayerReport)."""
    service = parse_service(raw, bp, report)
    ports = container_ports(raw, service, bp, report)
    image = raw.get("image") or {}
    autoscaling = parse_autoscaling(raw, report)
    check_traffic(raw, service, report)
    check_service_monitor(raw, service, report)
    volumes = check_volumes(raw, _reserved_volumes(raw, bp), report)
    check_topology_spread(raw, report)
    check_dns(raw, report)
    check_containers(raw, meta.name, volumes, meta.kube_version, report)
    check_platform(raw, meta.kube_version, report)
    return Settings(
        replicas=int(CATALOG.get(raw, "replicas")),
        image_tag=image.get("tag"),
        image_digest=image.get("digest"),
        pull_policy=CATALOG.get(raw, "image.pullPolicy"),
        service=service,
        container_ports=ports,
        resources=CATALOG.get(raw, "resources"),
        probes=parse_probes(raw, ports, report),
        autoscaling=autoscaling,
        pod_disruption_budget=parse_disruption_budget(raw),
        network_policy=bool(CATALOG.get(raw, "networkPolicy.enabled")),
        topology_spread=bool(CATALOG.get(raw, "topologySpread")),
        log_level=str(CATALOG.get(raw, "logLevel")),
        env=dict(CATALOG.get(raw, "env")),
        writable_tmp=bool(CATALOG.get(raw, "writableTmp")),
        pod_management_policy=CATALOG.get(raw, "statefulSet.podManagementPolicy"),
        storage=parse_storage(raw),
        istio=_sized(_istio(raw, service, report, istio_ctx), autoscaling, report),
        raw=raw,
    )


ONE_OF_KEYS = ("preStop", "postStart")  # one of several keys each: an override replaces them whole


def _atomic_env(merged: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """An environment variable (and a preStop handler) an environment sets replaces the lower layers' whole: a
    value source (secretKeyRef, fieldRef...) is never merged with another one (the values diff then nulls the old
    source)."""
    for key in ONE_OF_KEYS:
        if isinstance(override.get(key), Mapping):
            merged[key] = copy.deepcopy(dict(override[key]))
    env = override.get("env")
    if isinstance(env, Mapping) and isinstance(merged.get("env"), dict):
        for name, value in env.items():
            if isinstance(value, Mapping):
                merged["env"][name] = copy.deepcopy(dict(value))
    return merged


def _sized(istio: IstioSettings, hpa: Autoscaling, report: LayerReport) -> IstioSettings:
    """A version sized explicitly keeps its size: its replicas alone mean no HPA ({enabled: false}); its own
    autoscaling is merged over the chart's at render time. Other versions follow the chart's replicas and HPA."""
    chart = {"enabled": hpa.enabled, "minReplicas": hpa.min_replicas, "maxReplicas": hpa.max_replicas,
             "targetCPUUtilizationPercentage": hpa.target_cpu_percent}
    sized = []
    for v in istio.versions:
        own = dict(v.autoscaling) if v.autoscaling is not None else {"enabled": False} if v.replicas is not None \
            else None
        effective = chart | (own or {})
        if effective["minReplicas"] > effective["maxReplicas"]:
            report(f"istio.versions.{v.name}.autoscaling.minReplicas",
                   f"{effective['minReplicas']} exceeds maxReplicas ({effective['maxReplicas']})")
        sized.append(dataclasses.replace(v, autoscaling=own))
    return dataclasses.replace(istio, versions=tuple(sized)) if sized else istio


def _reserved_volumes(raw: Mapping[str, Any], bp: Blueprint) -> tuple[str, ...]:
    data = bp.workload_kind == "StatefulSet" or bool(CATALOG.get(raw, "persistence.enabled"))
    own = (("tmp", CATALOG.get(raw, "writableTmp")), ("data", data))
    return tuple(name for name, used in own if used)


def _istio(raw: Mapping[str, Any], service: Service, report: LayerReport, ctx: IstioContext) -> IstioSettings:
    """Istio settings; an Istio error of the defaults layer is reported once, not again per environment."""
    istio, errors = parse_istio(raw.get("istio"), service, ctx)
    for path, message in errors:
        if not report.prefix:
            report.col.top_level.add((path, message))
            report(path, message)
        elif (path, message) not in report.col.top_level:  # caused by this environment (or its profile)
            report(path, message, always=True)
    return istio
