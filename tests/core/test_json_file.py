"""write_json_atomically: the whole file or nothing, and a folder that cannot be written is no error."""

from __future__ import annotations

import json
import os

from chartgen.core.json_file import write_json_atomically


def test_writes_the_file_whole_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a" / "b.json"
    write_json_atomically(target, {"x": [1, 2]})
    write_json_atomically(target, {"x": [3]})
    assert json.loads(target.read_text()) == {"x": [3]}
    assert [p.name for p in target.parent.iterdir()] == ["b.json"]


def test_a_failed_write_raises_nothing_and_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "b.json"
    write_json_atomically(target, {"old": True})

    def refuse(src, dst):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    write_json_atomically(target, {"new": True})
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    write_json_atomically(tmp_path / "c.json", {})
    assert not (tmp_path / "c.json").exists()
