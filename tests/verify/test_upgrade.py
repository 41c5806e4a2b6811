"""Upgrade safety (`chartgen verify --upgrade-from REF`) and `chartgen diff --from-ref REF`: each upgrade rule on a
pair of renderings (fault and twin), then the commands on real git repositories with two commits."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from support import KUBE_VERSION, helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.verify.upgrade import RULES, compare

runner = CliRunner()

STS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16", ports: [{name: pg, containerPort: 5432}]}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"""
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1", ports: [{name: http, containerPort: 8080}]}]}
"""
SVC = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""
PVC = """\
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: cache}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"""
CM = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
immutable: true
data: {a: "1"}
"""
JOB = """\
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: m, image: "tool:1"}]}
"""


def edit(text: str, change) -> str:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(text)
    change(doc)
    return yaml.safe_dump(doc)


def _set(path: str, value: object):  # type: ignore[no-untyped-def]
    def change(doc: dict) -> None:  # type: ignore[type-arg]
        *head, last = path.split(".")
        for part in head:
            doc = doc.setdefault(part, {})
        doc[last] = value
    return change


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: buckets.acme.io}
spec:
  group: acme.io
  names: {kind: Bucket, plural: buckets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              region:
                type: string
                x-kubernetes-validations: [{rule: self == oldSelf, message: region is immutable}]
              size: {type: integer}
---
apiVersion: acme.io/v1
kind: Bucket
metadata: {name: logs}
spec: {region: eu-west-1, size: 10}
"""

# (rule, old rendering, the faulty new rendering, a twin new rendering that is a harmless change)
CASES = [
    ("CG-UPG-001", DEPLOY, edit(DEPLOY, _set("spec.selector", {"matchLabels": {"app": "web", "tier": "fe"}})),
     edit(DEPLOY, _set("spec.template.metadata.labels", {"app": "web", "tier": "fe"}))),
    ("CG-UPG-002", STS, edit(STS, lambda d: d["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]
                             .update(storage="5Gi")),
     edit(STS, lambda d: d["spec"]["volumeClaimTemplates"][0]["spec"].update(volumeMode="Filesystem"))),
    ("CG-UPG-003", STS, edit(STS, _set("spec.podManagementPolicy", "Parallel")),
     edit(STS, _set("spec.podManagementPolicy", "OrderedReady"))),
    ("CG-UPG-004", JOB, edit(JOB, _set("spec.template.spec.containers", [{"name": "m", "image": "tool:2"}])),
     edit(JOB, _set("metadata.labels", {"v": "2"}))),
    ("CG-UPG-005", SVC, edit(SVC, _set("spec.clusterIP", "None")), edit(SVC, _set("spec.clusterIP", ""))),
    ("CG-UPG-006", edit(SVC, _set("spec.clusterIP", "None")), edit(SVC, _set("spec.type", "NodePort")),
     edit(SVC, _set("spec.clusterIP", "None"))),
    ("CG-UPG-007", PVC, edit(PVC, _set("spec.accessModes", ["ReadWriteMany"])),
     edit(PVC, _set("spec.resources.requests.storage", "2Gi"))),
    ("CG-UPG-008", CM, edit(CM, _set("data.a", "2")), edit(CM, _set("data.a", "1"))),
    ("CG-UPG-009", CRD, CRD.replace("eu-west-1", "us-east-1"), CRD.replace("size: 10", "size: 20")),
    ("CG-UPG-101", STS, edit(STS, _set("metadata.name", "db2")), STS),
    ("CG-UPG-102", DEPLOY + "---\n" + SVC, DEPLOY + "---\n" + edit(SVC, _set("spec.selector", {"app": "web2"})),
     DEPLOY + "---\n" + edit(SVC, _set("spec.selector", {"app": "web"}))),
    ("CG-UPG-103", DEPLOY + "---\n" + SVC,
     DEPLOY + "---\n" + edit(SVC, _set("spec.ports", [{"name": "http", "port": 80, "targetPort": "web"}])),
     DEPLOY + "---\n" + edit(SVC, _set("spec.ports", [{"name": "http", "port": 80, "targetPort": 8080}]))),
    ("CG-UPG-104", PVC + "---\n" + CM, CM, edit(PVC, _set("metadata.annotations",
                                                           {"helm.sh/resource-policy": "keep"})) + "---\n" + CM),
]

PDB = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 1, selector: {matchLabels: {app: web}}}
"""
# the Service selects a label the Deployment's selector does not name: the template may drop it
TIERED = edit(DEPLOY, _set("spec.template.metadata.labels", {"app": "web", "tier": "fe"}))
TIER_SVC = edit(SVC, _set("spec.selector", {"app": "web", "tier": "fe"}))
INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]}
"""
ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
"""
VS = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com]
  http: [{route: [{destination: {host: web.default.svc.cluster.local, port: {number: 80}}}]}]
