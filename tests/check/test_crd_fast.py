"""The CRD fast path (chartgen/check/crd_fast.py, cel_py.py): it can only skip work, never a finding.

- findings with the fast path equal those without it, for valid and broken custom resources;
- its JSON Schema reading is exactly jsonschema's on mutated documents (hypothesis);
- a translated CEL rule that holds also holds for celpy, one that fails fails for celpy;
- its cache is keyed by content and chartgen's version, a corrupt entry is a miss, and a warm cache checks a valid
  document without importing jsonschema or celpy (the point of it: `check --crds` at about the cost of `check`).
The real Istio CRDs are compared the same way in tests/corpus/test_istio_crds.py.
"""

from __future__ import annotations

import contextlib
import copy
import subprocess
import sys
import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

try:
    from helpers import REPO
except ImportError:  # tests/ made a package
    from tests.check.helpers import REPO

from chartgen.check import cel_py, crd_fast, crd_source
from chartgen.check.cel import CelRule, compile_cel
from chartgen.check.command import check_text
from chartgen.check.model import CheckOptions

CRD_FILE = REPO / "tests" / "fixtures" / "charts" / "widget-operator" / "crds" / "widgets.demo.chartgen.example.yaml"
OPTS = CheckOptions(crds=(str(CRD_FILE),))
VALID = {"apiVersion": "demo.chartgen.example/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "demo"},
         "spec": {"host": "w.example.com", "replicas": 3, "mode": "MUTUAL", "timeout": "1500ms", "targetPort": 8080,
                  "labels": {"tier": "web"}, "config": {"any": [1, {"x": None}]}, "tags": ["a", "b"],
                  "ports": [{"name": "http", "port": 80}, {"name": "grpc", "port": 9090}],
                  "homepage": "https://example.com"}}
BROKEN = [
    "spec: {replicas: 3}",  # host required
    "spec: {host: '', replicas: 1}",  # minLength
    "spec: {host: h, mode: SIMPEL}",  # enum
    "spec: {host: h, replicas: 2147483648}",  # int32
    "spec: {host: h, replicas: -1}",  # minimum
    "spec: {host: h, targetPort: [80]}",  # int-or-string
    "spec: {host: h, tags: [a, a]}",  # list-type set
    "spec: {host: h, ports: [{name: a, port: 1}, {name: a, port: 2}]}",  # list-type map
    "spec: {host: h, ports: [{name: a, port: 70000}]}",  # maximum
    "spec: {host: h, labels: {a: 1}}",  # additionalProperties type
    "spec: {host: h, hots: x}",  # unknown field
    "spec: {host: h, replicas: 2, autoscale: {min: 1}}",  # CEL: one of
    "spec: {host: h, autoscale: {min: 3, max: 1}}",  # CEL: min <= max
    "spec: {host: h, timeout: 0s}",  # CEL: duration >= 1ms
    "spec: {host: h, timeout: soon}",  # CEL: cannot be evaluated
    "spec: {host: h, timeout: 1us}",  # a duration form the fast path leaves to celpy
    "spec: {host: h}\nstatus: {anything: goes}\nextra: 1",  # unknown top-level field
    "metadata: {name: Bad_Name}\nspec: {host: h}",
]


def _doc(patch: str) -> str:
    obj = copy.deepcopy(VALID)
    obj.update(yaml.safe_load(patch))
    if "metadata" in yaml.safe_load(patch):
        obj["metadata"] = {**obj["metadata"], **yaml.safe_load(patch)["metadata"]}
    return yaml.safe_dump(obj, sort_keys=False)


def _keys(text: str) -> list[tuple[str, str, str | None, str]]:
    return [(f.rule, str(f.severity), f.field, f.message) for f in check_text(text, "w.yaml", OPTS)]


@pytest.fixture
def without_fast_path(monkeypatch):
    def disable() -> None:
        monkeypatch.setattr(crd_fast, "fast_check", lambda crd, version: None)
    return disable


@pytest.mark.parametrize("text", [yaml.safe_dump(VALID), *map(_doc, BROKEN)],
                         ids=["valid", *[f"broken-{i}" for i in range(len(BROKEN))]])
def test_findings_are_the_same_with_and_without_the_fast_path(text, without_fast_path):
    fast = _keys(text)
    without_fast_path()
    assert fast == _keys(text)


