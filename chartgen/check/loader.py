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
import hashlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import yaml

from chartgen.check.manifest_blocks import Block, DocumentLayout, split_blocks
from chartgen.check.model import Document
from chartgen.core.record import Record, record

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


@record
class DuplicateKey(Record):
    path: PathKey  # path of the mapping that holds the key twice
    key: str
    line: int  # 1-based line of the repeated key
    first_line: int  # 1-based line of its first occurrence


@record
class SourceDocument(Document):
    """A Document as read from YAML: what the loader saw beyond the object itself."""

    duplicate_keys: tuple[DuplicateKey, ...] = field(default=(), compare=False)
    yaml_type: str | None = field(default=None, compare=False)  # set when the document is not a mapping
    lines: Mapping[PathKey, int] = field(default_factory=dict, compare=False, repr=False)
    span: DocumentSpan | None = field(default=None, compare=False, repr=False)  # where to re-read it for lines

    def line_of(self, path: PathKey) -> int | None:
        """Line of the deepest existing node along `path` (the document start if none)."""
        return self.lines_of([path])[path]

    def lines_of(self, paths: Iterable[PathKey]) -> dict[PathKey, int | None]:
        """line_of for several paths at once (a document read lazily is read again once for all of them)."""
        wanted = list(paths)
        if self.span is not None:
            found = self.span.lines_of(wanted)
            if found is not None:
                return dict(found)
            return {path: self.line for path in wanted}
        return {path: self._eager_line(path) for path in wanted}

    def _eager_line(self, path: PathKey) -> int | None:
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return self.line


class TextSource:
    """The text documents came from. A file's text is not kept: it is read again (once per document, and only
    when a finding needs a field's line); text given directly (stdin, check_text) is kept."""

    def __init__(self, name: str, text: str, *, reread: bool) -> None:
        self.name = name
        self.size = len(text)
        self._text = None if reread else text

    def text(self) -> str | None:
        if self._text is not None:
            return self._text
        text = _reread(self.name)
        return text if text is not None and len(text) == self.size else None  # changed since: no lines


@lru_cache(maxsize=2)  # the documents of one file are refined one after another
def _reread(name: str) -> str | None:  # emptied by forget_texts() once the lines are found
    try:
        return _read(Path(name))
    except InputError:
        return None


def forget_texts() -> None:
    """Drop the files read again for lines, and the lines found."""
    _reread.cache_clear()
    _relative_lines.clear()


@record
class DocumentSpan(Record):
    """Characters [start, end) of the stream (start at the beginning of a line, `first_line` 0-based). `by_entries`:
    the document was read entry by entry (chartgen.check.manifest_blocks), so a field's line can be found in its
    top-level entry alone, and equal entries of other documents (a CRD's spec in every copy) answer for it."""

    __eq__ = object.__eq__  # identity, as @dataclass(eq=False) had it
    __hash__ = object.__hash__

    source: TextSource
    start: int
    end: int
    first_line: int
    by_entries: bool = False

    def lines_of(self, paths: Iterable[PathKey]) -> dict[PathKey, int] | None:
        """1-based line of the deepest existing node along each path (one read of the document for all of them);
        None when the text cannot be read again."""
        text = self.source.text()
        if text is None:
            return None
        segment = text[self.start:self.end]
        wanted = list(paths)
        known = _entry_lines(segment, wanted) if self.by_entries else {}
        missing = [path for path in wanted if path not in known]
        if missing:  # paths outside the entries (the document itself, a key it lacks), or not read by entries
            digest = hashlib.blake2b(segment.encode(), digest_size=16).digest()
            for path in missing:
                line = _relative_lines.get((digest, path))
                if line is not None:
                    known[path] = line
            missing = [path for path in missing if path not in known]
        if missing:  # not answered for an equal document (plain copies) before
            events = _events_of(segment)
            if events is None:
                return None
            after = _node_ends(events)
            for path in missing:
                known[path] = _relative_lines[(digest, path)] = _line_at(events, after, path)
        return {path: line + 1 + self.first_line for path, line in known.items()}


