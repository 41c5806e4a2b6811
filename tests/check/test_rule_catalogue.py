"""Every rule is one declared unit: title, why, fix and an example that triggers it through the real pipeline
(loader -> runner -> rules). docs/rules.md is generated from the same declarations and must not be stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.check.command import check_text
from chartgen.check.model import CheckOptions, Severity
from chartgen.check.registry import all_rules
from chartgen.check.runner import load_rule_modules

REPO = Path(__file__).resolve().parents[2]
# Options an example cannot carry in its YAML, given explicitly per rule (every other example runs with the
# defaults below):
EXAMPLE_OPTIONS: dict[str, dict[str, str]] = {
    # the version fallback needs a Kubernetes version without bundled schemas (the oldest bundled is 1.25)
    "CG-SCHEMA-004": {"kube_version": "1.24"},
}

load_rule_modules()
RULES = all_rules()


def example_options(rule) -> CheckOptions:
    # P-010 exists only under --profile prod (it says so in its title)
    defaults = {"kube_version": "1.31", "profile": "prod" if "profile prod" in rule.title else "default"}
    return CheckOptions(**{**defaults, **EXAMPLE_OPTIONS.get(rule.id, {})})


def test_there_are_rules_to_check():
    assert len(RULES) >= 80


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_is_documented(rule):
    assert rule.title.strip() and rule.why.strip() and rule.fix.strip() and rule.example.strip()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_example_triggers_the_rule(rule):
    opts = example_options(rule)
    findings = check_text(rule.example, "example.yaml", opts)
    found = [f.rule for f in findings]
    assert rule.id in found, f"{rule.id}'s example raises {sorted(set(found))}"
    # the example shows this rule: no other rule reports an error on it (posture findings promoted by
    # --profile prod aside)
    others = {f.rule for f in findings if f.rule != rule.id and f.severity >= Severity.ERROR
              and not (opts.profile == "prod" and f.rule.startswith("CG-P-"))}
    assert not others, f"{rule.id}'s example also raises errors {sorted(others)}"


def test_example_options_are_needed():
    """An entry of EXAMPLE_OPTIONS is only there because the example does not trigger its rule without it."""
    for rule_id in EXAMPLE_OPTIONS:
        rule = next(r for r in RULES if r.id == rule_id)
        found = {f.rule for f in check_text(rule.example, "example.yaml", CheckOptions(kube_version="1.31"))}
        assert rule_id not in found


def test_docs_rules_md_is_generated_from_the_registry():
    from chartgen.check.catalogue import render_markdown

    assert (REPO / "docs" / "rules.md").read_text() == render_markdown(), (
        "docs/rules.md is stale: run `chartgen rules --format md > docs/rules.md`")
