"""The coverage map (chartgen/check/coverage/): every mapped upstream check has a fault that raises one of its rules
and a valid twin that raises none of them, every rule it names exists, and docs/coverage.md is not stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.check.command import check_text
from chartgen.check.coverage import entries, render_markdown
from chartgen.check.model import CheckOptions
from chartgen.check.registry import all_rules
from chartgen.check.runner import load_rule_modules

REPO = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "coverage"
load_rule_modules()
RULE_IDS = {r.id for r in all_rules()}
ENTRIES = entries()
MAPPED = [e for e in ENTRIES if e.rules]
OPTS = CheckOptions(kube_version="1.31")


def test_the_map_has_mapped_and_offline_entries():
    assert len(MAPPED) >= 2 and len(ENTRIES) > len(MAPPED)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_entry_names_existing_rules(entry):
    assert set(entry.rules) <= RULE_IDS, f"{entry.id} names unknown rules {sorted(set(entry.rules) - RULE_IDS)}"


@pytest.mark.parametrize("entry", MAPPED, ids=[e.id for e in MAPPED])
def test_fault_raises_a_mapped_rule_and_twin_none(entry):
    fault, twin = CASES / f"{entry.id}.fault.yaml", CASES / f"{entry.id}.twin.yaml"
    assert fault.is_file() and twin.is_file(), f"{entry.id}: add {fault.name} and {twin.name} under {CASES}"
    raised = {f.rule for f in check_text(fault.read_text(), fault.name, OPTS)}
    assert raised & set(entry.rules), f"{entry.id}: the fault raises {sorted(raised)}, none of {entry.rules}"
    twin_raised = {f.rule for f in check_text(twin.read_text(), twin.name, OPTS)}
    assert not twin_raised & set(entry.rules), f"{entry.id}: the valid twin raises {sorted(twin_raised)}"


def test_every_case_file_belongs_to_a_mapped_entry():
    ids = {e.id for e in MAPPED}
    stray = sorted(p.name for p in CASES.glob("*.yaml") if p.name.rsplit(".", 2)[0] not in ids)
    assert not stray, f"case files without a mapped coverage entry: {stray}"


def test_docs_coverage_md_is_generated_from_the_map():
    assert (REPO / "docs" / "coverage.md").read_text() == render_markdown(), (
        "docs/coverage.md is stale: run `python -m chartgen.check.coverage > docs/coverage.md`")