def _entry_lines(segment: str, paths: list[PathKey]) -> dict[PathKey, int]:
    """0-based lines in `segment` (one document of the simple shape) of the paths that start with one of its
    top-level keys, each found in that entry's text alone (and once per distinct entry text)."""
    layout = split_blocks(segment)
    docs = [doc for doc in layout or () if doc is not None]
    if len(docs) != 1:
        return {}
    blocks = {b.key: b for b in docs[0].blocks}
    parsed: dict[str, tuple[list[Any], list[int]] | None] = {}
    out = {}
    for path in paths:
        b = blocks.get(path[0]) if path and isinstance(path[0], str) else None
        if b is None:
            continue
        piece = segment[b.start:b.end]
        key = (_block_id(piece), path)
        line = _relative_lines.get(key)
        if line is None:
            if b.key not in parsed:
                events = _events_of(piece)
                parsed[b.key] = None if events is None else (events, _node_ends(events))
            found = parsed[b.key]
            if found is None:
                continue
            line = _relative_lines[key] = _line_at(found[0], found[1], path)
        out[path] = segment.count("\n", 0, b.start) + line
    return out


_relative_lines: dict[tuple[Any, PathKey], int] = {}  # (document or entry text id, path) -> 0-based line in it


def _events_of(segment: str) -> list[Any] | None:
    from yaml._yaml import CParser

    parser = CParser(segment)
    get_event, end = parser.get_event, yaml.StreamEndEvent
    events: list[Any] = []
    try:
        while True:
            event = get_event()
            events.append(event)
            if type(event) is end:
                return events
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()


_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _node_ends(events: list[Any]) -> list[int]:
    """For every event that starts a node: the index just after that node."""
    after = [0] * len(events)
    open_at: list[int] = []
    for i, event in enumerate(events):
        if isinstance(event, _OPEN):
            open_at.append(i)
        elif isinstance(event, _CLOSE):
            after[open_at.pop()] = i + 1
        else:
            after[i] = i + 1
    return after


def _line_at(events: list[Any], after: list[int], path: PathKey) -> int:
    """0-based line of the deepest node along `path` in the first document of `events`."""
    i = 0
    while not isinstance(events[i], yaml.NodeEvent):
        i += 1
    line: int = events[i].start_mark.line
    for part in path:
        event = events[i]
        j = i + 1
        if isinstance(event, yaml.MappingStartEvent) and isinstance(part, str):
            while not isinstance(events[j], yaml.MappingEndEvent):
                key = events[j]
                value = after[j]
                if isinstance(key, yaml.ScalarEvent) and key.value == part:
                    break  # spans hold no repeated keys: the first match is the one
                j = after[value]
            else:
                return line
            i = value
        elif isinstance(event, yaml.SequenceStartEvent) and isinstance(part, int) and part >= 0:
            for _ in range(part):
                if isinstance(events[j], yaml.SequenceEndEvent):
                    return line
                j = after[j]
            if isinstance(events[j], yaml.SequenceEndEvent):
                return line
            i = j
        else:
            return line
        line = events[i].start_mark.line
    return line

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


# --- the fast path: documents built straight from libyaml's events ------------------------------------------------
#
# Plain manifests (no anchors, aliases, explicit tags, merge keys, non-string or repeated keys, `kind: List`) are
# built from the C parser's events in one pass: no node tree, no per-node line map. A document keeps the span of
# text it came from; DocumentSpan.line_of re-reads that one document when a finding needs a field's line. Anything
# else (and any YAML error) is read by the node-tree path below, which has always handled it.

_Events = yaml.events
_PLAIN_CACHE_MAX = 200_000
_subtrees: dict[tuple[int, int, bytes], Any] = {}  # top-level values by their text, while one input is read
_reading = 0  # nesting of load_paths/load_text calls: the outermost one empties _subtrees
_plain_values: dict[str, Any] = {}  # plain scalar text -> its value (and one shared str object per text)
_strings: dict[str, str] = {}  # quoted and block scalars: one shared str object per text
_constructor = _ManifestLoader("")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Unusual(Exception):
    """The stream needs the node-tree path."""


