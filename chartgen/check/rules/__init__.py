"""The rule modules, one per concern (as istioctl's analyzers): the rule for X lives in the module named for X.

    objects.py             every object: apiVersion/kind, duplicate keys/objects, names, labels, selectors
    annotations.py         annotation keys and total size - CG-OBJ-001
    finalizers.py          metadata.finalizers names, orphan vs foregroundDeletion - CG-OBJ-002
    config_data.py         ConfigMap/Secret keys, base64 data, Secret types - CG-CFG-*
    service_spec.py        Service fields (ports, types, IPs, traffic policies) - CG-SVC-*
    service_endpoints.py   Service selector -> pods, targetPort -> containers
    workloads.py           pod templates: port names, workload selectors, probes, StatefulSet serviceName, SA
    pod_spec.py            what ValidatePodSpec rejects: volumes, containers, env, ports, probes, resources - CG-POD-*
    pod_gated_fields.py    feature-gated pod fields: DRA resource claims, clusterTrustBundle sources - CG-POD-014..015
    runtime_class.py       pod overhead against its RuntimeClass (RuntimeClass admission) - CG-POD-016
    apps_spec.py           Deployment/StatefulSet/DaemonSet counts, strategies, claim templates - CG-APPS-*
    batch_spec.py          Job and CronJob fields, cron schedules, time zones - CG-BATCH-*
    availability.py        HPA targets, PodDisruptionBudgets, single replicas
    autoscaling.py         HPA fields, utilisation without requests, replicas under an HPA, targets - CG-HPA-*
    disruption_budgets.py  PDB fields, budgets that block drains, overlapping budgets - CG-AVAIL-*
    networkpolicy.py       NetworkPolicies that select nothing, peers against rendered Namespaces - CG-NET-003
    networking_spec.py     NetworkPolicy and Ingress fields - CG-NET-*
    reachability.py        NetworkPolicies against Service, edge and DNS traffic - CG-REACH-*
    ingress.py             Ingress / HTTPRoute / GRPCRoute backends
    gateway_api_routes.py  HTTPRoute/GRPCRoute fields the Gateway API CRDs' CEL rules reject - CG-GW-001..009
    gateway_api_gateways.py  Gateway listeners per protocol, addresses, required fields - CG-GW-010..014
    gateway_api_attach.py  parentRefs against listeners, allowedRoutes, hostnames, ReferenceGrants - CG-GW-020..025
    istio_routing.py       VirtualServices
    istio_destinations.py  DestinationRules, Service port naming
    istio_gateways.py      Istio Gateways
    istio_security.py      AuthorizationPolicy, PeerAuthentication, RequestAuthentication - CG-MESH-019..022, 037
    istio_service_entries.py  ServiceEntry validation - CG-MESH-018
    istio_reachability.py  Sidecar egress against routed hosts, ISTIO_MUTUAL to external hosts - CG-MESH-023..024
    istio_validation.py    validateHTTPRoute fields, durations, DestinationRule traffic policies - CG-MESH-025..027
    istio_hosts.py         VirtualService hosts and DestinationRule host syntax - CG-MESH-040
    istio_export.py        exportTo on VirtualServices, DestinationRules, ServiceEntries - CG-MESH-039
    istio_sidecar.py       Sidecar listeners: ports, catch-all egress, ingress TLS, egress proxy - CG-MESH-038
    istio_envoyfilter.py   EnvoyFilter patches that are ignored or order-dependent - CG-MESH-029..030
    istio_analyzers.py     istioctl analyzers over Kubernetes objects (annotations, selectors, ports, UID 1337,
                           image: auto), ServiceEntry addresses, shared Gateway certificates - CG-MESH-028, 031..036
    istio_mesh.py          istioctl analyze semantics and mesh consistency (regex, TLS, mTLS, retries) - CG-MESH-*
    pod_security.py        securityContext posture
    pod_security_admission.py  Pod Security Admission: rendered Namespace labels and the pods in them - CG-PSA-*
    admission_inputs.py    LimitRange, ResourceQuota (objects, pods, namespaces), PriorityClass - CG-LIMIT/QUOTA/PRIO-*
    rbac.py                Roles, bindings, subjects, bindings to roles the render lacks - CG-RBAC-*
    endpoint_slices.py     EndpointSlice fields and ports against their Service - CG-EPS-*
    persistent_volume_claims.py  PersistentVolumeClaim spec - CG-PVC-001
    pod_reliability.py     resources, image tags, probes posture
    meta.py                the chartgen.io/ignore annotation itself
    operators_certmanager.py  cert-manager Certificates and Issuers: webhook checks, issuers, TLS hosts - CG-CERT-*
    operators_externalsecrets.py  ExternalSecrets: webhook checks, stores, writers of one Secret, keys - CG-ESO-*
    operators_keda.py      KEDA ScaledObjects/ScaledJobs: webhook checks, one scaler per target, references - CG-KEDA-*
    operators_rollouts.py  Argo Rollouts: strategy, Services, AnalysisTemplates and their args - CG-ROLL-*
    operators_prometheus.py  PrometheusRules (rulefmt, PromQL), ServiceMonitor/PodMonitor targets - CG-PROM-*

Every module in this package is imported by `load()`; a new module needs no registration. Each rule is declared
once with `chartgen.check.registry.rule` (id, severity, title, layer, why, fix, example) and builds findings with
`chartgen.check.registry.finding`; shared helpers live in `chartgen.check.helpers` (and `chartgen.check.mesh` for
Istio, `chartgen.check.operators` for the operators' custom resources).
"""

from __future__ import annotations

import importlib
import os


def module_names() -> list[str]:
    """Every module of this package (a folder of .py files: no subpackages; os.listdir, not pkgutil, whose import
    alone was ~2 ms of every check process)."""
    return sorted(f"{__name__}.{name[:-3]}" for folder in __path__ for name in os.listdir(folder)
                  if name.endswith(".py") and not name.startswith("_"))


def load() -> list[str]:
    """Import every rule module (registering its rules); returns their names."""
    names = module_names()
    for name in names:
        importlib.import_module(name)
    return names
