"""run_check / check_text / runner: exit codes, input errors, suppression, prod promotion, ordering, corpus."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chartgen.check import registry, runner
from chartgen.check.command import check_sources, check_text, run_check
from chartgen.check.loader import load_paths
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import Rule

GOOD = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: b}
"""

BAD_SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: Banana
  ports: [{name: http, port: 80}]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def call(paths, **kw) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    kw.setdefault("stdin", io.StringIO(""))
    code = run_check(paths, out=out, err=err, **kw)
    return code, out.getvalue(), err.getvalue()


def test_exit_0_without_findings_at_the_failing_severity(tmp_path):
    code, out, err = call([str(write(tmp_path, "ok.yaml", GOOD))])
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].endswith(": ok")


def test_exit_1_with_errors_and_the_report_names_rule_and_line(tmp_path):
    path = write(tmp_path, "svc.yaml", BAD_SERVICE)
    code, out, _ = call([str(path)])
    assert code == 1
    assert f"{path}:5 [error] CG-SVC-014 Service web: spec.type 'Banana'" in out


@pytest.mark.parametrize("setup, message", [
    (lambda tmp: str(tmp / "missing.yaml"), "missing.yaml: no such file or directory"),
    (lambda tmp: str(write(tmp, "broken.yaml", "a: [1\n")), "broken.yaml:1: invalid YAML: "),
])
def test_exit_2_for_unreadable_input_with_one_line_on_stderr(tmp_path, setup, message):
    code, out, err = call([setup(tmp_path)])
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("kwargs, message", [
    ({"fmt": "xml"}, "unknown format 'xml'"),
    ({"severity": "fatal"}, "unknown severity 'fatal'"),
    ({"kube_version": "latest"}, "invalid Kubernetes version 'latest'"),
    # accepted silently before issue 15
    ({"kube_version": "1.99"}, "unsupported --kube-version 1.99"),
    ({"profile": "strict"}, "unknown profile 'strict'"),
    ({"disabled": ["CG-NOPE-1"]}, "--disable: unknown rule id CG-NOPE-1"),
])
def test_exit_2_for_bad_options(tmp_path, kwargs, message):
    code, _, err = call([str(write(tmp_path, "ok.yaml", GOOD))], **kwargs)
    assert code == 2 and message in err


def test_exit_2_without_input():
    code, _, err = call([])
    assert code == 2 and "no input" in err


def test_stdin(tmp_path):
    code, out, _ = call(["-"], stdin=io.StringIO(BAD_SERVICE), fmt="json")
    body = json.loads(out)
    assert code == 1 and body["ok"] is False
    assert {f["file"] for f in body["findings"]} == {"-"}


def test_severity_threshold_and_disabled_rules(tmp_path):
    text = BAD_SERVICE.replace("type: Banana", "type: LoadBalancer\n  loadBalancerIP: 203.0.113.5")
    path = str(write(tmp_path, "lb.yaml", text))
    assert call([path])[0] == 0  # CG-SVC-031 is a warning
    assert call([path], severity="warning")[0] == 1
    code, out, err = call([path], severity="warning", disabled=["CG-SVC-031,CG-SVC-014"], fmt="json")
    assert "CG-SVC-031" not in {f["rule"] for f in json.loads(out)["findings"]}
    # an unknown id is a mistake (exit 2), not a warning that CI logs bury
    code, out, err = call([path], disabled=["CG-SVC-031,CG-NOPE-1"])
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and "CG-NOPE-1" in err


def test_every_format_is_written(tmp_path):
    path = str(write(tmp_path, "svc.yaml", BAD_SERVICE))
    for fmt, marker in [("json", '"ok": false'), ("junit", "<testsuites"), ("github", "::error file="),
                        ("sarif", '"version": "2.1.0"'), ("text", "[error] CG-SVC-014")]:
        code, out, _ = call([path], fmt=fmt)
        assert code == 1 and marker in out, fmt


# --- suppression -----------------------------------------------------------------------------------------------

def annotated(value: str) -> str:
    return BAD_SERVICE.replace("metadata: {name: web}",
                               f"metadata:\n  name: web\n  annotations:\n    chartgen.io/ignore: {json.dumps(value)}")


def test_ignore_annotation_with_reason_suppresses_the_named_rules(tmp_path):
    path = str(write(tmp_path, "svc.yaml", annotated("CG-SVC-014, CG-SVC-002: test fixture for a custom type")))
    code, out, _ = call([path], fmt="json")
    body = json.loads(out)
    assert code == 0 and body["findings"] == [] and body["summary"]["suppressed"] == 1


