"""Charts that bring their own CRDs get their custom resources validated: `chartgen verify` reads the chart's crds/
folder (Helm installs it without rendering it), and `chartgen check` uses CRDs rendered in the same output.

Fixture: tests/fixtures/charts/widget-operator (written for these tests: a made-up API group, its CRD in crds/,
one Widget in templates/).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import KUBE_VERSION, REPO
from typer.testing import CliRunner

from chartgen.cli import app

FIXTURE = REPO / "tests" / "fixtures" / "charts" / "widget-operator"
CRD_NAME = "widgets.demo.chartgen.example.yaml"
runner = CliRunner()


@pytest.fixture
def chart(tmp_path) -> Path:
    if not (FIXTURE / "crds" / CRD_NAME).is_file():
        pytest.fail(f"test fixture missing: {FIXTURE}")
    dest = tmp_path / "widget-operator"
    shutil.copytree(FIXTURE, dest)
    return dest


def _verify(chart: Path, helm, *extra: str) -> tuple[int, dict]:
    res = runner.invoke(app, ["verify", str(chart), "--helm", str(helm.path), "--kube-version", KUBE_VERSION,
                              "--format", "json", *extra])
    return res.exit_code, json.loads(res.stdout)


def _rules(report: dict) -> dict[str, set[str]]:
    """environment -> rule ids of its findings (chartgen verify --format json)."""
    return {e["environment"]: {f["rule"] for f in e["findings"]} for e in report["results"]}


def test_verify_validates_custom_resources_against_the_charts_crds_folder(chart, helm):
    (chart / "values-good.yaml").write_text("mode: MUTUAL\n")
    (chart / "values-broken.yaml").write_text("mode: SIMPEL\n")
    code, report = _verify(chart, helm)
    rules = _rules(report)
    assert code == 1
    assert "CG-CRD-001" in rules["broken"]
    assert "CG-CRD-001" not in rules["good"] and "CG-SCHEMA-002" not in rules["good"]  # validated, not skipped


def test_verify_without_crds_folder_reports_the_custom_resource_as_unchecked(chart, helm):
    shutil.rmtree(chart / "crds")
    (chart / "values-broken.yaml").write_text("mode: SIMPEL\n")
    code, report = _verify(chart, helm)
    assert code == 0  # not provable without the CRD: no error ...
    assert "CG-SCHEMA-002" in _rules(report)["broken"]  # ... and it says so


def test_verify_crds_option(chart, helm, tmp_path):
    elsewhere = tmp_path / "vendored-crds"
    shutil.move(chart / "crds", elsewhere)
    (chart / "values-broken.yaml").write_text("mode: SIMPEL\n")
    code, report = _verify(chart, helm, "--crds", str(elsewhere))
    assert code == 1 and "CG-CRD-001" in _rules(report)["broken"]
    res = runner.invoke(app, ["verify", str(chart), "--helm", str(helm.path), "--crds", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "nope" in res.output


def test_check_validates_a_chart_that_renders_its_own_crd(chart, helm):
    shutil.move(chart / "crds" / CRD_NAME, chart / "templates" / "crd.yaml")  # rendered, cert-manager style
    (chart / "crds").rmdir()
    for mode, expected in (("MUTUAL", set()), ("SIMPEL", {"CG-CRD-001"})):
        values = chart.parent / f"values-{mode.lower()}.yaml"
        values.write_text(f"mode: {mode}\n")
        res = helm.template(chart, "demo", "demo", [values], kube_version=KUBE_VERSION)
        assert res.ok, res.message
        out = runner.invoke(app, ["check", "-", "--format", "json"], input=res.stdout)
        found = {f["rule"] for f in json.loads(out.stdout)["findings"] if f["severity"] == "error"}
        assert found == expected, mode
        assert "CG-SCHEMA-002" not in out.stdout