"""
RENAMED_SVC = edit(SVC, _set("spec.ports", [{"name": "web", "port": 80, "targetPort": "http"}]))
RENUMBERED_SVC = edit(SVC, _set("spec.ports", [{"name": "http", "port": 8080, "targetPort": "http"}]))
TWO_PORT_SVC = edit(SVC, _set("spec.ports", [{"name": "http", "port": 80, "targetPort": "http"},
                                             {"name": "web", "port": 8080, "targetPort": "http"}]))
PROBED = edit(DEPLOY, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(
    readinessProbe={"httpGet": {"path": "/", "port": "http"}}))
PROBE_PORT_RENAMED = edit(PROBED, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(
    ports=[{"name": "web", "containerPort": 8080}]))
PROBE_FOLLOWS = edit(PROBE_PORT_RENAMED, lambda d: d["spec"]["template"]["spec"]["containers"][0].update(
    readinessProbe={"httpGet": {"path": "/", "port": "web"}}))


def _docs(*texts: str) -> str:
    return "---\n".join(texts)


CASES += [
    ("CG-UPG-102", _docs(DEPLOY, PDB),
     _docs(DEPLOY, edit(PDB, _set("spec.selector", {"matchLabels": {"app": "web2"}}))),
     _docs(DEPLOY, edit(PDB, _set("spec.selector", {"matchExpressions": [
         {"key": "app", "operator": "In", "values": ["web", "web2"]}]})))),
    ("CG-UPG-105", _docs(TIERED, TIER_SVC), _docs(DEPLOY, TIER_SVC),
     _docs(edit(TIERED, _set("spec.template.metadata.labels", {"app": "web", "tier": "fe", "v": "2"})), TIER_SVC)),
    ("CG-UPG-105", _docs(TIERED, edit(PDB, _set("spec.selector.matchLabels", {"tier": "fe"}))),
     _docs(DEPLOY, edit(PDB, _set("spec.selector.matchLabels", {"tier": "fe"}))),
     _docs(TIERED, edit(PDB, _set("spec.selector.matchLabels", {"tier": "fe"})))),
    ("CG-UPG-106", _docs(DEPLOY, SVC, INGRESS),
     _docs(DEPLOY, RENAMED_SVC, INGRESS.replace("name: http", "name: web")),
     _docs(DEPLOY, TWO_PORT_SVC, INGRESS.replace("name: http", "name: web"))),
    ("CG-UPG-106", _docs(DEPLOY, SVC, ROUTE), _docs(DEPLOY, RENUMBERED_SVC, ROUTE.replace("port: 80", "port: 8080")),
     _docs(DEPLOY, TWO_PORT_SVC, ROUTE.replace("port: 80", "port: 8080"))),
    ("CG-UPG-106", _docs(DEPLOY, SVC, VS), _docs(DEPLOY, RENUMBERED_SVC, VS),
     _docs(DEPLOY, TWO_PORT_SVC, VS.replace("number: 80", "number: 8080"))),
    ("CG-UPG-107", PROBED, PROBE_PORT_RENAMED, PROBE_FOLLOWS),
]


def rules_of(old: str, new: str) -> list[str]:
    return [f.rule for f in compare(old, new, "default", where="test")]


def test_every_rule_has_a_case() -> None:
    assert sorted({c[0] for c in CASES}) == sorted(RULES)


@pytest.mark.parametrize(("rule", "old", "bad", "twin"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fault_and_twin(rule: str, old: str, bad: str, twin: str) -> None:
    assert rules_of(old, bad) == [rule]
    if rule == "CG-UPG-104":  # the twin keeps the claim with the keep policy
        twin_old = edit(PVC, _set("metadata.annotations", {"helm.sh/resource-policy": "keep"})) + "---\n" + CM
        assert rules_of(twin_old, CM) == []
    else:
        assert rules_of(old, twin) == []


def test_finding_names_object_field_both_values_and_fix() -> None:
    [f] = compare(STS, edit(STS, _set("spec.podManagementPolicy", "Parallel")), "default", where="w")
    assert f.message == "StatefulSet db: spec.podManagementPolicy: (absent) -> Parallel: StatefulSet immutable " \
                        "field changed"
    assert "kubectl delete statefulset db --cascade=orphan" in f.hint
    assert f.field == "spec.podManagementPolicy"


def test_port_findings_name_the_object_the_field_both_values_and_what_to_do() -> None:
    [f] = compare(_docs(DEPLOY, SVC, INGRESS), _docs(DEPLOY, RENAMED_SVC, INGRESS.replace("name: http", "name: web")),
                  "default", where="w")
    assert f.message.startswith("Ingress web: spec.rules[0].http.paths[0].backend.service.port.name: http -> web: ")
    assert "Service web has no port 'http' any more; its ports were http/80, now web/80" in f.message
    assert "keep port 'http' on Service web" in f.hint
    [f] = compare(PROBED, PROBE_PORT_RENAMED, "default", where="w")
    assert f.field == "spec.template.spec.containers[name=web].ports[containerPort=8080].name"
    assert "http -> web" in f.message and "readinessProbe.httpGet.port still names 'http'" in f.message
    assert f.hint == "set readinessProbe.httpGet.port of container web to 'web'"
    [f] = compare(_docs(TIERED, TIER_SVC), _docs(DEPLOY, TIER_SVC), "default", where="w")
    assert f.resource is not None and f.resource.kind == "Deployment"
    assert "Service web selects" in f.message and "keep the labels Service web selects" in f.hint


def test_a_selector_change_is_the_error_alone() -> None:
    """The workload selector change is CG-UPG-001; the template labels that changed with it are not a warning too."""
    both = edit(TIERED, _set("spec.selector", {"matchLabels": {"app": "web", "tier": "fe"}}))
    assert rules_of(_docs(both, TIER_SVC), _docs(DEPLOY, TIER_SVC)) == ["CG-UPG-001"]


def test_helm_hook_jobs_are_created_anew() -> None:
    hook = edit(JOB, _set("metadata.annotations", {"helm.sh/hook": "pre-upgrade"}))
    changed = edit(hook, _set("spec.template.spec.containers", [{"name": "m", "image": "tool:2"}]))
    assert rules_of(hook, changed) == []


def test_a_hook_pvc_removed_is_not_deleted_by_helm() -> None:
    hook = edit(PVC, _set("metadata.annotations", {"helm.sh/hook": "pre-install"}))
    assert rules_of(hook + "---\n" + CM, CM) == []


def test_pvc_may_not_shrink() -> None:
    assert rules_of(PVC, edit(PVC, _set("spec.resources.requests.storage", "512Mi"))) == ["CG-UPG-007"]


# --------------------------------------------------------------------------------------- commands on git repos


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout


TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {{ toYaml .Values.selector | nindent 6 }}
  template:
    metadata:
      labels: {{ toYaml .Values.selector | nindent 8 }}
    spec:
      containers:
      - name: web
        image: {{ .Values.image | quote }}
"""


