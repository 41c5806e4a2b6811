"""A chart rendered at a git revision and now, per environment: the input of `chartgen diff --from-ref` and
`chartgen verify --upgrade-from`.

The chart at REF is copied out of git (chartgen.verify.git_revision) into a temporary folder and rendered as the release
that is upgraded: the release name, namespace, kube version and API versions of the work tree's chart, with the
environment's values file as it was at REF. An environment whose values file did not exist at REF is new (nothing
to compare); a chart that did not exist at REF likewise. The copy's dependencies are built as verify builds them
(chartgen.helm.dependencies: charts/ as committed, else file:// folders of the copied revision, else their repository).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from chartgen.core.errors import ChartgenError
from chartgen.helm.dependencies import prepare
from chartgen.helm.runner import Helm
from chartgen.verify.chart import ChartTarget, EnvTarget, helm_lines
from chartgen.verify.diff import ManifestDiff
from chartgen.verify.git_revision import Revision, checkout_chart, resolve
from chartgen.verify.snapshot import normalise


@dataclass(frozen=True)
class EnvPair:
    env: str
    namespace: str
    old: str | None  # the normalised rendering at REF; None: the environment (or chart) did not exist there
    new: str  # the normalised rendering of the work tree
    error: str = ""  # helm template failed on one side: what it said (old and new are then empty)


@dataclass(frozen=True)
class ChartPair:
    chart: Path
    name: str
    revision: Revision
    envs: tuple[EnvPair, ...]
    existed: bool  # the chart had a Chart.yaml at REF


def render_pair(chart: Path, ref: str, helm: Helm, *, option: str, envs: Sequence[str] = (),
                kube_version: str | None = None, release: str | None = None, namespace: str | None = None,
                api_versions: Sequence[str] = (), current: Mapping[str, str] | None = None) -> ChartPair:
    """`current`: renderings of the work tree already made (by verify), per environment."""
    target = ChartTarget.load(chart, kube_version)
    selected = [target.env(e) for e in envs] if envs else list(target.environments)
    rev = resolve(ref, target.path, option)
    with tempfile.TemporaryDirectory(prefix="chartgen-rev-") as tmp:
        old_chart = checkout_chart(target.path, rev, Path(tmp), option)
        missing = prepare(old_chart, helm).missing if old_chart is not None else []
        if missing:  # the revision's subcharts are out of reach: nothing can be compared
            error = f"at the revision, {'; '.join(m.message() for m in missing)} ({missing[0].fix})"
            pairs = tuple(EnvPair(e.name, namespace or e.namespace, None, "", error) for e in selected)
        else:
            pairs = tuple(_render_env(target, e, old_chart, helm, release, namespace, api_versions,
                                      (current or {}).get(e.name)) for e in selected)
    return ChartPair(target.path, target.name, rev, pairs, old_chart is not None)


def _render_env(target: ChartTarget, env: EnvTarget, old_chart: Path | None, helm: Helm, release: str | None,
                namespace: str | None, api_versions: Sequence[str], current: str | None) -> EnvPair:
    ns = namespace or env.namespace
    rel = release or target.name
    apis = target.with_api_versions(api_versions)
    if current is None:  # not rendered by verify (diff --from-ref): its dependencies are built here as verify would
        missing = prepare(target.path, helm).missing
        if missing:
            return EnvPair(env.name, ns, None, "", f"work tree: {'; '.join(m.message() for m in missing)} "
                           f"({missing[0].fix})")
        new = helm.template(target.path, rel, ns, [env.values_file] if env.values_file else [],
                            kube_version=target.kube_version, api_versions=apis)
        if not new.ok:
            return EnvPair(env.name, ns, None, "", f"helm template failed (work tree): {' '.join(helm_lines(new))}")
        current = new.stdout
    if old_chart is None:
        return EnvPair(env.name, ns, None, normalise(current))
    values: list[Path] = []
    if env.values_file:
        old_values = old_chart / env.values_file.relative_to(target.path)
        if not old_values.is_file():
            return EnvPair(env.name, ns, None, normalise(current))
        values.append(old_values)
    old = helm.template(old_chart, rel, ns, values, kube_version=target.kube_version, api_versions=apis)
    if not old.ok:
        return EnvPair(env.name, ns, None, "", f"helm template failed at the revision: {' '.join(helm_lines(old))}")
    return EnvPair(env.name, ns, normalise(old.stdout), normalise(current))


def require_chart(pair: ChartPair, option: str) -> None:
    if not pair.existed:
        raise ChartgenError(option, None, f"{pair.chart} has no Chart.yaml at {pair.revision.ref} "
                            f"({pair.revision.short}): nothing to compare")


def diff_from_ref(chart: Path, ref: str, helm: Helm, *, envs: Sequence[str] = (),
                  kube_version: str | None = None) -> tuple[ChartPair, list[ManifestDiff]]:
    """`chartgen diff CHART --from-ref REF`: per environment, REF's rendering against the work tree's, object by
    object (an environment new since REF: every object added). helm failing on either side is RenderFailed."""
    from chartgen.verify.diff import RenderFailed, diff_manifests

    pair = render_pair(chart, ref, helm, option="--from-ref", envs=envs, kube_version=kube_version)
    require_chart(pair, "--from-ref")
    diffs = []
    for p in pair.envs:
        if p.error:
            raise RenderFailed(str(pair.chart), None, f"{p.error} (environment {p.env})")
        diffs.append(diff_manifests(p.old or "", p.new, chart=pair.name, from_env=f"{p.env}@{ref}",
                                    to_env=f"{p.env} (work tree)", from_namespace=p.namespace,
                                    to_namespace=p.namespace))
    return pair, diffs


def write_diffs(pair: ChartPair, diffs: Sequence[ManifestDiff], fmt: str, out: IO[str]) -> None:
    """Text: one block per environment; JSON: one document with the revision and a diff per environment."""
    from chartgen.verify.diff import render_text

    if fmt == "json":
        doc = {"chart": pair.name, "path": str(pair.chart), "ref": pair.revision.ref, "commit": pair.revision.commit,
               "differ": any(not d.empty for d in diffs), "environments": [d.to_dict() for d in diffs]}
        out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    for d in diffs:
        render_text(d, out)
