"""The one reporting layer: every command's result is a `Report` of typed records; each format is one function.

`chartgen check`, `chartgen verify` and `chartgen diff` build a `Report` (findings, text sections, JUnit cases, a
summary) and hand it to `write(fmt, report, out)`. A format is a function `Report -> str` registered in FORMATS
with the @output_format decorator: adding a format is writing that one function here.

Formats: text (rich colour on a terminal, plain otherwise), json, junit (JUnit XML), github (workflow commands),
sarif (SARIF 2.1.0).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import field
from json.encoder import encode_basestring as _quote  # the C function json.dumps uses (ensure_ascii=False)
from pathlib import Path, PurePath
from typing import IO, Any, Protocol

from chartgen.check.model import Finding, Severity
from chartgen.core.record import Record, record

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

# --- records -----------------------------------------------------------------------------------------------

Span = tuple[str, str]  # (text, rich style or "")
Line = tuple[Span, ...]


def line(text: str, style: str = "") -> Line:
    return ((text, style),)


class RuleInfo(Protocol):
    """What SARIF needs to describe a rule (chartgen.check.registry.Rule satisfies it)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def layer(self) -> str: ...


@record
class StepRule(Record):
    """A rule that is not a check rule: a verify step (helm lint, drift, snapshots...)."""

    id: str
    title: str
    severity: Severity
    layer: str = "verify"


@record
class Section(Record):
    """A block of the text report: a header line, its findings and further lines (all indented under it)."""

    header: str | None
    ok: bool = True
    findings: tuple[Finding, ...] = ()
    notes: tuple[Line, ...] = ()


@record
class Case(Record):
    """One JUnit test case. Findings at or above the report's failing severity fail it; others are shown."""

    suite: str
    name: str
    findings: tuple[Finding, ...] = ()
    seconds: float = 0.0


@record
class Summary(Record):
    line: str
    ok: bool
    data: Mapping[str, Any] = field(default_factory=dict)  # JSON "summary"


@record
class Report(Record):
    tool: str  # "chartgen check", "chartgen verify", ...
    findings: tuple[Finding, ...]
    summary: Summary
    fail_on: Severity = Severity.ERROR
    sections: tuple[Section, ...] | None = None  # None: the findings, one per line, unindented
    preamble: tuple[Line, ...] = ()  # text lines before the sections
    cases: tuple[Case, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)  # extra JSON keys, between "ok" and "findings"
    json_body: Mapping[str, Any] | None = None  # a command whose JSON is its own document (diff)
    rules: Sequence[RuleInfo] | None = None  # SARIF rule descriptors (default: the check registry)

    @property
    def ok(self) -> bool:
        return self.summary.ok


# --- finding text helpers ----------------------------------------------------------------------------------


def message_with_subject(f: Finding) -> str:
    """The message, prefixed with the resource unless it already starts by naming it."""
    r = f.resource
    if r is None or not r.kind:
        return f.message
    if f.message.startswith(str(r)) or f.message.startswith(f"{r.kind} {r.name}"):
        return f.message
    return f"{r}: {f.message}"


def location(f: Finding) -> str:
    if f.file is None:
        return ""
    return f"{f.file}:{f.line}" if f.line else f.file


def _separator(f: Finding) -> str:
    return " " if f.resource is not None and f.resource.kind else ": "


def finding_spans(f: Finding) -> Line:
    where = location(f)
    return (((where + " ", "bold"),) if where else ()) + (
        (f"[{f.severity}]", _STYLE[f.severity]),
        (f" {f.rule}", "magenta"),
        (_separator(f) + message_with_subject(f), ""),
        (f" (hint: {f.hint})", "dim"),
    )


def text_line(f: Finding) -> str:
    """`file:line [severity] RULE resource: message (hint: ...)`"""
    return plain(finding_spans(f))


def plain(spans: Line) -> str:
    return "".join(text for text, _ in spans)


# --- formats -----------------------------------------------------------------------------------------------

Formatter = Callable[[Report], str]
FORMATS: dict[str, Formatter] = {}


