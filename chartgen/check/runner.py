"""Run every registered rule once over one index, then suppress, promote and sort the findings.

Suppression: see chartgen.check.suppress (the chartgen.io/ignore annotation) and chartgen.check.config
(per-path ignores of .chartgen-check.yaml).
Profile "prod": a finding of a rule in layer "posture" at the rule's declared severity (info or warning) becomes an
ERROR; a finding the rule deliberately lowered below its declared severity stays as it is.
Severity overrides (CheckOptions.severity_overrides, from the config file) apply last.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import lru_cache

from chartgen.check.loader import SourceDocument, forget_texts, parse_field
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import Rule, all_rules
from chartgen.check.suppress import IGNORE_ANNOTATION, Ignore, ignores_of, parse_ignore  # noqa: F401 (re-export)
from chartgen.core.record import Record, record

# Schema layers (chartgen/check/*schema.py) plus every module of the chartgen.check.rules package.
RULE_MODULES = (
    "chartgen.check.schema",
    "chartgen.check.crd_schema",
)
PROMOTED_LAYER = "posture"


_loaded: tuple[str, ...] = ()  # the modules once all were imported: a module registers its rules once per process


def load_rule_modules() -> list[str]:
    """Import the rule modules (registering their rules); returns their names. Every check and every rule-id
    lookup asks for them (three times per rendering in verify): after the first call, the package's folder is not
    listed again."""
    global _loaded
    if not _loaded:
        from chartgen.check import rules
        from chartgen.core.ast_lock import AST_LOCK

        # an import hook may build AST objects (pytest's assertion rewriting, which rewrites chartgen's modules in
        # the test suite: its plugin's package), and verify's threads load the rules: chartgen/core/ast_lock.py
        with AST_LOCK:
            for name in RULE_MODULES:
                importlib.import_module(name)
            _loaded = (*RULE_MODULES, *rules.load())
    return list(_loaded)


_ignores = ignores_of


# --- running -------------------------------------------------------------------------------------------------


@record
class CheckResult(Record):
    documents: list[Document]
    findings: list[Finding]  # sorted, suppressed ones removed
    suppressed: list[Finding]

    def failing(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity >= threshold]


_parse_field = lru_cache(maxsize=4096)(parse_field)  # the same fields recur in every copy of a chart


def _needs_line(finding: Finding, doc: Document | None) -> bool:
    """A finding made with Finding.at, whose field's line the loader can tell."""
    return doc is not None and bool(finding.field) and finding.line == doc.line and isinstance(doc, SourceDocument)


def _refine_lines(findings: list[Finding], by_location: dict[tuple[str | None, int | None], Document]) -> list[Finding]:
    """Point findings made with Finding.at at the line of their field: each document is read again (when the loader
    did not keep its lines) once for all of its findings, in file order."""
    wanted: dict[tuple[str | None, int | None], set[tuple[str | int, ...]]] = {}
    for f in findings:
        key = (f.file, f.doc_index)
        if _needs_line(f, by_location.get(key)):
            wanted.setdefault(key, set()).add(_parse_field(f.field or ""))
    lines: dict[tuple[str | None, int | None], dict[tuple[str | int, ...], int | None]] = {}
    for key in sorted(wanted, key=lambda k: (k[0] or "", -1 if k[1] is None else k[1])):
        doc = by_location[key]
        assert isinstance(doc, SourceDocument)
        lines[key] = doc.lines_of(wanted[key])
    forget_texts()
    out = []
    for f in findings:
        key = (f.file, f.doc_index)
        if key in lines and f.field and f.line == by_location[key].line:
            line = lines[key][_parse_field(f.field)]
            if line != f.line:
                f = replace(f, line=line)
        out.append(f)
    return out


def sort_key(finding: Finding) -> tuple[str, int, str, str, str]:
    return (finding.file or "", -1 if finding.doc_index is None else finding.doc_index, finding.rule,
            finding.field or "", finding.message)


def _run_rule(r: Rule, index: ManifestIndex, opts: CheckOptions, promote: bool) -> Iterator[Finding]:
    override = dict(opts.severity_overrides).get(r.id)
    for finding in r.fn(index, opts):
        if finding.rule in opts.disabled:
            continue
        if promote and r.layer == PROMOTED_LAYER and r.severity <= finding.severity < Severity.ERROR:
            finding = replace(finding, severity=Severity.ERROR)
        if override is not None and finding.severity != override:
            finding = replace(finding, severity=override)
        yield finding


def check(documents: Sequence[Document], opts: CheckOptions, default_namespace: str | None = None) -> CheckResult:
    load_rule_modules()
    docs = list(documents)
    index = ManifestIndex(docs, default_namespace)
    by_location: dict[tuple[str | None, int | None], Document] = {(d.file, d.index): d for d in docs}
    ignores = {key: parsed for key, d in by_location.items() if isinstance(parsed := _ignores(d), Ignore)}
    promote = opts.profile == "prod"
    found: list[Finding] = []
    for r in all_rules():
        if r.id in opts.disabled:
            continue
        found.extend(_run_rule(r, index, opts, promote))
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in _refine_lines(found, by_location):
        ignore = ignores.get((finding.file, finding.doc_index))
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
