"""chartgen.core.installed_versions answers what importlib.metadata answers (the verify cache keys on it)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from chartgen.core import installed_versions as iv


def _dist(folder: Path, name: str, version: str, requires: tuple[str, ...] = (), suffix: str = ".dist-info",
          extra: str = "") -> None:
    info = folder / f"{name.replace('-', '_')}-{version}{suffix}"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             *(f"Requires-Dist: {r}" for r in requires)]
    (info / ("METADATA" if suffix == ".dist-info" else "PKG-INFO")).write_text("\n".join(lines) + "\n" + extra +
                                                                               "\nlong description\n")


def _reference(dist: str, path: list[str]) -> dict[str, str | None]:
    """What importlib.metadata answers for the same path (the old code of verify_cache._dependencies)."""
    own = next(iter(importlib.metadata.Distribution.discover(name=dist, path=path)))
    out: dict[str, str | None] = {}
    for name in iv._requirement_names(own.requires or []):
        found = list(importlib.metadata.Distribution.discover(name=name, path=path))
        out[name] = found[0].version if found else None
    return out


def test_the_real_environment_matches_importlib_metadata():
    assert iv.dependency_versions("chartgen") == iv._slow("chartgen")
    assert "jinja2" in iv.dependency_versions("chartgen")


def test_first_distribution_on_the_path_wins_and_missing_ones_are_none(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _dist(a, "app", "1.0", ("Jinja2>=3", "missing-pkg", "pyyaml; python_version>'3'", "rich; extra == 'x'"))
    _dist(a, "jinja2", "3.1.0")
    _dist(b, "Jinja2", "2.0")  # shadowed by a/
    _dist(b, "PyYAML", "6.0")
    path = [str(a), str(b), str(tmp_path / "nowhere")]
    got = iv._fast("app", path)
    assert got == {"Jinja2": "3.1.0", "missing-pkg": None, "pyyaml": "6.0"}
    assert got == _reference("app", path)


def test_a_new_version_installed_changes_the_answer(tmp_path):
    _dist(tmp_path, "app", "1.0", ("dep",))
    _dist(tmp_path, "dep", "1.0")
    assert iv._fast("app", [str(tmp_path)]) == {"dep": "1.0"}
    (tmp_path / "dep-1.0.dist-info").rename(tmp_path / "dep-2.0.dist-info")
    (tmp_path / "dep-2.0.dist-info" / "METADATA").write_text("Name: dep\nVersion: 2.0\n")
    assert iv._fast("app", [str(tmp_path)]) == {"dep": "2.0"}


@pytest.mark.parametrize("case", ["egg-info", "zip on the path", "folded header", "no own distribution"])
def test_what_the_fast_path_does_not_read_goes_to_importlib_metadata(tmp_path, case):
    _dist(tmp_path, "app", "1.0", ("dep",))
    path = [str(tmp_path)]
    if case == "egg-info":
        _dist(tmp_path, "dep", "1.0", suffix=".egg-info")
    elif case == "zip on the path":
        (tmp_path / "x.zip").write_bytes(b"PK")
        path.append(str(tmp_path / "x.zip"))
    elif case == "folded header":
        _dist(tmp_path / "f", "dep", "1.0")
        meta = tmp_path / "f" / "dep-1.0.dist-info" / "METADATA"
        meta.write_text("Name: dep\nSummary: a\n  folded\nVersion: 1.0\n")
        path.insert(0, str(tmp_path / "f"))
    else:
        path = [str(tmp_path / "empty")]
    with pytest.raises(iv._Unsure):
        iv._fast("app", path)


def test_an_egg_info_that_comes_later_or_is_not_needed_keeps_the_fast_path(tmp_path):
    """A project folder on sys.path (an editable install) often holds a stray `<name>.egg-info` from an old
    setuptools build: the dist-info earlier on the path is what importlib.metadata reads, so the fast path answers."""
    site, project = tmp_path / "site", tmp_path / "project"
    _dist(site, "app", "1.0", ("dep",))
    _dist(site, "dep", "2.0")
    (project / "app.egg-info").mkdir(parents=True)
    (project / "app.egg-info" / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: app\nVersion: 0.9\n")
    _dist(project, "unrelated", "1.0", suffix=".egg-info")
    path = [str(site), str(project)]
    got = iv._fast("app", path)
    assert got == {"dep": "2.0"}
    assert got == _reference("app", path)


@pytest.mark.parametrize("case", ["egg-info first", "two in one folder"])
def test_an_egg_info_that_importlib_metadata_would_read_goes_to_it(tmp_path, case):
    a, b = tmp_path / "a", tmp_path / "b"
    _dist(b, "app", "1.0", ("dep",))
    _dist(b, "dep", "2.0")
    if case == "egg-info first":
        _dist(a, "dep", "1.0", suffix=".egg-info")
    else:
        _dist(b, "dep", "3.0", suffix=".egg-info")
    with pytest.raises(iv._Unsure):
        iv._fast("app", [str(a), str(b)])
