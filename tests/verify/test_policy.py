"""Secure by default, proven by an independent scanner: checkov on every generated chart's rendered environments."""

from __future__ import annotations

import json

import pytest
import yaml
from render_helpers import render
from support import CHARTS, chart_dirs, helm_binary

from chartgen.check.command import check_text
from chartgen.check.model import CheckOptions
from chartgen.core.errors import ChartgenError
from chartgen.spec.loader import load_spec
from chartgen.verify.policy import scan

HELM = "4.1.4"


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[str, str]]:
    """Every chart x environment rendered once: {"chart/env": (manifests, namespace)}."""
    helm = helm_binary(HELM)
    out = {}
    for chart in chart_dirs():
        for env in load_spec(chart).environments:
            docs = render(helm, chart, env.name, env.namespace)
            out[f"{chart.name}/{env.name}"] = (yaml.safe_dump_all(docs), env.namespace)
    return out


@pytest.fixture(scope="module")
def scanned(rendered):
    """One checkov run over all of them (prestarted): its reports, what it printed, its files."""
    from chartgen.verify.policy import CheckovScan

    with CheckovScan() as s:
        return s.scan(rendered), s.console, dict(s.files)


@pytest.fixture(scope="module")
def reports(scanned):
    return scanned[0]


def test_every_prod_rendering_passes_checkov(reports, capsys):
    failures = {label: [(c.check_id, c.resource) for c in rep.failed]
                for label, rep in reports.items() if label.endswith("/prod") and rep.failed}
    assert failures == {}
    for label, rep in sorted(reports.items()):  # dev and staging are reported, not asserted
        with capsys.disabled():
            print(f"checkov {label}: {rep.passed} passed, {len(rep.failed)} failed, {len(rep.skipped)} waived"
                  + "".join(f"\n  failed {c.check_id} {c.resource}" for c in rep.failed))
    # a rendering checkov checked nothing in is named here, with why: storefront staging's only workload is an Argo
    # Rollout, a kind checkov has no Kubernetes policy for (the chart's own check covers its pod template)
    assert sorted(label for label, rep in reports.items() if rep.passed == 0) == ["storefront/staging"]


def test_every_waiver_has_a_reason_and_is_listed_in_the_chart_readme(reports):
    for label, rep in reports.items():
        chart = label.split("/")[0]
        readme = (CHARTS / chart / "README.md").read_text()
        for waived in rep.skipped:
            assert waived.reason and len(waived.reason) >= 10, (label, waived)
            assert f"| {waived.check_id} |" in readme and waived.reason in readme, (label, waived)


def test_without_the_waivers_checkov_fails(tmp_path):
    """The scanner really runs and the waivers are what silence it: drop them and the checks fail."""
    helm = helm_binary(HELM)
    override = tmp_path / "no-waivers.yaml"
    override.write_text("policyWaivers: null\n")
    res = helm.template(CHARTS / "user-api", "user-api", "backend",
                        [CHARTS / "user-api" / "values-prod.yaml", override], kube_version="1.31.0")
    assert res.ok, res.message
    report = scan({"x": (res.stdout, "backend")})["x"]
    assert {"CKV_K8S_15", "CKV_K8S_43"} <= {c.check_id for c in report.failed}


def test_a_digest_pinned_image_needs_no_digest_waiver():
    helm = helm_binary(HELM)
    res = helm.template(CHARTS / "user-api", "user-api", "backend", [CHARTS / "user-api" / "values-prod.yaml"],
                        kube_version="1.31.0", set_values=["image.digest=sha256:" + "a" * 64])
    assert res.ok, res.message
    deployment = next(d for d in yaml.safe_load_all(res.stdout) if d and d["kind"] == "Deployment")
    annotations = deployment["metadata"].get("annotations", {})
    assert not any(v.startswith("CKV_K8S_43=") for v in annotations.values())
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith("@sha256:" + "a" * 64)


@pytest.mark.parametrize("chart", chart_dirs(), ids=lambda p: p.name)
def test_chartgen_check_prod_profile_agrees(rendered, chart):
    manifests, namespace = rendered[f"{chart.name}/prod"]
    findings = check_text(manifests, f"{chart.name}[prod]", CheckOptions(profile="prod"), namespace)
    posture = [f for f in findings if f.rule.startswith("CG-P-")]
    assert posture == []
    assert [f for f in findings if int(f.severity) >= 2] == []