def repo_with_chart(tmp_path: Path) -> tuple[Path, Path]:
    """A repository with a plain Helm chart (values-prod.yaml), committed once as v1."""
    repo = tmp_path / "repo"
    chart = repo / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    fresh = not (repo / ".git").exists()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("image: nginx:1.0\nselector: {app: web}\n")
    (chart / "values-prod.yaml").write_text("image: nginx:1.1\n")
    (chart / "templates" / "deploy.yaml").write_text(TEMPLATE)
    if fresh:
        git(repo, "init", "-q", "-b", "main")
    commit(repo, "v1")
    return repo, chart


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def cli(*args: object) -> tuple[int, str]:
    res = runner.invoke(app, [*map(str, args), "--helm", helm_binary("4.1.4").path, "--kube-version", KUBE_VERSION])
    return res.exit_code, res.output


def test_verify_upgrade_from_reports_a_selector_change_and_leaves_the_work_tree_alone(tmp_path: Path) -> None:
    repo, chart = repo_with_chart(tmp_path)
    (chart / "values.yaml").write_text("image: nginx:1.0\nselector: {app: web, tier: frontend}\n")
    commit(repo, "v2: new selector")
    (chart / "values-prod.yaml").write_text("image: nginx:1.2\n")  # a staged edit
    git(chart, "add", "values-prod.yaml")
    (chart / "values.yaml").write_text("image: nginx:1.0\nselector: {app: web, tier: frontend}\n# unstaged\n")
    status, index = git(repo, "status", "--porcelain"), git(repo, "ls-files", "-s")

    code, out = cli("verify", chart, "--upgrade-from", "HEAD~1", "--no-check", "--no-cache")

    assert code == 1, out
    assert "CG-UPG-001" in out
    assert "Deployment web: spec.selector.matchLabels.tier: (absent) -> frontend: workload selector changed " \
           "(environment prod, upgrade from HEAD~1 (" in out
    assert "--cascade=orphan" in out
    assert (git(repo, "status", "--porcelain"), git(repo, "ls-files", "-s")) == (status, index)
    assert (chart / "values-prod.yaml").read_text() == "image: nginx:1.2\n"


