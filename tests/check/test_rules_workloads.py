"""CG-APPS-*, CG-BATCH-*, CG-HPA-*, CG-AVAIL-*: workload, Job, autoscaler and disruption budget rules."""

from __future__ import annotations

import pytest

try:
    from recall_docs import CONTAINER, cronjob, deployment, docs
except ImportError:  # tests/ made a package
    from tests.check.recall_docs import CONTAINER, cronjob, deployment, docs

from chartgen.check.model import Severity
from chartgen.check.rules.batch_spec import cron_error


def hpa(spec: str = "minReplicas: 2\nmaxReplicas: 5", metrics: str = "", target: str = "Deployment") -> str:
    body = "\n".join("  " + line for line in (spec + ("\n" + metrics if metrics else "")).splitlines())
    return f"""\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: web, namespace: shop}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: {target}, name: web}}
{body}
"""


def pdb(spec: str, name: str = "web", labels: str = "app: web") -> str:
    body = "\n".join("  " + line for line in spec.splitlines())
    return f"""\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: {name}, namespace: shop}}
spec:
  selector: {{matchLabels: {{{labels}}}}}
{body}
"""


CPU_METRIC = "metrics:\n- type: Resource\n  resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}"
NO_CPU = CONTAINER.replace("cpu: 100m, ", "").replace('cpu: "1", ', "")

