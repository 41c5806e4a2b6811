"""The operator rules (chartgen/check/rules/operators_*.py): certainty (an error only when the render proves it, a
warning when the object may live elsewhere), the details the coverage faults do not pin down, and chartgen's own
ServiceMonitor, Argo Rollouts and Flagger output, which must pass them in every environment and profile."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from chartgen.check.command import check_text
from chartgen.check.model import CheckOptions, ExternalObject, Finding, Severity
from chartgen.check.operators import go_duration
from chartgen.check.rules.operators_certmanager import host_matches
from chartgen.cli import app
from chartgen.helm import install as helm_install
from chartgen.helm.runner import find_helm

REPO = Path(__file__).resolve().parents[2]
OPERATOR_PREFIXES = ("CG-CERT-", "CG-ESO-", "CG-KEDA-", "CG-ROLL-", "CG-PROM-")


def run(text: str, *, rule: str, **options: object) -> list[Finding]:
    findings = check_text(textwrap.dedent(text), "test.yaml", CheckOptions(**options))  # type: ignore[arg-type]
    return [f for f in findings if f.rule == rule]


def severities(text: str, rule: str, **options: object) -> list[Severity]:
    return [f.severity for f in run(text, rule=rule, **options)]


CERT = """
    apiVersion: cert-manager.io/v1
    kind: Certificate
    metadata: {name: web, namespace: app}
    spec:
      secretName: web-tls
      dnsNames: [web.example.com]
      issuerRef: {name: %s, kind: %s}
"""
ISSUER = """
    apiVersion: cert-manager.io/v1
    kind: %s
    metadata: {name: ca, namespace: %s}
    spec:
      ca: {secretName: root-ca}