def test_the_fast_path_passes_the_valid_widget_and_none_of_the_broken_ones():
    (crd,) = [c for c in crd_source.load_file(CRD_FILE) if c.kind == "Widget"]
    fc = crd_fast.fast_check(crd, "v1")
    assert fc is not None and crd_fast.passes(fc, VALID)
    assert [p for p in BROKEN if crd_fast.passes(fc, yaml.safe_load(_doc(p)))] == []
    assert [s.rule for s in fc.skipped] == ["isURL(self)"]  # reported as CG-CRD-003 either way


# --- exactness against jsonschema ------------------------------------------------------------------------------

_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.floats(allow_nan=False, width=32),
                    st.sampled_from(["", "a", "MUTUAL", "SIMPEL", "1ms", "0s", "h", "80"]),
                    st.lists(st.sampled_from(["a", "b", 1]), max_size=3),
                    st.dictionaries(st.sampled_from(["name", "port", "min", "max", "x"]),
                                    st.one_of(st.integers(0, 5), st.text(max_size=2)), max_size=3))
_PATHS = [("spec",), ("spec", "host"), ("spec", "replicas"), ("spec", "mode"), ("spec", "timeout"),
          ("spec", "targetPort"), ("spec", "labels"), ("spec", "tags"), ("spec", "ports"), ("spec", "ports", 0),
          ("spec", "ports", 0, "port"), ("spec", "autoscale"), ("spec", "unknown"), ("metadata", "name"), ("kind",)]


def _mutate(doc: dict, path: tuple, value, delete: bool) -> dict:
    out = copy.deepcopy(doc)
    node = out
    for p in path[:-1]:
        node = node[p]
    if delete and isinstance(node, dict):
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PATHS), _VALUES, st.booleans()), min_size=1, max_size=3))
def test_the_schema_reading_is_exactly_jsonschemas(mutations):
    from chartgen.check.crd_schema import compiled, prune_nulls

    (crd,) = [c for c in crd_source.load_file(CRD_FILE) if c.kind == "Widget"]
    fc = crd_fast.fast_check(crd, "v1")
    doc = VALID
    for path, value, delete in mutations:
        try:
            doc = _mutate(doc, path, value, delete)
        except (KeyError, IndexError, TypeError):
            continue
    doc = prune_nulls(doc)
    expected = compiled(crd, "v1").validator.is_valid(doc)
    with contextlib.suppress(cel_py.Unsure):  # undecided is allowed: the full path runs
        assert crd_fast.valid(fc.schema, doc) == expected


# --- CEL ----------------------------------------------------------------------------------------------------------

RULES = [
    "duration(self) >= duration('1ms')", "0 < self && self <= 65535", '!self.contains("*")', "self.size() == 0",
    'self.all(key, !key.contains("*"))', "self.all(key, key.size() != 0)",
    '(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true',
    'self.startsWith("unix://") ? (self.substring(7, 8) == "/" || self.substring(7, 8) == "@") : true',
    'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))',
    "(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) <= 1", "has(self.address) || has(self.network)",
    '!((has(self.addresses) ? self.addresses : []).exists(k, k.contains("/")) && '
    '!((has(self.resolution) ? self.resolution : "NONE") in ["STATIC", "NONE"]))',
    'self != "*"', "self.all(l1, self.exists_one(l2, l1.number == l2.number))", 'self in ["", "HTTP", "HTTPS"]',
    "self.all(key, 0 < int(key) && int(key) <= 65535)", "has(self.wasm) != has(self.lua)",
    "has(self.portLevelMtls) ? (((has(self.selector) && has(self.selector.matchLabels)) ? "
    "self.selector.matchLabels : {}).size() > 0) : true",
]
CEL_VALUES = [0, 1, 80, 70000, -1, 1.5, True, "", "*", "a*", "1ms", "0s", "2h", "1us", "x", "unix:///a", "unix://@a",
              "unix://a", "unix:///", "HTTP", "http", [], ["a"], ["*"], [{"number": 1}, {"number": 1}],
              [{"number": 1}, {"number": 2}], {}, {"a": "b"}, {"80": "x"}, {"0": "x"}, {"a-b": 1}, {"-a": 1},
              {"address": "unix:///s", "ports": {}}, {"address": "1.2.3.4"}, {"network": "n"},
              {"selector": {}, "targetRef": {}}, {"addresses": ["10.0.0.0/8"], "resolution": "DNS"},
              {"addresses": ["10.0.0.0/8"]}, {"wasm": {}}, {"portLevelMtls": {}, "selector": {"matchLabels": {}}},
              {"portLevelMtls": {}, "selector": {"matchLabels": {"a": "b"}}}]


