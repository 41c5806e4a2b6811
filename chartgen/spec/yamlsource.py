"""Read a YAML file into plain data plus a map from field paths to line numbers (for error messages).

Hostile input is refused with one line (SpecError, exit 2): a mapping key given twice (both lines named), aliases
that expand to more than MAX_NODES nodes (an alias bomb is refused in milliseconds: sizes are counted over the
node graph, never by expanding it), nesting deeper than MAX_DEPTH.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from chartgen.core.errors import SpecError
from chartgen.core.record import MutableRecord, mutable_record

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@mutable_record
class YamlSource(MutableRecord):
    """A YAML file read safely: its data and the line of each field."""

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


MAX_NODES = 100_000  # after expanding aliases; a real chartgen.yaml has a few hundred
MAX_DEPTH = 100


def _walk(node: yaml.Node, path: str, lines: dict[str, int], name: str = "") -> None:
    """Record the line of every field path; refuse a key given twice in one mapping (naming both lines)."""
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for k, v in node.value:
            p = join(path, str(k.value))
            line = k.start_mark.line + 1
            if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                if k.value in first:
                    raise SpecError(name, p, f"is given twice (lines {first[k.value]} and {line}); allowed: each "
                                             "key once per mapping", line)
                first[k.value] = line
            lines[p] = line
            _walk(v, p, lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            p = join(path, i)
            lines[p] = v.start_mark.line + 1
            _walk(v, p, lines, name)


def read_yaml(path: Path, display: str | None = None) -> YamlSource:
    name = display or str(path)
    return parse_yaml(read_text(path, name), name)


def read_text(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(name, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(name, None, f"cannot read: {exc}") from None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_shape(node: yaml.Node, name: str) -> None:
    """Refuse alias bombs and deep nesting, in time linear in the number of distinct nodes."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack = [(node, 1)]
    seen: set[int] = set()
    while stack:  # iterative: a deeply nested document must not hit Python's recursion limit
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SpecError(name, None, f"nested more than {MAX_DEPTH} levels deep (line "
                                        f"{current.start_mark.line + 1}); allowed: at most {MAX_DEPTH}",
                            current.start_mark.line + 1)
        if depths.get(id(current), 0) >= depth:
            continue
        depths[id(current)] = depth
        if id(current) not in seen:
            seen.add(id(current))
            order.append(current)
        stack.extend((child, depth + 1) for child in _children(current))
    for current in reversed(order):  # children before parents
        sizes[id(current)] = 1 + sum(sizes.get(id(c), 1) for c in _children(current))
        if sizes[id(current)] > MAX_NODES:
            raise SpecError(name, None, f"expands (through aliases) to more than {MAX_NODES} nodes; allowed: "
                                        f"at most {MAX_NODES} (an alias bomb?)", current.start_mark.line + 1)


def parse_yaml(text: str, name: str) -> YamlSource:
    try:
        loader = Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_shape(node, name)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        raise SpecError(name, None, f"nested too deeply; allowed: at most {MAX_DEPTH} levels") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SpecError(name, None, f"invalid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise SpecError(name, None, f"invalid YAML: {exc}") from None
    lines: dict[str, int] = {}
    if node is not None:
        _walk(node, "", lines, name)
    return YamlSource(name, data, lines)