"""


def test_a_missing_cluster_issuer_is_a_warning_naming_external():
    found = run(CERT % ("letsencrypt", "ClusterIssuer"), rule="CG-CERT-003")
    assert [f.severity for f in found] == [Severity.WARNING] and "external:" in found[0].message


def test_a_missing_issuer_is_an_error_only_when_the_namespace_renders_issuers():
    assert severities(CERT % ("cx", "Issuer"), "CG-CERT-003") == [Severity.WARNING]
    other_ns = CERT % ("cx", "Issuer") + "---" + ISSUER % ("Issuer", "other")
    assert severities(other_ns, "CG-CERT-003") == [Severity.WARNING]
    same_ns = CERT % ("cx", "Issuer") + "---" + ISSUER % ("Issuer", "app")
    assert severities(same_ns, "CG-CERT-003") == [Severity.ERROR]


def test_an_issuer_named_with_the_wrong_kind_is_an_error():
    found = run(CERT % ("ca", "ClusterIssuer") + "---" + ISSUER % ("Issuer", "app"), rule="CG-CERT-003")
    assert [f.severity for f in found] == [Severity.ERROR] and "kind is wrong" in found[0].message


def test_declared_external_issuers_are_not_reported():
    ext = (ExternalObject("ClusterIssuer", "letsencrypt"),)
    assert run(CERT % ("letsencrypt", "ClusterIssuer"), rule="CG-CERT-003", external=ext) == []


@pytest.mark.parametrize("pattern,host,ok", [
    ("*.example.com", "www.example.com", True), ("*.example.com", "a.b.example.com", False),
    ("*.example.com", "example.com", False), ("WWW.example.com.", "www.example.com", True)])
def test_wildcard_sans_cover_exactly_one_label(pattern, host, ok):
    assert host_matches(pattern, host) is ok


@pytest.mark.parametrize("text,seconds", [("2160h", 7776000.0), ("1h30m", 5400.0), ("-5m", -300.0), ("0", 0.0),
                                          ("1.5h", 5400.0), ("90d", None), ("", None), ("5", None)])
def test_go_durations_parse_as_time_parse_duration(text, seconds):
    assert go_duration(text) == seconds


def test_renew_before_defaults_against_the_90_day_duration():
    spec = CERT % ("ca", "ClusterIssuer") + "      renewBefore: 2200h\n"
    assert "2160h must be greater than renewBefore" in run(spec, rule="CG-CERT-001")[0].message
    assert run(CERT % ("ca", "ClusterIssuer") + "      renewBefore: 720h\n", rule="CG-CERT-001") == []


def test_an_unknown_promql_function_is_only_a_warning():
    text = """
        apiVersion: monitoring.coreos.com/v1
        kind: PrometheusRule
        metadata: {name: r}
        spec:
          groups:
          - name: g
            rules:
            - record: job:smooth:rate5m
              expr: holt_winters(rate(x[5m])[1h:], 0.5, 0.5)
    """
    found = run(text, rule="CG-PROM-001")
    assert [f.severity for f in found] == [Severity.WARNING] and "holt_winters" in found[0].message


def test_an_external_secret_with_data_from_has_unknown_keys():
    text = """
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: db}
        spec:
          secretStoreRef: {name: vault, kind: ClusterSecretStore}
          dataFrom: [{extract: {key: db}}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: web
            image: nginx:1.27
            env:
            - name: X
              valueFrom: {secretKeyRef: {name: db, key: anything}}
    """
    assert run(text, rule="CG-ESO-004") == []


def test_an_external_secret_merging_into_a_certificate_secret_is_no_second_writer():
    text = """
        apiVersion: cert-manager.io/v1
        kind: Certificate
        metadata: {name: web}
        spec:
          secretName: web-tls
          dnsNames: [web.example.com]
          issuerRef: {name: ca, kind: ClusterIssuer}
        ---
        apiVersion: external-secrets.io/v1
        kind: ExternalSecret
        metadata: {name: extra}
        spec:
          secretStoreRef: {name: vault, kind: ClusterSecretStore}
          target: {name: web-tls, creationPolicy: Merge}
          data: [{secretKey: pin, remoteRef: {key: web/pin}}]
    """
    assert run(text, rule="CG-ESO-003") == []
    assert [f.rule for f in run(text.replace("creationPolicy: Merge", "creationPolicy: Owner"),
                                rule="CG-ESO-003")] == ["CG-ESO-003"]


def test_a_scaled_object_may_take_over_an_hpa_by_transfer():
    text = """
        apiVersion: keda.sh/v1alpha1
        kind: ScaledObject
        metadata:
          name: worker
          annotations: {scaledobject.keda.sh/transfer-hpa-ownership: "true"}
        spec:
          scaleTargetRef: {name: worker}
          advanced: {horizontalPodAutoscalerConfig: {name: worker}}
          triggers: [{type: cpu, metricType: Utilization, metadata: {value: "60"}}]
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: worker}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
          maxReplicas: 5
    """
    assert run(text, rule="CG-KEDA-002") == []
    assert len(run(text.replace("horizontalPodAutoscalerConfig: {name: worker}",
                                "horizontalPodAutoscalerConfig: {name: other}"), rule="CG-KEDA-002")) == 1


def test_istio_subset_routing_needs_no_canary_and_stable_services():
    text = """
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: web}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: nginx:1.27}]}
          strategy:
            canary:
              trafficRouting:
                istio:
                  virtualService: {name: web}
                  %s
              steps: [{setWeight: 20}]
    """
    with_subsets = text % "destinationRule: {name: web, canarySubsetName: canary, stableSubsetName: stable}"
    assert run(with_subsets, rule="CG-ROLL-001") == []
    assert {f.field for f in run(text % "", rule="CG-ROLL-001")} == {
        "spec.strategy.canary.stableService", "spec.strategy.canary.canaryService"}


# --- chartgen's own output --------------------------------------------------------------------------------

SHOP = """\
apiVersion: chartgen/v1
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
serviceMonitor: {enabled: true, force: true}
istio:
  enabled: true
  hosts: [shop.example.com]
  canary:
    controller: %s
environments:
  dev: {namespace: shop-dev}
  staging: {namespace: shop-staging}
  prod: {namespace: shop}
