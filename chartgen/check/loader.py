"""Read rendered manifests (files, directories, stdin) into Documents, keeping line numbers.

Every document remembers the 1-based line where it starts, the line of every field in it (so findings can point
at the exact line of `spec.ports[0].nodePort`), duplicate mapping keys (reported by rule CG-API-002) and, for a
document that is not a mapping, the YAML type it has instead (reported by rule CG-API-001).

YAML is read the way the API server's YAML-to-JSON step reads it: timestamps stay strings, non-string mapping
keys become strings, `kind: List` documents are expanded into their items.

Limits (input past them is refused with one line, exit 2, before the slow work): at most MAX_TEXT_BYTES (32 MiB)
per file or stdin stream, at most MAX_DOCUMENT_EVENTS (1,000,000) YAML parse events per document (about one per
scalar, mapping or list; a scan that stops at the limit refuses e.g. a Service with a million ports in about a
second, before the costly tree is built; the largest real-world chart renders we measured have ~80,000 in all),
and at most MAX_EXPANDED_NODES (1,000,000) nodes per document counted with aliases expanded (an alias bomb is
refused in time linear in the text). Within them, reading is linear in the size.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chartgen.check.model import Document

PathKey = tuple[str | int, ...]

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_SUFFIXES = (".yaml", ".yml")
MAX_TEXT_BYTES = 32 * 1024 * 1024
MAX_EXPANDED_NODES = 1_000_000
MAX_DOCUMENT_EVENTS = 1_000_000


class InputError(Exception):
    """Input that cannot be read or parsed. str() is one line: `file:line: message` (`file: message` if no line)."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = " ".join(message.split())  # one line, always
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class DuplicateKey:
    path: PathKey  # path of the mapping that holds the key twice
    key: str
    line: int  # 1-based line of the repeated key
    first_line: int  # 1-based line of its first occurrence


@dataclass(frozen=True)
class SourceDocument(Document):
    """A Document as read from YAML: what the loader saw beyond the object itself."""

    duplicate_keys: tuple[DuplicateKey, ...] = field(default=(), compare=False)
    yaml_type: str | None = field(default=None, compare=False)  # set when the document is not a mapping
    lines: Mapping[PathKey, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, path: PathKey) -> int | None:
        """Line of the deepest existing node along `path` (the document start if none)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return self.line


# --- field paths: ("spec", "ports", 0, "name") <-> "spec.ports[0].name" -------------------------------------------

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
_FIELD_TOKEN = re.compile(r"\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[([^\]]*)\]")


def format_path(path: PathKey) -> str:
    """Kubernetes-style field path: spec.ports[0].name, metadata.labels[app.kubernetes.io/name]."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{part}]")
    return "".join(out)


def parse_field(text: str) -> PathKey:
    """Inverse of format_path (best effort: `[3]` is read as an index)."""
    out: list[str | int] = []
    pos = 0
    while pos < len(text):
        m = _FIELD_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        if m.group(1) is not None:
            out.append(m.group(1))
        else:
            inner = m.group(2)
            out.append(int(inner) if inner.isdigit() else inner)
        pos = m.end()
    return tuple(out)


# --- YAML ------------------------------------------------------------------------------------------------------


