"""`chartgen verify` and `chartgen snapshot` as plain functions (cli.py parses options and calls these).

Exit codes: 0 every chart environment passed, 1 findings, 2 bad input (raised as ChartgenError).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import IO, Any

from chartgen.core.errors import ChartgenError
from chartgen.core.record import Record, record


@record
class VerifyArgs(Record):
    paths: Sequence[Path]
    envs: tuple[str, ...] = ()
    kube_version: str | None = None
    run_checks: bool = True
    policy: str | None = None
    helm: str | None = None
    fmt: str = "text"
    jobs: int | None = None
    use_cache: bool = True
    changed_since: str | None = None
    shard: str | None = None
    helm_matrix: bool = False
    snapshots: bool = False
    release: str | None = None
    namespace: str | None = None
    severity: str = "error"
    crds: tuple[str, ...] = ()  # --crds, already read once by the CLI (a bad path is exit 2 before any work)
    api_versions: tuple[str, ...] = ()  # --api-versions: more APIs to render with (beyond the charts' own tests)
    config: str | None = None  # --config: the check configuration (else each chart's nearest .chartgen-check.yaml)
    upgrade_from: str | None = None  # --upgrade-from REF: also check the upgrade from REF's rendering (upgrade_run)


def _severity(text: str):  # -> Severity
    from chartgen.check.model import Severity

    try:
        return Severity.parse(text)
    except KeyError:
        raise ChartgenError("chartgen verify", "--severity", f"{text!r} is not allowed; allowed: error, warning, "
                            "info") from None


def _kube_version(text: str) -> None:
    """The same rule, and the same message, as `chartgen check --kube-version`."""
    from chartgen.check.kube_versions import kube_version_problem

    if problem := kube_version_problem(text):
        raise ChartgenError("chartgen verify", "--kube-version", problem)


@record
class Selection(Record):
    charts: list[Path]  # the charts to verify
    discovered: list[Path]  # every chart below the paths (before --changed-since and --shard)
    nothing: str = ""  # why `charts` is empty, when a filter emptied it


def select_charts(paths: Sequence[Path], changed_since: str | None = None, shard: str | None = None) -> Selection:
    """Discovery, then --changed-since, then --shard (so shards split the changed charts)."""
    from chartgen.verify.discovery import Shard, discover_charts

    discovered = charts = discover_charts(paths)
    nothing = ""
    if changed_since:
        from chartgen.verify.changes import changed_charts

        changed = changed_charts(charts, changed_since, paths)
        charts, nothing = changed.charts, changed.nothing()
    if shard:
        parsed = Shard.parse(shard)
        if charts:
            nothing = f"shard {parsed.index}/{parsed.count} holds no chart ({len(charts)} chart(s) in all): nothing " \
                      "to verify"
        charts = parsed.select(charts)
    return Selection(charts, discovered, "" if charts else nothing)


def known_version(helm):  # (Helm) -> Helm
    """The helm binary with its version and sha256 filled in from the cache while the file is the same one (same
    path, inode, size, modification and change times: git's index rule), which saves a process and a read.

    A script (a version manager's shim, a wrapper) runs a helm that its own file does not identify: its version is
    asked every time."""
    from chartgen.core import read_log
    from chartgen.core.cache import Cache, cache_dir, key
    from chartgen.core.input_digest import Uncacheable

    if "version" in helm.__dict__ and "sha256" in helm.__dict__:  # Helm.known: chartgen's verified copy
        return helm
    path = Path(read_log.realpath(helm.path))
    try:
        st = path.stat()
        read_log.note_stat(path, st)  # its identity stands for its content (and its version)
        with open(path, "rb") as fh:
            if fh.read(2) == b"#!":
                read_log.note_unsure()  # the helm it runs is not this file: asked every time, never replayed
                return helm
    except OSError:
        read_log.note_unsure()
        return helm
    cache = Cache(cache_dir() / "helm-version")
    k = key(str(path), *(str(n) for n in (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)))
    hit = cache.get(k)
    if hit and isinstance(hit.get("version"), str) and isinstance(hit.get("sha256"), str):
        helm.__dict__.update(version=hit["version"], sha256=hit["sha256"])  # Helm's cached_properties
        return helm
    with contextlib.suppress(Uncacheable):  # an executable that cannot be read: no identity, no verify cache
        cache.put(k, {"version": helm.version, "sha256": helm.sha256})
    return helm


def find_helms(explicit: str | None, matrix: bool):  # -> Helms
    from chartgen.helm import install as helm_install
    from chartgen.helm.runner import Helm, find_helm
    from chartgen.verify.results import Helms

    primary = known_version(find_helm(explicit))
    if not matrix:
        return Helms(primary)
    want = "3" if primary.major != 3 else "4"
    for version in sorted(helm_install.RELEASES):
        path = helm_install.installed_path(version)
        if version.startswith(want + ".") and path.is_file():
            other = (Helm.known(str(path), version, helm_install.RELEASES[version].sha256)
                     if helm_install.verified(version) else Helm(str(path)))
            return Helms(primary, known_version(other))
    raise ChartgenError("--helm-matrix", None, f"no helm {want} installed; run `chartgen helm install`")


@record
class Plan(Record):
    """A verify command line, checked: what to verify, with which helm and options, and the report's threshold."""

    fail_on: Any  # Severity
    selection: Selection
    helms: Any  # Helms
    opts: Any  # VerifyOptions
    # run_verify_cached's miss: ("lookup", (its Cache, its chart_cache.Lookup)), for run_verify to key nothing twice
    memo: dict[str, Any] = field(default_factory=dict, compare=False)


def plan(args: VerifyArgs) -> Plan:
    """Refuse a bad option (exit 2, before any work), select the charts, find helm."""
    from chartgen.check.formats import FORMATS
    from chartgen.verify.results import VerifyOptions

    if args.fmt not in FORMATS:
        raise ChartgenError("chartgen verify", "--format", f"{args.fmt!r} is not allowed; allowed: "
                            f"{', '.join(FORMATS)}")
    if args.jobs is not None and args.jobs < 1:
        raise ChartgenError("chartgen verify", "--jobs", f"{args.jobs} is not allowed; allowed: 1 or more")
    fail_on = _severity(args.severity)
    if args.kube_version is not None:
        _kube_version(args.kube_version)
    if args.config is not None and args.run_checks:
        from chartgen.verify.chart_check import read_check_config

        read_check_config(Path(args.config))  # a missing or broken --config is exit 2 before any work
    api_versions = parse_api_versions(args.api_versions)
    selection = select_charts(args.paths, args.changed_since, args.shard)
    helms = find_helms(args.helm, args.helm_matrix)
    opts = VerifyOptions(args.envs, args.kube_version, args.release, args.namespace, args.run_checks, args.policy,
                         args.snapshots, args.crds, api_versions, args.config)
    return Plan(fail_on, selection, helms, opts)


def default_jobs() -> int:
    """One more helm call in flight than there are CPUs: each job's thread waits on helm most of the time, and between
    helm calls its Python (drift, check) holds the interpreter; with one job per CPU a core sits idle meanwhile
    (bench/README.md, issue 27: cold verify of 10 charts on 2 CPUs, about 10 % less wall time with 3 jobs than 2)."""
    return (os.cpu_count() or 1) + 1


def run_verify(args: VerifyArgs, out: IO[str], p: Plan | None = None) -> int:
    """The whole verify; `p`: the plan of args when the caller made it already (run_verify_cached's miss)."""
    from chartgen.core.cache import Cache
    from chartgen.verify import progress
    from chartgen.verify.chart import run

    p = p or plan(args)
    cache, found = p.memo.pop("lookup", (None, None))
    results = run(p.selection.charts, p.helms, p.opts, jobs=args.jobs or default_jobs(),
                  cache=cache or Cache(enabled=args.use_cache), progress=progress.for_stream(), found=found)
    if args.changed_since:  # as chart-testing: a changed chart must raise its version
        from chartgen.verify.version_bump import version_findings

        for chart, found in version_findings(p.selection.charts, args.changed_since).items():
            for r in results:
                if r.chart == str(chart):
                    r.findings += found
    if args.upgrade_from:
        from chartgen.verify.upgrade_run import add_upgrade_findings

        add_upgrade_findings(results, args.upgrade_from, p.helms.primary, p.opts)
    return _report(args, p, results, out)


# What run_verify_cached leaves to run_verify: work beyond the cached results (a policy scan, the version and upgrade
# checks, the helm 3 matrix), no cache, and --changed-since/--shard (their selection needs git and a report note).
_BEYOND_CACHE = ("policy", "changed_since", "upgrade_from", "shard")


def run_verify_cached(args: VerifyArgs, out: IO[str], p: Plan | None = None,
                      shown: Any = None) -> int | None:
    """run_verify when the verify cache holds the result of every selected chart: the same checks of the command
    line, the same interrupted-write recovery and keys (chartgen.verify.chart_cache), the same report and exit code,
    without importing helm's helpers or the checks. None when a chart misses or the command line asks for more than
    the cache holds (then nothing was written to `out` and nothing stored; run_verify does the run). `shown`: the
    Progress to show (default: progress.for_stream())."""
    from chartgen.core.cache import Cache
    from chartgen.verify import progress
    from chartgen.verify.chart_cache import cached_run

    if not args.use_cache or args.helm_matrix or any(getattr(args, name) for name in _BEYOND_CACHE):
        return None
    p = p or plan(args)
    if not p.selection.charts:
        return None
    cache = Cache()
    results = cached_run(p.selection.charts, p.helms, p.opts, cache, shown or progress.for_stream(), p.memo)
    return None if results is None else _report(args, p, results, out)


def _report(args: VerifyArgs, p: Plan, results: list[Any], out: IO[str]) -> int:
    from chartgen.verify import report as verify_report

    nothing = p.selection.nothing or _missing_environments(args.envs, results, p.selection)
    ok = verify_report.write(args.fmt, results, p.helms, out, p.fail_on, nothing=nothing)
    return 0 if ok else 1


def parse_api_versions(given: Sequence[str]) -> tuple[str, ...]:
    """--api-versions values (each may hold several, comma-separated, as helm's flag does)."""
    out = [part.strip() for value in given for part in value.split(",") if part.strip()]
    for v in out:
        if any(c.isspace() for c in v) or v.startswith("-"):
            raise ChartgenError("chartgen verify", "--api-versions", f"{v!r} is not allowed; allowed: an API "
                                "version such as monitoring.coreos.com/v1 or monitoring.coreos.com/v1/ServiceMonitor")
    return tuple(dict.fromkeys(out))


def _require_environments(envs: Sequence[str], known: set[str], command: str) -> None:
    """--env names that no chart has are a mistake (a typo would verify nothing and pass): exit 2."""
    if unknown := [e for e in envs if e not in known]:
        raise ChartgenError(command, "--env", f"no chart below the given paths has environment "
                            f"{', '.join(map(repr, unknown))}; environments: {', '.join(sorted(known)) or 'none'}")


def _missing_environments(envs: Sequence[str], results: Sequence[Any], selection: Selection) -> str:
    """With --env: exit 2 when no discovered chart has one of the environments; when only the selected charts
    (--changed-since, --shard) lack them all, what the report must say instead of a pass."""
    if not envs:
        return ""
    seen = {e.env for r in results for e in r.envs}
    missing = [e for e in envs if e not in seen]
    if not missing:
        return ""
    from chartgen.verify.chart import ChartTarget

    known = {e.name for c in selection.discovered for e in ChartTarget.load(c).environments}
    _require_environments(missing, known, "chartgen verify")
    if seen:
        return ""
    return f"none of the {len(selection.charts)} selected chart(s) has environment {', '.join(envs)}: nothing to verify"


def run_snapshot(paths: Sequence[Path], *, update: bool, envs: tuple[str, ...] = (), kube_version: str | None = None,
                 release: str | None = None, namespace: str | None = None, helm: str | None = None,
                 out: IO[str], api_versions: Sequence[str] = ()) -> int:
    """Compare (or with update, write) the snapshots of every chart below paths."""
    from chartgen.helm.runner import find_helm
    from chartgen.verify import snapshot
    from chartgen.verify.chart import ChartTarget, helm_lines
    from chartgen.verify.discovery import discover_charts

    h = find_helm(helm)
    extra_apis = parse_api_versions(api_versions)
    targets = [ChartTarget.load(chart, kube_version) for chart in discover_charts(paths)]
    _require_environments(envs, {e.name for t in targets for e in t.environments}, "chartgen snapshot")
    failed = False
    for target in targets:
        chart = target.path
        renderings: dict[str, str] = {}
        for e in target.environments:
            if envs and e.name not in envs:
                continue
            res = target.template(h, e.name, release=release, namespace=namespace, api_versions=extra_apis)
            if not res.ok:
                out.write(f"{chart} [{e.name}]: helm template failed: {' '.join(helm_lines(res))}\n")
                failed = True
                continue
            renderings[e.name] = res.stdout
        if update:
            result = snapshot.update(chart, renderings, prune=not envs)
            for verb, paths_ in (("written", result.written), ("unchanged", result.unchanged),
                                 ("removed (obsolete)", result.removed)):
                for p in paths_:
                    out.write(f"{p}: {verb}\n")
            continue
        for env, text in renderings.items():
            cmp = snapshot.compare(chart, env, text)
            out.write(f"{cmp.path}: {cmp.status}\n" + cmp.diff)
            failed = failed or cmp.status != "same"
        for p in ([] if envs else snapshot.obsolete(chart, [e.name for e in target.environments])):
            out.write(f"{p}: obsolete (no such environment)\n")
    return 1 if failed else 0
