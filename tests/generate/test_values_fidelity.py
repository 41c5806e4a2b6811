"""Any string in chartgen.yaml reaches the rendered manifest unchanged, through values.yaml and the real helm 4 and 3,
whatever a YAML 1.1 or 1.2 resolver would make of it (issue 14). Many strings share one chart per helm call."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import HELM_VERSIONS, KUBE_VERSION, helm_binary

from chartgen.check.loader import load_text
from chartgen.generate.engine import generate
from chartgen.generate.writer import write
from chartgen.generate.yamlout import _scalar, dump_values, dumped_scalar, json_text, plain_is_safe
from chartgen.spec.loader import parse_spec_text

TRICKY = ["1e3", "yes", "Yes", "on", "OFF", "y", "n", "0x1F", "0o17", "012", "null", "Null", "~", "1_000", "+1",
          "-1", ".inf", "-.Inf", ".nan", "2024-01-01", "2024-01-01T10:00:00Z", "12:30:45", "0b101", "1.", "true",
          "{{ .Values.x }}", "{{", "[[ spec ]]", "[% if %]", "a: b", "# not a comment", "a #b", "*alias", "&anchor",
          "!tag", "!!str", "line1\nline2", "trailing\n", "\nleading", "---", "...", "- item", "? key", "|", ">",
          "@at", "`tick`", "%percent", "'single'", '"double"', "back\\slash", "tab\there", " padded ", "", " ",
          "é ü 中文 🚀", "\x85nel", "\u2028ls", "ctl\x01\x1b\x00", "\ufeffbom", "=", "<<", "{a: b}", "[1, 2]", "a,b"]


def render_strings(strings: list[str], helm_version: str) -> tuple[dict[str, str], dict[str, str]]:
    """Generate a chart carrying `strings` as env values and Service annotations; return both as rendered."""
    spec = {
        "apiVersion": "chartgen/v1", "name": "fidelity", "blueprint": "clusterip",
        "image": {"repository": "ghcr.io/acme/fidelity", "tag": "1.0.0"},
        "service": {"ports": [{"port": 80, "targetPort": 8080}],
                    "annotations": {f"example.com/a{i}": s for i, s in enumerate(strings)}},
        "env": {f"V{i}": s for i, s in enumerate(strings)},
        "environments": {"dev": {}},
    }
    text = json_text(spec)  # JSON is YAML; PyYAML's own emitter writes U+0085 raw, which reads back as a space
    with tempfile.TemporaryDirectory(prefix="chartgen-fidelity-") as d:
        chart = Path(d) / "fidelity"
        write(generate(parse_spec_text(text, str(chart / "chartgen.yaml"))), chart)
        res = helm_binary(helm_version).template(chart, "fidelity", "default", [chart / "values-dev.yaml"],
                                                 kube_version=KUBE_VERSION)
    assert res.ok, res.message
    docs = load_text(res.stdout, "helm template")
    deployment = next(d.obj for d in docs if d.obj.get("kind") == "Deployment")
    service = next(d.obj for d in docs if d.obj.get("kind") == "Service")
    env = {e["name"]: e["value"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    return env, dict(service["metadata"].get("annotations") or {})


def check(strings: list[str], helm_version: str) -> None:
    env, annotations = render_strings(strings, helm_version)
    assert [env[f"V{i}"] for i in range(len(strings))] == strings, helm_version
    assert [annotations[f"example.com/a{i}"] for i in range(len(strings))] == strings, helm_version


@pytest.mark.parametrize("helm_version", HELM_VERSIONS)
def test_tricky_strings_reach_the_manifest_unchanged(helm_version):
    check(TRICKY, helm_version)


# Any text but surrogates (not UTF-8) and the few characters helm 3 cannot carry, which the spec refuses (below).
NOT_CARRIED = "\x7f" + "".join(map(chr, range(0x80, 0xA0))).replace("\x85", "") + "\ufffe\uffff"
STRINGS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=NOT_CARRIED), max_size=30)


@pytest.mark.parametrize("helm_version", HELM_VERSIONS)
@settings(max_examples=6, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(strings=st.lists(STRINGS, min_size=1, max_size=40))
def test_any_string_reaches_the_manifest_unchanged(helm_version, strings):
    check(strings, helm_version)


@settings(max_examples=300, derandomize=True, database=None)
@given(value=STRINGS)
def test_values_files_read_back_every_string_as_that_string(value):
    """values.yaml as PyYAML (YAML 1.1) reads it; a plain scalar is only used where no resolver would retype it."""
    text = dump_values({"k": value, "l": [value], "m": {value: value}}, {})
    assert yaml.safe_load(text) == {"k": value, "l": [value], "m": {value: value}}
    if plain_is_safe(value):
        assert value[0].isalpha() or value[0] == "/"


PRINTABLE_ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
LONG_ASCII = st.builds(lambda n, s: "x " * n + s, st.integers(480, 520), PRINTABLE_ASCII)  # across the 1,000 limit


@settings(max_examples=800, derandomize=True, database=None)
@given(value=st.one_of(STRINGS, st.sampled_from(TRICKY), st.from_regex(r"[A-Za-z/][A-Za-z0-9._/-]{0,12}", fullmatch=True),
                       PRINTABLE_ASCII, LONG_ASCII, st.integers(), st.booleans(), st.none()))
def test_scalars_written_without_the_dumper_are_what_the_dumper_writes(value):
    """values files write common scalars directly (start-up, issue 16): exactly PyYAML's text for each."""
    assert _scalar(value) == dumped_scalar(value)


@pytest.mark.parametrize("char", ["\x7f", "\x9e", "\ufffe"])
def test_characters_helm_3_cannot_carry_are_refused_with_exit_2(char):
    from chartgen.core.errors import SpecError

    text = json_text({"apiVersion": "chartgen/v1", "name": "x", "blueprint": "clusterip",
                      "image": {"repository": "r/x", "tag": "1.0.0"}, "service": {"ports": [{"port": 80}]},
                      "env": {"A": f"a{char}b"}})
    with pytest.raises(SpecError, match=f"env.A: contains the control character U\\+{ord(char):04X}"):
        parse_spec_text(text, "chartgen.yaml")
