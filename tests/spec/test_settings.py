"""One declaration per setting (chartgen/spec/settings.py): everything derived from it agrees with it.

For every declared setting: spec.schema.json carries its schema and description at its key; for every declared
value of an active blueprint part: values.yaml holds its default with `# -- <description>` above it,
values.schema.json holds its entry, and the chart README has its row.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from chartgen.generate.engine import generate
from chartgen.spec.blueprints import BlueprintLibrary
from chartgen.spec.loader import parse_spec_text
from chartgen.spec.schema import build, committed_path, text
from chartgen.spec.settings import CATALOG

LIBRARY = BlueprintLibrary.default()


def minimal_spec(blueprint: str) -> str:
    """The smallest valid chartgen.yaml of a blueprint; Istio on in dev only, so values.yaml keeps the defaults."""
    bp = LIBRARY.service_blueprint(blueprint)
    lines = ["apiVersion: chartgen/v1", "name: probe", f"blueprint: {blueprint}"]
    if bp.has_workload:
        lines.append("image: {repository: ghcr.io/acme/probe, tag: '1.0.0'}")
    lines.append("service:")
    if bp.service_type == "ExternalName":
        lines.append("  externalName: db.example.com")
    lines.append("  ports: [{name: http, port: 80, targetPort: 8080}]")
    lines.append("environments:")
    lines.append("  dev: {istio: {enabled: true}}" if "istio" in bp.uses else "  dev: {}")
    return "\n".join(lines) + "\n"


def _at(data: Any, dotted: str, through: str | None = None) -> Any:
    node = data
    for part in dotted.split("."):
        if through is not None:
            node = node[through]
        node = node[part]
    return node


def _key_line(text: str, dotted: str) -> int:
    """0-based line of a mapping key given by its dotted path in a YAML text."""
    node = yaml.compose(text)
    for part in dotted.split("."):
        key, node = next((k, v) for k, v in node.value if k.value == part)
    return key.start_mark.line


def test_committed_spec_schema_is_generated_from_the_declarations():
    expected = text(LIBRARY.blueprint_names())
    assert committed_path().read_text(encoding="utf-8") == expected, \
        "chartgen/data/spec.schema.json is stale: run `python -m chartgen.spec.schema`"


def test_published_schema_lists_the_blueprint_folders():
    assert build(LIBRARY.blueprint_names())["properties"]["blueprint"]["enum"] == LIBRARY.blueprint_names()
    assert set(LIBRARY.blueprint_names()) == {"clusterip", "externalname", "headless", "loadbalancer", "nodeport"}


@pytest.mark.parametrize("setting", list(CATALOG), ids=lambda s: s.key)
def test_every_setting_is_in_the_spec_schema_where_it_may_be_written(setting):
    schema = build(LIBRARY.blueprint_names())
    expected = setting.spec_schema()
    if setting.key == "blueprint":
        expected["enum"] = LIBRARY.blueprint_names()
    env_props = schema["properties"]["environments"]["additionalProperties"]["properties"]
    settings_props = schema["definitions"]["settings"]["properties"]
    if setting.where in ("top", "both"):
        top = schema["properties"] if setting.where == "top" or setting.key.startswith("image.") else settings_props
        assert _at({"properties": top}, setting.key, "properties") == expected
    if setting.per_env:
        env = env_props if setting.where == "env" or setting.key.startswith("image.") else settings_props
        assert _at({"properties": env}, setting.key, "properties") == expected


def test_every_setting_and_group_is_documented():
    assert [s.key for s in CATALOG if not s.description] == []
    assert [g.key for g in CATALOG.groups.values() if not g.description] == []


def test_values_settings_name_an_existing_part_and_a_unique_values_key():
    part_ids = {p.id for b in LIBRARY.service_blueprints() for p in LIBRARY.parts_for(b)}
    for b in LIBRARY.service_blueprints():  # unique within a chart (parts of other workloads may share one)
        ids = {p.id for p in LIBRARY.parts_for(b)}
        values_keys = [s.values for s in CATALOG if s.values and s.part in ids]
        assert len(values_keys) == len(set(values_keys)), b.name
    for s in CATALOG:
        assert (s.values is None) == (s.part is None), s.key
        assert s.part is None or s.part in part_ids, s.key


@pytest.mark.parametrize("blueprint", LIBRARY.blueprint_names())
def test_every_declared_value_appears_with_its_default_comment_schema_and_readme_row(blueprint):
    spec = parse_spec_text(minimal_spec(blueprint), "chartgen.yaml")
    tree = generate(spec)
    values_text = tree["values.yaml"]
    values = yaml.safe_load(values_text)
    lines = values_text.splitlines()
    schema = json.loads(tree["values.schema.json"])
    readme = tree["README.md"].splitlines()
    active = {p.id for p in LIBRARY.parts_for(spec.blueprint)}
    checked = 0
    for s in CATALOG.for_parts(active):
        assert s.values is not None
        assert _at(schema, s.values, "properties") == s.values_entry_schema(), s.key
        if s.default is None:
            continue  # an optional value: written only when set
        checked += 1
        assert _at(values, s.values) == s.default, s.key
        assert lines[_key_line(values_text, s.values) - 1].strip() == f"# -- {s.description}", s.key
        if isinstance(s.default, dict) and s.default and s.values_entry_schema().get("properties"):
            # a described mapping (e.g. podSecurityContext): one row per leaf, each with its own description
            leaves = [r for r in readme if r.startswith(f"| `{s.values}.")]
            assert len(leaves) >= len(s.default), s.key
            continue
        row = next((r for r in readme if r.startswith(f"| `{s.values}` |")), None)
        assert row is not None and s.description in row, s.key
    assert checked >= 5 or not spec.blueprint.has_workload


# Values a fragment places only under a condition (the fragment's `[% if %]`), as a test of the spec
CONDITIONS = {"networkPolicy.istioGatewayNamespace": lambda spec: spec.istio_enabled,
              "networkPolicy.istiodNamespace": lambda spec: spec.istio_enabled,
              "service.externalTrafficPolicy": lambda spec: spec.blueprint.allowed_service_types != ("ClusterIP",)}


@pytest.mark.parametrize("blueprint", LIBRARY.blueprint_names())
def test_every_declared_values_only_entry_is_placed_by_its_part(blueprint):
    """Every Value (a values.schema.json entry no setting exposes as is) of an active part is in values.schema.json,
    exactly as declared, with its description as the comment above its key in values.yaml when values.yaml has it."""
    spec = parse_spec_text(minimal_spec(blueprint), "chartgen.yaml")
    tree = generate(spec)
    schema = json.loads(tree["values.schema.json"])
    values_text = tree["values.yaml"]
    values = yaml.safe_load(values_text)
    lines = values_text.splitlines()
    active = {p.id for p in LIBRARY.parts_for(spec.blueprint)}
    placed = [v for v in CATALOG.values.values() if v.part in active and CONDITIONS.get(v.key, bool)(spec)]
    for v in placed:
        assert v.description, v.key
        expected = v.values_entry_schema()
        entry = _at(schema, v.key, "properties")
        if "properties" not in expected:  # a head: the fragment lists the properties after `<<:`
            entry = {k: sub for k, sub in entry.items() if k != "properties"}
        # in the declared order too; `required` lists are unioned (and sorted) where parts add to one object
        assert [(k, sorted(x) if k == "required" else x) for k, x in entry.items()] == \
            [(k, sorted(x) if k == "required" else x) for k, x in expected.items()], v.key
        try:
            _at(values, v.key)
        except (KeyError, TypeError):
            continue  # optional: written only when set
        assert lines[_key_line(values_text, v.key) - 1].strip() == f"# -- {v.description}", v.key
    assert placed or not (active & {v.part for v in CATALOG.values.values()})


def test_values_only_entries_name_an_existing_part_and_a_real_setting():
    part_ids = {p.id for b in LIBRARY.service_blueprints() for p in LIBRARY.parts_for(b)}
    for v in CATALOG.values.values():
        assert v.part in part_ids, v.key
        assert v.of is None or v.of in CATALOG.settings, v.key


@pytest.mark.parametrize("blueprint", LIBRARY.blueprint_names())
def test_a_blueprint_declares_each_values_key_once(blueprint):
    """Within one blueprint's parts, a values key is a setting's or one Value's, never both (parts that are never
    used together, e.g. headless and externalname, may each declare service.ports)."""
    active = {p.id for p in LIBRARY.parts_for(LIBRARY.service_blueprint(blueprint))}
    keys = [s.values for s in CATALOG.for_parts(active)] + [v.key for v in CATALOG.values.values() if v.part in active]
    assert len(keys) == len(set(keys))


def test_base_layer_is_the_declared_defaults():
    base = CATALOG.base_layer()
    assert base["replicas"] == 1 and base["autoscaling"]["minReplicas"] == 2
    spec = parse_spec_text(minimal_spec("clusterip"), "chartgen.yaml")
    assert spec.defaults.autoscaling.min_replicas == CATALOG["autoscaling.minReplicas"].default
    assert spec.defaults.service.session_affinity_timeout == CATALOG["service.sessionAffinityTimeoutSeconds"].default
    assert spec.defaults.value("istio.canary.threshold") == 5  # any declared setting, for templates
    assert spec.environment("dev").settings.value("istio.enabled") is True


def test_headless_service_is_headless():
    assert parse_spec_text(minimal_spec("headless"), "c.yaml").defaults.service.headless
    assert not parse_spec_text(minimal_spec("clusterip"), "c.yaml").defaults.service.headless


@pytest.mark.parametrize("twice", ["a setting's values key", "a values-only entry", "a setting's key"])
def test_a_key_declared_twice_is_refused(twice):
    """The catalog refuses a values key placed twice (by a setting and a Value, or by two Values) and a setting
    declared twice."""
    from chartgen.spec.setting import Setting, Value

    exposed = next(s for s in CATALOG if s.values)
    value_only = next(iter(CATALOG.values.values()))
    again = {
        "a setting's values key": Value(str(exposed.values), {"type": "integer"}, "workload/common"),
        "a values-only entry": Value(value_only.key, {"type": "integer"}, "workload/common", name=value_only.name),
        "a setting's key": Setting(exposed.key, {"type": "string"}),
    }[twice]
    with pytest.raises(ValueError, match="declared twice"):
        CATALOG.with_settings(again)
    CATALOG.with_settings(Value("chartgenTestOnly", {}, "workload/common"))  # a new key is accepted
