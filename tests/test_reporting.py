"""The one reporting layer: a new format is one function, and check, verify and diff all get it."""

from __future__ import annotations

import io

import pytest
from support import CHARTS, helm_binary
from typer.testing import CliRunner

from chartgen.check import formats as reporting
from chartgen.check.command import run_check
from chartgen.cli import app
from chartgen.verify.diff import Change, ValuesDiff, diff_report

MANIFEST = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: Banana\n  ports: [{port: 80}]\n"


@pytest.fixture
def tsv_format():
    """The recipe: one function, registered with @output_format, in chartgen/check/formats.py (here: in the test)."""

    @reporting.output_format("tsv")
    def render_tsv(report: reporting.Report) -> str:
        rows = [f"{f.severity}\t{f.rule}\t{f.file or ''}\t{f.resource or ''}" for f in report.findings]
        return "".join(row + "\n" for row in rows) + f"#\t{report.summary.line}\n"

    yield render_tsv
    del reporting.FORMATS["tsv"]


def test_a_new_format_reaches_check_and_verify(tsv_format, tmp_path):
    manifest = tmp_path / "out.yaml"
    manifest.write_text(MANIFEST)
    out = io.StringIO()
    assert run_check([str(manifest)], fmt="tsv", out=out) == 1
    rows = out.getvalue().splitlines()
    assert rows[0].startswith("error\tCG-") and rows[-1].startswith("#\t1 document in 1 file")

    res = CliRunner().invoke(app, ["verify", str(CHARTS / "api-test"), "--format", "tsv", "--helm",
                                   helm_binary("4.1.4").path])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[-1] == "#\t3 of 3 chart environments passed (1 chart(s), 0 from cache)"


def test_diff_is_a_report_too():
    report = diff_report(ValuesDiff("app", "a", "b", [Change("replicaCount", 1, 3)]))
    assert reporting.render("text", report) == "values of app: a -> b\n  replicaCount: 1 -> 3\n1 value(s) differ\n"
    assert reporting.render("json", report).startswith('{\n  "chart": "app"')


def test_unknown_format_names_the_registered_ones():
    with pytest.raises(ValueError, match="text, json, junit, github, sarif"):
        reporting.render("xml", diff_report(ValuesDiff("app", "a", "b", [])))


def _findings(n: int) -> tuple:
    from chartgen.check.model import Finding, ResourceRef, Severity

    odd = 'quotes " and \\ backslash,\nnewline, ünïcode'
    return tuple(Finding("CG-X-00" + str(i % 3), Severity(i % 3), f"message {i}: {odd}",
                         None if i % 4 == 0 else ResourceRef("Service", f"web-{i}", None if i % 2 else "shop"),
                         None if i % 5 == 0 else f"f{i}.yaml", i, "hint", None if i % 2 else f"spec.ports[{i}]", i)
                 for i in range(n))


@pytest.mark.parametrize("count", [0, 1, 7, 1201])
def test_json_report_is_written_in_pieces_with_the_text_of_one_dump(count):
    """`--format json` streams finding by finding (50,000 documents make tens of thousands of findings); the text is
    exactly json.dumps of the whole body, as before."""
    findings = _findings(count)
    report = reporting.Report("chartgen check", findings, reporting.Summary("line", count == 0, {"documents": 3}),
                              data={"extra": [1, {"a": None}]})
    body = {"ok": count == 0, "extra": [1, {"a": None}], "findings": [f.to_dict() for f in findings],
            "summary": {"documents": 3}}
    import json

    whole = json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n"
    out = io.StringIO()
    reporting.write("json", report, out)
    assert out.getvalue() == whole
    assert reporting.render("json", report) == whole
    assert len(list(reporting.json_chunks(report, batch=500))) == 2 + (count + 499) // 500 - (count == 0)


@pytest.mark.parametrize("item", [
    {"a": "x\"y\\\n\u00e9", "b": None, "c": True, "d": False, "e": -3, "f": {}, "g": {"h": {"i": 1}}},
    {"float": 1.5}, {"list": [1, {"a": 2}]}, {1: "int key"}, {"enum": reporting.Severity.ERROR}, {},
])
def test_a_list_item_is_written_as_json_dumps_writes_it(item):
    import json

    whole = json.dumps({"x": 1, "items": [item]}, indent=2, ensure_ascii=False, default=str)
    assert whole.split('"items": [\n', 1)[1].rsplit("\n  ]", 1)[0] == "    " + reporting._item_json(item)
