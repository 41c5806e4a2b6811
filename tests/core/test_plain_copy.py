"""chartgen.core.merge.plain_copy: a deep copy of plain data that shares no map or list with its input."""

from __future__ import annotations

from collections import OrderedDict
from types import MappingProxyType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chartgen.core.merge import plain_copy

leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
data = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner,
                                                                                         max_size=4), max_leaves=30)


def containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in containers(v))]
    return []


@given(data)
def test_equal_and_nothing_shared(value):
    copy = plain_copy(value)
    assert copy == value
    assert not set(containers(copy)) & set(containers(value))


class Items(list):  # type: ignore[type-arg]
    pass


def test_other_mappings_become_dicts_and_other_values_are_shared():
    shared = ("a", "tuple")
    value = {"o": OrderedDict(a=[1, {"b": 2}]), "p": MappingProxyType({"c": Items([3])}), "t": shared}
    copy = plain_copy(value)
    assert copy == {"o": {"a": [1, {"b": 2}]}, "p": {"c": [3]}, "t": shared}
    assert type(copy["o"]) is dict and type(copy["p"]) is dict and type(copy["p"]["c"]) is list
    assert copy["t"] is shared
    value["o"]["a"][1]["b"] = 99
    assert copy["o"]["a"][1]["b"] == 2
