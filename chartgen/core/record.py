"""Value semantics shared by the generate side's frozen dataclasses, to halve what creating them costs.

`@dataclass(frozen=True)` compiles six methods per class with `exec` when its module is imported; the ~35 classes a
`chartgen new` process imports cost ~13 ms of it (issue 16: `chartgen new` <= 3x `helm create`). Declared as

    @dataclass(frozen=True, eq=False, repr=False)
    class Port(Record):
        ...

a class gets equality, hashing and repr from Record instead, written once: the same behaviour as the generated
methods (same class only; the fields with compare=True, in order; the fields with repr=True), at ~60 % of the
creation cost. tests/core/test_record.py compares them with dataclasses' own.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any


class Record:
    __slots__ = ()

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
