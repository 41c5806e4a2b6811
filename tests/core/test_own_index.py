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


def test_the_code_fingerprint_leaves_the_shipped_library_to_the_blueprint_fingerprint(fresh_process, tmp_path,
                                                                                        monkeypatch):
    """In the wheel the library sits inside the package (chartgen/_blueprints): the code's digest skips it, and the
    library in use (that one, or $CHARTGEN_BLUEPRINTS) is what the blueprint digest covers, so an edit of the shipped
    library changes the fingerprint only when it is the library in use."""
    import shutil

    import chartgen
    from chartgen.core.blueprint_root import ENV_VAR, SHIPPED_LIBRARY, default_root

    package = tmp_path / "site" / "chartgen"  # laid out as the wheel installs it
    shutil.copytree(Path(chartgen.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    shipped = Path(shutil.copytree(default_root(), package / SHIPPED_LIBRARY))
    monkeypatch.setattr(chartgen, "__file__", str(package / "__init__.py"))
    other = Path(shutil.copytree(shipped, tmp_path / "other-library"))

    def fingerprints() -> tuple[str, str, str]:
        """(the code's, chartgen's with another library in use, chartgen's with the shipped one in use)"""
        fresh_process()
        code = cache.code_fingerprint()
        monkeypatch.setenv(ENV_VAR, str(other))
        elsewhere = cache.chartgen_fingerprint()
        monkeypatch.delenv(ENV_VAR)
        return code, elsewhere, cache.chartgen_fingerprint()

    code, elsewhere, shipped_in_use = fingerprints()
    template = next(p for p in sorted(shipped.rglob("*.j2")))
    template.write_text(template.read_text() + "[# edited #]\n")
    assert fingerprints()[:2] == (code, elsewhere)  # not code, and not the library in use
    assert fingerprints()[2] != shipped_in_use  # the library in use: its edit is seen
    (package / "engine_extra.py").write_text("X = 1\n")
    assert fingerprints()[0] != code  # a code file is
