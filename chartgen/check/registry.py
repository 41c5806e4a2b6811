"""Rule registry: every rule has a stable id, a default severity, a title, and a function over the index."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity

RuleFn = Callable[[ManifestIndex, CheckOptions], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str  # e.g. "CG-SVC-004"
    severity: Severity  # default severity of its findings
    title: str  # one line: what the rule catches
    layer: str  # "schema" | "api" | "cross" | "istio" | "posture"
    fn: RuleFn


_RULES: dict[str, Rule] = {}


def rule(id: str, severity: Severity, title: str, layer: str) -> Callable[[RuleFn], RuleFn]:
    """Decorator registering a rule function. Ids must be unique."""

    def deco(fn: RuleFn) -> RuleFn:
        if id in _RULES:
            raise ValueError(f"duplicate rule id {id}")
        _RULES[id] = Rule(id, severity, title, layer, fn)
        return fn

    return deco


def all_rules() -> list[Rule]:
    return sorted(_RULES.values(), key=lambda r: r.id)
