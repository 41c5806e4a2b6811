"""The chartgen command line: a thin typer layer over the Python API.

Exit codes: 0 all good, 1 findings (drift, lint/template failures, check findings), 2 bad input.
"""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from chartgen.core.blueprint_root import quick_choices
from chartgen.core.errors import ChartgenError, error_text
from chartgen.generate.new_command import NEW_OPTIONS, NewOption

if TYPE_CHECKING:
    from chartgen.generate.filetree import FileTree
    from chartgen.generate.unresolved import Unresolved
    from chartgen.generate.writer import Plan

app = typer.Typer(
    rich_markup_mode=None,  # plain help and errors: importing rich for them costs more than the command (bench)
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Generate, and prove correct, Helm charts for Kubernetes Services and Istio traffic management.",
)
helm_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="Manage the helm binaries chartgen uses.")
app.add_typer(helm_app, name="helm")



@app.callback()
def _root(version: bool = typer.Option(False, "--version", "-V", is_eager=True,
                                       help="Print the versions of chartgen, the helm it uses and Python, "
                                            "and exit.")) -> None:
    if version:  # `chartgen --version` alone is answered by chartgen.entry before this module is imported
        from chartgen.about import versions

        typer.echo(versions(), nl=False)
        raise typer.Exit()


HelmOpt = typer.Option(None, "--helm", help="helm binary (default: $CHARTGEN_HELM, chartgen's copy, then PATH).")
ApiVersionsOpt = typer.Option(None, "--api-versions", "-a", help="An API version the cluster has, for "
                              ".Capabilities.APIVersions (repeatable), beyond the ones the chart's templates test for "
                              "(always rendered with).")


def _fail(exc: ChartgenError) -> typer.Exit:
    typer.echo(error_text(exc), err=True)
    return typer.Exit(exc.exit_code)


def _spec_dir(chart: Path) -> Path:
    return chart.parent if chart.name == "chartgen.yaml" else chart


def _new_command(**params: Any) -> None:
    """Scaffold a new chart folder: chartgen.yaml plus the complete generated chart."""
    from chartgen.generate.new_command import run

    try:
        message = run(params)
    except ChartgenError as exc:
        raise _fail(exc) from None
    typer.echo(message)


def _new_parameter(opt: NewOption, choices: str) -> inspect.Parameter:
    text = opt.help.format(choices=choices)
    if not opt.flags:
        info = typer.Argument(opt.default, help=text)
    elif opt.negative:
        info = typer.Option(opt.default, f"{opt.flags[0]}/{opt.negative}", help=text)
    else:
        info = typer.Option(opt.default, *opt.flags, help=text)
    annotation = opt.kind if opt.default is not None else Optional[opt.kind]
    return inspect.Parameter(opt.name, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=annotation)


# `new` is declared once, as data (chartgen/generate/new_command.py), which chartgen.entry also reads without typer.
# The blueprint names come from the blueprint folders (read cheaply: no YAML, no library, at import).
_CHOICES = ", ".join(quick_choices()) or "a folder under blueprints/service"
_new_command.__signature__ = inspect.Signature([_new_parameter(o, _CHOICES) for o in NEW_OPTIONS])  # type: ignore[attr-defined]
_new_command.__annotations__ = {p.name: p.annotation for p in _new_command.__signature__.parameters.values()}  # type: ignore[attr-defined]
app.command("new")(_new_command)


