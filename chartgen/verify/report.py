"""A verify run as a reporting.Report: a text section per chart environment, a JUnit case per environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chartgen.check import formats as reporting
from chartgen.check.formats import Case, Line, Report, Section, StepRule, Summary, line
from chartgen.check.model import Finding, Severity
from chartgen.verify.results import (
    DEPENDENCY,
    DRIFT,
    LINT,
    MATRIX,
    SNAPSHOT_CHANGED,
    SNAPSHOT_MISSING,
    SNAPSHOT_OBSOLETE,
    TEMPLATE,
    ChartResult,
    EnvResult,
    Helms,
)

STEP_RULES = (
    StepRule(DRIFT, "Committed chart differs from what its chartgen.yaml generates", Severity.ERROR),
    StepRule(LINT, "helm lint --strict fails for an environment", Severity.ERROR),
    StepRule(TEMPLATE, "helm template fails for an environment", Severity.ERROR),
    StepRule(MATRIX, "The chart renders differently under helm 4 and helm 3", Severity.ERROR),
    StepRule(SNAPSHOT_CHANGED, "The rendering differs from its snapshot", Severity.ERROR),
    StepRule(SNAPSHOT_MISSING, "An environment has no snapshot (snapshots are enabled for the chart)", Severity.ERROR),
    StepRule(SNAPSHOT_OBSOLETE, "A snapshot of an environment the chart no longer has", Severity.WARNING),
    StepRule(DEPENDENCY, "A dependency of the chart is neither in charts/ nor obtainable", Severity.ERROR),
)


def _rules() -> list[Any]:
    from chartgen.check.formats import _check_rules
    from chartgen.verify.upgrade import RULES as UPGRADE_RULES
    from chartgen.verify.upgrade_run import NEW, RENDER
    from chartgen.verify.version_bump import VERSION_NOT_BUMPED

    more = (StepRule(VERSION_NOT_BUMPED, "A chart changed since --changed-since REF but its version did not grow",
                     Severity.ERROR),
            StepRule(RENDER, "--upgrade-from: the chart at REF does not render (nothing compared)", Severity.ERROR),
            StepRule(NEW, "--upgrade-from: the chart or environment did not exist at REF", Severity.INFO))
    return [*_check_rules(), *STEP_RULES, *more, *UPGRADE_RULES.values()]


class _LazyRules(Sequence[Any]):
    """The SARIF rule list, built (importing every check rule) only when a SARIF report is written."""

    def __init__(self) -> None:
        self._rules: list[Any] | None = None

    def _get(self) -> list[Any]:
        if self._rules is None:
            self._rules = _rules()
        return self._rules

    def __getitem__(self, i: Any) -> Any:
        return self._get()[i]

    def __len__(self) -> int:
        return len(self._get())


def _diff_lines(diff: str) -> tuple[Line, ...]:
    style = {"+": "green", "-": "red", "@": "cyan"}
    return tuple(line(text, style.get(text[:1], "")) for text in diff.splitlines())


def env_section(e: EnvResult, fail_on: Severity) -> Section:
    ok = e.ok(fail_on)
    below = [f.severity for f in e.findings if f.severity < fail_on]
    counts = [f"{below.count(sev)} {sev}" for sev in (Severity.WARNING, Severity.INFO) if below.count(sev)]
    extra = f" ({', '.join(counts)} below --severity {fail_on})" if counts else ""
    if e.policy is not None:
        extra += _policy_note(e.policy)
    header = f"{e.chart} [{e.env}, namespace {e.namespace}]: {'ok' if ok else 'FAILED'}{extra}"
    return Section(header, ok, tuple(e.failing(fail_on)), _diff_lines(e.snapshot_diff))


def _policy_note(policy: dict[str, Any]) -> str:
    """checkov's counts; a scan that checked nothing says so (e.g. a rendering whose only workload is a kind checkov
    has no policy for, such as an Argo Rollout), never a bare "0 passed"."""
    if not policy["passed"] and not policy["failed"] and not policy["waived"]:
        return " [checkov: NOTHING CHECKED: no object of a kind checkov has policies for]"
    return f" [checkov: {policy['passed']} passed, {len(policy['failed'])} failed, {len(policy['waived'])} waived]"


def _env_json(e: EnvResult, fail_on: Severity) -> dict[str, Any]:
    return {"chart": e.chart, "environment": e.env, "namespace": e.namespace, "ok": e.ok(fail_on),
            "lint": {"ok": e.lint_ok, "messages": e.lint_messages},
            "template": {"ok": e.template_ok, "messages": e.template_messages},
            "findings": [f.to_dict() for f in e.findings], "policy": e.policy,
            "snapshotDiff": e.snapshot_diff or None}


def verify_report(results: Sequence[ChartResult], helms: Helms, fail_on: Severity = Severity.ERROR,
                  nothing: str = "") -> Report:
    """`nothing`: why the run verified no environment (--changed-since or --shard selected no chart, ...); the
    summary says it instead of "0 of 0 passed"."""
    sections: list[Section] = []
    cases: list[Case] = []
    findings: list[Finding] = []
    for r in results:
        if r.findings:
            ok = not any(f.severity >= fail_on for f in r.findings)
            sections.append(Section(f"{r.chart}: {'ok' if ok else 'FAILED'}", ok, tuple(r.findings)))
            cases.append(Case(r.chart, "chart", tuple(r.findings)))
            findings += r.findings
        for e in r.envs:
            sections.append(env_section(e, fail_on))
            cases.append(Case(r.chart, e.env, tuple(e.findings), e.seconds))
            findings += e.findings
    envs = [e for r in results for e in r.envs]
    passed = sum(e.ok(fail_on) for e in envs)
    failing = sum(1 for f in findings if f.severity >= fail_on)
    cached = sum(r.cached for r in results)
    ok = failing == 0 and all(e.lint_ok and e.template_ok for e in envs)
    chart_failures = sum(1 for r in results if any(f.severity >= fail_on for f in r.findings))
    text = f"{passed} of {len(envs)} chart environments passed ({len(results)} chart(s), {cached} from cache)"
    if chart_failures:
        text += f"; {chart_failures} chart(s) FAILED chart-level checks (drift, snapshots)"
    if nothing and not envs:
        text = nothing
    summary = Summary(text, ok, {"charts": len(results), "environments": len(envs), "passed": passed,
                                 "cached": cached, "failOn": str(fail_on), "failing": failing,
                                 "nothing": nothing if not envs else None})
    versions = f"helm v{helms.primary.version}" + (f", helm v{helms.matrix.version} (matrix)" if helms.matrix else "")
    data = {"helm": helms.primary.version, "helmMatrix": helms.matrix.version if helms.matrix else None,
            "charts": [{"chart": r.chart, "ok": r.ok(fail_on), "cached": r.cached, "apiVersions": list(r.api_versions),
                        "dependencies": [d.to_dict() for d in r.dependencies],
                        "findings": [f.to_dict() for f in r.findings]} for r in results],
            "results": [_env_json(e, fail_on) for e in envs]}
    return Report("chartgen verify", tuple(findings), summary, fail_on, tuple(sections),
                  (line(versions), *_api_lines(results), *_dependency_lines(results)), tuple(cases), data,
                  rules=_LazyRules())


def _api_lines(results: Sequence[ChartResult]) -> list[Line]:
    """Which API versions helm template assumed available (Capabilities.APIVersions), and for how many charts."""
    by_versions: dict[tuple[str, ...], int] = {}
    for r in results:
        if r.api_versions:
            by_versions[tuple(r.api_versions)] = by_versions.get(tuple(r.api_versions), 0) + 1
    return [line(f"helm template rendered {count} chart(s) with API versions {', '.join(versions)} (the charts' "
                 "templates test for them, or --api-versions; helm lint has no such option)")
            for versions, count in sorted(by_versions.items())]


def _dependency_lines(results: Sequence[ChartResult]) -> list[Line]:
    """Per chart with subcharts: which came from charts/ and which this run built (and from where)."""
    return [line(f"{r.chart}: dependencies {'; '.join(d.describe() for d in r.dependencies)}"
                 + (" (as stored in the cache)" if r.cached else "")) for r in results if r.dependencies]


def write(fmt: str, results: Sequence[ChartResult], helms: Helms, out: Any, fail_on: Severity = Severity.ERROR,
          color: bool | None = None, nothing: str = "") -> bool:
    report = verify_report(results, helms, fail_on, nothing)
    reporting.write(fmt, report, out, color=reporting.use_color(out) if color is None else color)
    return report.ok
