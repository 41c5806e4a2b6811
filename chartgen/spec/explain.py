"""`chartgen values CHART --env E --explain`: each effective setting of an environment and the layer that set it.

The layers are the ones chartgen.spec.loader merges, in order: the settings' defaults (chartgen/spec/settings.py), the
blueprint's defaults, the top level of chartgen.yaml, the environment's profile, the environment's own keys. A
value's layer is the last one that gives it (a map is explained leaf by leaf; a list is one value). chartgen.yaml
layers name the file and line; the others their file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen.core.errors import ChartgenError


@dataclass(frozen=True)
class Explained:
    path: str  # dotted settings path, e.g. "resources.limits.cpu"
    value: Any
    layer: str  # "default", "blueprint", "top-level spec", "profile", "environment"
    source: str  # file[:line]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value, "layer": self.layer, "source": self.source}


@dataclass(frozen=True)
class _Layer:
    name: str
    data: Mapping[str, Any]
    source: str
    lines: Mapping[str, int] | None = None  # field path in the file -> line
    prefix: str = ""  # the layer's path in that file

    def where(self, path: str) -> str:
        if self.lines is None:
            return self.source
        full = f"{self.prefix}.{path}" if self.prefix else path
        while full and full not in self.lines:
            full = full.rpartition(".")[0]
        return f"{self.source}:{self.lines[full]}" if full else self.source


def _leaves(data: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, Mapping) and data:
        for key, value in data.items():
            yield from _leaves(value, f"{path}.{key}" if path else str(key))
    elif path:
        yield path, data


_ABSENT = object()


def _has(data: Mapping[str, Any], path: str) -> bool:
    from chartgen.core.merge import lookup

    return lookup(data, path, _ABSENT) is not _ABSENT


def explain(chart: Path, env: str) -> list[Explained]:
    from chartgen.spec.blueprints import BlueprintLibrary
    from chartgen.spec.loader import SPEC_FILE, _top_settings, load_spec
    from chartgen.spec.settings import CATALOG
    from chartgen.spec.yamlsource import read_yaml

    chart = chart.parent if chart.name == SPEC_FILE else chart
    spec = load_spec(chart)  # validates: an invalid spec is exit 2 before anything is explained
    environment = next((e for e in spec.environments if e.name == env), None)
    if environment is None:
        raise ChartgenError(str(chart / SPEC_FILE), "--env", f"unknown environment {env!r}; allowed: "
                            f"{', '.join(e.name for e in spec.environments)}")
    src = read_yaml(chart / SPEC_FILE)
    library = BlueprintLibrary.default()
    file = str(chart / SPEC_FILE)
    env_data = dict((src.data.get("environments") or {}).get(env) or {})
    layers = [
        _Layer("default", CATALOG.base_layer(), "chartgen/spec/settings.py"),
        _Layer("blueprint", spec.blueprint.defaults, str(spec.blueprint.root / "blueprint.yaml")),
        _Layer("top-level spec", _top_settings(src.data), file, src.lines),
    ]
    if environment.profile:
        layers.append(_Layer(f"profile {environment.profile}", library.profile(environment.profile),
                             str(library.root / "profiles" / f"{environment.profile}.yaml")))
    override = {k: v for k, v in env_data.items() if k not in ("profile", "namespace")}
    layers.append(_Layer(f"environment {env}", override, file, src.lines, f"environments.{env}"))
    out = []
    for path, value in _leaves(environment.settings.raw):  # the effective settings, as chartgen.spec.loader merged them
        setter = next((layer for layer in reversed(layers) if _has(layer.data, path)), layers[0])
        out.append(Explained(path, value, setter.name, setter.where(path)))
    return out


def render(items: list[Explained], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([i.to_dict() for i in items], indent=2, ensure_ascii=False, default=str) + "\n"
    width = max((len(i.path) for i in items), default=0)
    return "".join(f"{i.path.ljust(width)}  {json.dumps(i.value, ensure_ascii=False, default=str)}  "
                   f"<- {i.layer} ({i.source})\n" for i in items)
