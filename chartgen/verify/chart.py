"""chart -> helm (lint --strict, template per environment) -> manifests -> checks, snapshots -> result.

Per chart: drift check when it has a chartgen.yaml; then per environment `helm lint --strict`, `helm template` (and
with a helm 3 binary for the matrix, a second rendering that must be the same), `chartgen check` on the rendering,
and the snapshot comparison. Works on any chart folder: environments come from chartgen.yaml when there is one, else
from values-*.yaml (else values.yaml alone). `run()` verifies many charts: discovered by chartgen.verify.discovery,
skipped when the verify cache (chartgen.core.cache) holds their result, the rest run on a thread pool (helm is a
subprocess); results come back in chart order. Before helm reads a chart, its Chart.yaml dependencies are made
present in `charts/` (chartgen.helm.dependencies; the key is taken again after a build). chartgen.verify.report turns
them into a report. The check runs with what `chartgen check` would apply to the chart's files
(chartgen.verify.chart_check: the nearest .chartgen-check.yaml or --config), so both give one verdict on one
rendering. A result is stored only when the chart's key (`chart_key`, the inputs listed in chartgen.core.cache) is
the same before and after its run.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chartgen.check.model import Finding, ResourceRef, Severity
from chartgen.core.cache import Cache
from chartgen.core.errors import ChartgenError
from chartgen.core.record import MutableRecord, mutable_record
from chartgen.helm.chart_apis import tested_api_versions  # noqa: F401 (re-exported)
from chartgen.helm.dependencies import Prepared, prepare
from chartgen.helm.runner import Helm, HelmResult
from chartgen.verify import snapshot
from chartgen.verify.chart_cache import (  # noqa: F401 (re-exported)
    Lookup,
    cached_result,
    chart_key,
    key_after,
    lookup,
    run_key,
)
from chartgen.verify.chart_check import ChartCheck, chart_check
from chartgen.verify.results import (  # noqa: F401 (re-exported: the results, options and step ids of a verify run)
    DEPENDENCY,
    DRIFT,
    LINT,
    MATRIX,
    POLICY,
    SNAPSHOT_CHANGED,
    SNAPSHOT_MISSING,
    SNAPSHOT_OBSOLETE,
    TEMPLATE,
    ChartResult,
    EnvResult,
    Helms,
    Progress,
    VerifyOptions,
    finding_from_dict,
)
from chartgen.verify.target import ChartTarget, EnvTarget  # noqa: F401 (re-exported: the chart and its environments)

if TYPE_CHECKING:
    from chartgen.generate.filetree import FileTree
    from chartgen.spec.loader import Spec
    from chartgen.verify.policy import CheckovScan, PolicyReport
    from chartgen.verify.target import TemplateCall


def _step(rule: str, severity: Severity, message: str, file: str | None, hint: str,
          resource: ResourceRef | None = None) -> Finding:
    return Finding(rule, severity, message, resource, file, None, hint)


# --- one environment -------------------------------------------------------------------------------------------


def helm_lines(res: HelmResult) -> list[str]:
    if res.ok:
        return []
    # helm lint prints its findings ([ERROR] ..., [WARNING] ...) on stdout and only a summary on stderr
    found = [s.strip() for s in res.stdout.splitlines() if s.strip().startswith(("[ERROR]", "[WARNING]"))]
    lines = found + [s for s in res.stderr.splitlines() if s.strip() and not s.startswith("==>")]
    return lines or ["helm failed with no message"]


_LINT_TOTAL = re.compile(r"^Error: \d+ chart\(s\) linted")
_SOURCE = re.compile(r"^# Source: (.+)$", re.MULTILINE)


def source_files(target: ChartTarget, rendering: str) -> tuple[list[int], list[str]]:
    """(line numbers, template files) of helm's `# Source:` comments, for mapping a rendered line to its template."""
    lines: list[int] = []
    files: list[str] = []
    for m in _SOURCE.finditer(rendering):
        rel = m.group(1).strip().split("/", 1)[-1]  # "<chart>/templates/x.yaml" -> "templates/x.yaml"
        lines.append(rendering.count("\n", 0, m.start()) + 1)
        files.append((target.path / rel).as_posix())
    return lines, files


