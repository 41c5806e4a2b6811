"""`chartgen verify --upgrade-from REF`: the upgrade rules (chartgen.verify.upgrade) over each verified chart
environment, rendered at REF and now (chartgen.verify.revisions); the findings join the environment's verify result.

Not cached: the verify cache keys a chart's own files, and REF's commit is another input (the upgrade step is
re-run every time, which is always correct).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chartgen.check.model import Finding, Severity
from chartgen.helm.runner import Helm
from chartgen.verify.chart import ChartResult, VerifyOptions
from chartgen.verify.revisions import render_pair
from chartgen.verify.upgrade import compare

OPTION = "--upgrade-from"
RENDER = "UPGRADE-RENDER"  # the revision could not be rendered: nothing was compared
NEW = "UPGRADE-NEW"  # the chart or environment did not exist at the revision


def add_upgrade_findings(results: Sequence[ChartResult], ref: str, helm: Helm, opts: VerifyOptions) -> None:
    for result in results:
        envs = [e.env for e in result.envs if e.template_ok]  # a failed rendering is reported already
        if not envs:
            continue
        current = {e.env: e.manifests for e in result.envs if e.manifests}  # not cached: rendered again then
        pair = render_pair(Path(result.chart), ref, helm, option=OPTION, envs=envs, kube_version=opts.kube_version,
                           release=opts.release, namespace=opts.namespace, api_versions=opts.api_versions,
                           current=current)
        by_env = {e.env: e for e in result.envs}
        at = f"{ref} ({pair.revision.short})"
        for p in pair.envs:
            where = f"{result.chart}[{p.env}] upgrade from {at}"
            target = by_env[p.env]
            if p.error:
                target.findings.append(Finding(RENDER, Severity.ERROR, f"cannot compare with {at}: {p.error} "
                                               f"(environment {p.env})", None, where, None,
                                               "fix the rendering; the upgrade was not checked"))
            elif p.old is None:
                what = "the chart" if not pair.existed else f"environment {p.env}"
                target.findings.append(Finding(NEW, Severity.INFO, f"{what} did not exist at {at}: nothing to "
                                               f"upgrade from (environment {p.env})", None, where, None,
                                               "nothing to do"))
            else:
                target.findings += compare(p.old, p.new, p.namespace, where=where,
                                           file=str(Path(result.chart) / "Chart.yaml"),
                                           suffix=f" (environment {p.env}, upgrade from {at})")