def _plain(value: str) -> Any:
    """The value of a plain scalar, as SafeLoader (with the manifest constructors above) makes it."""
    tag = _constructor.resolve(yaml.ScalarNode, value, (True, False))
    if tag == _MERGE_TAG:
        raise _Unusual
    result = _constructor.construct_document(yaml.ScalarNode(tag, value))
    if len(_plain_values) >= _PLAIN_CACHE_MAX:
        _plain_values.clear()
    _plain_values[value] = result
    return result


def _shared(value: str) -> str:
    if len(_strings) >= _PLAIN_CACHE_MAX:
        _strings.clear()
    return _strings.setdefault(value, value)


def _fast_documents(text: str, source: str, reread: bool) -> list[Document]:
    """All documents of the stream from the event stream; raises _Unusual when the node-tree path is needed."""
    holder = TextSource(source, text, reread=reread)
    layout = split_blocks(text)
    if layout is not None:
        docs = _block_documents(text, layout, holder, source)
        if docs is not None:
            return docs
    return [_fast_document(root, DocumentSpan(holder, start, end, first_line), line + 1, source, slot)
            for root, start, end, first_line, line, slot, _ in _parse_roots(text, source)]


def _parse_roots(text: str, source: str) -> list[RawDocument]:
    from yaml._yaml import CParser  # present whenever libyaml is (yaml.__with_libyaml__)

    parser = CParser(text)
    try:
        return _build(parser.get_event, text, source)
    except yaml.YAMLError:
        raise _Unusual from None
    finally:
        parser.dispose()


# --- equal top-level entries parsed once ----------------------------------------------------------------------------
#
# The same CRDs, specs and metadata come back in every chart, environment and copy of one CI run. A stream of the
# simple shape (chartgen.check.manifest_blocks) is cut into its top-level entries by its column-0 lines; only the
# entries not read before are parsed, all of one stream in one parse (each document's new entries as one document),
# and the keys found must be exactly the entries' keys, else the stream takes the path above.

_blocks: dict[Any, tuple[str, Any, int]] = {}  # an entry's text (or its length and digest) -> (key, value, its
_SHORT_BLOCK = 256  # parse events), while one input is read; entries longer than this are known by their digest


def _block_id(piece: str) -> Any:
    if len(piece) <= _SHORT_BLOCK:
        return piece
    return len(piece), hashlib.blake2b(piece.encode(), digest_size=16).digest()


def _block_documents(text: str, layout: list[DocumentLayout | None], holder: TextSource,
                     source: str) -> list[Document] | None:
    """The documents of a stream of the simple shape, each entry parsed once per input; None when the parse does
    not confirm the layout (the caller then parses the whole stream)."""
    known = _blocks  # shared by the streams of one input; only looked up and added to here (threads may read too)
    entries: dict[Any, tuple[str, Any, int] | None] = {}  # this stream's entries (None: to parse)
    rows: list[list[Any]] = []  # the entry ids of every document
    missing: list[list[tuple[Any, Block]]] = []  # per document: its entries not read before
    for doc in layout:
        if doc is None:
            continue
        row, new = [], []
        for b in doc.blocks:
            bid = _block_id(text[b.start:b.end])
            row.append(bid)
            if bid not in entries:
                entries[bid] = known.get(bid)
                if entries[bid] is None:
                    new.append((bid, b))
        rows.append(row)
        if new:
            missing.append(new)
    if missing:
        try:
            roots = _parse_roots("---\n".join("".join(text[b.start:b.end] for _, b in new) for new in missing),
                                 source)
        except (_Unusual, InputError):  # an error or a refusal is worded with the lines of the whole stream
            return None
        if len(roots) != len(missing):
            return None
        found: dict[Any, tuple[str, Any, int]] = {}
        for (root, *_, marks), new in zip(roots, missing, strict=True):
            if type(root) is not dict or list(root) != [b.key for _, b in new]:
                return None  # e.g. a quoted scalar running across a column-0 line: not the simple shape after all
            found.update((bid, (b.key, root[b.key], marks[i + 1] - marks[i])) for i, (bid, b) in enumerate(new))
        entries.update(found)
        known.update(found)
    docs: list[Document] = []
    slots = (slot for slot, doc in enumerate(layout) if doc is not None)
    for slot, doc, row in zip(slots, (d for d in layout if d is not None), rows, strict=True):
        parts = [entries[bid] for bid in row]
        if 4 + sum(part[2] for part in parts if part is not None) > MAX_DOCUMENT_EVENTS:
            return None  # the whole-stream parse refuses it, with the line where the limit is passed
        obj = {part[0]: part[1] for part in parts if part is not None}  # (every part is set by now)
        docs.append(_fast_document(obj, DocumentSpan(holder, doc.start, doc.end, doc.first_line, True),
                                   doc.line + 1, source, slot))
    return docs


