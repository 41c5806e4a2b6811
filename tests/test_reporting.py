"""The one reporting layer: a new format is one function, and check, verify and diff all get it."""

from __future__ import annotations

import io

import pytest
from typer.testing import CliRunner

from chartgen import reporting
from chartgen.check.command import run_check
from chartgen.cli import app
from chartgen.diff import ValuesDiff, diff_report
from chartgen.diff import Change
from support import CHARTS, helm_binary

MANIFEST = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: Banana\n  ports: [{port: 80}]\n"


@pytest.fixture
def tsv_format():
    """The recipe: one function, registered with @output_format, in chartgen/reporting.py (here: in the test)."""

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
