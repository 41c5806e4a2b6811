"""What a verify run decides and keeps: its options, each chart's result (stored in the verify cache as JSON) and
the helm binaries it ran. Apart from the run (chartgen.verify.chart) so that a warm run, answered from the cache
(chartgen.verify.chart_cache), and the report (chartgen.verify.report) need neither helm's helpers nor YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any

from chartgen.check.model import Finding, ResourceRef, Severity
from chartgen.core.record import MutableRecord, Record, mutable_record, record
from chartgen.helm.dependency_source import Source

if TYPE_CHECKING:
    from chartgen.helm.runner import Helm

# Step rule ids (the check rules have CG-* ids): one per verify step that can fail.
DRIFT = "VERIFY-DRIFT"
LINT = "HELM-LINT"
TEMPLATE = "HELM-TEMPLATE"
MATRIX = "HELM-MATRIX"
SNAPSHOT_CHANGED = "SNAPSHOT-CHANGED"
SNAPSHOT_MISSING = "SNAPSHOT-MISSING"
SNAPSHOT_OBSOLETE = "SNAPSHOT-OBSOLETE"
POLICY = "POLICY"
DEPENDENCY = "VERIFY-DEPENDENCY"


@record
class VerifyOptions(Record):
    envs: tuple[str, ...] = ()  # only these environments (empty: all)
    kube_version: str | None = None
    release: str | None = None  # default: the chart name
    namespace: str | None = None  # default: the environment's
    run_checks: bool = True
    policy: str | None = None  # "checkov"
    snapshots: bool = False  # enforce snapshots for every chart (else: charts with tests/__snapshots__)
    crds: tuple[str, ...] = ()  # --crds (CHARTGEN_CRDS and each chart's crds/ are added per chart)
    api_versions: tuple[str, ...] = ()  # --api-versions (added to the ones each chart's templates test for)
    config: str | None = None  # --config: the check configuration of every chart (else each chart's nearest)

    def fingerprint(self) -> dict[str, Any]:
        """The options as given (the files they name are digested per chart, see chart_key)."""
        return {"envs": list(self.envs), "kube": self.kube_version, "release": self.release,
                "namespace": self.namespace, "checks": self.run_checks, "policy": self.policy,
                "snapshots": self.snapshots, "crds": list(self.crds), "config": self.config,
                "apiVersions": list(self.api_versions)}


@mutable_record
class EnvResult(MutableRecord):
    chart: str
    env: str
    namespace: str
    lint_ok: bool = False
    template_ok: bool = False
    lint_messages: list[str] = field(default_factory=list)
    template_messages: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    policy: dict[str, Any] | None = None  # {"passed": n, "failed": [...], "waived": [...]} when --policy ran
    snapshot_diff: str = ""
    seconds: float = 0.0
    manifests: str = ""  # the rendering (not cached)

    def failing(self, fail_on: Severity = Severity.ERROR) -> list[Finding]:
        return [f for f in self.findings if f.severity >= fail_on]

    def ok(self, fail_on: Severity = Severity.ERROR) -> bool:
        return self.lint_ok and self.template_ok and not self.failing(fail_on)

    def to_dict(self) -> dict[str, Any]:
        return {"chart": self.chart, "env": self.env, "namespace": self.namespace, "lint_ok": self.lint_ok,
                "template_ok": self.template_ok, "lint_messages": self.lint_messages,
                "template_messages": self.template_messages, "findings": [f.to_dict() for f in self.findings],
                "policy": self.policy, "snapshot_diff": self.snapshot_diff, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EnvResult:
        return cls(d["chart"], d["env"], d["namespace"], d["lint_ok"], d["template_ok"], list(d["lint_messages"]),
                   list(d["template_messages"]), [finding_from_dict(f) for f in d["findings"]], d["policy"],
                   d["snapshot_diff"], d["seconds"])


@mutable_record
class ChartResult(MutableRecord):
    chart: str
    findings: list[Finding] = field(default_factory=list)  # chart-level: drift, obsolete snapshots
    envs: list[EnvResult] = field(default_factory=list)
    cached: bool = False
    api_versions: list[str] = field(default_factory=list)  # what helm template rendered with
    # where each subchart came from (chartgen.helm.dependencies)
    dependencies: list[Source] = field(default_factory=list)

    def ok(self, fail_on: Severity = Severity.ERROR) -> bool:
        return not any(f.severity >= fail_on for f in self.findings) and all(e.ok(fail_on) for e in self.envs)

    def to_dict(self) -> dict[str, Any]:
        return {"chart": self.chart, "findings": [f.to_dict() for f in self.findings],
                "envs": [e.to_dict() for e in self.envs], "apiVersions": self.api_versions,
                "dependencies": [d.to_dict() for d in self.dependencies]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ChartResult:
        return cls(d["chart"], [finding_from_dict(f) for f in d["findings"]],
                   [EnvResult.from_dict(e) for e in d["envs"]], cached=True,
                   api_versions=list(d.get("apiVersions", [])),
                   dependencies=[Source.from_dict(x) for x in d.get("dependencies", [])])


def finding_from_dict(d: Mapping[str, Any]) -> Finding:
    r = d.get("resource")
    return Finding(d["rule"], Severity.parse(d["severity"]), d["message"],
                   None if r is None else ResourceRef(r["kind"], r["name"], r.get("namespace")),
                   d.get("file"), d.get("docIndex"), d.get("hint", ""), d.get("field"), d.get("line"))


@record
class Helms(Record):
    primary: Helm
    matrix: Helm | None = None  # helm 3, with --helm-matrix

    def fingerprint(self) -> str:
        """The version and sha256 of each binary; raises Uncacheable when one cannot be read."""
        return " ".join(f"{h.version}:{h.sha256}" for h in (self.primary, self.matrix) if h is not None)


class Progress:
    """Receives one call per finished chart; the CLI shows a bar on a terminal and plain lines in CI."""

    def start(self, total: int) -> None: ...
    def done(self, result: ChartResult, ok: bool) -> None: ...
    def stop(self) -> None: ...
