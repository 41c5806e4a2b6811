"""chartgen.core.merge.plain_copy is copy.deepcopy for plain data (what YAML and JSON give), with its exact-type fast
path: equal, of the same types at every level, and sharing no container with the original."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chartgen.core.merge import plain_copy

LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
DATA = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(st.text(max_size=4), inner, max_size=4)),
                    max_leaves=30)


def containers(value: Any) -> Iterator[int]:
    if isinstance(value, dict | list):
        yield id(value)
        for v in value.values() if isinstance(value, dict) else value:
            yield from containers(v)


def types(value: Any) -> Any:
    if isinstance(value, dict):
        return (type(value), {k: types(v) for k, v in value.items()})
    if isinstance(value, list):
        return (type(value), [types(v) for v in value])
    return type(value)


@given(DATA)
def test_a_copy_equal_to_deepcopys_sharing_no_container(data):
    copied = plain_copy(data)
    assert copied == copy.deepcopy(data) and types(copied) == types(data)
    assert not set(containers(copied)) & set(containers(data))


def test_other_mappings_become_dicts_and_other_values_stay_shared():
    marker = object()
    mapping = OrderedDict([("a", [1, {"b": marker}])])
    copied = plain_copy(mapping)
    assert type(copied) is dict and copied == {"a": [1, {"b": marker}]} and copied["a"][1]["b"] is marker
    assert copied["a"] is not mapping["a"]
    tup = (1, [2])
    assert plain_copy({"t": tup})["t"] is tup  # not plain data: left as it is, as before