def output_format(name: str) -> Callable[[Formatter], Formatter]:
    def deco(fn: Formatter) -> Formatter:
        FORMATS[name] = fn
        return fn

    return deco


def text_lines(report: Report) -> list[Line]:
    """The text report as styled lines (the text format writes them plain or through rich)."""
    out: list[Line] = list(report.preamble)
    if report.sections is None:
        out.extend(finding_spans(f) for f in report.findings)
    else:
        for s in report.sections:
            pad: Line = (("  ", ""),) if s.header is not None else ()
            if s.header is not None:
                out.append(line(s.header, "" if s.ok else "bold red"))
            out.extend(pad + finding_spans(f) for f in s.findings)
            out.extend(pad + n for n in s.notes)
    out.append(line(report.summary.line, "bold green" if report.ok else "bold red"))
    return out


@output_format("text")
def render_text(report: Report) -> str:
    return "".join(plain(spans) + "\n" for spans in text_lines(report))


@output_format("json")
def render_json(report: Report) -> str:
    return "".join(json_chunks(report))


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


_FINDINGS_SLOT = "chartgen-findings-f3b1c9"


def json_chunks(report: Report, batch: int = 500) -> Iterator[str]:
    """The JSON report in pieces, one finding at a time: the text of `json.dumps(body, indent=2)` without the whole
    body (every finding as a dict) and its text in memory at once (50,000 documents can make 70,000 findings)."""
    if report.json_body is not None:
        yield _json(report.json_body) + "\n"
        return
    body = {"ok": report.ok, **report.data, "findings": _FINDINGS_SLOT, "summary": dict(report.summary.data)}
    head, _, tail = _json(body).partition(f'"findings": "{_FINDINGS_SLOT}"')
    if not report.findings:
        yield head + '"findings": []' + tail + "\n"
        return
    yield head + '"findings": [\n'
    for start in range(0, len(report.findings), batch):
        part = report.findings[start:start + batch]
        text = ",\n".join("    " + _item_json(f.to_dict()) for f in part)
        yield (",\n" if start else "") + text
    yield "\n  ]" + tail + "\n"


def _item_json(item: dict[str, Any]) -> str:
    """An item of a list at the second level, as json.dumps(indent=2) writes it there."""
    text = _mapping_json(item, "    ")
    if text is not None:
        return text
    # JSON strings escape their newlines, so every newline of the item's text is a line break between its fields
    return _json(item).replace("\n", "\n    ")


