"""Waivers for chartgen's own output, the one declared place (README "Waivers for generated charts" repeats them):
the findings of `chartgen check` that a chart chartgen generates may carry, each with its reason. A waived finding is
still reported to the user; only the spec-space property test (tests/spec/test_spec_space.py, bench/spec_space.py)
accepts it. A waiver is narrow: one rule, one severity, and a phrase of the message."""

from __future__ import annotations

from dataclasses import dataclass

from chartgen.check.model import Finding, Severity


@dataclass(frozen=True)
class Waiver:
    rule: str
    severity: Severity
    phrase: str  # a part of the finding's message
    reason: str

    def covers(self, finding: Finding) -> bool:
        return finding.rule == self.rule and finding.severity == self.severity and self.phrase in finding.message


GENERATED_WAIVERS: tuple[Waiver, ...] = (
    Waiver("CG-POD-013", Severity.WARNING, "is not in the rendered manifests",
           "the spec's volumes, env or envFrom name a ConfigMap kept outside the chart: chartgen renders what the "
           "spec asks for, and the render alone cannot show that the ConfigMap exists"),
    Waiver("CG-GW-020", Severity.WARNING, "is not in the rendered manifests",
           "the spec's httpRoute/grpcRoute parentRefs name a Gateway kept outside the chart (a shared Gateway the "
           "platform team runs): the render alone cannot show that it exists"),
)


def waived(finding: Finding) -> bool:
    return any(w.covers(finding) for w in GENERATED_WAIVERS)
