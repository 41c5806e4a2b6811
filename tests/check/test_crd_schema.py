"""Layer "schema" for custom resources: strict validation against CRDs (their CEL rules included), wherever the
CRDs come from (--crds files or folders, CHARTGEN_CRDS, CRDs in the input), and the info finding without one.

The CRD used here is our own fixture (tests/fixtures/charts/widget-operator/crds/): a made-up API group whose schema
exercises every feature the layer honours. Validation against the real Istio CRDs lives in tests/corpus/.
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

try:
    from helpers import REPO, errors
except ImportError:  # tests/ made a package
    from tests.check.helpers import REPO, errors

from chartgen.check import crd_schema, crd_source
from chartgen.check.command import check_text, make_options, run_check
from chartgen.check.model import CheckOptions, Severity

CHART = REPO / "tests" / "fixtures" / "charts" / "widget-operator"
CRD_FILE = CHART / "crds" / "widgets.demo.chartgen.example.yaml"
STRUCT, CEL, SKIPPED, NO_SCHEMA = "CG-CRD-001", "CG-CRD-002", "CG-CRD-003", "CG-SCHEMA-002"
WITH_CRD = CheckOptions(crds=(str(CRD_FILE),))


@pytest.fixture(scope="module", autouse=True)
def _fixture_present():
    if not CRD_FILE.is_file():
        pytest.fail(f"test fixture missing: {CRD_FILE}")


def widget(spec: str = "host: w.example.com", version: str = "v1", name: str = "w") -> str:
    body = textwrap.indent(textwrap.dedent(spec).strip(), "  ")
    return (f"apiVersion: demo.chartgen.example/{version}\nkind: Widget\nmetadata: {{name: {name}, "
            f"namespace: demo}}\nspec:\n{body}\n")


def found(text: str, opts: CheckOptions = WITH_CRD, rules: tuple[str, ...] = (STRUCT, CEL)) -> list:
    return [f for f in check_text(text, "w.yaml", opts) if f.rule in rules]


# ------------------------------------------------------------------------------------------- valid objects


def test_valid_widget_has_no_finding():
    text = widget("""
        host: w.example.com
        replicas: 3
        mode: MUTUAL
        timeout: 1.5s
        targetPort: 8080
        labels: {tier: web}
        config: {anything: [goes, {here: 1}]}
        tags: [a, b]
        ports: [{name: http, port: 80}, {name: grpc, port: 9090}]
    """)
    assert found(text) == []


@pytest.mark.parametrize("port", ["http", 8080])
def test_int_or_string_accepts_both(port):
    assert found(widget(f"host: h\ntargetPort: {port}")) == []


def test_every_served_version_has_its_own_schema():
    assert found(widget("host: h\nsize: small", version="v1beta1")) == []
    assert [f.field for f in found(widget("host: h\nsize: small"))] == ["spec.size"]  # v1 has no size
    assert [f.field for f in found(widget("host: h\nmode: SIMPLE", version="v1beta1"))] == ["spec.mode"]


@pytest.mark.parametrize("version,words", [("v1alpha1", "served: false"), ("v2", "not one of its versions")])
def test_unserved_version_is_an_error(version, words):
    out = found(widget(version=version))
    assert [(f.rule, f.field, f.severity) for f in out] == [(STRUCT, "apiVersion", Severity.ERROR)]
    assert words in out[0].message and "v1, v1beta1" in out[0].message


def test_null_fields_are_pruned_like_the_apiserver_does():
    assert found(widget("host: h\nreplicas: null\nlabels: null")) == []


def test_transition_rules_do_not_apply_on_create():
    assert found(widget("host: h")) == []  # host carries `self == oldSelf`


# ------------------------------------------------------------------------------------------- structural errors


@pytest.mark.parametrize("spec,field,words", [
    ("host: h\nrepliacs: 2", "spec.repliacs", ["unknown field", "did you mean 'replicas'"]),
    ("host: h\nmode: SIMPEL", "spec.mode", ["unsupported value 'SIMPEL'", "SIMPLE, MUTUAL"]),
    ("mode: SIMPLE", "spec.host", ["missing required field"]),
    ("host: h\nreplicas: '3'", "spec.replicas", ["must be integer"]),
    ("host: h\nreplicas: 3000000000", "spec.replicas", ["maximum of 2147483647"]),  # format: int32
    ("host: ''", "spec.host", ["non-empty"]),
    ("host: h\ntargetPort: [80]", "spec.targetPort", ["integer or a string"]),
    ("host: h\nlabels: {tier: 1}", "spec.labels.tier", ["must be string"]),
    ("host: h\ntags: [a, a]", "spec.tags", ["non-unique"]),  # x-kubernetes-list-type: set
    ("host: h\nports: [{name: http, port: 80}, {name: http, port: 81}]", "spec.ports[1]",
     ["same key", "name='http'"]),  # x-kubernetes-list-type: map
    ("host: h\nports: [{name: http}]", "spec.ports[0].port", ["missing required field"]),
])
def test_structural_errors(spec, field, words):
    out = found(widget(spec), rules=(STRUCT,))
    assert [f.field for f in out] == [field]
    assert out[0].severity == Severity.ERROR
    for w in words:
        assert w in out[0].message + " " + out[0].hint


def test_unknown_top_level_field_and_metadata():
    text = widget().replace("kind: Widget", "kind: Widget\nstatus2: {}").replace("namespace: demo",
                                                                               "namespace: demo, labels: {v: 1}")
    assert sorted(f.field for f in found(text)) == ["metadata.labels.v", "status2"]


def test_preserve_unknown_fields_accepts_anything_below():
    text = widget().replace("kind: Widget", "kind: Widget\nstatus: {phase: Ready, conditions: [{x: 1}]}")
    assert found(text) == []


def test_every_error_is_reported_with_its_path():
    out = found(widget("host: h\nmode: SIMPEL\nextra: 1\nports: [{name: a, port: 0}]"), rules=(STRUCT,))
    assert sorted(f.field for f in out) == ["spec.extra", "spec.mode", "spec.ports[0].port"]


# ------------------------------------------------------------------------------------------- CEL


@pytest.mark.parametrize("spec,field,message", [
    ("host: h\nreplicas: 2\nautoscale: {min: 1, max: 3}", "spec", "only one of replicas or autoscale can be set"),
    ("host: h\nautoscale: {min: 5, max: 3}", "spec.autoscale", "min must not exceed max"),
    ("host: h\ntimeout: 500us", "spec.timeout", "must be a valid duration greater than 1ms"),
    ("host: h\ntimeout: forever", "spec.timeout", "must be a valid duration greater than 1ms"),
])
def test_cel_violations(spec, field, message):
    out = found(widget(spec), rules=(CEL,))
    assert [(f.field, f.severity) for f in out] == [(field, Severity.ERROR)]
    assert message in out[0].message and "x-kubernetes-validations" in out[0].message


@pytest.mark.parametrize("timeout", ["1ms", "1.5s", "2m", "1h30m"])
def test_cel_valid_durations(timeout):
    assert found(widget(f"host: h\ntimeout: {timeout}")) == []


def test_cel_rule_that_cannot_be_evaluated_is_reported_once_as_info():
    text = widget(name="a") + "---\n" + widget(name="b")
    out = found(text, rules=(SKIPPED,))
    assert [(f.severity, f.resource.name) for f in out] == [(Severity.INFO, "a")]
    assert "isURL(self)" in out[0].message and "spec.homepage" in out[0].message


# ------------------------------------------------------------------------------------------- where CRDs come from


def test_without_a_crd_a_custom_resource_is_reported_once_per_kind_as_info():
    text = widget(name="a") + "---\n" + widget(name="b") + "---\n" + widget(name="c", version="v1beta1")
    out = check_text(text, "w.yaml", CheckOptions())
    assert {f.rule for f in out} == {NO_SCHEMA}
    assert [(f.severity, f.resource.name) for f in out] == [(Severity.INFO, "a"), (Severity.INFO, "c")]
    assert "2 documents not schema-checked" in out[0].message and "--crds" in out[0].hint


def test_istio_objects_without_crds_get_the_info_and_chartgens_own_istio_rules():
    text = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: demo}
spec:
  hosts: [web]
  http:
  - route:
    - {destination: {host: web, subset: v9}, weight: 100}
"""
    out = check_text(text, "vs.yaml", CheckOptions())
    assert [(f.rule, f.severity) for f in out if f.rule == NO_SCHEMA] == [(NO_SCHEMA, Severity.INFO)]
    assert any(f.rule.startswith("CG-ISTIO-") for f in out)  # the subset nobody defines is still found


