"""Findings as text, JSON, JUnit XML, GitHub workflow commands or SARIF 2.1.0."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, TextIO
from urllib.parse import quote
from xml.etree import ElementTree as ET

from chartgen.check.model import Document, Finding, Severity

FORMATS = ("text", "json", "junit", "github", "sarif")
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


@dataclass(frozen=True)
class Summary:
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


def message_with_subject(f: Finding) -> str:
    """The message, prefixed with the resource unless it already starts by naming it."""
    r = f.resource
    if r is None or not r.kind:
        return f.message
    if f.message.startswith(str(r)) or f.message.startswith(f"{r.kind} {r.name}"):
        return f.message
    return f"{r}: {f.message}"


def _location(f: Finding) -> str:
    if f.file is None:
        return ""
    return f"{f.file}:{f.line}" if f.line else f.file


# --- text --------------------------------------------------------------------------------------------------


def text_line(f: Finding) -> str:
    """`file:line [severity] RULE resource: message (hint: ...)`"""
    where = _location(f)
    head = f"{where} [{f.severity}] {f.rule}" if where else f"[{f.severity}] {f.rule}"
    return f"{head}{_separator(f)}{message_with_subject(f)} (hint: {f.hint})"


def _separator(f: Finding) -> str:
    return " " if f.resource is not None and f.resource.kind else ": "


def render_text(findings: Sequence[Finding], summary: Summary) -> str:
    return "".join(text_line(f) + "\n" for f in findings) + summary.line() + "\n"


def _write_color_text(findings: Sequence[Finding], summary: Summary, out: TextIO) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
    for f in findings:
        line = Text()
        where = _location(f)
        if where:
            line.append(where + " ", style="bold")
        line.append(f"[{f.severity}]", style=_STYLE[f.severity])
        line.append(f" {f.rule}", style="magenta")
        line.append(_separator(f) + message_with_subject(f))
        line.append(f" (hint: {f.hint})", style="dim")
        console.print(line)
    console.print(Text(summary.line(), style="bold green" if summary.ok else "bold red"))


# --- json --------------------------------------------------------------------------------------------------


def render_json(findings: Sequence[Finding], summary: Summary) -> str:
    body = {"ok": summary.ok, "findings": [f.to_dict() for f in findings], "summary": summary.to_dict()}
    return json.dumps(body, indent=2) + "\n"


# --- junit -------------------------------------------------------------------------------------------------


def _details(f: Finding) -> str:
    field = f" {f.field}" if f.field else ""
    return f"{text_line(f)}\nrule: {f.rule}{field}\n"


def render_junit(findings: Sequence[Finding], documents: Sequence[Document], summary: Summary) -> str:
    """A testsuite per file, a testcase per resource, a failure per finding at or above the failing severity."""
    suites: dict[str, dict[object, tuple[str, list[Finding]]]] = {}
    used_names: dict[str, set[str]] = {}
    for doc in documents:
        cases = suites.setdefault(doc.file, {})
        names = used_names.setdefault(doc.file, set())
        name = str(doc.ref) if doc.kind else f"document {doc.index}"
        if name in names:
            name = f"{name} (document {doc.index})"
        names.add(name)
        cases[doc.index] = (name, [])
    for f in findings:
        file = f.file if f.file is not None else "chartgen"
        cases = suites.setdefault(file, {})
        key: object = f.doc_index if f.doc_index is not None else "-"
        if key not in cases:
            cases[key] = (str(f.resource) if f.resource is not None and f.resource.kind else
                          ("run" if f.file is None else file), [])
        cases[key][1].append(f)

    root = ET.Element("testsuites", name="chartgen check")
    total_tests = total_failures = 0
    for file, cases in suites.items():
        suite = ET.SubElement(root, "testsuite", name=file)
        failures = 0
        for name, case_findings in cases.values():
            case = ET.SubElement(suite, "testcase", name=name, classname=file, time="0")
            failing = [f for f in case_findings if f.severity >= summary.fail_on]
            for f in failing:
                failure = ET.SubElement(case, "failure", message=f"{f.rule}: {f.message}", type=f.rule)
                failure.text = _details(f)
            others = [f for f in case_findings if f.severity < summary.fail_on]
            if others:
                ET.SubElement(case, "system-out").text = "".join(text_line(f) + "\n" for f in others)
            failures += bool(failing)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", "0")
        total_tests += len(cases)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- github ------------------------------------------------------------------------------------------------


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(findings: Sequence[Finding], summary: Summary) -> str:
    """GitHub Actions workflow commands: ::error file=F,line=L,title=RULE::message"""
    lines = []
    for f in findings:
        props = []
        if f.file is not None and f.file != "-":
            props.append(f"file={_gh_property(f.file)}")
            if f.line:
                props.append(f"line={f.line}")
        props.append(f"title={_gh_property(f.rule)}")
        message = f"{message_with_subject(f)} (hint: {f.hint})"
        lines.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_gh_data(message)}")
    lines.append(summary.line())
    return "\n".join(lines) + "\n"


# --- sarif -------------------------------------------------------------------------------------------------


def _artifact_uri(file: str) -> str:
    path = PurePath(file)
    if path.is_absolute():
        return Path(file).as_uri()
    return quote(path.as_posix(), safe="/")


def render_sarif(findings: Sequence[Finding], rules: Sequence[Any] | None = None) -> str:
    """SARIF 2.1.0: tool.driver.rules from the registry, one result per finding."""
    if rules is None:
        from chartgen.check.registry import all_rules
        from chartgen.check.runner import load_rule_modules

        load_rule_modules()
        rules = all_rules()
    descriptors: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    for r in rules:
        rule_index[r.id] = len(descriptors)
        descriptors.append({
            "id": r.id,
            "shortDescription": {"text": r.title},
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
            "properties": {"layer": r.layer, "tags": [r.layer]},
        })
    results = []
    for f in findings:
        if f.rule not in rule_index:  # a finding id no rule registers: describe it anyway
            rule_index[f.rule] = len(descriptors)
            descriptors.append({"id": f.rule, "shortDescription": {"text": f.rule}})
        location: dict[str, Any] = {}
        if f.file is not None:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(f.file)}}
            if f.line:
                physical["region"] = {"startLine": f.line}
            location["physicalLocation"] = physical
        if f.resource is not None and f.resource.kind:
            r = f.resource
            location["logicalLocations"] = [{
                "name": r.name or "(unnamed)",
                "fullyQualifiedName": "/".join(p for p in (r.kind, r.namespace, r.name) if p),
                "kind": "resource",
            }]
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": rule_index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{message_with_subject(f)} (hint: {f.hint})"},
            "properties": {"hint": f.hint, **({"field": f.field} if f.field else {})},
        }
        if location:
            result["locations"] = [location]
        results.append(result)
    from chartgen import __version__

    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "chartgen", "version": __version__, "rules": descriptors}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


# --- entry point -------------------------------------------------------------------------------------------


def render(fmt: str, findings: Sequence[Finding], documents: Sequence[Document], *,
           fail_on: Severity = Severity.ERROR, suppressed: int = 0) -> str:
    """The report as a string (text without colour)."""
    summary = summarize(findings, documents, fail_on, suppressed)
    if fmt == "text":
        return render_text(findings, summary)
    if fmt == "json":
        return render_json(findings, summary)
    if fmt == "junit":
        return render_junit(findings, documents, summary)
    if fmt == "github":
        return render_github(findings, summary)
    if fmt == "sarif":
        return render_sarif(findings)
    raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")


def write_report(fmt: str, findings: Sequence[Finding], documents: Sequence[Document], out: TextIO, *,
                 fail_on: Severity = Severity.ERROR, suppressed: int = 0, color: bool | None = None) -> None:
    """Write the report; text is coloured (rich) only when `out` is a terminal, unless `color` says otherwise."""
    if fmt == "text":
        if color is None:
            isatty = getattr(out, "isatty", None)
            color = bool(isatty and isatty())
        if color:
            _write_color_text(findings, summarize(findings, documents, fail_on, suppressed), out)
            return
    out.write(render(fmt, findings, documents, fail_on=fail_on, suppressed=suppressed))
