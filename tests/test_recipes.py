"""Every recipe of ARCHITECTURE.md, applied to a temporary copy of the package, then observed through the chartgen
command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
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
    edit(copy / "chartgen" / "spec" / "settings.py", '        Group("autoscaling",',
         '        Setting("minReadySeconds", {"type": "integer", "minimum": 0}, '
         '"Seconds a new pod must be ready to count as available.", 30, values="minReadySeconds", part=WL),\n'
         '        Group("dashboard", "A dashboard for the Service."),\n'
         '        Setting("dashboard.enabled", BOOLEAN, "Render the dashboard.", False, values="dashboard.enabled", '
         'part=WL),\n'
         '        Setting("dashboard.className", STRING, "Dashboard class name.", values="dashboard.className", part=WL),\n')
    res = run(copy, module="chartgen.spec.schema")
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


def test_add_a_values_only_entry(copy, tmp_path):
    """Step 5 of the setting recipe: a Value declared in settings_values.py, placed by its part's fragment."""
    edit(copy / "chartgen" / "spec" / "settings_values.py", '        Value("tests", ',
         '        Value("tmpVolume.medium", {"enum": ["", "Memory"], "description": "emptyDir medium of /tmp."}, '
         'WL),\n')
    edit(copy / "blueprints" / "workload" / "common" / "values.schema.yaml.j2", "  podDisruptionBudget:\n",
         '      medium: [[ declared("tmpVolume.medium") ]]\n')
    chart = tmp_path / "orders"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(SPEC % "{}")
    res = run(copy, "generate", str(chart))
    assert res.returncode == 0, res.stderr
    tmp = json.loads((chart / "values.schema.json").read_text())["properties"]["tmpVolume"]["properties"]
    assert list(tmp) == ["enabled", "sizeLimit", "medium"]
    assert tmp["medium"] == {"enum": ["", "Memory"], "description": "emptyDir medium of /tmp."}


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


def recipe_code(title: str) -> str:
    """The ```python block of an ARCHITECTURE.md recipe, as written there."""
    section = (REPO / "ARCHITECTURE.md").read_text().split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_add_a_check_rule(copy, tmp_path):
    module = copy / "chartgen" / "check" / "rules" / "ownership.py"
    assert not module.exists()
    # the recipe's code as a new module in chartgen/check/rules/: nothing else is registered
    module.write_text('"""Ownership: every Service says who runs it."""\n\nfrom __future__ import annotations\n\n'
                      + recipe_code("Add a check rule"))
    manifest = tmp_path / "svc.yaml"
    manifest.write_text(SERVICE)

    res = run(copy, "check", "--format", "json", str(manifest))
    assert res.returncode == 0, res.stderr  # a warning does not fail the check
    found = [f for f in json.loads(res.stdout)["findings"] if f["rule"] == "CG-OWN-001"]
    assert [(f["severity"], f["hint"], f["field"]) for f in found] == [
        ("warning", "add the acme.io/owner annotation", "metadata.annotations")]

    res = run(copy, "check", "--format", "json", "--disable", "CG-OWN-001", str(manifest))
    assert not any(f["rule"] == "CG-OWN-001" for f in json.loads(res.stdout)["findings"])

    listed = [r for r in json.loads(run(copy, "rules", "--format", "json").stdout) if r["id"] == "CG-OWN-001"]
    assert [(r["module"], r["why"], r["example"].splitlines()[1]) for r in listed] == [
        ("chartgen/check/rules/ownership.py", "on-call cannot tell who runs it", "kind: Service")]
    # the example triggers the rule, as the catalogue test demands of every rule
    example = tmp_path / "example.yaml"
    example.write_text(listed[0]["example"])
    res = run(copy, "check", "--format", "json", str(example))
    assert [f["rule"] for f in json.loads(res.stdout)["findings"]] == ["CG-OWN-001"]


def test_add_an_output_format(copy, tmp_path):
    reporting = copy / "chartgen" / "check" / "formats.py"
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
         "    from chartgen.spec.blueprints import BlueprintLibrary\n\n"
         "    typer.echo(\" \".join(BlueprintLibrary.default().choices()))\n\n\n")
    res = run(copy, "blueprints")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["clusterip", "nodeport", "loadbalancer", "externalname", "headless"]
