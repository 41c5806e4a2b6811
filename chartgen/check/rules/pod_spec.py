"""Layer "api", pod templates: what kube-apiserver's ValidatePodSpec / ValidatePodTemplateSpec rejects
(kubernetes pkg/apis/core/validation/validation.go) and the OpenAPI schema cannot express: references inside the
pod (volumeMounts to volumes), names and their uniqueness, env sources, ports, probes, resources, enums, and
the image reference the kubelet must parse.

Every pod template is checked: bare Pods and the templates of Deployments, StatefulSets, DaemonSets, ReplicaSets,
Jobs, CronJobs (and Argo Rollouts, which reuse the pod template). Messages follow the API server's
`field: reason` wording so they can be searched for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    Container,
    as_dict,
    as_list,
    containers,
    is_ip,
    pod_spec_field,
    qualified_name_errors,
    strict_int,
)
from chartgen.check.imageref import image_error
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.quantity import QUANTITY_SYNTAX, parse_quantity
from chartgen.check.registry import finding, rule
from chartgen.check.volume_claims import claim_spec_errors
from chartgen.core import k8snames

E, W = Severity.ERROR, Severity.WARNING
LAYER = "api"
SRC = "kubernetes pkg/apis/core/validation/validation.go"

VOLUME_SOURCES = (
    "hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi",
    "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc",
    "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected",
    "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image",
)
PROTOCOLS = ("TCP", "UDP", "SCTP")
ENV_NAME_STRICT = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
FIELD_PATHS = frozenset({
    "metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations",
    "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
})
FIELD_PATH_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['[^']+'\]$")
RESOURCE_FIELDS = frozenset({"limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu",
                             "requests.memory", "requests.ephemeral-storage"})
HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HTTP_HEADER_NAME = re.compile(r"^[-A-Za-z0-9]+$")
CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def _kube_minor(opts: CheckOptions) -> int:
    m = re.match(r"^v?1\.(\d+)", opts.kube_version)
    return int(m.group(1)) if m else 99


def config_key_errors(key: str) -> list[str]:
    """IsConfigMapKey: ConfigMap/Secret data keys, also used by key references and volume items."""
    errs = []
    if len(key) > 253:
        errs.append("must be no more than 253 characters")
    if not CONFIG_KEY.match(key):
        errs.append("a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
    if key in (".", "..") or key.startswith(".."):
        errs.append("must not be '.' or '..' or start with '..'")
    return errs


def env_name_errors(name: str, opts: CheckOptions) -> list[str]:
    """Env var names: C-identifier-like before the RelaxedEnvironmentVariableValidation default (1.32)."""
    if not name:
        return ["must not be empty"]
    if _kube_minor(opts) >= 32:
        if "=" in name or not all(32 <= ord(ch) <= 126 for ch in name):
            return ["must consist only of printable ASCII characters other than '='"]
        return []
    if not ENV_NAME_STRICT.match(name):
        return ["a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or "
                "'.', and must not start with a digit"]
    return []


def relative_path_errors(path: str) -> list[str]:
    if path.startswith("/"):
        return ["must be a relative path"]
    if ".." in path.split("/"):
        return ["must not contain '..'"]
    if path.startswith(".."):
        return ["must not start with '..'"]
    return []


def _templates(index: ManifestIndex) -> Iterator[tuple[PodTemplate, str]]:
    for pt in index.pod_templates:
        yield pt, pod_spec_field(pt)


def _all_containers(pt: PodTemplate) -> Iterator[Container]:
    yield from containers(pt, ("initContainers", "containers", "ephemeralContainers"))


# --- volumes -----------------------------------------------------------------------------------------------


def _claim_template_names(pt: PodTemplate) -> set[str]:
    if pt.owner.kind != "StatefulSet":
        return set()
    vcts = as_list(as_dict(pt.owner.obj.get("spec")).get("volumeClaimTemplates"))
    return {str(as_dict(as_dict(v).get("metadata")).get("name")) for v in vcts if isinstance(v, dict)}


@rule("CG-POD-001", E, "volumeMount or volumeDevice names a volume the pod does not define", LAYER,
      why=f"ValidateVolumeMounts ({SRC}) rejects the pod: `volumeMounts[i].name: Not found`. A Deployment is "
          "accepted but its ReplicaSet can never create a pod.",
      fix="add the volume to spec.volumes (or a StatefulSet volumeClaimTemplate), or fix the mount's name",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: tmp, emptyDir: {}}]
""")
def undefined_volume(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, _ in _templates(index):
        defined = {str(as_dict(v).get("name")) for v in as_list(as_dict(pt.spec).get("volumes"))}
        defined |= _claim_template_names(pt)
        for c in _all_containers(pt):
            for key in ("volumeMounts", "volumeDevices"):
                for i, m in enumerate(as_list(c.obj.get(key))):
                    name = as_dict(m).get("name")
                    if name is None or str(name) in defined:
                        continue
                    yield finding("CG-POD-001", pt.owner,
                                  f"{c.path}.{key}[{i}].name: Not found: {name!r} ({c.what}; volumes: "
                                  f"{', '.join(sorted(defined)) or 'none'})", field=f"{c.path}.{key}[{i}].name")


@rule("CG-POD-002", E, "Pod volume name duplicated or invalid, or a volume with zero or several sources", LAYER,
      why=f"ValidateVolumes ({SRC}): volume names must be unique DNS-1123 labels and each volume needs exactly "
          "one source (`must specify a volume type` / `may not specify more than 1 volume type`).",
      fix="give every volume a unique lowercase name and exactly one source (emptyDir, configMap, secret, ...)",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: web, image: nginx:1.27}]
  volumes:
  - {name: cache, emptyDir: {}}
  - {name: cache, emptyDir: {medium: Memory}}