def test_verify_upgrade_from_passes_a_safe_change(tmp_path: Path) -> None:
    repo, chart = repo_with_chart(tmp_path)
    (chart / "values-prod.yaml").write_text("image: nginx:1.3\n")
    commit(repo, "v2: new image")
    code, out = cli("verify", chart, "--upgrade-from", "main~1", "--no-check", "--no-cache", "--format", "json")
    assert code == 0, out
    assert "CG-UPG" not in out


def test_bad_ref_is_exit_2_with_one_line(tmp_path: Path) -> None:
    _repo, chart = repo_with_chart(tmp_path)
    for args in (("verify", chart, "--upgrade-from", "nope", "--no-check", "--no-cache"),
                 ("diff", chart, "--from-ref", "nope")):
        res = runner.invoke(app, [*map(str, args), "--helm", helm_binary("4.1.4").path])
        assert res.exit_code == 2, res.output
        assert res.output.strip().count("\n") == 0
        assert "'nope' is not a commit" in res.output


def test_diff_from_ref_per_environment_text_and_json(tmp_path: Path) -> None:
    repo, chart = repo_with_chart(tmp_path)
    code, out = cli("diff", chart, "--from-ref", "HEAD")
    assert code == 0, out
    assert "no differences (1 resources identical)" in out

    (chart / "values-prod.yaml").write_text("image: nginx:2.0\n")  # work tree only: not committed
    code, out = cli("diff", chart, "--from-ref", "HEAD", "--env", "prod", "--format", "json")
    assert code == 1, out
    doc = json.loads(out)
    assert doc["ref"] == "HEAD" and doc["differ"] is True
    [env] = doc["environments"]
    [changed] = env["resources"]["changed"]
    assert changed["resource"]["name"] == "web"
    assert changed["changes"] == [{"path": "spec.template.spec.containers[name=web].image", "op": "change",
                                   "from": "nginx:1.1", "to": "nginx:2.0"}]


