"""`chartgen verify ...` without the CLI framework: a warm run is mostly start-up, and a cold one should start helm
early.

A plain command line (chart paths and the options below, each written `--option VALUE` with a value not starting
with `-`) is parsed here into the CLI's VerifyArgs. run_verify_cached (chartgen.verify.command) answers it when
every selected chart's result is in the verify cache: the same keys, report and exit code as the CLI, without
importing typer, helm's helpers, the checks or YAML; when a chart misses, run_verify does the whole run here, as the
CLI would with the same VerifyArgs. Anything else goes to the CLI (chartgen.cli.verify) unchanged: `--help`,
`--opt=value`, `--`, an unknown option, the options whose work the cache does not hold (--policy, --no-cache,
--changed-since, --shard, --helm-matrix, --upgrade-from) and CRDs to read first (--crds, CHARTGEN_CRDS: the CLI
reads them before any work). tests/verify/test_verify_argv.py compares both paths.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# option -> (VerifyArgs field, repeatable)
_VALUED: dict[str, tuple[str, bool]] = {
    "--env": ("envs", True), "-e": ("envs", True), "--kube-version": ("kube_version", False),
    "--helm": ("helm", False), "--format": ("fmt", False), "--jobs": ("jobs", False), "-j": ("jobs", False),
    "--release": ("release", False), "--namespace": ("namespace", False), "-n": ("namespace", False),
    "--severity": ("severity", False), "--api-versions": ("api_versions", True), "-a": ("api_versions", True),
    "--config": ("config", False),
}
_FLAGS: dict[str, tuple[str, bool]] = {"--no-check": ("run_checks", False), "--snapshots": ("snapshots", True)}


def parse_argv(argv: list[str]) -> Any:  # -> VerifyArgs | None
    """The VerifyArgs of a plain `chartgen verify` command line the cache may answer; None for anything else."""
    from chartgen.check.crd_env import env_paths
    from chartgen.core.plain_argv import read_plain
    from chartgen.verify.command import VerifyArgs

    if env_paths():  # the CLI reads them first (a bad CRD file is exit 2 before any work)
        return None
    kw: dict[str, Any] = {"envs": [], "api_versions": []}
    paths = read_plain(argv, _VALUED, _FLAGS, kw)
    if paths is None:
        return None
    jobs = kw.get("jobs")
    if not paths or (jobs is not None and not (jobs.isascii() and jobs.isdigit())):
        return None
    kw.update(envs=tuple(kw["envs"]), api_versions=tuple(kw["api_versions"]), jobs=None if jobs is None else int(jobs))
    return VerifyArgs([Path(p) for p in paths], **kw)


def main_fast(argv: list[str]) -> bool:
    """Run a plain `chartgen verify` command line without typer (the process ends here, os._exit after flushing, as
    `chartgen check` does): answered from the cache when every chart hits, else the whole run (run_verify, which
    the CLI would call with the same VerifyArgs: tests/verify/test_verify_argv.py). False to let typer handle argv."""
    args = parse_argv(argv)
    if args is None:
        return False
    from chartgen.core.errors import ChartgenError, error_text
    from chartgen.core.guard import guarded_then_exit

    def command() -> None:
        from chartgen.core.read_log import ReadLog
        from chartgen.verify import run_record
        from chartgen.verify.command import plan, run_verify, run_verify_cached

        key = run_record.record_key(argv)
        try:
            shown = run_record.Capture(sys.stdout)
            with ReadLog() as log:  # what the cache's answer depends on: the run's record (run_record)
                p = plan(args)  # one plan (discovery, helm and its version) for both
                code = run_verify_cached(args, shown, p)
            if code is not None:
                sys.stdout.write(shown.text())
                run_record.store(key, log, shown.text(), code)
            else:  # a miss, or more than the cache holds
                code = run_verify(args, sys.stdout, p)
                sys.stdout.flush()
                run_record.record_after(args, key, sys.stdout, log)
        except ChartgenError as exc:  # as the CLI prints it (chartgen.cli._fail)
            sys.stdout.flush()
            sys.stderr.write(error_text(exc) + "\n")
            code = exc.exit_code
        sys.stdout.flush()
        sys.exit(code)

    guarded_then_exit(command)
