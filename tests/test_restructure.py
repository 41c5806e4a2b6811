"""tools/restructure.py: the flat layout's references become the packages' ones, and nothing else changes, twice."""

from __future__ import annotations

import importlib.util
import subprocess

import pytest
from support import REPO

_spec = importlib.util.spec_from_file_location("restructure", REPO / "tools" / "restructure.py")
assert _spec is not None and _spec.loader is not None
restructure = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(restructure)

CASES = [
    ("from chartgen.spec import load_spec", "from chartgen.spec.loader import load_spec"),
    ("import chartgen.verify_cache", "import chartgen.core.cache"),
    ("from chartgen import spec, check", "from chartgen import check\nfrom chartgen.spec import loader as spec"),
    ("    from chartgen import verify  # lazy", "    from chartgen.verify import chart as verify  # lazy"),
    ("from chartgen import errors", "from chartgen.core import errors"),
    ('monkeypatch.setattr("chartgen.verify.run_helm", f)', 'monkeypatch.setattr("chartgen.verify.chart.run_helm", f)'),
    ("python -m chartgen.spec_schema", "python -m chartgen.spec.schema"),
    ("see `chartgen/verify.py`, `chartgen/helm.py`", "see `chartgen/verify/chart.py`, `chartgen/helm/runner.py`"),
    ('root / "chartgen" / "settings.py"', 'root / "chartgen" / "spec" / "settings.py"'),
    ("from chartgen.helm import Helm", "from chartgen.helm.runner import Helm"),
]
UNCHANGED = [
    "chartgen.io/ignore: x", "chartgen.yaml", "from chartgen.check.model import Finding", "from chartgen import check",
    "chartgen.verify.target.ChartTarget", "from chartgen.spec import loader", "mychartgen.spec", "a.chartgen.spec",
    'packages = ["chartgen", "chartgen.spec", "chartgen.verify"]',
]


@pytest.mark.parametrize(("old", "new"), CASES)
def test_old_references_are_rewritten_once(old, new):
    assert restructure.rewrite(old) == new
    assert restructure.rewrite(new) == new  # a second run changes nothing


@pytest.mark.parametrize("text", UNCHANGED)
def test_new_layout_and_other_names_are_left_alone(text):
    assert restructure.rewrite(text) == text


def _old_path(old: str):
    return REPO / "chartgen" / (old.replace(".", "/") + ".py")


def _new_path(new: str):
    return REPO / "chartgen" / (new.replace(".", "/") + ".py")


def test_nested_old_modules_are_rewritten():
    assert restructure.rewrite("from chartgen.graph.readme import add_pictures") == \
        "from chartgen.generate.traffic_pictures import add_pictures"
    assert restructure.rewrite("see chartgen/graph/command.py") == "see chartgen/verify/graph_command.py"
    assert restructure.rewrite("from chartgen.graph.build import build_graph") == \
        "from chartgen.graph.build import build_graph"


def test_every_module_of_chartgen_has_its_place():
    """A top-level module added in the flat layout (by any branch) must be in MOVES or KEEP before the move."""
    assert restructure.unmapped(REPO) == []


def test_an_unmapped_module_stops_the_tool_naming_it(tmp_path, capsys, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "chartgen" / "newpkg").mkdir(parents=True)
    for rel in ("__init__.py", "cli.py", "errors.py", "brand_new.py", "newpkg/__init__.py", "check_notes.txt"):
        (tmp_path / "chartgen" / rel).write_text("")
    (tmp_path / "chartgen" / "data").mkdir()
    assert restructure.unmapped(tmp_path) == ["chartgen/brand_new.py", "chartgen/newpkg"]
    monkeypatch.chdir(tmp_path)
    assert restructure.main([]) == 1
    err = capsys.readouterr().err
    assert "chartgen/brand_new.py is in neither MOVES nor KEEP" in err and "chartgen/newpkg" in err
    assert (tmp_path / "chartgen" / "errors.py").is_file()  # nothing was moved


def test_the_tree_is_in_one_layout():
    """Flat (before the lead's run: every old module there, no new one) or moved (no old module left, every new one
    there, and no reference the tool would still rewrite: a file added in the flat layout's terms fails here)."""
    flat = [old for old in restructure.MOVES if _old_path(old).is_file()]
    if flat:
        assert sorted(flat) == sorted(restructure.MOVES)
        assert [new for new in restructure.MOVES.values() if _new_path(new).is_file()] == []
        return
    assert [new for new in restructure.MOVES.values() if not _new_path(new).is_file()] == []
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    stale = [rel for rel in out.splitlines() if (REPO / rel).is_file() and restructure._is_text_target(rel)
             and restructure.rewrite((REPO / rel).read_text(encoding="utf-8")) != (REPO / rel).read_text("utf-8")]
    assert stale == [], "run python tools/restructure.py"


def test_the_package_map_replaces_the_section_to_come():
    text = "# A\n\n## The package layout to come (issue 26)\n\nold words\n\n## Recipes\n\nr\n"
    new = restructure._SECTION.sub(lambda _: restructure.package_map(), text, count=1)
    assert "old words" not in new and "## Packages" in new and new.endswith("## Recipes\n\nr\n")
    assert "| `chartgen/generate/` | check, core, graph, helm, spec |" in new
    assert restructure.rewrite(new) == new  # a later run leaves the map alone
    assert restructure._SECTION.sub(lambda _: "x", new) == new  # once only
