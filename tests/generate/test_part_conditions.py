"""A blueprint part's `when:` decides whether the part is used; a condition that cannot be evaluated is the blueprint
author's error, named by file and field (exit 2), never a part silently left out or a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import CHARTS, REPO

from chartgen.core.errors import ChartgenError
from chartgen.generate.engine import Engine
from chartgen.spec.blueprints import BlueprintLibrary
from chartgen.spec.loader import load_spec

PART = "istio/sidecar"


def library_with_condition(tmp_path: Path, when: str) -> BlueprintLibrary:
    root = tmp_path / "blueprints"
    shutil.copytree(REPO / "blueprints", root)
    manifest = root / PART / "blueprint.yaml"
    text = manifest.read_text(encoding="utf-8")
    old = 'when: "spec.istio_enabled or spec.uses_versions"'
    assert old in text
    manifest.write_text(text.replace(old, f"when: {when!r}"), encoding="utf-8")
    return BlueprintLibrary(root)


def test_a_condition_decides_whether_its_part_is_used(tmp_path):
    spec = load_spec(CHARTS / "user-api")
    used = {p.id for p in Engine(library_with_condition(tmp_path / "a", "spec.istio_enabled")).active_parts(spec)}
    unused = {p.id for p in Engine(library_with_condition(tmp_path / "b", "false")).active_parts(spec)}
    assert spec.istio_enabled and PART in used
    assert used - unused == {PART}


@pytest.mark.parametrize("when", ["spec.istio_enbled", "spec.istio_enabled or", "spec.istio_enabled.x.y",
                                  "false %]1[% endif %][% if false"])
def test_a_condition_that_cannot_be_evaluated_names_the_file_and_field(tmp_path, when):
    engine = Engine(library_with_condition(tmp_path, when))
    with pytest.raises(ChartgenError) as caught:
        engine.active_parts(load_spec(CHARTS / "user-api"))
    assert caught.value.file == f"blueprints/{PART}/blueprint.yaml"
    assert caught.value.path == "when"
    assert repr(when) in caught.value.message and "template error" in caught.value.message