@app.command("generate")
def generate_cmd(
    charts: list[Path] = typer.Argument(..., help="Chart folders (each holding chartgen.yaml)."),
    check: bool = typer.Option(False, "--check", help="Write nothing (but the end of an interrupted run); exit 1 "
                               "listing files that differ or hold unresolved conflicts."),
    force: bool = typer.Option(False, "--force", help="Overwrite files edited by hand (no merge)."),
    conflict: str = typer.Option("merge", "--conflict", help="A hand edit that clashes with chartgen's change: "
                                 "merge (conflict markers in the file) or rej (the clashing hunks in <file>.rej, "
                                 "the others applied)."),
    restore: Optional[list[str]] = typer.Option(None, "--restore", help="A generated file you deleted, to write "
                                                "again (chart-relative; repeatable). Deleted files stay deleted "
                                                "otherwise."),
    bump: Optional[str] = typer.Option(None, "--bump", help="Raise chartVersion in chartgen.yaml first: patch, "
                                       "minor or major."),
) -> None:
    """Re-render charts from their chartgen.yaml, merging chartgen's changes into files edited by hand (a chart
    whose inputs did not change since the last run is skipped)."""
    from chartgen.generate import uptodate
    from chartgen.generate.transaction import recover_interrupted
    from chartgen.generate.writer import CONFLICT_MODES

    if conflict not in CONFLICT_MODES:
        raise _fail(ChartgenError("chartgen generate", "--conflict",
                                  f"{conflict!r} is not allowed; allowed: {', '.join(CONFLICT_MODES)}"))
    if bump is not None:
        _bump(charts, bump, check)
    stale = failed = False
    for chart in charts:
        chart = _spec_dir(chart)
        try:
            recover_interrupted(chart)  # before anything reads the chart, the up-to-date skip included
            if not force and not restore and uptodate.is_up_to_date(chart):
                typer.echo(f"{chart}: up to date (unchanged since the last generate)")
                continue
            stale_one, failed_one = _generate_one(chart, check, force, conflict, restore or [])
        except ChartgenError as exc:
            raise _fail(exc) from None
        stale, failed = stale or stale_one, failed or failed_one
    if stale:
        typer.echo("run `chartgen generate` to update", err=True)
    if stale or failed:
        raise typer.Exit(1)


def _bump(charts: list[Path], part: str, check: bool) -> None:
    from chartgen.spec.loader import SPEC_FILE, load_spec
    from chartgen.verify.version_bump import bump_spec

    if check:
        raise _fail(ChartgenError("chartgen generate", "--bump", "writes chartgen.yaml; not allowed with --check"))
    try:
        for chart in map(_spec_dir, charts):
            load_spec(chart)  # a spec that does not load is not bumped
            old, new = bump_spec(chart / SPEC_FILE, part)
            typer.echo(f"{chart}: chartVersion {old} -> {new}")
    except ChartgenError as exc:
        raise _fail(exc) from None


def _generate_one(chart: Path, check: bool, force: bool, conflict: str, restore: list[str]) -> tuple[bool, bool]:
    """Render and write (or with check, compare) one chart: (out of date under --check, left with conflicts)."""
    from chartgen.generate import uptodate
    from chartgen.generate.engine import generate
    from chartgen.generate.writer import preview, unresolved, write
    from chartgen.spec.loader import load_spec

    spec = uptodate.spec_digest(chart)  # before the spec is read: the record describes what was rendered
    loaded = load_spec(chart)
    for note in loaded.notes:
        typer.echo(f"{chart / 'chartgen.yaml'}: note: {note}", err=True)
    tree = generate(loaded)
    if check:
        plan = preview(tree, chart, conflict)
        found = unresolved(chart)
        stale = _report_check(chart, plan, settled=not found)
        left = _report_unresolved(chart, found, [])
        if not stale and not plan.conflicts and not left:
            uptodate.record(chart, spec)
        return stale, left
    result = write(tree, chart, force=force, conflict=conflict, restore=_restore_paths(chart, tree, restore))
    _report_write(chart, result, conflict)
    left = _report_unresolved(chart, unresolved(chart), result.unmerged)
    if not result.unmerged and not left:
        uptodate.record(chart, spec)
    return False, bool(result.unmerged) or left