@pytest.mark.parametrize("rule", RULES)
def test_a_translated_rule_agrees_with_celpy_whenever_it_decides(rule):
    from chartgen.check.cel import PASS, _evaluate

    py = cel_py.translate(rule)
    assert py is not None, f"the subset should cover {rule}"
    code = compile(py, "<t>", "eval")
    program, _ = compile_cel(rule)
    decided = 0
    for value in CEL_VALUES:
        try:
            ours = eval(code, {**cel_py.RUNTIME, "__builtins__": {}, "_self": value})  # noqa: S307
        except cel_py.Unsure:
            continue
        decided += 1
        theirs = _evaluate(CelRule(rule, "m", program), value)
        assert (ours is True) == (theirs is PASS), f"{rule} on {value!r}: fast {ours}, celpy {theirs}"
    assert decided, f"no value decided {rule}"


def test_rules_outside_the_subset_are_not_translated():
    assert cel_py.translate("isURL(self)") is None
    assert cel_py.translate("self.map(x, x + 1).size() > 0") is None
    assert cel_py.translate("self.x == oldSelf.x") is None


# --- the cache ----------------------------------------------------------------------------------------------------


@pytest.fixture
def widget_crd(tmp_path, monkeypatch):
    monkeypatch.setenv("CHARTGEN_CRD_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(crd_fast, "_MEMO", {})
    (crd,) = [c for c in crd_source.load_file(CRD_FILE) if c.kind == "Widget"]
    return crd


def test_an_entry_is_written_once_and_read_back_without_building(widget_crd, tmp_path, monkeypatch):
    first = crd_fast.fast_check(widget_crd, "v1")
    assert first is not None and len(list((tmp_path / "cache").glob("*.bin"))) == 1
    monkeypatch.setattr(crd_fast, "_MEMO", {})
    monkeypatch.setattr(crd_fast, "build", lambda crd, version: pytest.fail("a cached entry was rebuilt"))
    again = crd_fast.fast_check(widget_crd, "v1")
    assert again is not None and again.schema == first.schema and crd_fast.passes(again, VALID)


def test_a_corrupt_entry_is_a_miss(widget_crd, tmp_path, monkeypatch):
    crd_fast.fast_check(widget_crd, "v1")
    (entry,) = (tmp_path / "cache").glob("*.bin")
    raw = bytearray(entry.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    entry.write_bytes(bytes(raw))
    monkeypatch.setattr(crd_fast, "_MEMO", {})
    built = []
    real_build = crd_fast.build
    monkeypatch.setattr(crd_fast, "build", lambda crd, version: built.append(version) or real_build(crd, version))
    fc = crd_fast.fast_check(widget_crd, "v1")
    assert built == ["v1"] and fc is not None and crd_fast.passes(fc, VALID)


def test_the_key_holds_the_content_and_chartgens_version(widget_crd, monkeypatch):
    base = crd_fast._entry_path(widget_crd, "v1")
    assert crd_fast._entry_path(widget_crd, "v1beta1") != base
    other = crd_source.Crd(widget_crd.name, widget_crd.group, widget_crd.kind, widget_crd.versions,
                           widget_crd.unserved, widget_crd.source, widget_crd.key + "x")
    assert crd_fast._entry_path(other, "v1") != base
    monkeypatch.setattr(crd_fast, "__version__", "0.0.0-other")
    assert crd_fast._entry_path(widget_crd, "v1") != base


def test_a_warm_cache_checks_a_valid_document_without_jsonschema_or_celpy(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(yaml.safe_dump(VALID))
    bad.write_text(_doc("spec: {host: h, mode: SIMPEL}"))
    code = textwrap.dedent(f"""
        import sys
        from chartgen.check.command import check_text
        from chartgen.check.model import CheckOptions
        opts = CheckOptions(crds=({str(CRD_FILE)!r},))
        check_text(open({str(good)!r}).read(), "good.yaml", opts)
        assert not {{"jsonschema", "celpy"}} & set(sys.modules), "the valid document imported the full validator"
        found = check_text(open({str(bad)!r}).read(), "bad.yaml", opts)
        assert "CG-CRD-001" in {{f.rule for f in found}} and "jsonschema" in sys.modules
    """)
    warm_up = code.split("assert not")[0]  # the first process builds the entry (with celpy) and fills the cache
    subprocess.run([sys.executable, "-c", warm_up], cwd=REPO, check=True)
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_the_key_holds_the_code_that_builds_the_entry(widget_crd, monkeypatch):
    base = crd_fast._entry_path(widget_crd, "v1")
    monkeypatch.setattr(crd_fast, "code_digest", lambda: "edited")
    assert crd_fast._entry_path(widget_crd, "v1") != base