"""


def _own_charts(root: Path) -> list[Path]:
    charts = sorted(p for p in (REPO / "generated-charts").iterdir() if (p / "chartgen.yaml").is_file())
    for controller in ("flagger", "argo-rollouts"):
        chart = root / controller / "shop"
        chart.mkdir(parents=True)
        (chart / "chartgen.yaml").write_text(SHOP % controller)
        res = CliRunner().invoke(app, ["generate", str(chart)])
        assert res.exit_code == 0, res.output
        charts.append(chart)
    return charts


def test_chartgens_own_monitor_and_rollout_output_passes_the_operator_rules(tmp_path):
    helm = find_helm(str(helm_install.installed_path("4.1.4")))
    kinds: set[str] = set()
    for chart in _own_charts(tmp_path):
        spec = yaml.safe_load((chart / "chartgen.yaml").read_text())
        # verify renders without the ServiceMonitor API: force it, so the monitor is checked too
        monitored = "serviceMonitor" in yaml.safe_load((chart / "values.yaml").read_text())
        for env, settings in spec["environments"].items():
            namespace = (settings or {}).get("namespace", "default")
            res = helm.template(chart, chart.name, namespace, [chart / f"values-{env}.yaml"],
                                set_values=["serviceMonitor.force=true"] if monitored else [])
            assert res.ok, res.message
            kinds |= {d["kind"] for d in yaml.safe_load_all(res.stdout) if d}
            for profile in ("default", "prod"):
                errors = [f"{f.rule} {f.resource}: {f.message}"
                          for f in check_text(res.stdout, f"{chart.name}-{env}", CheckOptions(profile=profile))
                          if f.rule.startswith(OPERATOR_PREFIXES) and f.severity >= Severity.ERROR]
                assert not errors, f"{chart.name} {env} ({profile}): {errors}"
    # the renders hold the objects the rules check: the test is not vacuous
    assert {"ServiceMonitor", "Rollout", "Canary"} <= kinds


def test_chartgens_own_service_monitor_finds_its_port():
    """The ServiceMonitor chartgen renders selects its Service (DoesNotExist on version) by a port name it has."""
    text = textwrap.dedent("""
        apiVersion: v1
        kind: Service
        metadata: {name: shop, labels: {app.kubernetes.io/name: shop}}
        spec:
          selector: {app.kubernetes.io/name: shop}
          ports: [{name: http, port: 80}]
        ---
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata: {name: shop}
        spec:
          selector:
            matchLabels: {app.kubernetes.io/name: shop}
            matchExpressions: [{key: version, operator: DoesNotExist}]
          endpoints: [{port: http}]
    """)
    assert [f for f in check_text(text) if f.rule == "CG-PROM-002"] == []
    assert [f.severity for f in check_text(text.replace("port: http}]\n", "port: metrics}]\n"))
            if f.rule == "CG-PROM-002"] == [Severity.ERROR]


# --- a realistic app wired through the five operators -----------------------------------------------------

APP = (REPO / "tests" / "check" / "fixtures" / "operators-app.yaml").read_text()
# how these setups break in practice: one edit each, and the rule that must call it an error
BREAKS = [
    ("scaler-scales-nothing", "scaleTargetRef: {name: shop-worker}", "scaleTargetRef: {name: shop-workers}",
     "CG-KEDA-003"),
    ("two-scalers", "---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor",
     "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: shop-worker, namespace: shop}\n"
     "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: shop-worker}\n  maxReplicas: 5\n"
     "---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor", "CG-KEDA-002"),
    ("auth-names-nothing", "authenticationRef: {name: shop-queue}", "authenticationRef: {name: shop-rabbitmq}",
     "CG-KEDA-004"),
    ("auth-reads-missing-key", "{parameter: host, name: shop-queue, key: host}",
     "{parameter: host, name: shop-queue, key: url}", "CG-KEDA-005"),
    ("certificate-misses-a-host", 'dnsNames: [shop.example.com, "*.shop.example.com"]', "dnsNames: [shop.example.com]",
     "CG-CERT-004"),
    ("renew-after-expiry", "renewBefore: 360h", "renewBefore: 2400h", "CG-CERT-001"),
    ("secret-nobody-writes-that-key", "secretKeyRef: {name: shop-db, key: password}",
     "secretKeyRef: {name: shop-db, key: DB_PASSWORD}", "CG-ESO-004"),
    ("two-writers", "target: {name: shop-queue}", "target: {name: shop-tls}", "CG-ESO-003"),
    ("monitor-scrapes-nothing", "{port: http, path: /metrics, interval: 30s}", "{port: metrics, path: /metrics}",
     "CG-PROM-002"),
    ("pod-monitor-scrapes-nothing", "  - {port: metrics}\n", "  - {port: prometheus}\n", "CG-PROM-003"),
    ("alert-does-not-parse", "> 0.05", "> > 0.05", "CG-PROM-001"),
    ("canary-is-stable", "canaryService: shop-canary", "canaryService: shop-stable", "CG-ROLL-001"),
    ("stable-service-missing", "stableService: shop-stable", "stableService: shop", "CG-ROLL-002"),
    ("analysis-arg-missing", "          args: [{name: service-name, value: shop-canary}]\n", "", "CG-ROLL-003"),
]


def test_the_wired_app_passes_with_warnings_only_for_platform_objects():
    found = [f for f in check_text(APP, "operators-app.yaml") if f.rule.startswith(OPERATOR_PREFIXES)]
    assert {(f.rule, f.severity) for f in found} == {("CG-CERT-003", Severity.WARNING),
                                                     ("CG-ESO-002", Severity.WARNING)}


@pytest.mark.parametrize("old,new,rule_id", [b[1:] for b in BREAKS], ids=[b[0] for b in BREAKS])
def test_each_way_the_wired_app_breaks_is_an_error(old, new, rule_id):
    assert APP.count(old) == 1, f"the fixture changed: {old!r}"
    errors = {f.rule for f in check_text(APP.replace(old, new), "operators-app.yaml")
              if f.severity >= Severity.ERROR}
    assert errors == {rule_id}


@pytest.mark.parametrize("surge,unavailable,errors", [("maxSurge: 0", "", 0), ("maxSurge: 0", "maxUnavailable: 0%", 1),
                                                      ("maxSurge: 1", "maxUnavailable: 0", 0)])
def test_surge_and_unavailable_default_to_25_percent(surge, unavailable, errors):
    text = f"""
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {{name: web}}
        spec:
          selector: {{matchLabels: {{app: web}}}}
          template:
            metadata: {{labels: {{app: web}}}}
            spec: {{containers: [{{name: web, image: nginx:1.27}}]}}
          strategy:
            canary:
              {surge}
              {unavailable}
              steps: [{{setWeight: 20}}]
    """
    assert len(run(text, rule="CG-ROLL-001")) == errors


def test_an_ingress_taking_an_existing_tls_secret_is_not_judged():
    """A chart that makes no Secret through an operator takes its TLS secret as it is (existingSecret)."""
    ingress = """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web}
        spec:
          tls: [{secretName: web-cert, hosts: [web.example.com]}]
          defaultBackend: {service: {name: web, port: {number: 80}}}
    """
    assert run(ingress, rule="CG-CERT-005") == []
    assert len(run(ingress + "---" + CERT % ("ca", "ClusterIssuer"), rule="CG-CERT-005")) == 1


def test_a_rollout_with_a_workload_ref_takes_the_deployments_pod_labels():
    text = """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {selector: {app: web}, ports: [{port: 80}]}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {name: web}
        spec:
          workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
          strategy:
            blueGreen: {activeService: web}
    """
    deployment = """
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 0
          selector: {matchLabels: {app: %s}}
          template:
            metadata: {labels: {app: %s}}
            spec: {containers: [{name: web, image: nginx:1.27}]}
    """
    assert run(text, rule="CG-ROLL-002") == []  # the Deployment is elsewhere: its labels are unknown
    assert run(text + deployment % ("web", "web"), rule="CG-ROLL-002") == []
    assert len(run(text + deployment % ("api", "api"), rule="CG-ROLL-002")) == 1


def test_v1alpha1_external_secrets_list_remote_keys_under_data_from():
    text = """
        apiVersion: external-secrets.io/v1alpha1
        kind: ExternalSecret
        metadata: {name: db}
        spec:
          secretStoreRef: {name: vault, kind: ClusterSecretStore}
          dataFrom: [{key: db/config}]
    """
    assert run(text, rule="CG-ESO-001") == []
    assert len(run(text.replace("v1alpha1", "v1"), rule="CG-ESO-001")) == 1
