"""The catalog: every chartgen.yaml setting, declared once (see setting.py for what is derived from it).

Add a setting: declare it here (key, schema, default, description, where, values key and part). It then appears in
spec.schema.json (run `python -m chartgen.spec.schema` to refresh the committed copy; a test fails while it is
stale), is accepted at the top level and/or per environment, gets its default from the base layer, and -- with
`values`/`part` -- appears in values.yaml with its comment, in values.schema.json and in the chart README. Read it
in a parser with ``CATALOG.get(raw, "the.key")``; a blueprint template may place it with ``declared("values.key")``
(schema fragments) instead of leaving it to the end of the part's values.
"""

from __future__ import annotations

from typing import Any

from chartgen.spec import settings_pod as sp
from chartgen.spec import settings_values as sv
from chartgen.spec.setting import Catalog, Group, Setting

PORT: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 65535}
PORT_OR_NAME: dict[str, Any] = {"type": ["integer", "string"]}
STRING: dict[str, Any] = {"type": "string"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
STRING_MAP: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
ISTIO_DURATION_REF: dict[str, Any] = {"$ref": "#/definitions/istioDuration"}
STORAGE_SIZE: dict[str, Any] = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"}
ACCESS_MODES = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]
CIDR = "^([0-9]{1,3}\\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$|^[0-9a-fA-F:]+/[0-9]{1,3}$"
HOST_PATTERN = "^(\\*|(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$"
SVC, LB, WL, DEP, STS = "service/common", "service/lb-options", "workload/common", "workload/deployment", \
    "workload/statefulset"
HEADLESS, IC, GW, SEC, CAN = "service/headless", "istio/common", "istio/gateway", "istio/security", "istio/canary"
EGRESS, SIDECAR = "istio/egress", "istio/sidecar"
SIDECAR_HOST = ("^([-a-z0-9]+|\\.|\\*|~)/"  # namespace/dnsName of a Sidecar egress host
                "(\\*|(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$")


def _meta() -> list[Setting | Group]:
    return [
        Setting("apiVersion", {"const": "chartgen/v1"}, "Spec format version.", where="top"),
        Setting("name", {"$ref": "#/definitions/dns1035"},
                "Chart name, also the Service name when the release is named after the chart.", where="top"),
        Setting("description", STRING, "Chart description (Chart.yaml); default: A Helm chart for <name>.",
                where="top"),
        Setting("chartVersion", STRING, "Chart version (SemVer 2).", "0.1.0", where="top"),
        Setting("appVersion", STRING, "Application version; defaults to image.tag.", where="top"),
        Setting("blueprint", {"enum": []}, "Service blueprint.", where="top"),  # enum: the library's blueprints
        Setting("kubeVersion", STRING, "Kubernetes version used by chartgen verify (helm --kube-version).",
                "1.31.0", where="top"),
        Group("chart", "Chart.yaml metadata, kept across regeneration."),
        Setting("chart.home", {"type": "string", "format": "uri"}, "Project home page (Chart.yaml home).",
                where="top"),
        Setting("chart.icon", {"type": "string", "format": "uri"}, "Icon URL (Chart.yaml icon).", where="top"),
        Setting("chart.sources", {"type": "array", "items": {"type": "string", "minLength": 1}},
                "Source code URLs (Chart.yaml sources).", where="top"),
        Setting("chart.keywords", {"type": "array", "items": {"type": "string", "minLength": 1}},
                "Search keywords (Chart.yaml keywords).", where="top"),
        Setting("chart.maintainers", {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1}, "email": {"type": "string"},
                           "url": {"type": "string"}}}},
                "Maintainers (Chart.yaml maintainers: name, email, url).", where="top"),
        Setting("chart.annotations", STRING_MAP, "Chart.yaml annotations (e.g. artifacthub.io/license).",
                where="top"),
        Setting("changes", {"type": "array", "items": {"oneOf": [
            {"type": "string", "minLength": 1},
            {"type": "object", "additionalProperties": False, "required": ["kind", "description"],
             "properties": {"kind": {"enum": ["added", "changed", "deprecated", "removed", "fixed", "security"]},
                            "description": {"type": "string", "minLength": 1},
                            "links": {"type": "array", "items": {
                                "type": "object", "additionalProperties": False, "required": ["name", "url"],
                                "properties": {"name": {"type": "string"}, "url": {"type": "string"}}}}}}]}},
                "What changed in this chart version: the artifacthub.io/changes annotation of Chart.yaml.",
                where="top"),
        Setting("dependencies", {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "version"],
            "properties": {"name": {"type": "string", "minLength": 1}, "version": {"type": "string", "minLength": 1},
                           "repository": {"type": "string"}, "condition": {"type": "string"},
                           "alias": {"type": "string", "pattern": "^[a-zA-Z0-9_-]+$"},
                           "tags": {"type": "array", "items": {"type": "string"}},
                           "import-values": {"type": "array", "items": {
                               "type": "object", "additionalProperties": False, "required": ["child", "parent"],
                               "properties": {"child": {"type": "string"}, "parent": {"type": "string"}}}}}}},
                "Subcharts (Chart.yaml dependencies); each one's values key (alias or name) and import-values parent "
                "key pass values.schema.json. import-values takes the child/parent form only: the schema must name "
                "the imported key.", where="top"),

        Group("readme", "What the generated chart README carries beyond install, environments and values."),
        Setting("readme.trafficGraph", BOOLEAN, "Draw each environment's traffic (what `chartgen graph` draws) as a "
                "Mermaid block in the README; generate then renders the chart with helm per environment.", False,
                where="top"),
        Group("image", "Container image; required unless the blueprint deploys no workload (externalname).",
              {"required": ["repository"]}),
        Setting("image.repository", {"type": "string", "minLength": 1}, "Image repository.", where="top",
                values="image.repository", part=WL),
        Setting("image.tag", STRING, "Image tag; 'latest' is refused unless image.allowLatest is true."),
        Setting("image.digest", STRING, "Image digest; wins over the tag when set.", values="image.digest", part=WL,
                values_schema={"type": "string", "pattern": "^sha256:[a-f0-9]{64}$"}),
        Setting("image.pullPolicy", {"enum": ["IfNotPresent", "Always", "Never"]}, "Image pull policy.",
                "IfNotPresent", values="image.pullPolicy", part=WL, layered=False),
        Setting("image.allowLatest", BOOLEAN, "Allow the mutable tag 'latest' (refused by default).", False,
                where="top"),
        Setting("profile", STRING, "Profile to inherit (dev, staging, prod); defaults to the environment name when "
                                   "it is one.", where="env"),
        Setting("namespace", STRING, "Namespace this environment is installed into (helm -n for render/verify; "
                                     "the templates take it from the release, or namespaceOverride).", "default",
                where="env"),
    ]


