"""Compiled blueprint templates are cached on disk (Jinja's bytecode cache) so a `chartgen` process does not
recompile them; the cache must never change a chart, never fail a command, and be safe for concurrent processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import CHARTS

from chartgen.engine import Engine, bytecode_dir
from chartgen.spec import load_spec

SPEC = CHARTS / "user-api"


def render_fresh() -> dict[str, str]:
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
