"""load_spec(keep=True): verify's second read of a chart's spec (its drift check) reuses the first, never stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import CHARTS

from chartgen.spec import loader
from chartgen.verify.target import ChartTarget


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    folder = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", folder)
    return folder


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = loader.parse_spec

    def counting(src, library=None):  # type: ignore[no-untyped-def]
        seen.append(src.file)
        return real(src, library)

    monkeypatch.setattr(loader, "parse_spec", counting)
    return seen


def test_the_drift_checks_load_takes_the_spec_the_target_read(chart: Path, parses: list[str]):
    target = ChartTarget.load(chart, keep_spec=True)
    spec = loader.load_spec(chart)
    assert len(parses) == 1 and [e.name for e in spec.environments] == [e.name for e in target.environments]
    assert loader.load_spec(chart) is not spec and len(parses) == 2  # taken once: the next load parses again


def test_an_edit_in_between_is_read(chart: Path, parses: list[str]):
    ChartTarget.load(chart, keep_spec=True)
    spec_file = chart / "chartgen.yaml"
    text = spec_file.read_text(encoding="utf-8")
    old = "description: Public web application (NodePort in dev, AWS NLB in prod)"
    assert old in text
    spec_file.write_text(text.replace(old, "description: edited after the target was read"), encoding="utf-8")
    assert loader.load_spec(chart).description == "edited after the target was read" and len(parses) == 2


def test_a_broken_edit_in_between_is_refused(chart: Path):
    ChartTarget.load(chart, keep_spec=True)
    (chart / "chartgen.yaml").write_text("name: [\n", encoding="utf-8")
    with pytest.raises(loader.SpecError):
        loader.load_spec(chart)


def test_without_keep_nothing_is_kept(chart: Path, parses: list[str]):
    ChartTarget.load(chart)
    loader.load_spec(chart)
    assert len(parses) == 2
