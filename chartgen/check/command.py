"""`chartgen check` as plain functions: cli.py wires run_check, `chartgen verify` uses check_text/check_sources.

Exit codes: 0 no finding at or above the failing severity, 1 there are, 2 unreadable input or bad options
(one line on stderr, never a traceback). Heavy modules are imported on call, not on import.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chartgen.check.model import CheckOptions, Document, Finding, Severity

if TYPE_CHECKING:
    from chartgen.check.config import CheckConfig
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


PROFILES = ("default", "prod")


def crd_paths(given: Iterable[str] = (), chart: Path | None = None) -> tuple[str, ...]:
    """Where custom resources find their CRDs: the paths given (--crds, the config file), then CHARTGEN_CRDS, then
    the chart's own crds/ folder (and its unpacked subcharts' ones) when a chart is verified."""
    from chartgen.check.crd_source import env_paths

    paths = [*given, *env_paths()]
    if chart is not None:
        paths += [str(p) for p in [chart / "crds", *sorted(chart.glob("charts/*/crds"))] if p.is_dir()]
    return tuple(dict.fromkeys(paths))


def _checked_crd_paths(given: tuple[str, ...]) -> tuple[str, ...]:
    from chartgen.check.crd_source import ENV_VAR, env_paths, missing_paths

    if missing := missing_paths(given):
        raise UsageError(f"--crds {missing[0]}: no such file or directory (give CRD files or folders)")
    if missing := missing_paths(env_paths()):
        raise UsageError(f"{ENV_VAR}: {missing[0]}: no such file or directory (paths separated by {os.pathsep!r})")
    return crd_paths(given)


def check_kube_version(text: str) -> None:
    """A MAJOR.MINOR the bundled Kubernetes schemas cover (anything else would check against the wrong API)."""
    from chartgen.check.kube_versions import kube_version_problem

    if problem := kube_version_problem(text):
        raise UsageError(problem)


def check_rule_ids(ids: Iterable[str], where: str) -> None:
    wanted = set(ids)
    if not wanted:  # nothing to look up: the rule modules are imported by the check itself (in verify, beside helm)
        return
    from chartgen.check.registry import all_rules
    from chartgen.check.runner import load_rule_modules

    load_rule_modules()
    unknown = sorted(wanted - {r.id for r in all_rules()})
    if unknown:
        raise UsageError(f"{where}: unknown rule id {', '.join(unknown)} (`chartgen rules` lists them)")


def make_options(*, kube_version: str = "1.31", istio_version: str = "1.30", profile: str = "default",
                 disabled: Iterable[str] = (), node_port_range: tuple[int, int] | None = None,
                 config: CheckConfig | None = None, crds: Iterable[str] = ()) -> CheckOptions:
    """Options from the command line and the config file; `crds` are the --crds paths (the config file's `crds:`
    and CHARTGEN_CRDS are added here)."""
    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}: use {' or '.join(PROFILES)}")
    check_kube_version(kube_version)
    disabled_ids = split_ids(disabled)
    check_rule_ids(disabled_ids, "--disable")
    if config is not None:
        for rid in sorted(set(config.rule_lines) - _known_ids()):
            line, where = config.rule_lines[rid]
            raise UsageError(f"{config.path}:{line}: {where}: unknown rule id {rid} (`chartgen rules` lists them)")
    extra: dict[str, Any] = {} if node_port_range is None else {"node_port_range": tuple(node_port_range)}
    if node_port_range is not None and not 1 <= node_port_range[0] <= node_port_range[1] <= 65535:
        raise UsageError(f"invalid node port range {node_port_range[0]}-{node_port_range[1]}")
    given = tuple(crds)
    if config is not None:
        extra.update(external=config.external, severity_overrides=config.severity)
        given += tuple(config.crds)
        disabled_ids |= config.disable
    extra["crds"] = _checked_crd_paths(given)
    return CheckOptions(kube_version=kube_version, istio_version=istio_version, profile=profile,
                        disabled=disabled_ids, **extra)


def _known_ids() -> set[str]:
    from chartgen.check.registry import all_rules
    from chartgen.check.runner import load_rule_modules

    load_rule_modules()
    return {r.id for r in all_rules()}


def load_check_config(paths: Sequence[str], config: str | None) -> CheckConfig | None:
    """--config PATH, else the nearest .chartgen-check.yaml above the first input; None when there is none."""
    from pathlib import Path

    from chartgen.check.config import ConfigError, find_config, load_config

    path = Path(config) if config else find_config(paths)
    if path is None:
        return None
    if config and not path.is_file():
        raise UsageError(f"--config {config}: no such file")
    try:
        return load_config(path)
    except ConfigError as err:
        raise UsageError(str(err)) from None


def check_ignore_annotations(documents: Sequence[Document]) -> None:
    """An ignore annotation naming an unknown rule id is a user mistake: exit 2, naming file and line."""
    from chartgen.check.suppress import IGNORE_FIELD, Ignore, ignores_of

    known = _known_ids()
    for doc in documents:
        parsed = ignores_of(doc)
        if isinstance(parsed, Ignore) and (unknown := sorted(parsed.rules - known)):
            where = f"{doc.file}:{doc.line}" if doc.line else f"{doc.file} document {doc.index}"
            raise UsageError(f"{where}: {IGNORE_FIELD}: unknown rule id {', '.join(unknown)} "
                             "(`chartgen rules` lists them)")


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
              color: bool | None = None, config: str | None = None, crds: Iterable[str] = (),
              allow_empty: bool = False) -> int:
    """Check files/directories/"-" and write the report to `out`; returns the exit code. Input without any document
    is exit 2 unless `allow_empty` (an empty pipe is what a failed `helm template | chartgen check -` gives)."""
    from chartgen.check.formats import FORMATS  # every registered format, including ones added later
    from chartgen.check.loader import InputError, load_paths, read_stream
    from chartgen.check.report import write_report
    from chartgen.check.runner import check

    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        fail_on = parse_severity(severity)
        if not paths:
            raise UsageError("no input: give manifest files, directories, or - for standard input")
        cfg = load_check_config(paths, config)
        opts = make_options(kube_version=kube_version, istio_version=istio_version, profile=profile,
                            disabled=disabled, node_port_range=node_port_range, config=cfg, crds=crds)
        stdin_text = None
        if "-" in paths:
            stdin_text = read_stream(sys.stdin if stdin is None else stdin)
        with _no_cyclic_gc():
            documents = load_paths(list(paths), stdin_text)
        if not documents and not allow_empty:
            raise UsageError(f"no documents in {', '.join(paths)}: nothing to check (an empty pipe: did the command "
                             "feeding it, e.g. helm template, fail?); pass --allow-empty when no object is expected")
        check_ignore_annotations(documents)
        with _no_cyclic_gc():
            result = check(documents, opts, namespace)  # reads the CRD files when a custom resource needs them
    except InputError as error:
        print(str(error), file=err)
        return EXIT_INPUT
    except UsageError as error:
        print(f"{PROG}: {error}", file=err)
        return EXIT_INPUT

    if cfg is not None and cfg.ignore:
        result = apply_path_ignores(result, cfg)
    with _no_cyclic_gc():  # a full collection would walk every document still held, for nothing
        write_report(fmt, result.findings, result.documents, out, fail_on=fail_on,
                     suppressed=len(result.suppressed), color=color)
    return EXIT_FINDINGS if result.failing(fail_on) else EXIT_OK


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Loading and checking build large acyclic trees; the cyclic collector would rescan the growing heap again
    and again (10,000 CRD-heavy documents: 107 s to load with it, 28 s without; writing the report of 50,000: 1.35 s
    with it, 0.35 s without). Nothing here makes cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def apply_path_ignores(result: CheckResult, cfg: CheckConfig) -> CheckResult:
    from chartgen.check.runner import CheckResult, sort_key

    kept = [f for f in result.findings if not cfg.ignored(f.file, f.rule)]
    dropped = [f for f in result.findings if cfg.ignored(f.file, f.rule)]
    return CheckResult(result.documents, kept, sorted(result.suppressed + dropped, key=sort_key))
