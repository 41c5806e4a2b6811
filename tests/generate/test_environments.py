"""Environments: `chartgen values`, `chartgen diff`, `chartgen env add`, and verify naming a bad env value."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from support import CHARTS, KUBE_VERSION, helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.generate.filetree import FileTree
from chartgen.generate.writer import LOCK_FILE, read_lock, write_subset
from chartgen.helm.runner import Helm
from chartgen.verify.diff import MISSING, Change, field_changes, render_text, use_color

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def helm4() -> Helm:
    return helm_binary("4.1.4")


@pytest.fixture
def webapp(tmp_path: Path) -> Path:
    dst = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", dst)
    return dst


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# ---------------------------------------------------------------------------------------------- chartgen diff


@pytest.fixture(scope="module")
def webapp_dev_prod(helm4: Helm) -> tuple[str, dict]:
    """One text and one JSON diff of the seed webapp, dev -> prod (helm runs are the slow part)."""
    text = invoke("diff", CHARTS / "webapp", "--from", "dev", "--to", "prod", "--helm", helm4.path)
    assert text.exit_code == 0, text.output
    js = invoke("diff", CHARTS / "webapp", "--from", "dev", "--to", "prod", "--format", "json",
                "--helm", helm4.path)
    assert js.exit_code == 0, js.output
    return text.stdout, json.loads(js.stdout)


def test_diff_text_dev_to_prod(webapp_dev_prod):
    out, _ = webapp_dev_prod
    assert not ANSI.search(out), "no colour when stdout is not a terminal"
    lines = [line.strip() for line in out.splitlines()]
    assert lines[0] == "webapp: dev -> prod (namespace development -> production)"
    # NodePort 30080 in dev, LoadBalancer with the NLB annotations in prod
    assert "~ Service webapp" in lines
    assert "spec.type: NodePort -> LoadBalancer" in lines
    assert "spec.ports[name=http].nodePort: 30080 -> (absent)" in lines
    assert "spec.ports[name=http].targetPort: 3000 -> 8080" in lines
    assert any(l.startswith("spec.ports[name=https]: (absent) -> {") and "port: 443" in l for l in lines)
    assert 'metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"]: (absent) -> nlb' in lines
    assert any(l.startswith('metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"]: '
                            "(absent) -> arn:aws:acm:") for l in lines)
    # replicas (prod hands them to the HPA) and resources, in the Deployment(s)
    sections: dict[str, list[str]] = {}
    for line in lines[1:-1]:
        if line[:2] in ("+ ", "- ", "~ "):
            current = sections.setdefault(line, [])
        else:
            current.append(line)
    deployments = [body for head, body in sections.items() if head.startswith("~ Deployment ")]
    assert deployments
    res = "spec.template.spec.containers[name=webapp].resources"
    for body in deployments:
        assert "spec.replicas: 1 -> (absent)" in body
        assert f"{res}.requests.cpu: 50m -> 250m" in body
        assert f"{res}.limits.memory: 128Mi -> 512Mi" in body
        assert f"{res}.limits.cpu: 250m -> '1'" in body  # the string "1", shown as YAML shows it
    assert any(l.startswith("+ HorizontalPodAutoscaler webapp") and l.endswith("(only in prod)") for l in lines)
    assert "+ PodDisruptionBudget webapp (only in prod)" in lines
    assert "+ NetworkPolicy webapp (only in prod)" in lines
    assert re.fullmatch(r"\d+ added, 0 removed, \d+ changed, \d+ unchanged", lines[-1])


def test_diff_json_dev_to_prod(webapp_dev_prod):
    _, data = webapp_dev_prod
    assert data["from"] == "dev" and data["to"] == "prod"
    assert data["namespaces"] == {"from": "development", "to": "production"}
    res = data["resources"]
    assert set(res) >= {"added", "removed", "changed"}
    assert {r["kind"] for r in res["added"]} >= {"HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"}
    assert res["removed"] == []
    changed = {(c["resource"]["kind"], c["resource"]["name"]): {ch["path"]: ch for ch in c["changes"]}
               for c in res["changed"]}
    deployments = [v for (kind, _), v in changed.items() if kind == "Deployment"]
    assert deployments
    svc = changed[("Service", "webapp")]
    assert svc["spec.type"] == {"path": "spec.type", "op": "change", "from": "NodePort", "to": "LoadBalancer"}
    assert svc["spec.ports[name=http].nodePort"]["from"] == 30080
    assert svc["spec.ports[name=http].nodePort"]["op"] == "remove"
    nlb = svc['metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"]']
    assert (nlb["op"], nlb["to"]) == ("add", "nlb")
    for deploy in deployments:
        assert deploy["spec.replicas"]["from"] == 1
        limits = deploy["spec.template.spec.containers[name=webapp].resources.limits.cpu"]
        assert (limits["from"], limits["to"]) == ("250m", "1")
    for c in res["changed"]:
        assert set(c["resource"]) == {"apiVersion", "kind", "namespace", "name"}
        assert c["resource"]["namespace"] is None  # the release namespace


def test_diff_values_staging_to_prod():
    res = invoke("diff", CHARTS / "webapp", "--from", "staging", "--to", "prod", "--values")
    assert res.exit_code == 0, res.output
    lines = [line.strip() for line in res.stdout.splitlines()]
    assert lines[0] == "values of webapp: staging -> prod"
    assert "replicaCount: 2 -> 3" in lines
    assert "service.type: ClusterIP -> LoadBalancer" in lines
    assert "autoscaling.enabled: false -> true" in lines
    assert "resources.limits.memory: 256Mi -> 512Mi" in lines

    js = invoke("diff", CHARTS / "webapp", "--from", "staging", "--to", "prod", "--values", "--format", "json")
    data = json.loads(js.stdout)
    changes = {c["path"]: (c["from"], c["to"]) for c in data["values"]["changes"]}
    assert changes["replicaCount"] == (2, 3)
    assert changes["logLevel"] == ("info", "warn")


def test_diff_values_reports_a_type_change_in_an_environment_override(tmp_path):
    """`1` and `true` are equal in Python, not in a chart: a template testing `eq .Values.x 1` sees the change."""
    chart = tmp_path / "typed"
    chart.mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: typed\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("debug: 0\nlevels: {a: 1}\nsame: 1\n")
    (chart / "values-dev.yaml").write_text("debug: 1\nlevels: {a: 1.0}\n")
    (chart / "values-prod.yaml").write_text("debug: true\nlevels: {a: 1}\n")
    res = invoke("diff", chart, "--from", "dev", "--to", "prod", "--values", "--format", "json")
    assert res.exit_code == 0, res.output
    changes = {c["path"]: (c["from"], c["to"]) for c in json.loads(res.stdout)["values"]["changes"]}
    assert changes == {"debug": (1, True), "levels.a": (1.0, 1)}


def test_diff_same_environment_is_empty(helm4):
    res = invoke("diff", CHARTS / "postgres", "--from", "prod", "--to", "prod", "--helm", helm4.path)
    assert res.exit_code == 0, res.output
    assert "no differences" in res.stdout


def test_diff_bad_input_exits_2():
    res = invoke("diff", CHARTS / "webapp", "--from", "dev", "--to", "qa", "--values")
    assert res.exit_code == 2
    assert "--to" in res.stderr and "allowed: dev, staging, prod" in res.stderr
    res = invoke("diff", CHARTS / "webapp", "--from", "dev", "--to", "prod", "--format", "xml")
    assert res.exit_code == 2 and "--format" in res.stderr


def test_diff_failing_render_exits_1(webapp, helm4):
    prod = webapp / "values-prod.yaml"
    prod.write_text(prod.read_text().replace("replicaCount: 3", 'replicaCount: "three"'))
    res = invoke("diff", webapp, "--from", "staging", "--to", "prod", "--helm", helm4.path)
    assert res.exit_code == 1
    assert "helm template failed for prod" in res.stderr and "replicaCount" in res.stderr


def test_diff_colour_only_on_a_terminal(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_color(Tty()) and not use_color(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not use_color(Tty())

    from chartgen.verify.diff import ValuesDiff

    diff = ValuesDiff("app", "a", "b", [Change("replicaCount", 1, 3)])
    out = io.StringIO()
    render_text(diff, out, color=True)
    assert ANSI.search(out.getvalue()) and "replicaCount" in ANSI.sub("", out.getvalue())
    plain = io.StringIO()
    render_text(diff, plain)
    assert plain.getvalue() == "values of app: a -> b\n  replicaCount: 1 -> 3\n1 value(s) differ\n"


def test_field_changes_paths():
    old = {"metadata": {"annotations": {"a.b/c": "x"}}, "ports": [{"name": "http", "port": 80}],
           "args": ["-v"], "n": 1, "s": "1", "l": [{"a": 1}]}
    new = {"metadata": {"annotations": {}}, "ports": [{"name": "http", "port": 8080}, {"name": "grpc", "port": 9}],
           "args": ["-v", "-q"], "n": "1", "s": "1", "l": [{"a": 2}]}
    assert field_changes(old, new) == [
        Change('metadata.annotations["a.b/c"]', "x", MISSING),
        Change("ports[name=http].port", 80, 8080),
        Change("ports[name=grpc]", MISSING, {"name": "grpc", "port": 9}),
        Change("args", ["-v"], ["-v", "-q"]),
        Change("n", 1, "1"),  # a type change is a change
        Change("l[0].a", 1, 2),
    ]
    assert field_changes(new, new) == []


# ---------------------------------------------------------------------------------------------- chartgen values


def test_values_check_detects_stale_file_and_values_rewrites_it(webapp):
    res = invoke("values", webapp, "--check")
    assert res.exit_code == 0, res.output

    # The spec changes: prod gets 4 replicas. Only values-prod.yaml goes stale.
    spec = webapp / "chartgen.yaml"
    spec.write_text(spec.read_text().replace("  prod:\n    namespace: production\n",
                                             "  prod:\n    namespace: production\n    replicas: 4\n"))
    res = invoke("values", webapp, "--check")
    assert res.exit_code == 1
    assert res.stdout.strip() == f"{webapp / 'values-prod.yaml'}: out of date with chartgen.yaml"

    before = files_under(webapp)
    lock_before = read_lock(webapp)
    res = invoke("values", webapp)
    assert res.exit_code == 0, res.output
    after = files_under(webapp)
    assert {p for p in after if after[p] != before.get(p)} == {"values-prod.yaml", LOCK_FILE,
                                                               ".chartgen/base/values-prod.yaml"}
    lock_after = read_lock(webapp)
    assert {p for p in lock_after if lock_after[p] != lock_before.get(p)} == {"values-prod.yaml"}
    assert lock_after["values-prod.yaml"] == FileTree.digest(after["values-prod.yaml"])

    text = (webapp / "values-prod.yaml").read_text()
    lines = text.splitlines()
    assert "replicaCount: 4" in lines
    assert "---" not in lines and "..." not in lines
    for i, line in enumerate(lines):  # every top-level key has its `# --` comment right above it
        if line and not line.startswith("#") and not line.startswith(" "):
            assert lines[i - 1].startswith("# -- "), line
    assert yaml.safe_load(text)["replicaCount"] == 4
    assert invoke("values", webapp, "--check").exit_code == 0


def test_values_never_overwrites_an_edited_file(webapp):
    edited = (webapp / "values-dev.yaml").read_text() + "# my note\n"
    (webapp / "values-dev.yaml").write_text(edited)
    res = invoke("values", webapp, "--check")
    assert res.exit_code == 1 and "values-dev.yaml" in res.stdout
    res = invoke("values", webapp)
    assert res.exit_code == 2
    assert "values-dev.yaml: edited since chartgen wrote it" in res.stderr
    assert (webapp / "values-dev.yaml").read_text() == edited
    # other environments may still be regenerated on their own; an edit elsewhere in the chart never blocks
    (webapp / "README.md").write_text("mine\n")
    assert invoke("values", webapp, "--env", "prod", "--env", "staging").exit_code == 0
    assert (webapp / "README.md").read_text() == "mine\n"
    res = invoke("values", webapp, "--env", "dev", "--force")
    assert res.exit_code == 0, res.output
    assert (webapp / "values-dev.yaml").read_bytes() == (CHARTS / "webapp" / "values-dev.yaml").read_bytes()
    res = invoke("values", webapp, "--env", "qa")
    assert res.exit_code == 2 and "--env" in res.stderr and "allowed: dev, staging, prod" in res.stderr


def test_write_subset_keeps_other_files_and_lock_entries(webapp):
    lock = read_lock(webapp)
    tree = FileTree()
    tree.add("values-prod.yaml", "replicaCount: 9\n")
    tree.add("values.yaml", "changed: true\n")  # not selected: must not be written
    (webapp / "values-dev.yaml").unlink()  # a selected lock entry the tree no longer has, already gone
    plan = write_subset(tree, webapp, lambda p: p.startswith("values-"))
    assert sorted(plan.update) == [LOCK_FILE, "values-prod.yaml"]
    assert plan.delete == ["values-staging.yaml"] and not (webapp / "values-staging.yaml").exists()
    assert plan.create == [] and plan.conflicts == []
    assert (webapp / "values-prod.yaml").read_text() == "replicaCount: 9\n"
    assert (webapp / "values.yaml").read_bytes() == (CHARTS / "webapp" / "values.yaml").read_bytes()
    new_lock = read_lock(webapp)
    assert new_lock["values-prod.yaml"] == FileTree.digest("replicaCount: 9\n")
    assert "values-dev.yaml" not in new_lock and "values-staging.yaml" not in new_lock
    assert {k: v for k, v in new_lock.items() if not k.startswith("values-")} == \
        {k: v for k, v in lock.items() if not k.startswith("values-")}


# ---------------------------------------------------------------------------------------------- chartgen env add


def test_env_add_then_helm_lint_strict(webapp, helm):
    original = (webapp / "chartgen.yaml").read_text()
    res = invoke("env", "add", webapp, "qa", "--from", "staging")
    assert res.exit_code == 0, res.output
    text = (webapp / "chartgen.yaml").read_text()
    # the user's text (comments included) is kept; the new block is appended under environments:
    assert text.startswith(original)
    assert text[len(original):].startswith("  qa:\n    profile: staging\n    namespace: qa\n")
    envs = yaml.safe_load(text)["environments"]
    assert list(envs) == ["dev", "staging", "prod", "qa"]
    staging_overrides = {k: v for k, v in envs["staging"].items() if k != "namespace"}
    assert envs["qa"] == {"profile": "staging", "namespace": "qa", **staging_overrides}
    assert staging_overrides["service"] == {"type": "ClusterIP"}

    qa, staging = (webapp / "values-qa.yaml").read_text(), (webapp / "values-staging.yaml").read_text()
    body = lambda t: [l for l in t.splitlines() if not l.startswith("# ") or l.startswith("# --")]  # noqa: E731
    assert body(qa) == body(staging)  # same profile, same overrides
    assert "qa" in (webapp / "README.md").read_text()
    assert invoke("generate", webapp, "--check").exit_code == 0  # the chart is complete and current
    assert invoke("values", webapp, "--check").exit_code == 0

    lint = helm.lint(webapp, [webapp / "values-qa.yaml"], strict=True, kube_version=KUBE_VERSION)
    assert lint.ok, lint.message
    tpl = helm.template(webapp, "webapp", "qa", [webapp / "values-qa.yaml"], kube_version=KUBE_VERSION)
    assert tpl.ok, tpl.message
    svc = next(d for d in yaml.safe_load_all(tpl.stdout) if d and d["kind"] == "Service")
    assert svc["spec"]["type"] == "ClusterIP"

    # adding it again is refused: exit 2, naming environments.qa, and nothing changes
    before = files_under(webapp)
    res = invoke("env", "add", webapp, "qa", "--from", "prod")
    assert res.exit_code == 2
    assert "environments.qa" in res.stderr and "already exists" in res.stderr
    assert files_under(webapp) == before


def test_env_add_namespace_and_nodeport_note(webapp, helm4):
    res = invoke("env", "add", webapp, "qa", "--from", "dev", "--namespace", "quality")
    assert res.exit_code == 0, res.output
    assert "nodePort 30080" in res.stderr
    env = yaml.safe_load((webapp / "chartgen.yaml").read_text())["environments"]["qa"]
    assert env["profile"] == "dev" and env["namespace"] == "quality"
    assert env["service"] == yaml.safe_load((CHARTS / "webapp" / "chartgen.yaml").read_text())[
        "environments"]["dev"]["service"]
    res = invoke("diff", webapp, "--from", "dev", "--to", "qa", "--helm", helm4.path)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "webapp: dev -> qa (namespace development -> quality)"
    assert re.fullmatch(r"no differences \(\d+ resources identical\)", lines[1]) and len(lines) == 2


def test_env_add_without_environments_key(tmp_path, helm4):
    chart = tmp_path / "redis-cache"
    shutil.copytree(CHARTS / "redis-cache", chart)
    spec = chart / "chartgen.yaml"
    text = spec.read_text()
    spec.write_text(text[: text.index("environments:")].rstrip("\n"))  # no environments, no final newline
    assert invoke("generate", chart).exit_code == 0
    res = invoke("env", "add", chart, "qa", "--from", "prod")
    assert res.exit_code == 0, res.output
    envs = yaml.safe_load(spec.read_text())["environments"]
    assert envs == {"dev": {}, "staging": {}, "prod": {}, "qa": {"profile": "prod", "namespace": "qa"}}
    assert (chart / "values-qa.yaml").is_file()
    lint = helm4.lint(chart, [chart / "values-qa.yaml"], strict=True, kube_version=KUBE_VERSION)
    assert lint.ok, lint.message


def test_env_add_refuses_bad_input_and_writes_nothing(webapp):
    before = files_under(webapp)
    for args, needle in (
        (("prod", "--from", "dev"), "environments.prod: already exists"),
        (("QA", "--from", "dev"), "environments.QA: 'QA' is not a valid environment name"),
        (("qa", "--from", "nope"), "--from: unknown environment 'nope'; allowed: dev, staging, prod"),
    ):
        res = invoke("env", "add", webapp, *args)
        assert res.exit_code == 2, res.output
        assert needle in res.stderr
    # a generated file edited by hand blocks the regeneration, and then chartgen.yaml is not changed either
    (webapp / "README.md").write_text("mine\n")
    before["README.md"] = b"mine\n"
    res = invoke("env", "add", webapp, "qa", "--from", "staging")
    assert res.exit_code == 2 and "README.md: edited since chartgen wrote it" in res.stderr
    assert files_under(webapp) == before


# ---------------------------------------------------------------------------------------------- verify


def test_verify_names_env_key_and_allowed_values(webapp, helm):
    prod = webapp / "values-prod.yaml"
    prod.write_text(prod.read_text().replace("replicaCount: 3", 'replicaCount: "three"'))
    res = invoke("verify", webapp, "--no-check", "--helm", helm.path)
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    assert any(l.endswith("[dev, namespace development]: ok") for l in lines)
    failed = [l for l in lines if "FAILED" in l and "namespace" in l]  # environment lines (drift is chart-level)
    assert len(failed) == 1 and "[prod, namespace production]" in failed[0]
    # a hand edit is kept by generate's three-way merge, so it is not drift (regenerating would not undo it)
    assert not any("VERIFY-DRIFT" in l for l in lines), res.stdout
    # helm 3.17: "replicaCount: Invalid type. Expected: integer, given: string"
    # helm 4.1:  "at '/replicaCount': got string, want integer"
    detail = [l for l in lines if "replicaCount" in l]
    assert detail and all("integer" in l for l in detail), res.stdout

    prod.write_text(prod.read_text() + "service:\n  type: Bogus\n")
    res = invoke("verify", webapp, "--no-check", "--env", "prod", "--helm", helm.path)
    assert res.exit_code == 1
    detail = [l for l in res.stdout.splitlines() if "type" in l and "Bogus" not in l and "must be one of" in l]
    assert detail, res.stdout  # 3.17: "service.type: ... must be one of"; 4.1: "at '/service/type': ... one of"
    assert all(x in detail[0] for x in ("LoadBalancer", "NodePort", "ClusterIP")) and "service" in detail[0]