""")
def volume_definitions(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, base in _templates(index):
        seen: set[str] = set()
        for i, v in enumerate(as_list(as_dict(pt.spec).get("volumes"))):
            v = as_dict(v)
            fld = f"{base}.volumes[{i}]"
            name = v.get("name")
            if isinstance(name, str):
                if name in seen:
                    yield finding("CG-POD-002", pt.owner, f"{fld}.name: Duplicate value: {name!r}",
                                  field=f"{fld}.name")
                elif errs := _dns_label_errors(name):
                    yield finding("CG-POD-002", pt.owner, f"{fld}.name: Invalid value: {name!r}: {errs}",
                                  field=f"{fld}.name")
                seen.add(name)
            sources = [k for k in VOLUME_SOURCES if v.get(k) is not None]
            if not sources:
                yield finding("CG-POD-002", pt.owner, f"{fld}: Required value: must specify a volume type",
                              field=fld)
            elif len(sources) > 1:
                yield finding("CG-POD-002", pt.owner, f"{fld}: Forbidden: may not specify more than 1 volume type "
                              f"(has {', '.join(sources)})", field=fld)


def _subdomain_errors(name: str) -> str:
    if not name:
        return "a name is required (a lowercase RFC 1123 subdomain)"
    if len(name) > 253 or not k8snames.DNS1123_SUBDOMAIN.match(name):
        return ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                "must start and end with an alphanumeric character")
    return ""


def _dns_label_errors(name: str) -> str:
    errs = []
    if len(name) > 63:
        errs.append("must be no more than 63 characters")
    if not k8snames.DNS1123_LABEL.match(name):
        errs.append("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                    "start and end with an alphanumeric character")
    return "; ".join(errs)


@rule("CG-POD-003", E, "Volume source or mount fields invalid (keys, paths, modes, duplicate mountPath)", LAYER,
      why=f"validateVolumeSource / ValidateVolumeMounts ({SRC}): configMap/secret items need a valid key and a "
          "relative path without '..', modes are 0-0777, a mountPath may be used once per container and subPath "
          "must be relative.",
      fix="use relative item paths, valid keys, octal modes up to 0777 and one mount per path",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    volumeMounts: [{name: tmp, mountPath: /etc/app, subPath: ../app}]
  volumes: [{name: tmp, emptyDir: {}}]
""")
def volume_details(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, base in _templates(index):
        for i, v in enumerate(as_list(as_dict(pt.spec).get("volumes"))):
            v = as_dict(v)
            fld = f"{base}.volumes[{i}]"
            for source in ("configMap", "secret"):
                src = v.get(source)
                if isinstance(src, dict):
                    yield from _source_items(pt, f"{fld}.{source}", src)
            if isinstance(v.get("secret"), dict) and not v["secret"].get("secretName"):
                yield finding("CG-POD-003", pt.owner, f"{fld}.secret.secretName: Required value",
                              field=f"{fld}.secret.secretName")
            if isinstance(v.get("persistentVolumeClaim"), dict) and not v["persistentVolumeClaim"].get("claimName"):
                yield finding("CG-POD-003", pt.owner, f"{fld}.persistentVolumeClaim.claimName: Required value",
                              field=f"{fld}.persistentVolumeClaim.claimName")
            if isinstance(v.get("configMap"), dict) and not v["configMap"].get("name"):
                yield finding("CG-POD-003", pt.owner, f"{fld}.configMap.name: Required value",
                              field=f"{fld}.configMap.name")
            if isinstance(v.get("projected"), dict):
                yield from _projected(pt, f"{fld}.projected", v["projected"])
            if isinstance(v.get("downwardAPI"), dict):
                yield from _source_items(pt, f"{fld}.downwardAPI", {"defaultMode": v["downwardAPI"].get("defaultMode")})
                for j, item in enumerate(as_list(v["downwardAPI"].get("items"))):
                    yield from _downward_file(pt, f"{fld}.downwardAPI.items[{j}]", as_dict(item))
            claim = as_dict(as_dict(v.get("ephemeral")).get("volumeClaimTemplate"))
            for suffix, msg in claim_spec_errors(as_dict(claim.get("spec"))) if claim else ():
                yield finding("CG-POD-003", pt.owner, f"{fld}.ephemeral.volumeClaimTemplate.spec.{suffix}: {msg}",
                              field=f"{fld}.ephemeral.volumeClaimTemplate.spec.{suffix}")
        yield from _volume_devices(pt)
        for c in _all_containers(pt):
            paths: set[str] = set()
            for i, m in enumerate(as_list(c.obj.get("volumeMounts"))):
                m = as_dict(m)
                fld = f"{c.path}.volumeMounts[{i}]"
                mp = m.get("mountPath")
                if isinstance(mp, str):
                    if mp in paths:
                        yield finding("CG-POD-003", pt.owner, f"{fld}.mountPath: Invalid value: {mp!r}: must be "
                                      f"unique ({c.what})", field=f"{fld}.mountPath")
                    paths.add(mp)
                for key in ("subPath", "subPathExpr"):
                    sp = m.get(key)
                    if isinstance(sp, str) and sp and (errs := relative_path_errors(sp)):
                        yield finding("CG-POD-003", pt.owner, f"{fld}.{key}: Invalid value: {sp!r}: {errs[0]}",
                                      field=f"{fld}.{key}")
                yield from _mount_propagation(pt, c, fld, m)
                if m.get("subPath") and m.get("subPathExpr"):
                    yield finding("CG-POD-003", pt.owner, f"{fld}.subPathExpr: Invalid value: subPathExpr and "
                                  "subPath are mutually exclusive", field=f"{fld}.subPathExpr")


def _volume_devices(pt: PodTemplate) -> Iterator[Finding]:
    """ValidateVolumeDevices: a device comes from a claim (persistentVolumeClaim, ephemeral or a StatefulSet claim
    template), its devicePath is unique and is not also a mountPath."""
    block_sources = {str(as_dict(v).get("name")) for v in as_list(as_dict(pt.spec).get("volumes"))
                     if as_dict(v).get("persistentVolumeClaim") is not None or as_dict(v).get("ephemeral") is not None}
    block_sources |= _claim_template_names(pt)
    defined = {str(as_dict(v).get("name")) for v in as_list(as_dict(pt.spec).get("volumes"))}
    for c in _all_containers(pt):
        mounts = {str(as_dict(m).get("mountPath")) for m in as_list(c.obj.get("volumeMounts"))}
        seen: set[str] = set()
        for i, d in enumerate(as_list(c.obj.get("volumeDevices"))):
            d, fld = as_dict(d), f"{c.path}.volumeDevices[{i}]"
            name, path = str(d.get("name")), d.get("devicePath")
            if name in defined and name not in block_sources:
                yield finding("CG-POD-003", pt.owner, f"{fld}.name: Invalid value: {name!r}: can only use volume "
                              "source type of PersistentVolumeClaim or Ephemeral for block mode", field=f"{fld}.name")
            if isinstance(path, str) and path in seen:
                yield finding("CG-POD-003", pt.owner, f"{fld}.devicePath: Invalid value: {path!r}: must be unique",
                              field=f"{fld}.devicePath")
            elif isinstance(path, str) and path in mounts:
                yield finding("CG-POD-003", pt.owner, f"{fld}.devicePath: Invalid value: {path!r}: must not already "
                              "exist in volumeMounts", field=f"{fld}.devicePath")
            seen.add(str(path))


VOLUME_FIELD_PATHS = frozenset({"metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations",
                                "metadata.uid"})


def _downward_file(pt: PodTemplate, fld: str, item: dict[str, Any]) -> Iterator[Finding]:
    """validateDownwardAPIVolumeFile: a relative path, fieldRef (metadata only) XOR resourceFieldRef, a mode."""
    path = item.get("path")
    if isinstance(path, str) and (errs := relative_path_errors(path) or (["Required value"] if not path else [])):
        yield finding("CG-POD-003", pt.owner, f"{fld}.path: Invalid value: {path!r}: {errs[0]}", field=f"{fld}.path")
    field_ref, resource_ref = item.get("fieldRef"), item.get("resourceFieldRef")
    if (field_ref is None) == (resource_ref is None):
        yield finding("CG-POD-003", pt.owner, f"{fld}: Invalid value: exactly one of fieldRef and resourceFieldRef is "
                      "required", field=fld)
    elif isinstance(field_ref, dict):
        fp = str(field_ref.get("fieldPath", ""))
        if fp not in VOLUME_FIELD_PATHS and not FIELD_PATH_SUBSCRIPT.match(fp):
            yield finding("CG-POD-003", pt.owner, f"{fld}.fieldRef.fieldPath: Unsupported value: {fp!r}: supported "
                          f"values: {', '.join(sorted(VOLUME_FIELD_PATHS))}", field=f"{fld}.fieldRef.fieldPath")
    mode = strict_int(item.get("mode"))
    if mode is not None and not 0 <= mode <= 0o777:
        yield finding("CG-POD-003", pt.owner, f"{fld}.mode: Invalid value: {mode}: must be a number between 0 and 0777 "
                      "(octal), both inclusive", field=f"{fld}.mode")


def _projected(pt: PodTemplate, fld: str, projected: dict[str, Any]) -> Iterator[Finding]:
    """validateProjectionSources: per source its item rules, a name, token bounds; no path used twice."""
    yield from _source_items(pt, fld, {"defaultMode": projected.get("defaultMode")})
    paths: set[str] = set()
    for j, source in enumerate(as_list(projected.get("sources"))):
        source, sfld = as_dict(source), f"{fld}.sources[{j}]"
        written: list[Any] = []
        kinds = [k for k in ("configMap", "secret", "downwardAPI", "serviceAccountToken") if source.get(k) is not None]
        if len(kinds) > 1:
            yield finding("CG-POD-003", pt.owner, f"{sfld}: Forbidden: may not specify more than 1 volume type per "
                          f"source ({', '.join(kinds)})", field=sfld)
        for kind in ("configMap", "secret"):
            src = source.get(kind)
            if isinstance(src, dict):
                if not src.get("name"):
                    yield finding("CG-POD-003", pt.owner, f"{sfld}.{kind}.name: Required value",
                                  field=f"{sfld}.{kind}.name")
                yield from _source_items(pt, f"{sfld}.{kind}", src)
                written += [as_dict(i).get("path") for i in as_list(src.get("items"))]
        for k, item in enumerate(as_list(as_dict(source.get("downwardAPI")).get("items"))):
            yield from _downward_file(pt, f"{sfld}.downwardAPI.items[{k}]", as_dict(item))
            written.append(as_dict(item).get("path"))
        token = source.get("serviceAccountToken")
        if isinstance(token, dict):
            expiration = strict_int(token.get("expirationSeconds"))
            if expiration is not None and not 600 <= expiration <= 1 << 32:
                yield finding("CG-POD-003", pt.owner, f"{sfld}.serviceAccountToken.expirationSeconds: Invalid value: "
                              f"{expiration}: must be between 10 minutes (600) and 2^32 seconds",
                              field=f"{sfld}.serviceAccountToken.expirationSeconds")
            written.append(token.get("path"))
        for path in written:
            if isinstance(path, str) and path:
                if path in paths:
                    yield finding("CG-POD-003", pt.owner, f"{fld}: Invalid value: {path!r}: conflicting duplicate "
                                  "paths", field=sfld)
                paths.add(path)


def _mount_propagation(pt: PodTemplate, c: Container, fld: str, m: dict[str, Any]) -> Iterator[Finding]:
    rro = m.get("recursiveReadOnly")
    if rro is not None and rro not in ("Disabled", "IfPossible", "Enabled"):
        yield finding("CG-POD-003", pt.owner, f"{fld}.recursiveReadOnly: Unsupported value: {rro!r}: supported values: "
                      "\"Disabled\", \"Enabled\", \"IfPossible\"", field=f"{fld}.recursiveReadOnly")
    elif rro in ("IfPossible", "Enabled") and m.get("readOnly") is not True:
        yield finding("CG-POD-003", pt.owner, f"{fld}.recursiveReadOnly: Forbidden: may only be specified when "
                      "readOnly is true", field=f"{fld}.recursiveReadOnly")
    mode = m.get("mountPropagation")
    if mode is None:
        return
    if mode not in ("None", "HostToContainer", "Bidirectional"):
        yield finding("CG-POD-003", pt.owner, f"{fld}.mountPropagation: Unsupported value: {mode!r}: supported values: "
                      "\"Bidirectional\", \"HostToContainer\", \"None\"", field=f"{fld}.mountPropagation")
    elif mode == "Bidirectional" and as_dict(c.obj.get("securityContext")).get("privileged") is not True:
        yield finding("CG-POD-003", pt.owner, f"{fld}.mountPropagation: Forbidden: Bidirectional mount propagation is "
                      f"available only to privileged containers ({c.what})", field=f"{fld}.mountPropagation")


def _source_items(pt: PodTemplate, fld: str, src: dict[str, Any]) -> Iterator[Finding]:
    mode = strict_int(src.get("defaultMode"))
    if mode is not None and not 0 <= mode <= 0o777:
        yield finding("CG-POD-003", pt.owner, f"{fld}.defaultMode: Invalid value: {mode}: must be a number between 0 "
                      "and 0777 (octal), both inclusive", field=f"{fld}.defaultMode")
    for j, item in enumerate(as_list(src.get("items"))):
        item = as_dict(item)
        key, path = item.get("key"), item.get("path")
        if isinstance(key, str) and (errs := config_key_errors(key)):
            yield finding("CG-POD-003", pt.owner, f"{fld}.items[{j}].key: Invalid value: {key!r}: {errs[0]}",
                          field=f"{fld}.items[{j}].key")
        if isinstance(path, str) and (errs := relative_path_errors(path) or (["must not be empty"] if not path
                                                                             else [])):
            yield finding("CG-POD-003", pt.owner, f"{fld}.items[{j}].path: Invalid value: {path!r}: {errs[0]}",
                          field=f"{fld}.items[{j}].path")
        mode = strict_int(item.get("mode"))
        if mode is not None and not 0 <= mode <= 0o777:
            yield finding("CG-POD-003", pt.owner, f"{fld}.items[{j}].mode: Invalid value: {mode}: must be a number "
                          "between 0 and 0777 (octal), both inclusive", field=f"{fld}.items[{j}].mode")


# --- containers ----------------------------------------------------------------------------------------------


@rule("CG-POD-004", E, "Container name missing, invalid or used twice in the pod", LAYER,
      why=f"validateContainers ({SRC}): container names are required DNS-1123 labels, unique across containers, "
          "initContainers and ephemeralContainers (`Duplicate value`).",
      fix="give every container and init container its own lowercase name",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers: [{name: web, image: busybox:1.36}]
  containers: [{name: web, image: nginx:1.27}]
""")
def container_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, _ in _templates(index):
        seen: dict[str, str] = {}
        for c in _all_containers(pt):
            name = c.obj.get("name")
            fld = f"{c.path}.name"
            if not isinstance(name, str):
                continue  # missing or not a string: the schema layer (CG-SCHEMA-001) reports it
            if not name:
                yield finding("CG-POD-004", pt.owner, f"{fld}: Required value", field=fld)
                continue
            if name in seen:
                yield finding("CG-POD-004", pt.owner, f"{fld}: Duplicate value: {name!r} (also {seen[name]})",
                              field=fld)
            elif errs := _dns_label_errors(name):
                yield finding("CG-POD-004", pt.owner, f"{fld}: Invalid value: {name!r}: {errs}", field=fld)
            seen.setdefault(name, c.path)


@rule("CG-POD-005", E, "Container image missing or not a valid image reference", LAYER,
      why="The API server rejects a pod without an image (a Deployment's ReplicaSet then never creates pods) and "
          "whitespace around it; a reference that does not parse (uppercase repository, two tags, empty tag) "
          "is rejected by the kubelet with InvalidImageName, so the pod never starts.",
      fix="render image as [registry/]repository[:tag][@digest] in lowercase, e.g. ghcr.io/acme/web:1.4.2",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: web, image: ghcr.io/Acme/web:1.4.2}]
""")
def image_references(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, _ in _templates(index):
        for c in _all_containers(pt):
            image = c.obj.get("image")
            if image is None:
                if c.group != "ephemeralContainers":
                    yield finding("CG-POD-005", pt.owner, f"{c.path}.image: Required value ({c.what})",
                                  field=f"{c.path}.image")
                continue
            if isinstance(image, str) and (err := image_error(image)):
                yield finding("CG-POD-005", pt.owner, f"{c.path}.image {image!r} {err} ({c.what})",
                              field=f"{c.path}.image")


@rule("CG-POD-006", E, "Env var name invalid, or value/valueFrom/envFrom source malformed", LAYER,
      why=f"validateEnv / validateEnvFrom ({SRC}): `valueFrom` must name exactly one source and may not be "
          "combined with `value`; configMapKeyRef/secretKeyRef need a name and a valid key; envFrom needs exactly "
          "one of configMapRef/secretRef; fieldRef/resourceFieldRef only accept the documented paths.",
      fix="give each env var either value or valueFrom with one source (configMapKeyRef: {name, key}, ...)",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    env:
    - name: DB_URL
      value: postgres://db
      valueFrom:
        secretKeyRef: {name: db, key: url}
""")
def env_vars(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, _ in _templates(index):
        for c in _all_containers(pt):
            for i, env in enumerate(as_list(c.obj.get("env"))):
                yield from _env_var(pt, f"{c.path}.env[{i}]", as_dict(env), opts)
            for i, ef in enumerate(as_list(c.obj.get("envFrom"))):
                yield from _env_from(pt, f"{c.path}.envFrom[{i}]", as_dict(ef), opts)


def _env_var(pt: PodTemplate, fld: str, env: dict[str, Any], opts: CheckOptions) -> Iterator[Finding]:
    name = env.get("name")
    if isinstance(name, str) and (errs := env_name_errors(name, opts)):
        yield finding("CG-POD-006", pt.owner, f"{fld}.name: Invalid value: {name!r}: {errs[0]}", field=f"{fld}.name")
    vf = env.get("valueFrom")
    if vf is None:
        return
    vf = as_dict(vf)
    if env.get("value") not in (None, ""):
        yield finding("CG-POD-006", pt.owner, f"{fld}.valueFrom: Invalid value: may not be specified when `value` "
                      "is not empty", field=f"{fld}.valueFrom")
    sources = [k for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")
               if vf.get(k) is not None]
    if len(sources) != 1:
        what = "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`" \
            if not sources else f"may not have more than one field specified at a time (has {', '.join(sources)})"
        yield finding("CG-POD-006", pt.owner, f"{fld}.valueFrom: Invalid value: {what}", field=f"{fld}.valueFrom")
        return
    src, ref = sources[0], as_dict(vf.get(sources[0]))
    sfld = f"{fld}.valueFrom.{src}"
    if src in ("configMapKeyRef", "secretKeyRef"):
        name = ref.get("name", "")
        if isinstance(name, str) and (problem := _subdomain_errors(name)):
            yield finding("CG-POD-006", pt.owner, f"{sfld}.name: Invalid value: {name!r}: {problem}",
                          field=f"{sfld}.name")
        key = ref.get("key")
        if key == "":  # a missing key is a schema error (CG-SCHEMA-001)
            yield finding("CG-POD-006", pt.owner, f"{sfld}.key: Required value", field=f"{sfld}.key")
        elif isinstance(key, str) and (errs := config_key_errors(key)):
            yield finding("CG-POD-006", pt.owner, f"{sfld}.key: Invalid value: {key!r}: {errs[0]}",
                          field=f"{sfld}.key")
    elif src == "fieldRef":
        path = str(ref.get("fieldPath", ""))
        if path not in FIELD_PATHS and not FIELD_PATH_SUBSCRIPT.match(path):
            yield finding("CG-POD-006", pt.owner, f"{sfld}.fieldPath: Unsupported value: {path!r}: supported values: "
                          f"{', '.join(sorted(FIELD_PATHS))}, metadata.labels['<KEY>'], "
                          "metadata.annotations['<KEY>']", field=f"{sfld}.fieldPath")
    elif src == "resourceFieldRef":
        res = str(ref.get("resource", ""))
        if res not in RESOURCE_FIELDS and not res.startswith(("limits.hugepages-", "requests.hugepages-")):
            yield finding("CG-POD-006", pt.owner, f"{sfld}.resource: Unsupported value: {res!r}: supported values: "
                          f"{', '.join(sorted(RESOURCE_FIELDS))}", field=f"{sfld}.resource")


def _env_from(pt: PodTemplate, fld: str, ef: dict[str, Any], opts: CheckOptions) -> Iterator[Finding]:
    refs = [k for k in ("configMapRef", "secretRef") if ef.get(k) is not None]
    if len(refs) != 1:
        what = "must specify one of: `configMapRef` or `secretRef`" if not refs else \
            "may not have more than one field specified at a time"
        yield finding("CG-POD-006", pt.owner, f"{fld}: Invalid value: {what}", field=fld)
    for k in refs:
        name = as_dict(ef.get(k)).get("name", "")
        if isinstance(name, str) and (problem := _subdomain_errors(name)):
            yield finding("CG-POD-006", pt.owner, f"{fld}.{k}.name: Invalid value: {name!r}: {problem}",
                          field=f"{fld}.{k}.name")
    prefix = ef.get("prefix")
    if isinstance(prefix, str) and prefix and (errs := env_name_errors(prefix, opts)):
        yield finding("CG-POD-006", pt.owner, f"{fld}.prefix: Invalid value: {prefix!r}: {errs[0]}",
                      field=f"{fld}.prefix")


@rule("CG-POD-007", E, "Container port number, hostPort or protocol invalid, or a port used twice in the pod", LAYER,
      why=f"validateContainerPorts / AccumulateUniqueHostPorts / validateHostNetwork ({SRC}): containerPort and "
          "hostPort must be 1-65535, protocol TCP, UDP or SCTP, a hostPort/protocol pair may be used once per pod, "
          "and with hostNetwork the hostPort must equal the containerPort.",
      fix="use port numbers 1-65535, protocol TCP/UDP/SCTP (upper case), and distinct hostPorts",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    ports: [{name: http, containerPort: 80800}]
""")
def container_ports(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, _ in _templates(index):
        host_ports: dict[tuple[str, int, str], str] = {}
        container_ports: dict[tuple[str, int], tuple[str, str]] = {}
        for c in _all_containers(pt):
            for i, p in enumerate(as_list(c.obj.get("ports"))):
                p = as_dict(p)
                fld = f"{c.path}.ports[{i}]"
                num = strict_int(p.get("containerPort"))
                if num is not None and not 1 <= num <= 65535:
                    yield finding("CG-POD-007", pt.owner, f"{fld}.containerPort: Invalid value: {num}: must be "
                                  "between 1 and 65535, inclusive", field=f"{fld}.containerPort")
                hp = strict_int(p.get("hostPort"))
                if hp is not None and hp != 0 and not 1 <= hp <= 65535:
                    yield finding("CG-POD-007", pt.owner, f"{fld}.hostPort: Invalid value: {hp}: must be between 1 "
                                  "and 65535, inclusive", field=f"{fld}.hostPort")
                proto = p.get("protocol")
                if proto is not None and proto not in PROTOCOLS:
                    yield finding("CG-POD-007", pt.owner, f"{fld}.protocol: Unsupported value: {proto!r}: supported "
                                  "values: \"SCTP\", \"TCP\", \"UDP\"", field=f"{fld}.protocol")
                other = container_ports.get((str(proto or "TCP"), num)) if num is not None else None
                if other is not None and other[1] != c.path:
                    yield finding("CG-POD-007", pt.owner, f"{fld}.containerPort: duplicate port definition with "
                                  f"{other[0]} ({num}/{proto or 'TCP'}): both containers share the pod's network, "
                                  "so the second cannot bind it", field=f"{fld}.containerPort", severity=W)
                elif num is not None:
                    container_ports.setdefault((str(proto or "TCP"), num), (fld, c.path))
                if as_dict(pt.spec).get("hostNetwork") is True and hp and num is not None and hp != num:
                    yield finding("CG-POD-007", pt.owner, f"{fld}.containerPort: Invalid value: {num}: must match "
                                  f"`hostPort` ({hp}) when `hostNetwork` is true", field=f"{fld}.containerPort")
                if hp:
                    key = (str(proto or "TCP"), hp, str(p.get("hostIP") or ""))
                    if key in host_ports:
                        yield finding("CG-POD-007", pt.owner, f"{fld}.hostPort: Duplicate value: \"{hp}/{key[0]}\" "
                                      f"(also {host_ports[key]})", field=f"{fld}.hostPort")
                    host_ports.setdefault(key, fld)


def _handler_errors(handler: dict[str, Any], kinds: tuple[str, ...]) -> str | None:
    present = [k for k in kinds if handler.get(k) is not None]
    if not present:
        return f"Required value: must specify a handler type (one of {', '.join(kinds)})"
    if len(present) > 1:
        return f"Forbidden: may not specify more than 1 handler type (has {', '.join(present)})"
    return None


@rule("CG-POD-008", E, "Probe or lifecycle hook without exactly one handler, or with invalid thresholds", LAYER,
      why=f"validateProbe / validateHandler / validateLifecycle ({SRC}): a probe needs exactly one of exec, "
          "httpGet, tcpSocket, grpc; liveness and startup probes must have successThreshold 1; durations may not "
          "be negative; plain init containers may not have probes or lifecycle hooks.",
      fix="give each probe one handler (e.g. httpGet on a named port) and successThreshold 1 for liveness/startup",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    livenessProbe:
      httpGet: {path: /healthz, port: 80}
      tcpSocket: {port: 80}
""")
def probes(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, _ in _templates(index):
        for c in containers(pt):
            plain_init = c.group == "initContainers" and not c.native_sidecar
            for probe_name in PROBES:
                probe = c.obj.get(probe_name)
                if probe is None:
                    continue
                fld = f"{c.path}.{probe_name}"
                if plain_init:
                    yield finding("CG-POD-008", pt.owner, f"{fld}: Forbidden: may not be set for init containers "
                                  "without restartPolicy=Always", field=fld)
                    continue
                probe = as_dict(probe)
                if err := _handler_errors(probe, HANDLERS):
                    yield finding("CG-POD-008", pt.owner, f"{fld}: {err}", field=fld)
                yield from _handler_fields(pt, fld, probe)
                st = strict_int(probe.get("successThreshold"))
                if probe_name != "readinessProbe" and st is not None and st != 1:
                    yield finding("CG-POD-008", pt.owner, f"{fld}.successThreshold: Invalid value: {st}: must be 1",
                                  field=f"{fld}.successThreshold")
                for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                            "failureThreshold", "terminationGracePeriodSeconds"):
                    val = strict_int(probe.get(key))
                    if val is not None and val < 0:
                        yield finding("CG-POD-008", pt.owner, f"{fld}.{key}: Invalid value: {val}: must be greater "
                                      "than or equal to 0", field=f"{fld}.{key}")
                ptgp = strict_int(probe.get("terminationGracePeriodSeconds"))
                if ptgp == 0:
                    yield finding("CG-POD-008", pt.owner, f"{fld}.terminationGracePeriodSeconds: Invalid value: 0: "
                                  "must be greater than 0", field=f"{fld}.terminationGracePeriodSeconds")
                if probe_name == "readinessProbe" and probe.get("terminationGracePeriodSeconds") is not None:
                    yield finding("CG-POD-008", pt.owner, f"{fld}.terminationGracePeriodSeconds: Invalid value: "
                                  "must not be set for readinessProbes", field=f"{fld}.terminationGracePeriodSeconds")
            lifecycle = c.obj.get("lifecycle")
            if lifecycle is None:
                continue
            if plain_init:
                yield finding("CG-POD-008", pt.owner, f"{c.path}.lifecycle: Forbidden: may not be set for init "
                              "containers without restartPolicy=Always", field=f"{c.path}.lifecycle")
                continue
            for hook in ("postStart", "preStop"):
                h = as_dict(lifecycle).get(hook)
                if h is not None and (err := _handler_errors(as_dict(h), LIFECYCLE_HANDLERS)):
                    yield finding("CG-POD-008", pt.owner, f"{c.path}.lifecycle.{hook}: {err}",
                                  field=f"{c.path}.lifecycle.{hook}")
                elif h is not None:
                    yield from _handler_fields(pt, f"{c.path}.lifecycle.{hook}", as_dict(h))
                    yield from _sleep_within_grace(pt, f"{c.path}.lifecycle.{hook}", as_dict(h), opts)


def _sleep_within_grace(pt: PodTemplate, fld: str, handler: dict[str, Any], opts: CheckOptions) -> Iterator[Finding]:
    """validateSleepAction: 0 < seconds <= terminationGracePeriodSeconds (default 30; 0 allowed from 1.32)."""
    seconds = strict_int(as_dict(handler.get("sleep")).get("seconds"))
    if seconds is None:
        return
    grace = strict_int(as_dict(pt.spec).get("terminationGracePeriodSeconds"))
    grace = 30 if grace is None else grace
    low = 0 if _kube_minor(opts) >= 32 else 1
    if grace >= 0 and not low <= seconds <= grace:
        yield finding("CG-POD-008", pt.owner, f"{fld}.sleep.seconds: Invalid value: {seconds}: must be "
                      f"{'non-negative' if low == 0 else 'greater than 0'} and less than terminationGracePeriodSeconds "
                      f"({grace})", field=f"{fld}.sleep.seconds")


def _port_error(port: Any, named: bool) -> str | None:
    num = strict_int(port)
    if num is not None:
        return None if 1 <= num <= 65535 else "must be between 1 and 65535, inclusive"
    if isinstance(port, str) and named:
        if port.isdigit():
            return None if 1 <= int(port) <= 65535 else "must be between 1 and 65535, inclusive"
        return None if _port_name_ok(port) else "must contain only lower case letters, digits and '-' with a " \
                                                  "letter, at most 15 characters (IANA_SVC_NAME)"
    return "must be a port number" if port is not None else None


def _port_name_ok(name: str) -> bool:
    return (1 <= len(name) <= 15 and bool(re.match(r"^[-a-z0-9]+$", name)) and bool(re.search(r"[a-z]", name))
            and "--" not in name and not name.startswith("-") and not name.endswith("-"))


def _handler_fields(pt: PodTemplate, fld: str, handler: dict[str, Any]) -> Iterator[Finding]:
    for kind, named in (("httpGet", True), ("tcpSocket", True), ("grpc", False)):
        h = handler.get(kind)
        if not isinstance(h, dict):
            continue
        if "port" in h and (err := _port_error(h.get("port"), named)):
            yield finding("CG-POD-008", pt.owner, f"{fld}.{kind}.port: Invalid value: {h.get('port')!r}: {err}",
                          field=f"{fld}.{kind}.port")
        scheme = h.get("scheme")
        if kind == "httpGet" and scheme is not None and scheme not in ("HTTP", "HTTPS"):
            yield finding("CG-POD-008", pt.owner, f"{fld}.httpGet.scheme: Unsupported value: {scheme!r}: supported "
                          "values: \"HTTP\", \"HTTPS\"", field=f"{fld}.httpGet.scheme")
        for i, header in enumerate(as_list(h.get("httpHeaders")) if kind == "httpGet" else ()):
            name = as_dict(header).get("name")
            if isinstance(name, str) and not HTTP_HEADER_NAME.match(name):
                yield finding("CG-POD-008", pt.owner, f"{fld}.httpGet.httpHeaders[{i}].name: Invalid value: {name!r}: "
                              "a valid HTTP header must consist of alphanumeric characters or '-'",
                              field=f"{fld}.httpGet.httpHeaders[{i}].name")


@rule("CG-POD-009", E, "Resource quantity invalid or negative, or a request above its limit", LAYER,
      why=f"ValidateResourceRequirements ({SRC}): quantities must parse (`quantities must match the regular "
          "expression ...`), be >= 0, and each request must be less than or equal to its limit.",
      fix="write quantities like 500m, 0.5, 256Mi, 1Gi and keep requests <= limits",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    resources:
      requests: {cpu: '2'}
      limits: {cpu: '1'}
""")
def resources(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, base in _templates(index):
        items = [(c.path, c.what, as_dict(c.obj.get("resources"))) for c in containers(pt)]
        if isinstance(as_dict(pt.spec).get("resources"), dict):  # pod-level resources (1.32+)
            items.append((base, "pod", as_dict(as_dict(pt.spec).get("resources"))))
        for path, what, res in items:
            parsed: dict[str, dict[str, Any]] = {}
            for section in ("requests", "limits"):
                for name, value in as_dict(res.get(section)).items():
                    fld = f"{path}.resources.{section}.{name}"
                    if what != "pod" and (err := _container_resource_name_error(str(name))):
                        yield finding("CG-POD-009", pt.owner, f"{fld}: Invalid value: {name!r}: {err} ({what})",
                                      field=fld)
                    if value is None:
                        continue  # JSON null unmarshals to a zero Quantity
                    q = parse_quantity(value)
                    if q is None:
                        yield finding("CG-POD-009", pt.owner, f"{fld}: Invalid value: {value!r}: quantities must "
                                      f"match the regular expression ({what}; {QUANTITY_SYNTAX})", field=fld)
                        continue
                    if q < 0:
                        yield finding("CG-POD-009", pt.owner, f"{fld}: Invalid value: {value!r}: must be greater "
                                      f"than or equal to 0 ({what})", field=fld)
                    parsed.setdefault(section, {})[name] = (q, value)
            yield from _extended(pt, f"{path}.resources", what, parsed)
            for name, (req, raw) in parsed.get("requests", {}).items():
                lim = parsed.get("limits", {}).get(name)
                if lim is not None and req > lim[0]:
                    fld = f"{path}.resources.requests.{name}"
                    yield finding("CG-POD-009", pt.owner, f"{fld}: Invalid value: {raw!r}: must be less than or "
                                  f"equal to {name} limit of {lim[1]} ({what})", field=fld)


def _container_resource_name_error(name: str) -> str | None:
    """validateContainerResourceName: cpu, memory, ephemeral-storage, hugepages-<size>, or a domain-qualified
    (extended) name such as nvidia.com/gpu."""
    if "/" not in name:
        if name in CONTAINER_RESOURCES or name.startswith("hugepages-"):
            return None
        return "must be a standard resource for containers (cpu, memory, ephemeral-storage, hugepages-<size>) or a " \
               "domain-qualified extended resource such as nvidia.com/gpu"
    if qualified_name_errors(name) or name.startswith("requests."):
        return "doesn't follow extended resource name standard"
    return None


def _is_extended(name: str) -> bool:
    """Not overcommitable: extended resources (a qualified name outside the kubernetes.io namespaces, not
    requests.*) and huge pages (hugepages-<size>)."""
    return name.startswith("hugepages-") or (
        "/" in name and not name.split("/", 1)[0].endswith("kubernetes.io") and not name.startswith("requests."))


def _extended(pt: PodTemplate, fld: str, what: str, parsed: dict[str, dict[str, Any]]) -> Iterator[Finding]:
    """validateContainerResourceName / ValidateResourceRequirements for extended resources (e.g. nvidia.com/gpu):
    whole numbers, a request needs an equal limit (they cannot be overcommitted)."""
    requests, limits = parsed.get("requests", {}), parsed.get("limits", {})
    if any(n.startswith("hugepages-") for n in limits) and not {"cpu", "memory"} & (set(limits) | set(requests)):
        yield finding("CG-POD-009", pt.owner, f"{fld}.limits: Forbidden: HugePages require cpu or memory ({what})",
                      field=f"{fld}.limits")
    for section, values in (("requests", requests), ("limits", limits)):
        for name, (q, raw) in values.items():
            if _is_extended(name) and not name.startswith("hugepages-") and q != q.to_integral_value():
                yield finding("CG-POD-009", pt.owner, f"{fld}.{section}.{name}: Invalid value: {raw!r}: must be an "
                              f"integer ({what})", field=f"{fld}.{section}.{name}")
    for name, (q, raw) in requests.items():
        if not _is_extended(name):
            continue
        if name not in limits:
            yield finding("CG-POD-009", pt.owner, f"{fld}.limits: Required value: Limit must be set for non "
                          f"overcommitable resources ({name}, {what})", field=f"{fld}.limits")
        elif limits[name][0] > q:  # above the limit is the request <= limit check
            yield finding("CG-POD-009", pt.owner, f"{fld}.requests.{name}: Invalid value: {raw!r}: must be equal to "
                          f"{name} limit of {limits[name][1]} ({what})", field=f"{fld}.requests.{name}")


RESTART_POLICIES = ("Always", "OnFailure", "Never")


@rule("CG-POD-010", E, "restartPolicy not allowed for the workload kind (or for a container)", LAYER,
      why="Deployments, StatefulSets, DaemonSets and ReplicaSets only accept template restartPolicy Always "
          "(ValidatePodTemplateSpecForReplicaSet, pkg/apis/apps/validation); Jobs and CronJobs only OnFailure or "
          "Never (pkg/apis/batch/validation); a container-level restartPolicy is only allowed on init containers, "
          "and only as Always (native sidecars).",
      fix="drop restartPolicy from long-running workloads (Always is the default) and use OnFailure or Never in Jobs",
      example="""\
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Always
      containers: [{name: migrate, image: busybox:1.36}]
""")
def restart_policy(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, base in _templates(index):
        value = as_dict(pt.spec).get("restartPolicy")
        kind = pt.owner.kind
        fld = f"{base}.restartPolicy"
        if value is not None and value not in RESTART_POLICIES:
            yield finding("CG-POD-010", pt.owner, f"{fld}: Unsupported value: {value!r}: supported values: "
                          "\"Always\", \"OnFailure\", \"Never\"", field=fld)
        elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout") and value not in (
                None, "Always"):
            yield finding("CG-POD-010", pt.owner, f"{fld}: Unsupported value: {value!r}: supported values: "
                          f"\"Always\" (a {kind} restarts its pods itself)", field=fld)
        elif kind in ("Job", "CronJob") and value in (None, "Always"):
            what = "Required value: a Job's pods need restartPolicy OnFailure or Never (the default Always is " \
                   "rejected)" if value is None else "Unsupported value: \"Always\": supported values: " \
                                                     "\"OnFailure\", \"Never\""
            yield finding("CG-POD-010", pt.owner, f"{fld}: {what}", field=fld)
        for c in containers(pt):
            crp = c.obj.get("restartPolicy")
            if crp is None:
                continue
            if c.group == "containers":
                yield finding("CG-POD-010", pt.owner, f"{c.path}.restartPolicy: Forbidden: may not be set for "
                              "non-init containers", field=f"{c.path}.restartPolicy")
            elif crp != "Always":
                yield finding("CG-POD-010", pt.owner, f"{c.path}.restartPolicy: Unsupported value: {crp!r}: "
                              "supported values: \"Always\"", field=f"{c.path}.restartPolicy")


DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES = ("Always", "Never", "IfNotPresent")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
SECCOMP_TYPES = ("RuntimeDefault", "Unconfined", "Localhost")
TOLERATION_OPERATORS = ("Exists", "Equal")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")


@rule("CG-POD-011", E, "Pod spec field has a value the API server does not accept (enums and cross-field rules)",
      LAYER,
      why=f"ValidatePodSpec ({SRC}): dnsPolicy, imagePullPolicy, terminationMessagePolicy, seccompProfile.type, "
          "tolerations and topologySpreadConstraints are closed sets with cross-field rules (dnsPolicy None needs "
          "dnsConfig.nameservers, operator Exists takes no value, maxSkew > 0, a {topologyKey, whenUnsatisfiable} "
          "pair at most once, ...); names must be DNS labels.",
      fix="use the documented values (case-sensitive) and satisfy the field's companion requirements",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: web, image: nginx:1.27}]
  tolerations:
  - {key: dedicated, operator: Exists, value: web}
""")
def pod_fields(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, base in _templates(index):
        spec = as_dict(pt.spec)
        if isinstance(spec.get("containers"), list) and not spec["containers"]:
            yield finding("CG-POD-011", pt.owner, f"{base}.containers: Required value: a pod needs at least one "
                          "container", field=f"{base}.containers")
        yield from _enum(pt, f"{base}.dnsPolicy", spec.get("dnsPolicy"), DNS_POLICIES)
        if spec.get("dnsPolicy") == "None" and not as_list(as_dict(spec.get("dnsConfig")).get("nameservers")):
            yield finding("CG-POD-011", pt.owner, f"{base}.dnsConfig.nameservers: Required value: must provide at "
                          "least one DNS nameserver when dnsPolicy is None", field=f"{base}.dnsConfig")
        for key in ("hostname", "subdomain"):
            val = spec.get(key)
            if isinstance(val, str) and val and (errs := _dns_label_errors(val)):
                yield finding("CG-POD-011", pt.owner, f"{base}.{key}: Invalid value: {val!r}: {errs}",
                              field=f"{base}.{key}")
        tgp = strict_int(spec.get("terminationGracePeriodSeconds"))
        if tgp is not None and tgp < 0:
            yield finding("CG-POD-011", pt.owner, f"{base}.terminationGracePeriodSeconds: Invalid value: {tgp}: must "
                          "be greater than or equal to 0", field=f"{base}.terminationGracePeriodSeconds")
        yield from _seccomp(pt, f"{base}.securityContext", as_dict(spec.get("securityContext")))
        for c in _all_containers(pt):
            yield from _enum(pt, f"{c.path}.imagePullPolicy", c.obj.get("imagePullPolicy"), PULL_POLICIES)
            yield from _enum(pt, f"{c.path}.terminationMessagePolicy", c.obj.get("terminationMessagePolicy"),
                             TERMINATION_MESSAGE_POLICIES)
            yield from _seccomp(pt, f"{c.path}.securityContext", as_dict(c.obj.get("securityContext")))
        for i, t in enumerate(as_list(spec.get("tolerations"))):
            yield from _toleration(pt, f"{base}.tolerations[{i}]", as_dict(t))
        spreads = [as_dict(tsc) for tsc in as_list(spec.get("topologySpreadConstraints"))]
        for i, tsc in enumerate(spreads):
            yield from _spread(pt, f"{base}.topologySpreadConstraints[{i}]", tsc)
        yield from _spread_repeats(pt, f"{base}.topologySpreadConstraints", spreads)
        yield from _affinity(pt, f"{base}.affinity", as_dict(spec.get("affinity")))
        yield from _pod_security(pt, base, spec)
        for i, v in enumerate(as_list(spec.get("volumes"))):
            v = as_dict(v)
            medium = as_dict(v.get("emptyDir")).get("medium")
            if not (isinstance(medium, str) and medium.startswith("HugePages-")):
                yield from _enum(pt, f"{base}.volumes[{i}].emptyDir.medium", medium, ("", "Memory", "HugePages"))
            yield from _enum(pt, f"{base}.volumes[{i}].hostPath.type", as_dict(v.get("hostPath")).get("type"),
                             HOST_PATH_TYPES)
        yield from _enum(pt, f"{base}.os.name", as_dict(spec.get("os")).get("name"), ("linux", "windows"))
        yield from _dns_config(pt, f"{base}.dnsConfig", as_dict(spec.get("dnsConfig")))
        yield from _host_aliases(pt, f"{base}.hostAliases", as_list(spec.get("hostAliases")))
        yield from _os_fields(pt, base, spec)
        yield from _pod_identity(pt, base, spec)
        yield from _scheduling_gates(pt, f"{base}.schedulingGates", as_list(spec.get("schedulingGates")))
        for c in _all_containers(pt):
            yield from _container_security(pt, c)
        if pt.owner.kind != "Pod" and as_list(spec.get("ephemeralContainers")):
            yield finding("CG-POD-011", pt.owner, f"{base}.ephemeralContainers: Forbidden: ephemeral containers not "
                          "allowed in pod template", field=f"{base}.ephemeralContainers")
        elif as_list(spec.get("ephemeralContainers")):
            yield finding("CG-POD-011", pt.owner, f"{base}.ephemeralContainers: Forbidden: cannot be set on create",
                          field=f"{base}.ephemeralContainers")
        if pt.owner.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet") and \
                spec.get("activeDeadlineSeconds") is not None:
            yield finding("CG-POD-011", pt.owner, f"{base}.activeDeadlineSeconds: Invalid value: activeDeadlineSeconds "
                          f"in {pt.owner.kind} is not Supported", field=f"{base}.activeDeadlineSeconds")


def _scheduling_gates(pt: PodTemplate, fld: str, gates: list[Any]) -> Iterator[Finding]:
    """validateSchedulingGates: gate names are qualified names, each used once."""
    seen: set[str] = set()
    for i, gate in enumerate(gates):
        name = as_dict(gate).get("name")
        if isinstance(name, str) and (errs := qualified_name_errors(name)):
            yield finding("CG-POD-011", pt.owner, f"{fld}[{i}]: Invalid value: {name!r}: {errs[0]}",
                          field=f"{fld}[{i}]")
        elif isinstance(name, str) and name in seen:
            yield finding("CG-POD-011", pt.owner, f"{fld}[{i}]: Duplicate value: {name!r}", field=f"{fld}[{i}]")
        seen.add(str(name))


def _dns_config(pt: PodTemplate, fld: str, cfg: dict[str, Any]) -> Iterator[Finding]:
    """validatePodDNSConfig: at most 3 nameservers (IPs), 32 search domains (DNS subdomains), named options."""
    servers = as_list(cfg.get("nameservers"))
    if len(servers) > 3:
        yield finding("CG-POD-011", pt.owner, f"{fld}.nameservers: Invalid value: must not have more than 3 "
                      "nameservers", field=f"{fld}.nameservers")
    for i, ip in enumerate(servers):
        if isinstance(ip, str) and not is_ip(ip):
            yield finding("CG-POD-011", pt.owner, f"{fld}.nameservers[{i}]: Invalid value: {ip!r}: must be a valid "
                          "IP address", field=f"{fld}.nameservers[{i}]")
    searches = as_list(cfg.get("searches"))
    if len(searches) > 32:
        yield finding("CG-POD-011", pt.owner, f"{fld}.searches: Invalid value: must not have more than 32 search "
                      "paths", field=f"{fld}.searches")
    for i, domain in enumerate(searches):
        if isinstance(domain, str) and domain != "." and _subdomain_errors(domain.removesuffix(".")):
            yield finding("CG-POD-011", pt.owner, f"{fld}.searches[{i}]: Invalid value: {domain!r}: "
                          f"{_subdomain_errors(domain.removesuffix('.'))}", field=f"{fld}.searches[{i}]")
    for i, option in enumerate(as_list(cfg.get("options"))):
        if not as_dict(option).get("name"):
            yield finding("CG-POD-011", pt.owner, f"{fld}.options[{i}].name: Required value: Option.Name must not be "
                          "empty", field=f"{fld}.options[{i}].name")


def _host_aliases(pt: PodTemplate, fld: str, aliases: list[Any]) -> Iterator[Finding]:
    """ValidateHostAliases: ip is a valid IP, every hostname a DNS-1123 subdomain."""
    for i, alias in enumerate(aliases):
        alias = as_dict(alias)
        ip = alias.get("ip")
        if isinstance(ip, str) and not is_ip(ip):
            yield finding("CG-POD-011", pt.owner, f"{fld}[{i}].ip: Invalid value: {ip!r}: must be a valid IP address",
                          field=f"{fld}[{i}].ip")
        for j, host in enumerate(as_list(alias.get("hostnames"))):
            if isinstance(host, str) and (problem := _subdomain_errors(host)):
                yield finding("CG-POD-011", pt.owner, f"{fld}[{i}].hostnames[{j}]: Invalid value: {host!r}: {problem}",
                              field=f"{fld}[{i}].hostnames[{j}]")


SYSCTL_NAME = re.compile(r"^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$")


def _pod_identity(pt: PodTemplate, base: str, spec: dict[str, Any]) -> Iterator[Finding]:
    """ValidatePodSpec / validateHostUsers / validateSysctls / validateReadinessGates: the service account name, a
    user namespace without host namespaces, sysctl names, fsGroupChangePolicy, readiness gate condition types."""
    sa = spec.get("serviceAccountName")
    if isinstance(sa, str) and sa and (problem := _subdomain_errors(sa)):
        yield finding("CG-POD-011", pt.owner, f"{base}.serviceAccountName: Invalid value: {sa!r}: {problem}",
                      field=f"{base}.serviceAccountName")
    if spec.get("hostUsers") is False:
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(key) is True:
                yield finding("CG-POD-011", pt.owner, f"{base}.{key}: Forbidden: when `hostUsers` is false, `{key}` "
                              "must be false", field=f"{base}.{key}")
    sc = as_dict(spec.get("securityContext"))
    yield from _enum(pt, f"{base}.securityContext.fsGroupChangePolicy", sc.get("fsGroupChangePolicy"),
                     ("OnRootMismatch", "Always"))
    names: set[str] = set()
    for i, sysctl in enumerate(as_list(sc.get("sysctls"))):
        name = as_dict(sysctl).get("name")
        fld = f"{base}.securityContext.sysctls[{i}].name"
        if isinstance(name, str) and (len(name) > 253 or not SYSCTL_NAME.match(name)):
            yield finding("CG-POD-011", pt.owner, f"{fld}: Invalid value: {name!r}: must have at most 253 characters "
                          "and match the sysctl name syntax (e.g. net.ipv4.tcp_syncookies)", field=fld)
        elif name in names:
            yield finding("CG-POD-011", pt.owner, f"{fld}: Duplicate value: {name!r}", field=fld)
        names.add(str(name))
    for i, gate in enumerate(as_list(spec.get("readinessGates"))):
        ctype = as_dict(gate).get("conditionType")
        fld = f"{base}.readinessGates[{i}].conditionType"
        if isinstance(ctype, str) and (errs := qualified_name_errors(ctype)):
            yield finding("CG-POD-011", pt.owner, f"{fld}: Invalid value: {ctype!r}: {errs[0]}", field=fld)


def _container_security(pt: PodTemplate, c: Container) -> Iterator[Finding]:
    """ValidateSecurityContext / validateResizePolicy: allowPrivilegeEscalation false contradicts privileged and
    CAP_SYS_ADMIN; procMount and resize policies are closed sets."""
    sc, fld = as_dict(c.obj.get("securityContext")), f"{c.path}.securityContext"
    if sc.get("allowPrivilegeEscalation") is False:
        if sc.get("privileged") is True:
            yield finding("CG-POD-011", pt.owner, f"{fld}: Invalid value: cannot set `allowPrivilegeEscalation` to "
                          "false and `privileged` to true", field=f"{fld}.allowPrivilegeEscalation")
        if "CAP_SYS_ADMIN" in as_list(as_dict(sc.get("capabilities")).get("add")):
            yield finding("CG-POD-011", pt.owner, f"{fld}: Invalid value: cannot set `allowPrivilegeEscalation` to "
                          "false and `capabilities.Add` CAP_SYS_ADMIN", field=f"{fld}.allowPrivilegeEscalation")
    yield from _enum(pt, f"{fld}.procMount", sc.get("procMount"), ("Default", "Unmasked"))
    seen: set[str] = set()
    for i, policy in enumerate(as_list(c.obj.get("resizePolicy"))):
        policy, pfld = as_dict(policy), f"{c.path}.resizePolicy[{i}]"
        yield from _enum(pt, f"{pfld}.resourceName", policy.get("resourceName"), ("cpu", "memory"))
        yield from _enum(pt, f"{pfld}.restartPolicy", policy.get("restartPolicy"), ("NotRequired", "RestartContainer"))
        if str(policy.get("resourceName")) in seen:
            yield finding("CG-POD-011", pt.owner, f"{pfld}.resourceName: Duplicate value: "
                          f"{policy.get('resourceName')!r}", field=f"{pfld}.resourceName")
        seen.add(str(policy.get("resourceName")))


WINDOWS_FORBIDDEN_POD = ("hostPID", "hostIPC", "shareProcessNamespace")
WINDOWS_FORBIDDEN_POD_SC = ("seLinuxOptions", "seccompProfile", "appArmorProfile", "fsGroup", "fsGroupChangePolicy",
                            "sysctls", "runAsUser", "runAsGroup", "supplementalGroups", "supplementalGroupsPolicy")
WINDOWS_FORBIDDEN_SC = ("seLinuxOptions", "seccompProfile", "appArmorProfile", "capabilities",
                        "readOnlyRootFilesystem", "privileged", "allowPrivilegeEscalation", "procMount", "runAsUser",
                        "runAsGroup")


def _os_fields(pt: PodTemplate, base: str, spec: dict[str, Any]) -> Iterator[Finding]:
    """validateOS / validateLinux / validateWindows: with spec.os.name set, the other OS's security fields are
    forbidden (windowsOptions under linux; SELinux, seccomp, users, capabilities, ... under windows)."""
    os_name = as_dict(spec.get("os")).get("name")
    if os_name not in ("linux", "windows"):
        return
    pod_sc = as_dict(spec.get("securityContext"))
    contexts = [(f"{base}.securityContext", pod_sc, WINDOWS_FORBIDDEN_POD_SC)]
    contexts += [(f"{c.path}.securityContext", as_dict(c.obj.get("securityContext")), WINDOWS_FORBIDDEN_SC)
                 for c in _all_containers(pt)]
    if os_name == "linux":
        for fld, sc, _ in contexts:
            if sc.get("windowsOptions") is not None:
                yield finding("CG-POD-011", pt.owner, f"{fld}.windowsOptions: Forbidden: may not be set for a linux "
                              "pod", field=f"{fld}.windowsOptions")
        return
    for key in WINDOWS_FORBIDDEN_POD:
        if spec.get(key) is True:
            yield finding("CG-POD-011", pt.owner, f"{base}.{key}: Forbidden: may not be set for a windows pod",
                          field=f"{base}.{key}")
    for fld, sc, keys in contexts:
        for key in keys:
            if sc.get(key) is not None:
                yield finding("CG-POD-011", pt.owner, f"{fld}.{key}: Forbidden: may not be set for a windows pod",
                              field=f"{fld}.{key}")


HOST_PATH_TYPES = ("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
                   "BlockDevice")
MAX_ID = 2147483647


def _affinity(pt: PodTemplate, fld: str, affinity: dict[str, Any]) -> Iterator[Finding]:
    node = as_dict(affinity.get("nodeAffinity"))
    required = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, dict) and not as_list(required.get("nodeSelectorTerms")):
        path = f"{fld}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        yield finding("CG-POD-011", pt.owner, f"{path}: Required value: must have at least one node selector term",
                      field=path)
    for i, term in enumerate(as_list(node.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        yield from _weight(pt, f"{fld}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}]",
                           as_dict(term))
    for kind in ("podAffinity", "podAntiAffinity"):
        section = as_dict(affinity.get(kind))
        for i, term in enumerate(as_list(section.get("requiredDuringSchedulingIgnoredDuringExecution"))):
            path = f"{fld}.{kind}.requiredDuringSchedulingIgnoredDuringExecution[{i}].topologyKey"
            if not as_dict(term).get("topologyKey"):
                yield finding("CG-POD-011", pt.owner, f"{path}: Required value: can not be empty", field=path)
        for i, term in enumerate(as_list(section.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            path = f"{fld}.{kind}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
            yield from _weight(pt, path, as_dict(term))
            if not as_dict(as_dict(term).get("podAffinityTerm")).get("topologyKey"):
                yield finding("CG-POD-011", pt.owner, f"{path}.podAffinityTerm.topologyKey: Required value: can not "
                              "be empty", field=f"{path}.podAffinityTerm.topologyKey")


def _weight(pt: PodTemplate, fld: str, term: dict[str, Any]) -> Iterator[Finding]:
    weight = strict_int(term.get("weight"))
    if weight is not None and not 1 <= weight <= 100:
        yield finding("CG-POD-011", pt.owner, f"{fld}.weight: Invalid value: {weight}: must be in the range 1-100",
                      field=f"{fld}.weight")


def _pod_security(pt: PodTemplate, base: str, spec: dict[str, Any]) -> Iterator[Finding]:
    if spec.get("shareProcessNamespace") is True and spec.get("hostPID") is True:
        yield finding("CG-POD-011", pt.owner, f"{base}.securityContext.shareProcessNamespace: Invalid value: true: "
                      "ShareProcessNamespace and HostPID cannot both be enabled", field=f"{base}.shareProcessNamespace")
    contexts = [(f"{base}.securityContext", as_dict(spec.get("securityContext")))]
    contexts += [(f"{c.path}.securityContext", as_dict(c.obj.get("securityContext"))) for c in _all_containers(pt)]
    for fld, sc in contexts:
        for key in ("runAsUser", "runAsGroup", "fsGroup"):
            val = strict_int(sc.get(key))
            if val is not None and not 0 <= val <= MAX_ID:
                yield finding("CG-POD-011", pt.owner, f"{fld}.{key}: Invalid value: {val}: must be between 0 and "
                              f"{MAX_ID}, inclusive", field=f"{fld}.{key}")
        yield from _enum(pt, f"{fld}.appArmorProfile.type", as_dict(sc.get("appArmorProfile")).get("type"),
                         ("RuntimeDefault", "Unconfined", "Localhost"))
    active = strict_int(spec.get("activeDeadlineSeconds"))
    if active is not None and active <= 0:
        yield finding("CG-POD-011", pt.owner, f"{base}.activeDeadlineSeconds: Invalid value: {active}: must be "
                      "between 1 and 2147483647, inclusive", field=f"{base}.activeDeadlineSeconds")


def _enum(pt: PodTemplate, fld: str, value: Any, allowed: tuple[str, ...]) -> Iterator[Finding]:
    if value is not None and value not in allowed:
        yield finding("CG-POD-011", pt.owner, f"{fld}: Unsupported value: {value!r}: supported values: "
                      + ", ".join(f'"{a}"' for a in allowed), field=fld)


def _seccomp(pt: PodTemplate, fld: str, sc: dict[str, Any]) -> Iterator[Finding]:
    profile = sc.get("seccompProfile")
    if not isinstance(profile, dict):
        return
    yield from _enum(pt, f"{fld}.seccompProfile.type", profile.get("type"), SECCOMP_TYPES)
    if profile.get("type") == "Localhost" and not profile.get("localhostProfile"):
        yield finding("CG-POD-011", pt.owner, f"{fld}.seccompProfile.localhostProfile: Required value: must be set "
                      "when seccomp type is Localhost", field=f"{fld}.seccompProfile")
    elif profile.get("type") in ("RuntimeDefault", "Unconfined") and profile.get("localhostProfile"):
        yield finding("CG-POD-011", pt.owner, f"{fld}.seccompProfile.localhostProfile: Invalid value: can only be "
                      "set when seccomp type is Localhost", field=f"{fld}.seccompProfile")


def _toleration(pt: PodTemplate, fld: str, t: dict[str, Any]) -> Iterator[Finding]:
    op = t.get("operator", "Equal")
    yield from _enum(pt, f"{fld}.operator", op, TOLERATION_OPERATORS)
    if op == "Exists" and t.get("value") not in (None, ""):
        yield finding("CG-POD-011", pt.owner, f"{fld}.operator: Invalid value: \"Exists\": value must be empty when "
                      "`operator` is 'Exists'", field=f"{fld}.value")
    if not t.get("key") and op != "Exists":
        yield finding("CG-POD-011", pt.owner, f"{fld}.operator: Invalid value: {op!r}: operator must be Exists when "
                      "`key` is empty, which means \"match all values and all keys\"", field=f"{fld}.operator")
    if t.get("tolerationSeconds") is not None and t.get("effect") not in (None, "", "NoExecute"):
        yield finding("CG-POD-011", pt.owner, f"{fld}.effect: Invalid value: {t.get('effect')!r}: effect must be "
                      "'NoExecute' when `tolerationSeconds` is set", field=f"{fld}.effect")
    if t.get("effect") not in (None, ""):
        yield from _enum(pt, f"{fld}.effect", t.get("effect"), TAINT_EFFECTS)


def _spread(pt: PodTemplate, fld: str, tsc: dict[str, Any]) -> Iterator[Finding]:
    skew = strict_int(tsc.get("maxSkew"))
    if skew is not None and skew <= 0:
        yield finding("CG-POD-011", pt.owner, f"{fld}.maxSkew: Invalid value: {skew}: must be greater than zero",
                      field=f"{fld}.maxSkew")
    if "topologyKey" in tsc and not tsc.get("topologyKey"):
        yield finding("CG-POD-011", pt.owner, f"{fld}.topologyKey: Required value: can not be empty",
                      field=f"{fld}.topologyKey")
    yield from _enum(pt, f"{fld}.whenUnsatisfiable", tsc.get("whenUnsatisfiable"), UNSATISFIABLE)
    min_domains = tsc.get("minDomains")
    if min_domains is not None and tsc.get("whenUnsatisfiable") != "DoNotSchedule":
        yield finding("CG-POD-011", pt.owner, f"{fld}.minDomains: Invalid value: {min_domains}: can only use "
                      "minDomains if whenUnsatisfiable=DoNotSchedule", field=f"{fld}.minDomains")
    if (md := strict_int(min_domains)) is not None and md <= 0:
        yield finding("CG-POD-011", pt.owner, f"{fld}.minDomains: Invalid value: {md}: must be greater than 0",
                      field=f"{fld}.minDomains")
    for policy in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
        yield from _enum(pt, f"{fld}.{policy}", tsc.get(policy), ("Honor", "Ignore"))


def _spread_repeats(pt: PodTemplate, fld: str, spreads: list[dict[str, Any]]) -> Iterator[Finding]:
    """ValidateSpreadConstraintNotRepeat: {topologyKey, whenUnsatisfiable} names one kind of constraint, so a pair
    may appear once (reported at the first of the repeated entries, as the API server does)."""
    for i, tsc in enumerate(spreads):
        pair = (tsc.get("topologyKey"), tsc.get("whenUnsatisfiable"))
        if any((other.get("topologyKey"), other.get("whenUnsatisfiable")) == pair for other in spreads[i + 1:]):
            path = f"{fld}[{i}].{{topologyKey, whenUnsatisfiable}}"
            yield finding("CG-POD-011", pt.owner, f"{path}: Duplicate value: \"{pair[0]}, {pair[1]}\"",
                          field=f"{fld}[{i}]")


@rule("CG-POD-012", E, "Container requires a non-root user but runs as UID 0", LAYER,
      why="With runAsNonRoot: true and an effective runAsUser of 0 the kubelet refuses to start the container "
          "(CreateContainerConfigError: `container's runAsUser breaks non-root policy`), so the pod never runs.",
      fix="set runAsUser to a non-zero UID (e.g. 10001), or drop runAsUser: 0",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    securityContext: {runAsNonRoot: true, runAsUser: 0}
""")
def non_root_conflict(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt, base in _templates(index):
        pod_sc = as_dict(as_dict(pt.spec).get("securityContext"))
        for c in containers(pt):
            sc = as_dict(c.obj.get("securityContext"))
            non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
            user = strict_int(sc.get("runAsUser", pod_sc.get("runAsUser")))
            if non_root is True and user == 0:
                where = f"{c.path}.securityContext" if "runAsUser" in sc else f"{base}.securityContext"
                yield finding("CG-POD-012", pt.owner, f"{c.what}: runAsNonRoot is true but the effective runAsUser is "
                              "0; the kubelet refuses to start it", field=f"{where}.runAsUser")


def _config_keys(doc: Document) -> set[str]:
    keys: set[str] = set()
    for section in ("data", "binaryData", "stringData"):
        keys |= {str(k) for k in as_dict(doc.obj.get(section))}
    return keys


def _config_refs(pt: PodTemplate) -> Iterator[tuple[str, str, str | None, bool, str]]:
    """(kind, name, key or None, optional, field) of every ConfigMap/Secret the pod template reads."""
    for c in containers(pt):
        for i, env in enumerate(as_list(c.obj.get("env"))):
            vf = as_dict(as_dict(env).get("valueFrom"))
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = as_dict(vf.get(key))
                if ref.get("name") and ref.get("key"):
                    yield (kind, str(ref["name"]), str(ref["key"]), ref.get("optional") is True,
                           f"{c.path}.env[{i}].valueFrom.{key}")
        for i, ef in enumerate(as_list(c.obj.get("envFrom"))):
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = as_dict(as_dict(ef).get(key))
                if ref.get("name"):
                    yield kind, str(ref["name"]), None, ref.get("optional") is True, f"{c.path}.envFrom[{i}].{key}"
    base = pod_spec_field(pt)
    for i, v in enumerate(as_list(as_dict(pt.spec).get("volumes"))):
        v = as_dict(v)
        sources = [(as_dict(v.get("configMap")), "ConfigMap", "name", f"{base}.volumes[{i}].configMap"),
                   (as_dict(v.get("secret")), "Secret", "secretName", f"{base}.volumes[{i}].secret")]
        for j, s in enumerate(as_list(as_dict(v.get("projected")).get("sources"))):
            sources.append((as_dict(as_dict(s).get("configMap")), "ConfigMap", "name",
                            f"{base}.volumes[{i}].projected.sources[{j}].configMap"))
            sources.append((as_dict(as_dict(s).get("secret")), "Secret", "name",
                            f"{base}.volumes[{i}].projected.sources[{j}].secret"))
        for src, kind, name_key, fld in sources:
            if not src.get(name_key):
                continue
            optional = src.get("optional") is True
            items = [as_dict(item) for item in as_list(src.get("items"))]
            if not items:
                yield kind, str(src[name_key]), None, optional, fld
            for k, item in enumerate(items):
                if item.get("key"):
                    yield kind, str(src[name_key]), str(item["key"]), optional, f"{fld}.items[{k}].key"


@rule("CG-POD-013", E, "Pod reads a key that the rendered ConfigMap/Secret does not have (or an object that is "
      "not rendered)", "cross",
      why="The kubelet resolves configMapKeyRef/secretKeyRef, envFrom and configMap/secret volumes before starting "
          "the container: a missing key (`couldn't find key X in ConfigMap`) or object leaves the pod in "
          "CreateContainerConfigError / ContainerCreating forever unless the reference is optional. A key missing "
          "from an object the chart renders is certain (error); a ConfigMap the render does not contain may be "
          "created by someone else (warning); Secrets missing from the render are not judged (existingSecret).",
      fix="add the key to the ConfigMap/Secret (same name helper in both templates), fix the key, or mark the "
          "reference optional: true",
      example="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data: {MODE: prod}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    env:
    - name: MODE
      valueFrom:
        configMapKeyRef: {name: web, key: mode}
""")
def config_references(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        ns = index.namespace_of(pt.owner)
        for kind, name, key, optional, fld in _config_refs(pt):
            if optional:
                continue
            target = index.get(kind, name, ns)
            if target is None:
                if kind == "ConfigMap":  # Secrets are often made by other tools (existingSecret): not judged
                    yield finding("CG-POD-013", pt.owner, f"{fld}: ConfigMap {name!r} is not in the rendered "
                                  "manifests; the pod cannot start until it exists", field=fld, severity=W)
                continue
            if key is not None and key not in _config_keys(target):
                keys = sorted(_config_keys(target))
                yield finding("CG-POD-013", pt.owner, f"{fld}: {kind} {name} has no key {key!r} (keys: "
                              f"{', '.join(keys[:8]) or 'none'}{', ...' if len(keys) > 8 else ''}); the container "
                              "cannot start", field=fld)
