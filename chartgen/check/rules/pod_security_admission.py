"""Pod Security Admission with its inputs in the render: a rendered Namespace's pod-security.kubernetes.io labels
(CG-PSA-002) and the pod templates placed in it against the Pod Security Standards level it enforces
(CG-PSA-001), after k8s.io/pod-security-admission/policy (check_*.go, latest version).

Certainty: the API server rejects a Namespace with an invalid level or version label, and a pod that violates the
enforced level (a Deployment is accepted, but its ReplicaSet can never create a pod): errors. Only pods whose
namespace is known to be the rendered Namespace are judged; an admission configuration may exempt a namespace,
runtime class or user, which the render cannot show (say so with chartgen.io/ignore).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import Container, as_dict, as_list, containers, pod_spec_field, strict_int
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import finding, rule

E = Severity.ERROR
PREFIX = "pod-security.kubernetes.io/"
LEVELS = ("privileged", "baseline", "restricted")
MODES = ("enforce", "audit", "warn")
VERSION = re.compile(r"^(latest|v1\.(0|[1-9][0-9]*))$")
OLDEST_JUDGED_MINOR = 25  # policy versions before v1.25 differ (runAsUser, Windows pods); not judged
BASELINE_CAPS = frozenset({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                           "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
})
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
RESTRICTED_VOLUMES = frozenset({"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                                "projected", "secret", "image"})


def _enforced_levels(index: ManifestIndex) -> dict[str, str]:
    out = {}
    for ns in index.kind("Namespace", ("",)):
        labels = as_dict(as_dict(ns.obj.get("metadata")).get("labels"))
        level, version = labels.get(PREFIX + "enforce"), str(labels.get(PREFIX + "enforce-version", "latest"))
        pinned = VERSION.match(version)
        if pinned and version != "latest" and int(version.split(".")[1]) < OLDEST_JUDGED_MINOR:
            continue  # the policy of that version lacked checks we make
        if level in ("baseline", "restricted") and ns.name:
            out[ns.name] = str(level)
    return out


def _all(pt: PodTemplate) -> list[Container]:
    return list(containers(pt, ("initContainers", "containers", "ephemeralContainers")))


def _sc(c: Container) -> dict[str, Any]:
    return as_dict(c.obj.get("securityContext"))


def _baseline(pt: PodTemplate, base: str) -> Iterator[tuple[str, str]]:
    spec = as_dict(pt.spec)
    pod_sc = as_dict(spec.get("securityContext"))
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            yield f"{base}.{key}", f"host namespaces ({key}=true)"
    for i, v in enumerate(as_list(spec.get("volumes"))):
        if as_dict(v).get("hostPath") is not None:
            yield f"{base}.volumes[{i}].hostPath", "hostPath volumes"
    if as_dict(pod_sc.get("seccompProfile")).get("type") == "Unconfined":
        yield f"{base}.securityContext.seccompProfile.type", "seccompProfile (Unconfined)"
    if as_dict(pod_sc.get("appArmorProfile")).get("type") == "Unconfined":
        yield f"{base}.securityContext.appArmorProfile.type", "appArmorProfile (Unconfined)"
    yield from _selinux(f"{base}.securityContext", pod_sc)
    for i, s in enumerate(as_list(pod_sc.get("sysctls"))):
        name = as_dict(s).get("name")
        if name not in SAFE_SYSCTLS:
            yield f"{base}.securityContext.sysctls[{i}].name", f"forbidden sysctl {name!r}"
    if as_dict(pod_sc.get("windowsOptions")).get("hostProcess") is True:
        yield f"{base}.securityContext.windowsOptions.hostProcess", "hostProcess"
    for c in _all(pt):
        sc = _sc(c)
        if sc.get("privileged") is True:
            yield f"{c.path}.securityContext.privileged", f"privileged ({c.what})"
        added = [str(a) for a in as_list(as_dict(sc.get("capabilities")).get("add")) if str(a) not in BASELINE_CAPS]
        if added:
            yield f"{c.path}.securityContext.capabilities.add", f"non-default capabilities {added} ({c.what})"
        for j, p in enumerate(as_list(c.obj.get("ports"))):
            if strict_int(as_dict(p).get("hostPort")):
                yield f"{c.path}.ports[{j}].hostPort", f"hostPort ({c.what})"
        if sc.get("procMount") not in (None, "Default"):
            yield f"{c.path}.securityContext.procMount", f"procMount {sc.get('procMount')!r} ({c.what})"
        for key in ("seccompProfile", "appArmorProfile"):
            if as_dict(sc.get(key)).get("type") == "Unconfined":
                yield f"{c.path}.securityContext.{key}.type", f"{key} (Unconfined, {c.what})"
        yield from _selinux(f"{c.path}.securityContext", sc)
        if as_dict(sc.get("windowsOptions")).get("hostProcess") is True:
            yield f"{c.path}.securityContext.windowsOptions.hostProcess", f"hostProcess ({c.what})"


def _selinux(fld: str, sc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    opts = as_dict(sc.get("seLinuxOptions"))
    if opts.get("type", "") not in SELINUX_TYPES:
        yield f"{fld}.seLinuxOptions.type", f"seLinuxOptions type {opts.get('type')!r}"
    for key in ("user", "role"):
        if opts.get(key):
            yield f"{fld}.seLinuxOptions.{key}", f"seLinuxOptions {key} {opts.get(key)!r}"


def _restricted(pt: PodTemplate, base: str) -> Iterator[tuple[str, str]]:
    spec = as_dict(pt.spec)
    pod_sc = as_dict(spec.get("securityContext"))
    for i, v in enumerate(as_list(spec.get("volumes"))):
        kinds = [k for k in as_dict(v) if k != "name" and k not in RESTRICTED_VOLUMES]
        if kinds and kinds != ["hostPath"]:  # hostPath is a baseline violation already
            yield f"{base}.volumes[{i}]", f"restricted volume types {kinds}"
    if strict_int(pod_sc.get("runAsUser")) == 0:
        yield f"{base}.securityContext.runAsUser", "runAsUser=0"
    windows = as_dict(spec.get("os")).get("name") == "windows"
    pod_seccomp = as_dict(pod_sc.get("seccompProfile")).get("type")
    for c in _all(pt):
        sc = _sc(c)
        fld = f"{c.path}.securityContext"
        if strict_int(sc.get("runAsUser")) == 0:
            yield f"{fld}.runAsUser", f"runAsUser=0 ({c.what})"
        if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
            yield f"{fld}.runAsNonRoot", f"runAsNonRoot != true ({c.what})"
        if windows:
            continue
        if sc.get("allowPrivilegeEscalation") is not False:
            yield f"{fld}.allowPrivilegeEscalation", f"allowPrivilegeEscalation != false ({c.what})"
        if as_dict(sc.get("seccompProfile")).get("type", pod_seccomp) not in ("RuntimeDefault", "Localhost"):
            yield f"{fld}.seccompProfile", f"seccompProfile.type not RuntimeDefault or Localhost ({c.what})"
        caps = as_dict(sc.get("capabilities"))
        if "ALL" not in [str(d) for d in as_list(caps.get("drop"))]:
            yield f"{fld}.capabilities.drop", f"capabilities.drop does not include \"ALL\" ({c.what})"
        added = [str(a) for a in as_list(caps.get("add")) if str(a) != "NET_BIND_SERVICE"]
        if added:
            yield f"{fld}.capabilities.add", f"capabilities.add {added} (only NET_BIND_SERVICE, {c.what})"


@rule("CG-PSA-001", E, "Pod violates the Pod Security level its rendered Namespace enforces", "cross",
      why="Pod Security Admission (k8s.io/pod-security-admission/policy) rejects every pod that violates the level "
          "in its Namespace's pod-security.kubernetes.io/enforce label: baseline forbids host namespaces, "
          "privileged containers, hostPath, hostPorts, added capabilities, unsafe sysctls, Unconfined seccomp or "
          "AppArmor; restricted also requires runAsNonRoot, allowPrivilegeEscalation false, a RuntimeDefault or "
          "Localhost seccomp profile, capabilities.drop [ALL] and only restricted volume types. A workload is "
          "accepted but its controller can never create a pod.",
      fix="make the pod template meet the level (securityContext: runAsNonRoot, allowPrivilegeEscalation: false, "
          "seccompProfile RuntimeDefault, capabilities.drop [ALL]) or lower the Namespace's enforce label",
      example="""\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: baseline}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  hostNetwork: true
  containers: [{name: web, image: nginx:1.27}]
