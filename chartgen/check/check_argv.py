"""`chartgen check ...` without the CLI framework: a plain command line runs here, anything else goes to typer.

Importing typer (and click) is a third of a one-document `chartgen check` process (bench/generate.py), as it was
for `chartgen new` (chartgen/generate/new_command.py). This reads only the plain forms: file arguments and the
options of `chartgen check` written as `--option VALUE` (values not starting with `-`), `--allow-empty`; `--help`,
`--opt=value`, `--`, a value that starts with `-` and anything unknown return None and the CLI (chartgen.cli.check)
handles the command line as before. The defaults are the CLI's (tests/check/test_check_argv.py compares both parses).
"""

from __future__ import annotations

import sys
from typing import Any

# option -> (run_check keyword, repeatable)
_VALUED: dict[str, tuple[str, bool]] = {
    "--kube-version": ("kube_version", False), "--istio-version": ("istio_version", False),
    "--format": ("fmt", False), "--severity": ("severity", False), "--profile": ("profile", False),
    "--namespace": ("namespace", False), "-n": ("namespace", False), "--config": ("config", False),
    "--disable": ("disabled", True), "--crds": ("crds", True),
}
DEFAULTS: dict[str, Any] = {"kube_version": "1.31", "istio_version": "1.30", "fmt": "text", "severity": "error",
                            "profile": "default", "namespace": None, "config": None, "disabled": [], "crds": [],
                            "allow_empty": False}


def parse_argv(argv: list[str]) -> tuple[list[str], dict[str, Any]] | None:
    """(paths, run_check keywords) of a plain `chartgen check` command line; None for anything else."""
    from chartgen.core.plain_argv import read_plain

    kw: dict[str, Any] = {k: list(v) if isinstance(v, list) else v for k, v in DEFAULTS.items()}
    paths = read_plain(argv, _VALUED, {"--allow-empty": ("allow_empty", True)}, kw)
    if paths is None:
        return None
    return paths or ["-"], kw


def main_fast(argv: list[str]) -> bool:
    """Run `chartgen check` when argv is plain (then the process ends here, os._exit after flushing, as
    `chartgen new` does); False to let typer handle it."""
    parsed = parse_argv(argv)
    if parsed is None:
        return False
    paths, kw = parsed
    from chartgen.check.command import run_check
    from chartgen.core.guard import guarded_then_exit

    def command() -> None:
        try:
            code = run_check(paths, out=sys.stdout, stdin=sys.stdin, **kw)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head -0`): exit 1 quietly, as click does
            sys.exit(1)
        sys.exit(code)

    guarded_then_exit(command)
