"""Everything `helm create` offers has a chartgen.yaml field (README table), and files chartgen did not write are the
user's (generate never touches them, verify checks them)."""

from __future__ import annotations

import shutil

import yaml
from support import CHARTS, REPO, helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.spec.blueprints import BlueprintLibrary
from chartgen.spec.helm_create_map import HELM_CREATE, table
from chartgen.spec.schema import build

runner = CliRunner()


def _spec_field_exists(field: str, schema: dict) -> bool:
    node = {"properties": {**schema["properties"], **schema["definitions"]["settings"]["properties"]}}
    for part in field.split("."):
        props = node.get("properties") or {}
        if part not in props:
            return False
        node = props[part]
    return True


def test_every_helm_create_value_has_a_chartgen_field(tmp_path):
    helm = helm_binary("4.1.4")
    res = helm.run("create", str(tmp_path / "x"))
    assert res.ok, res.message
    values = yaml.safe_load((tmp_path / "x" / "values.yaml").read_text())
    uncovered = [k for k, v in values.items() if k not in HELM_CREATE and not (
        isinstance(v, dict) and v and all(f"{k}.{c}" in HELM_CREATE for c in v))]
    assert uncovered == []
    assert len(values) >= 20  # helm create's chart as we know it (a stub would make this pass vacuously)
    schema = build(BlueprintLibrary.default().blueprint_names())
    assert [f for f, _ in HELM_CREATE.values() if not _spec_field_exists(f, schema)] == []


def test_readme_has_the_table():
    assert table() in (REPO / "README.md").read_text()


def test_files_not_in_the_lock_are_the_users(tmp_path, helm):
    chart = tmp_path / "user-api"
    shutil.copytree(CHARTS / "user-api", chart)
    custom = chart / "templates" / "custom-extra.yaml"
    text = ('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include "user-api.fullname" . }}-extra\n'
            '  namespace: {{ include "user-api.namespace" . }}\ndata:\n  owner: payments\n')
    custom.write_text(text)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0, res.output
    assert custom.read_text() == text
    res = runner.invoke(app, ["generate", str(chart), "--check"])
    assert res.exit_code == 0, res.output  # not drift, and no command to run
    res = runner.invoke(app, ["verify", str(chart), "--env", "prod", "--helm", helm.path])
    assert res.exit_code == 0, res.output
    rendered = helm.template(chart, "user-api", "backend", [chart / "values-prod.yaml"], kube_version="1.31.0")
    assert "name: user-api-extra" in rendered.stdout and "namespace: backend" in rendered.stdout
    custom.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n    - port: 70000\n")
    res = runner.invoke(app, ["verify", str(chart), "--env", "prod", "--helm", helm.path])
    assert res.exit_code == 1 and "CG-SVC-006" in res.output  # verify checks the user's files too