def _restore_paths(chart: Path, tree: FileTree, given: list[str]) -> list[str]:
    """--restore paths as chart-relative paths of generated files (exit 2 for any other)."""
    from chartgen.generate.lockfile import normalise, reserved

    out = []
    for raw in given:
        path = Path(raw)
        rel = normalise(raw)
        if path.is_absolute() or path.parts[:len(chart.parts)] == chart.parts:  # given with the chart's path
            inside = path.resolve().is_relative_to(chart.resolve())
            rel = path.resolve().relative_to(chart.resolve()).as_posix() if inside else None
        if rel is None or rel not in tree or reserved(rel):
            raise ChartgenError(str(chart / raw), "--restore", "is not a file chartgen generates in this chart")
        out.append(rel)
    return out


def _report_unresolved(chart: Path, found: list[Unresolved], reported: list[str]) -> bool:
    """Print each unresolved conflict (but those of files this run reports as CONFLICT); True when any is left."""
    told = {chart / rel for rel in reported} | {chart / f"{rel}.rej" for rel in reported}
    for item in found:
        if item.path not in told:
            typer.echo(f"error: {item}", err=True)
    return bool(found)


def _report_check(chart: Path, plan: Plan, settled: bool = True) -> bool:
    """Print what generate would do; True when it would change something (False: up to date or refused).
    `settled`: no unresolved conflict is left (else the chart is not called up to date)."""
    for rel, reason in plan.conflicts:
        typer.echo(f"{chart / rel}: {reason}; `chartgen generate` refuses it: move it aside or use --force")
    changes = sorted(set(plan.create + plan.update + plan.delete) - {".chartgen.lock"})
    for rel in changes:
        note = " (your edits are merged)" if rel in plan.merged else \
            " (conflicts with your edits)" if rel in plan.unmerged else ""
        typer.echo(f"{chart / rel}: out of date with chartgen.yaml{note}")
    if not changes and not plan.conflicts and settled:
        typer.echo(f"{chart}: up to date")
    if plan.conflicts:
        raise typer.Exit(1)
    return bool(changes)


def _kept_deleted(chart: Path, rel: str) -> str:
    return f"{chart / rel}: kept deleted: yours (`chartgen generate --restore {rel}` brings it back)"


def _report_write(chart: Path, result: Plan, conflict: str) -> None:
    for rel in result.merged:
        typer.echo(f"{chart / rel}: merged chartgen's changes into your edits")
    for rel in result.unmerged:
        left = f"the clashing hunks are in {rel}.rej (the others are merged): apply them by hand, then delete " \
            "the .rej" if conflict == "rej" else "resolve the conflict markers in the file by hand"
        typer.echo(f"{chart / rel}: CONFLICT: your edits and chartgen's changes overlap; {left}", err=True)
    for rel in result.orphaned:
        typer.echo(f"{chart / rel}: no longer generated; kept because you edited it (it is yours now)")
    for rel in result.deleted:
        typer.echo(_kept_deleted(chart, rel))
    typer.echo(f"{chart}: {len(result.create)} created, {len(result.update)} updated, "
               f"{len(result.delete)} removed, {len(result.unchanged)} unchanged")


