"""The operators platform teams run: cert-manager, external-secrets, KEDA, Argo Rollouts and prometheus-operator.
Their admission webhooks and controllers validate what the CRD schemas cannot express, and their objects reference
each other and the app's (issuers, stores, scale targets, Services, Secrets); each check is decided by the
chartgen/check/rules/operators_*.py rules or marked not decidable offline."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_CM = "cert-manager: internal/apis/certmanager/validation"
_CM_CTRL = "cert-manager: pkg/controller (certificates, certificaterequests, ingress-shim)"
_ESO = "external-secrets: apis/externalsecrets/v1/externalsecret_validator.go"
_ESO_CTRL = "external-secrets: pkg/controllers/externalsecret"
_KEDA = "KEDA: apis/keda/v1alpha1/scaledobject_webhook.go"
_KEDA_CTRL = "KEDA: pkg/scaling (scale handler, resolver)"
_ROLL = "Argo Rollouts: pkg/apis/rollouts/validation/validation.go"
_ROLL_REF = "Argo Rollouts: pkg/apis/rollouts/validation/validation_references.go"
_PROM = "prometheus-operator: pkg/admission (Prometheus model/rulefmt)"
_PROM_GEN = "prometheus-operator: pkg/prometheus (scrape config generation)"

ENTRIES: tuple[Upstream, ...] = (
    # cert-manager
    Upstream("cm.certificate.duration-min", f"{_CM}/certificate.go ValidateDuration",
             "spec.duration is at least 1h", rules=("CG-CERT-001",)),
    Upstream("cm.certificate.renew-before", f"{_CM}/certificate.go ValidateDuration",
             "spec.renewBefore is at least 5m and below the duration (default 2160h); not with renewBeforePercentage",
             rules=("CG-CERT-001",)),
    Upstream("cm.certificate.identity-required", f"{_CM}/certificate.go ValidateCertificateSpec",
             "at least one of commonName, dnsNames, uris, emailAddresses, ipAddresses is set", rules=("CG-CERT-001",)),
    Upstream("cm.certificate.issuer-kind", f"{_CM}/certificate.go validateIssuerRef",
             "issuerRef.kind is Issuer or ClusterIssuer for the cert-manager.io group", rules=("CG-CERT-001",)),
    Upstream("cm.certificate.private-key", f"{_CM}/certificate.go ValidateCertificateSpec",
             "RSA key size 2048-8192, ECDSA 256/384/521, signatureAlgorithm of the key's algorithm",
             rules=("CG-CERT-001",)),
    Upstream("cm.certificate.usages-annotations", f"{_CM}/certificate.go validateUsages",
             "usages are known key usages; secretTemplate carries no cert-manager.io/ annotation",
             rules=("CG-CERT-001",)),
    Upstream("cm.certificate.feature-gated-fields", f"{_CM}/certificate.go ValidateCertificateSpec",
             "literalSubject, otherNames and nameConstraints need feature gates on the webhook and controller",
             offline="the feature gates of the installed cert-manager are not in the render"),
    Upstream("cm.issuer.one-type", f"{_CM}/issuer.go ValidateIssuerConfig",
             "exactly one of acme, ca, selfSigned, vault, venafi", rules=("CG-CERT-002",)),
    Upstream("cm.issuer.acme-reachable", f"{_CM}/issuer.go ValidateACMEIssuerConfig",
             "the ACME account registers with the server and the solvers can answer challenges",
             offline="the ACME server, DNS zones and HTTP-01 reachability are the network's, not the render's"),
    Upstream("cm.certificate.issuer-exists", f"{_CM_CTRL}: issuer lookup",
             "the issuerRef (or the ingress-shim annotation) names an existing Issuer/ClusterIssuer of that kind",
             rules=("CG-CERT-003",)),
    Upstream("cm.ingress.tls-hosts-covered", f"{_CM_CTRL}: certificate content",
             "each TLS host of an Ingress is among the dnsNames of the Certificate writing its secret",
             rules=("CG-CERT-004",)),
    Upstream("cm.gateway.tls-hosts-covered", f"{_CM_CTRL}: certificate content",
             "each TLS host of an Istio Gateway server or Gateway API listener is among the Certificate's dnsNames",
             rules=("CG-CERT-004",)),
    Upstream("cm.ingress.tls-secret-produced", f"{_CM_CTRL}: ingress-shim",
             "where the render makes its TLS secrets, an Ingress TLS secret is written by a Certificate/ExternalSecret "
             "or requested by annotation",
             rules=("CG-CERT-005",)),
    # external-secrets
    Upstream("eso.externalsecret.policies", f"{_ESO} validatePolicies",
             "deletionPolicy Delete needs creationPolicy Owner; Merge not with creationPolicy None",
             rules=("CG-ESO-001",)),
    Upstream("eso.externalsecret.data-required", f"{_ESO} validateExternalSecret",
             "one of data or dataFrom is given; each dataFrom names one of extract, find, sourceRef",
             rules=("CG-ESO-001",)),
    Upstream("eso.externalsecret.duplicate-keys", f"{_ESO} validateDuplicateKeys",
             "two data entries do not write the same secretKey", rules=("CG-ESO-001",)),
    Upstream("eso.externalsecret.store-exists", f"{_ESO_CTRL}: store lookup",
             "secretStoreRef names an existing SecretStore (same namespace) or ClusterSecretStore",
             rules=("CG-ESO-002",)),
    Upstream("eso.externalsecret.remote-keys", f"{_ESO_CTRL}: provider GetSecret",
             "the remote keys exist in the provider and the store's credentials can read them",
             offline="the provider's contents and credentials live in the external secret store"),
    Upstream("eso.secret.one-writer", f"{_ESO_CTRL}: owner check",
             "one Secret has one writer: not two of a Certificate, an owning ExternalSecret and a rendered Secret",
             rules=("CG-ESO-003",)),
    Upstream("eso.secret.keys-read", f"{_ESO_CTRL}: the keys written",
             "a pod reads only keys the ExternalSecret writing its Secret produces", rules=("CG-ESO-004",)),
    # KEDA
    Upstream("keda.scaledobject.replica-bounds", f"{_KEDA} verifyReplicaCount",
             "minReplicaCount <= maxReplicaCount, idleReplicaCount < minReplicaCount", rules=("CG-KEDA-001",)),
    Upstream("keda.triggers.unique-names", f"{_KEDA} verifyTriggers (ValidateTriggers)",
             "trigger names are unique; no useCachedMetrics on cpu, memory, cron", rules=("CG-KEDA-001",)),
    Upstream("keda.scaledobject.one-per-target", f"{_KEDA} verifyScaledObjects",
             "no two ScaledObjects scale one workload or share an HPA name", rules=("CG-KEDA-002",)),
    Upstream("keda.scaledobject.no-foreign-hpa", f"{_KEDA} verifyHpas",
             "no HPA KEDA does not own scales the ScaledObject's target", rules=("CG-KEDA-002",)),
    Upstream("keda.scaledobject.resource-scale-to-zero", f"{_KEDA} verifyCPUMemoryScalers",
             "a ScaledObject with only cpu/memory triggers sets minReplicaCount >= 1", rules=("CG-KEDA-006",)),
    Upstream("keda.scaledobject.resource-requests", f"{_KEDA} verifyCPUMemoryScalers",
             "the target's containers request (or limit) the resource a cpu/memory trigger scales on",
             rules=("CG-KEDA-006",)),
    Upstream("keda.scaledobject.target-exists", f"{_KEDA_CTRL}: scale target",
             "scaleTargetRef names an existing workload", rules=("CG-KEDA-003",)),
    Upstream("keda.trigger.auth-exists", f"{_KEDA_CTRL}: resolveAuthRef",
             "authenticationRef names an existing TriggerAuthentication/ClusterTriggerAuthentication",
             rules=("CG-KEDA-004",)),
    Upstream("keda.triggerauth.secret-key", f"{_KEDA_CTRL}: secretTargetRef",
             "each secretTargetRef key exists in its Secret", rules=("CG-KEDA-005",)),
    Upstream("keda.scaler.event-source", f"{_KEDA_CTRL}: scaler construction",
             "each scaler's metadata reaches a working event source (queue, server, query)",
             offline="the event source (broker, database, metrics API) is outside the cluster's manifests"),
    # Argo Rollouts
    Upstream("argo.rollout.one-strategy", f"{_ROLL} ValidateRolloutStrategy",
             "exactly one of canary or blueGreen", rules=("CG-ROLL-001",)),
    Upstream("argo.rollout.step-weight", f"{_ROLL} ValidateRolloutStrategyCanary",
             "one action per step; setWeight between 0 and the max traffic weight", rules=("CG-ROLL-001",)),
    Upstream("argo.rollout.distinct-services", f"{_ROLL} ValidateRolloutStrategyCanary/BlueGreen",
             "canary and stable (active and preview) Services differ", rules=("CG-ROLL-001",)),
    Upstream("argo.rollout.routing-needs-services", f"{_ROLL} requireCanaryStableServices",
             "traffic routing by Service needs both canaryService and stableService", rules=("CG-ROLL-001",)),
    Upstream("argo.rollout.services-exist", f"{_ROLL_REF}: referenced Services",
             "the active/preview/canary/stable Services exist", rules=("CG-ROLL-002",)),
    Upstream("argo.rollout.service-selector", f"{_ROLL_REF} ValidateService",
             "each referenced Service selects with labels the Rollout's pods carry", rules=("CG-ROLL-002",)),
    Upstream("argo.rollout.analysis-template-exists", f"{_ROLL_REF}: AnalysisTemplate lookup",
             "each analysis templateName names an existing (Cluster)AnalysisTemplate", rules=("CG-ROLL-003",)),
    Upstream("argo.rollout.analysis-args", f"{_ROLL_REF} ValidateAnalysisTemplatesWithType",
             "every template argument without a value is passed by the Rollout", rules=("CG-ROLL-003",)),
    Upstream("argo.analysis.provider-results", f"{_ROLL_REF} ValidateAnalysisTemplatesWithType",
             "the metric provider answers the analysis queries",
             offline="the provider (Prometheus, Datadog, a web hook) and its data are outside the render"),
    # prometheus-operator
    Upstream("prom.rule.record-or-alert", f"{_PROM} RuleNode.Validate",
             "each rule sets exactly one of record or alert; no for/annotations on recording rules",
             rules=("CG-PROM-001",)),
    Upstream("prom.rule.promql-parses", f"{_PROM} RuleNode.Validate",
             "expr is set and parses as PromQL", rules=("CG-PROM-001",)),
    Upstream("prom.rule.durations", f"{_PROM} RuleGroups.Validate",
             "for, keep_firing_for, interval are Prometheus durations", rules=("CG-PROM-001",)),
    Upstream("prom.rule.group-names", f"{_PROM} RuleGroups.Validate",
             "group names are non-empty and unique", rules=("CG-PROM-001",)),
    Upstream("prom.rule.utf8-names", f"{_PROM} RuleNode.Validate",
             "record names and label names are valid under the Prometheus' name validation scheme",
             offline="legacy or UTF-8 names depend on the Prometheus version and flags (only warned)"),
    Upstream("prom.servicemonitor.port-name", f"{_PROM_GEN}: endpoints relabeling",
             "a ServiceMonitor endpoint port is a port name of the Services it selects", rules=("CG-PROM-002",)),
    Upstream("prom.podmonitor.port-name", f"{_PROM_GEN}: pod endpoints relabeling",
             "a PodMonitor endpoint port is a container port name of the pods it selects", rules=("CG-PROM-003",)),
    Upstream("prom.monitor.selected-by-prometheus", f"{_PROM_GEN}: serviceMonitorSelector",
             "a Prometheus's serviceMonitorSelector/podMonitorSelector picks the monitor",
             offline="the Prometheus object and its selectors usually belong to the monitoring stack's release"),
)
