"""The pod settings: probes, autoscaling, disruption budget and StatefulSet storage (typed, with their checks).

Defaults come from the settings catalog (chartgen/spec/settings.py) through the base layer and ``CATALOG.get``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from chartgen.core.record import Record, record
from chartgen.spec.report import Report
from chartgen.spec.service import ContainerPort
from chartgen.spec.settings import CATALOG

PROBE_KINDS = ("readiness", "liveness", "startup")


@record
class Probe(Record):
    """A liveness, readiness or startup probe."""

    enabled: bool
    type: str  # http | tcp | grpc | exec
    path: str | None
    command: tuple[str, ...] | None  # exec only
    port: int | str | None
    initial_delay_seconds: int
    period_seconds: int
    timeout_seconds: int
    failure_threshold: int


@record
class Autoscaling(Record):
    """A HorizontalPodAutoscaler on CPU utilisation."""

    enabled: bool
    min_replicas: int
    max_replicas: int
    target_cpu_percent: int


@record
class DisruptionBudget(Record):
    """A PodDisruptionBudget (minAvailable or maxUnavailable)."""

    enabled: bool
    min_available: int | str | None  # wins over max_unavailable when set
    max_unavailable: int | str | None


@record
class Storage(Record):
    """A persistent volume per pod (a StatefulSet's volumeClaimTemplates)."""

    enabled: bool
    size: str
    storage_class_name: str | None
    mount_path: str
    access_modes: tuple[str, ...]


def parse_probes(raw: Mapping[str, Any], ports: tuple[ContainerPort, ...], report: Report) -> dict[str, Probe]:
    return {kind: _probe(kind, (raw.get("probes") or {}).get(kind) or {}, ports, report) for kind in PROBE_KINDS}


def _probe(kind: str, p: Mapping[str, Any], ports: tuple[ContainerPort, ...], report: Report) -> Probe:
    """One probe: exec when a command is given, http when a path is, else tcp; its port defaults to the first
    container port."""
    ptype = p.get("type") or ("exec" if p.get("command") else "http" if p.get("path") else "tcp")
    if ptype == "http" and not p.get("path"):
        report(f"probes.{kind}.path", "an http probe needs a path (e.g. /healthz)")
    if ptype == "exec":
        return _exec_probe(kind, p, report)
    if p.get("command"):
        report(f"probes.{kind}.command", f"a command is for exec probes only; allowed: type exec (type is {ptype})")
    port = p.get("port")
    if port is None and ports:
        port = ports[0].name or ports[0].container_port
    if isinstance(port, str) and port not in {c.name for c in ports}:
        names = ", ".join(c.name for c in ports if c.name) or "a port number"
        report(f"probes.{kind}.port", f"{port!r} names no container port; allowed: {names}")
    if ptype == "grpc" and isinstance(port, str):  # grpc.port is a number only (ValidateProbe): the name resolved
        port = next((c.container_port for c in ports if c.name == port), port)
    return Probe(
        enabled=bool(p.get("enabled", kind != "startup")) and bool(ports),
        type=ptype, path=p.get("path"), command=None, port=port, **_timing(p))


def _timing(p: Mapping[str, Any]) -> dict[str, int]:
    """Kubernetes' own defaults for the fields a profile leaves out."""
    return {"initial_delay_seconds": int(p.get("initialDelaySeconds", 0)),
            "period_seconds": int(p.get("periodSeconds", 10)), "timeout_seconds": int(p.get("timeoutSeconds", 1)),
            "failure_threshold": int(p.get("failureThreshold", 3))}


def _exec_probe(kind: str, p: Mapping[str, Any], report: Report) -> Probe:
    """An exec probe: a command run in the container; it needs no port (ValidateProbe: exactly one handler)."""
    if not p.get("command"):
        report(f"probes.{kind}.command", "an exec probe needs a command, e.g. [pg_isready, -q]")
    for key in ("path", "port"):
        if p.get(key) is not None:
            report(f"probes.{kind}.{key}", f"an exec probe takes no {key}; allowed: command")
    return Probe(enabled=bool(p.get("enabled", kind != "startup")), type="exec", path=None,
                 command=tuple(p.get("command") or ()), port=None, **_timing(p))


def parse_autoscaling(raw: Mapping[str, Any], report: Report) -> Autoscaling:
    a = Autoscaling(bool(CATALOG.get(raw, "autoscaling.enabled")), int(CATALOG.get(raw, "autoscaling.minReplicas")),
                    int(CATALOG.get(raw, "autoscaling.maxReplicas")),
                    int(CATALOG.get(raw, "autoscaling.targetCPUUtilizationPercentage")))
    if a.enabled and a.min_replicas > a.max_replicas:
        report("autoscaling.minReplicas", "must not exceed autoscaling.maxReplicas")
    return a


def parse_disruption_budget(raw: Mapping[str, Any]) -> DisruptionBudget:
    pdb = raw.get("podDisruptionBudget") or {}
    max_unavailable = pdb.get("maxUnavailable", None if "minAvailable" in pdb else
                              CATALOG["podDisruptionBudget.maxUnavailable"].default)
    return DisruptionBudget(bool(CATALOG.get(raw, "podDisruptionBudget.enabled")), pdb.get("minAvailable"),
                            max_unavailable)


def parse_storage(raw: Mapping[str, Any]) -> Storage:
    def get(key: str) -> Any:
        return CATALOG.get(raw, f"statefulSet.storage.{key}")

    return Storage(enabled=bool(get("enabled")), size=str(get("size")), storage_class_name=get("storageClassName"),
                   mount_path=get("mountPath"),
                   access_modes=tuple(get("accessModes") or CATALOG["statefulSet.storage.accessModes"].default))


def check_volumes(raw: Mapping[str, Any], reserved: tuple[str, ...], report: Report) -> list[str]:
    """Volume names are unique and not chartgen's own (tmp, data); every mount names a volume. Returns the names
    a mount may use."""
    names: list[str] = []
    for i, volume in enumerate(CATALOG.get(raw, "volumes")):
        name = volume.get("name")
        if name in reserved or name in names:
            why = "is chartgen's own volume" if name in reserved else "is used twice"
            report(f"volumes[{i}].name", f"{name!r} {why}; choose another name")
        names.append(name)
    for i, mount in enumerate(CATALOG.get(raw, "volumeMounts")):
        if mount.get("name") not in names:
            allowed = ", ".join(names) or "(no volumes declared)"
            report(f"volumeMounts[{i}].name", f"{mount.get('name')!r} names no volume; allowed: {allowed}")
    return [*reserved, *names]


def check_topology_spread(raw: Mapping[str, Any], report: Report) -> None:
    """The API server refuses two constraints with the same topologyKey and whenUnsatisfiable. topologySpread's own
    constraints (hostname and zone, ScheduleAnyway) never clash: the template leaves out the one an explicit
    constraint with the same pair replaces."""
    seen: dict[tuple[Any, Any], str] = {}
    for i, c in enumerate(CATALOG.get(raw, "topologySpreadConstraints")):
        key = (c.get("topologyKey"), c.get("whenUnsatisfiable"))
        if key in seen:
            report(f"topologySpreadConstraints[{i}]", f"duplicates {seen[key]} ({key[0]}, {key[1]}); the API server "
                                                      "refuses the pod template: change whenUnsatisfiable or drop it")
        seen[key] = f"topologySpreadConstraints[{i}]"



def check_dns(raw: Mapping[str, Any], report: Report) -> None:
    """What the API server refuses in a pod's DNS settings (validation.go validatePodDNSConfig and
    ValidatePodSpec's hostAliases): dnsPolicy None without a nameserver, nameservers and hostAliases ips that are
    no IP address."""
    def bad_ip(text: Any) -> bool:
        try:
            ipaddress.ip_address(str(text))
        except ValueError:
            return True
        return False

    config = CATALOG.get(raw, "dnsConfig") or {}
    if CATALOG.get(raw, "dnsPolicy") == "None" and not config.get("nameservers"):
        report("dnsConfig.nameservers", "dnsPolicy None needs at least one nameserver (an IP address); the API "
                                        "server refuses the pod template")
    for i, server in enumerate(config.get("nameservers") or []):
        if bad_ip(server):
            report(f"dnsConfig.nameservers[{i}]", f"{server!r} is not an IP address")
    for i, alias in enumerate(CATALOG.get(raw, "hostAliases")):
        if bad_ip(alias.get("ip")):
            report(f"hostAliases[{i}].ip", f"{alias.get('ip')!r} is not an IP address")
