"""Compiled blueprint templates are cached on disk (Jinja's bytecode cache) so a `chartgen` process does not
recompile them; the cache must never change a chart, never fail a command, and be safe for concurrent processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml
from support import CHARTS, REPO

from chartgen.core.user_cache import user_cache
from chartgen.generate import fragment_cache
from chartgen.generate.engine import Engine, _Loader, bytecode_dir
from chartgen.spec.blueprints import BlueprintLibrary
from chartgen.spec.loader import load_spec

SPEC = CHARTS / "user-api"


def render_fresh() -> dict[str, str]:
    fragment_cache.forget()
    tree = Engine().render(load_spec(SPEC))  # a new Engine: a new Jinja environment, as in a new process
    return dict(tree)


def test_second_environment_loads_compiled_templates_and_renders_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = render_fresh()
    entries = list(bytecode_dir().glob("*.cache"))
    assert len(entries) >= 10  # one per template and fragment used
    before = {p: p.stat().st_mtime_ns for p in entries}
    assert render_fresh() == first
    assert {p: p.stat().st_mtime_ns for p in bytecode_dir().glob("*.cache")} == before  # loaded, not rewritten
    monkeypatch.setenv("CHARTGEN_NO_TEMPLATE_CACHE", "1")
    assert render_fresh() == first


def test_an_unusable_cache_folder_only_costs_compilation(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # chartgen/jinja cannot be created below a file
    expected = render_fresh()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "ok"))
    render_fresh()
    for entry in bytecode_dir().glob("*.cache"):
        entry.write_bytes(b"j2 garbage")  # a corrupt entry is recompiled, not trusted
    assert render_fresh() == expected


def test_concurrent_processes_share_one_empty_cache(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cmd = [str(Path(sys.executable).parent / "chartgen"), "new", "--image", "nginx:1.27", "--no-input"]
    procs = [subprocess.Popen([*cmd, "app", "-o", str(tmp_path / str(i))], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(4)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    texts = [(tmp_path / str(i) / "app" / "templates" / "deployment.yaml").read_text() for i in range(4)]
    assert all(t == texts[0] for t in texts)
    assert not list((tmp_path / "cache").rglob("*.tmp"))  # no half-written entry left behind


# --- parsed fragments (chartgen/generate/fragment_cache.py) ------------------------------------------------------------------

def fragment_entries() -> list[Path]:
    return sorted(user_cache("fragments").glob("*.json"))


def test_large_fragments_are_parsed_once_and_charts_stay_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = render_fresh()
    entries = fragment_entries()
    assert entries  # the schema fragments of user-api's parts are above MIN_CHARS
    before = {p: p.stat().st_mtime_ns for p in entries}
    assert render_fresh() == first
    assert {p: p.stat().st_mtime_ns for p in fragment_entries()} == before  # read, not rewritten
    monkeypatch.setenv("CHARTGEN_NO_TEMPLATE_CACHE", "1")
    assert render_fresh() == first


def test_a_cached_fragment_is_found_by_its_text(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    text = "items:\n" + "".join(f"  k{i}: value {i}\n" for i in range(400))
    assert len(text) >= fragment_cache.MIN_CHARS
    parsed = fragment_cache.load(text, yaml.safe_load)
    assert parsed == yaml.safe_load(text)
    [entry] = fragment_entries()
    entry.write_text('{"items": {"from": "the cache"}}')  # what is stored for this text is what comes back
    fragment_cache.forget()  # as in a new process
    assert fragment_cache.load(text, yaml.safe_load) == {"items": {"from": "the cache"}}
    assert fragment_cache.load(text + "\n", yaml.safe_load) == parsed  # another text, another entry


def test_a_text_is_parsed_once_per_process_and_each_caller_gets_its_own_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fragment_cache.forget()
    calls: list[str] = []

    def parse(text: str) -> object:
        calls.append(text)
        return yaml.safe_load(text)

    text = "a:\n  b: [1, {c: 2}]\n"  # below MIN_CHARS: never on disk
    first = fragment_cache.load(text, parse)
    first["a"]["b"][1]["c"] = "changed by the caller"  # values.py merges into what it gets
    first["a"]["new"] = True
    second = fragment_cache.load(text, parse)
    assert second == {"a": {"b": [1, {"c": 2}]}} and calls == [text]
    second["a"]["b"].append(3)
    assert fragment_cache.load(text, parse) == {"a": {"b": [1, {"c": 2}]}} and calls == [text]
    assert fragment_cache.load(text, yaml.safe_load) == {"a": {"b": [1, {"c": 2}]}}  # another parser: its own


def test_a_text_holding_a_mutable_non_plain_value_is_parsed_each_time(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls: list[str] = []

    def parse(text: str) -> object:
        calls.append(text)
        return yaml.safe_load(text)

    text = "tags: !!set {a: null, b: null}\n"
    fragment_cache.load(text, parse)["tags"].add("c")
    assert fragment_cache.load(text, parse) == {"tags": {"a", "b"}} and len(calls) == 2


def test_data_json_cannot_carry_is_never_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    pad = "# " + "x" * fragment_cache.MIN_CHARS + "\n"
    for text in (pad + "80: http\n", pad + "when: 2024-01-01\n", pad + "x: .nan\n"):
        assert fragment_cache.load(text, yaml.safe_load) == yaml.safe_load(text) or "nan" in text
    assert fragment_entries() == []


def test_a_corrupt_or_unwritable_fragment_cache_only_costs_parsing(tmp_path, monkeypatch):
    text = "a:\n" + "".join(f"  b{i}: {i}\n" for i in range(600))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fragment_cache.load(text, yaml.safe_load)
    [entry] = fragment_entries()
    entry.write_text("{not json")
    fragment_cache.forget()
    assert fragment_cache.load(text, yaml.safe_load) == yaml.safe_load(text)
    assert json.loads(entry.read_text()) == yaml.safe_load(text)  # replaced by a good entry
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    fragment_cache.forget()
    assert fragment_cache.load(text, yaml.safe_load) == yaml.safe_load(text)


def test_a_warm_process_parses_no_template_not_even_a_parts_condition(tmp_path, monkeypatch):
    """A part's `when:` is a template of its own, read from the bytecode cache like the others: with the cache warm,
    rendering a chart (istio parts and their conditions included) builds no Jinja parser (issue 27)."""
    import jinja2.parser

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    parsed: list[str | None] = []
    real_init = jinja2.parser.Parser.__init__

    def counting_init(self, environment, source, name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(name)
        real_init(self, environment, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.parser.Parser, "__init__", counting_init)
    first = render_fresh()
    assert any(name and name.startswith("when:") for name in parsed)  # the conditions were compiled once
    parsed.clear()
    assert render_fresh() == first
    assert parsed == []


# --- the template index and the parsed library (chartgen/core/identity_index.py) ------------------------------------

def old_enough(monkeypatch) -> None:
    """The library's files count as written long before they are read (else the racy rule keeps them out)."""
    from chartgen.core.file_identity import RACY_NS
    from chartgen.generate import engine
    from chartgen.spec import blueprints

    later = lambda: time.time_ns() + 2 * RACY_NS  # noqa: E731
    monkeypatch.setattr(engine, "now_ns", later)
    monkeypatch.setattr(blueprints, "now_ns", later)


