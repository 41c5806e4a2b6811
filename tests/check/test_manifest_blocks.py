"""Top-level entries read once: streams of the simple shape are cut at their column-0 lines and every distinct
entry is parsed once per input. Whatever the shape, the documents (objects, index, line, field lines, duplicate
keys) must be exactly those of a whole-stream parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.check import loader
from chartgen.check.loader import InputError, SourceDocument, load_paths, load_text
from chartgen.check.manifest_blocks import split_blocks

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
        args:
        - --port=8080
"""
CONFIG = """\
# a comment before the mapping
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  script: |
    #!/bin/sh
    echo hi

  kept: |+
    text

  folded: >-
    one
    two
  plain: a long
    plain scalar
# a comment at column 0 inside the mapping
  flow: {a: 1,
    b: [x, y]}
items:
- one
- two: 2
"""
STREAMS = {
    "copies": "---\n".join([DEPLOY, CONFIG, DEPLOY, CONFIG]),
    "comments and empty documents": "# head\n---\n" + DEPLOY + "--- # two\n---\n" + CONFIG + "---\n",
    "renamed copy": DEPLOY + "---\n" + DEPLOY.replace("name: web\n", "name: web-c1\n"),
    # a quoted scalar running across a column-0 key line: the line scan is wrong, the parse must notice
    "quoted across a key line": 'apiVersion: v1\nkind: ConfigMap\ndata: {a: "x\nb: y"}\n---\nb: y"\nc: 1\n',
    "quoted scalar across a key line": 'b: y"\n---\na: "x\nb: y"\nc: 1\n',
    "repeated key": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nkind: Secret\n",
    "kind List": "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n",
    "not a mapping": "- a\n- b\n---\njust text\n---\n" + DEPLOY,
    "anchors": "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\ndata: {x: *m}\n",
    "non-string key": "apiVersion: v1\nkind: ConfigMap\non: 1\n",
    "indented document": "---\n  apiVersion: v1\n  kind: ConfigMap\n",
    "no final newline": DEPLOY + "---\nkind: ConfigMap",
    "crlf": DEPLOY.replace("\n", "\r\n"),
    "directive": "%YAML 1.1\n---\n" + DEPLOY,
    "document end marker": DEPLOY + "...\n---\n" + CONFIG,
    "content after ---": "--- {apiVersion: v1, kind: ConfigMap}\n",
}


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _seen(docs):
    out = []
    for d in docs:
        assert isinstance(d, SourceDocument)
        paths = list(_paths(d.obj)) + [("spec", "nope", 3), ("metadata", "nope"), ("nope",), (0,)]
        out.append((d.obj, d.file, d.index, d.line, d.duplicate_keys, d.yaml_type, d.lines_of(paths)))
    return out


@pytest.fixture
def whole_stream(monkeypatch):
    """The loader without the block path: every stream parsed whole (what it did before)."""
    def use(enabled: bool) -> None:
        monkeypatch.setattr(loader, "split_blocks", split_blocks if enabled else lambda text: None)
    return use


# laid out by their column-0 lines (for the last five the parse of the entries says no)
LAID_OUT = ("copies", "comments and empty documents", "renamed copy", "quoted across a key line",
            "quoted scalar across a key line", "kind List", "anchors", "non-string key")


@pytest.mark.parametrize("name", list(STREAMS))
def test_documents_are_those_of_a_whole_stream_parse(name, whole_stream):
    text = STREAMS[name]
    assert (split_blocks(text) is not None) == (name in LAID_OUT)
    whole_stream(False)
    try:
        expected = _seen(load_text(text, "s.yaml"))
    except InputError as err:
        expected = str(err)
    whole_stream(True)
    try:
        got = _seen(load_text(text, "s.yaml"))
    except InputError as err:
        got = str(err)
    assert got == expected


def test_entries_are_shared_across_files_and_lines_stay_per_file(tmp_path: Path, whole_stream):
    (tmp_path / "a.yaml").write_text(DEPLOY + "---\n" + CONFIG)
    (tmp_path / "b.yaml").write_text("# shifted\n\n---\n" + CONFIG + "---\n" + DEPLOY)
    whole_stream(False)
    expected = _seen(load_paths([str(tmp_path)]))
    whole_stream(True)
    docs = load_paths([str(tmp_path)])
    assert _seen(docs) == expected
    assert docs[0].obj["spec"] is docs[3].obj["spec"]  # one object for the equal entry of both files
    assert docs[0].line == 1 and docs[3].line == 28  # each document's own line
    assert docs[3].lines_of([("spec", "replicas")]) == {("spec", "replicas"): 34}


def test_layout_of_a_simple_stream():
    text = "# c\n---\napiVersion: v1\nitems:\n- a\n  # x\n---\n---\nkind: A\n"
    first, empty, last = split_blocks(text)
    assert empty is None  # an empty document keeps its slot
    assert (first.start, first.end, first.first_line, first.line) == (4, 40, 1, 2)
    assert [(b.key, text[b.start:b.end]) for b in first.blocks] == [("apiVersion", "apiVersion: v1\n"),
                                                                     ("items", "items:\n- a\n  # x\n")]
    assert [(b.key, text[b.start:b.end]) for b in last.blocks] == [("kind", "kind: A\n")]


@pytest.mark.parametrize("name", ["not a mapping", "indented document", "no final newline", "crlf", "directive",
                                  "document end marker", "content after ---", "repeated key"])
def test_other_shapes_are_left_to_the_parser(name):
    assert split_blocks(STREAMS[name]) is None


def test_the_node_limit_counts_entries_read_before(monkeypatch):
    monkeypatch.setattr(loader, "MAX_DOCUMENT_EVENTS", 500)
    ports = "".join(f"  - {{name: p{i}, port: {i + 1}}}\n" for i in range(200))
    head = "apiVersion: v1\nkind: Service\nmetadata: {name: big}\n"
    big = f"{head}spec:\n  ports:\n{ports}"
    with pytest.raises(InputError) as err:  # the second copy's spec was read before, in the first one
        load_text("# line 1\n---\n" + head + "---\n" + big, "big.yaml")
    assert str(err.value).startswith("big.yaml:") and "document 2 is too large: more than 500 YAML nodes" in str(
        err.value)
    line = int(str(err.value).split(":")[1])
    assert 7 < line <= 7 + 200  # inside the ports of the second document, in the file's own lines