@pytest.mark.parametrize("version", ["4.1.4", "3.17.2"])
def test_prod_network_policy_admits_declared_ports_and_the_istio_gateway(version):
    helm = helm_binary(version)
    values = [CHARTS / "webapp" / "values-prod.yaml"]
    res = helm.template(CHARTS / "webapp", "webapp", "production", values, kube_version="1.31.0",
                        set_values=["networkPolicy.allowFrom[0].podSelector.matchLabels.role=frontend"])
    assert res.ok, res.message
    policy = next(d for d in yaml.safe_load_all(res.stdout) if d and d["kind"] == "NetworkPolicy")
    rule, scraper = policy["spec"]["ingress"]
    assert sorted(p["port"] for p in rule["ports"]) == [8080, 8443, 15008]  # HBONE carries the app's traffic
    assert sorted(p["port"] for p in scraper["ports"]) == [8080, 8443, 15020, 15090]  # app and sidecar metrics
    assert {"podSelector": {"matchLabels": {"role": "frontend"}}} in rule["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
            "podSelector": {"matchLabels": {"istio": "ingressgateway"}}} in rule["from"]
    # a chart without Istio admits only what allowFrom says
    res = helm.template(CHARTS / "postgres", "postgres", "database", [CHARTS / "postgres" / "values-prod.yaml"],
                        kube_version="1.31.0", set_values=["networkPolicy.allowFrom[0].podSelector.matchLabels.role=web"])
    policy = next(d for d in yaml.safe_load_all(res.stdout) if d and d["kind"] == "NetworkPolicy")
    assert policy["spec"]["ingress"][0]["from"] == [{"podSelector": {"matchLabels": {"role": "web"}}}]
    assert [p["port"] for p in policy["spec"]["ingress"][0]["ports"]] == [5432]


def test_verify_policy_checkov_folds_results_into_the_report():
    from typer.testing import CliRunner

    from chartgen.cli import app

    res = CliRunner().invoke(app, ["verify", str(CHARTS / "postgres-cluster"), "--env", "prod", "--policy", "checkov",
                                   "--helm", helm_binary(HELM).path, "--format", "json"])
    assert res.exit_code == 0, res.output
    (result,) = json.loads(res.output)["results"]
    assert result["policy"]["failed"] == [] and result["policy"]["passed"] > 50
    assert {w["check"] for w in result["policy"]["waived"]} >= {"CKV_K8S_15", "CKV_K8S_43", "CKV_K8S_8", "CKV_K8S_9"}
    assert all(w["reason"] for w in result["policy"]["waived"])
    bad = CliRunner().invoke(app, ["verify", str(CHARTS / "postgres-cluster"), "--policy", "trivy"])
    assert bad.exit_code == 2 and "allowed: checkov" in bad.output


def test_a_checkov_scan_that_checked_nothing_says_so_in_the_report():
    # storefront staging's only workload is an Argo Rollout: checkov passes, fails and waives nothing there; the
    # report must not print that as a quiet "0 passed" next to "ok"
    from chartgen.check.model import Severity
    from chartgen.verify.chart import EnvResult
    from chartgen.verify.report import env_section

    def header(policy):
        return env_section(EnvResult("c", "staging", "ns", lint_ok=True, template_ok=True, policy=policy),
                           Severity.ERROR).header

    assert "NOTHING CHECKED" in header({"passed": 0, "failed": [], "waived": []})
    checked = header({"passed": 3, "failed": [], "waived": []})
    assert "NOTHING CHECKED" not in checked and "[checkov: 3 passed, 0 failed, 0 waived]" in checked


# --- the prestarted checkov (issue 27): checkov's imports overlap the helm work, the verdict is the plain process's --


def test_the_prestarted_checkov_reports_what_the_plain_process_reports(rendered, scanned):
    """The scan's checkov, prestarted and writing its report to a file, gives the verdict of checkov run as users
    run it: a plain process printing its report. The file spares ~80 MB of console output for 300 renderings."""
    import subprocess

    from chartgen.verify.policy import ARGS, CheckovScan, reports_of

    reports, console, files = scanned
    assert console == "" and sum(r.passed for r in reports.values()) > 500
    with CheckovScan() as prestarted:  # the checkov beside this Python: started at once, importing
        assert prestarted.prestarted
    with CheckovScan(prestart=False) as plain:
        for label, (manifests, namespace) in rendered.items():
            plain.add(label, manifests, namespace)
        assert plain.files == files  # named by label: the same files, in whatever order they came
        printed = subprocess.run(plain.argv[:-2], capture_output=True, text=True)  # checkov's default: the console
    assert plain.argv[3:-2] == list(ARGS) and printed.stdout.lstrip().startswith("{")
    assert reports_of(printed, files, list(rendered)) == reports


