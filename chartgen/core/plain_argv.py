"""The plain command lines the typer-free paths read (chartgen/check/check_argv.py, chartgen/verify/verify_argv.py):
positional arguments, flags, and options written `--option VALUE` with a value not starting with `-`. Anything else
(`--help`, `--opt=value`, `--`, a combined short option, an unknown option) is not plain: the CLI reads it."""

from __future__ import annotations

from typing import Any


def read_plain(argv: list[str], valued: dict[str, tuple[str, bool]], flags: dict[str, tuple[str, Any]],
               kw: dict[str, Any]) -> list[str] | None:
    """The positional arguments of argv (`-` is one: stdin), with each option put into kw: valued maps an option to
    (keyword, repeatable: appended to kw's list), flags to (keyword, value); None when argv is not plain."""
    positional: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in flags:
            name, value = flags[arg]
            kw[name] = value
        elif arg in valued:
            if i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                return None
            name, repeat = valued[arg]
            if repeat:
                kw[name].append(argv[i + 1])
            else:
                kw[name] = argv[i + 1]
            i += 1
        elif arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        else:
            return None
        i += 1
    return positional
