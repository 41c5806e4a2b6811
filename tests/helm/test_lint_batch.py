"""One `helm lint --strict` for all of a chart's environments (chartgen.helm.lint_batch, issue 27): it answers only
when its verdict is each environment's own, and verify's report is the same as with one lint per environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from support import CHARTS, HELM_VERSIONS, KUBE_VERSION, helm_binary, plain_chart

from chartgen.helm import lint_batch
from chartgen.helm.lint_batch import _Unsure, merged_values

# --- the merge, against helm's rule --------------------------------------------------------------------------------


def merged(base: str, *over: str) -> dict:
    return yaml.safe_load(merged_values(base.encode(), [o.encode() for o in over]))


def test_tables_merge_key_by_key_and_anything_else_replaces():
    base = "a: {b: 1, c: {d: 2, e: 3}}\nlist: [1, 2]\nscalar: x\ntable: {k: v}\n"
    got = merged(base, "a: {c: {e: 4, f: 5}}\nlist: [3]\n", "scalar: {now: table}\ntable: gone\nnew: 1\n")
    assert got == {"a": {"b": 1, "c": {"d": 2, "e": 4, "f": 5}}, "list": [3], "scalar": {"now": "table"},
                   "table": "gone", "new": 1}


def test_a_later_file_wins_and_an_empty_file_changes_nothing():
    assert merged("a: 1\n", "a: 2\n", "", "# only a comment\n", "a: 3\n") == {"a": 3}
    assert merged("", "a: {b: 1}\n") == {"a": {"b": 1}}
    assert merged_values(b"a: 1\n", []) == b"a: 1\n"  # no -f: values.yaml itself


def test_each_scalar_keeps_its_text_and_whether_it_was_quoted():
    """Go resolves plain yes/on/0123/1e3/dates its own way: the merged text must give it the same text to resolve."""
    base = "a: yes\nb: '0123'\nc: 1e3\nd: 2001-12-14\ne: \"on\"\nf: |\n  two\n  lines\ng: ~\nh: 0o17\n"
    out = merged_values(base.encode(), [b"x: 1\n"]).decode()
    node = yaml.compose(out)
    styles = {k.value: (v.value, v.style) for k, v in node.value}
    assert styles["a"] == ("yes", None) and styles["c"] == ("1e3", None) and styles["d"] == ("2001-12-14", None)
    assert styles["b"][0] == "0123" and styles["b"][1] in ("'", '"')
    assert styles["e"][0] == "on" and styles["e"][1] in ("'", '"')
    assert styles["f"][0] == "two\nlines\n" and styles["h"] == ("0o17", None)
    assert styles["g"][1] is None and styles["g"][0] in ("~", "null", "")  # a null of values.yaml stays a null


@pytest.mark.parametrize("case", [
    ("a: 1\n", "a: null\n"),  # helm deletes, or keeps, a null depending on where it is
    ("a: {b: 1}\n", "a: {b: ~}\n"),
    ("a: &x {b: 1}\nc: *x\n", "d: 1\n"),  # an alias
    ("a: {b: 1}\n", "<<: {b: 2}\n"),  # a merge key
    ("a: 1\n", "1: one\n"),  # a key Go reads as a number
    ("a: 1\n", "yes: 1\n"),
    ("a: 1\na: 2\n", "b: 1\n"),  # a key twice
    ("a: 1\n", "a: 1\n---\nb: 2\n"),  # two documents
    ("- a\n", "a: 1\n"),  # not a table
    ("a: 1\n", "a: [\n"),  # not YAML
])
def test_what_cannot_be_proven_to_be_helms_merge_is_refused(case):
    base, over = case
    with pytest.raises(_Unsure):
        merged_values(base.encode(), [over.encode()])


# --- the verdict, against helm ------------------------------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {
    "flag": {"type": "boolean"}, "port": {"type": "integer"}, "name": {"type": "string"},
    "nested": {"type": "object", "properties": {"level": {"type": "integer"}}, "required": ["level"]}},
    "required": ["flag", "port", "name", "nested"]}
TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.name }}
data:
  port: {{ .Values.port | quote }}
  level: {{ .Values.nested.level | quote }}
  extra: {{ .Values.nested.extra | quote }}
"""

# environment files whose verdict depends on how their scalars and tables are read
ENVS = {
    "ok": "port: 8080\nnested: {extra: x}\n",
    "yes-is-a-bool": "flag: yes\nnested: {extra: y}\n",
    "quoted-bool-is-a-string": "flag: 'yes'\nnested: {extra: y}\n",
    "octal-is-an-int": "port: 0755\nnested: {extra: y}\n",
    "float-port": "port: 1e3\nnested: {extra: y}\n",
    "quoted-port": "port: \"8080\"\nnested: {extra: y}\n",
    "nested-key-merged": "nested: {level: 2}\n",
    "table-replaced-by-scalar": "nested: 3\n",
    "date-name": "name: 2001-12-14\nnested: {extra: y}\n",
    "name-lint-refuses": "name: Bad_Name\nnested: {extra: y}\n",  # helm template renders it, lint does not pass it
}


