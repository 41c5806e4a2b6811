"""Argo Rollouts: what the controller refuses of a Rollout's strategy (pkg/apis/rollouts/validation: validation.go,
the Rollout then stays InvalidSpec) and the objects a Rollout references (validation_references.go): the
active/preview and canary/stable Services and the AnalysisTemplates with the arguments they need - CG-ROLL-*."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import CORE, as_dict, as_list, int_or_percent, spec_of, strict_int
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.operators import ARGO_ROLLOUTS, missing_text, resolve
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
SRC = "argo-rollouts pkg/apis/rollouts/validation"
STEP_ACTIONS = ("setWeight", "pause", "experiment", "analysis", "setCanaryScale", "setHeaderRoute",
                "setMirrorRoute", "plugin")
EXCLUSIVE_ACTIONS = ("setWeight", "pause", "experiment", "analysis")  # hasMultipleStepsType
POD_TEMPLATE_HASH = "rollouts-pod-template-hash"
SERVICE_FIELDS = {"blueGreen": ("activeService", "previewService"), "canary": ("canaryService", "stableService")}
# trafficRouting providers that route by Service (requireCanaryStableServices); Istio only without destinationRule
SERVICE_ROUTERS = ("smi", "apisix", "ambassador", "nginx", "appMesh", "traefik")


def _rollouts(index: ManifestIndex) -> list[Document]:
    return index.kind("Rollout", ARGO_ROLLOUTS)


@rule("CG-ROLL-001", E, "Rollout strategy invalid (canary/blueGreen, steps, weights, services, surge)", "api",
      why=f"ValidateRolloutStrategy ({SRC}/validation.go): exactly one of canary or blueGreen; blueGreen's "
          "activeService and previewService differ; canary's canaryService and stableService differ and are both "
          "set when trafficRouting routes by Service (everything but Istio subset routing and ALB ping-pong); "
          "each step has one of setWeight, pause, experiment, analysis (not two), setWeight between 0 and the "
          "max traffic weight (100), pause durations not negative, setCanaryScale, scaleDownDelaySeconds and "
          "dynamicStableScale only with trafficRouting, maxSurge and maxUnavailable not both 0, and "
          "progressDeadlineSeconds above minReadySeconds. The controller marks the Rollout InvalidSpec and never "
          "rolls it out.",
      fix="keep one strategy; give canary/stable (or active/preview) two different Services; one action per step",
      example="""\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
  strategy:
    canary:
      steps:
      - setWeight: 120
      - pause: {}