def _locate(f: Finding, sources: tuple[list[int], list[str]], env: str) -> Finding:
    lines, files = sources
    file = f.file
    if f.line is not None and lines:
        i = bisect.bisect_right(lines, f.line) - 1
        if i >= 0:
            file = files[i]
    return Finding(f.rule, f.severity, f"{f.message} (environment {env})", f.resource, file, f.doc_index, f.hint,
                   f.field, None)


def run_check(target: ChartTarget, env: EnvTarget, rendering: str, namespace: str, check: ChartCheck) -> list[Finding]:
    """`chartgen check` on one rendering: the same findings, and the same refusal of an ignore annotation that names
    an unknown rule (exit 2)."""
    from chartgen.check.command import UsageError, check_ignore_annotations, check_sources
    from chartgen.check.loader import InputError

    source = f"{target.path.name}[{env.name}]"
    try:
        result = check_sources({source: rendering}, check.options, namespace)
        check_ignore_annotations(result.documents)
        found = result.findings
    except UsageError as err:
        raise ChartgenError(str(target.path), None, f"environment {env.name}: {err}") from None
    except InputError as exc:  # helm rendered something that is not YAML
        return [_step("CG-API-001", Severity.ERROR, f"rendered output is not valid YAML: {exc} (environment "
                      f"{env.name})", str(target.path), "fix the template that renders this document")]
    sources = source_files(target, rendering)
    return [f for f in (_locate(f, sources, env.name) for f in found) if check.keep(f)]