def _mapping_json(value: dict[Any, Any], indent: str) -> str | None:
    """json.dumps(value, indent=2, ensure_ascii=False) at `indent`, for mappings of strings, integers, booleans,
    nulls and such mappings (a finding), every string through the C encoder; None for anything else."""
    if not value:
        return "{}"
    inner = indent + "  "
    parts = []
    for key, item in value.items():
        if type(key) is not str:
            return None
        kind = type(item)
        if kind is str:
            text: str | None = _quote(item)
        elif item is None:
            text = "null"
        elif kind is bool:
            text = "true" if item else "false"
        elif kind is int:
            text = int.__repr__(item)
        elif kind is dict:
            text = _mapping_json(item, inner)
        else:
            return None
        if text is None:
            return None
        parts.append(f"{inner}{_quote(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n" + indent + "}"


def _details(f: Finding) -> str:
    where = f" {f.field}" if f.field else ""
    return f"{text_line(f)}\nrule: {f.rule}{where}\n"


@output_format("junit")
def render_junit(report: Report) -> str:
    """A testsuite per Case.suite, a testcase per Case, a failure per finding at or above the failing severity."""
    from xml.etree import ElementTree as ET

    suites: dict[str, list[Case]] = {}
    for case in report.cases:
        suites.setdefault(case.suite, []).append(case)
    root = ET.Element("testsuites", name=report.tool)
    total_tests = total_failures = 0
    for name, cases in suites.items():
        suite = ET.SubElement(root, "testsuite", name=name)
        failures = 0
        for c in cases:
            el = ET.SubElement(suite, "testcase", name=c.name, classname=name, time=_seconds(c.seconds))
            failing = [f for f in c.findings if f.severity >= report.fail_on]
            for f in failing:
                failure = ET.SubElement(el, "failure", message=f"{f.rule}: {f.message}", type=f.rule)
                failure.text = _details(f)
            others = [f for f in c.findings if f.severity < report.fail_on]
            if others:
                ET.SubElement(el, "system-out").text = "".join(text_line(f) + "\n" for f in others)
            failures += bool(failing)
        for key, value in (("tests", len(cases)), ("failures", failures), ("errors", 0), ("skipped", 0)):
            suite.set(key, str(value))
        suite.set("time", _seconds(sum(c.seconds for c in cases)))
        total_tests += len(cases)
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    root.set("time", _seconds(sum(c.seconds for c in report.cases)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _seconds(value: float) -> str:
    return "0" if not value else f"{value:.3f}"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


@output_format("github")
def render_github(report: Report) -> str:
    """GitHub Actions workflow commands: ::error file=F,line=L,title=RULE::message"""
    lines = []
    for f in report.findings:
        props = []
        if f.file is not None and f.file != "-":
            props.append(f"file={_gh_property(f.file)}")
            if f.line:
                props.append(f"line={f.line}")
        props.append(f"title={_gh_property(f.rule)}")
        message = f"{message_with_subject(f)} (hint: {f.hint})"
        lines.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_gh_data(message)}")
    lines.append(report.summary.line)
    return "\n".join(lines) + "\n"


def _artifact_uri(file: str) -> str:
    from urllib.parse import quote

    path = PurePath(file)
    if path.is_absolute():
        return Path(file).as_uri()
    return quote(path.as_posix(), safe="/")


def _check_rules() -> list[Any]:
    from chartgen.check.registry import all_rules
    from chartgen.check.runner import load_rule_modules

    load_rule_modules()
    return list(all_rules())


@output_format("sarif")
def render_sarif(report: Report) -> str:
    """SARIF 2.1.0: tool.driver.rules from the report's rules (default: the check registry), a result per finding."""
    return sarif_log(report.findings, report.rules)


def sarif_log(findings: Sequence[Finding], rules: Sequence[RuleInfo] | None = None) -> str:
    if rules is None:
        rules = _check_rules()
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
        results.append(_sarif_result(f, rule_index[f.rule]))
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


def _sarif_result(f: Finding, index: int) -> dict[str, Any]:
    where: dict[str, Any] = {}
    if f.file is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(f.file)}}
        if f.line:
            physical["region"] = {"startLine": f.line}
        where["physicalLocation"] = physical
    if f.resource is not None and f.resource.kind:
        r = f.resource
        where["logicalLocations"] = [{
            "name": r.name or "(unnamed)",
            "fullyQualifiedName": "/".join(p for p in (r.kind, r.namespace, r.name) if p),
            "kind": "resource",
        }]
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": _SARIF_LEVEL[f.severity],
        "message": {"text": f"{message_with_subject(f)} (hint: {f.hint})"},
        "properties": {"hint": f.hint, **({"field": f.field} if f.field else {})},
    }
    if where:
        result["locations"] = [where]
    return result


# --- entry points ------------------------------------------------------------------------------------------


def render(fmt: str, report: Report) -> str:
    """The report as a string (text without colour)."""
    try:
        formatter = FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}") from None
    return formatter(report)


def use_color(out: IO[str]) -> bool:
    """Colour only for a person at a terminal: never when piped, in CI, with NO_COLOR or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def write(fmt: str, report: Report, out: IO[str], *, color: bool | None = None) -> None:
    """Write the report; text is coloured (rich) when `color`, by default when `out` is a terminal."""
    if fmt == "text":
        if color is None:
            isatty = getattr(out, "isatty", None)
            color = bool(isatty and isatty())
        if color:
            write_rich(text_lines(report), out)
            return
    if fmt == "json":
        for chunk in json_chunks(report):
            out.write(chunk)
        return
    out.write(render(fmt, report))


def write_rich(lines: Sequence[Line], out: IO[str]) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, force_terminal=True, highlight=False, soft_wrap=True)
    for spans in lines:
        text = Text()
        for chunk, style in spans:
            text.append(chunk, style=style or None)
        console.print(text)