""")
def rollout_strategy(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _rollouts(index):
        for fld, message in _strategy_errors(spec_of(doc)):
            yield finding("CG-ROLL-001", doc, f"{fld}: {message}", field=fld)


def _strategy_errors(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    min_ready = strict_int(spec.get("minReadySeconds")) or 0
    deadline = strict_int(spec.get("progressDeadlineSeconds"))
    if deadline is not None and deadline <= min_ready:
        yield "spec.progressDeadlineSeconds", f"Invalid value: {deadline}: must be greater than minReadySeconds"
    strategy = as_dict(spec.get("strategy"))
    blue, canary = strategy.get("blueGreen"), strategy.get("canary")
    if blue is None and canary is None:
        yield "spec.strategy", "Required value: Rollout has missing field '.spec.strategy.canary or blueGreen'"
    elif blue is not None and canary is not None:
        yield "spec.strategy", "Invalid value: Multiple Strategies can not be listed"
    elif isinstance(blue, dict):
        if blue.get("activeService") == blue.get("previewService"):
            yield "spec.strategy.blueGreen.activeService", ("Invalid value: the same Service for the active and "
                                                            "preview services; two different services are required")
    elif isinstance(canary, dict):
        yield from _canary_errors(canary)


def _canary_errors(canary: dict[str, Any]) -> Iterator[tuple[str, str]]:
    base = "spec.strategy.canary"
    routing = canary.get("trafficRouting")
    # utils/defaults: DefaultMaxSurge and DefaultMaxUnavailable are both 25%
    surge = int_or_percent(canary.get("maxSurge", "25%"))
    unavailable = int_or_percent(canary.get("maxUnavailable", "25%"))
    if surge is not None and unavailable is not None and surge[0] == 0 and unavailable[0] == 0:
        yield f"{base}.maxSurge", "Invalid value: MaxSurge and MaxUnavailable both can not be zero"
    stable, canary_svc = canary.get("stableService"), canary.get("canaryService")
    if stable and stable == canary_svc:
        yield f"{base}.stableService", ("Invalid value: the same Service for the stable and canary services; two "
                                        "different services are required")
    if _routes_by_service(routing):
        for key, value in (("stableService", stable), ("canaryService", canary_svc)):
            if not value:
                yield f"{base}.{key}", ("Invalid value: Canary service and Stable service must be set to use "
                                        "Traffic Routing")
    if routing is None:
        for key in ("scaleDownDelaySeconds", "dynamicStableScale"):
            if canary.get(key) not in (None, False):
                yield f"{base}.{key}", f"Invalid value: Canary {key} can only be used with traffic routing"
    max_weight = strict_int(as_dict(routing).get("maxTrafficWeight")) or 100
    for i, step in enumerate(as_list(canary.get("steps"))):
        yield from _step_errors(as_dict(step), f"{base}.steps[{i}]", routing is not None, max_weight)


def _routes_by_service(routing: Any) -> bool:
    routing = as_dict(routing)
    if any(routing.get(k) is not None for k in SERVICE_ROUTERS):
        return True
    istio, alb = routing.get("istio"), routing.get("alb")
    return (isinstance(istio, dict) and istio.get("destinationRule") is None) or isinstance(alb, dict)


def _step_errors(step: dict[str, Any], fld: str, routed: bool, max_weight: int) -> Iterator[tuple[str, str]]:
    actions = [a for a in STEP_ACTIONS if step.get(a) is not None]
    exclusive = [a for a in EXCLUSIVE_ACTIONS if step.get(a) is not None]
    if not actions:
        yield fld, ("Invalid value: Step must have one of the following set: experiment, setWeight, "
                    "setCanaryScale or pause")
    elif len(exclusive) > 1:
        yield fld, f"Invalid value: Step must have only one of experiment, setWeight, pause, analysis (has {exclusive})"
    weight = strict_int(step.get("setWeight"))
    if weight is not None and not 0 <= weight <= max_weight:
        yield f"{fld}.setWeight", f"Invalid value: {weight}: SetWeight needs to be between 0 and {max_weight}"
    duration = as_dict(step.get("pause")).get("duration")
    seconds = strict_int(duration)
    if seconds is not None and seconds < 0 or isinstance(duration, str) and duration.startswith("-"):
        yield f"{fld}.pause.duration", f"Invalid value: {duration!r}: Duration needs to be greater than 0"
    if step.get("setCanaryScale") is not None and not routed:
        yield f"{fld}.setCanaryScale", "Required value: SetCanaryScale requires TrafficRouting to be set"


def _service_refs(doc: Document) -> Iterator[tuple[str, str, str]]:
    """(role, Service name, field) of every Service a Rollout's strategy names."""
    strategy = as_dict(spec_of(doc).get("strategy"))
    for name, keys in SERVICE_FIELDS.items():
        section = as_dict(strategy.get(name))
        for key in keys:
            value = section.get(key)
            if isinstance(value, str) and value:
                yield key, value, f"spec.strategy.{name}.{key}"


def _template_labels(index: ManifestIndex, doc: Document) -> dict[str, Any] | None:
    """The pod labels of a Rollout: its template's, or those of the Deployment its workloadRef names (None when that
    Deployment is not rendered)."""
    def labels(owner: Document) -> dict[str, Any]:
        return as_dict(as_dict(as_dict(spec_of(owner).get("template")).get("metadata")).get("labels"))

    ref = as_dict(spec_of(doc).get("workloadRef"))
    if not ref.get("name"):
        return labels(doc)
    source = index.get(str(ref.get("kind") or "Deployment"), str(ref["name"]), index.namespace_of(doc))
    return None if source is None else labels(source)


def _role_labels(doc: Document, role: str) -> dict[str, Any]:
    """Labels the Rollout adds to the pods behind one Service role (canaryMetadata, stableMetadata, ...)."""
    strategy = as_dict(spec_of(doc).get("strategy"))
    section = as_dict(strategy.get("canary") or strategy.get("blueGreen"))
    meta = section.get(role.replace("Service", "Metadata"))
    return as_dict(as_dict(meta).get("labels"))


@rule("CG-ROLL-002", E, "Rollout names a Service that is missing or selects other pods", "cross",
      why=f"The controller resolves activeService/previewService/canaryService/stableService in the Rollout's "
          f"namespace ({SRC}/validation_references.go: ValidateService): a missing Service, or one whose selector "
          "has a label the Rollout's pod template (plus the role's canaryMetadata/stableMetadata labels) lacks, "
          "makes the Rollout InvalidSpec and traffic never reaches the new pods. A missing Service is certain "
          "(error) when the render holds Services in that namespace; otherwise a warning.",
      fix="name the rendered Services, with selectors made of the Rollout's template labels (the controller adds "
          f"{POD_TEMPLATE_HASH} itself)",
      example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 80}]}]
  strategy:
    blueGreen: {activeService: web, previewService: web-preview}
