"""loader: multi-document YAML from files, directories and stdin, with lines, duplicate keys and List expansion."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chartgen.check.loader import (InputError, SourceDocument, format_path, load_paths, load_text, parse_field)

STREAM = textwrap.dedent("""\
    # Source: chart/templates/service.yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: web
    spec:
      ports:
        - name: http
          port: 80
    ---
    # a document that holds only a comment
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: cfg}
    data:
      day: 2024-01-01
      80: port
      true: yes
    """)


def test_documents_keep_their_start_line_and_index():
    docs = load_text(STREAM, "stream.yaml")
    assert [(d.kind, d.index, d.line) for d in docs] == [("Service", 0, 2), ("ConfigMap", 2, 13)]
    assert all(d.file == "stream.yaml" for d in docs)


def test_every_field_has_its_line():
    svc = load_text(STREAM)[0]
    assert isinstance(svc, SourceDocument)
    assert svc.line_of(("spec", "ports", 0, "port")) == 9
    assert svc.line_of(("spec", "ports", 0, "name")) == 8
    # a path that does not exist resolves to its deepest existing ancestor
    assert svc.line_of(("spec", "ports", 0, "nodePort")) == 8
    assert svc.line_of(("status",)) == 2


def test_values_are_read_as_the_api_server_reads_them():
    cfg = load_text(STREAM)[1]
    # timestamps stay strings, non-string keys become strings (YAML-to-JSON conversion)
    assert cfg.obj["data"] == {"day": "2024-01-01", "80": "port", "true": True}


@pytest.mark.parametrize("text", ["", "---\n", "# only a comment\n", "---\nnull\n---\n~\n"])
def test_empty_and_null_documents_are_skipped(text):
    assert load_text(text) == []


def test_kind_list_is_expanded_into_its_items_with_their_lines():
    text = textwrap.dedent("""\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ServiceAccount
            metadata: {name: a}
          - apiVersion: v1
            kind: ServiceAccount
            metadata: {name: b, name: c}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: after}
        """)
    docs = load_text(text, "list.yaml")
    assert [(d.name, d.index, d.line) for d in docs] == [("a", 0, 4), ("c", 1, 7), ("after", 2, 11)]
    second = docs[1]
    assert isinstance(second, SourceDocument)
    assert [(d.path, d.key, d.line) for d in second.duplicate_keys] == [(("metadata",), "name", 9)]
    assert second.line_of(("metadata", "name")) == 9
    assert docs[0].duplicate_keys == ()


def test_duplicate_keys_are_recorded_with_both_lines():
    text = textwrap.dedent("""\
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          labels:
            app: a
            app: b
        spec: {}
        """)
    (doc,) = load_text(text)
    assert isinstance(doc, SourceDocument)
    (dup,) = doc.duplicate_keys
    assert (dup.path, dup.key, dup.first_line, dup.line) == (("metadata", "labels"), "app", 6, 7)
    assert doc.obj["metadata"]["labels"] == {"app": "b"}  # YAML keeps the last one
    assert doc.line_of(("metadata", "labels", "app")) == 7


def test_merge_keys_are_not_duplicates():
    text = "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\napiVersion: v1\nkind: ConfigMap\n"
    (doc,) = load_text(text)
    assert isinstance(doc, SourceDocument) and doc.duplicate_keys == ()
    assert doc.obj["other"] == {"x": 1, "y": 2}


@pytest.mark.parametrize("text, yaml_type", [("- a\n- b\n", "list"), ("just text\n", "str"), ("42\n", "int")])
def test_non_mapping_documents_are_kept_for_rule_cg_api_001(text, yaml_type):
    (doc,) = load_text(text)
    assert isinstance(doc, SourceDocument)
    assert doc.yaml_type == yaml_type and doc.obj == {}


def test_bad_yaml_raises_a_one_line_input_error_with_file_and_line():
    with pytest.raises(InputError) as info:
        load_text("apiVersion: v1\nkind: Service\n---\nmetadata: {name: [x\n", "bad.yaml")
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith("bad.yaml:4: invalid YAML: ")  # the last line, not libyaml's past-the-end line 5
    assert info.value.line == 4


def test_yaml_error_line_points_at_the_problem():
    with pytest.raises(InputError, match=r"^x\.yaml:4: invalid YAML: mapping values are not allowed"):
        load_text("apiVersion: v1\nkind: ConfigMap\nx: 1\n  y: 2\n", "x.yaml")


def test_directories_are_read_recursively_in_order(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n")
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n")
    (tmp_path / "notes.txt").write_text("kind: ignored\n")
    (tmp_path / "b" / "NOTES.tpl").write_text("{{ not yaml\n")
    docs = load_paths([str(tmp_path)])
    assert [d.name for d in docs] == ["one", "two"]
    assert docs[1].file == str(tmp_path / "b" / "two.yml")


def test_a_file_named_twice_is_read_once(tmp_path: Path):
    f = tmp_path / "x.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert len(load_paths([str(tmp_path), str(f), str(f)])) == 1


def test_stdin_is_read_from_dash():
    docs = load_paths(["-"], stdin_text="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n")
    assert [(d.file, d.name) for d in docs] == [("-", "s")]


def test_missing_file_raises_input_error():
    with pytest.raises(InputError, match=r"^/no/such\.yaml: no such file or directory$"):
        load_paths(["/no/such.yaml"])


def test_directory_without_yaml_raises_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="no \\*.yaml or \\*.yml files"):
        load_paths([str(tmp_path)])


def test_non_utf8_file_raises_input_error(tmp_path: Path):
    f = tmp_path / "latin1.yaml"
    f.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_paths([str(f)])


@pytest.mark.parametrize("path, text", [
    (("spec", "ports", 0, "nodePort"), "spec.ports[0].nodePort"),
    (("metadata", "labels", "app.kubernetes.io/name"), "metadata.labels[app.kubernetes.io/name]"),
    (("items", 3), "items[3]"),
    ((), ""),
])
def test_field_paths_round_trip(path, text):
    assert format_path(path) == text
    assert parse_field(text) == path