def schema_chart(root: Path, envs: dict[str, str]) -> Path:
    chart = plain_chart(root, "typed", envs=())
    (chart / "values.yaml").write_text("flag: true\nport: 80\nname: typed\nnested:\n  level: 1\n")
    (chart / "values.schema.json").write_text(json.dumps(SCHEMA))
    (chart / "templates" / "configmap.yaml").write_text(TEMPLATE)
    for name, text in envs.items():
        (chart / f"values-{name}.yaml").write_text(text)
    return chart


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_the_batch_passes_exactly_when_every_environments_own_lint_passes(tmp_path, version):
    helm = helm_binary(version)
    chart = schema_chart(tmp_path, ENVS)
    own = {name: helm.lint(chart, [chart / f"values-{name}.yaml"], kube_version=KUBE_VERSION).ok for name in ENVS}
    # the cases bite: each verdict below is one that reading a scalar as PyYAML does (1e3 a string, yes a bool,
    # 2001-12-14 a date) and writing that value back would change
    assert [n for n, ok in own.items() if not ok] == ["quoted-bool-is-a-string", "quoted-port",
                                                      "table-replaced-by-scalar", "name-lint-refuses"]
    for name, ok in own.items():  # each environment beside the good one: the batch answers when both pass
        if name == "ok":
            continue
        files = {"ok": [chart / "values-ok.yaml"], name: [chart / f"values-{name}.yaml"]}
        got = lint_batch.passing(helm, chart, files, KUBE_VERSION)
        assert got == (frozenset(files) if ok else frozenset()), name


def test_the_generated_charts_are_batched(tmp_path):
    """Every committed example is batched (none reads files or has subcharts), and passes."""
    helm = helm_binary("4.1.4")
    for chart in sorted(p.parent for p in CHARTS.glob("*/chartgen.yaml")):
        envs = {p.stem.removeprefix("values-"): [p] for p in sorted(chart.glob("values-*.yaml"))}
        assert lint_batch.passing(helm, chart, envs, KUBE_VERSION) == frozenset(envs), chart.name


@pytest.mark.parametrize("case", ["none", "reads-files", "subchart", "link", "tpl-with-action", "helmignore-values",
                                  "helmignore-negation"])
def test_a_chart_whose_linked_copy_could_lint_differently_is_not_batched(tmp_path, case):
    chart = plain_chart(tmp_path, "c", envs=("dev", "prod"))
    if case == "reads-files":
        (chart / "templates" / "raw.yaml").write_text('# {{ .Files.Get "values.yaml" | sha256sum }}\n')
    elif case == "subchart":
        plain_chart(chart / "charts", "sub", envs=())
    elif case == "link":
        (chart / "templates" / "extra.yaml").symlink_to(chart / "templates" / "configmap.yaml")
    elif case == "helmignore-values":
        (chart / ".helmignore").write_text("# ignored\n*.bak\n*.yaml\n")
    elif case == "helmignore-negation":
        (chart / ".helmignore").write_text("*.bak\n!keep.bak\n")
    elif case == "tpl-with-action":
        (chart / "templates" / "tpl.yaml").write_text("# {{ tpl .Values.greeting . }}\n")
        (chart / "values-prod.yaml").write_text("greeting: '{{ .Release.Name }}'\n")
    envs = {e: [chart / f"values-{e}.yaml"] for e in ("dev", "prod")}
    got = lint_batch.passing(helm_binary("4.1.4"), chart, envs, KUBE_VERSION)
    assert got == (frozenset(envs) if case == "none" else frozenset())


@pytest.mark.parametrize("case", ["one environment", "not batched", "batched"])
def test_started_is_set_however_the_batch_ends(tmp_path, case):
    """verify's drift check waits for it (chartgen.verify.chart._after): it must be set on every path, and on the
    batched one by the time the helm process runs."""
    import threading

    chart = plain_chart(tmp_path, "c", envs=("dev", "prod"))
    if case == "not batched":
        (chart / "templates" / "raw.yaml").write_text('# {{ .Files.Get "values.yaml" }}\n')
    envs = {e: [chart / f"values-{e}.yaml"] for e in (("dev",) if case == "one environment" else ("dev", "prod"))}
    started = threading.Event()
    helm = helm_binary("4.1.4")
    seen: list[bool] = []
    real = type(helm).run

    def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = real(self, *args, **kwargs)
        seen.append(started.is_set())
        return done

    import unittest.mock

    with unittest.mock.patch.object(type(helm), "run", run):
        got = lint_batch.passing(helm, chart, envs, KUBE_VERSION, started)
    assert started.is_set()
    assert got == (frozenset(envs) if case == "batched" else frozenset())
    assert seen == ([True] if case == "batched" else [])


def test_a_chart_that_cannot_be_linked_is_linted_per_environment(tmp_path, monkeypatch):
    """No symbolic links (or no temporary folder) here: no batch, no error."""
    import os

    chart = plain_chart(tmp_path, "c", envs=("dev", "prod"))

    def no_links(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "symlink", no_links)
    envs = {e: [chart / f"values-{e}.yaml"] for e in ("dev", "prod")}
    assert lint_batch.passing(helm_binary("4.1.4"), chart, envs, KUBE_VERSION) == frozenset()
