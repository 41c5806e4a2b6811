"""`chartgen schema` is what an editor validates chartgen.yaml with: it rejects the keys `chartgen generate` rejects,
at the top level and in each environment, and accepts every example spec."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from support import CHARTS

BIN = Path(sys.executable).parent
SPECS = sorted(CHARTS.glob("*/chartgen.yaml"))


@pytest.fixture(scope="module")
def editor() -> jsonschema.Draft7Validator:
    """The schema exactly as `chartgen schema` prints it, in the validator an editor's yaml-language-server uses."""
    out = subprocess.run([str(BIN / "chartgen"), "schema"], capture_output=True, text=True, check=True).stdout
    schema = json.loads(out)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _unknown(validator: jsonschema.Draft7Validator, data: dict) -> list[tuple[list, str]]:
    return [(list(e.absolute_path), e.message) for e in validator.iter_errors(data)]


def _misspelt(where: str) -> dict:
    data = yaml.safe_load((CHARTS / "webapp" / "chartgen.yaml").read_text())
    target = data if where == "top" else data["environments"]["prod"]
    target["replcas"] = 3
    return data


def test_every_example_spec_is_valid_for_an_editor(editor):
    assert SPECS
    for path in SPECS:
        assert _unknown(editor, yaml.safe_load(path.read_text())) == [], path


@pytest.mark.parametrize("where, path", [("top", []), ("env", ["environments", "prod"])])
def test_a_misspelt_key_is_flagged_by_the_schema_and_by_generate(editor, tmp_path, where, path):
    data = _misspelt(where)
    errors = _unknown(editor, data)
    assert len(errors) == 1, errors
    assert errors[0][0] == path and "'replcas' was unexpected" in errors[0][1]

    chart = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", chart)
    (chart / "chartgen.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    res = subprocess.run([str(BIN / "chartgen"), "generate", str(chart)], capture_output=True, text=True)
    assert res.returncode == 2, res
    field = ".".join([*path, "replcas"])
    lines = [line for line in res.stderr.splitlines() if "replcas" in line]
    assert len(lines) == 1 and f"{field}: unknown field; allowed: " in lines[0], res.stderr


def test_the_schema_closes_exactly_the_key_sets_generate_checks(editor):
    """The top level and each environment allow, in the schema, the keys chartgen/spec/loader.py allows there."""
    from chartgen.spec.loader import ENV_ONLY_KEYS, META_KEYS
    from chartgen.spec.settings import CATALOG

    schema = editor.schema
    env = schema["properties"]["environments"]["additionalProperties"]
    assert schema["additionalProperties"] is False and env["additionalProperties"] is False
    assert set(schema["properties"]) == set(CATALOG.keys("top")) | set(META_KEYS)
    assert set(env["properties"]) == set(CATALOG.keys("env")) | set(ENV_ONLY_KEYS)
