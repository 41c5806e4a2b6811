"""checkov's own console script, started before its input exists (issue 27: its imports overlap the helm work).

Run by chartgen.verify.policy as `PYTHON checkov_start.py SCRIPT ARG...`, PYTHON being the interpreter of SCRIPT's
`#!` line. It sets up what `SCRIPT ARG...` would have (sys.argv, and SCRIPT's folder first on sys.path instead of
this file's), imports checkov.main (most of checkov's run time), then waits: on the line `scan` from stdin it runs
SCRIPT itself as __main__, so its exit code, output and checks are the plain process's; at the end of the input it
exits without scanning. Standard library only, and no chartgen import: this runs in checkov's Python.

The cyclic garbage collector is paused while checkov's ~3,900 modules load, and what they built is then frozen
(gc.freeze: kept, never scanned again): about a fifth less CPU for the import and the scan, the same code run.
"""

import os
import sys

SCRIPT = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(os.path.realpath(SCRIPT))

import gc  # noqa: E402
import runpy  # noqa: E402

gc.disable()
import checkov.main  # noqa: E402,F401  (Checkov's argv default is read here: sys.argv is already SCRIPT's)

gc.freeze()
gc.enable()

if sys.stdin.readline() == "scan\n":
    runpy.run_path(SCRIPT, run_name="__main__")
