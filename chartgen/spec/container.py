"""Checks of the container settings beyond helm create (env sources, init containers, native sidecars, preStop,
ServiceMonitor) that their schemas cannot make: names, references and the Kubernetes version they need."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.spec.report import Report
from chartgen.spec.service import Service
from chartgen.spec.settings import CATALOG

SECRET_NAME = lazy_pattern(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)$", re.IGNORECASE)
NATIVE_SIDECARS = (1, 29)  # SidecarContainers: beta, on by default
PRESTOP_SLEEP = (1, 30)  # PodLifecycleSleepAction: beta, on by default


def kube_minor(version: str) -> tuple[int, int]:
    m = re.match(r"^v?(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def check_env(env: Mapping[str, Any], path: str, report: Report) -> None:
    """A plain value under a secret-looking name would put a secret into values files: refused."""
    for name, value in env.items():
        if isinstance(value, str) and SECRET_NAME.search(name):
            report(f"{path}.{name}", "a secret value would be written into values files; reference an existing "
                                     "Secret instead: {secretKeyRef: {name: <secret>, key: <key>}}")


def check_containers(raw: Mapping[str, Any], chart: str, volumes: list[str], kube: str, report: Report) -> None:
    check_env(CATALOG.get(raw, "env"), "env", report)
    seen = {chart}
    for key in ("initContainers", "sidecars"):
        items = CATALOG.get(raw, key)
        if key == "sidecars" and items and kube_minor(kube) < NATIVE_SIDECARS:
            report(key, f"native sidecars need Kubernetes >= 1.29 (restartPolicy Always on an init container); "
                        f"kubeVersion is {kube}: raise kubeVersion or use initContainers")
        for i, c in enumerate(items):
            where = f"{key}[{i}]"
            if c.get("name") in seen:
                report(f"{where}.name", f"{c.get('name')!r} is already a container of the pod; choose another name")
            seen.add(c.get("name"))
            check_env(c.get("env") or {}, f"{where}.env", report)
            for j, mount in enumerate(c.get("volumeMounts") or []):
                if mount.get("name") not in volumes:
                    allowed = ", ".join(volumes) or "(no volumes declared)"
                    report(f"{where}.volumeMounts[{j}].name", f"{mount.get('name')!r} names no volume; allowed: "
                                                              f"{allowed}")
    _check_pre_stop(raw, kube, report)
    check_security_context(raw, report)


def _check_pre_stop(raw: Mapping[str, Any], kube: str, report: Report) -> None:
    pre_stop = CATALOG.get(raw, "preStop") or {}
    sleep = (pre_stop.get("sleep") or {}).get("seconds")
    if sleep is None:
        return
    if kube_minor(kube) < PRESTOP_SLEEP:
        report("preStop.sleep", f"the sleep action needs Kubernetes >= 1.30; kubeVersion is {kube}: use "
                                "{exec: {command: [sleep, '5']}} instead")
    grace = CATALOG.get(raw, "terminationGracePeriodSeconds")
    if sleep >= grace:
        report("preStop.sleep.seconds", f"{sleep} leaves no time to stop: allowed: less than "
                                        f"terminationGracePeriodSeconds ({grace})")


def check_service_monitor(raw: Mapping[str, Any], service: Service, report: Report) -> None:
    if not CATALOG.get(raw, "serviceMonitor.enabled"):
        return
    names = [p.name for p in service.ports if p.name]
    port = CATALOG.get(raw, "serviceMonitor.port")
    if port is None and not names:
        report("serviceMonitor.port", "a ServiceMonitor scrapes a named Service port; name one in service.ports")
    elif port is not None and port not in names:
        report("serviceMonitor.port", f"{port!r} names no Service port; allowed: {', '.join(names) or '(none named)'}")


def check_security_context(raw: Mapping[str, Any], report: Report) -> None:
    """What the API server refuses in a container's security context (validation.go
    ValidateSecurityContext / AllowPrivilegeEscalation): allowPrivilegeEscalation false together with privileged
    true or with CAP_SYS_ADMIN added. An extra container's own context is merged over the app's, as the chart
    does, so the clash is found where the chart would render it."""
    main = CATALOG.get(raw, "securityContext") or {}
    _check_escalation(main, "securityContext", report)
    for key in ("initContainers", "sidecars"):
        for i, c in enumerate(CATALOG.get(raw, key)):
            own = c.get("securityContext") or {}
            if own:
                _check_escalation({**main, **own}, f"{key}[{i}].securityContext", report)


def _check_escalation(context: Mapping[str, Any], where: str, report: Report) -> None:
    if context.get("allowPrivilegeEscalation") is not False:
        return
    if context.get("privileged") is True:
        report(f"{where}.privileged", "true needs allowPrivilegeEscalation: true (the API server refuses privileged "
                                      "with allowPrivilegeEscalation false); set both, or drop privileged")
    added = ((context.get("capabilities") or {}).get("add")) or []
    if any(str(cap).upper() in ("SYS_ADMIN", "CAP_SYS_ADMIN") for cap in added):
        report(f"{where}.capabilities.add", "SYS_ADMIN needs allowPrivilegeEscalation: true (the API server refuses "
                                            "it with allowPrivilegeEscalation false); set both, or drop SYS_ADMIN")