def test_revision_follows_file_dependencies_outside_the_chart(tmp_path: Path) -> None:
    """The chart at REF is rendered with its file:// dependency as it was at REF, not as it is now."""
    repo, chart = repo_with_chart(tmp_path)
    lib = repo / "libs" / "common"
    (lib / "templates").mkdir(parents=True)
    (lib / "Chart.yaml").write_text("apiVersion: v2\nname: common\nversion: 0.1.0\n")
    (lib / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n"
                                               "data: {v: one}\n")
    with (chart / "Chart.yaml").open("a") as fh:
        fh.write("dependencies:\n- name: common\n  version: 0.1.0\n  repository: file://../../libs/common\n")
    (chart / "charts").mkdir()
    (chart / "charts" / "common").symlink_to("../../../libs/common")
    commit(repo, "v2: shared library")
    (lib / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n"
                                               "data: {v: two}\n")
    code, out = cli("diff", chart, "--from-ref", "HEAD", "--env", "prod")
    assert code == 1, out
    assert "data.v: one -> two" in out


LIB_DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: lib}
spec:
  selector: {matchLabels: {app: LABEL}}
  template:
    metadata: {labels: {app: LABEL}}
    spec: {containers: [{name: lib, image: "nginx:1"}]}
"""


def test_upgrade_from_builds_the_revisions_file_dependency_as_it_was_there(tmp_path: Path) -> None:
    """No archive is committed (charts/ is ignored): verify packages the file:// folder for the work tree, and the
    copy of REF from the folder as it was at REF; the subchart's selector change is then the upgrade error."""
    repo, chart = repo_with_chart(tmp_path)
    lib = repo / "libs" / "lib"
    (lib / "templates").mkdir(parents=True)
    (lib / "Chart.yaml").write_text("apiVersion: v2\nname: lib\nversion: 0.1.0\n")
    (lib / "templates" / "deploy.yaml").write_text(LIB_DEPLOY.replace("LABEL", "lib"))
    with (chart / "Chart.yaml").open("a") as fh:
        fh.write("dependencies:\n- name: lib\n  version: 0.1.0\n  repository: file://../../libs/lib\n")
    (repo / ".gitignore").write_text("charts/web/charts/\n")
    commit(repo, "v2: a subchart")
    (lib / "templates" / "deploy.yaml").write_text(LIB_DEPLOY.replace("LABEL", "lib2"))
    code, out = cli("verify", chart, "--upgrade-from", "HEAD", "--no-check", "--no-cache", "--format", "json")
    assert code == 1, out
    doc = json.loads(out)
    assert [(f["rule"], f["resource"]["name"]) for r in doc["results"] for f in r["findings"]] == \
        [("CG-UPG-001", "lib")]
    assert doc["charts"][0]["dependencies"][0]["builtFrom"] == "file://../../libs/lib"
    assert git(repo, "status", "--porcelain") == " M libs/lib/templates/deploy.yaml\n"  # the archive is ignored
    code, out = cli("diff", chart, "--from-ref", "HEAD", "--env", "prod")
    assert code == 1 and "spec.selector.matchLabels.app: lib -> lib2" in out, out


def test_chart_that_did_not_exist_at_ref(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README").write_text("x\n")
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "before the chart")
    _, chart = repo_with_chart(tmp_path)  # same folder: a second commit adds the chart
    code, out = cli("diff", chart, "--from-ref", "HEAD~1")
    assert code == 2, out
    assert "has no Chart.yaml at HEAD~1" in out
    code, out = cli("verify", chart, "--upgrade-from", "HEAD~1", "--no-check", "--no-cache", "--severity", "info")
    assert "UPGRADE-NEW" in out and "the chart did not exist at HEAD~1" in out


def test_readme_lists_every_upgrade_rule() -> None:
    from support import REPO

    from chartgen.verify.upgrade import rules_table

    assert rules_table() in (REPO / "README.md").read_text()


