"""Where each value of `helm create`'s chart (Helm 4.1.4) lives in chartgen.yaml: the README table is rendered from
this mapping and a test keeps it complete against a chart the installed helm creates."""

from __future__ import annotations

# helm create value -> (chartgen.yaml field, note)
HELM_CREATE: dict[str, tuple[str, str]] = {
    "replicaCount": ("replicas", "ignored while autoscaling is on; per version: versions.<v>.replicas"),
    "image.repository": ("image.repository", ""),
    "image.pullPolicy": ("image.pullPolicy", ""),
    "image.tag": ("image.tag", "or image.digest; 'latest' refused unless image.allowLatest"),
    "imagePullSecrets": ("imagePullSecrets", ""),
    "nameOverride": ("name", "the chart name; nameOverride stays a value for helm install"),
    "fullnameOverride": ("name", "the chart name; fullnameOverride stays a value for helm install"),
    "serviceAccount.create": ("serviceAccount.create", ""),
    "serviceAccount.automount": ("serviceAccount.automount", "off by default"),
    "serviceAccount.annotations": ("serviceAccount.annotations", "IRSA, GKE and Azure workload identity"),
    "serviceAccount.name": ("serviceAccount.name", ""),
    "podAnnotations": ("podAnnotations", ""),
    "podLabels": ("podLabels", ""),
    "podSecurityContext": ("podSecurityContext", "merged over the hardened defaults"),
    "securityContext": ("securityContext", "merged over the hardened defaults"),
    "service.type": ("service.type", "one the blueprint allows"),
    "service.port": ("service.ports", "a list: port, targetPort, name, nodePort, appProtocol"),
    "ingress.enabled": ("ingress.enabled", ""),
    "ingress.className": ("ingress.className", ""),
    "ingress.annotations": ("ingress.annotations", ""),
    "ingress.hosts": ("ingress.hosts", "paths[].port names a Service port"),
    "ingress.tls": ("ingress.tls", ""),
    "httpRoute.enabled": ("httpRoute.enabled", "with versions: weighted backendRefs"),
    "httpRoute.annotations": ("httpRoute.annotations", ""),
    "httpRoute.parentRefs": ("httpRoute.parentRefs", ""),
    "httpRoute.hostnames": ("httpRoute.hostnames", ""),
    "httpRoute.rules": ("httpRoute.rules", ""),
    "resources": ("resources", ""),
    "livenessProbe": ("probes.liveness", "exec with a command, http with a path, else tcp; grpc"),
    "readinessProbe": ("probes.readiness", ""),
    "autoscaling.enabled": ("autoscaling.enabled", "per version: versions.<v>.autoscaling"),
    "autoscaling.minReplicas": ("autoscaling.minReplicas", ""),
    "autoscaling.maxReplicas": ("autoscaling.maxReplicas", ""),
    "autoscaling.targetCPUUtilizationPercentage": ("autoscaling.targetCPUUtilizationPercentage", ""),
    "volumes": ("volumes", "emptyDir, configMap, secret, persistentVolumeClaim, projected, ephemeral, csi"),
    "volumeMounts": ("volumeMounts", "each names a volume"),
    "nodeSelector": ("nodeSelector", ""),
    "tolerations": ("tolerations", ""),
    "affinity": ("affinity", ""),
}


def table() -> str:
    rows = ["| `helm create` value | chartgen.yaml field | note |", "| --- | --- | --- |"]
    rows += [f"| `{value}` | `{field}` | {note} |" for value, (field, note) in HELM_CREATE.items()]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(table(), end="")
