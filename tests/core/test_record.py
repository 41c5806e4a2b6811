"""chartgen.core.record.Record gives frozen dataclasses the equality, hashing and repr dataclasses itself would generate
(chartgen/core/record.py: it halves what creating the classes costs at start-up)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chartgen.core.record import Record
from chartgen.spec.loader import Settings
from chartgen.spec.service import ServicePort


@dataclass(frozen=True)
class Plain:
    name: str
    port: int = 80
    raw: Any = field(default=None, compare=False, repr=False)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class Shared(Record, Plain):
    """Plain's fields; Record comes first in the MRO, so its methods replace the generated ones."""


@dataclass(frozen=True, eq=False, repr=False)
class Other(Shared):
    """The same fields in another class."""


VALUES = st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 2), st.sampled_from([None, "x"]),
                   st.sampled_from([(), ("t",)]))


@given(a=VALUES, b=VALUES)
def test_equality_and_hash_are_the_generated_ones(a, b):
    assert (Shared(*a) == Shared(*b)) == (Plain(*a) == Plain(*b))
    assert (Shared(*a) != Shared(*b)) == (Plain(*a) != Plain(*b))
    if Plain(*a) == Plain(*b):
        assert hash(Shared(*a)) == hash(Shared(*b))
    assert hash(Shared(*a)) == hash(Plain(*a))  # both hash the tuple of the compared fields


@given(a=VALUES)
def test_repr_is_the_generated_one(a):
    assert repr(Shared(*a)).replace("Shared(", "Plain(") == repr(Plain(*a))


def test_another_class_with_the_same_fields_is_not_equal():
    assert Shared("a") != Other("a") and Shared("a") != ("a", 80, None, ())
    assert Plain("a") != Shared("a")


def test_still_frozen_and_replaceable():
    port = ServicePort(80, 8080)
    with pytest.raises(dataclasses.FrozenInstanceError):
        port.port = 81  # type: ignore[misc]
    assert dataclasses.replace(port, port=81) == ServicePort(81, 8080)
    assert {ServicePort(80, 8080), ServicePort(80, 8080)} == {port}


def test_chartgens_records_leave_raw_settings_out_of_equality():
    assert [f.name for f in dataclasses.fields(Settings) if not f.compare] == ["raw"]