@pytest.mark.parametrize("value", ["CG-SVC-014", "CG-SVC-014:   ", "because I said so"])
def test_ignore_annotation_without_reason_warns_and_suppresses_nothing(check, value):
    found = check(annotated(value))
    rules = [f.rule for f in found]
    assert "CG-SVC-014" in rules and "CG-META-001" in rules
    meta = next(f for f in found if f.rule == "CG-META-001")
    assert meta.severity == Severity.WARNING
    assert meta.field == "metadata.annotations[chartgen.io/ignore]" and meta.line == 6


def test_ignore_annotation_naming_an_unknown_rule_warns(check):
    found = check(annotated("CG-SVC-014,CG-SVC-999: typo"))
    assert [f.rule for f in found] == ["CG-META-002"]
    assert "CG-SVC-999" in found[0].message


def test_ignore_annotation_cannot_hide_the_findings_about_suppressions(check):
    """An annotation naming CG-META-* (with a reason) still gets its own typo reported, and a reasonless one too."""
    found = check(annotated("CG-SVC-014,CG-SVC-999,CG-META-002: hide the typo"))
    assert [f.rule for f in found] == ["CG-META-002"]
    found = check(annotated("CG-META-001"))  # no reason: reported, and nothing is suppressed
    assert "CG-META-001" in [f.rule for f in found] and "CG-SVC-014" in [f.rule for f in found]


def test_ignore_annotation_only_applies_to_its_own_resource(check):
    text = annotated("CG-SVC-014: fixture") + "---\n" + BAD_SERVICE.replace("name: web", "name: other")
    assert [(f.rule, f.resource.name) for f in check(text)] == [("CG-SVC-014", "other")]


# --- runner ----------------------------------------------------------------------------------------------------

@pytest.fixture
def fake_posture_rule(monkeypatch):
    """A posture-layer rule that warns on every ConfigMap (registered for one test only)."""

    def fn(index: ManifestIndex, opts: CheckOptions):
        for doc in index.kind("ConfigMap"):
            yield Finding.at(doc, "CG-TEST-POSTURE", Severity.WARNING, "test warning", "none")
            yield Finding.at(doc, "CG-TEST-POSTURE", Severity.INFO, "test info", "none")

    monkeypatch.setitem(registry._RULES, "CG-TEST-POSTURE",
                        Rule("CG-TEST-POSTURE", Severity.WARNING, "test", "posture", fn))


def test_prod_profile_promotes_posture_warnings_only(fake_posture_rule):
    docs = load_paths(["-"], stdin_text=GOOD)
    default = [f for f in runner.run_checks(docs, CheckOptions()) if f.rule == "CG-TEST-POSTURE"]
    prod = [f for f in runner.run_checks(docs, CheckOptions(profile="prod")) if f.rule == "CG-TEST-POSTURE"]
    assert sorted(f.severity for f in default) == [Severity.INFO, Severity.WARNING]
    assert sorted(f.severity for f in prod) == [Severity.INFO, Severity.ERROR]


def test_prod_profile_does_not_promote_other_layers(check):
    text = BAD_SERVICE.replace("type: Banana", "type: LoadBalancer\n  loadBalancerIP: 203.0.113.5")
    (finding,) = check(text, rule="CG-SVC-031", profile="prod")
    assert finding.severity == Severity.WARNING


def test_disabled_rules_do_not_run(fake_posture_rule):
    docs = load_paths(["-"], stdin_text=GOOD)
    found = runner.run_checks(docs, CheckOptions(disabled=frozenset({"CG-TEST-POSTURE"})))
    assert "CG-TEST-POSTURE" not in {f.rule for f in found}


def test_findings_are_sorted_by_file_document_rule_field():
    findings = check_sources({"b.yaml": BAD_SERVICE, "a.yaml": BAD_SERVICE + "---\n" + BAD_SERVICE.replace(
        "name: web", "name: web2")}).findings
    keys = [(f.file, f.doc_index, f.rule, f.field or "") for f in findings]
    assert keys == sorted(keys)
    assert keys[0][:2] == ("a.yaml", 0) and keys[-1][0] == "b.yaml"


