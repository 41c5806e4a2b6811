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
