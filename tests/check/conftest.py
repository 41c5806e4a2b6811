"""Fixtures for the check tests: run the real pipeline (loader -> runner -> rules) on small YAML snippets."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from chartgen.check.command import check_text
from chartgen.check.model import CheckOptions, Finding
from chartgen.check.registry import all_rules
from chartgen.check.runner import load_rule_modules

REPO = Path(__file__).resolve().parents[2]

# The rules this part of chartgen owns (cross/istio/istio-schema/posture are tested in their own files).
OWN_RULE_PREFIXES = ("CG-SCHEMA-", "CG-API-", "CG-SVC-", "CG-META-")

Check = Callable[..., list[Finding]]


def run(text: str, *, rule: str | None = None, namespace: str | None = None, source: str = "test.yaml",
        **options: object) -> list[Finding]:
    """Findings of the whole pipeline for one YAML stream; `rule` keeps only that rule's findings."""
    findings = check_text(textwrap.dedent(text), source, CheckOptions(**options), namespace)  # type: ignore[arg-type]
    return [f for f in findings if rule is None or f.rule == rule]


@pytest.fixture
def check() -> Check:
    return run


@pytest.fixture(scope="session")
def own_rule_ids() -> frozenset[str]:
    load_rule_modules()
    ids = frozenset(r.id for r in all_rules() if r.id.startswith(OWN_RULE_PREFIXES))
    assert len(ids) > 40
    return ids

