"""`chartgen check` results as a reporting.Report (the formats themselves live in chartgen.check.formats)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from chartgen.check import formats as reporting
from chartgen.check.formats import Case, Report, message_with_subject, text_line
from chartgen.check.model import Document, Finding, Severity
from chartgen.core.record import Record, record

FORMATS = tuple(reporting.FORMATS)
__all__ = ["FORMATS", "Summary", "check_report", "message_with_subject", "render", "render_sarif", "summarize",
           "text_line", "write_report"]


@record
class Summary(Record):
    documents: int
    files: int
    errors: int
    warnings: int
    infos: int
    suppressed: int
    fail_on: Severity
    failing: int  # findings at or above fail_on

    @property
    def ok(self) -> bool:
        return self.failing == 0

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "files": self.files, "errors": self.errors,
                "warnings": self.warnings, "info": self.infos, "suppressed": self.suppressed,
                "failOn": str(self.fail_on), "failing": self.failing}

    def line(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 or word == 'info' else 's'}"

        text = (f"{n(self.documents, 'document')} in {n(self.files, 'file')}: {n(self.errors, 'error')}, "
                f"{n(self.warnings, 'warning')}, {n(self.infos, 'info')}")
        if self.suppressed:
            text += f" ({self.suppressed} suppressed)"
        verdict = "ok" if self.ok else f"failed ({self.failing} at or above {self.fail_on})"
        return f"{text}: {verdict}"


def summarize(findings: Sequence[Finding], documents: Sequence[Document], fail_on: Severity = Severity.ERROR,
              suppressed: int = 0) -> Summary:
    count = {s: 0 for s in Severity}
    for f in findings:
        count[f.severity] += 1
    return Summary(len(documents), len({d.file for d in documents}), count[Severity.ERROR],
                   count[Severity.WARNING], count[Severity.INFO], suppressed, fail_on,
                   sum(1 for f in findings if f.severity >= fail_on))


def junit_cases(findings: Sequence[Finding], documents: Sequence[Document]) -> tuple[Case, ...]:
    """A case per document (named by its resource), grouped by file; findings outside documents get their own."""
    cases: dict[str, dict[object, tuple[str, list[Finding]]]] = {}
    used: dict[str, set[str]] = {}
    for doc in documents:
        names = used.setdefault(doc.file, set())
        name = str(doc.ref) if doc.kind else f"document {doc.index}"
        if name in names:
            name = f"{name} (document {doc.index})"
        names.add(name)
        cases.setdefault(doc.file, {})[doc.index] = (name, [])
    for f in findings:
        file = f.file if f.file is not None else "chartgen"
        by_key = cases.setdefault(file, {})
        key: object = f.doc_index if f.doc_index is not None else "-"
        if key not in by_key:
            by_key[key] = (str(f.resource) if f.resource is not None and f.resource.kind else
                           ("run" if f.file is None else file), [])
        by_key[key][1].append(f)
    return tuple(Case(file, name, tuple(fs)) for file, by_key in cases.items() for name, fs in by_key.values())


def check_report(findings: Sequence[Finding], documents: Sequence[Document], *, fail_on: Severity = Severity.ERROR,
                 suppressed: int = 0) -> Report:
    summary = summarize(findings, documents, fail_on, suppressed)
    return Report("chartgen check", tuple(findings), reporting.Summary(summary.line(), summary.ok, summary.to_dict()),
                  fail_on, cases=junit_cases(findings, documents))


def render(fmt: str, findings: Sequence[Finding], documents: Sequence[Document], *,
           fail_on: Severity = Severity.ERROR, suppressed: int = 0) -> str:
    """The report as a string (text without colour)."""
    return reporting.render(fmt, check_report(findings, documents, fail_on=fail_on, suppressed=suppressed))


def render_sarif(findings: Sequence[Finding], rules: Sequence[Any] | None = None) -> str:
    return reporting.sarif_log(findings, rules)


def write_report(fmt: str, findings: Sequence[Finding], documents: Sequence[Document], out: TextIO, *,
                 fail_on: Severity = Severity.ERROR, suppressed: int = 0, color: bool | None = None) -> None:
    """Write the report; text is coloured (rich) only when `out` is a terminal, unless `color` says otherwise."""
    reporting.write(fmt, check_report(findings, documents, fail_on=fail_on, suppressed=suppressed), out, color=color)
