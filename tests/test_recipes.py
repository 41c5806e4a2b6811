"""Every recipe of ARCHITECTURE.md, applied to a temporary copy of the package (or, for a rule, through the registry
API), then observed through the chartgen command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chartgen.check import registry
from chartgen.check.loader import load_text
from chartgen.check.model import CheckOptions, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.runner import check

from support import REPO

SPEC = """apiVersion: chartgen/v1
name: orders
blueprint: clusterip
image: {repository: ghcr.io/acme/orders, tag: "1.2.3"}
service:
  ports: [{name: http, port: 80, targetPort: 8080}]
environments:
  dev: {}
  prod:
    %s
"""
SERVICE = """apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
"""


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package and its blueprints, imported instead of the installed one."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "chartgen", src / "chartgen", ignore=ignore)
    shutil.copytree(REPO / "blueprints", src / "blueprints", ignore=ignore)
    return src


def run(copy: Path, *args: str, module: str = "chartgen.cli") -> subprocess.CompletedProcess[str]:
    code = f"import sys, chartgen; assert chartgen.__file__.startswith({str(copy)!r}); " \
           f"from {module} import main; sys.argv[0] = 'chartgen'; main()"
    env = dict(os.environ, PYTHONPATH=str(copy))
    env.pop("CHARTGEN_BLUEPRINTS", None)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=copy.parent, env=env, text=True,
                          capture_output=True, timeout=300)


def edit(path: Path, anchor: str, insert: str) -> None:
    text = path.read_text()
    assert text.count(anchor) == 1, anchor
    path.write_text(text.replace(anchor, insert + anchor))


def test_add_a_setting(copy, tmp_path):
    edit(copy / "chartgen" / "settings.py", '        Group("autoscaling",',
         '        Setting("minReadySeconds", {"type": "integer", "minimum": 0}, '
         '"Seconds a new pod must be ready to count as available.", 30, values="minReadySeconds", part=WL),\n'
         '        Group("dashboard", "A dashboard for the Service."),\n'
         '        Setting("dashboard.enabled", BOOLEAN, "Render the dashboard.", False, values="dashboard.enabled", '
         'part=WL),\n'
         '        Setting("dashboard.className", STRING, "Dashboard class name.", values="dashboard.className", part=WL),\n')
    res = run(copy, module="chartgen.spec_schema")
    assert res.returncode == 0, res.stderr
    schema = json.loads((copy / "chartgen" / "data" / "spec.schema.json").read_text())
    assert schema["definitions"]["settings"]["properties"]["minReadySeconds"] == {
        "type": "integer", "minimum": 0, "description": "Seconds a new pod must be ready to count as available."}

    chart = tmp_path / "orders"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(SPEC % "minReadySeconds: 60\n    dashboard: {enabled: true, className: nginx}")
    res = run(copy, "generate", str(chart))
    assert res.returncode == 0, res.stderr
    values = (chart / "values.yaml").read_text()
    assert "# -- Seconds a new pod must be ready to count as available.\nminReadySeconds: 30\n" in values
    assert yaml.safe_load((chart / "values-prod.yaml").read_text())["minReadySeconds"] == 60
    assert "minReadySeconds" not in (yaml.safe_load((chart / "values-dev.yaml").read_text()) or {})
    assert "# -- A dashboard for the Service.\ndashboard:\n  # -- Render the dashboard.\n  enabled: false\n" in values
    assert yaml.safe_load((chart / "values-prod.yaml").read_text())["dashboard"] == {"enabled": True,
                                                                                   "className": "nginx"}
    values_schema = json.loads((chart / "values.schema.json").read_text())
    assert values_schema["properties"]["minReadySeconds"]["minimum"] == 0
    assert values_schema["properties"]["dashboard"] == {
        "type": "object", "additionalProperties": False, "description": "A dashboard for the Service.",
        "properties": {"enabled": {"type": "boolean", "description": "Render the dashboard."},
                       "className": {"type": "string", "description": "Dashboard class name."}}}
    assert "| `minReadySeconds` | integer | `30` | Seconds a new pod must be ready to count as available. |" in \
        (chart / "README.md").read_text()

    (chart / "chartgen.yaml").write_text(SPEC % "minReadySeconds: -1")
    res = run(copy, "generate", str(chart))
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [
        f"error: {chart / 'chartgen.yaml'}:10: environments.prod.minReadySeconds: -1 is out of range; "
        "allowed: >= 0"]


def test_add_a_blueprint(copy, tmp_path):
    folder = copy / "blueprints" / "service" / "internal-api"
    shutil.copytree(copy / "blueprints" / "service" / "clusterip", folder)
    manifest = folder / "blueprint.yaml"
    manifest.write_text(manifest.read_text().replace("name: clusterip", "name: internal-api"))
    res = run(copy, "new", "orders", "--type", "internal-api", "--image", "ghcr.io/acme/orders:1.2.3",
              "--no-input", "--output", str(tmp_path / "charts"))
    assert res.returncode == 0, res.stderr
    assert yaml.safe_load((tmp_path / "charts" / "orders" / "chartgen.yaml").read_text())["blueprint"] == \
        "internal-api"
    assert "internal-api" in json.loads(run(copy, "schema").stdout)["properties"]["blueprint"]["enum"]


def test_add_a_check_rule(monkeypatch):
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))  # the rule lives for this test only

    @rule("CG-TEST-001", Severity.WARNING, "Service has no owner annotation", "api",
          why="on-call cannot tell who runs it", fix="add the acme.io/owner annotation", example=SERVICE)
    def service_without_owner(index, opts):
        for doc in index.kind("Service"):
            if "acme.io/owner" not in doc.annotations:
                yield finding("CG-TEST-001", doc, f"Service {doc.name} has no acme.io/owner annotation",
                              field="metadata.annotations")

    found = [f for f in check(load_text(SERVICE), CheckOptions()).findings if f.rule == "CG-TEST-001"]
    assert [(f.severity, f.hint, f.field) for f in found] == [
        (Severity.WARNING, "add the acme.io/owner annotation", "metadata.annotations")]
    disabled = check(load_text(SERVICE), CheckOptions(disabled=frozenset({"CG-TEST-001"}))).findings
    assert not any(f.rule == "CG-TEST-001" for f in disabled)


def test_add_an_output_format(copy, tmp_path):
    reporting = copy / "chartgen" / "reporting.py"
    reporting.write_text(reporting.read_text() + '''

@output_format("csv")
def render_csv(report: Report) -> str:
    return "".join(f"{f.rule},{f.severity},{f.resource}\\n" for f in report.findings)
''')
    manifest = tmp_path / "svc.yaml"
    manifest.write_text(SERVICE.replace("targetPort: 8080", "targetPort: 70000"))
    res = run(copy, "check", "--format", "csv", str(manifest))
    assert res.returncode == 1, res.stderr
    assert any(line.endswith(",error,Service web") for line in res.stdout.splitlines()), res.stdout


def test_add_a_cli_command(copy):
    cli = copy / "chartgen" / "cli.py"
    edit(cli, "def main() -> None:",
         '@app.command("blueprints")\ndef blueprints_cmd() -> None:\n'
         '    """List the blueprints."""\n'
         "    from chartgen.blueprints import BlueprintLibrary\n\n"
         "    typer.echo(\" \".join(BlueprintLibrary.default().choices()))\n\n\n")
    res = run(copy, "blueprints")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["clusterip", "nodeport", "loadbalancer", "externalname", "headless"]