def _service() -> list[Setting | Group]:
    return [
        Setting("service.type", {"enum": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]},
                "Service type; defaults to the blueprint's, and must be one the blueprint allows."),
        Setting("service.ports", {"type": "array", "items": {"$ref": "#/definitions/servicePort"}},
                "Service ports; names are required when there is more than one port."),
        Setting("service.annotations", STRING_MAP, "Extra Service annotations (added to the cloud preset's).",
                values="service.annotations", part=SVC),
        Setting("service.sessionAffinity", {"enum": ["None", "ClientIP"]}, "ClientIP pins each client to one pod.",
                "None", values="service.sessionAffinity", part=SVC, layered=False),
        Setting("service.sessionAffinityTimeoutSeconds", {"type": "integer", "minimum": 1, "maximum": 86400},
                "Session affinity timeout (ClientIP only).", 10800, values="service.sessionAffinityTimeoutSeconds",
                part=SVC, layered=False),
        Setting("service.internalTrafficPolicy", {"enum": ["Cluster", "Local"]},
                "Route in-cluster traffic only to node-local endpoints (Local); empty keeps the default.",
                values="service.internalTrafficPolicy", part=SVC,
                values_schema={"enum": ["", "Cluster", "Local"]}),
        Setting("service.externalTrafficPolicy", {"enum": ["Cluster", "Local"]},
                "Local preserves client source IPs (NodePort/LoadBalancer only)."),
        Setting("service.externalName", STRING,
                "ExternalName only: the DNS name the Service aliases (DNS-1123 subdomain)."),
        Setting("service.nodePortRange", {"type": "string", "pattern": "^[0-9]+-[0-9]+$"},
                "The cluster's --service-node-port-range; default 30000-32767."),
        Setting("service.clientService", BOOLEAN, "Render the <fullname>-client Service.", False,
                values="service.clientService.enabled", part=HEADLESS, layered=False),
        Setting("service.publishNotReadyAddresses", BOOLEAN,
                "Publish DNS records for pods before they are Ready (peer discovery during bootstrap).", False,
                values="service.publishNotReadyAddresses", part=HEADLESS, layered=False),
        Setting("service.loadBalancer.preset", {"enum": ["none", "aws-nlb", "gcp-internal", "azure-internal"]},
                "Cloud annotation preset.", "none", values="service.loadBalancer.preset", part=LB, layered=False),
        Setting("service.loadBalancer.scheme", {"enum": ["internet-facing", "internal"]},
                "aws-nlb: load balancer scheme.", values="service.loadBalancer.scheme", part=LB),
        Setting("service.loadBalancer.certificateArn", STRING, "aws-nlb: ACM certificate ARN for TLS.",
                values="service.loadBalancer.certificateArn", part=LB,
                values_schema={"type": "string", "pattern": "^arn:aws[a-z-]*:acm:"}),
        Setting("service.loadBalancer.sslPorts", STRING,
                "aws-nlb: ports that terminate TLS, e.g. \"443\" (all ports when unset).",
                values="service.loadBalancer.sslPorts", part=LB),
        Setting("service.loadBalancer.backendProtocol", {"enum": ["tcp", "ssl", "http", "https"]},
                "aws-nlb: protocol to the pods.", values="service.loadBalancer.backendProtocol", part=LB),
        Setting("service.loadBalancer.class", STRING,
                "spec.loadBalancerClass (e.g. service.k8s.aws/nlb); empty for the cluster default.",
                values="service.loadBalancer.class", part=LB),
        Setting("service.loadBalancer.sourceRanges", {"type": "array", "items": STRING},
                "CIDRs allowed to reach the load balancer.", values="service.loadBalancer.sourceRanges", part=LB,
                values_schema={"type": "array", "description": "", "items": {"type": "string", "pattern": CIDR}}),
        Setting("service.loadBalancer.allocateNodePorts", BOOLEAN,
                "allocateLoadBalancerNodePorts (false for load balancers that route to pods directly).",
                values="service.loadBalancer.allocateNodePorts", part=LB),
        Setting("service.loadBalancer.healthCheckNodePort", {"type": "integer"},
                "Health check node port (externalTrafficPolicy Local only)."),
    ]


