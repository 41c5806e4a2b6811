"""checkov's own console script, started before its input exists (issue 27: its imports overlap the helm work).

Run by chartgen.verify.policy as `PYTHON checkov_start.py SCRIPT ARG...`, PYTHON being the interpreter of SCRIPT's
`#!` line. It sets up what `SCRIPT ARG...` would have (sys.argv, and SCRIPT's folder first on sys.path instead of
this file's), imports checkov.main (most of checkov's run time), then waits: on the line `scan` from stdin it runs
SCRIPT itself as __main__, so its exit code, output and checks are the plain process's; at the end of the input it
exits without scanning. Standard library only, and no chartgen import: this runs in checkov's Python.
"""

import os
import sys

SCRIPT = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(os.path.realpath(SCRIPT))

import runpy  # noqa: E402

import checkov.main  # noqa: E402,F401  (Checkov's argv default is read here: sys.argv is already SCRIPT's)

if sys.stdin.readline() == "scan\n":
    runpy.run_path(SCRIPT, run_name="__main__")