# (root value, start, end, first line, root node's line, slot, event count at each top-level key and at the end)
RawDocument = tuple[Any, int, int, int, int, int, list[int]]


def _build(get_event: Any, text: str, source: str) -> list[RawDocument]:  # noqa: C901 (one tight loop, on purpose)
    ScalarEvent, MappingStartEvent, MappingEndEvent = _Events.ScalarEvent, _Events.MappingStartEvent, \
        _Events.MappingEndEvent
    SequenceStartEvent, SequenceEndEvent = _Events.SequenceStartEvent, _Events.SequenceEndEvent
    DocumentStartEvent, StreamEndEvent = _Events.DocumentStartEvent, _Events.StreamEndEvent
    plain_values, plain, shared, subtrees, digest = _plain_values, _plain, _shared, _subtrees, hashlib.blake2b
    root_column = 0
    limit = MAX_DOCUMENT_EVENTS
    no_key = _NO_KEY
    docs: list[RawDocument] = []
    index = 0  # document slot in the stream
    number = 0  # 1-based document number, for the limit's message
    count = 0
    # the open containers: (container, pending key of a mapping or no_key); root is the finished document value
    stack: list[list[Any]] = []
    marks: list[int] = []
    root: Any = None
    doc_start = doc_start_line = doc_line = 0
    first = False
    while True:
        event = get_event()
        count += 1
        if count > limit:
            raise InputError(source, event.start_mark.line + 1,
                             f"document {number} is too large: more than {limit} YAML nodes; "
                             f"chartgen check reads at most that many per document")
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Unusual
            value = event.value
            if event.implicit[0]:
                try:
                    value = plain_values[value]
                except KeyError:
                    value = plain(value)
            else:
                value = shared(value)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None:
                raise _Unusual
            if first:
                doc_line, first = event.start_mark.line, False
            if stack and stack[-1][1] is no_key and type(stack[-1][0]) is dict:
                raise _Unusual  # a mapping or list as a key
            frame: list[Any] = [{} if kind is MappingStartEvent else [], no_key]
            if len(stack) == 1:  # a value of the document's top level: spec, metadata, data...
                mark = event.start_mark
                frame += (mark.index, mark.column)
            elif not stack:
                root_column = event.start_mark.column
            stack.append(frame)
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            frame = stack.pop()
            value = frame[0]
            if len(frame) > 2:  # the same text at the same place reads as the same value: keep one of them
                key = (root_column, frame[3], digest(text[frame[2]:event.end_mark.index].encode(), digest_size=16)
                       .digest())
                value = subtrees.setdefault(key, value)
        elif kind is DocumentStartEvent:
            count, number, first, marks = 1, number + 1, True, []
            mark = event.start_mark
            doc_start, doc_start_line = mark.index - mark.column, mark.line
            continue
        elif kind is _Events.DocumentEndEvent:
            if root is not None:
                docs.append((root, doc_start, event.end_mark.index, doc_start_line, doc_line, index, marks))
            root = None
            index += 1
            continue
        elif kind is StreamEndEvent:
            return docs
        elif kind is _Events.StreamStartEvent:
            continue
        else:  # an alias
            raise _Unusual
        if first:
            doc_line, first = event.start_mark.line, False
        if not stack:
            root = value
            marks.append(count)
            continue
        top = stack[-1]
        container = top[0]
        if type(container) is list:
            container.append(value)
        elif top[1] is no_key:
            if type(value) is not str or value in container:
                raise _Unusual  # a non-string key (converted by the YAML-to-JSON step) or a repeated key
            top[1] = value
            if len(stack) == 1:
                marks.append(count)
        else:
            container[top[1]] = value
            top[1] = no_key


