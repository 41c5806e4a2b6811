"""The jsonschema-free pre-check may only say "valid" when jsonschema (Draft 7) agrees: any other answer sends the
spec to jsonschema, whose errors are reported. Checked on our specs, on hand-picked edge cases, and on random
mutations of valid specs (hypothesis)."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import CHARTS

from chartgen.spec.loader import spec_schema
from chartgen.spec.schema_quick import conforms

SCHEMA = spec_schema()
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
SPECS = [yaml.safe_load(p.read_text()) for p in sorted(CHARTS.glob("*/chartgen.yaml"))]


def jsonschema_valid(data: Any) -> bool:
    return not any(True for _ in VALIDATOR.iter_errors(data))


def test_every_example_spec_takes_the_fast_path():
    assert SPECS
    for spec in SPECS:
        assert jsonschema_valid(spec)
        assert conforms(SCHEMA, spec)  # else the fast path would never be taken


@pytest.mark.parametrize("schema, value, expected", [
    ({"type": "integer"}, True, False),  # a bool is not an integer
    ({"type": "integer"}, 2.0, True),  # Draft 7: 2.0 is an integer
    ({"type": "number"}, False, False),
    ({"enum": [1]}, True, False),  # True == 1 in Python, not in JSON Schema
    ({"type": "object", "additionalProperties": False, "properties": {"a": {}}}, {"a": 1, "b": 2}, False),
    ({"type": "object", "additionalProperties": {"type": "string"}}, {"a": 1}, False),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"Bad": 1}, False),
    ({"pattern": "b"}, "abc", True),  # search, not match
    ({"format": "email"}, "x", False),  # unknown keyword: not certain
    ({"$ref": "other.json#/x"}, 1, False),  # not a local definition: not certain
    # a pointer below definitions (the spec schema's top level and environments refer to each setting so)
    ({"definitions": {"s": {"properties": {"n": {"type": "integer"}}}},
      "$ref": "#/definitions/s/properties/n"}, 3, True),
    ({"definitions": {"s": {"properties": {"n": {"type": "integer"}}}},
      "$ref": "#/definitions/s/properties/n"}, "3", False),
    ({"definitions": {"s": {}}, "$ref": "#/definitions/s/properties/n"}, 3, False),  # nothing there: not certain
    ({"definitions": {"a/b": {}}, "$ref": "#/definitions/a~1b"}, 3, False),  # an escaped name: not modelled
    ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "http", True),  # a port by name or number
    ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, 1, False),  # two branches match: not exactly one
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, [], False),
    ({"anyOf": [{"format": "email"}, {"type": "string"}]}, "x", False),  # an unsure branch: not certain
])
def test_edge_cases_never_claim_more_than_jsonschema(schema, value, expected):
    assert conforms(schema, value) is expected
    if expected:
        assert not any(True for _ in jsonschema.Draft7Validator(schema).iter_errors(value))


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False, width=32),
                    st.sampled_from(["", "a", "TCP", "http", "1.2.3", "100m", "Bad_Name", "latest", "x" * 70,
                                     "ClusterIP", "sha256:" + "a" * 64, "*.example.com", "10s"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["port", "name", "enabled", "tag", "cpu", "hosts", "x"]), inner, max_size=3), max_leaves=6)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(0, 10**6), VALUES, st.booleans())
def test_mutated_specs_fast_path_agrees_with_jsonschema(which, where, value, add):
    spec = copy.deepcopy(SPECS[which % len(SPECS)])
    targets = paths(spec)[1:]
    path = targets[where % len(targets)]
    node = spec
    for part in path[:-1]:
        node = node[part]
    if add and isinstance(node, dict):
        node["extra" if where % 2 else path[-1]] = value  # an unknown key, or a new value
    else:
        node[path[-1]] = value
    if conforms(SCHEMA, spec):
        assert jsonschema_valid(spec), (path, value)


REPLACEMENTS = (None, True, 0, -1, 70000, 1.5, "", "Bad_Name", "x" * 70, "latest", {}, [], {"x": 1}, ["a"])


def test_every_field_replaced_fast_path_agrees_with_jsonschema():
    """Every field of every example spec, replaced by each value above: where the pre-check says valid, jsonschema
    must too; and the pre-check must answer both ways (else it proves nothing)."""
    answers = set()
    for spec in SPECS:
        for path in paths(spec)[1:]:
            for value in REPLACEMENTS:
                mutated = copy.deepcopy(spec)
                node = mutated
                for part in path[:-1]:
                    node = node[part]
                node[path[-1]] = value
                quick = conforms(SCHEMA, mutated)
                answers.add(quick)
                if quick:
                    assert jsonschema_valid(mutated), (path, value)
    assert answers == {True, False}