""")
def rollout_services(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _rollouts(index):
        ns = index.namespace_of(doc)
        template_labels = _template_labels(index, doc)
        for role, name, fld in _service_refs(doc):
            svc, severity = resolve(index, opts, "Service", name, CORE, ns)
            if severity is not None:
                yield finding("CG-ROLL-002", doc, f"{fld}: {missing_text('Service', name, severity)}; the Rollout "
                              "is InvalidSpec until it exists", field=fld, severity=severity)
            if svc is None:
                continue
            if template_labels is None:
                continue  # a workloadRef to a Deployment outside the render: its pods' labels are unknown
            labels = {**template_labels, **_role_labels(doc, role)}
            for key, value in as_dict(spec_of(svc).get("selector")).items():
                if key != POD_TEMPLATE_HASH and str(labels.get(key)) != str(value):
                    yield finding("CG-ROLL-002", doc, f"{fld}: Service {name!r} selects {key}={value}, which the "
                                  "Rollout's pods do not carry (`Service has unmatch label`)", field=fld)


def _analysis_refs(doc: Document) -> Iterator[tuple[dict[str, Any], list[Any], str]]:
    """(template ref, args given, field) of every analysis a Rollout runs."""
    strategy = as_dict(spec_of(doc).get("strategy"))
    analyses: list[tuple[dict[str, Any], str]] = []
    canary, blue = as_dict(strategy.get("canary")), as_dict(strategy.get("blueGreen"))
    if canary.get("analysis") is not None:
        analyses.append((as_dict(canary["analysis"]), "spec.strategy.canary.analysis"))
    for i, step in enumerate(as_list(canary.get("steps"))):
        if as_dict(step).get("analysis") is not None:
            analyses.append((as_dict(as_dict(step)["analysis"]), f"spec.strategy.canary.steps[{i}].analysis"))
    for key in ("prePromotionAnalysis", "postPromotionAnalysis"):
        if blue.get(key) is not None:
            analyses.append((as_dict(blue[key]), f"spec.strategy.blueGreen.{key}"))
    for analysis, fld in analyses:
        for j, ref in enumerate(as_list(analysis.get("templates"))):
            yield as_dict(ref), as_list(analysis.get("args")), f"{fld}.templates[{j}]"


@rule("CG-ROLL-003", E, "Rollout analysis names a missing AnalysisTemplate or leaves its arguments unset", "cross",
      why=f"Each analysis templateName is resolved (an AnalysisTemplate in the Rollout's namespace, a "
          f"ClusterAnalysisTemplate with clusterScope: true) and its arguments merged with the Rollout's "
          f"({SRC}/validation_references.go: NewAnalysisRunFromTemplates): a missing template, or an argument the "
          "template declares without a value that the Rollout does not pass (`args.X was not resolved`), makes "
          "the Rollout InvalidSpec. A missing template is certain (error) when the render holds AnalysisTemplates "
          "in that namespace; otherwise a warning.",
      fix="name a rendered AnalysisTemplate and pass every argument it declares without a value "
          "(analysis.args: [{name: service-name, value: web}])",
      example="""\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: success-rate}
spec:
  args: [{name: service-name}]
  metrics:
  - name: success-rate
    successCondition: result[0] >= 0.95
    provider:
      prometheus:
        address: http://prometheus.monitoring:9090
        query: sum(rate(http_requests_total{service="{{args.service-name}}",code!~"5.."}[5m]))
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
  strategy:
    canary:
      steps:
      - setWeight: 20
      - analysis:
          templates: [{templateName: success-rate}]
""")
def rollout_analysis(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _rollouts(index):
        ns = index.namespace_of(doc)
        for ref, args, fld in _analysis_refs(doc):
            name = ref.get("templateName")
            if not isinstance(name, str) or not name:
                continue
            kind = "ClusterAnalysisTemplate" if ref.get("clusterScope") is True else "AnalysisTemplate"
            template, severity = resolve(index, opts, kind, name, ARGO_ROLLOUTS, ns,
                                         namespaced=kind == "AnalysisTemplate")
            if severity is not None:
                yield finding("CG-ROLL-003", doc, f"{fld}.templateName: {missing_text(kind, name, severity)}; the "
                              "Rollout is InvalidSpec until it exists", field=f"{fld}.templateName", severity=severity)
            if template is None:
                continue
            given = {str(as_dict(a).get("name")) for a in args}
            for arg in as_list(spec_of(template).get("args")):
                arg = as_dict(arg)
                if "value" in arg or "valueFrom" in arg or str(arg.get("name")) in given:
                    continue
                yield finding("CG-ROLL-003", doc, f"{fld}: {kind} {name} needs argument {arg.get('name')!r}, which "
                              "the analysis does not pass (`args were not resolved`)", field=fld)