def _fake_checkov(path, body: str, python: str | None = None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{python or '/bin/sh'}\n{body}")
    path.chmod(0o755)
    return str(path)


PASSING = ('{"results": {"passed_checks": [{"check_id": "CKV_K8S_1", "file_path": "/0000.yaml"}], '
           '"failed_checks": [], "skipped_checks": []}}')


def test_a_checkov_of_another_installation_runs_as_a_plain_process(tmp_path):
    from chartgen.verify.policy import CheckovScan

    # found on PATH, not beside chartgen's Python: its own installation, run as the plain process it is
    other = _fake_checkov(tmp_path / "elsewhere" / "checkov", f"echo '{PASSING}'\n")
    with CheckovScan(other) as s:
        assert not s.prestarted
        assert s.scan({"a": ("kind: ConfigMap\n", "ns")})["a"].passed == 1


def test_checkovs_report_is_read_from_the_file_it_was_told_to_write(tmp_path):
    from chartgen.verify.policy import CheckovScan

    # the last argument names the report file (`--output-file-path FILE,`); what is printed is not the report
    writer = _fake_checkov(tmp_path / "elsewhere" / "checkov",
                           f"""eval "r=\\${{$#}}"; echo '{PASSING}' > "${{r%,}}"; echo 'not json'\n""")
    with CheckovScan(writer) as s:
        assert s.argv[-2:] == ["--output-file-path", f"{s.report},"]
        assert s.scan({"a": ("kind: ConfigMap\n", "ns")})["a"].passed == 1


def test_only_a_python_console_script_beside_this_python_is_prestarted(tmp_path, monkeypatch):
    import sys

    from chartgen.verify import policy

    fake_python = tmp_path / "venv" / "bin" / "python"
    fake_python.parent.mkdir(parents=True)
    fake_python.symlink_to(sys.executable)
    monkeypatch.setattr(policy.sys, "executable", str(fake_python))
    beside = tmp_path / "venv" / "bin" / "checkov"
    assert policy.script_python(_fake_checkov(beside, "", str(fake_python))) == str(fake_python)
    # pip's form for a long interpreter path: a shell line that execs Python; run as the plain process
    assert policy.script_python(_fake_checkov(beside, f"'''exec' {fake_python} \"$0\" \"$@\"\n' '''\n")) is None
    assert policy.script_python(_fake_checkov(beside, "", f"{fake_python} -E")) is None
    assert policy.script_python(_fake_checkov(tmp_path / "other" / "checkov", "", str(fake_python))) is None


def _error(prestart: bool) -> str:
    with pytest.raises(ChartgenError) as err:
        scan({"a": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", "ns")}, prestart=prestart)
    return str(err.value)


def test_checkov_crashing_on_import_is_reported_as_by_the_plain_process(tmp_path, monkeypatch):
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "argcomplete.py").write_text("raise ImportError('argcomplete is broken here')\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow))  # a module checkov.main imports, broken
    prestarted, plain = _error(True), _error(False)
    assert "scanned nothing (exit 1)" in plain and "argcomplete is broken here" in plain
    assert prestarted == plain


def test_checkov_refusing_its_configuration_is_reported_as_by_the_plain_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".checkov.yaml").write_text("no-such-option: true\n")
    prestarted, plain = _error(True), _error(False)
    assert "scanned nothing (exit 2)" in plain and "no-such-option" in plain
    assert prestarted == plain


def test_the_prestarted_script_runs_as_the_console_script_would(tmp_path, monkeypatch):
    """checkov_start.py gives the script what `SCRIPT ARG...` gives it: its argv (also as checkov.main's default
    argv, read at import), its own folder first on sys.path (not the working folder, nor chartgen's), __main__; and
    its exit code. Without the line `scan` it runs nothing."""
    import subprocess
    import sys

    from chartgen.verify.policy import START

    monkeypatch.chdir(tmp_path)
    script = _fake_checkov(tmp_path / "bin" / "checkov", (
        "import json, sys\nfrom checkov.main import Checkov\n"
        "print(json.dumps([__name__, sys.argv, sys.path[0], Checkov.__init__.__defaults__[0]]))\nsys.exit(3)\n"),
        sys.executable)
    argv = [script, "-d", str(tmp_path), "--compact"]
    ran = subprocess.run([sys.executable, str(START), *argv], input="scan\n", capture_output=True, text=True)
    assert ran.returncode == 3, ran.stderr
    assert json.loads(ran.stdout) == ["__main__", argv, str(tmp_path / "bin"), argv[1:]]
    idle = subprocess.run([sys.executable, str(START), *argv], input="", capture_output=True, text=True)
    assert (idle.returncode, idle.stdout) == (0, "")


def test_a_scan_not_needed_stops_the_prestarted_checkov():
    from chartgen.verify.policy import CheckovScan

    s = CheckovScan()
    assert s.prestarted
    s.close()
    assert not s.prestarted and not s.folder.exists()
