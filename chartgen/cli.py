"""The chartgen command line: a thin typer layer over the Python API.

Exit codes: 0 all good, 1 findings (drift, lint/template failures, check findings), 2 bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from chartgen.blueprint_root import quick_choices
from chartgen.errors import ChartgenError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Generate, and prove correct, Helm charts for Kubernetes Services and Istio traffic management.",
)
helm_app = typer.Typer(no_args_is_help=True, help="Manage the helm binaries chartgen uses.")
app.add_typer(helm_app, name="helm")

HelmOpt = typer.Option(None, "--helm", help="helm binary (default: $CHARTGEN_HELM, chartgen's copy, then PATH).")


def _fail(exc: ChartgenError) -> typer.Exit:
    typer.echo(f"error: {exc}" if "\n" not in str(exc) else "\n".join(f"error: {l}" for l in str(exc).splitlines()),
               err=True)
    return typer.Exit(exc.exit_code)


def _spec_dir(chart: Path) -> Path:
    return chart.parent if chart.name == "chartgen.yaml" else chart


# The blueprint names come from the blueprint folders (read cheaply: no YAML, no library, at import).
_TYPE_HELP = f"Service blueprint: {', '.join(quick_choices()) or 'a folder under blueprints/service'}."


@app.command()
def new(
    name: Optional[str] = typer.Argument(None, help="Chart name (a DNS-1035 label)."),
    type: Optional[str] = typer.Option(None, "--type", "-t", help=_TYPE_HELP),
    image: Optional[str] = typer.Option(None, help="Container image, e.g. ghcr.io/acme/app:1.2.3."),
    port: Optional[int] = typer.Option(None, help="Service port."),
    target_port: Optional[int] = typer.Option(None, "--target-port", help="Container port (targetPort)."),
    external_name: Optional[str] = typer.Option(None, "--external-name", help="ExternalName: the DNS name."),
    istio: Optional[bool] = typer.Option(None, "--istio/--no-istio", help="Add Istio traffic management."),
    output: Path = typer.Option(Path("."), "--output", "-o", help="Folder to create the chart folder in."),
    no_input: bool = typer.Option(False, "--no-input", help="Never prompt; use defaults for missing answers."),
) -> None:
    """Scaffold a new chart folder: chartgen.yaml plus the complete generated chart."""
    from chartgen import scaffold
    from chartgen.engine import generate
    from chartgen.spec import DNS1035, parse_spec_text
    from chartgen.writer import write_new

    answers: dict[str, str | None] = {
        "name": name, "type": type, "image": image,
        "port": None if port is None else str(port),
        "target_port": None if target_port is None else str(target_port),
        "external_name": external_name,
        "istio": None if istio is None else ("yes" if istio else "no"),
    }
    try:
        if no_input:
            answers = scaffold.fill_no_input(answers)
        final = scaffold.ask_missing(answers)
        if not DNS1035.match(final["name"]) or len(final["name"]) > 63:
            raise ChartgenError("chartgen new", "name", f"{final['name']!r} is not a DNS-1035 label: at most 63 "
                                "lowercase letters, digits and '-', starting with a letter")
        target = output / final["name"]
        text = scaffold.render_spec(final)
        spec = parse_spec_text(text, str(target / "chartgen.yaml"))
        tree = generate(spec)
        tree.add("chartgen.yaml", text)
        write_new(tree, target)
    except ChartgenError as exc:
        raise _fail(exc) from None
    typer.echo(f"created {target} ({spec.blueprint.name}, environments: "
               f"{', '.join(e.name for e in spec.environments)})")


@app.command("generate")
def generate_cmd(
    charts: list[Path] = typer.Argument(..., help="Chart folders (each holding chartgen.yaml)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 listing files that differ."),
    force: bool = typer.Option(False, "--force", help="Overwrite files edited by hand."),
) -> None:
    """Re-render charts from their chartgen.yaml."""
    from chartgen.engine import generate
    from chartgen.spec import load_spec
    from chartgen.writer import drift, write

    stale = False
    for chart in charts:
        chart = _spec_dir(chart)
        try:
            tree = generate(load_spec(chart))
            if check:
                differing = drift(tree, chart)
                for rel in differing:
                    typer.echo(f"{chart / rel}: out of date with chartgen.yaml")
                stale = stale or bool(differing)
                if not differing:
                    typer.echo(f"{chart}: up to date")
            else:
                result = write(tree, chart, force=force)
                typer.echo(f"{chart}: {len(result.create)} created, {len(result.update)} updated, "
                           f"{len(result.delete)} removed, {len(result.unchanged)} unchanged")
        except ChartgenError as exc:
            raise _fail(exc)
    if stale:
        typer.echo("run `chartgen generate` to update", err=True)
        raise typer.Exit(1)


@app.command()
def render(
    chart: Path = typer.Argument(..., help="Chart folder."),
    env: str = typer.Option(..., "--env", "-e", help="Environment (uses values-<env>.yaml)."),
    release: Optional[str] = typer.Option(None, help="Release name (default: the chart name)."),
    namespace: Optional[str] = typer.Option(None, "--namespace", "-n", help="Default: the environment's."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version"),
    helm: Optional[str] = HelmOpt,
) -> None:
    """helm template the chart for one environment; manifests on stdout."""
    from chartgen.helm import find_helm
    from chartgen.verify import ChartTarget

    try:
        target = ChartTarget.load(chart, kube_version)
        h = find_helm(helm)
        result = target.template(h, env, release=release, namespace=namespace)
    except ChartgenError as exc:
        raise _fail(exc)
    if not result.ok:
        typer.echo(result.message, err=True)
        raise typer.Exit(1)
    sys.stdout.write(result.stdout)


@app.command()
def verify(
    charts: list[Path] = typer.Argument(..., help="Chart folders."),
    env: Optional[list[str]] = typer.Option(None, "--env", "-e", help="Only these environments."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version"),
    no_check: bool = typer.Option(False, "--no-check", help="Skip chartgen check on the rendered manifests."),
    policy: Optional[str] = typer.Option(None, "--policy", help="Also run a policy scanner: checkov "
                                         "(pip install 'chartgen[policy]')."),
    helm: Optional[str] = HelmOpt,
    fmt: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """helm lint --strict and helm template for every environment, then chartgen check on the output."""
    from chartgen.helm import find_helm
    from chartgen.verify import ChartTarget, print_report, verify_all

    if fmt not in ("text", "json"):
        raise _fail(ChartgenError("chartgen verify", "--format", f"{fmt!r} is not allowed; allowed: text, json"))
    try:
        h = find_helm(helm)
        targets = [ChartTarget.load(c, kube_version) for c in charts]
    except ChartgenError as exc:
        raise _fail(exc)
    try:
        results = verify_all(targets, h, envs=env, run_checks=not no_check, policy=policy)
    except ChartgenError as exc:
        raise _fail(exc)
    ok = print_report(results, h, fmt)
    raise typer.Exit(0 if ok else 1)


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
) -> None:
    """Check rendered manifests (from any chart) for the mistakes that break real clusters."""
    from chartgen.check.command import run_check

    code = run_check(files or ["-"], kube_version=kube_version, istio_version=istio_version, fmt=fmt,
                     severity=severity, disabled=list(disable or []), profile=profile, namespace=namespace,
                     out=sys.stdout, stdin=sys.stdin)
    raise typer.Exit(code)


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of chartgen.yaml (for editors: yaml-language-server)."""
    from chartgen.blueprints import BlueprintLibrary
    from chartgen.spec_schema import text

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
) -> None:
    """(Re)generate only the values-<env>.yaml files from chartgen.yaml."""
    from chartgen.envs import regenerate_values

    try:
        result = regenerate_values(chart, env, check=check, force=force)
    except ChartgenError as exc:
        raise _fail(exc)
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
    values_files = [p for p in plan.unchanged if p != ".chartgen.lock"]
    changed = [p for p in plan.create + plan.update + plan.delete if p != ".chartgen.lock"]
    typer.echo(f"{result.chart}: {len(changed)} values file(s) written, {len(values_files)} unchanged")
    for line in result.sizes:  # effective replicas / HPA per environment and version
        typer.echo(f"  {line}")


