"""chartgen.core.indented_json writes exactly json.dumps(value, indent=2, ensure_ascii=False)."""

from __future__ import annotations

import enum
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import CHARTS

from chartgen.core.indented_json import dumps


def reference(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text())
keys = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                    | st.dictionaries(keys, inner, max_size=4), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(data)
def test_the_text_is_jsons(value):
    assert dumps(value) == reference(value)


class Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize("value", [
    {}, [], {"a": {}}, {"a": []}, [[], {}], "line\nbreak \u2028 \x00 \"quoted\" ü", {"é": "\U0001f600"},
    {"n": math.nan, "i": -math.inf, "f": 1e16, "g": 0.1}, {1: "int key", "1": "str key"},
    {"nested": {"deep": [{"x": [1, 2, {"y": None}]}]}}, {"enum": Level.HIGH, Level.HIGH: True}, (1, "2"),
])
def test_edge_cases(value):
    assert dumps(value) == reference(value)


def test_values_schema_json_of_a_generated_chart():
    text = (CHARTS / "webapp" / "values.schema.json").read_text(encoding="utf-8")
    assert dumps(json.loads(text)) + "\n" == text


def test_what_json_refuses_is_refused():
    with pytest.raises(TypeError):
        dumps({"a": {1, 2}})
    with pytest.raises(TypeError):
        dumps({("tuple", "key"): 1})
