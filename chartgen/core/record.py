"""Frozen value classes for the generate and check sides, created without compiling any method.

`@dataclass(frozen=True)` compiles an `__init__`, `__setattr__`, `__delattr__`, `__eq__`, `__hash__` and `__repr__`
per class with `exec` when its module is imported: a third of the CPU of importing the spec modules, which a
`chartgen new` process does (issue 27: `chartgen new` <= 2.5x `helm create`). Declared as

    @record
    class Port(Record):
        name: str
        number: int = 80

a class is a dataclass (fields, `dataclasses.fields`/`replace`/`asdict`, type checking as a frozen dataclass) whose
methods are Record's, written once: the same behaviour as the generated ones (tests/core/test_record.py compares
them with dataclasses' own): `__init__` takes the fields in order, by position or keyword, with their defaults and
default factories, then calls `__post_init__` if the class has one; assigning or deleting an attribute raises
dataclasses.FrozenInstanceError; equality and hashing use the fields with compare=True, in order, between
instances of the same class only; repr shows the fields with repr=True.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, FrozenInstanceError, fields
from typing import Any, TypeVar, dataclass_transform

R = TypeVar("R", bound="type[Record]")


class Record:
    __slots__ = ()
    # (name, default, default factory) of each field __init__ takes, in order: set by @record
    _record_init: tuple[tuple[str, Any, Any], ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        plan = self._record_init
        if len(args) > len(plan):
            raise TypeError(f"{type(self).__qualname__}.__init__() takes {len(plan) + 1} positional arguments but "
                            f"{len(args) + 1} were given")
        put = object.__setattr__
        for (name, _, _), value in zip(plan, args, strict=False):  # len(args) <= len(plan)
            if name in kwargs:
                raise TypeError(f"{type(self).__qualname__}.__init__() got multiple values for argument {name!r}")
            put(self, name, value)
        for name, default, factory in plan[len(args):]:
            if name in kwargs:
                value = kwargs.pop(name)
            elif default is not MISSING:
                value = default
            elif factory is not MISSING:
                value = factory()
            else:
                raise TypeError(f"{type(self).__qualname__}.__init__() missing 1 required positional argument: "
                                f"{name!r}")
            put(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__qualname__}.__init__() got an unexpected keyword argument "
                            f"{next(iter(kwargs))!r}")
        post = getattr(self, "__post_init__", None)
        if post is not None:
            post()

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _compared(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self) if f.compare)  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{type(self).__qualname__}({shown})"


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: R) -> R:
    """Make a Record subclass a frozen dataclass with Record's methods (see the module docstring)."""
    if not issubclass(cls, Record):
        raise TypeError(f"@record needs a Record subclass, not {cls.__qualname__}")
    # init/eq/repr False and not frozen: dataclasses compiles nothing; Record's methods are the class's
    dataclasses.dataclass(init=False, eq=False, repr=False)(cls)
    plan = []
    for f in fields(cls):  # type: ignore[arg-type]
        if not f.init or f.kw_only:
            raise TypeError(f"@record: {cls.__qualname__}.{f.name}: init=False and kw_only fields are not supported")
        plan.append((f.name, f.default, f.default_factory))
    cls._record_init = tuple(plan)
    return cls