def test_generated_statefulset_chart_storage_change_is_an_upgrade_error(tmp_path: Path) -> None:
    """chartgen's own chart, two real commits: a larger volume claim template fails `helm upgrade`."""
    import shutil

    from support import CHARTS

    repo = tmp_path / "repo"
    chart = repo / "postgres-cluster"
    shutil.copytree(CHARTS / "postgres-cluster", chart)
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "v1")
    spec = chart / "chartgen.yaml"
    spec.write_text(spec.read_text().replace("    size: 10Gi\n", "    size: 20Gi\n", 1))
    generated = runner.invoke(app, ["generate", str(chart), "--bump", "minor"])
    assert generated.exit_code == 0, generated.output
    commit(repo, "v2: larger volumes")

    code, out = cli("verify", chart, "--upgrade-from", "HEAD~1", "--no-check", "--no-cache", "--format", "json")
    assert code == 1, out
    doc = json.loads(out)
    upg = {(env["environment"], f["rule"], f["field"]) for env in doc["results"] for f in env["findings"]
           if f["rule"].startswith("CG-UPG")}
    # dev keeps its own 1Gi: only staging and prod change their claim templates
    storage = "spec.volumeClaimTemplates[name=data].spec.resources.requests.storage"
    assert upg == {("staging", "CG-UPG-002", storage), ("prod", "CG-UPG-002", storage)}
    code, out = cli("diff", chart, "--from-ref", "HEAD~1", "--env", "dev")
    assert code == 1, out  # the chart version label changed in every environment
    assert "volumeClaimTemplates" not in out


def test_checkout_example_upgrades_safely_from_its_previous_version(tmp_path: Path) -> None:
    """The realistic example (generated-charts/checkout: Secret env, ConfigMap, init container, native sidecar,
    ServiceMonitor, Ingress, HTTPRoute, Istio canary) upgraded from its previous version: image 2.4.0, no otel
    sidecar. Two real commits; every environment; no upgrade finding, and the diff shows exactly that change."""
    import shutil

    from support import CHARTS

    repo = tmp_path / "repo"
    chart = repo / "checkout"
    shutil.copytree(CHARTS / "checkout", chart)
    git(repo, "init", "-q", "-b", "main")
    spec = chart / "chartgen.yaml"
    current = spec.read_text()
    previous = current.replace('tag: "2.4.1"', 'tag: "2.4.0"', 1)
    start, end = previous.index("sidecars:\n"), previous.index("preStop:\n")
    spec.write_text(previous[:start] + previous[end:])
    assert runner.invoke(app, ["generate", str(chart)]).exit_code == 0
    commit(repo, "checkout 2.4.0")
    spec.write_text(current)
    assert runner.invoke(app, ["generate", str(chart)]).exit_code == 0
    commit(repo, "checkout 2.4.1 with the otel sidecar")

    code, out = cli("verify", chart, "--upgrade-from", "HEAD~1", "--no-cache", "--severity", "warning")
    assert "CG-UPG" not in out and "UPGRADE-" not in out, out
    code, out = cli("diff", chart, "--from-ref", "HEAD~1", "--env", "prod", "--format", "json")
    assert code == 1, out
    paths = {c["path"] for env in json.loads(out)["environments"] for r in env["resources"]["changed"]
             for c in r["changes"]}
    assert any("otel-agent" in p for p in paths) and any(p.endswith("image") for p in paths)


def test_sarif_describes_the_upgrade_rules(tmp_path: Path) -> None:
    repo, chart = repo_with_chart(tmp_path)
    (chart / "values.yaml").write_text("image: nginx:1.0\nselector: {app: web, tier: frontend}\n")
    commit(repo, "v2: new selector")
    code, out = cli("verify", chart, "--upgrade-from", "HEAD~1", "--no-check", "--no-cache", "--format", "sarif")
    assert code == 1, out
    run = json.loads(out)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["CG-UPG-001"]["shortDescription"]["text"] == "workload selector changed"
    assert rules["CG-UPG-001"]["defaultConfiguration"]["level"] == "error"
    assert [r["ruleId"] for r in run["results"]] == ["CG-UPG-001"]
