"""Kubernetes core/v1 (pkg/apis/core/validation/validation.go): Services, pods and everything below ValidatePodSpec."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_SVC = "kubernetes pkg/apis/core/validation: ValidateService"
_V = "kubernetes pkg/apis/core/validation: "
_OFF_NODE = "depends on the nodes (labels, capacity, installed drivers, node files), which are the cluster's state"

# ValidatePodSpec and below: volumes, mounts, containers, env, ports, probes, lifecycle, resources, security, DNS.
_POD: tuple[Upstream, ...] = (
    Upstream("k8s.core.pod.volume-mount-name-found", _V + "ValidateVolumeMounts", "a volumeMount/volumeDevice "
             "names a volume of the pod (or a StatefulSet claim template)", rules=("CG-POD-001",)),
    Upstream("k8s.core.pod.volume-name-unique", _V + "ValidateVolumes", "volume names are unique in the pod",
             rules=("CG-POD-002",)),
    Upstream("k8s.core.pod.volume-name-dns1123", _V + "ValidateVolumes", "a volume name is a DNS-1123 label",
             rules=("CG-POD-002",)),
    Upstream("k8s.core.pod.volume-one-source", _V + "validateVolumeSource", "a volume has exactly one source "
             "(none: `must specify a volume type`; several: `may not specify more than 1 volume type`)",
             rules=("CG-POD-002",)),
    Upstream("k8s.core.pod.volume-items-path", _V + "validateKeyToPath", "configMap/secret item paths are "
             "relative, non-empty and without '..'", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.volume-items-key", _V + "validateKeyToPath", "configMap/secret item keys are valid "
             "config keys", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.volume-mode-range", _V + "validateSecretVolumeSource", "defaultMode and item modes are "
             "0-0777", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.projected-items-path", _V + "validateProjectionSources", "projected configMap/secret "
             "sources keep the item rules (relative paths, valid keys)", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.projected-duplicate-paths", _V + "validateProjectionSources", "no path is written by two "
             "projected sources (`conflicting duplicate paths`)", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.projected-token", _V + "validateProjectionSources", "a serviceAccountToken expires after "
             "10 minutes to 2^32 seconds", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.projected-one-type", _V + "validateProjectionSources", "a projected source has one "
             "volume type (`may not specify more than 1 volume type per source`)", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.projected-cluster-trust-bundle", _V + "validateProjectionSources", "warning: a "
             "clusterTrustBundle source uses one of name and signerName, labelSelector only with signerName, a "
             "relative unique path, no other type in the source (rejected with the ClusterTrustBundleProjection "
             "gate on, dropped with it off)", rules=("CG-POD-015",)),
    Upstream("k8s.core.pod.resource-claims", _V + "validatePodResourceClaims", "pod.spec.resourceClaims names are "
             "unique DNS labels with exactly one of resourceClaimName and resourceClaimTemplateName (error from "
             "1.34, DRA GA; warning before, the fields are dropped with the gate off)", rules=("CG-POD-014",)),
    Upstream("k8s.core.pod.container-resource-claims", _V + "validateResourceClaimNames", "a container's "
             "resources.claims names an entry of pod.spec.resourceClaims, once per request; no claims in pod-level "
             "resources", rules=("CG-POD-014",)),
    Upstream("k8s.core.pod.resource-claim-exists", "kubernetes pkg/scheduler (dynamicresources plugin)", "a "
             "resourceClaimName names a ResourceClaim / a template a ResourceClaimTemplate, and a driver allocates "
             "it", offline="DRA drivers, DeviceClasses and pre-created ResourceClaims are the cluster's state"),
    Upstream("k8s.core.pod.downward-api-items", _V + "validateDownwardAPIVolumeFile", "downwardAPI items have a "
             "relative path not starting with '..', one of fieldRef (metadata fields only) and resourceFieldRef",
             rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.configmap-name-required", _V + "validateConfigMapVolumeSource", "a configMap volume "
             "names its ConfigMap", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.ephemeral-claim", _V + "validateEphemeralVolumeSource", "a generic ephemeral volume's "
             "claim template is a valid claim spec", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.recursive-read-only", _V + "validateMountRecursiveReadOnly", "recursiveReadOnly "
             "Enabled/IfPossible only on a readOnly mount", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.secret-name-required", _V + "validateSecretVolumeSource", "a secret volume names its "
             "Secret", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.pvc-claim-name-required", _V + "validatePersistentClaimVolumeSource", "a "
             "persistentVolumeClaim volume names its claim", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.emptydir-medium", _V + "validateEmptyDirVolumeSource", "emptyDir.medium is '', Memory "
             "or HugePages[-<size>]", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.hostpath-type", _V + "validateHostPathType", "hostPath.type is one of the known types",
             rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.volume-devices", _V + "ValidateVolumeDevices", "a volumeDevice comes from a claim, its "
             "devicePath is unique and not also a mountPath", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.mount-path-unique", _V + "ValidateVolumeMounts", "a mountPath is used once per container",
             rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.subpath-relative", _V + "ValidateVolumeMounts", "subPath/subPathExpr are relative paths "
             "without '..'", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.subpath-exclusive", _V + "ValidateVolumeMounts", "subPath and subPathExpr are mutually "
             "exclusive", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.mount-propagation", _V + "validateMountPropagation", "mountPropagation is None, "
             "HostToContainer or Bidirectional; Bidirectional only in a privileged container", rules=("CG-POD-003",)),
    Upstream("k8s.core.pod.containers-required", _V + "validateContainers", "a pod has at least one container",
             rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.container-name-unique", _V + "validateContainers", "container names are unique across "
             "containers, initContainers and ephemeralContainers", rules=("CG-POD-004",)),
    Upstream("k8s.core.pod.container-name-dns1123", _V + "validateContainers", "a container name is a DNS-1123 "
             "label", rules=("CG-POD-004",)),
    Upstream("k8s.core.pod.image-required", _V + "validateContainers", "a container has an image",
             rules=("CG-POD-005",)),
    Upstream("k8s.core.pod.image-reference", "kubernetes pkg/kubelet: applyDefaultImageTag (InvalidImageName)",
             "the image reference parses (lowercase repository, one tag, optional digest)", rules=("CG-POD-005",)),
    Upstream("k8s.core.pod.env-name", _V + "ValidateEnv", "an env var name is a C identifier-like name (any "
             "printable name but '=' from 1.32)", rules=("CG-POD-006",)),
    Upstream("k8s.core.pod.env-value-and-valuefrom", _V + "ValidateEnv", "value and valueFrom are not both set",
             rules=("CG-POD-006",)),
    Upstream("k8s.core.pod.env-valuefrom-one-source", _V + "validateEnvVarValueFrom", "valueFrom names exactly one "
             "source", rules=("CG-POD-006",)),
    Upstream("k8s.core.pod.env-fieldref-path", _V + "validateObjectFieldSelector", "fieldRef.fieldPath is a "
             "supported pod field", rules=("CG-POD-006",)),
    Upstream("k8s.core.pod.env-resourcefieldref", _V + "validateContainerResourceFieldSelector",
             "resourceFieldRef.resource is a supported resource", rules=("CG-POD-006",)),
    Upstream("k8s.core.pod.env-keyref-key", _V + "validateConfigMapKeySelector", "configMapKeyRef/secretKeyRef "
             "name and key are valid", rules=("CG-POD-006",)),
    Upstream("k8s.core.pod.envfrom-one-source", _V + "ValidateEnvFrom", "an envFrom entry names exactly one of "
             "configMapRef, secretRef", rules=("CG-POD-006",)),
    Upstream("k8s.core.pod.envfrom-prefix", _V + "ValidateEnvFrom", "an envFrom prefix is a valid env var name",
             rules=("CG-POD-006",)),
    Upstream("k8s.core.pod.config-key-exists", "kubernetes pkg/kubelet: makeEnvironmentVariables "
             "(CreateContainerConfigError)", "a non-optional key reference names a key of the ConfigMap/Secret",
             rules=("CG-POD-013",)),
    Upstream("k8s.core.pod.secret-exists", "kubernetes pkg/kubelet: makeEnvironmentVariables", "a referenced "
             "Secret exists", offline="Secrets are commonly created outside the chart (existingSecret, external "
             "secret operators); a missing rendered key is decided by k8s.core.pod.config-key-exists"),
    Upstream("k8s.core.pod.container-port-range", _V + "validateContainerPorts", "containerPort and hostPort are "
             "1-65535, protocol TCP/UDP/SCTP", rules=("CG-POD-007",)),
    Upstream("k8s.core.pod.container-port-name", _V + "validateContainerPorts", "a port name is an IANA service "
             "name, unique in the pod", rules=("CG-API-006",)),
    Upstream("k8s.core.pod.host-port-unique", _V + "AccumulateUniqueHostPorts", "a hostPort/protocol/hostIP is "
             "used once per pod", rules=("CG-POD-007",)),
    Upstream("k8s.core.pod.hostnetwork-hostport", _V + "validateHostNetwork", "with hostNetwork the hostPort "
             "equals the containerPort", rules=("CG-POD-007",)),
    Upstream("k8s.core.pod.probe-one-handler", _V + "validateHandler", "a probe has exactly one handler",
             rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.probe-success-threshold", _V + "validateProbe", "liveness and startup probes have "
             "successThreshold 1", rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.probe-non-negative", _V + "validateProbe", "probe delays, periods and thresholds are "
             ">= 0", rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.probe-grace-period", _V + "validateProbe", "a probe's terminationGracePeriodSeconds is "
             "> 0 and not set on a readiness probe", rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.probe-port", _V + "validateHTTPGetAction / validateTCPSocketAction", "a probe port is "
             "1-65535 or an IANA port name; httpGet scheme HTTP or HTTPS", rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.probe-http-headers", _V + "validateHTTPGetAction", "httpGet header names are valid "
             "HTTP header names", rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.probe-port-declared", "kubernetes pkg/kubelet/prober: findPortByName", "a named probe "
             "port is a port of the container", rules=("CG-X-004",)),
    Upstream("k8s.core.pod.init-container-probe", _V + "validateInitContainers", "a plain init container has no "
             "probes or lifecycle", rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.lifecycle-one-handler", _V + "validateLifecycle", "postStart/preStop have exactly one "
             "handler", rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.sleep-within-grace", _V + "validateSleepAction", "a sleep hook lasts at most the pod's "
             "terminationGracePeriodSeconds (default 30)", rules=("CG-POD-008",)),
    Upstream("k8s.core.pod.resource-quantity", _V + "ValidateResourceRequirements", "requests and limits are "
             "valid, non-negative quantities", rules=("CG-POD-009",)),
    Upstream("k8s.core.pod.request-within-limit", _V + "ValidateResourceRequirements", "a request is at most its "
             "limit", rules=("CG-POD-009",)),
    Upstream("k8s.core.pod.resource-name", _V + "validateContainerResourceName", "a container resource is cpu, "
             "memory, ephemeral-storage, hugepages-<size> or a domain-qualified extended resource",
             rules=("CG-POD-009",)),
    Upstream("k8s.core.pod.extended-resource", _V + "ValidateResourceRequirements", "an extended resource (e.g. "
             "nvidia.com/gpu) is a whole number and its request equals its limit", rules=("CG-POD-009",)),
    Upstream("k8s.core.pod.hugepages", _V + "ValidateResourceRequirements", "huge pages need a cpu or memory "
             "request/limit and are not overcommitted", rules=("CG-POD-009",)),
    Upstream("k8s.core.pod.restart-policy", _V + "validateRestartPolicy", "restartPolicy is Always, OnFailure or "
             "Never (Always for controllers, OnFailure/Never for Jobs)", rules=("CG-POD-010",)),
    Upstream("k8s.core.pod.container-restart-policy", _V + "validateContainerRestartPolicy", "a container "
             "restartPolicy only on init containers, and only Always", rules=("CG-POD-010",)),
    Upstream("k8s.core.pod.dns-policy", _V + "validateDNSPolicy", "dnsPolicy is a known value; None needs "
             "dnsConfig.nameservers", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.dns-config", _V + "validatePodDNSConfig", "at most 3 nameservers (IPs), 32 search "
             "domains (DNS names), named options", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.host-aliases", _V + "ValidateHostAliases", "hostAliases ip is an IP and hostnames DNS "
             "subdomains", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.hostname-subdomain", _V + "ValidatePodSpec", "hostname and subdomain are DNS-1123 "
             "labels", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.grace-period-non-negative", _V + "ValidatePodSpec", "terminationGracePeriodSeconds is "
             ">= 0", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.active-deadline", _V + "ValidatePodSpec / ValidatePodTemplateSpecForReplicaSet",
             "activeDeadlineSeconds is positive, and not set in a controller's template", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.enum-fields", _V + "validatePullPolicy / validateContainers", "imagePullPolicy and "
             "terminationMessagePolicy are known values", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.tolerations", _V + "ValidateTolerations", "operator Exists takes no value, an empty key "
             "needs Exists, tolerationSeconds needs effect NoExecute, effects are known", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.affinity", _V + "validateAffinity", "required node affinity has terms, pod (anti-) "
             "affinity terms a topologyKey, preferred weights 1-100", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.node-selector-requirements", _V + "ValidateNodeSelectorRequirement", "node affinity "
             "operators are In/NotIn/Exists/DoesNotExist/Gt/Lt, with values as the operator needs (one integer for "
             "Gt/Lt)", rules=("CG-API-004",)),
    Upstream("k8s.core.pod.affinity-label-selector", _V + "validatePodAffinityTerm", "pod (anti-)affinity label "
             "selectors are valid selectors", rules=("CG-API-004",)),
    Upstream("k8s.core.pod.security-context-ids", _V + "ValidatePodSecurityContext / ValidateSecurityContext",
             "runAsUser, runAsGroup, fsGroup are 0-2147483647", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.seccomp-profile", _V + "validateSeccompProfileField", "seccomp type is known; "
             "localhostProfile exactly with Localhost", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.apparmor-profile", _V + "ValidateAppArmorProfileField", "appArmorProfile type is "
             "known", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.share-process-host-pid", _V + "ValidatePodSecurityContext", "shareProcessNamespace and "
             "hostPID are not both true", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.service-account-name", _V + "ValidatePodSpec", "serviceAccountName is a DNS-1123 "
             "subdomain", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.node-selector-labels", _V + "ValidatePodSpec", "nodeSelector keys and values are valid "
             "labels", rules=("CG-API-004",)),
    Upstream("k8s.core.pod.host-users", _V + "validateHostUsers", "a pod with hostUsers false shares no host "
             "namespace", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.sysctls", _V + "validateSysctls", "sysctl names are valid and unique",
             rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.fs-group-change-policy", _V + "validateFSGroupChangePolicy", "fsGroupChangePolicy is "
             "OnRootMismatch or Always", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.readiness-gates", _V + "validateReadinessGates", "a readiness gate conditionType is a "
             "qualified name", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.privilege-escalation", _V + "ValidateSecurityContext", "allowPrivilegeEscalation false "
             "is not combined with privileged or CAP_SYS_ADMIN", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.proc-mount", _V + "validateProcMountType", "procMount is Default or Unmasked",
             rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.resize-policy", _V + "validateResizePolicy", "resizePolicy names cpu/memory once each "
             "with NotRequired or RestartContainer", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.os-name", _V + "validateOS", "spec.os.name is linux or windows", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.os-linux-fields", _V + "validateLinux", "a linux pod (spec.os.name) sets no "
             "windowsOptions", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.os-windows-fields", _V + "validateWindows", "a windows pod sets no linux-only "
             "security fields (SELinux, seccomp, AppArmor, users, capabilities, hostPID, ...)",
             rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.ephemeral-containers", _V + "ValidatePodTemplateSpec / ValidatePodCreate",
             "ephemeralContainers are not allowed in a template or on create", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.non-root-uid", "kubernetes pkg/kubelet: verifyRunAsNonRoot", "runAsNonRoot with an "
             "effective runAsUser 0 never starts", rules=("CG-POD-012",)),
    Upstream("k8s.core.pod.service-account-exists", "kubernetes plugin/pkg/admission/serviceaccount",
             "the pod's ServiceAccount exists", rules=("CG-X-006",)),
    Upstream("k8s.core.pod.node-name-exists", _V + "ValidatePodSpec (scheduling)", "spec.nodeName names a node",
             offline=_OFF_NODE),
    Upstream("k8s.core.pod.node-selector-satisfiable", "kubernetes pkg/scheduler", "nodeSelector/affinity match "
             "some node", offline=_OFF_NODE),
    Upstream("k8s.core.pod.resources-fit", "kubernetes pkg/scheduler", "the requests fit a node's allocatable "
             "capacity (extended resources included)", offline=_OFF_NODE),
    Upstream("k8s.core.pod.host-port-free", "kubernetes pkg/scheduler", "a hostPort is free on some node",
             offline=_OFF_NODE),
    Upstream("k8s.core.pod.csi-driver-installed", "kubernetes pkg/volume/csi", "a csi volume's driver is "
             "installed", offline=_OFF_NODE),
    Upstream("k8s.core.pod.seccomp-localhost-file", "kubernetes pkg/kubelet", "a Localhost seccomp/AppArmor "
             "profile exists on the node", offline=_OFF_NODE),
    Upstream("k8s.core.pod.image-pullable", "kubernetes pkg/kubelet/images", "the image exists and can be pulled "
             "with the pod's pull secrets", offline="registry contents and credentials are not in the render"),
    Upstream("k8s.core.pod.pvc-bindable", "kubernetes pkg/controller/volume", "a claim the pod mounts can be "
             "bound (StorageClass, capacity)", offline="StorageClasses and volumes are the cluster's state"),
    Upstream("k8s.core.pod.runtime-class-exists", "kubernetes plugin/pkg/admission/runtimeclass",
             "runtimeClassName names a RuntimeClass", offline="RuntimeClasses are cluster-wide objects installed "
             "with the node runtime, not by application charts"),
)

# ValidateObjectMeta, ConfigMap, Secret, PersistentVolumeClaim, Namespace, ServiceAccount.
_OBJECTS: tuple[Upstream, ...] = (
    Upstream("k8s.core.meta.name-valid", _V + "ValidateObjectMeta", "metadata.name is present and valid for the "
             "kind (DNS subdomain, label or path segment)", rules=("CG-API-005",)),
    Upstream("k8s.core.meta.labels-valid", "apimachinery pkg/apis/meta/v1/validation: ValidateLabels", "label "
             "keys are qualified names and values valid label values", rules=("CG-API-004",)),
    Upstream("k8s.core.meta.selector-valid", "apimachinery pkg/apis/meta/v1/validation: ValidateLabelSelector",
             "selector operators are In/NotIn/Exists/DoesNotExist with matching values", rules=("CG-API-004",)),
    Upstream("k8s.core.meta.annotations-valid", "apimachinery pkg/api/validation: ValidateAnnotations",
             "annotation keys are qualified names and the annotations total at most 256 KiB", rules=("CG-OBJ-001",)),
    Upstream("k8s.core.meta.finalizers", "apimachinery pkg/api/validation: ValidateFinalizers", "metadata."
             "finalizers are qualified names; orphan and foregroundDeletion are not both set", rules=("CG-OBJ-002",)),
    Upstream("k8s.core.meta.schema", "kube-apiserver OpenAPI schema (strict field validation)", "fields have the "
             "schema's types, required fields are present, unknown fields are rejected", rules=("CG-SCHEMA-001",)),
    Upstream("k8s.core.meta.api-version-served", "kube-apiserver discovery", "the apiVersion/kind is served by the "
             "target version", rules=("CG-SCHEMA-003",)),
    Upstream("k8s.core.meta.unique-object", "kube-apiserver storage (AlreadyExists)", "one object per group, kind, "
             "namespace and name", rules=("CG-API-003",)),
    Upstream("k8s.core.configmap.keys", _V + "ValidateConfigMap", "keys are valid config keys, not in both data "
             "and binaryData, total under 1 MiB", rules=("CG-CFG-001",)),
    Upstream("k8s.core.secret.data", _V + "ValidateSecret", "data values are base64, keys valid",
             rules=("CG-CFG-001",)),
    Upstream("k8s.core.secret.type-keys", _V + "ValidateSecret", "a typed Secret has the keys its type requires "
             "(tls, dockerconfigjson, basic-auth, ...)", rules=("CG-CFG-002",)),
    Upstream("k8s.core.pvc.access-modes", _V + "ValidatePersistentVolumeClaimSpec", "a claim has at least one "
             "valid access mode (ReadWriteOncePod alone)", rules=("CG-PVC-001",)),
    Upstream("k8s.core.pvc.storage-request", _V + "ValidatePersistentVolumeClaimSpec", "a claim requests storage "
             "greater than zero unless it has a data source", rules=("CG-PVC-001",)),
    Upstream("k8s.core.namespace.name", _V + "ValidateNamespace", "a Namespace name is a DNS-1123 label",
             rules=("CG-API-005",)),
    Upstream("k8s.core.object.namespace-exists", "kubernetes plugin/pkg/admission/namespace/lifecycle", "the "
             "object's namespace exists and is not terminating", offline="namespaces are usually created by "
             "`helm --create-namespace` or the platform, outside the render"),
    Upstream("k8s.core.object.name-free", "kube-apiserver storage (AlreadyExists)", "no object of that name "
             "exists in the cluster already", offline="the cluster's existing objects are not in the render"),
)

# ValidateService beyond the seed entries (the seed entries close the tuple).
_SERVICE: tuple[Upstream, ...] = (
    Upstream("k8s.core.service.port-name-required", _SVC, "with several ports every port has a name",
             rules=("CG-SVC-003",)),
    Upstream("k8s.core.service.port-name-dns1123", _SVC, "a port name is a DNS-1123 label", rules=("CG-SVC-004",)),
    Upstream("k8s.core.service.port-name-unique", _SVC, "port names are unique", rules=("CG-SVC-005",)),
    Upstream("k8s.core.service.port-range", _SVC, "port is 1-65535", rules=("CG-SVC-006",)),
    Upstream("k8s.core.service.port-unique", _SVC, "a protocol/port pair is used once", rules=("CG-SVC-007",)),
    Upstream("k8s.core.service.protocol", _SVC, "protocol is TCP, UDP or SCTP", rules=("CG-SVC-008",)),
    Upstream("k8s.core.service.app-protocol", _SVC, "appProtocol is a qualified name", rules=("CG-SVC-009",)),
    Upstream("k8s.core.service.target-port", _SVC, "targetPort is 1-65535 or an IANA port name",
             rules=("CG-SVC-010",)),
    Upstream("k8s.core.service.node-port-type", _SVC, "nodePort only on NodePort/LoadBalancer Services",
             rules=("CG-SVC-011",)),
    Upstream("k8s.core.service.node-port-unique", _SVC, "a protocol/nodePort pair is used once",
             rules=("CG-SVC-012",)),
    Upstream("k8s.core.service.node-port-range", "kubernetes pkg/registry/core/service/portallocator",
             "nodePort lies in the node port range (default 30000-32767)", rules=("CG-SVC-013",)),
    Upstream("k8s.core.service.type", _SVC, "type is ClusterIP, NodePort, LoadBalancer or ExternalName",
             rules=("CG-SVC-014",)),
    Upstream("k8s.core.service.external-name", _SVC, "an ExternalName Service has a DNS-1123 externalName and no "
             "cluster IPs or IP families", rules=("CG-SVC-015", "CG-SVC-016")),
    Upstream("k8s.core.service.headless-type", _SVC, "a headless Service is not NodePort or LoadBalancer",
             rules=("CG-SVC-017",)),
    Upstream("k8s.core.service.cluster-ips", _SVC, "clusterIP/clusterIPs are valid, consistent, at most two",
             rules=("CG-SVC-018",)),
    Upstream("k8s.core.service.source-ranges", _SVC, "loadBalancerSourceRanges are CIDRs", rules=("CG-SVC-019",)),
    Upstream("k8s.core.service.lb-only-fields", _SVC, "LoadBalancer-only fields only on type LoadBalancer",
             rules=("CG-SVC-020",)),
    Upstream("k8s.core.service.lb-class", _SVC, "loadBalancerClass is a qualified name", rules=("CG-SVC-021",)),
    Upstream("k8s.core.service.internal-traffic-policy", _SVC, "internalTrafficPolicy is Cluster or Local",
             rules=("CG-SVC-028",)),
    Upstream("k8s.core.service.kubelet-port", _SVC, "a LoadBalancer Service does not expose the kubelet port 10250",
             rules=("CG-SVC-030",)),
    Upstream("k8s.core.service.traffic-distribution", _SVC, "trafficDistribution is a value the version accepts",
             rules=("CG-SVC-033",)),
    Upstream("k8s.core.service.session-affinity", _SVC, "sessionAffinity is None or ClientIP with a timeout of "
             "1-86400 s, config only with ClientIP", rules=("CG-SVC-022", "CG-SVC-023", "CG-SVC-024")),
    Upstream("k8s.core.service.external-traffic-policy", _SVC, "externalTrafficPolicy only on external Services, "
             "Cluster or Local", rules=("CG-SVC-025", "CG-SVC-026")),
    Upstream("k8s.core.service.health-check-node-port", _SVC, "healthCheckNodePort only with LoadBalancer and "
             "externalTrafficPolicy Local", rules=("CG-SVC-027",)),
    Upstream("k8s.core.service.external-ips", _SVC, "externalIPs are valid, not loopback or link-local",
             rules=("CG-SVC-029",)),
    Upstream("k8s.core.service.ip-families", _SVC, "ipFamilies and ipFamilyPolicy are valid and consistent",
             rules=("CG-SVC-032",)),
    Upstream("k8s.core.service.selector-matches", "kubernetes pkg/controller/endpointslice", "a selector matches "
             "pods, or the Service has no endpoints", rules=("CG-X-001",)),
    Upstream("k8s.core.service.target-port-exposed", "kubernetes pkg/controller/endpointslice: podutil.FindPort",
             "a named targetPort is a port name of the selected containers", rules=("CG-X-003",)),
    Upstream("k8s.core.service.nodeport-free", "kubernetes pkg/registry/core/service/portallocator", "a requested "
             "nodePort is not allocated to another Service", offline="allocated node ports are the cluster's "
             "state"),
)


ENTRIES: tuple[Upstream, ...] = (
    *_POD,
    *_OBJECTS,
    *_SERVICE,
    Upstream("k8s.core.service.name-dns1035", _SVC, "metadata.name is a DNS-1035 label", rules=("CG-SVC-001",)),
    Upstream("k8s.core.service.ports-required", _SVC, "spec.ports has at least one port unless headless or "
             "ExternalName", rules=("CG-SVC-002",)),
    Upstream("k8s.core.service.clusterip-allocatable", _SVC, "a requested spec.clusterIP lies inside the cluster's "
             "service CIDR and is free", offline="the service CIDR and the allocated IPs are the cluster's state, "
             "not in the render"),
    Upstream("k8s.core.pod.topology-spread", "kubernetes pkg/apis/core/validation: "
             "ValidateTopologySpreadConstraints", "maxSkew > 0, a topologyKey, whenUnsatisfiable known, minDomains > 0 "
             "and only with DoNotSchedule, nodeAffinityPolicy/nodeTaintsPolicy Honor or Ignore",
             rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.scheduling-gates", "kubernetes pkg/apis/core/validation: validateSchedulingGates",
             "scheduling gate names are qualified names, each used once", rules=("CG-POD-011",)),
    Upstream("k8s.core.pod.spread-pair-unique", "kubernetes pkg/apis/core/validation: "
             "ValidateTopologySpreadConstraints", "a {topologyKey, whenUnsatisfiable} pair appears at most once in "
             "topologySpreadConstraints (ValidateSpreadConstraintNotRepeat)", rules=("CG-POD-011",)),
)