@app.command()
def render(
    chart: Path = typer.Argument(..., help="Chart folder."),
    env: str = typer.Option(..., "--env", "-e", help="Environment (uses values-<env>.yaml)."),
    release: Optional[str] = typer.Option(None, help="Release name (default: the chart name)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Default: the environment's."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version"),
    helm: Optional[str] = HelmOpt,
    api_versions: Optional[list[str]] = ApiVersionsOpt,
) -> None:
    """helm template the chart for one environment; manifests on stdout."""
    from chartgen.helm.runner import find_helm
    from chartgen.verify.command import parse_api_versions
    from chartgen.verify.target import ChartTarget

    try:
        target = ChartTarget.load(chart, kube_version)
        h = find_helm(helm)
        result = target.template(h, env, release=release, namespace=namespace,
                                 api_versions=parse_api_versions(api_versions or ()))
    except ChartgenError as exc:
        raise _fail(exc) from None
    if not result.ok:
        typer.echo(result.message, err=True)
        raise typer.Exit(1)
    sys.stdout.write(result.stdout)


@app.command()
def verify(
    charts: list[Path] = typer.Argument(..., help="Charts, or folders to discover charts below (any folder with a "
                                        "Chart.yaml)."),
    env: Optional[list[str]] = typer.Option(None, "--env", "-e", help="Only these environments."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version"),
    no_check: bool = typer.Option(False, "--no-check", help="Skip chartgen check on the rendered manifests."),
    policy: Optional[str] = typer.Option(None, "--policy", help="Also run a policy scanner: checkov "
                                         "(pip install 'chartgen[policy]'); one process for all renderings."),
    helm: Optional[str] = HelmOpt,
    fmt: str = typer.Option("text", "--format", help="text, json, junit, github or sarif."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Parallel helm calls (default: the CPU count + 1)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Verify everything; do not read or write the cache."),
    changed_since: Optional[str] = typer.Option(None, "--changed-since", help="Only charts with files changed "
                                                "since the merge base of REF and HEAD."),
    shard: Optional[str] = typer.Option(None, "--shard", help="I/N: only the I-th of N deterministic shares."),
    helm_matrix: bool = typer.Option(False, "--helm-matrix", help="Also render with helm 3; report differences."),
    snapshots: bool = typer.Option(False, "--snapshots", help="Require snapshots for every chart (default: charts "
                                   "with a tests/__snapshots__ folder)."),
    release: Optional[str] = typer.Option(None, "--release", help="Release name (default: the chart name)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Default: each environment's."),
    severity: str = typer.Option("error", "--severity", help="Fail on findings at or above: error, warning, info."),
    crds: Optional[list[str]] = typer.Option(None, "--crds", help="CRD file or folder for custom resources "
                                             "(repeatable; also CHARTGEN_CRDS and each chart's crds/)."),
    api_versions: Optional[list[str]] = ApiVersionsOpt,
    config: Optional[str] = typer.Option(None, "--config", help="Check config file for every chart (default: "
                                         "each chart's nearest .chartgen-check.yaml, as chartgen check finds it)."),
    upgrade_from: Optional[str] = typer.Option(None, "--upgrade-from", help="Also check that `helm upgrade` from "
                                               "each chart's rendering at this git revision is accepted and safe."),
) -> None:
    """Verify charts: drift, helm lint --strict, helm template per environment, chartgen check, snapshots."""
    from chartgen.verify.command import VerifyArgs, run_verify

    try:
        args = VerifyArgs(charts, tuple(env or ()), kube_version, not no_check, policy, helm, fmt, jobs, not no_cache,
                          changed_since, shard, helm_matrix, snapshots, release, namespace, severity, _crd_paths(crds),
                          tuple(api_versions or ()), config, upgrade_from)
        code = run_verify(args, sys.stdout)
    except ChartgenError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code)


@app.command()
def snapshot(
    charts: list[Path] = typer.Argument(..., help="Charts, or folders to discover charts below."),
    update: bool = typer.Option(False, "--update", help="Write the snapshots (and remove obsolete ones)."),
    env: Optional[list[str]] = typer.Option(None, "--env", "-e", help="Only these environments."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version"),
    release: Optional[str] = typer.Option(None, "--release", help="Release name (default: the chart name)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Default: each environment's."),
    helm: Optional[str] = HelmOpt,
    api_versions: Optional[list[str]] = ApiVersionsOpt,
) -> None:
    """Snapshot tests: the normalised rendering per environment under the chart's tests/__snapshots__/."""
    from chartgen.verify.command import run_snapshot

    try:
        code = run_snapshot(charts, update=update, envs=tuple(env or ()), kube_version=kube_version,
                            release=release, namespace=namespace, helm=helm, out=sys.stdout,
                            api_versions=tuple(api_versions or ()))
    except ChartgenError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code)


def _crd_paths(crds: Optional[list[str]]) -> tuple[str, ...]:
    """--crds plus CHARTGEN_CRDS, read once now so that a bad CRD path fails the run early (exit 2)."""
    if not crds and not any(p.strip() for p in os.environ.get("CHARTGEN_CRDS", "").split(os.pathsep)):
        return ()  # nothing to read: the CRD loader (and its imports) is not needed (as crd_source.env_paths)
    from chartgen.check.command import crd_paths
    from chartgen.check.crd_source import load_paths
    from chartgen.check.loader import InputError

    paths = crd_paths(crds or [])
    try:
        load_paths(paths)
    except InputError as exc:
        raise ChartgenError(exc.file, None, exc.message, exc.line) from None
    return paths


@app.command()
def check(
    files: Optional[list[str]] = typer.Argument(None, help="Manifest files or folders; - for stdin."),
    kube_version: str = typer.Option("1.31", "--kube-version"),
    istio_version: str = typer.Option("1.30", "--istio-version"),
    fmt: str = typer.Option("text", "--format", help="text, json, junit, github or sarif."),
    severity: str = typer.Option("error", "--severity", help="Fail on findings at or above: error, warning, info."),
    disable: Optional[list[str]] = typer.Option(None, "--disable", help="Rule ids to skip."),
    profile: str = typer.Option("default", "--profile", help="prod turns posture warnings into errors."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Namespace of unnamespaced objects."),
    crds: Optional[list[str]] = typer.Option(None, "--crds", help="CRD file or folder to validate custom resources "
                                             "against (repeatable; also CHARTGEN_CRDS and CRDs in the input)."),
    config: Optional[str] = typer.Option(None, "--config", help="Config file (default: the nearest "
                                         ".chartgen-check.yaml above the first input)."),
    allow_empty: bool = typer.Option(False, "--allow-empty", help="Pass an input without any document (default: "
                                     "exit 2, as for an empty pipe from a failed helm template)."),
) -> None:
    """Check rendered manifests (from any chart) for the mistakes that break real clusters."""
    from chartgen.check.command import run_check

    code = run_check(files or ["-"], kube_version=kube_version, istio_version=istio_version, fmt=fmt,
                     severity=severity, disabled=list(disable or []), profile=profile, namespace=namespace,
                     out=sys.stdout, stdin=sys.stdin, crds=list(crds or []), config=config, allow_empty=allow_empty)
    raise typer.Exit(code)


@app.command("graph")
def graph_cmd(
    source: str = typer.Argument(..., help="Chart folder (with --env), manifest file or folder, or - for stdin."),
    env: Optional[str] = typer.Option(None, "--env", "-e", help="The chart's environment to draw."),
    fmt: str = typer.Option("mermaid", "--format", help="mermaid (text) or html (a self-contained page with an "
                            "SVG)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file (default: stdout)."),
    release: Optional[str] = typer.Option(None, "--release", help="Release name (default: the chart name)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Default: the environment's."),
    helm: Optional[str] = HelmOpt,
) -> None:
    """Draw the path of a request: Gateway/Ingress -> route rules -> Services -> versions -> pods, with policies."""
    from chartgen.verify.graph_command import GraphArgs, run_graph

    try:
        text = run_graph(GraphArgs(source, env, fmt, helm, namespace, release), sys.stdin)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    except ChartgenError as exc:
        raise _fail(exc) from None
    except OSError as exc:
        raise _fail(ChartgenError(str(output), "--output", f"cannot write: {exc.strerror or exc}")) from None


@app.command("rules")
def rules_cmd(fmt: str = typer.Option("md", "--format", help="md or json.")) -> None:
    """Print the catalogue of `chartgen check` rules: id, severity, what, why, how to fix, an example."""
    from chartgen.check.catalogue import FORMATS, render

    if fmt not in FORMATS:
        typer.echo(f"chartgen rules: unknown format {fmt!r}: use {' or '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    sys.stdout.write(render(fmt))


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of chartgen.yaml (for editors: yaml-language-server)."""
    from chartgen.spec.blueprints import BlueprintLibrary
    from chartgen.spec.schema import text

    try:
        sys.stdout.write(text(BlueprintLibrary.default().blueprint_names()))
    except ChartgenError as exc:
        raise _fail(exc) from None


@app.command("values")
def values_cmd(
    chart: Path = typer.Argument(..., help="Chart folder (holding chartgen.yaml)."),
    env: Optional[list[str]] = typer.Option(None, "--env", "-e", help="Only these environments (default: all)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 listing values files that differ."),
    force: bool = typer.Option(False, "--force", help="Overwrite values files edited by hand."),
    explain: bool = typer.Option(False, "--explain", help="Write nothing; print each effective setting of the one "
                                 "--env environment and the layer that set it (file and line)."),
    fmt: str = typer.Option("text", "--format", help="With --explain: text or json."),
) -> None:
    """(Re)generate only the values-<env>.yaml files from chartgen.yaml."""
    from chartgen.generate.envs import regenerate_values

    if explain:
        _explain(chart, env or [], fmt)
        return
    try:
        result = regenerate_values(chart, env, check=check, force=force)
    except ChartgenError as exc:
        raise _fail(exc) from None
    if result.values_yaml_stale:
        typer.echo(f"warning: {result.chart / 'values.yaml'} is out of date with chartgen.yaml and the "
                   "values-<env>.yaml files are differences from it; run `chartgen generate`", err=True)
    if check:
        for rel in result.stale:
            typer.echo(f"{result.chart / rel}: out of date with chartgen.yaml")
        if result.stale:
            typer.echo("run `chartgen values` to update", err=True)
            raise typer.Exit(1)
        typer.echo(f"{result.chart}: values files up to date")
        return
    plan = result.plan
    assert plan is not None
    for rel in plan.create + plan.update + plan.delete:
        if rel != ".chartgen.lock":
            verb = "created" if rel in plan.create else "updated" if rel in plan.update else "removed"
            typer.echo(f"{result.chart / rel}: {verb}")
    for rel in plan.deleted:
        typer.echo(_kept_deleted(result.chart, rel))
    values_files = [p for p in plan.unchanged if p != ".chartgen.lock"]
    changed = [p for p in plan.create + plan.update + plan.delete if p != ".chartgen.lock"]
    typer.echo(f"{result.chart}: {len(changed)} values file(s) written, {len(values_files)} unchanged")
    for line in result.sizes:  # effective replicas / HPA per environment and version
        typer.echo(f"  {line}")


def _explain(chart: Path, envs: list[str], fmt: str) -> None:
    from chartgen.spec.explain import explain, render

    if len(envs) != 1 or fmt not in ("text", "json"):
        raise _fail(ChartgenError("chartgen values", "--env" if len(envs) != 1 else "--format",
                                  "--explain takes exactly one --env" if len(envs) != 1 else
                                  f"{fmt!r} is not allowed; allowed: text, json"))
    try:
        sys.stdout.write(render(explain(chart, envs[0]), fmt))
    except ChartgenError as exc:
        raise _fail(exc) from None


@app.command("diff")
def diff_cmd(
    chart: Path = typer.Argument(..., help="Chart folder."),
    from_env: Optional[str] = typer.Option(None, "--from", help="Environment to compare from (e.g. staging)."),
    to_env: Optional[str] = typer.Option(None, "--to", help="Environment to compare to (e.g. prod)."),
    values: bool = typer.Option(False, "--values", help="Compare the effective values instead of the manifests."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version"),
    helm: Optional[str] = HelmOpt,
    from_ref: Optional[str] = typer.Option(None, "--from-ref", help="Compare the chart at this git revision with the "
                                           "work tree, per environment (exit 1 when they differ)."),
    env: Optional[list[str]] = typer.Option(None, "--env", "-e", help="With --from-ref: only these environments."),
) -> None:
    """Per-resource diff of the rendered manifests of two environments (or of their values with --values), or of
    the chart at a git revision and now (--from-ref)."""
    from chartgen.verify import diff as d

    if fmt not in ("text", "json"):
        raise _fail(ChartgenError("chartgen diff", "--format", f"{fmt!r} is not allowed; allowed: text, json"))
    if from_ref is not None:
        raise typer.Exit(_diff_from_ref(chart, from_ref, tuple(env or ()), fmt, kube_version, helm, from_env,
                                        to_env, values))
    if from_env is None or to_env is None or env:
        raise _fail(ChartgenError("chartgen diff", "--from" if from_env is None else "--to" if to_env is None
                                  else "--env", "give --from ENV and --to ENV, or --from-ref REF [--env ENV]"))
    result: d.ManifestDiff | d.ValuesDiff
    try:
        if values:
            result = d.diff_values(chart, from_env, to_env)
        else:
            from chartgen.helm.runner import find_helm

            result = d.diff_chart(chart, from_env, to_env, find_helm(helm), kube_version=kube_version)
    except ChartgenError as exc:
        raise _fail(exc) from None
    if fmt == "json":
        d.render_json(result, sys.stdout)
    else:
        d.render_text(result, sys.stdout)


def _diff_from_ref(chart: Path, ref: str, envs: tuple[str, ...], fmt: str, kube_version: Optional[str],
                   helm: Optional[str], from_env: Optional[str], to_env: Optional[str], values: bool) -> int:
    from chartgen.helm.runner import find_helm
    from chartgen.verify import revisions

    if from_env or to_env or values:
        raise _fail(ChartgenError("chartgen diff", "--from-ref", "compares the same environments at a revision and "
                                  "now: use --env, not --from/--to/--values"))
    try:
        pair, diffs = revisions.diff_from_ref(chart, ref, find_helm(helm), envs=envs, kube_version=kube_version)
    except ChartgenError as exc:
        raise _fail(exc) from None
    revisions.write_diffs(pair, diffs, fmt, sys.stdout)
    return 1 if any(not x.empty for x in diffs) else 0


env_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True,
                      help="Manage a chart's environments (dev, staging, prod, ...).")
app.add_typer(env_app, name="env")


@env_app.command("add")
def env_add(
    chart: Path = typer.Argument(..., help="Chart folder (holding chartgen.yaml)."),
    name: str = typer.Argument(..., help="New environment name (e.g. qa)."),
    from_env: str = typer.Option(..., "--from", help="Environment to copy the profile and overrides from."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Namespace (default: the name)."),
    force: bool = typer.Option(False, "--force", help="Overwrite generated files edited by hand."),
) -> None:
    """Add an environment to chartgen.yaml as a copy of another, then regenerate the chart."""
    from chartgen.generate.envs import add_environment

    try:
        result = add_environment(chart, name, from_env, namespace, force=force)
    except ChartgenError as exc:
        raise _fail(exc) from None
    profile = f"profile {result.profile}" if result.profile else "no profile"
    typer.echo(f"{result.chart}: added environment {result.name} ({profile}, namespace {result.namespace}, "
               f"copied from {from_env}); wrote values-{result.name}.yaml, "
               f"{len(result.plan.changed)} file(s) changed")
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)


@helm_app.command("install")
def helm_install_cmd(
    versions: Optional[list[str]] = typer.Argument(None, help="Versions (default: all pinned: 4.1.4 3.17.2)."),
    force: bool = typer.Option(False, "--force"),
) -> None:
    """Install pinned, sha256-verified helm binaries into chartgen's tools folder."""
    from chartgen.helm import install as helm_install

    try:
        for v in versions or sorted(helm_install.RELEASES, reverse=True):
            helm_install.install(v, force=force, log=typer.echo)
    except helm_install.HelmInstallError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@helm_app.command("which")
def helm_which(helm: Optional[str] = HelmOpt,
               verbose: bool = typer.Option(False, "--verbose", "-v", help="Add its version.")) -> None:
    """Print the path of the helm binary chartgen would use (alone: `$(chartgen helm which)` is that path)."""
    from chartgen.helm.runner import find_helm

    try:
        h = find_helm(helm)
    except ChartgenError as exc:
        raise _fail(exc) from None
    typer.echo(f"{h.path} (v{h.version})" if verbose else h.path)


def main() -> None:
    from chartgen.core.guard import guarded

    guarded(app)


if __name__ == "__main__":
    main()
