"""chartgen's own files (code, blueprints) are digested through a stat index kept with chartgen's user cache, so a
verify whose verify cache is empty (a new CHARTGEN_CACHE_DIR) does not read them all again (issue 27, cold runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.core import cache, input_digest


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """As a new process sees it: no index loaded, no fingerprint computed; chartgen's user cache in tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    def reset() -> None:
        cache._OWN_INDEX.clear()
        cache.code_fingerprint.cache_clear()

    reset()
    yield reset
    reset()


def test_a_second_run_with_an_empty_verify_cache_reads_none_of_chartgens_files(fresh_process, tmp_path, monkeypatch):
    first = cache.chartgen_fingerprint()
    cache.Cache(tmp_path / "verify-cache-1").save_index()
    assert (tmp_path / "xdg" / "chartgen" / "stat-index-chartgen-trees").is_file()
    fresh_process()
    reads: list[Path] = []
    real = input_digest.file_sha256
    monkeypatch.setattr(input_digest, "file_sha256", lambda p: reads.append(p) or real(p))
    monkeypatch.setenv("CHARTGEN_CACHE_DIR", str(tmp_path / "verify-cache-2"))  # empty
    assert cache.chartgen_fingerprint() == first
    assert reads == []


def test_an_edited_chartgen_file_changes_the_fingerprint_through_the_index(fresh_process, tmp_path, monkeypatch):
    """The index vouches only for unchanged files: a blueprint library edited after it was indexed is read again."""
    import shutil

    from chartgen.core.blueprint_root import default_root

    library = Path(shutil.copytree(default_root(), tmp_path / "blueprints"))
    monkeypatch.setenv("CHARTGEN_BLUEPRINTS", str(library))
    first = cache.chartgen_fingerprint()
    cache.Cache(tmp_path / "verify-cache").save_index()
    fresh_process()
    some = next(p for p in sorted(library.rglob("*.j2")))
    some.write_text(some.read_text() + "{# edited #}\n")
    assert cache.chartgen_fingerprint() != first
