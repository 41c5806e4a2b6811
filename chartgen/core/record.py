"""Value classes for the generate, check and verify sides, created without compiling any method.

`@dataclass` compiles an `__init__`, `__eq__` and `__repr__` per class with `exec` when its module is imported (and,
frozen, a `__setattr__`, `__delattr__` and `__hash__`): ~0.7 ms per class, ~1.3 ms frozen, on the start-up path of
every process (a cold `chartgen verify` of one chart created ~50 such classes: ~50 ms of CPU; issue 27). Declared as

    @record                              @mutable_record
    class Port(Record):                  class Result(MutableRecord):
        name: str                            chart: str
        number: int = 80                     findings: list[str] = field(default_factory=list)

a class is a dataclass (fields, `dataclasses.fields`/`replace`/`asdict`, type checking as a dataclass, frozen for
@record) whose methods are written once, here: the same behaviour as the generated ones (tests/core/test_record.py
compares them with dataclasses' own): `__init__` takes the fields in order, by position or keyword, with their
defaults and default factories, then calls `__post_init__` if the class has one; equality uses the fields with
compare=True, in order, between instances of the same class only; repr shows the fields with repr=True. A Record is
frozen (assigning or deleting an attribute raises dataclasses.FrozenInstanceError) and hashes the compared fields; a
MutableRecord is not hashable, as a dataclass with eq and without frozen. Fields with init=False or kw_only, and
subclasses that add fields without the decorator, are refused or unsupported: use @dataclass for those.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, FrozenInstanceError, fields
from operator import attrgetter
from typing import Any, ClassVar, TypeVar, dataclass_transform

R = TypeVar("R", bound="type[Record]")
M = TypeVar("M", bound="type[MutableRecord]")


def _no_fields(_: object) -> tuple[()]:
    return ()


class _Fields:
    __slots__ = ()
    # set by the decorator, per class: (name, default, default factory) of each field __init__ takes, in order; the
    # names alone; the compared fields' values as a tuple; the fields repr shows; whether __post_init__ exists
    _record_init: ClassVar[tuple[tuple[str, Any, Any], ...]] = ()
    _record_names: ClassVar[tuple[str, ...]] = ()
    _record_key: ClassVar[Any] = None
    _record_repr: ClassVar[tuple[str, ...]] = ()
    _record_post: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self._record_names
        values = self.__dict__
        if not kwargs and len(args) == len(names):
            values.update(zip(names, args, strict=True))
        else:
            plan = self._record_init
            if len(args) > len(plan):
                raise TypeError(f"{type(self).__qualname__}.__init__() takes {len(plan) + 1} positional arguments "
                                f"but {len(args) + 1} were given")
            for name, value in zip(names, args, strict=False):  # len(args) <= len(plan)
                if name in kwargs:
                    raise TypeError(f"{type(self).__qualname__}.__init__() got multiple values for argument "
                                    f"{name!r}")
                values[name] = value
            for name, default, factory in plan[len(args):]:
                if name in kwargs:
                    values[name] = kwargs.pop(name)
                elif default is not MISSING:
                    values[name] = default
                elif factory is not MISSING:
                    values[name] = factory()
                else:
                    raise TypeError(f"{type(self).__qualname__}.__init__() missing 1 required positional argument: "
                                    f"{name!r}")
            if kwargs:
                raise TypeError(f"{type(self).__qualname__}.__init__() got an unexpected keyword argument "
                                f"{next(iter(kwargs))!r}")
        if self._record_post:
            self.__post_init__()  # type: ignore[attr-defined]

    def _compared(self) -> tuple[Any, ...]:
        key = self._record_key
        if key is None:  # Record's methods on a class the decorator did not prepare (a plain dataclass subclass)
            return tuple(getattr(self, f.name) for f in fields(self) if f.compare)  # type: ignore[arg-type]
        return key(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = self._record_key
        if key is None:
            return self._compared() == other._compared()
        return key(self) == key(other)

    def __repr__(self) -> str:
        names = self._record_repr if self._record_key is not None else \
            tuple(f.name for f in fields(self) if f.repr)  # type: ignore[arg-type]
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"


class Record(_Fields):
    """A frozen value (see the module docstring)."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        key = self._record_key
        return hash(self._compared() if key is None else key(self))


class MutableRecord(_Fields):
    """A value whose fields may be assigned (see the module docstring); not hashable."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]


def _prepare(cls: type[_Fields]) -> None:
    if cls.__dict__.get("__doc__") is None:  # else dataclasses writes one from inspect.signature: a third of the work
        cls.__doc__ = f"{cls.__name__}({', '.join(cls.__dict__.get('__annotations__', {}))})"
    # init/eq/repr False and not frozen: dataclasses compiles nothing; the class's methods are _Fields' and its base's
    dataclasses.dataclass(init=False, eq=False, repr=False)(cls)
    declared = fields(cls)  # type: ignore[arg-type]
    for f in declared:
        if not f.init or f.kw_only:
            raise TypeError(f"@record: {cls.__qualname__}.{f.name}: init=False and kw_only fields are not supported")
    compared = [f.name for f in declared if f.compare]
    cls._record_init = tuple((f.name, f.default, f.default_factory) for f in declared)
    cls._record_names = tuple(f.name for f in declared)
    cls._record_repr = tuple(f.name for f in declared if f.repr)
    cls._record_post = hasattr(cls, "__post_init__")
    if len(compared) == 1:  # attrgetter of one name returns the value, not a tuple of it
        one = attrgetter(compared[0])
        cls._record_key = lambda self: (one(self),)
    else:
        cls._record_key = attrgetter(*compared) if compared else _no_fields


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: R) -> R:
    """Make a Record subclass a frozen dataclass with Record's methods (see the module docstring)."""
    if not issubclass(cls, Record):
        raise TypeError(f"@record needs a Record subclass, not {cls.__qualname__}")
    _prepare(cls)
    return cls


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def mutable_record(cls: M) -> M:
    """Make a MutableRecord subclass a dataclass with MutableRecord's methods (see the module docstring)."""
    if not issubclass(cls, MutableRecord):
        raise TypeError(f"@mutable_record needs a MutableRecord subclass, not {cls.__qualname__}")
    _prepare(cls)
    return cls