def _probe(initial: int, period: int, timeout: int, failures: int, enabled: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {} if enabled is None else {"enabled": enabled}
    if initial:
        out["initialDelaySeconds"] = initial
    return out | {"periodSeconds": period, "timeoutSeconds": timeout, "failureThreshold": failures}


def _workload() -> list[Setting | Group]:
    probe = {"$ref": "#/definitions/probe"}
    return [
        Setting("replicas", {"type": "integer", "minimum": 0},
                "Number of pod replicas (ignored while autoscaling.enabled is true).", 1, values="replicaCount",
                part=WL),
        Setting("containerPorts", {"type": "array", "items": {"$ref": "#/definitions/containerPort"}},
                "Extra container ports not exposed by the Service (e.g. metrics)."),
        Setting("resources", {"$ref": "#/definitions/resources"}, "Container resource requests and limits.", {
            "requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}),
        Setting("probes.readiness", probe, "Readiness probe: http when a path is given, else tcp (or grpc); the port "
                "defaults to the first container port.", _probe(5, 10, 2, 3)),
        Setting("probes.liveness", probe, "Liveness probe (as readiness).", _probe(10, 20, 2, 3)),
        Setting("probes.startup", probe, "Startup probe (as readiness; off unless enabled, on in the prod profile).",
                {"enabled": False, "periodSeconds": 5, "failureThreshold": 30}),
        Group("autoscaling", "HorizontalPodAutoscaler on CPU utilisation."),
        Setting("autoscaling.enabled", BOOLEAN, "Create the HPA (the Deployment then leaves replicas to it).",
                False, values="autoscaling.enabled", part=DEP),
        Setting("autoscaling.minReplicas", {"type": "integer", "minimum": 1}, "Fewest replicas the HPA keeps.", 2,
                values="autoscaling.minReplicas", part=DEP),
        Setting("autoscaling.maxReplicas", {"type": "integer", "minimum": 1}, "Most replicas the HPA creates.", 5,
                values="autoscaling.maxReplicas", part=DEP),
        Setting("autoscaling.targetCPUUtilizationPercentage", {"type": "integer", "minimum": 1, "maximum": 100},
                "Average CPU utilisation (percent of requests) the HPA aims for.", 80,
                values="autoscaling.targetCPUUtilizationPercentage", part=DEP),
        Group("podDisruptionBudget", "PodDisruptionBudget keeping pods up during voluntary disruptions."),
        Setting("podDisruptionBudget.enabled", BOOLEAN, "Create the PodDisruptionBudget.", False,
                values="podDisruptionBudget.enabled", part=WL),
        Setting("podDisruptionBudget.minAvailable", {"type": ["integer", "string"]},
                "Pods (or percent) that must stay available; wins over maxUnavailable when set.",
                values="podDisruptionBudget.minAvailable", part=WL),
        Setting("podDisruptionBudget.maxUnavailable", {"type": ["integer", "string"]},
                "Pods (or percent) that may be down at once during a voluntary disruption.", 1,
                values="podDisruptionBudget.maxUnavailable", part=WL),
        Group("networkPolicy", "NetworkPolicy admitting traffic only to the declared container ports (from the "
                              "allowed peers), and egress only where allowed (restrictEgress)."),
        Setting("networkPolicy.enabled", BOOLEAN, "Create the NetworkPolicy.", False,
                values="networkPolicy.enabled", part=WL),
        Setting("topologySpread", BOOLEAN,
                "Add topologySpreadConstraints over kubernetes.io/hostname and topology.kubernetes.io/zone.", False,
                values="topologySpread.enabled", part=WL),
        Setting("logLevel", {"enum": ["debug", "info", "warn", "error"]},
                "Application log level (LOG_LEVEL environment variable).", "info", values="logLevel", part=WL),
        Setting("env", sp.ENV_MAP, "Extra environment variables: a string, or one source (secretKeyRef, "
                "configMapKeyRef, fieldRef, resourceFieldRef); secret values belong in a Secret, never here.",
                values="env", part=WL, layered=False, default={}),
        Setting("writableTmp", BOOLEAN, "Mount the emptyDir at /tmp.", True, values="tmpVolume.enabled", part=WL),
        Setting("statefulSet.podManagementPolicy", {"enum": ["OrderedReady", "Parallel"]},
                "OrderedReady starts pods one by one (0, 1, 2...); Parallel starts them together.", "OrderedReady",
                values="podManagementPolicy", part=STS, layered=False),
        Setting("statefulSet.storage.enabled", BOOLEAN, "Give every pod its own volume.", True,
                values="persistence.enabled", part=STS, layered=False),
        Setting("statefulSet.storage.size", {"$ref": "#/definitions/quantity"}, "Volume size per pod.", "1Gi",
                values="persistence.size", part=STS, layered=False, values_schema=STORAGE_SIZE),
        Setting("statefulSet.storage.storageClassName", STRING, "StorageClass; empty for the cluster default.",
                values="persistence.storageClassName", part=STS),
        Setting("statefulSet.storage.mountPath", {"type": "string", "pattern": "^/"},
                "Where the volume is mounted in the container.", "/data", values="persistence.mountPath", part=STS,
                layered=False),
        Setting("statefulSet.storage.accessModes", {"type": "array", "items": {"enum": ACCESS_MODES}},
                "Volume access modes.", ["ReadWriteOnce"], values="persistence.accessModes", part=STS, layered=False,
                values_schema={"type": "array", "minItems": 1, "items": {"enum": ACCESS_MODES}}),
    ]


def _pod() -> list[Setting | Group]:
    """Everything `helm create` puts on the pod, settable at the top level and per environment."""
    sa = "serviceAccount."
    return [
        Setting("imagePullSecrets", sp.array(sp.PULL_SECRET), "Secrets (in the release namespace) for pulling "
                "from a private registry, e.g. [{name: regcred}].", [], values="imagePullSecrets", part=WL),
        Group("serviceAccount", "ServiceAccount the pods run as."),
        Setting(sa + "create", BOOLEAN, "Create a ServiceAccount for the chart.", True,
                values="serviceAccount.create", part=WL),
        Setting(sa + "name", {"type": "string", "pattern": "^$|" + sp.SUBDOMAIN["pattern"], "maxLength": 253},
                "Name of the ServiceAccount; generated from the full name when empty.", "",
                values="serviceAccount.name", part=WL),
        Setting(sa + "annotations", STRING_MAP, "ServiceAccount annotations: workload identity, e.g. "
                "eks.amazonaws.com/role-arn (IRSA), iam.gke.io/gcp-service-account (GKE), "
                "azure.workload.identity/client-id (Azure).", {}, values="serviceAccount.annotations", part=WL),
        Setting(sa + "automount", BOOLEAN, "Mount the ServiceAccount token into pods (off unless the app calls the "
                "Kubernetes API or a workload identity needs it).", False, values="serviceAccount.automount",
                part=WL),
        Setting("podAnnotations", STRING_MAP, "Annotations added to every pod.", {}, values="podAnnotations",
                part=WL),
        Setting("podLabels", STRING_MAP, "Labels added to every pod.", {}, values="podLabels", part=WL),
        Setting("podSecurityContext", sp.POD_SECURITY_CONTEXT, "Pod security context: hardened by default "
                "(non-root uid 10001, RuntimeDefault seccomp); what you set is merged over the defaults.",
                sp.HARDENED_POD, values="podSecurityContext", part=WL),
        Setting("securityContext", sp.SECURITY_CONTEXT, "Container security context: hardened by default "
                "(read-only root filesystem, no privilege escalation, all capabilities dropped); what you set is "
                "merged over the defaults.", sp.HARDENED_CONTAINER, values="securityContext", part=WL),
        Setting("volumes", sp.array(sp.VOLUME), "Extra pod volumes (emptyDir, configMap, secret, "
                "persistentVolumeClaim, projected, ephemeral, csi); mount them with volumeMounts.", [],
                values="volumes", part=WL),
        Setting("volumeMounts", sp.array(sp.VOLUME_MOUNT), "Extra container mounts; each names a volume.", [],
                values="volumeMounts", part=WL),
        Setting("nodeSelector", STRING_MAP, "Node labels for pod assignment.", {}, values="nodeSelector", part=WL),
        Setting("tolerations", sp.array(sp.TOLERATION), "Tolerations for pod assignment.", [],
                values="tolerations", part=WL),
        Setting("affinity", sp.AFFINITY, "Affinity rules for pod assignment (nodeAffinity, podAffinity, "
                "podAntiAffinity).", {}, values="affinity", part=WL),
        Setting("topologySpreadConstraints", sp.array(sp.TOPOLOGY_SPREAD), "Explicit topology spread constraints; "
                "labelSelector defaults to the chart's selector labels.", [], values="topologySpreadConstraints",
                part=WL),
    ]


def _container() -> list[Setting | Group]:
    """Beyond helm create: what production containers need."""
    sm = "serviceMonitor."
    return [
        Setting("envFrom", sp.array(sp.ENV_FROM), "Environment from existing Secrets (secretRef) or ConfigMaps "
                "(configMapRef), each with an optional prefix.", [], values="envFrom", part=WL),
        Setting("command", sp.STRINGS, "Container entrypoint (replaces the image's ENTRYPOINT).", [],
                values="command", part=WL),
        Setting("args", sp.STRINGS, "Container arguments (replace the image's CMD).", [], values="args", part=WL),
        Group("config", "A ConfigMap generated from chartgen.yaml; pods roll when it changes (checksum/config)."),
        Setting("config.data", {**STRING_MAP, "propertyNames": {"pattern": "^[-._a-zA-Z0-9]+$", "maxLength": 253}},
                "Entries of the <fullname>-config ConfigMap (no secrets).", {},
                values="config.data", part=WL),
        Setting("config.mountPath", {"type": "string", "pattern": "^$|^/"}, "Mount the entries as files here; "
                "empty injects them as environment variables (envFrom).", "", values="config.mountPath", part=WL),
        Setting("initContainers", sp.array(sp.container(False)), "Containers run to completion before the app "
                "starts (hardened like the app container; its resources by default).", [],
                values="initContainers", part=WL),
        Setting("sidecars", sp.array(sp.container(True)), "Native sidecars (initContainers with restartPolicy "
                "Always, Kubernetes >= 1.29): started before the app, stopped after it.", [],
                values="sidecars", part=WL),
        Setting("preStop", sp.HANDLER, "lifecycle.preStop of the app container (exec, httpGet or sleep), e.g. "
                "{sleep: {seconds: 5}} to let endpoints drain.", values="preStop", part=WL),
        Setting("terminationGracePeriodSeconds", {"type": "integer", "minimum": 0, "maximum": 3600},
                "Seconds a pod gets to stop (preStop included) before it is killed.", 30,
                values="terminationGracePeriodSeconds", part=WL),
        Setting("priorityClassName", {"type": "string", "pattern": "^$|" + sp.SUBDOMAIN["pattern"]},
                "PriorityClass of the pods; empty for the cluster default.", "", values="priorityClassName",
                part=WL),
        Setting("hostAliases", sp.array(sp.HOST_ALIAS), "Extra /etc/hosts entries of the pods: [{ip, hostnames}].",
                [], values="hostAliases", part=WL),
        Setting("dnsPolicy", {"enum": ["", "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]},
                "DNS policy of the pods; empty for ClusterFirst. None needs dnsConfig.nameservers.", "",
                values="dnsPolicy", part=WL),
        Setting("dnsConfig", sp.DNS_CONFIG, "DNS settings merged into the policy's: nameservers (IP addresses, at "
                "most 3), searches, options (e.g. [{name: ndots, value: \"2\"}]).", {}, values="dnsConfig", part=WL),
        Group("serviceMonitor", "A Prometheus Operator ServiceMonitor (monitoring.coreos.com/v1), rendered when "
                                "the cluster serves that API (or when forced)."),
        Setting(sm + "enabled", BOOLEAN, "Render the ServiceMonitor when the API is available.", False,
                values="serviceMonitor.enabled", part=SVC),
        Setting(sm + "force", BOOLEAN, "Render it even when helm does not see the API (helm template, GitOps).",
                False, values="serviceMonitor.force", part=SVC),
        Setting(sm + "port", {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                "Name of the Service port to scrape; default: the first named port.", values="serviceMonitor.port",
                part=SVC),
        Setting(sm + "path", sp.ABS_PATH, "Metrics path.", "/metrics", values="serviceMonitor.path", part=SVC),
        Setting(sm + "interval", sp.SERVICE_MONITOR_DURATION, "Scrape interval.", "30s",
                values="serviceMonitor.interval", part=SVC),
        Setting(sm + "scrapeTimeout", sp.SERVICE_MONITOR_DURATION, "Scrape timeout (at most the interval).", "10s",
                values="serviceMonitor.scrapeTimeout", part=SVC),
        Setting(sm + "labels", STRING_MAP, "Extra ServiceMonitor labels (e.g. release: prometheus for the "
                "Prometheus serviceMonitorSelector).", {}, values="serviceMonitor.labels", part=SVC),
        Setting("policyWaivers", {"type": "object", "propertyNames": sv.WAIVER_ID,
                                  "additionalProperties": {"type": ["string", "null"], "minLength": 10}},
                "Policy checks waived on the workload, each with its reason (rendered as checkov.io/skip annotations "
                "and listed in the README).", {
                    "CKV_K8S_15": "imagePullPolicy IfNotPresent: images are pinned to immutable version tags (Helm "
                                  "best practice); Always makes every pod restart depend on the registry",
                    "CKV_K8S_43": "Images are pinned by an immutable version tag; set image.digest to pin by digest, "
                                  "which drops this waiver"},
                values="policyWaivers", part=WL,
                values_schema={"type": "object", "propertyNames": sv.WAIVER_ID,
                               "additionalProperties": sv.WAIVER_REASON}),
        Setting("extraManifests", sp.array({"type": ["object", "string"]}), "More Kubernetes objects, rendered "
                "through tpl (templates allowed), as Bitnami's extraDeploy.", [], values="extraManifests",
                part="base"),
    ]


def _traffic() -> list[Setting | Group]:
    """Ingress and Gateway API HTTPRoute and GRPCRoute in front of the Service."""
    ing = "ingress."
    return [
        Group("ingress", "An Ingress (networking.k8s.io/v1) in front of the Service."),
        Setting(ing + "enabled", BOOLEAN, "Render the Ingress.", False, values="ingress.enabled", part=SVC),
        Setting(ing + "className", STRING, "IngressClass (e.g. nginx); empty for the cluster default.", "",
                values="ingress.className", part=SVC),
        Setting(ing + "annotations", STRING_MAP, "Ingress annotations (controller options).", {},
                values="ingress.annotations", part=SVC),
        Setting(ing + "hosts", sp.array(sp.INGRESS_HOST), "Hosts and their paths (path, pathType Prefix by "
                "default, port: a Service port name or number, the first port by default).", [],
                values="ingress.hosts", part=SVC),
        Setting(ing + "tls", sp.array(sp.INGRESS_TLS), "TLS: a Secret (tls.crt, tls.key) per list of hosts.", [],
                values="ingress.tls", part=SVC),
        *_gateway_route("httpRoute", "HTTPRoute", "", sp.ROUTE_RULE, "matches, filters, timeouts", "request", ""),
        *_gateway_route("grpcRoute", "GRPCRoute", " for the Service's gRPC port", sp.GRPC_ROUTE_RULE,
                        "matches on gRPC service/method and headers, filters", "call",
                        " (the gRPC port, e.g. one with appProtocol grpc)"),
    ]


def _gateway_route(key: str, kind: str, purpose: str, rule: dict[str, Any], rule_text: str, call: str,
                   port_text: str) -> list[Setting | Group]:
    """A Gateway API route in front of the Service (HTTPRoute, GRPCRoute): the same settings, its own rules."""
    return [
        Group(key, f"A Gateway API {kind} (gateway.networking.k8s.io/v1){purpose} attached to existing "
                   "Gateways; with versions, its backendRefs split traffic by weight."),
        Setting(f"{key}.enabled", BOOLEAN, f"Render the {kind}.", False, values=f"{key}.enabled", part=SVC),
        Setting(f"{key}.annotations", STRING_MAP, f"{kind} annotations.", {}, values=f"{key}.annotations",
                part=SVC),
        Setting(f"{key}.parentRefs", sp.array(sp.PARENT_REF), "Gateways the route attaches to (name, namespace, "
                "sectionName).", [], values=f"{key}.parentRefs", part=SVC),
        Setting(f"{key}.hostnames", sp.array(sp.HOST), "Hostnames the route serves.", [],
                values=f"{key}.hostnames", part=SVC),
        Setting(f"{key}.rules", sp.array(rule), f"Rules ({rule_text}); each sends to the Service (or its versions "
                f"by weight). Empty: one rule for every {call}.", [], values=f"{key}.rules", part=SVC),
        Setting(f"{key}.port", sp.PORT_OR_NAME, f"Service port the route sends to{port_text}; default: the first "
                "port.", values=f"{key}.port", part=SVC),
    ]


def _istio() -> list[Setting | Group]:
    i = "istio."
    return [
        Group("istio", "Istio traffic management: Gateway, VirtualService, DestinationRule, PeerAuthentication, "
                       "AuthorizationPolicy and canary versions (networking.istio.io/v1, security.istio.io/v1)."),
        Setting(i + "enabled", BOOLEAN, "Render the Istio objects (Gateway, VirtualService, DestinationRule, "
                "PeerAuthentication, AuthorizationPolicy).", False, values="istio.enabled", part=IC, layered=False),
        Setting(i + "hosts", {"type": "array", "items": STRING},
                "External hosts, served by the Gateway and routed by the VirtualService; empty routes in-mesh calls "
                "to the Service only.", [], values="istio.hosts", part=IC, layered=False,
                values_schema={"type": "array", "items": {"type": "string", "pattern": HOST_PATTERN}}),
        Setting(i + "mesh", BOOLEAN, "Also apply the routes to calls from inside the mesh (adds the mesh gateway "
                "and the Service as a host).", False, values="istio.mesh", part=IC, layered=False),
        Setting("versions", {"$ref": "#/definitions/istioVersions"}, "Versions deployed side by side, each a "
                "Deployment <fullname>-<version> (and a DestinationRule subset with Istio); their weights (percent, "
                "sum 100) split the Istio routes that set none, or the HTTPRoute without Istio. null removes a "
                "version in an environment. Replaces istio.versions."),
        Setting(i + "port", PORT_OR_NAME, "Service port the routes send to (number or name); default: the only "
                "port, else the first HTTP port."),
        Setting(i + "gateway.existing", STRING, "Bind to this shared Gateway (namespace/name) instead of rendering "
                "one; empty renders <fullname>-gateway.", values="istio.gateway.existing", part=GW, values_schema={
                    "type": "string", "pattern": "^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"}),
        Setting(i + "gateway.selector", STRING_MAP, "Labels of the gateway workload the Gateway configures.",
                {"istio": "ingressgateway"}, values="istio.gateway.selector", part=GW, layered=False,
                values_schema={"type": "object", "minProperties": 1, "additionalProperties": {"type": "string"}}),
        Setting(i + "gateway.http.enabled", BOOLEAN, "Render the HTTP server.", True,
                values="istio.gateway.http.enabled", part=GW, layered=False),
        Setting(i + "gateway.http.port", PORT, "Gateway port of the HTTP server.", 80,
                values="istio.gateway.http.port", part=GW, layered=False),
        Setting(i + "gateway.http.httpsRedirect", BOOLEAN, "Answer every HTTP request with a 301 redirect to HTTPS.",
                False, values="istio.gateway.http.httpsRedirect", part=GW, layered=False),
        Setting(i + "gateway.https.enabled", BOOLEAN, "Render the HTTPS server (needs credentialName).",
                values="istio.gateway.https.enabled", part=GW),
        Setting(i + "gateway.https.port", PORT, "Gateway port of the HTTPS server.", 443,
                values="istio.gateway.https.port", part=GW, layered=False),
        Setting(i + "gateway.https.mode", {"enum": ["SIMPLE", "MUTUAL", "PASSTHROUGH"]}, "SIMPLE (server "
                "certificate) or MUTUAL (clients must present a certificate signed by the Secret's ca.crt); "
                "PASSTHROUGH forwards the TLS stream by SNI (istio.hosts) to https.targetPort: the pods terminate TLS.",
                "SIMPLE",
                values="istio.gateway.https.mode", part=GW, layered=False),
        Setting(i + "gateway.https.credentialName", STRING, "TLS Secret (tls.crt, tls.key; ca.crt for MUTUAL) in "
                "the ingress gateway's namespace.", values="istio.gateway.https.credentialName", part=GW),
        Setting(i + "versions", {"$ref": "#/definitions/istioVersions"}, "Deprecated alias of the top-level "
                "versions (still read, with a note; a file writes one or the other)."),
        Setting(i + "routes", {"type": "array", "items": {"$ref": "#/definitions/istioRoute"}},
                "Ordered HTTP routes, tried before the default route."),
        Setting(i + "defaultRoute", {"$ref": "#/definitions/istioDefaultRoute"},
                "The last route (no match): the rest of the traffic."),
        Setting(i + "trafficPolicy", {"$ref": "#/definitions/istioTrafficPolicy"},
                "DestinationRule trafficPolicy (Istio's fields); tls mode ISTIO_MUTUAL by default."),
        Group(i + "peerAuthentication", "PeerAuthentication for the chart's pods."),
        Setting(i + "peerAuthentication.enabled", BOOLEAN, "Render the PeerAuthentication.", True,
                values="istio.peerAuthentication.enabled", part=SEC, layered=False),
        Setting(i + "peerAuthentication.mode", {"enum": ["STRICT", "PERMISSIVE"]},
                "STRICT accepts only mutual-TLS traffic from the mesh.", "STRICT",
                values="istio.peerAuthentication.mode", part=SEC, layered=False),
        Group(i + "authorizationPolicy", "AuthorizationPolicy: ALLOW only the listed principals and rules (include "
                                         "the ingress gateway's when a Gateway is used), or DENY what the rules "
                                         "match."),
        Setting(i + "authorizationPolicy.enabled", BOOLEAN, "Render the AuthorizationPolicy (ALLOW: every caller the "
                "principals and rules do not match is denied).",
                values="istio.authorizationPolicy.enabled", part=SEC),
        Setting(i + "authorizationPolicy.principals", {"type": "array", "items": STRING},
                "mTLS identities allowed to call the pods, e.g. cluster.local/ns/frontend/sa/web.", [],
                values="istio.authorizationPolicy.principals", part=SEC, layered=False,
                values_schema={"type": "array", "items": {"type": "string", "minLength": 1}}),
        Group(i + "canary", "Progressive delivery."),
        Setting(i + "canary.controller", {"enum": ["none", "argo-rollouts", "flagger"]},
                "none: the chart splits traffic across versions. argo-rollouts: a Rollout (subsets "
                "stable/canary) replaces the Deployment. flagger: a Flagger Canary; Flagger creates the Service, "
                "VirtualService and DestinationRule, so the chart renders none.", "none",
                values="istio.canary.controller", part=CAN, layered=False),
        Setting(i + "canary.steps", {"type": "array", "items": {"type": "integer"}},
                "Canary traffic steps in percent (argo-rollouts, flagger).", [10, 25, 50], values="istio.canary.steps",
                part=CAN, layered=False,
                values_schema={"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 99}}),
        Setting(i + "canary.interval", ISTIO_DURATION_REF,
                "Pause between steps (argo-rollouts), analysis interval (flagger).", "1m",
                values="istio.canary.interval", part=CAN, layered=False,
                values_schema={"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(h|m|s|ms))+$"}),
        Setting(i + "canary.threshold", {"type": "integer", "minimum": 1},
                "Failed metric checks tolerated before the canary is rolled back (flagger threshold, argo-rollouts "
                "failureLimit).", 5,
                values="istio.canary.threshold", part=CAN, layered=False),
    ]


def _service_entry() -> dict[str, Any]:
    """One istio.serviceEntries item (the same shape in chartgen.yaml and values.schema.json)."""
    label = {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
    port = {"type": "object", "additionalProperties": False, "required": ["number", "protocol"], "properties": {
        "number": PORT, "protocol": {"enum": ["HTTP", "HTTPS", "HTTP2", "GRPC", "TLS", "TCP", "MONGO"]},
        "name": label, "targetPort": PORT}}
    tls = {"type": "object", "additionalProperties": False, "required": ["port"],
           "description": "TLS origination: the application speaks plain HTTP to port, the sidecar opens TLS to the "
                          "host (a DestinationRule <fullname>-<name>).", "properties": {
               "port": PORT | {"description": "The entry's HTTP port whose calls leave over TLS."},
               "mode": {"enum": ["SIMPLE", "MUTUAL"], "description": "SIMPLE (the server's certificate is verified) "
                        "or MUTUAL (a client certificate too); default SIMPLE."},
               "sni": {"type": "string", "description": "SNI sent; default the host."},
               "credentialName": {"type": "string", "description": "Secret with tls.crt/tls.key (MUTUAL) and ca.crt "
                                                                  "verifying the server."},
               "caCertificates": {"type": "string", "description": "CA bundle file in the proxy verifying the "
                                                                  "server, e.g. /etc/ssl/certs/ca-certificates.crt."}}}
    return {"type": "object", "additionalProperties": False, "required": ["name", "hosts", "ports"], "properties": {
        "name": label | {"maxLength": 40, "description": "Suffix of the objects' names (<fullname>-<name>)."},
        "hosts": {"type": "array", "minItems": 1, "items": {"type": "string"},
                  "description": "DNS names (a '*.' wildcard only with resolution NONE)."},
        "ports": {"type": "array", "minItems": 1, "items": port},
        "resolution": {"enum": ["DNS", "DNS_ROUND_ROBIN", "NONE"], "description": "How the proxy finds the "
                       "endpoints; default DNS."},
        "tls": tls}}


def _istio_traffic() -> list[Setting | Group]:
    """Istio egress and TLS settings beyond routing: ServiceEntries, the Sidecar, the Gateway's TLS versions."""
    i = "istio."
    return [
        Setting(i + "gateway.https.minProtocolVersion", {"enum": ["", "TLSV1_2", "TLSV1_3"]},
                "Lowest TLS version the HTTPS server accepts (SIMPLE/MUTUAL); empty: Istio's default (TLS 1.2).", "",
                values="istio.gateway.https.minProtocolVersion", part=GW, layered=False),
        Setting(i + "gateway.https.targetPort", PORT_OR_NAME, "PASSTHROUGH: the Service port (number or name) "
                "whose pods terminate the TLS the Gateway passes through; default istio.port.",
                values="istio.gateway.https.targetPort", part=GW, values_schema={
                    "type": "integer", "minimum": 0, "maximum": 65535}),
        Setting(i + "serviceEntries", {"type": "array", "items": _service_entry()},
                "External hosts the service calls: a ServiceEntry each (MESH_EXTERNAL, exported to the release "
                "namespace only) and, with tls, a DestinationRule originating TLS.", [],
                values="istio.serviceEntries", part=EGRESS, layered=False),
        Group(i + "sidecar", "A Sidecar limiting what the chart's proxies know (egress) to what the service uses."),
        Setting(i + "sidecar.enabled", BOOLEAN, "Render the Sidecar: egress to the release namespace, istio-system, "
                "the ServiceEntry hosts and sidecar.egressHosts.", False, values="istio.sidecar.enabled",
                part=SIDECAR, layered=False),
        Setting(i + "sidecar.egressHosts", {"type": "array", "items": STRING},
                "More egress hosts as namespace/dnsName (e.g. orders/*, payments/api.payments.svc.cluster.local).",
                [], values="istio.sidecar.egressHosts", part=SIDECAR, layered=False,
                values_schema={"type": "array", "items": {"type": "string", "pattern": SIDECAR_HOST}}),
    ]


def _platform() -> list[Setting | Group]:
    """What a real platform needs on top (issue 25): NetworkPolicy peers and egress, postStart, a Deployment's
    claim, the migration hook Job, the helm test pod's image."""
    np, pv, mg, ts = "networkPolicy.", "persistence.", "migration.", "tests."
    return [
        Setting(np + "allowExternal", BOOLEAN, "false: only pods labelled <fullname>-client: \"true\" (plus allowFrom, "
                "the metrics scraper and the Istio ingress gateway) may connect; true: allowFrom decides (empty: "
                "anyone).", True, values=np + "allowExternal", part=WL),
        Setting(np + "allowFrom", sp.array(sp.NETPOL_PEER), "Peers allowed in to the container ports: podSelector "
                "and/or namespaceSelector, or ipBlock (cidr, except); empty with allowExternal true: from anywhere.",
                [], values=np + "allowFrom", part=WL),
        Setting(np + "metricsFrom", sp.array(sp.NETPOL_PEER), "The metrics scraper (Prometheus), admitted to the "
                "container ports (and the Istio sidecar's metrics ports 15020/15090) whenever ingress is restricted.",
                sp.METRICS_SCRAPER, values=np + "metricsFrom", part=WL),
        Setting(np + "restrictEgress", BOOLEAN, "Restrict egress too: only networkPolicy.egress, DNS (allowDNS) "
                "and, with Istio, its control plane are reachable.", False, values=np + "restrictEgress", part=WL),
        Setting(np + "egress", sp.array(sp.EGRESS_RULE), "Egress rules (to: peers, ports) while restrictEgress is "
                "true.", [], values=np + "egress", part=WL),
        Setting(np + "allowDNS", BOOLEAN, "While egress is restricted, allow DNS to kube-dns in kube-system (UDP and "
                "TCP 53).", True, values=np + "allowDNS", part=WL),
        Setting("postStart", sp.HANDLER, "lifecycle.postStart of the app container (exec, httpGet or sleep); the "
                "container is not Running until it returns.", values="postStart", part=WL),
        Group("persistence", "A PersistentVolumeClaim mounted by every pod of the Deployment (or an existing claim)."),
        Setting(pv + "enabled", BOOLEAN, "Mount a claim at persistence.mountPath.", False,
                values=pv + "enabled", part=DEP),
        Setting(pv + "existingClaim", {"type": "string", "pattern": sp.SUBDOMAIN["pattern"], "maxLength": 253},
                "Mount this existing claim; the chart then renders no PVC (size, storageClass and accessModes "
                "are the claim's).", values=pv + "existingClaim", part=DEP),
        Setting(pv + "size", {"$ref": "#/definitions/quantity"}, "Size of the claim the chart creates.", "8Gi",
                values=pv + "size", part=DEP, layered=False, values_schema=STORAGE_SIZE),
        Setting(pv + "storageClass", STRING, "StorageClass of the claim; empty for the cluster default.",
                values=pv + "storageClass", part=DEP),
        Setting(pv + "accessModes", {"type": "array", "items": {"enum": ACCESS_MODES}}, "Access modes of the claim "
                "(ReadWriteMany when several pods on several nodes write).", ["ReadWriteOnce"],
                values=pv + "accessModes", part=DEP, layered=False,
                values_schema={"type": "array", "minItems": 1, "items": {"enum": ACCESS_MODES}}),
        Setting(pv + "mountPath", sp.ABS_PATH, "Where the claim is mounted in the app container.", "/data",
                values=pv + "mountPath", part=DEP, layered=False),
        Group("migration", "A database migration run once per install/upgrade as a Helm hook Job (pre-install, "
                           "pre-upgrade) instead of an init container in every replica."),
        Setting(mg + "enabled", BOOLEAN, "Render the migration hook Job.", False, values=mg + "enabled", part=WL),
        Setting(mg + "command", sp.array(STRING, minItems=1), "The migration command (required when enabled).",
                values=mg + "command", part=WL),
        Setting(mg + "args", sp.STRINGS, "Its arguments.", [], values=mg + "args", part=WL),
        Setting(mg + "image", sp.IMAGE_REF, "Image of the Job; default: the app's image.", values=mg + "image",
                part=WL),
        Setting(mg + "env", sp.ENV_MAP, "Environment of the Job, over the app's env (its envFrom too; the "
                "generated ConfigMap is left out: it does not exist before install).", {}, values=mg + "env",
                part=WL, layered=False),
        Setting(mg + "backoffLimit", {"type": "integer", "minimum": 0, "maximum": 10}, "Retries before the Job "
                "(and the install or upgrade) fails.", 1, values=mg + "backoffLimit", part=WL),
        Setting(mg + "activeDeadlineSeconds", {"type": "integer", "minimum": 1}, "Seconds the Job may run in all.",
                600, values=mg + "activeDeadlineSeconds", part=WL),
        Setting(mg + "hookWeight", {"type": "integer"}, "helm.sh/hook-weight: lower weights run first.", 0,
                values=mg + "hookWeight", part=WL),
        Setting(ts + "image.repository", {"type": "string", "minLength": 1}, "Test image repository (needs nc).",
                "busybox", values=ts + "image.repository", part=WL),
        Setting(ts + "image.tag", {"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"},
                "Test image tag (pinned; 'latest' is refused).", "1.36.1", values=ts + "image.tag", part=WL,
                values_schema={"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
                               "not": {"const": "latest"}}),
        Setting(ts + "imagePullSecrets", sp.array(sp.PULL_SECRET), "Pull secrets of the test pod, e.g. "
                "[{name: regcred}] for a mirrored test image.", [], values=ts + "imagePullSecrets", part=WL),
    ]



AUTHZ_RULE = sp.closed({
    "principals": sp.array({"type": "string", "minLength": 1}, minItems=1),
    "namespaces": sp.array({"type": "string", "minLength": 1}, minItems=1),
    "paths": sp.array({"type": "string", "minLength": 1}, minItems=1),
    "methods": sp.array({"type": "string", "minLength": 1}, minItems=1),
    "ports": sp.array({"type": "integer", "minimum": 1, "maximum": 65535}, minItems=1),
}, minProperties=1)
JWT_RULE = sp.closed({
    "issuer": {"type": "string", "minLength": 1},
    "jwksUri": {"type": "string", "pattern": "^https?://[^/\\s]+"},
    "audiences": sp.array({"type": "string", "minLength": 1}),
    "forwardOriginalToken": BOOLEAN,
    "fromHeaders": sp.array(sp.closed({"name": {"type": "string", "minLength": 1}, "prefix": STRING}, ["name"])),
}, ["issuer"])


def _istio_security() -> list[Setting | Group]:
    """Istio security beyond mTLS: AuthorizationPolicy rules and action, RequestAuthentication (JWT)."""
    a, r = "istio.authorizationPolicy.", "istio.requestAuthentication."
    return [
        Setting(a + "action", {"enum": ["ALLOW", "DENY"]}, "ALLOW: only requests matching principals or a rule get "
                "in; DENY: requests matching a rule are refused (a DENY rule on paths or methods names its ports).",
                "ALLOW", values=a + "action", part=SEC, layered=False),
        Setting(a + "rules", sp.array(AUTHZ_RULE), "Rules beyond principals, each one Istio rule whose fields must "
                "all match: sources (principals, namespaces) and operations (paths, methods, ports).", [],
                values=a + "rules", part=SEC, layered=False),
        Group("istio.requestAuthentication", "RequestAuthentication (JWT) and an AuthorizationPolicy "
                                             "<fullname>-require-jwt refusing requests without a valid token on the "
                                             "protected paths."),
        Setting(r + "enabled", BOOLEAN, "Render the RequestAuthentication and the require-jwt AuthorizationPolicy.",
                False, values=r + "enabled", part=SEC, layered=False),
        Setting(r + "jwtRules", sp.array(JWT_RULE), "Accepted token issuers: issuer, jwksUri, audiences, "
                "forwardOriginalToken, fromHeaders ({name, prefix}).", [], values=r + "jwtRules", part=SEC,
                layered=False),
        Setting(r + "paths", sp.array({"type": "string", "minLength": 1}), "Paths that require a valid token "
                "(requestPrincipals *); empty: every path. Tokens elsewhere are still validated when sent.", [],
                values=r + "paths", part=SEC, layered=False),
    ]


FLAGGER_WEBHOOK = sp.closed({
    "name": {"type": "string", "minLength": 1},
    "type": {"enum": ["confirm-rollout", "pre-rollout", "rollout", "confirm-traffic-increase", "confirm-promotion",
                      "post-rollout", "rollback", "event"]},
    "url": {"type": "string", "pattern": "^https?://[^/\\s]+"},
    "timeout": {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(h|m|s|ms))+$"},
    "metadata": STRING_MAP,
}, ["name", "type", "url"])


def _canary_analysis() -> list[Setting | Group]:
    """What a canary controller measures before it shifts more traffic (Argo Rollouts analysis, Flagger metrics)."""
    c = "istio.canary."
    return [
        Setting(c + "successRate", {"type": "number", "minimum": 0, "maximum": 100},
                "Minimum percent of non-5xx responses (Istio's istio_requests_total) the canary must keep: Flagger's "
                "request-success-rate, Argo Rollouts' success-rate metric.", 99, values=c + "successRate", part=CAN,
                layered=False),
        Setting(c + "maxDuration", {"type": "integer", "minimum": 1},
                "Maximum p99 request duration in milliseconds: Flagger's request-duration, Argo Rollouts' latency "
                "metric.", 500, values=c + "maxDuration", part=CAN, layered=False),
        Setting(c + "prometheus", {"type": "string", "pattern": "^(https?://[^/\\s]+.*)?$"},
                "argo-rollouts: the Prometheus address; set, the chart renders an AnalysisTemplate <fullname> "
                "(success-rate, latency) that the Rollout runs from its first step. Flagger uses its own "
                "metrics server.", "", values=c + "prometheus", part=CAN, layered=False),
        Setting(c + "webhooks", sp.array(FLAGGER_WEBHOOK), "flagger: webhooks (name, type, url, timeout, "
                "metadata), e.g. a load test during the rollout or a confirm-promotion gate.", [],
                values=c + "webhooks", part=CAN, layered=False),
    ]


def _reference_grant() -> list[Setting | Group]:
    """Routes in other namespaces that send to the chart's Services (the grant lives with the Services)."""
    return [
        Group("referenceGrant", "A Gateway API ReferenceGrant (gateway.networking.k8s.io/v1beta1) in the chart's "
                                "namespace letting routes of other namespaces send to its Services (<fullname>, and "
                                "with an HTTPRoute and versions <fullname>-<version>)."),
        Setting("referenceGrant.from", sp.array(sp.closed({
            "namespace": sp.LABEL_NAME, "kind": {"enum": ["HTTPRoute", "GRPCRoute"]}}, ["namespace", "kind"])),
            "The routes allowed in: their kind and namespace; empty renders no ReferenceGrant.", [],
            values="referenceGrant.from", part=SVC),
    ]


CATALOG = Catalog([*_meta(), *_service(), *_workload(), *_pod(), *_container(), *_platform(), *_traffic(),
                   *_istio(), *_istio_traffic(), *_istio_security(), *_canary_analysis(),
                   *_reference_grant(), *sv.workload(), *sv.service(), *sv.istio(),
                   *sv.heads()])
