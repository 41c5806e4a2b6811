"""Shapes (JSON Schema) of the pod and traffic settings `helm create` offers, inlined so that values.schema.json
carries them too (a `$ref` into spec.types.json would not resolve there)."""

from __future__ import annotations

from typing import Any

STRING: dict[str, Any] = {"type": "string"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
STRING_MAP: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
UID: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 2147483647}
LABEL_NAME: dict[str, Any] = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63}
SUBDOMAIN: dict[str, Any] = {"type": "string", "maxLength": 253,
                             "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"}
QUANTITY: dict[str, Any] = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$"}
ABS_PATH: dict[str, Any] = {"type": "string", "pattern": "^/"}
MODE: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 511}
HOST: dict[str, Any] = {"type": "string",
                        "pattern": "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"}
PORT_OR_NAME: dict[str, Any] = {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 65535},
                                          {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                                           "maxLength": 15}]}


def closed(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        out["required"] = required
    return out | extra


def array(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items} | extra


def _d(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return schema | {"description": description}


SECCOMP = closed({"type": _d({"enum": ["RuntimeDefault", "Localhost", "Unconfined"]}, "Seccomp profile type."),
                  "localhostProfile": _d(STRING, "Localhost profile path.")}, ["type"])
SECCOMP_D = _d(SECCOMP, "Seccomp profile (RuntimeDefault unless overridden).")
NON_ROOT = _d(BOOLEAN, "Refuse to start a container running as root.")
USER = _d(UID, "User id the processes run as.")
GROUP = _d(UID, "Primary group id of the processes.")
POD_SECURITY_CONTEXT = closed({
    "runAsNonRoot": NON_ROOT, "runAsUser": USER, "runAsGroup": GROUP,
    "fsGroup": _d(UID, "Group owning mounted volumes."),
    "fsGroupChangePolicy": _d({"enum": ["Always", "OnRootMismatch"]}, "When volume ownership is changed."),
    "supplementalGroups": _d(array(UID), "Extra group ids."), "seccompProfile": SECCOMP_D,
    "sysctls": _d(array(closed({"name": STRING, "value": STRING}, ["name", "value"])), "Namespaced sysctls."),
})
CAPABILITY = {"type": "string", "pattern": "^[A-Z_]+$"}
SECURITY_CONTEXT = closed({
    "allowPrivilegeEscalation": _d(BOOLEAN, "Allow gaining more privileges than the parent process."),
    "readOnlyRootFilesystem": _d(BOOLEAN, "Mount the root filesystem read-only."),
    "runAsNonRoot": NON_ROOT, "runAsUser": USER, "runAsGroup": GROUP,
    "privileged": _d(BOOLEAN, "Run privileged (host root)."), "seccompProfile": SECCOMP_D,
    "capabilities": _d(closed({"add": _d(array(CAPABILITY), "Capabilities added."),
                               "drop": _d(array(CAPABILITY), "Capabilities dropped (ALL by default).")}),
                       "Linux capabilities."),
})
HARDENED_POD = {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                "seccompProfile": {"type": "RuntimeDefault"}}
HARDENED_CONTAINER = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                      "runAsUser": 10001, "runAsGroup": 10001, "privileged": False,
                      "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}

KEY_TO_PATH = array(closed({"key": {"type": "string", "minLength": 1}, "path": STRING, "mode": MODE},
                           ["key", "path"]))
CLAIM_SPEC = closed({
    "accessModes": array({"enum": ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]},
                         minItems=1),
    "storageClassName": STRING, "volumeMode": {"enum": ["Filesystem", "Block"]},
    "resources": closed({"requests": closed({"storage": QUANTITY}, ["storage"])}, ["requests"]),
}, ["accessModes", "resources"])
EPHEMERAL = closed({"volumeClaimTemplate": closed({
    "metadata": closed({"labels": STRING_MAP, "annotations": STRING_MAP}), "spec": CLAIM_SPEC}, ["spec"])},
    ["volumeClaimTemplate"])
CSI = closed({"driver": {"type": "string", "minLength": 1}, "readOnly": BOOLEAN, "fsType": STRING,
              "volumeAttributes": STRING_MAP, "nodePublishSecretRef": closed({"name": SUBDOMAIN}, ["name"])},
             ["driver"])
DOWNWARD_FILE = closed({
    "path": {"type": "string", "minLength": 1, "pattern": "^[^/]"}, "mode": MODE,
    "fieldRef": closed({"fieldPath": {"type": "string", "minLength": 1}, "apiVersion": STRING}, ["fieldPath"]),
    "resourceFieldRef": closed({"resource": {"type": "string", "minLength": 1}, "containerName": STRING,
                                "divisor": QUANTITY}, ["resource"]),
}, ["path"], minProperties=2, maxProperties=3)
PROJECTION = closed({
    "serviceAccountToken": _d(closed({
        "audience": _d(STRING, "Who the token is for (default: the API server)."),
        "expirationSeconds": _d({"type": "integer", "minimum": 600, "maximum": 4294967296},
                                "Token lifetime in seconds (at least 600, the kubelet refreshes it)."),
        "path": _d({"type": "string", "minLength": 1, "pattern": "^[^/]"}, "File name in the volume.")},
        ["path"]), "A bound ServiceAccount token."),
    "configMap": closed({"name": SUBDOMAIN, "items": KEY_TO_PATH, "optional": BOOLEAN}, ["name"]),
    "secret": closed({"name": SUBDOMAIN, "items": KEY_TO_PATH, "optional": BOOLEAN}, ["name"]),
    "downwardAPI": closed({"items": array(DOWNWARD_FILE, minItems=1)}, ["items"]),
    "clusterTrustBundle": {"type": "object"},
}, minProperties=1, maxProperties=1)
VOLUME_SOURCES: dict[str, Any] = {
    "emptyDir": closed({"medium": {"enum": ["", "Memory"]}, "sizeLimit": QUANTITY}),
    "configMap": closed({"name": SUBDOMAIN, "items": KEY_TO_PATH, "defaultMode": MODE, "optional": BOOLEAN},
                        ["name"]),
    "secret": closed({"secretName": SUBDOMAIN, "items": KEY_TO_PATH, "defaultMode": MODE, "optional": BOOLEAN},
                     ["secretName"]),
    "persistentVolumeClaim": closed({"claimName": SUBDOMAIN, "readOnly": BOOLEAN}, ["claimName"]),
    "projected": closed({"sources": array(PROJECTION, minItems=1), "defaultMode": MODE}, ["sources"]),
    "ephemeral": EPHEMERAL, "csi": CSI,
}
VOLUME = closed({"name": LABEL_NAME, **VOLUME_SOURCES}, ["name"], minProperties=2, maxProperties=2,
                description="A pod volume: its name and exactly one source (emptyDir, configMap, secret, "
                            "persistentVolumeClaim, projected, ephemeral, csi).")
VOLUME_MOUNT = closed({"name": LABEL_NAME, "mountPath": ABS_PATH, "subPath": STRING, "readOnly": BOOLEAN},
                      ["name", "mountPath"])
TOLERATION = closed({"key": STRING, "operator": {"enum": ["Exists", "Equal"]}, "value": STRING,
                     "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
                     "tolerationSeconds": {"type": "integer", "minimum": 0}})
AFFINITY = closed({"nodeAffinity": _d({"type": "object"}, "Node affinity (Kubernetes' NodeAffinity)."),
                   "podAffinity": _d({"type": "object"}, "Pod affinity (Kubernetes' PodAffinity)."),
                   "podAntiAffinity": _d({"type": "object"}, "Pod anti-affinity (Kubernetes' PodAntiAffinity).")})
TOPOLOGY_SPREAD = closed({
    "maxSkew": {"type": "integer", "minimum": 1}, "topologyKey": {"type": "string", "minLength": 1},
    "whenUnsatisfiable": {"enum": ["DoNotSchedule", "ScheduleAnyway"]}, "minDomains": {"type": "integer",
                                                                                         "minimum": 1},
    "labelSelector": {"type": "object"}, "matchLabelKeys": array(STRING),
    "nodeAffinityPolicy": {"enum": ["Honor", "Ignore"]}, "nodeTaintsPolicy": {"enum": ["Honor", "Ignore"]},
}, ["maxSkew", "topologyKey", "whenUnsatisfiable"])
PULL_SECRET = closed({"name": SUBDOMAIN}, ["name"])

INGRESS_PATH = closed({"path": ABS_PATH, "pathType": {"enum": ["Prefix", "Exact", "ImplementationSpecific"]},
                       "port": PORT_OR_NAME}, ["path"])
INGRESS_HOST = closed({"host": HOST, "paths": array(INGRESS_PATH, minItems=1)}, ["host"])
INGRESS_TLS = closed({"secretName": SUBDOMAIN, "hosts": array(HOST)}, ["secretName"])
PARENT_REF = closed({"name": SUBDOMAIN, "namespace": LABEL_NAME, "sectionName": LABEL_NAME,
                     "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                     "group": STRING, "kind": STRING}, ["name"])
ROUTE_MATCH = closed({
    "path": closed({"type": {"enum": ["PathPrefix", "Exact", "RegularExpression"]}, "value": ABS_PATH}),
    "headers": array(closed({"type": {"enum": ["Exact", "RegularExpression"]}, "name": STRING, "value": STRING},
                            ["name", "value"])),
    "queryParams": array(closed({"type": {"enum": ["Exact", "RegularExpression"]}, "name": STRING,
                                 "value": STRING}, ["name", "value"])),
    "method": {"enum": ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]},
})
HEADER_VALUE = closed({"name": {"type": "string", "minLength": 1, "maxLength": 256}, "value": STRING},
                      ["name", "value"])
HEADER_MODIFIER = closed({"set": array(HEADER_VALUE, maxItems=16), "add": array(HEADER_VALUE, maxItems=16),
                          "remove": array({"type": "string", "minLength": 1}, maxItems=16)}, minProperties=1)
PATH_MODIFIER = closed({"type": {"enum": ["ReplaceFullPath", "ReplacePrefixMatch"]}, "replaceFullPath": ABS_PATH,
                        "replacePrefixMatch": ABS_PATH}, ["type"])
ROUTE_FILTER = closed({
    "type": _d({"enum": ["RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite",
                         "RequestMirror", "ExtensionRef"]}, "The filter; give only its own field."),
    "requestHeaderModifier": HEADER_MODIFIER, "responseHeaderModifier": HEADER_MODIFIER,
    "requestRedirect": closed({"scheme": {"enum": ["http", "https"]}, "hostname": HOST, "path": PATH_MODIFIER,
                               "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                               "statusCode": {"enum": [301, 302]}}),
    "urlRewrite": closed({"hostname": HOST, "path": PATH_MODIFIER}),
    "requestMirror": {"type": "object"}, "extensionRef": {"type": "object"},
}, ["type"])
GATEWAY_DURATION = {"type": "string", "pattern": "^([0-9]{1,5}(h|m|s|ms)){1,4}$"}
ROUTE_RULE = closed({"matches": array(ROUTE_MATCH, maxItems=64), "filters": array(ROUTE_FILTER, maxItems=16),
                     "timeouts": closed({"request": _d(GATEWAY_DURATION, "Whole request (0s: none)."),
                                         "backendRequest": _d(GATEWAY_DURATION, "One backend attempt; at most "
                                                                                "request.")})})
GRPC_ROUTE_MATCH = closed({
    "method": closed({"type": {"enum": ["Exact", "RegularExpression"]}, "service": STRING, "method": STRING}),
    "headers": ROUTE_MATCH["properties"]["headers"],
})
GRPC_ROUTE_RULE = closed({"matches": array(GRPC_ROUTE_MATCH, maxItems=64), "filters": array({"type": "object"})})

ENV_NAME = {"pattern": "^[-._a-zA-Z][-._a-zA-Z0-9]*$"}
KEY_REF = closed({"name": SUBDOMAIN, "key": {"type": "string", "minLength": 1}, "optional": BOOLEAN},
                 ["name", "key"])
ENV_SOURCE = closed({
    "secretKeyRef": KEY_REF, "configMapKeyRef": KEY_REF,
    "fieldRef": closed({"fieldPath": {"type": "string", "minLength": 1}, "apiVersion": STRING}, ["fieldPath"]),
    "resourceFieldRef": closed({"resource": {"enum": ["limits.cpu", "limits.memory", "limits.ephemeral-storage",
                                                      "requests.cpu", "requests.memory",
                                                      "requests.ephemeral-storage"]},
                                "divisor": QUANTITY, "containerName": STRING}, ["resource"]),
}, minProperties=1, maxProperties=1)
ENV_MAP: dict[str, Any] = {"type": "object", "propertyNames": ENV_NAME,
                           "additionalProperties": {"oneOf": [{"type": "string"}, ENV_SOURCE]}}
NAME_REF = closed({"name": SUBDOMAIN, "optional": BOOLEAN}, ["name"])
ENV_FROM = closed({"secretRef": NAME_REF, "configMapRef": NAME_REF,
                   "prefix": {"type": "string", "pattern": ENV_NAME["pattern"]}},
                  minProperties=1)
STRINGS = array(STRING)
IMAGE_REF: dict[str, Any] = {"type": "string", "minLength": 1,
                             "pattern": "^[a-z0-9][a-z0-9._/:-]*[a-z0-9](:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|"
                                        "@sha256:[a-f0-9]{64})$"}
HANDLER = closed({
    "exec": _d(closed({"command": _d(array(STRING, minItems=1), "Command and arguments (no shell).")},
                      ["command"]), "Run a command in the container."),
    "httpGet": _d(closed({"path": _d(ABS_PATH, "Request path."), "port": _d(PORT_OR_NAME, "Container port."),
                          "scheme": _d({"enum": ["HTTP", "HTTPS"]}, "HTTP or HTTPS.")}, ["port"]),
                  "Send an HTTP GET to the container."),
    "sleep": _d(closed({"seconds": _d({"type": "integer", "minimum": 1}, "Seconds to wait.")}, ["seconds"]),
                "Wait (Kubernetes >= 1.30), e.g. while endpoints drain."),
}, minProperties=1, maxProperties=1)
RESOURCE_LIST: dict[str, Any] = {"type": "object", "additionalProperties": {"type": ["string", "number"]}}
RESOURCES: dict[str, Any] = closed({"requests": RESOURCE_LIST, "limits": RESOURCE_LIST})
CONTAINER_PORT = closed({"containerPort": {"type": "integer", "minimum": 1, "maximum": 65535},
                         "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 15},
                         "protocol": {"enum": ["TCP", "UDP", "SCTP"]}}, ["containerPort"])


def container(sidecar: bool) -> dict[str, Any]:
    """An init container or a sidecar: its own image, command, env and mounts; hardened like the main one."""
    props: dict[str, Any] = {
        "name": LABEL_NAME, "image": IMAGE_REF, "imagePullPolicy": {"enum": ["IfNotPresent", "Always", "Never"]},
        "command": STRINGS, "args": STRINGS, "env": ENV_MAP, "envFrom": array(ENV_FROM),
        "volumeMounts": array(VOLUME_MOUNT), "resources": RESOURCES, "securityContext": SECURITY_CONTEXT,
    }
    if sidecar:
        props |= {"ports": array(CONTAINER_PORT), "readinessProbe": {"type": "object"},
                  "livenessProbe": {"type": "object"}, "startupProbe": {"type": "object"}}
    return closed(props, ["name", "image"])


SERVICE_MONITOR_DURATION: dict[str, Any] = {"type": "string", "pattern": "^([0-9]+(ms|s|m|h))+$"}

HOST_ALIAS = closed({"ip": {"type": "string", "minLength": 1},
                     "hostnames": {"type": "array", "minItems": 1, "items": HOST}}, ["ip", "hostnames"])
DNS_CONFIG = closed({
    "nameservers": _d({"type": "array", "maxItems": 3, "items": {"type": "string", "minLength": 1}},
                      "Nameserver IP addresses (at most 3), added to the policy's."),
    "searches": _d({"type": "array", "maxItems": 32, "items": {"type": "string", "minLength": 1, "maxLength": 253}},
                   "DNS search domains, added to the policy's."),
    "options": _d(array(closed({"name": {"type": "string", "minLength": 1}, "value": STRING}, ["name"])),
                  "resolv.conf options, e.g. [{name: ndots, value: \"2\"}]."),
})

# -- issue 25: network policy peers and egress, volume sources, persistence, the migration hook ------------------

LABEL_SELECTOR = closed({
    "matchLabels": _d(STRING_MAP, "Labels a pod (or namespace) must carry."),
    "matchExpressions": _d(array(closed({"key": {"type": "string", "minLength": 1},
                                         "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                                         "values": STRINGS}, ["key", "operator"])), "Set-based requirements."),
})
CIDR_TEXT: dict[str, Any] = {"type": "string", "pattern": "^[0-9a-fA-F.:]+/[0-9]{1,3}$"}
NETPOL_PEER = closed({
    "podSelector": _d(LABEL_SELECTOR, "Pods (in the policy's namespace, or in namespaceSelector's)."),
    "namespaceSelector": _d(LABEL_SELECTOR, "Namespaces, e.g. {matchLabels: {kubernetes.io/metadata.name: web}}."),
    "ipBlock": _d(closed({"cidr": _d(CIDR_TEXT, "A CIDR, e.g. 10.0.0.0/8."),
                          "except": _d(array(CIDR_TEXT), "CIDRs inside cidr that are left out.")}, ["cidr"]),
                  "Addresses outside the cluster (a CIDR, with except)."),
}, minProperties=1, description="A peer: podSelector and/or namespaceSelector, or an ipBlock.")
NETPOL_PORT = closed({"port": PORT_OR_NAME, "protocol": {"enum": ["TCP", "UDP", "SCTP"]},
                      "endPort": {"type": "integer", "minimum": 1, "maximum": 65535}})
EGRESS_RULE = closed({"to": _d(array(NETPOL_PEER), "Destinations; empty: anywhere."),
                      "ports": _d(array(NETPOL_PORT), "Ports; empty: every port.")}, minProperties=1)
METRICS_SCRAPER: list[dict[str, Any]] = [{
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}]

