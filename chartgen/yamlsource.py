"""Read a YAML file into plain data plus a map from field paths to line numbers (for error messages)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgen.errors import SpecError

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlSource:
    file: str
    data: Any
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int | None:
        """Line of `path`, or of its closest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _walk(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            p = join(path, str(k.value))
            lines[p] = k.start_mark.line + 1
            _walk(v, p, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            p = join(path, i)
            lines[p] = v.start_mark.line + 1
            _walk(v, p, lines)


def read_yaml(path: Path, display: str | None = None) -> YamlSource:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(name, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(name, None, f"cannot read: {exc}") from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YamlSource:
    try:
        node = yaml.compose(text, Loader=Loader)
        data = yaml.load(text, Loader=Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SpecError(name, None, f"invalid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise SpecError(name, None, f"invalid YAML: {exc}") from None
    lines: dict[str, int] = {}
    if node is not None:
        _walk(node, "", lines)
    return YamlSource(name, data, lines)