_NO_KEY = object()


def _fast_document(obj: Any, span: DocumentSpan, line: int, source: str, index: int) -> SourceDocument:
    if not isinstance(obj, dict):
        return SourceDocument({}, source, index, line, (), type(obj).__name__, span=span)
    if obj.get("kind") == "List" and isinstance(obj.get("items"), list):
        raise _Unusual  # expanded with its items' lines by the node-tree path
    return SourceDocument(obj, source, index, line, (), None, span=span)


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


def load_text(text: str, source: str = "-", *, reread: bool = False) -> list[Document]:
    """All documents of one YAML stream; empty and null documents are skipped (they keep their index slot).

    `reread`: `source` is the file the text was read from, and may be read again for the lines of findings
    (instead of keeping the text)."""
    # Building the tree allocates millions of objects and no garbage cycles: the cyclic collector's full passes
    # over every live object would only make big inputs slower than linear (about 30% at 80,000 ports).
    enabled = gc.isenabled()
    gc.disable()
    with _sharing():
        try:
            return _load_text(text, source, reread)
        finally:
            if enabled:
                gc.enable()


# One read at a time in a process: the tables above and the one scalar constructor (whose construct_document resets
# its own state) are shared, and verify reads renderings in several threads. Reading holds the interpreter anyway.
_READ_LOCK = threading.RLock()


@contextmanager
def _sharing() -> Iterator[None]:
    """Documents read within share equal top-level values (plain copies of one CRD hold one schema) and equal
    strings; the rules only read documents. The tables are dropped when the outermost read ends."""
    global _reading
    with _READ_LOCK:
        _reading += 1
        try:
            yield
        finally:
            _reading -= 1
            if not _reading:  # what is read is kept by the documents; the tables would only hold memory
                _subtrees.clear()
                _blocks.clear()
                _plain_values.clear()
                _strings.clear()


def _load_text(text: str, source: str, reread: bool) -> list[Document]:
    if len(text) > MAX_TEXT_BYTES:
        raise _too_big(len(text.encode("utf-8", "replace")), source)
    text = text.removeprefix("\ufeff")  # a byte order mark is no character of the first line
    if yaml.__with_libyaml__:
        try:
            return _fast_documents(text, source, reread)
        except _Unusual:
            pass
    return _load_nodes(text, source)


def _load_nodes(text: str, source: str) -> list[Document]:
    """The node-tree path: every YAML feature, an eager line map, duplicate keys."""
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
    """A file's text; at most MAX_TEXT_BYTES read, whatever the file is (a device or a pipe has no size)."""
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise _too_big(size, str(path))
        with path.open("rb") as fh:
            return decode(_capped(fh, str(path)), str(path))
    except OSError as err:
        raise InputError(str(path), None, f"cannot read: {err.strerror or err}") from None


def _capped(stream: IO[bytes], source: str) -> bytes:
    data = stream.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise InputError(source, None, f"is more than {MAX_TEXT_BYTES // 1048576} MiB; chartgen check reads at "
                                       "most that much per file or stream: split the manifests into several files")
    return data


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (a byte order mark dropped); InputError naming the first bad byte otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(source, None, f"not UTF-8 text ({err.reason} at byte {err.start})") from None


def read_stream(stream: IO[str], source: str = "-") -> str:
    """Standard input (or any text stream): its bytes when it has them, read with the same cap as a file."""
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        return decode(_capped(binary, source), source)
    text = stream.read(MAX_TEXT_BYTES + 1)
    if len(text) > MAX_TEXT_BYTES:
        raise _too_big(len(text.encode("utf-8", "replace")), source)
    return text


def load_paths(paths: list[str], stdin_text: str | None = None) -> list[Document]:
    """Documents of every file named (directories recursively, `-` for stdin_text), in the order given."""
    with _sharing():
        return _load_paths(paths, stdin_text)


def _load_paths(paths: list[str], stdin_text: str | None) -> list[Document]:
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
                docs.extend(load_text(_read(path), str(path), reread=path.is_file()))  # a pipe cannot be re-read
    return docs
