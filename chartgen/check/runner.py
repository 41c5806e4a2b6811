"""Run every registered rule once over one index, then suppress, promote and sort the findings.

Suppression: a resource opts out of rules with the annotation
    chartgen.io/ignore: "CG-SVC-004,CG-X-001: reason text"
The reason is required; an annotation without one is itself a finding (CG-META-001) and suppresses nothing.
Profile "prod": findings of rules in layer "posture" at WARNING become ERROR.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from chartgen.check.api_rules import at
from chartgen.check.loader import SourceDocument, parse_field
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import Rule, all_rules, rule

# Rule modules, imported in this order. The optional ones are written in parallel and may not exist yet.
RULE_MODULES = (
    "chartgen.check.api_rules",
    "chartgen.check.schema",
    "chartgen.check.cross",
    "chartgen.check.istio",
    "chartgen.check.crd_schema",
    "chartgen.check.posture",
    "chartgen.check.rules_pod",
    "chartgen.check.rules_apps",
    "chartgen.check.rules_batch",
    "chartgen.check.rules_networking",
    "chartgen.check.rules_config",
    "chartgen.check.rules_metadata",
    "chartgen.check.rules_autoscaling",
    "chartgen.check.rules_availability",
    "chartgen.check.rules_reachability",
    "chartgen.check.rules_mesh",
)
OPTIONAL_RULE_MODULES = frozenset({
    "chartgen.check.cross", "chartgen.check.istio", "chartgen.check.posture",
})

IGNORE_ANNOTATION = "chartgen.io/ignore"
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
PROMOTED_LAYER = "posture"


def load_rule_modules() -> list[str]:
    """Import the rule modules (registering their rules); returns the names that are present."""
    loaded = []
    for name in RULE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as err:
            # Only "this optional module does not exist yet" is tolerated, never a missing import inside it.
            if name in OPTIONAL_RULE_MODULES and err.name == name:
                continue
            raise
        loaded.append(name)
    return loaded


# --- suppression annotation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ignore:
    rules: frozenset[str]
    reason: str


def parse_ignore(value: object) -> Ignore | str:
    """The annotation's rules and reason, or a one-line description of what is wrong with it."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    ids_text, sep, reason = value.partition(":")
    ids = [part.strip() for part in ids_text.split(",") if part.strip()]
    bad = [i for i in ids if not _RULE_ID.match(i)]
    if not ids or bad:
        return f"{value!r} does not start with rule ids (e.g. CG-SVC-004,CG-SVC-010)"
    if not sep or not reason.strip():
        return f"{value!r} gives no reason after the rule ids"
    return Ignore(frozenset(ids), reason.strip())


def _ignores(doc: Document) -> Ignore | str | None:
    annotations = doc.annotations
    if IGNORE_ANNOTATION not in annotations:
        return None
    return parse_ignore(annotations[IGNORE_ANNOTATION])


_IGNORE_FIELD = f"metadata.annotations[{IGNORE_ANNOTATION}]"


@rule("CG-META-001", Severity.WARNING, "chartgen.io/ignore annotation is malformed or gives no reason "
      "(it suppresses nothing)", "meta")
def malformed_ignore(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        parsed = _ignores(doc)
        if isinstance(parsed, str):
            yield at(doc, "CG-META-001", Severity.WARNING, f"annotation {IGNORE_ANNOTATION} {parsed}; "
                     "nothing is suppressed", f'write {IGNORE_ANNOTATION}: "RULE-ID[,RULE-ID]: why this is '
                     'fine here"', field=_IGNORE_FIELD)


@rule("CG-META-002", Severity.WARNING, "chartgen.io/ignore names a rule id that does not exist", "meta")
def unknown_ignored_rule(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    known = {r.id for r in all_rules()}
    for doc in index:
        parsed = _ignores(doc)
        if isinstance(parsed, Ignore):
            for rule_id in sorted(parsed.rules - known):
                yield at(doc, "CG-META-002", Severity.WARNING,
                         f"annotation {IGNORE_ANNOTATION} names unknown rule {rule_id}",
                         "fix the rule id (see `chartgen check` output or the SARIF rules list)",
                         field=_IGNORE_FIELD)


# --- running -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    documents: list[Document]
    findings: list[Finding]  # sorted, suppressed ones removed
    suppressed: list[Finding]

    def failing(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= threshold]


def _refine_line(finding: Finding, doc: Document | None) -> Finding:
    """Point a finding made with Finding.at at the line of its field, when the loader recorded it."""
    if doc is None or not finding.field or finding.line != doc.line or not isinstance(doc, SourceDocument):
        return finding
    line = doc.line_of(parse_field(finding.field))
    return finding if line == finding.line else replace(finding, line=line)


def sort_key(finding: Finding) -> tuple[str, int, str, str, str]:
    return (finding.file or "", -1 if finding.doc_index is None else finding.doc_index, finding.rule,
            finding.field or "", finding.message)


def _run_rule(r: Rule, index: ManifestIndex, opts: CheckOptions, promote: bool) -> Iterator[Finding]:
    for finding in r.fn(index, opts):
        if finding.rule in opts.disabled:
            continue
        if promote and r.layer == PROMOTED_LAYER and finding.severity == Severity.WARNING:
            finding = replace(finding, severity=Severity.ERROR)
        yield finding


def check(documents: Sequence[Document], opts: CheckOptions, default_namespace: str | None = None) -> CheckResult:
    load_rule_modules()
    docs = list(documents)
    index = ManifestIndex(docs, default_namespace)
    by_location = {(d.file, d.index): d for d in docs}
    ignores = {key: parsed for key, d in by_location.items() if isinstance(parsed := _ignores(d), Ignore)}
    promote = opts.profile == "prod"
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for r in all_rules():
        if r.id in opts.disabled:
            continue
        for finding in _run_rule(r, index, opts, promote):
            key = (finding.file, finding.doc_index)
            finding = _refine_line(finding, by_location.get(key))
            ignore = ignores.get(key)
            if ignore is not None and finding.rule in ignore.rules and not finding.rule.startswith("CG-META-"):
                suppressed.append(finding)
            else:
                kept.append(finding)
    kept.sort(key=sort_key)
    suppressed.sort(key=sort_key)
    return CheckResult(docs, kept, suppressed)


def run_checks(documents: list[Document], opts: CheckOptions, default_namespace: str | None = None) -> list[Finding]:
    """All findings over `documents`, suppressed ones removed, sorted by file, document, rule and field."""
    return check(documents, opts, default_namespace).findings
