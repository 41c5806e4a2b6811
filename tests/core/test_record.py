"""chartgen.core.record: a @record class behaves as the frozen dataclass dataclasses itself would generate
(construction, defaults, factories, __post_init__, frozenness, equality, hashing, repr, replace, pickling), and a
@mutable_record class as the plain (mutable, unhashable) one, without compiling any method per class
(chartgen/core/record.py: start-up)."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chartgen.core.record import MutableRecord, Record, mutable_record, record
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


@dataclass(frozen=True)
class Made:
    name: str
    port: int = 80
    tags: list[str] = field(default_factory=list)
    raw: Any = field(default=None, compare=False, repr=False)


@record
class Rec(Record):
    name: str
    port: int = 80
    tags: list[str] = field(default_factory=list)
    raw: Any = field(default=None, compare=False, repr=False)


CALLS = [((), {}), (("a",), {}), (("a", 81), {}), (("a", 81, ["t"], 1), {}), ((), {"name": "a"}),
         (("a",), {"raw": 2, "port": 9}), (("a", 1, [], None, 5), {}), (("a",), {"name": "b"}),
         (("a",), {"colour": 1}), ((), {"port": 1}), (("a", 1), {"port": 2})]


def outcome(cls: type, args: tuple, kwargs: dict) -> tuple:
    try:
        made = cls(*args, **kwargs)
    except TypeError:  # missing, repeated, unexpected or too many arguments
        return ("TypeError",)
    return ("made", made.name, made.port, made.tags, made.raw, repr(made).split("(", 1)[1])


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_construction_is_the_generated_init(args, kwargs):
    assert outcome(Rec, args, kwargs) == outcome(Made, args, kwargs)


def test_default_factories_make_a_new_value_per_instance():
    a, b = Rec("a"), Rec("b")
    assert a.tags == [] and a.tags is not b.tags


def test_a_record_is_frozen_and_a_dataclass():
    rec = Rec("a", raw={"k": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.name = "b"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.other = 1  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del rec.name  # type: ignore[misc]
    assert dataclasses.is_dataclass(Rec) and [f.name for f in dataclasses.fields(Rec)] == ["name", "port", "tags",
                                                                                              "raw"]
    assert dataclasses.replace(rec, port=9) == Rec("a", 9) and dataclasses.replace(rec, port=9).raw == {"k": 1}
    assert dataclasses.asdict(rec) == dataclasses.asdict(Made("a", raw={"k": 1}))
    again = pickle.loads(pickle.dumps(rec))
    assert again == rec and again.raw == {"k": 1} and type(again) is Rec
    assert Rec("a") == Rec("a", raw=5) and hash(Rec("a", tags=())) == hash(Rec("a", tags=(), raw=5))  # type: ignore[arg-type]
    assert Rec.__match_args__ == Made.__match_args__


def test_post_init_runs_after_the_fields_are_set():
    seen = []

    @record
    class Checked(Record):
        port: int = 1

        def __post_init__(self) -> None:
            seen.append(self.port)

    Checked(5)
    Checked()
    assert seen == [5, 1]


def test_subclasses_add_fields_after_their_bases():
    @record
    class Sub(Rec):
        extra: int = 0

    assert outcome(Sub, ("a", 1, [], None, 7), {})[:5] == ("made", "a", 1, [], None)
    assert Sub("a", extra=3).extra == 3 and Sub("a") != Rec("a")


def test_unsupported_declarations_are_refused():
    with pytest.raises(TypeError, match="Record subclass"):
        record(Made)  # type: ignore[type-var]
    with pytest.raises(TypeError, match="init=False"):
        @record
        class Hidden(Record):
            cached: int = field(default=0, init=False)


def test_chartgens_records_compile_no_method():
    from chartgen.spec.istio_settings import IstioSettings
    from chartgen.spec.service import ServicePort

    for cls in (Settings, ServicePort, IstioSettings):
        assert "__init__" not in vars(cls) and "__setattr__" not in vars(cls) and "__eq__" not in vars(cls)


@dataclass
class MadeMutable:
    name: str
    port: int = 80
    tags: list[str] = field(default_factory=list)
    raw: Any = field(default=None, compare=False, repr=False)


@mutable_record
class MutRec(MutableRecord):
    name: str
    port: int = 80
    tags: list[str] = field(default_factory=list)
    raw: Any = field(default=None, compare=False, repr=False)


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_mutable_construction_is_the_generated_init(args, kwargs):
    assert outcome(MutRec, args, kwargs) == outcome(MadeMutable, args, kwargs)


MUTABLE_VALUES = st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 2), st.sampled_from([[], ["t"]]),
                           st.sampled_from([None, "x"]))


@given(a=MUTABLE_VALUES, b=MUTABLE_VALUES)
def test_mutable_equality_and_repr_are_the_generated_ones(a, b):
    assert (MutRec(*a) == MutRec(*b)) == (MadeMutable(*a) == MadeMutable(*b))
    assert (MutRec(*a) != MutRec(*b)) == (MadeMutable(*a) != MadeMutable(*b))
    assert repr(MutRec(*a)).replace("MutRec(", "MadeMutable(") == repr(MadeMutable(*a))


def test_a_mutable_record_is_assignable_unhashable_and_a_dataclass():
    rec = MutRec("a")
    rec.port = 9
    rec.tags.append("t")
    assert rec == MutRec("a", 9, ["t"]) and rec != MadeMutable("a", 9, ["t"])
    assert MutRec.__hash__ is None and MadeMutable.__hash__ is None
    with pytest.raises(TypeError, match="unhashable"):
        hash(rec)
    del rec.raw
    assert "raw" not in vars(rec)
    assert dataclasses.is_dataclass(MutRec) and dataclasses.replace(MutRec("a"), port=2) == MutRec("a", 2)
    assert dataclasses.asdict(MutRec("a", raw=1)) == dataclasses.asdict(MadeMutable("a", raw=1))
    assert pickle.loads(pickle.dumps(MutRec("a", 3))) == MutRec("a", 3)
    with pytest.raises(TypeError, match="MutableRecord subclass"):
        mutable_record(Rec)  # type: ignore[type-var]
    with pytest.raises(TypeError, match="Record subclass"):
        record(MutRec)  # type: ignore[type-var]


def test_a_class_may_keep_identity_equality():
    from chartgen.check.loader import DocumentSpan

    assert DocumentSpan.__eq__ is object.__eq__ and DocumentSpan.__hash__ is object.__hash__
    assert (DocumentSpan.__doc__ or "").startswith("Characters [start, end)")  # its own docstring, kept
    assert dataclasses.fields(DocumentSpan)  # a dataclass with fields, compared by identity as @dataclass(eq=False) did


def test_a_record_without_a_docstring_names_its_fields():
    @record
    class Bare(Record):
        name: str
        port: int = 80

    assert Bare.__doc__ == "Bare(name, port)" and Rec.__doc__ == "Rec(name, port, tags, raw)"
    assert MutRec.__doc__ == "MutRec(name, port, tags, raw)"