@app.command("diff")
def diff_cmd(
    chart: Path = typer.Argument(..., help="Chart folder."),
    from_env: str = typer.Option(..., "--from", help="Environment to compare from (e.g. staging)."),
    to_env: str = typer.Option(..., "--to", help="Environment to compare to (e.g. prod)."),
    values: bool = typer.Option(False, "--values", help="Compare the effective values instead of the manifests."),
    fmt: str = typer.Option("text", "--format", help="text or json."),
    kube_version: Optional[str] = typer.Option(None, "--kube-version"),
    helm: Optional[str] = HelmOpt,
) -> None:
    """Per-resource diff of the rendered manifests of two environments (or of their values with --values)."""
    from chartgen import diff as d

    if fmt not in ("text", "json"):
        raise _fail(ChartgenError("chartgen diff", "--format", f"{fmt!r} is not allowed; allowed: text, json"))
    try:
        if values:
            result = d.diff_values(chart, from_env, to_env)
        else:
            from chartgen.helm import find_helm

            result = d.diff_chart(chart, from_env, to_env, find_helm(helm), kube_version=kube_version)
    except ChartgenError as exc:
        raise _fail(exc)
    if fmt == "json":
        d.render_json(result, sys.stdout)
    else:
        d.render_text(result, sys.stdout)


env_app = typer.Typer(no_args_is_help=True, help="Manage a chart's environments (dev, staging, prod, ...).")
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
    from chartgen.envs import add_environment

    try:
        result = add_environment(chart, name, from_env, namespace, force=force)
    except ChartgenError as exc:
        raise _fail(exc)
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
    from chartgen import helm_install

    try:
        for v in versions or sorted(helm_install.RELEASES, reverse=True):
            helm_install.install(v, force=force, log=typer.echo)
    except helm_install.HelmInstallError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)


@helm_app.command("which")
def helm_which(helm: Optional[str] = HelmOpt) -> None:
    """Print the helm binary chartgen would use, and its version."""
    from chartgen.helm import find_helm

    try:
        h = find_helm(helm)
    except ChartgenError as exc:
        raise _fail(exc)
    typer.echo(f"{h.path} (v{h.version})")


def main() -> None:
    import os

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except ChartgenError as exc:  # raised outside a command's own handling
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug in chartgen: say so in one line (CHARTGEN_DEBUG=1 for the traceback)
        if os.environ.get("CHARTGEN_DEBUG"):
            raise
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (set CHARTGEN_DEBUG=1 for details)", err=True)
        sys.exit(3)


if __name__ == "__main__":
    main()