def matrix_differences(a: str, b: str, namespace: str) -> list[str]:
    """Resources that differ between two renderings (helm 4 vs helm 3), as labels."""
    from chartgen.verify.diff import index_manifests

    old, new = index_manifests(a, namespace), index_manifests(b, namespace)
    return [k.label for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def template_call(target: ChartTarget, env: EnvTarget, opts: VerifyOptions) -> TemplateCall:
    """verify's `helm template` of one environment (--release, --namespace, --api-versions applied)."""
    return target.call(env, release=opts.release, namespace=opts.namespace, api_versions=opts.api_versions)


def verify_env(target: ChartTarget, env: EnvTarget, helm: Helm, opts: VerifyOptions,
               helm3: Helm | None = None, check: ChartCheck | None = None, *, lint: bool = True) -> EnvResult:
    """lint --strict, template, check (and the matrix and snapshot steps) of one environment; with lint=False the
    lint is left to `finish_lint` (the chart's environments are linted together: chartgen.helm.lint_batch)."""
    return check_env(target, env, opts, render_env(target, env, helm, opts, lint=lint), helm3, check)


def render_env(target: ChartTarget, env: EnvTarget, helm: Helm, opts: VerifyOptions, *,
               lint: bool = True) -> EnvResult:
    """verify_env's helm steps: lint (unless lint=False) and template; the rendering in `manifests`."""
    start = time.perf_counter()
    call = template_call(target, env, opts)
    result = EnvResult(str(target.path), env.name, call.namespace)
    if lint:
        _lint(target, env, helm, opts, result)
    tpl = call.run(helm, target.path)
    result.template_ok, result.template_messages = tpl.ok, helm_lines(tpl)
    if not tpl.ok:
        result.findings.append(_step(TEMPLATE, Severity.ERROR, f"helm template: {' '.join(result.template_messages)} "
                                     f"(environment {env.name})", _values_file(target, env),
                                     "fix the template or values so that helm template renders"))
    else:
        result.manifests = tpl.stdout
    result.seconds = time.perf_counter() - start
    return result


def check_env(target: ChartTarget, env: EnvTarget, opts: VerifyOptions, result: EnvResult,
              helm3: Helm | None = None, check: ChartCheck | None = None) -> EnvResult:
    """verify_env's steps on a rendering (render_env's result): check, the helm 3 matrix, the snapshot."""
    start = time.perf_counter()
    if result.template_ok:
        call = template_call(target, env, opts)
        if check is not None:
            result.findings += run_check(target, env, result.manifests, call.namespace, check)
        if helm3 is not None:
            result.findings += _matrix(target, env, helm3, call, result.manifests)
        if snapshot.enabled(target.path, opts.snapshots):
            result.findings += _snapshot(target, env, result.manifests, result)
    result.seconds += time.perf_counter() - start
    return result


def finish_lint(target: ChartTarget, env: EnvTarget, helm: Helm, opts: VerifyOptions, result: EnvResult,
                passed: frozenset[str]) -> None:
    """The lint of an environment verified with lint=False: a pass of the chart's one lint of all its environments
    (`passed`) when the environment also renders, else its own `helm lint --strict`, for its exact messages."""
    if result.template_ok and env.name in passed:
        result.lint_ok, result.lint_messages = True, []
    else:
        start = time.perf_counter()
        _lint(target, env, helm, opts, result)
        result.seconds += time.perf_counter() - start


def _lint(target: ChartTarget, env: EnvTarget, helm: Helm, opts: VerifyOptions, result: EnvResult) -> None:
    lint = helm.lint(target.path, list(template_call(target, env, opts).values), strict=True,
                     kube_version=target.kube_version)
    result.lint_ok, result.lint_messages = lint.ok, helm_lines(lint)
    result.findings[:0] = [_step(LINT, Severity.ERROR, f"helm lint: {m} (environment {env.name})",
                                 _values_file(target, env),
                                 "fix the chart or the environment's values so that helm lint --strict passes")
                           for m in result.lint_messages if not _LINT_TOTAL.match(m)]  # first, as they ran first


def _values_file(target: ChartTarget, env: EnvTarget) -> str:
    return str(env.values_file or target.path / "values.yaml")


def _matrix(target: ChartTarget, env: EnvTarget, helm3: Helm, call: TemplateCall, rendering: str) -> list[Finding]:
    other = call.run(helm3, target.path)
    where = str(env.values_file or target.path / "Chart.yaml")
    if not other.ok:
        return [_step(MATRIX, Severity.ERROR, f"renders with helm 4 but not with helm {helm3.version}: "
                      f"{' '.join(helm_lines(other))} (environment {env.name})", where,
                      "make the templates work with both helm majors, or drop helm 3 from the matrix")]
    return [_step(MATRIX, Severity.ERROR, f"{label} renders differently under helm 4 and helm {helm3.version} "
                  f"(environment {env.name})", where, "compare `helm template` of both versions for this resource")
            for label in matrix_differences(rendering, other.stdout, call.namespace)]


def _snapshot(target: ChartTarget, env: EnvTarget, rendering: str, result: EnvResult) -> list[Finding]:
    cmp = snapshot.compare(target.path, env.name, rendering)
    if cmp.status == "missing":
        return [_step(SNAPSHOT_MISSING, Severity.ERROR, f"no snapshot for environment {env.name}", str(cmp.path),
                      f"run `chartgen snapshot {target.path} --update` and commit the snapshot")]
    if cmp.status == "changed":
        result.snapshot_diff = cmp.diff
        return [_step(SNAPSHOT_CHANGED, Severity.ERROR, f"the rendering of environment {env.name} differs from its "
                      "snapshot", str(cmp.path), f"if the change is intended: `chartgen snapshot {target.path} "
                      "--update`, review the diff, commit")]
    return []


# --- one chart -------------------------------------------------------------------------------------------------


def drift_findings(target: ChartTarget, tree: FileTree) -> list[Finding]:
    """The files `generate` (whose output is `tree`) would change, and its unresolved conflicts."""
    from chartgen.generate.unresolved import MESSAGE
    from chartgen.generate.writer import drift, unresolved

    stale = [_step(DRIFT, Severity.ERROR, f"{rel} is out of date with chartgen.yaml", str(target.path / rel),
                   f"run `chartgen generate {target.path}` and commit the result")
             for rel in drift(tree, target.path)]
    return stale + [Finding(DRIFT, Severity.ERROR, f"{u.path.relative_to(target.path)}:{u.line}: {MESSAGE}", None,
                            str(u.path), None, u.hint, None, u.line) for u in unresolved(target.path)]


@mutable_record
class ChartLevel(MutableRecord):
    """The chart-level job's result: drift and obsolete snapshots; when `pending` holds the generated tree, its
    README's pictures wait for the chart's renderings and the drift check is finished by `finish_chart_level`."""

    drift: list[Finding]
    obsolete: list[Finding]
    pending: FileTree | None = None


def chart_level(target: ChartTarget, opts: VerifyOptions, helm: Helm) -> ChartLevel:
    obsolete = obsolete_findings(target, opts)
    if not target.has_spec:
        return ChartLevel([], obsolete)
    from chartgen.generate.engine import render_tree
    from chartgen.verify import readme_pictures

    spec = _spec(target)
    tree = render_tree(spec)
    calls = {e.name: template_call(target, e, opts) for e in selected_envs(target, opts)}
    if readme_pictures.start(target, spec, tree, helm, calls):
        return ChartLevel([], obsolete, tree)
    return ChartLevel(drift_findings(target, tree), obsolete)


def finish_chart_level(target: ChartTarget, level: ChartLevel, envs: Sequence[EnvResult],
                       drawn: Mapping[str, str] | None = None) -> list[Finding]:
    """The chart-level findings once the chart's environments are verified (the README's pictures drawn from
    their renderings first, when they wait for them; `drawn`: those `draw_as_rendered` drew already)."""
    if level.pending is not None:
        from chartgen.verify import readme_pictures

        readme_pictures.finish(level.pending, _spec(target), {e.env: e.manifests for e in envs if e.template_ok},
                               drawn)
        level.drift, level.pending = drift_findings(target, level.pending), None
    return level.drift + level.obsolete


def draw_as_rendered(target: ChartTarget, level: ChartLevel, jobs: Sequence[Future[EnvResult]]) -> dict[str, str]:
    """The README pictures a chart's drift check waits for, each drawn by the collecting thread as soon as its
    environment is verified, while the others still render (only the last one is drawn after the chart's last helm
    call, rather than all of them); environment -> section, empty when the README waits for none."""
    if level.pending is None:
        return {}
    from concurrent.futures import as_completed

    from chartgen.generate.traffic_pictures import draw_one

    spec, drawn = _spec(target), {}
    for job in as_completed(jobs):
        if job.exception() is not None:  # raised by the caller, in the environments' order, as before
            continue
        e = job.result()
        section = draw_one(level.pending, spec, e.env, e.manifests) if e.template_ok else None
        if section is not None:
            drawn[e.env] = section
    return drawn


def _spec(target: ChartTarget) -> Spec:
    from chartgen.spec.loader import load_spec

    return target.spec if target.spec is not None else load_spec(target.path)


def obsolete_findings(target: ChartTarget, opts: VerifyOptions) -> list[Finding]:
    if opts.envs:  # a partial run cannot tell which snapshots are obsolete
        return []
    return [_step(SNAPSHOT_OBSOLETE, Severity.WARNING, f"snapshot of an environment the chart does not have "
                  f"({p.stem})", str(p), "delete it, or run `chartgen snapshot --update`")
            for p in snapshot.obsolete(target.path, [e.name for e in target.environments])]


def selected_envs(target: ChartTarget, opts: VerifyOptions) -> list[EnvTarget]:
    return [e for e in target.environments if not opts.envs or e.name in opts.envs]


# --- many charts -----------------------------------------------------------------------------------------------


def run(charts: Sequence[Path], helms: Helms, opts: VerifyOptions, *, jobs: int = 2, cache: Cache | None = None,
        progress: Progress | None = None, found: Lookup | None = None) -> list[ChartResult]:
    """Verify charts (cached results reused); results in the order of `charts`. `found`: the lookup of these charts
    in `cache` that the caller just made (chart_cache.cached_run's miss), else it is made here.

    Each chart's key is computed before and again after its run; the result is stored only when both agree (a file
    saved during the run must not be cached as the verdict of content that was never verified)."""
    cache = cache or Cache(enabled=False)
    progress = progress or Progress()
    if opts.policy is not None:
        _require_policy(opts.policy)
    found = found or lookup(charts, helms, opts, cache)
    configs, index, keys, results = found.configs, cache.stat_index, found.keys, dict(found.hits)
    todo = [ChartTarget.load(c, opts.kube_version, keep_spec=True) for c in charts if c not in results]
    with _policy_scan(opts.policy if todo else None) as policy:  # checkov imports while helm runs
        prepared = {t.path: prepare(t.path, helms.primary) for t in todo}  # before helm (and the key) reads charts/
        for t in todo:
            if prepared[t.path].missing:
                keys[t.path] = None  # a dependency out of reach now may be reachable later: never stored
            elif any(s.built_from for s in prepared[t.path].sources):
                keys[t.path] = chart_key(t.path, found.shared, opts, configs, index)  # the verdict: the built archives
        checks = {t.path: chart_check(t.path, t.kube_version, opts.crds, configs.load(configs.path(t.path)))
                  for t in todo if opts.run_checks}
        progress.start(len(charts))
        for c in charts:
            if c in results:
                progress.done(results[c], results[c].ok())
        fresh = _run_targets(todo, helms, opts, jobs, progress, checks, prepared, policy)
    shared_after = run_key(helms, opts) if cache.enabled else None
    for target, result in zip(todo, fresh, strict=True):
        for e in result.envs:
            e.manifests = ""  # keep memory flat; renderings are not cached
        k = keys[target.path]
        if k is not None and k == key_after(target.path, shared_after, opts, configs, index):
            cache.put_entry(k, _as_found(result).to_dict())
        results[target.path] = result
    cache.save_index()
    progress.stop()
    return [results[c] for c in charts]


def _require_policy(policy: str) -> None:
    if policy != "checkov":
        raise ChartgenError("--policy", "policy", f"unknown policy scanner {policy!r}; allowed: checkov")
    from chartgen.verify.policy import find_checkov

    find_checkov()  # fail early, once, with the install hint


def _as_found(result: ChartResult) -> ChartResult:
    """The result as a later run that hits the cache sees it: every dependency is in charts/ by then."""
    return replace(result, dependencies=[replace(d, built_from="") for d in result.dependencies])


def _run_targets(targets: list[ChartTarget], helms: Helms, opts: VerifyOptions, jobs: int, progress: Progress,
                 checks: Mapping[Path, ChartCheck], prepared: Mapping[Path, Prepared],
                 policy: CheckovScan | None = None) -> list[ChartResult]:
    """Each chart verified: its drift check, and its environments (one lint of them all when lint_batch can; each
    rendered, then checked). With `policy`, the one checkov scan of every rendering starts once the last environment
    is rendered: the environments are rendered first, and their checks and the charts' lints run beside the scan."""
    out = [ChartResult(str(t.path), api_versions=list(t.with_api_versions(opts.api_versions)),
                       dependencies=prepared[t.path].sources) for t in targets]
    lint_values = {t.path: _batch_values(t, opts, prepared[t.path]) for t in targets}
    envs_of = {t.path: selected_envs(t, opts) if not prepared[t.path].missing else [] for t in targets}
    # the environments' helm calls in `jobs` threads; the charts' drift checks (Python, mostly) in one more, beside
    # them, so that neither waits for the other (a chart's drift check used to take a helm slot, or wait for one)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, ThreadPoolExecutor(max_workers=1) as side:
        levels: list[Future[ChartLevel]] = []
        env_jobs: list[list[Future[EnvResult]]] = []
        batches: dict[Path, Future[frozenset[str]]] = {}
        for t in targets:
            started = None
            if policy is None and lint_values[t.path] is not None:  # one lint of the chart's environments, first
                started = threading.Event()
                batches[t.path] = _submit_lint(pool, t, helms.primary, lint_values[t.path], started)
            if policy is None:
                env_jobs.append([pool.submit(verify_env, t, e, helms.primary, opts, helms.matrix, checks.get(t.path),
                                             lint=lint_values[t.path] is None) for e in envs_of[t.path]])
            else:
                env_jobs.append([pool.submit(render_env, t, e, helms.primary, opts, lint=lint_values[t.path] is None)
                                 for e in envs_of[t.path]])
            levels.append(side.submit(_after, started, chart_level, t, opts, helms.primary))
        scan: Future[dict[str, PolicyReport]] | None = None
        if policy is not None:
            scan = side.submit(_scan_when_rendered, policy, [j for jobs_ in env_jobs for j in jobs_])
            for t in targets:
                if lint_values[t.path] is not None:
                    batches[t.path] = _submit_lint(pool, t, helms.primary, lint_values[t.path])
            env_jobs = [[pool.submit(check_env, t, e, opts, j.result(), helms.matrix, checks.get(t.path))
                         for e, j in zip(envs_of[t.path], jobs_, strict=True)]
                        for t, jobs_ in zip(targets, env_jobs, strict=True)]  # queued as each is rendered
        for target, result, level_job, jobs_ in zip(targets, out, levels, env_jobs, strict=True):
            level = level_job.result()
            drawn = draw_as_rendered(target, level, jobs_)
            result.envs = [j.result() for j in jobs_]
            result.findings = (finish_chart_level(target, level, result.envs, drawn)
                               + dependency_findings(prepared[target.path]))
            if target.path in batches:
                passed = batches[target.path].result()
                for e, r in zip(envs_of[target.path], result.envs, strict=True):
                    finish_lint(target, e, helms.primary, opts, r, passed)
            progress.done(result, result.ok())
        if scan is not None:  # applied once every chart is reported, as a scan after the run would be
            _apply_policy([e for r in out for e in r.envs], scan.result())
    return out


def _batch_values(target: ChartTarget, opts: VerifyOptions, prepared: Prepared) -> dict[str, list[Path]] | None:
    """The -f files of each environment, when the chart's environments may be linted together (lint_batch)."""
    envs = selected_envs(target, opts)
    if prepared.missing or prepared.sources or len(envs) < 2:
        return None
    return {e.name: list(template_call(target, e, opts).values) for e in envs}


def _submit_lint(pool: ThreadPoolExecutor, target: ChartTarget, helm: Helm,
                 values: dict[str, list[Path]] | None, started: threading.Event | None = None
                 ) -> Future[frozenset[str]]:
    from chartgen.helm import lint_batch

    return pool.submit(lint_batch.passing, helm, target.path, values or {}, target.kube_version, started)


def _after(started: threading.Event | None, fn: Callable[..., ChartLevel], *args: Any) -> ChartLevel:
    """fn(*args) once the chart's lint has started its helm process: the lint is the longest of the chart's helm
    calls, and its Python (merging the values) would otherwise share the interpreter with the drift check's."""
    if started is not None:
        started.wait(timeout=2)
    return fn(*args)


def _scan_when_rendered(policy: CheckovScan, env_jobs: list[Future[EnvResult]]) -> dict[str, PolicyReport]:
    """The one checkov scan, started once every environment is rendered; each rendering is written for it as it
    comes (policy.add). The results are not touched here."""
    from concurrent.futures import as_completed

    for job in as_completed(env_jobs):
        e = job.result()
        if e.template_ok:
            policy.add(_policy_label(e), e.manifests, e.namespace)
    return policy.scan() if policy.files else {}


def dependency_findings(prepared: Prepared) -> list[Finding]:
    """One error per dependency that could not be obtained (the chart's environments were then not rendered)."""
    return [_step(DEPENDENCY, Severity.ERROR, f"{m.message()}; the chart was not rendered",
                  str(Path(m.chart) / "Chart.yaml"), m.fix) for m in prepared.missing]


def _policy_scan(policy: str | None) -> AbstractContextManager[CheckovScan | None]:
    """The run's checkov process, started before the helm work (chartgen.verify.policy.CheckovScan); None when no
    policy scanner is asked for or nothing is to be verified."""
    if policy is None:
        return nullcontext()
    from chartgen.verify.policy import CheckovScan

    return CheckovScan()


def _policy_label(e: EnvResult) -> str:
    return f"{e.chart}[{e.env}]"


def _apply_policy(results: list[EnvResult], reports: Mapping[str, PolicyReport]) -> None:
    """checkov's verdict on each rendering: its failed checks become findings."""
    for e in results:
        rep = reports.get(_policy_label(e))
        if rep is None:
            continue
        e.policy = {"passed": rep.passed,
                    "failed": [{"check": c.check_id, "name": c.name, "resource": c.resource} for c in rep.failed],
                    "waived": [{"check": c.check_id, "resource": c.resource, "reason": c.reason}
                               for c in rep.skipped]}
        e.findings += [_step(f"{POLICY}-{c.check_id}", Severity.ERROR, f"checkov {c.check_id} {c.resource}: "
                             f"{c.name} (environment {e.env})", e.chart, "fix it, or waive it with a reason")
                       for c in rep.failed]
