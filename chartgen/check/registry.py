"""Rule registry: every rule is one unit with a stable id, a default severity, a title, why it matters, how to fix
it, an example, and a function over the index. Findings are built with `finding()`, which takes the severity and
the default hint from the rule's declaration, so an id and its severity are written once."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.core.record import Record, record

RuleFn = Callable[[ManifestIndex, CheckOptions], Iterable[Finding]]


@record
class Rule(Record):
    id: str  # e.g. "CG-SVC-004"
    severity: Severity  # default severity of its findings
    title: str  # one line: what the rule catches
    layer: str  # "schema" | "api" | "cross" | "istio" | "posture"
    fn: RuleFn
    why: str = ""  # what breaks (and when) if this is ignored
    fix: str = ""  # the default remediation; a finding may give a more specific hint
    example: str = ""  # a short YAML snippet that triggers the rule


_RULES: dict[str, Rule] = {}


def rule(id: str, severity: Severity, title: str, layer: str, *, why: str = "", fix: str = "",
         example: str = "") -> Callable[[RuleFn], RuleFn]:
    """Decorator registering a rule function. Ids must be unique."""

    def deco(fn: RuleFn) -> RuleFn:
        if id in _RULES:
            raise ValueError(f"duplicate rule id {id}")
        _RULES[id] = Rule(id, severity, title, layer, fn, why, fix, example)
        return fn

    return deco


def get_rule(rule_id: str) -> Rule:
    return _RULES[rule_id]


def finding(rule_id: str, doc: Document, message: str, *, field: str | None = None, hint: str | None = None,
            severity: Severity | None = None) -> Finding:
    """The one finding builder: severity defaults to the rule's declared one, the hint to the rule's fix."""
    r = _RULES[rule_id]
    return Finding.at(doc, rule_id, r.severity if severity is None else severity, message,
                      r.fix if hint is None else hint, field=field)


def all_rules() -> list[Rule]:
    return sorted(_RULES.values(), key=lambda r: r.id)
