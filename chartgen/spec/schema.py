"""The JSON Schema of chartgen.yaml, generated from the settings catalog and the blueprint library.

    python -m chartgen.spec.schema            # rewrite chartgen/data/spec.schema.json (the shipped blueprints)

`chartgen schema` prints the schema of the library in use ($CHARTGEN_BLUEPRINTS included); the committed file is
the one for the shipped blueprints, and a test fails while it is stale. Shared shapes (ports, probes, Istio routes)
are hand-written in chartgen/data/spec.types.json; every key comes from chartgen/spec/settings.py.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import chartgen
from chartgen.spec.setting import Catalog
from chartgen.spec.settings import CATALOG

SCHEMA_FILE = "data/spec.schema.json"
TYPES_FILE = "data/spec.types.json"
_PACKAGE = Path(chartgen.__file__).resolve().parent  # not importlib.resources: its file reader imports zipfile
ENV_NAME_PATTERN = "^[a-z]([-a-z0-9]*[a-z0-9])?$"


@lru_cache(maxsize=1)
def _types() -> dict[str, Any]:
    text = (_PACKAGE / TYPES_FILE).read_text(encoding="utf-8")
    return dict(json.loads(text)["definitions"])


def build(blueprint_names: list[str], catalog: Catalog = CATALOG) -> dict[str, Any]:
    """The schema of chartgen.yaml for a library with these blueprints.

    The top level and each environment are closed (`additionalProperties: false`) over exactly the keys the CLI
    accepts there, so an editor flags a misspelt key (`replcas`) as `chartgen generate` does; the settings allowed
    in both places are written once, in definitions/settings, and each place refers to them key by key.
    """
    settings = [s for s in catalog if s.where == "both" and not s.key.startswith("image.")]
    shared = catalog.schema_properties(settings)
    top = catalog.schema_properties(s for s in catalog if s.where == "top" or s.key.startswith("image."))
    top["blueprint"]["enum"] = list(blueprint_names)
    env = catalog.schema_properties(s for s in catalog if s.where == "env" or
                                    (s.key.startswith("image.") and s.per_env))
    env["image"]["description"] = "Per-environment image override (tag or digest)."
    env["image"].pop("required", None)
    top["environments"] = {
        "type": "object",
        "description": "Environments, each a values-<env>.yaml. Keys are environment names.",
        "propertyNames": {"pattern": ENV_NAME_PATTERN},
        "additionalProperties": _closed(env, shared),
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://chartgen.dev/schemas/chartgen.schema.json",
        "title": "chartgen.yaml",
        "description": "The declarative source of a chartgen Helm chart. chartgen generate renders the chart from "
                       "this file.",
        "required": ["name", "blueprint"],
        "definitions": {**_types(), "settings": {"type": "object", "properties": shared}},
        **_closed(top, shared),
    }


def _closed(own: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    """An object of its `own` properties and the shared settings (by reference), and no other key."""
    refs = {key: {"$ref": f"#/definitions/settings/properties/{key}"} for key in shared}
    return {"type": "object", "additionalProperties": False, "properties": {**own, **refs}}


def text(blueprint_names: list[str], catalog: Catalog = CATALOG) -> str:
    return json.dumps(build(blueprint_names, catalog), indent=2, ensure_ascii=False) + "\n"


def committed_path() -> Path:
    return _PACKAGE / SCHEMA_FILE


def main() -> None:
    from chartgen.spec.blueprints import BlueprintLibrary

    committed_path().write_text(text(BlueprintLibrary.default().blueprint_names()), encoding="utf-8")
    print(f"wrote {committed_path()}")


if __name__ == "__main__":
    main()
