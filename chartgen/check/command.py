"""`chartgen check` as plain functions: cli.py wires run_check, `chartgen verify` uses check_text/check_sources.

Exit codes: 0 no finding at or above the failing severity, 1 there are, 2 unreadable input or bad options
(one line on stderr, never a traceback). Heavy modules are imported on call, not on import.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from chartgen.check.model import CheckOptions, Finding, Severity

if TYPE_CHECKING:
    from chartgen.check.runner import CheckResult

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2
PROG = "chartgen check"


class UsageError(Exception):
    """A bad option value (exit code 2)."""


def parse_severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except KeyError:
        raise UsageError(f"unknown severity {text!r}: use error, warning or info") from None


def split_ids(values: Iterable[str]) -> frozenset[str]:
    """--disable values; each may hold several comma-separated ids."""
    return frozenset(part.strip() for value in values for part in value.split(",") if part.strip())


def crd_paths(given: Iterable[str] = (), chart: Path | None = None) -> tuple[str, ...]:
    """Where custom resources find their CRDs: the paths given (--crds, the config file), then CHARTGEN_CRDS, then
    the chart's own crds/ folder (and its unpacked subcharts' ones) when a chart is verified."""
    from chartgen.check.crd_source import env_paths

    paths = [*given, *env_paths()]
    if chart is not None:
        paths += [str(p) for p in [chart / "crds", *sorted(chart.glob("charts/*/crds"))] if p.is_dir()]
    return tuple(dict.fromkeys(paths))


def make_options(*, kube_version: str = "1.31", istio_version: str = "1.30", profile: str = "default",
                 disabled: Iterable[str] = (), node_port_range: tuple[int, int] | None = None,
                 crds: Iterable[str] = ()) -> CheckOptions:
    """Options from the command line; `crds` are the --crds paths (CHARTGEN_CRDS is added here)."""
    from chartgen.check.crd_source import ENV_VAR, env_paths, missing_paths
    from chartgen.check.schema import parse_kube_version

    try:
        parse_kube_version(kube_version)
    except ValueError as err:
        raise UsageError(str(err)) from None
    given = tuple(crds)
    if missing := missing_paths(given):
        raise UsageError(f"--crds {missing[0]}: no such file or directory (give CRD files or folders)")
    if missing := missing_paths(env_paths()):
        raise UsageError(f"{ENV_VAR}: {missing[0]}: no such file or directory (paths separated by {os.pathsep!r})")
    extra = {} if node_port_range is None else {"node_port_range": tuple(node_port_range)}
    if node_port_range is not None and not 1 <= node_port_range[0] <= node_port_range[1] <= 65535:
        raise UsageError(f"invalid node port range {node_port_range[0]}-{node_port_range[1]}")
    return CheckOptions(kube_version=kube_version, istio_version=istio_version, profile=profile,
                        disabled=split_ids(disabled), crds=crd_paths(given), **extra)


def check_sources(sources: Mapping[str, str], opts: CheckOptions | None = None,
                  namespace: str | None = None) -> CheckResult:
    """Check in-memory manifests together (source name -> YAML text); raises InputError on bad YAML."""
    from chartgen.check.loader import load_text
    from chartgen.check.runner import check

    documents = [doc for source, text in sources.items() for doc in load_text(text, source)]
    return check(documents, opts or CheckOptions(), namespace)


def check_text(text: str, source: str = "-", opts: CheckOptions | None = None,
               namespace: str | None = None) -> list[Finding]:
    """Findings for one rendered manifest stream (e.g. `helm template` output); raises InputError on bad YAML."""
    return check_sources({source: text}, opts, namespace).findings


run_check_documents = check_sources


def run_check(paths: Sequence[str], *, kube_version: str = "1.31", istio_version: str = "1.30", fmt: str = "text",
              severity: str = "error", disabled: Iterable[str] = (), profile: str = "default",
              namespace: str | None = None, out: TextIO | None = None, stdin: TextIO | None = None,
              err: TextIO | None = None, node_port_range: tuple[int, int] | None = None,
              color: bool | None = None, crds: Iterable[str] = ()) -> int:
    """Check files/directories/"-" and write the report to `out`; returns the exit code."""
    from chartgen.check.loader import InputError, load_paths
    from chartgen.check.report import write_report
    from chartgen.reporting import FORMATS  # every registered format, including ones added later
    from chartgen.check.runner import check

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        fail_on = parse_severity(severity)
        opts = make_options(kube_version=kube_version, istio_version=istio_version, profile=profile,
                            disabled=disabled, node_port_range=node_port_range, crds=crds)
        if not paths:
            raise UsageError("no input: give manifest files, directories, or - for standard input")
        stdin_text = None
        if "-" in paths:
            stdin_text = (sys.stdin if stdin is None else stdin).read()
        documents = load_paths(list(paths), stdin_text)
        result = check(documents, opts, namespace)  # reads the CRD files when a custom resource needs them
    except InputError as error:
        print(str(error), file=err)
        return EXIT_INPUT
    except UsageError as error:
        print(f"{PROG}: {error}", file=err)
        return EXIT_INPUT

    _warn_unknown_disabled(opts.disabled, err)
    write_report(fmt, result.findings, result.documents, out, fail_on=fail_on,
                 suppressed=len(result.suppressed), color=color)
    return EXIT_FINDINGS if result.failing(fail_on) else EXIT_OK


def _warn_unknown_disabled(disabled: frozenset[str], err: TextIO) -> None:
    from chartgen.check.registry import all_rules

    unknown = sorted(disabled - {r.id for r in all_rules()})
    if unknown:
        print(f"{PROG}: warning: --disable names unknown rule(s) {', '.join(unknown)}", file=err)