def _key_text(value: Any) -> Any:
    """Mapping keys as the YAML-to-JSON conversion makes them: strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return value  # complex keys: left alone, the schema reports them


class _ManifestLoader(_BaseLoader):  # type: ignore[misc, valid-type, unused-ignore]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if all(type(k) is str for k in mapping):
            return mapping
        return {_key_text(k): v for k, v in mapping.items()}


def _construct_as_text(loader: yaml.BaseLoader, node: yaml.Node) -> str:
    return str(node.value)


# A YAML timestamp (2024-01-01) is a string to Kubernetes; `=` is a plain string too (pyyaml issue 89).
_ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_as_text)
_ManifestLoader.add_constructor("tag:yaml.org,2002:value", _construct_as_text)
# `<<` as a value (not a merge key) is the string "<<" to Kubernetes' YAML reader.
_ManifestLoader.add_constructor("tag:yaml.org,2002:merge", _construct_as_text)


def _walk(node: yaml.Node) -> tuple[dict[PathKey, int], list[DuplicateKey]]:
    """Line of every node by path, and duplicate keys; aliased nodes are walked once."""
    lines: dict[PathKey, int] = {}
    dups: list[DuplicateKey] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, PathKey]] = [(node, ())]
    while stack:
        current, path = stack.pop()
        lines[path] = current.start_mark.line + 1
        if id(current) in seen:
            continue
        seen.add(id(current))
        children: list[tuple[yaml.Node, PathKey]] = []
        if isinstance(current, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in current.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = key_node.value
                key_line = key_node.start_mark.line + 1
                if key in first:
                    dups.append(DuplicateKey(path, key, key_line, first[key]))
                else:
                    first[key] = key_line
                children.append((value_node, path + (key,)))
        elif isinstance(current, yaml.SequenceNode):
            children = [(item, path + (i,)) for i, item in enumerate(current.value)]
        stack.extend(reversed(children))  # popped in document order: a repeated key's last value wins
    dups.sort(key=lambda d: d.line)
    return lines, dups


def _yaml_error(source: str, err: yaml.YAMLError) -> InputError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(err, "problem", None)
    context = getattr(err, "context", None)
    if problem:
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    else:
        message = f"invalid YAML: {err}"
    return InputError(source, line, message)


def _sub_lines(lines: Mapping[PathKey, int], prefix: PathKey) -> dict[PathKey, int]:
    n = len(prefix)
    return {p[n:]: ln for p, ln in lines.items() if p[:n] == prefix}


def _documents_from_node(obj: Any, node: yaml.Node, source: str, start_index: int) -> list[SourceDocument]:
    lines, dups = _walk(node)
    line = node.start_mark.line + 1
    if not isinstance(obj, dict):
        return [SourceDocument({}, source, start_index, line, tuple(dups), type(obj).__name__, lines)]
    items = obj.get("items")
    if obj.get("kind") == "List" and isinstance(items, list):
        out: list[SourceDocument] = []
        for i, item in enumerate(items):
            prefix: PathKey = ("items", i)
            item_lines = _sub_lines(lines, prefix)
            item_dups = tuple(DuplicateKey(d.path[2:], d.key, d.line, d.first_line)
                              for d in dups if d.path[:2] == prefix)
            item_line = lines.get(prefix, line)
            if isinstance(item, dict):
                out.append(SourceDocument(item, source, start_index + i, item_line, item_dups, None, item_lines))
            else:
                out.append(SourceDocument({}, source, start_index + i, item_line, item_dups,
                                          type(item).__name__, item_lines))
        return out
    return [SourceDocument(obj, source, start_index, line, tuple(dups), None, lines)]


def _too_big(size: int, source: str) -> InputError:
    return InputError(source, None, f"is {size / 1048576:.1f} MiB; chartgen check reads at most "
                                    f"{MAX_TEXT_BYTES // 1048576} MiB per file: split the manifests into several files")


def _expanded_size(node: yaml.Node) -> int:
    """Number of nodes with aliases expanded, computed over the node graph (linear in its distinct nodes)."""
    sizes: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in sizes:
            continue
        sizes[id(current)] = 1
        order.append(current)
        if isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in current.value for n in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    for current in reversed(order):
        if isinstance(current, yaml.MappingNode):
            children = [n for pair in current.value for n in pair]
        elif isinstance(current, yaml.SequenceNode):
            children = current.value
        else:
            continue
        sizes[id(current)] = min(1 + sum(sizes[id(c)] for c in children), MAX_EXPANDED_NODES + 1)
    return sizes[id(node)]


def _count_events(text: str, source: str) -> None:
    """Refuse a document with more than MAX_DOCUMENT_EVENTS parse events, before composing anything."""
    scanner = _BaseLoader(text)
    count, index = 0, 0
    try:
        while scanner.check_event():
            event = scanner.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                count, index = 0, index + 1
            count += 1
            if count > MAX_DOCUMENT_EVENTS:
                raise InputError(source, event.start_mark.line + 1,
                                 f"document {index} is too large: more than {MAX_DOCUMENT_EVENTS} YAML nodes; "
                                 f"chartgen check reads at most that many per document")
    except yaml.YAMLError:
        return  # reported with its line by the real read
    finally:
        scanner.dispose()


def load_text(text: str, source: str = "-") -> list[Document]:
    """All documents of one YAML stream; empty and null documents are skipped (they keep their index slot)."""
    # Building the tree allocates millions of objects and no garbage cycles: the cyclic collector's full passes
    # over every live object would only make big inputs slower than linear (about 30% at 80,000 ports).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_text(text, source)
    finally:
        if enabled:
            gc.enable()


def _load_text(text: str, source: str) -> list[Document]:
    if len(text) > MAX_TEXT_BYTES:
        raise _too_big(len(text.encode("utf-8", "replace")), source)
    if len(text) > MAX_DOCUMENT_EVENTS:  # every event takes at least one character: shorter text is within it
        _count_events(text, source)
    may_alias = "*" in text  # without an alias, a document's size is bounded by the event limit
    loader = _ManifestLoader(text)
    docs: list[Document] = []
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if may_alias and _expanded_size(node) > MAX_EXPANDED_NODES:
                raise InputError(source, node.start_mark.line + 1, f"document {index + 1} has more than "
                                 f"{MAX_EXPANDED_NODES} YAML nodes once aliases are expanded; chartgen check reads "
                                 "at most that many per document (an alias bomb?)")
            obj = loader.construct_document(node)
            if obj is None:
                index += 1
                continue
            produced = _documents_from_node(obj, node, source, index)
            docs.extend(produced)
            index += max(1, len(produced))
    except yaml.YAMLError as err:
        error = _yaml_error(source, err)
        last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
        if error.line is not None and error.line > max(last_line, 1):  # "unexpected end of stream"
            error = InputError(source, max(last_line, 1), error.message)
        raise error from None
    finally:
        loader.dispose()
    return docs


def _expand(path_text: str) -> Iterator[Path]:
    path = Path(path_text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        if not files:
            raise InputError(path_text, None, "no *.yaml or *.yml files in this directory")
        yield from files
    elif path.exists():
        yield path
    else:
        raise InputError(path_text, None, "no such file or directory")


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise _too_big(size, str(path))
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(str(path), None, f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise InputError(str(path), None, f"cannot read: {err.strerror or err}") from None


def load_paths(paths: list[str], stdin_text: str | None = None) -> list[Document]:
    """Documents of every file named (directories recursively, `-` for stdin_text), in the order given."""
    docs: list[Document] = []
    seen: set[Path | str] = set()  # a file named twice (or inside a named directory too) is read once
    for path_text in paths:
        if path_text == "-":
            if "-" not in seen:
                seen.add("-")
                docs.extend(load_text(stdin_text or "", "-"))
            continue
        for path in _expand(path_text):
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                docs.extend(load_text(_read(path), str(path)))
    return docs