def test_default_namespace_is_used_for_unnamespaced_objects():
    text = GOOD + "---\n" + GOOD.replace("metadata: {name: cfg}", "metadata: {name: cfg, namespace: demo}")
    assert [f.rule for f in check_text(text, "x.yaml", CheckOptions(), "demo")] == ["CG-API-003"]
    assert check_text(text, "x.yaml", CheckOptions(), "other") == []


def test_rule_modules_are_discovered_from_the_rules_package():
    # a new module in chartgen/check/rules/ needs no registration; a broken import is never swallowed
    names = runner.load_rule_modules()
    assert "chartgen.check.rules.service_endpoints" in names and "chartgen.check.rules.istio_routing" in names
    assert not hasattr(runner, "OPTIONAL_RULE_MODULES")


def test_options_without_rule_ids_leave_the_rules_unimported():
    # verify builds every chart's options (and checks --kube-version) before its first helm process: importing the
    # rule modules (the schema layer is one) then only delays helm
    from chartgen.check.command import UsageError, make_options

    code = ("import sys; from chartgen.check.command import make_options; make_options(); "
            "print(sorted(m for m in sys.modules if m.startswith('chartgen.check.rules.') "
            "or m == 'chartgen.check.schema'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    with pytest.raises(UsageError, match="unknown rule id CG-NOPE-999"):
        make_options(disabled=["CG-NOPE-999"])


def test_rule_modules_are_listed_once_per_process(monkeypatch):
    # verify asks for the rule modules three times per rendering; the package folder is listed only the first time
    import chartgen.check.rules as rules_pkg

    first = runner.load_rule_modules()

    def listed_again() -> list[str]:
        raise AssertionError("the rules package was listed again")

    monkeypatch.setattr(rules_pkg, "module_names", listed_again)
    assert runner.load_rule_modules() == first
    assert "chartgen.check.schema" in first and "chartgen.check.rules.service_endpoints" in first


def test_check_text_raises_input_error_on_bad_yaml():
    from chartgen.check.loader import InputError

    with pytest.raises(InputError, match=r"^mem\.yaml:1: "):
        check_text("a: [", "mem.yaml")


# --- the clean corpus (the real-world one is checked the same way in tests/corpus/) ---------------------------

CLEAN = Path(__file__).resolve().parents[2] / "bench" / "check_corpus" / "clean"


def test_clean_corpus_has_no_errors_from_schema_api_svc_or_meta_rules(own_rule_ids):
    files = sorted(CLEAN.glob("*.yaml"))
    assert len(files) >= 3, f"clean corpus missing under {CLEAN}"
    for path in files:
        docs = load_paths([str(path)])
        assert docs, path
        findings = runner.run_checks(docs, CheckOptions(kube_version="1.31"), default_namespace="demo")
        own = [f for f in findings if f.rule in own_rule_ids and f.severity == Severity.ERROR]
        assert own == [], f"{path.name}: {own}"


def test_clean_corpus_exits_0_through_run_check():
    code, out, err = call([str(CLEAN)])
    assert (code, err) == (0, ""), out


def test_importing_the_command_module_stays_light():
    code = ("import sys, chartgen.check.command; "
            "print(sorted(m for m in ('jsonschema', 'yaml', 'rich', 'referencing') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


POD_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
"""


POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, labels: [app=web]}
spec:
  containers: [{name: web, image: nginx:1.27}]
"""


@pytest.mark.parametrize("text, field", [
    (POD_TEMPLATE.replace("metadata: {labels: {app: web}}", "metadata: [a]"), "spec.template.metadata"),
    (POD_TEMPLATE.replace("{labels: {app: web}}", "{labels: [app=web]}"), "spec.template.metadata.labels"),
    (POD_TEMPLATE.replace("{labels: {app: web}}", "{labels: app}"), "spec.template.metadata.labels"),
    (POD, "metadata.labels"),
], ids=["template metadata a list", "template labels a list", "template labels a string", "Pod labels a list"])
def test_malformed_pod_template_metadata_is_a_finding_not_a_crash(tmp_path, text, field):
    path = write(tmp_path, "web.yaml", text)
    env = {**os.environ, "CHARTGEN_DEBUG": "1"}  # a bug would raise with its traceback instead of a one-liner
    result = subprocess.run([sys.executable, "-m", "chartgen.cli", "check", "--kube-version", "1.31", "--format",
                             "json", str(path)], capture_output=True, text=True, env=env)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    findings = json.loads(result.stdout)["findings"]
    assert {"rule": "CG-SCHEMA-001", "field": field} in [{"rule": f["rule"], "field": f["field"]} for f in findings]
