"""`chartgen new`: its options, declared once, and the command itself, without typer.

chartgen/cli.py builds the typer command from NEW_OPTIONS (help, errors, `--help`); chartgen/entry.py reads an
ordinary `chartgen new ...` command line with `parse_argv` and calls `run` directly, so creating a chart does not
import typer (a fifth of a `chartgen new` process: issue 16's target is <= 3x a `helm create` process). Anything
`parse_argv` does not fully recognise (`--help`, a typo, a missing or malformed value, a repeated option) is left
to typer, which answers it as it always did: both paths take the same options, by construction.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from chartgen.core.errors import ChartgenError
from chartgen.core.record import Record, record


@record
class NewOption(Record):
    """One parameter of `chartgen new`: the positional chart name (no flags) or an option."""

    name: str  # the Python parameter, and the scaffold's answer key where it is one
    flags: tuple[str, ...]  # () for the positional argument
    kind: type  # str, int, bool (a flag) or Path
    help: str
    default: Any = None
    negative: str | None = None  # "--no-istio" for a --istio/--no-istio switch (default None: not given)


TYPE_HELP = "Service blueprint: {choices}."  # {choices}: the blueprint names, filled in by the CLI

NEW_OPTIONS: tuple[NewOption, ...] = (
    NewOption("name", (), str, "Chart name (a DNS-1035 label)."),
    NewOption("type", ("--type", "-t"), str, TYPE_HELP),
    NewOption("image", ("--image",), str, "Container image, e.g. ghcr.io/acme/app:1.2.3."),
    NewOption("port", ("--port",), int, "Service port."),
    NewOption("target_port", ("--target-port",), int, "Container port (targetPort)."),
    NewOption("external_name", ("--external-name",), str, "ExternalName: the DNS name."),
    NewOption("istio", ("--istio",), bool, "Add Istio traffic management.", negative="--no-istio"),
    NewOption("output", ("--output", "-o"), Path, "Folder to create the chart folder in.", default=Path(".")),
    NewOption("no_input", ("--no-input",), bool, "Never prompt; use defaults for missing answers.", default=False),
)


def parse_argv(argv: list[str]) -> dict[str, Any] | None:
    """The parameters of `chartgen new ARGV`, or None when typer must read the command line instead."""
    by_flag = {flag: opt for opt in NEW_OPTIONS for flag in opt.flags}
    negatives = {opt.negative: opt for opt in NEW_OPTIONS if opt.negative}
    out: dict[str, Any] = {opt.name: opt.default for opt in NEW_OPTIONS}
    seen: set[str] = set()
    args = list(argv)
    positional_only = False
    while args:
        arg = args.pop(0)
        if arg == "--" and not positional_only:
            positional_only = True
            continue
        if positional_only or not arg.startswith("-") or arg == "-":
            if "name" in seen:
                return None
            seen.add("name")
            out["name"] = arg
            continue
        flag, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if flag in negatives and not eq:
            opt, value = negatives[flag], False
        elif flag in by_flag:
            opt = by_flag[flag]
            if opt.kind is bool:
                if eq:
                    return None
                value = True
            else:
                if not eq:
                    if not args:
                        return None
                    inline = args.pop(0)
                value = _convert(opt.kind, inline)
                if value is None:
                    return None
        else:
            return None
        if opt.name in seen:
            return None
        seen.add(opt.name)
        out[opt.name] = value
    return out


def _convert(kind: type, text: str) -> Any:
    if kind is int:
        try:
            return int(text)
        except ValueError:
            return None
    return Path(text) if kind is Path else text


def answers(params: dict[str, Any]) -> dict[str, str | None]:
    """The scaffold's answers (text, or None when not given) from the command's parameters."""
    port, target, istio = params["port"], params["target_port"], params["istio"]
    return {
        "name": params["name"], "type": params["type"], "image": params["image"],
        "port": None if port is None else str(port),
        "target_port": None if target is None else str(target),
        "external_name": params["external_name"],
        "istio": None if istio is None else ("yes" if istio else "no"),
    }


def run(params: dict[str, Any]) -> str:
    """Create the chart; the line to print. Raises ChartgenError for bad input (nothing is written then)."""
    import gc

    enabled = gc.isenabled()
    gc.disable()  # bounded garbage; collections were ~5 % of a `chartgen new` process (bench/README.md)
    try:
        from chartgen.generate import scaffold
        from chartgen.generate.engine import generate
        from chartgen.generate.fresh_chart import write_new
        from chartgen.spec.loader import DNS1035, parse_spec_text

        given = answers(params)
        if params["no_input"]:
            given = scaffold.fill_no_input(given)
        final = scaffold.ask_missing(given)
        if not DNS1035.match(final["name"]) or len(final["name"]) > 63:
            raise ChartgenError("chartgen new", "name", f"{final['name']!r} is not a DNS-1035 label: at most 63 "
                                "lowercase letters, digits and '-', starting with a letter")
        target = Path(params["output"]) / final["name"]
        text = scaffold.render_spec(final)
        spec = parse_spec_text(text, str(target / "chartgen.yaml"))
        tree = generate(spec)
        tree.add("chartgen.yaml", text)
        write_new(tree, target)
    finally:
        if enabled:
            gc.enable()
    return f"created {target} ({spec.blueprint.name}, environments: {', '.join(e.name for e in spec.environments)})"


def main_fast(argv: list[str]) -> bool:
    """Run `chartgen new` without the CLI framework when argv is plain; False to let typer handle it.

    The process then ends at once (os._exit) once its output is flushed: tearing down the interpreter (every module
    and object freed one by one) was a tenth of a `chartgen new` process, and nothing is left to clean up (files
    are written and closed, the chart lock released, temporary folders removed, when `run` returns or raises).
    """
    params = parse_argv(argv)
    if params is None:
        return False
    from chartgen.core.guard import guarded_then_exit

    def command() -> None:
        import gc

        # No collection at all: `run` re-enables the collector when it returns only if it found it enabled, and the
        # first collection then scanned everything the run made, just before os._exit drops it (~3 % of the process).
        gc.disable()
        try:
            message = run(params)
        except ChartgenError as exc:
            sys.stderr.write("".join(f"error: {line}\n" for line in str(exc).splitlines()) or f"error: {exc}\n")
            sys.exit(exc.exit_code)
        try:
            sys.stdout.write(message + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head -0`): exit 1 quietly, as click does
            sys.exit(1)

    guarded_then_exit(command)
