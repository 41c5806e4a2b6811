"""Start-up measures must not change what a command does: the collector is off only while the CLI is imported
(and for `chartgen new`, one short process), never for the commands that run long (check, verify)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc, sys
sys.argv = ["chartgen", {args}]
from chartgen.entry import main
try:
    main()
except SystemExit:
    pass
print("enabled" if gc.isenabled() else "disabled", file=sys.stderr)
"""


def gc_state_after(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=", ".join(map(repr, args)))],
                          capture_output=True, text=True, check=True)
    return done.stderr.strip().splitlines()[-1]


def test_collector_is_back_on_after_the_cli_is_imported():
    assert gc_state_after("schema") == "enabled"
    assert gc_state_after("--help") == "enabled"


def test_new_restores_the_collector_for_in_process_callers(tmp_path):
    import gc

    from typer.testing import CliRunner

    from chartgen.cli import app

    assert gc.isenabled()
    res = CliRunner().invoke(app, ["new", "x", "--image", "nginx:1.27", "--no-input", "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert gc.isenabled()
    res = CliRunner().invoke(app, ["new", "BAD", "--image", "nginx:1.27", "--no-input", "-o", str(tmp_path)])
    assert res.exit_code == 2 and gc.isenabled()


COLLECTION_PROBE = """
import gc, sys
from chartgen.generate import new_command
real_run = new_command.run

def run(params):
    gc.callbacks.append(lambda phase, info: phase == "start" and print("collection", file=sys.stderr, flush=True))
    return real_run(params)

new_command.run = run
sys.argv = ["chartgen", "new", "web", "--image", "nginx:1.27", "--no-input"]
from chartgen.entry import main
main()
"""


def test_a_new_process_collects_nothing_once_the_command_runs(tmp_path):
    """`chartgen new` ends with os._exit: a collection after the chart is written (the collector turned back on as
    `run` returns) would only scan what the exit drops, ~3 % of the process (issue 27)."""
    done = subprocess.run([sys.executable, "-c", COLLECTION_PROBE], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created web ")
    assert "collection" not in done.stderr


COMPILED_PROBE = """
import dataclasses, os, sys
real_exit = os._exit

def report(code=0):
    sys.stdout.flush()
    compiled = sorted(
        f"{name}.{obj.__qualname__}" for name, module in list(sys.modules.items()) if name.startswith("chartgen")
        for obj in list(vars(module).values())
        if isinstance(obj, type) and obj.__module__ == name and dataclasses.is_dataclass(obj)
        and any(getattr(obj.__dataclass_params__, flag) for flag in ("init", "repr", "eq")))
    loaded = sum(name.startswith("chartgen") for name in sys.modules)
    print(f"LOADED {loaded} COMPILED {' '.join(compiled)}", file=sys.stderr, flush=True)
    real_exit(code)

os._exit = report
sys.argv = ["chartgen", ARGS]
from chartgen.entry import main
try:
    main()
except SystemExit as exc:
    report(exc.code if isinstance(exc.code, int) else 1)
report(0)
"""


def compiled_classes(*args: str, cwd) -> tuple[int, list[str]]:
    """(chartgen modules loaded, the chartgen classes whose dataclass methods were compiled) by a `chartgen ARGS`
    process, seen as it ends."""
    done = subprocess.run([sys.executable, "-c", COMPILED_PROBE.replace("ARGS", ", ".join(map(repr, args)))],
                          capture_output=True, text=True, cwd=cwd, timeout=120)
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("LOADED "), done.stderr
    loaded, _, compiled = line.removeprefix("LOADED ").partition(" COMPILED")
    return int(loaded), compiled.split()


def test_new_check_and_a_cold_verify_compile_no_dataclass_method(tmp_path):
    """@record/@mutable_record classes, not @dataclass ones, on the start-up paths users meet first (issue 27: a
    cold one-chart verify compiled ~50 classes' methods, ~50 ms of CPU)."""
    from support import chart_dirs, copy_chart

    chart = copy_chart(chart_dirs()[0].name, tmp_path)
    rendering = tmp_path / "one.yaml"
    rendering.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n", encoding="utf-8")
    runs = {"new": ("new", "fresh", "--image", "nginx:1.27", "--no-input", "-o", str(tmp_path)),
            "check": ("check", str(rendering)), "verify": ("verify", str(chart))}
    for command, args in runs.items():
        loaded, compiled = compiled_classes(*args, cwd=tmp_path)
        assert loaded > 30, (command, loaded)  # the probe saw the command's modules
        assert compiled == [], command