def library_copy(tmp_path: Path) -> Path:
    root = tmp_path / "blueprints"
    shutil.copytree(REPO / "blueprints", root)
    return root


def render_with(root: Path) -> dict[str, str]:
    """A new library and Engine, as in a new process."""
    fragment_cache.forget()
    return dict(Engine(BlueprintLibrary(root)).render(load_spec(SPEC)))


def test_a_warm_render_reads_no_template_source_and_renders_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    old_enough(monkeypatch)
    root = library_copy(tmp_path)
    first = render_with(root)
    read: list[str] = []
    real = _Loader.get_source

    def counting(self, environment, template):
        read.append(template)
        return real(self, environment, template)

    monkeypatch.setattr(_Loader, "get_source", counting)
    assert render_with(root) == first
    assert read == []  # every template, `when:` conditions included, was built from the index
    monkeypatch.setenv("CHARTGEN_NO_TEMPLATE_CACHE", "1")
    assert render_with(root) == first
    assert read  # without the caches, the sources are read


def test_an_edited_template_is_read_again_even_with_its_size_and_time_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    old_enough(monkeypatch)
    root = library_copy(tmp_path)
    assert "Troubleshooting (the Service" in render_with(root)["templates/NOTES.txt"]
    notes = root / "base" / "files" / "templates" / "NOTES.txt.j2"
    st = notes.stat()
    notes.write_text(notes.read_text().replace("Troubleshooting (the Service", "TROUBLESHOOTING (THE SERVICE"))
    os.utime(notes, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert notes.stat().st_size == st.st_size and notes.stat().st_mtime_ns == st.st_mtime_ns
    assert "TROUBLESHOOTING (THE SERVICE" in render_with(root)["templates/NOTES.txt"]


def test_a_warm_library_parses_no_manifest_or_profile_and_an_edited_one_is_parsed_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    old_enough(monkeypatch)
    root = library_copy(tmp_path)
    cold = BlueprintLibrary(root)
    cold_profiles = {name: cold.profile(name) for name in cold.profile_names()}
    parsed: list[str] = []
    real = yaml.load

    def counting(stream, Loader):  # noqa: N803 - yaml.load's own parameter name
        parsed.append(str(stream)[:40])
        return real(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "load", counting)
    warm = BlueprintLibrary(root)
    assert {p.id: p for p in warm._parts.values()} == {p.id: p for p in cold._parts.values()}
    assert {name: warm.profile(name) for name in warm.profile_names()} == cold_profiles
    assert parsed == []
    manifest = root / "istio" / "sidecar" / "blueprint.yaml"
    st = manifest.stat()
    manifest.write_text(manifest.read_text().replace("description: A Sidecar", "description: B Sidecar", 1))
    os.utime(manifest, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same modification time, same inode
    assert BlueprintLibrary(root).part("istio/sidecar").description.startswith("B Sidecar")
    assert len(parsed) == 1 and (st.st_size, st.st_mtime_ns, st.st_ino) == \
        (manifest.stat().st_size, manifest.stat().st_mtime_ns, manifest.stat().st_ino)
