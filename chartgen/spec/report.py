"""Where a settings parser reports what is wrong: one settings layer (the defaults, or one environment).

Parsers call ``report(path, message)`` with the path below the layer (e.g. ``service.ports[0].name``). An
environment reports an error for fields its own text touches (``origin``), and any other error the defaults layer
did not have at that path (its profile, merged over the spec, caused it: it names the profile), so an error in the
top-level spec is not repeated once per environment; ``always=True`` reports it regardless (a requirement the layer
as a whole breaks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from chartgen.core.errors import SpecError, SpecErrors
from chartgen.spec.yamlsource import YamlSource, join


class Report(Protocol):
    def __call__(self, path: str, message: str, *, always: bool = False) -> None: ...


class Collector:
    """Every error of one chartgen.yaml, one per field path, sorted by line when raised."""

    def __init__(self, src: YamlSource):
        self.src = src
        self.errors: list[SpecError] = []
        self.top_level: set[tuple[str, str]] = set()  # (path, message) of the defaults layer, not repeated per env
        self.defaults_paths: set[str] = set()  # paths the defaults layer reported an error at
        self.spell: Callable[[str], str] = str  # an internal path as the file spells it (versions_key.spelled)

    def add(self, path: str, message: str) -> None:
        path = self.spell(path)
        if any(e.path == path for e in self.errors):
            return
        self.errors.append(SpecError(self.src.file, path, message, self.src.line(path)))

    def raise_if_any(self) -> None:
        if self.errors:
            self.errors.sort(key=lambda e: (e.line or 0, e.path or ""))
            raise SpecErrors(self.errors)


class LayerReport:
    """The Report of one layer: paths are prefixed (environments.<env>.) and filtered by what the layer touches."""

    def __init__(self, col: Collector, prefix: str, origin: Mapping[str, Any], profile: str | None = None):
        self.col = col
        self.prefix = prefix
        self.touched = touched_paths(origin)
        self.profile = profile

    def at(self, path: str) -> str:
        return join(self.prefix, path) if self.prefix else path

    def __call__(self, path: str, message: str, *, always: bool = False) -> None:
        if not self.prefix:
            self.col.defaults_paths.add(path)
        if always or not self.prefix or any(_related(t, path) for t in self.touched):
            self.col.add(self.at(path), message)
        elif path not in self.col.defaults_paths:  # not the spec's own error: this environment's profile made it
            self.col.add(self.at(path), f"{message} (with profile {self.profile!r})" if self.profile else message)


def _related(touched: str, path: str) -> bool:
    return touched == path or touched.startswith(path + ".") or touched.startswith(path + "[") or \
        path.startswith(touched)


def touched_paths(origin: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Every field path (maps and list items) that `origin` writes."""
    out = []
    for k, v in origin.items():
        p = join(prefix, k)
        out.append(p)
        if isinstance(v, Mapping):
            out.extend(touched_paths(v, p))
        elif isinstance(v, list):
            for i, item in enumerate(v):
                out.append(join(p, i))
                if isinstance(item, Mapping):
                    out.extend(touched_paths(item, join(p, i)))
    return out
