"""Chart.yaml metadata, the artifacthub.io/changes annotation and dependencies from chartgen.yaml: written into
Chart.yaml, kept across regeneration, the dependencies' values keys accepted by values.schema.json."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from chartgen.cli import app
from support import CHARTS, KUBE_VERSION, helm_binary, plain_chart

runner = CliRunner()

EXTRA = """\
chart:
  home: https://example.com/webapp
  keywords: [web, shop]
  sources: [https://github.com/acme/webapp]
  maintainers: [{name: Ann, email: ann@example.com}]
  annotations: {artifacthub.io/license: Apache-2.0}
changes:
  - kind: added
    description: Canary routing
  - Smaller images
dependencies:
  - name: cache
    version: 0.1.0
    repository: file://../cache
    condition: cache.enabled
    import-values: [{child: exports.endpoint, parent: cacheEndpoint}]
"""


def chart_with(tmp_path: Path, extra: str) -> Path:
    chart = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", chart)
    spec = chart / "chartgen.yaml"
    spec.write_text(spec.read_text() + extra)
    return chart


def test_metadata_changes_and_dependencies_reach_chart_yaml_and_survive_regeneration(tmp_path: Path) -> None:
    chart = chart_with(tmp_path, EXTRA)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0, res.output
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    assert meta["home"] == "https://example.com/webapp" and meta["keywords"] == ["web", "shop"]
    assert meta["maintainers"] == [{"name": "Ann", "email": "ann@example.com"}]
    assert meta["sources"] == ["https://github.com/acme/webapp"]
    assert meta["annotations"]["artifacthub.io/license"] == "Apache-2.0"
    assert yaml.safe_load(meta["annotations"]["artifacthub.io/changes"]) == [
        {"kind": "added", "description": "Canary routing"}, "Smaller images"]
    assert meta["annotations"]["chartgen.dev/blueprint"] == "loadbalancer"
    assert meta["dependencies"][0]["condition"] == "cache.enabled"
    schema = yaml.safe_load((chart / "values.schema.json").read_text())
    assert schema["properties"]["cache"]["type"] == "object"
    assert "cacheEndpoint" in schema["properties"]
    assert runner.invoke(app, ["generate", str(chart), "--check"]).exit_code == 0
    # the README's traffic pictures are drawn without the subcharts (not built here), and say so
    assert "The pictures leave out the subcharts (cache)" in (chart / "README.md").read_text()


def test_a_dependency_renders_with_its_values(tmp_path: Path) -> None:
    chart = chart_with(tmp_path, EXTRA)
    assert runner.invoke(app, ["generate", str(chart)]).exit_code == 0
    cache = plain_chart(tmp_path, "cache", envs=())
    (chart / "charts").mkdir(exist_ok=True)
    shutil.copytree(cache, chart / "charts" / "cache")
    res = helm_binary("4.1.4").template(chart, "webapp", "default", [chart / "values-prod.yaml"],
                                        kube_version=KUBE_VERSION,
                                        set_values=["cache.enabled=true", "cache.greeting=from-parent"])
    assert res.ok, res.stderr
    assert "greeting: \"from-parent\"" in res.stdout
    # without the dependency's key in values.schema.json, helm would reject `cache` as an unknown property
    res = helm_binary("4.1.4").template(chart, "webapp", "default", [], kube_version=KUBE_VERSION,
                                        set_values=["cachee.enabled=true"])
    assert not res.ok and "cachee" in res.stderr


def test_string_import_values_are_refused_with_one_line(tmp_path: Path) -> None:
    chart = chart_with(tmp_path, "dependencies:\n  - {name: cache, version: 0.1.0, import-values: [data]}\n")
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    assert len(res.output.strip().splitlines()) == 1 and "import-values" in res.output