""")
def pod_security_levels(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    levels = _enforced_levels(index)
    if not levels:
        return
    for pt in index.pod_templates:
        ns = index.namespace_of(pt.owner)
        level = levels.get(ns) if ns else None
        if level is None:
            continue
        base = pod_spec_field(pt)
        problems = list(_baseline(pt, base))
        if level == "restricted":
            problems += list(_restricted(pt, base))
        if problems:
            what = "; ".join(p[1] for p in problems[:4]) + ("; ..." if len(problems) > 4 else "")
            yield finding("CG-PSA-001", pt.owner, f"violates PodSecurity \"{level}:latest\" enforced by Namespace "
                          f"{ns}: {what}; its pods are forbidden", field=problems[0][0])


@rule("CG-PSA-002", E, "Namespace pod-security.kubernetes.io label has an invalid level or version", "api",
      why="Pod Security Admission validates a Namespace's pod-security.kubernetes.io/<enforce|audit|warn> labels "
          "(privileged, baseline or restricted) and their -version labels (latest or v1.<minor>) and rejects the "
          "Namespace otherwise.",
      fix="use privileged, baseline or restricted, and latest or v1.<minor> for the -version labels",
      example="""\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {pod-security.kubernetes.io/enforce: strict}
""")
def namespace_labels(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ns in index.kind("Namespace", ("",)):
        labels = as_dict(as_dict(ns.obj.get("metadata")).get("labels"))
        for mode in MODES:
            level = labels.get(PREFIX + mode)
            if level is not None and level not in LEVELS:
                yield finding("CG-PSA-002", ns, f"metadata.labels[{PREFIX}{mode}]: Invalid value: {level!r}: must be "
                              "one of privileged, baseline, restricted", field="metadata.labels")
            version = labels.get(PREFIX + mode + "-version")
            if version is not None and not VERSION.match(str(version)):
                yield finding("CG-PSA-002", ns, f"metadata.labels[{PREFIX}{mode}-version]: Invalid value: "
                              f"{version!r}: must be latest or v1.<minor>", field="metadata.labels")