def test_a_crd_in_the_input_validates_its_custom_resources():
    text = CRD_FILE.read_text() + "\n---\n" + widget("host: h\nmode: SIMPEL")
    out = check_text(text, "chart.yaml", CheckOptions())
    assert [(f.rule, f.field) for f in out if f.severity == Severity.ERROR] == [(STRUCT, "spec.mode")]
    assert "from chart.yaml:" in out[0].message  # names where the CRD came from
    assert not [f for f in out if f.rule == NO_SCHEMA]


def test_the_input_crd_wins_over_a_crd_file(tmp_path):
    strict_v1beta1_only = CRD_FILE.read_text().replace("- name: v1\n      served: true",
                                                        "- name: v1\n      served: false")
    (tmp_path / "old.yaml").write_text(strict_v1beta1_only)
    opts = CheckOptions(crds=(str(tmp_path / "old.yaml"),))
    text = CRD_FILE.read_text() + "\n---\n" + widget()
    assert errors(check_text(text, "in.yaml", opts)) == []
    assert [f.field for f in errors(check_text(widget(), "in.yaml", opts))] == ["apiVersion"]


def test_a_folder_is_read_recursively_and_other_documents_are_ignored(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "widget.yml").write_text(CRD_FILE.read_text())
    (tmp_path / "notes.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (tmp_path / "README.md").write_text("not read")
    out = found(widget("host: h\nmode: SIMPEL"), CheckOptions(crds=(str(tmp_path),)))
    assert [f.field for f in out] == ["spec.mode"]


def test_chartgen_crds_environment_variable(tmp_path, monkeypatch):
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("CHARTGEN_CRDS", f"{other}{crd_source.os.pathsep}{CHART / 'crds'}")
    (other / "x.yaml").write_text(CRD_FILE.read_text())
    opts = make_options()
    assert opts.crds == (str(other), str(CHART / "crds"))
    assert [f.field for f in found(widget("host: h\nmode: SIMPEL"), opts)] == ["spec.mode"]


def test_crd_files_are_read_only_when_a_custom_resource_needs_them(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("kind: [\n")
    plain = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"
    assert check_text(plain, "p.yaml", CheckOptions(crds=(str(bad),))) == []


def call(text: str, crds: tuple[str, ...] = ()) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(["-"], stdin=io.StringIO(text), out=out, err=err, crds=crds)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("content,words", [
    ("kind: [\n", ["broken.yaml:", "invalid YAML in a CRD file"]),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", ["broken.yaml: ", "no CustomResourceDefinition"]),
])
def test_a_bad_crd_file_is_exit_2_with_one_line(tmp_path, content, words):
    bad = tmp_path / "broken.yaml"
    bad.write_text(content)
    code, out, err = call(widget(), (str(bad),))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err


def test_a_missing_crd_path_is_exit_2(tmp_path, monkeypatch):
    code, _, err = call(widget(), (str(tmp_path / "nope"),))
    assert code == 2 and "--crds" in err and "nope" in err
    monkeypatch.setenv("CHARTGEN_CRDS", str(tmp_path / "gone"))
    code, _, err = call(widget())
    assert code == 2 and "CHARTGEN_CRDS" in err and "gone" in err


def test_cli_check_with_crds_exit_codes(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(widget())
    bad.write_text(widget("host: h\nmode: SIMPEL"))
    cli = [str(Path(sys.executable).parent / "chartgen")]
    ok = subprocess.run([*cli, "check", str(good), "--crds", str(CRD_FILE)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    ko = subprocess.run([*cli, "check", str(bad), "--crds", str(CHART / "crds"), "--format", "json"],
                        capture_output=True, text=True)
    assert ko.returncode == 1 and '"CG-CRD-001"' in ko.stdout


# ------------------------------------------------------------------------------------------- plumbing


def test_extracted_crds_are_cached_on_disk_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(tmp_path / "tools"))
    copy = tmp_path / "w.yaml"
    copy.write_text(CRD_FILE.read_text())
    first = crd_source.load_file(copy)
    cached = sorted((tmp_path / "tools" / "crds").glob("*.json"))
    index = [c for c in cached if c.name.endswith(".v2.json")]
    assert len(index) == 1 and len(cached) == 2 and [c.kind for c in first] == ["Widget"]  # an index + one CRD
    expected = {v: first[0].versions[v] for v in first[0].versions}
    for damaged in cached:  # a damaged cache entry (index or schemas) is a miss: the file is read again
        damaged.write_text("{not json")
        crd_source._load_file.cache_clear()
        again = crd_source.load_file(copy)
        assert {v: again[0].versions[v] for v in again[0].versions} == expected


def test_a_cached_index_reads_only_the_schemas_of_the_kind_asked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(tmp_path / "tools"))
    copy = tmp_path / "w.yaml"
    copy.write_text(CRD_FILE.read_text())
    crd_source.load_file(copy)
    crd_source._load_file.cache_clear()
    schemas = [c for c in (tmp_path / "tools" / "crds").glob("*.json") if not c.name.endswith(".v2.json")]
    for c in schemas:
        c.unlink()
    (crd,) = crd_source.load_file(copy)  # from the index alone
    assert sorted(crd.versions) and not list((tmp_path / "tools" / "crds").glob("*.v2.0.json"))
    assert crd.versions[sorted(crd.versions)[0]]["type"] == "object"  # the schemas, read when asked for


def test_validators_are_compiled_once_per_crd_version():
    found(widget())
    before = crd_schema.compiled_count()
    found(widget(name="again"))
    assert crd_schema.compiled_count() == before


def test_lazy_imports():
    code = ("import sys; import chartgen.check.crd_schema as s; "
            "from chartgen.check.model import ManifestIndex, CheckOptions; "
            "list(s.crd_structure(ManifestIndex([]), CheckOptions())); "
            "assert not {'jsonschema', 'celpy'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, env={"PYTHONPATH": str(REPO)})
