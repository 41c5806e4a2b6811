"""values.schema.json is written by chartgen.generate.yamlout.json_indented: the very text of
json.dumps(value, indent=2, ensure_ascii=False), for every value json writes, and the same refusals."""

from __future__ import annotations

import json
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chartgen.generate.yamlout import json_indented

KEYS = st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none(),
                 st.floats(allow_nan=True, allow_infinity=True))
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                   st.text(max_size=8))  # text: quotes, backslashes, control characters, non-ASCII
DATA = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(KEYS, inner, max_size=4)), max_leaves=40)


def dumped(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@given(DATA)
def test_the_same_text_as_json(value):
    assert json_indented(value) == dumped(value)


def test_the_cases_json_writes_its_own_way():
    value = {"a": [], "b": {}, "c": [[], {}], 1: 1.5, True: None, None: False, 2.5: float("nan"),
             "d": OrderedDict(x=(1, "é\n\"\\\u2028")), "e": [float("inf"), float("-inf"), -0.0, 10**30]}
    assert json_indented(value) == dumped(value)
    for top in ("text", 3, None, [], {}, ()):
        assert json_indented(top) == dumped(top)


@pytest.mark.parametrize("value", [{"a": {1, 2}}, [object()], {(1, 2): 3}, b"bytes"])
def test_what_json_refuses_is_refused(value):
    with pytest.raises(TypeError):
        dumped(value)
    with pytest.raises(TypeError):
        json_indented(value)