CASES = {
    "negative replicas": (
        "CG-APPS-001", Severity.ERROR, deployment(spec="replicas: -1"), deployment(spec="replicas: 0")),
    "maxSurge and maxUnavailable 0%": (
        "CG-APPS-002", Severity.ERROR,
        deployment(spec="strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0%, maxUnavailable: 0}}"),
        deployment(spec="strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}")),
    "rollingUpdate with Recreate": (
        "CG-APPS-002", Severity.ERROR,
        deployment(spec="strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}"),
        deployment(spec="strategy: {type: Recreate}")),
    "DaemonSet maxUnavailable as a digit string": (
        "CG-APPS-002", Severity.ERROR,
        deployment(kind="DaemonSet", spec="updateStrategy: {type: RollingUpdate, rollingUpdate: "
                                          "{maxUnavailable: '1'}}"),
        deployment(kind="DaemonSet", spec="updateStrategy: {type: RollingUpdate, rollingUpdate: "
                                          "{maxUnavailable: 10%}}")),
    "claim template without access modes": (
        "CG-APPS-003", Severity.ERROR,
        deployment(kind="StatefulSet", spec="serviceName: web\nvolumeClaimTemplates: [{metadata: {name: data}, "
                                            "spec: {resources: {requests: {storage: 1Gi}}}}]"),
        deployment(kind="StatefulSet", spec="serviceName: web\nvolumeClaimTemplates: [{metadata: {name: data}, "
                                            "spec: {accessModes: [ReadWriteOncePod], resources: {requests: "
                                            "{storage: 1Gi}}}}]")),
    "StatefulSet name too long for its pod labels": (
        "CG-APPS-004", Severity.WARNING,
        deployment(kind="StatefulSet", name="shop-" + "x" * 50, spec="serviceName: web"),
        deployment(kind="StatefulSet", name="shop-" + "x" * 47, spec="serviceName: web")),
    "StatefulSet name with a dot": (
        "CG-APPS-004", Severity.ERROR,
        deployment(kind="StatefulSet", name="web.v2", spec="serviceName: web"),
        deployment(kind="StatefulSet", name="web-v2", spec="serviceName: web")),
    "Indexed Job without completions": (
        "CG-BATCH-001", Severity.ERROR,
        cronjob(job="completionMode: Indexed\nparallelism: 3"),
        cronjob(job="completionMode: Indexed\ncompletions: 3\nparallelism: 3")),
    "podFailurePolicy with OnFailure": (
        "CG-BATCH-001", Severity.ERROR,
        cronjob(job="podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}"),
        cronjob("restartPolicy: Never",
                job="podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [42]}}]}")),
    "schedule with six fields": (
        "CG-BATCH-002", Severity.ERROR,
        cronjob(spec="schedule: '0 */5 * * * *'"), cronjob(spec="schedule: '@hourly'")),
    "CronJob name over 52 characters": (
        "CG-BATCH-002", Severity.ERROR,
        cronjob(name="c" * 53), cronjob(name="c" * 52)),
    "HPA minReplicas above maxReplicas": (
        "CG-HPA-001", Severity.ERROR,
        docs(deployment(), hpa("minReplicas: 3\nmaxReplicas: 2")),
        docs(deployment(), hpa("minReplicas: 3\nmaxReplicas: 3"))),
    "HPA metric type without its source": (
        "CG-HPA-001", Severity.ERROR,
        docs(deployment(), hpa(metrics="metrics:\n- type: Pods\n  resource: {name: cpu, target: {type: "
                                       "Utilization, averageUtilization: 70}}")),
        docs(deployment(), hpa(metrics="metrics:\n- type: Pods\n  pods: {metric: {name: rps}, target: "
                                       "{type: AverageValue, averageValue: '100'}}"))),
    "HPA on cpu while the pods request none": (
        "CG-HPA-002", Severity.WARNING,
        docs(deployment("", NO_CPU), hpa(metrics=CPU_METRIC)),
        # a cpu limit alone is enough: the API server defaults the request to it
        docs(deployment("", NO_CPU.replace("limits: {", 'limits: {cpu: "1", ')), hpa(metrics=CPU_METRIC))),
    "replicas fixed under an HPA": (
        "CG-HPA-003", Severity.WARNING,
        docs(deployment(spec="replicas: 2"), hpa()), docs(deployment(), hpa())),
    "PDB with both fields": (
        "CG-AVAIL-001", Severity.ERROR,
        docs(deployment(), pdb("minAvailable: 1\nmaxUnavailable: 1")), docs(deployment(), pdb("minAvailable: 1"))),
    "PDB percentage above 100": (
        "CG-AVAIL-001", Severity.ERROR,
        docs(deployment(), pdb("maxUnavailable: 150%")), docs(deployment(), pdb("maxUnavailable: 50%"))),
    "PDB minAvailable 100%": (
        "CG-AVAIL-002", Severity.WARNING,
        docs(deployment(spec="replicas: 3"), pdb("minAvailable: 100%")),
        docs(deployment(spec="replicas: 3"), pdb("minAvailable: 66%"))),
    "PDB minAvailable equal to the HPA minimum": (
        "CG-AVAIL-002", Severity.WARNING,
        docs(deployment(), hpa("minReplicas: 2\nmaxReplicas: 5"), pdb("minAvailable: 2")),
        docs(deployment(), hpa("minReplicas: 3\nmaxReplicas: 5"), pdb("minAvailable: 2"))),
    "two PDBs for one workload": (
        "CG-AVAIL-003", Severity.WARNING,
        docs(deployment(labels="app: web, tier: front"), pdb("maxUnavailable: 1"),
             pdb("maxUnavailable: 1", name="front", labels="tier: front")),
        docs(deployment(labels="app: web, tier: front"), pdb("maxUnavailable: 1"),
             pdb("maxUnavailable: 1", name="front", labels="tier: back"))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fires_on_the_fault_and_not_on_the_near_miss(check, name):
    rule_id, severity, bad, good = CASES[name]
    found = check(bad, rule=rule_id)
    assert found and {f.severity for f in found} == {severity}, (name, found)
    assert check(good, rule=rule_id) == [], name


def test_a_daemonset_pdb_is_not_judged_by_replicas(check):
    text = docs(deployment(kind="DaemonSet"), pdb("minAvailable: 1"))
    assert check(text, rule="CG-AVAIL-002") == []


@pytest.mark.parametrize("schedule", ["*/15 * * * *", "0 3 * * MON-FRI", "0 0 1 jan,jul *", "@every 1h30m",
                                      "0 0 ? * *", "0-59/10 0-23 1-31 1-12 0-6", "5/15 * * * *", "0 0 * * sun"])
def test_valid_schedules(schedule):
    assert cron_error(schedule) is None


# robfig/cron/v3, which the CronJob controller uses, bounds day of week to 0-6 (`end of range (7) above maximum
# (6)`): 7 for Sunday, valid in Vixie cron, is rejected.
@pytest.mark.parametrize("schedule", ["* * * *", "60 * * * *", "0 0 32 * *", "0 0 * 13 *", "0 0 * * 8",
                                      "TZ=UTC 0 0 * * *", "@fortnightly", "*/0 * * * *", "5-1 * * * *", "5 4 * * 7",
                                      "0 0 * * 1-7", "0 0 * mon *", "0 0 1-2-3 * *"])
def test_invalid_schedules(schedule):
    assert cron_error(schedule) is not None
