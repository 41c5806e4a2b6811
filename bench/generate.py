"""Benchmark: what the user runs. Whole `chartgen` processes against whole `helm create` processes, same run.

Compares (median of --runs runs each, interleaved so that machine load hits both sides alike):
  new        `chartgen new NAME --image nginx:1.27 --no-input`      vs  `helm create NAME`   target <= 3x
  generate   `chartgen generate CHART` on an unchanged chart (skipped: inputs hashed against the last run) and
             the first `chartgen generate` of the same chart (full render) - the skip's ratio to the full run
  help       `chartgen --help` (absolute, target <= 0.2 s) and `chartgen --version` (answered before the CLI loads)
  floor      `python -c pass` and `python -c "import typer"` + typer's option processing (`chartgen schema`), to
             show which part of a process chartgen controls

chartgen's chart is complete (Deployment, Service, ..., values-{dev,staging,prod}.yaml, values.schema.json, README);
helm create writes its starter (no environments, no schema, no README).

Usage: python bench/generate.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

PY = str(C.BIN / "python")


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    return wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args(argv)
    C.require(C.CHARTGEN_CLI, "chartgen CLI")
    helm = C.helm_path()
    cg = str(C.CHARTGEN_CLI)
    C.banner("bench/generate.py", "whole processes: `chartgen new` vs `helm create`; `chartgen generate` skip; "
             "`chartgen --help`")
    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; helm {helm}")
    times: dict[str, list[float]] = {k: [] for k in ("new", "helm", "gen_full", "gen_skip", "help", "version",
                                                      "py", "typer", "schema")}
    with C.tempdir("generate") as tmp:
        env = C.installed_env({**C.helm_env(), "CHARTGEN_CACHE_DIR": str(tmp / "cache")}, tmp / "pycache")
        # warm-up (bytecode, page cache) for every command
        timed([cg, "new", "warm", "--image", "nginx:1.27", "--no-input"], tmp, env)
        timed([helm, "create", "warmhelm"], tmp, env)
        for i in range(args.runs):
            times["new"].append(timed([cg, "new", f"app{i}", "--image", "nginx:1.27", "--no-input"], tmp, env))
            times["helm"].append(timed([helm, "create", f"helm{i}"], tmp, env))
            times["gen_full"].append(timed([cg, "generate", f"app{i}"], tmp, env))  # first generate: full render
            times["gen_skip"].append(timed([cg, "generate", f"app{i}"], tmp, env))  # unchanged: skipped
            times["help"].append(timed([cg, "--help"], tmp, env))
            times["version"].append(timed([cg, "--version"], tmp, env))
            times["py"].append(timed([PY, "-c", "pass"], tmp, env))
            times["typer"].append(timed([PY, "-c", "import typer"], tmp, env))
            times["schema"].append(timed([cg, "schema"], tmp, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    C.header(f"whole processes, median of {args.runs} interleaved runs")
    rows = [
        ("chartgen new NAME --image ... --no-input", med["new"], f"{med['new'] / med['helm']:.2f}x helm create",
         "<= 3x", med["new"] / med["helm"] <= 3),
        ("helm create NAME", med["helm"], "1.00x", "", None),
        ("chartgen generate CHART (first, full render)", med["gen_full"], "", "", None),
        ("chartgen generate CHART (unchanged: skipped)", med["gen_skip"],
         f"{med['gen_skip'] / med['gen_full']:.2f}x the full run", "skips the work", med["gen_skip"] < med["gen_full"]),
        ("chartgen --help", med["help"], "", "<= 0.2 s", med["help"] <= 0.2),
        ("chartgen --version (before the CLI loads)", med["version"], "", "", None),
        ("floor: python -c pass", med["py"], "", "", None),
        ("floor: python -c 'import typer'", med["typer"], "", "", None),
        ("floor: chartgen schema (typer parse, no chartgen work)", med["schema"],
         f"{med['schema'] / med['helm']:.2f}x helm create", "", None),
    ]
    C.table([(label, C.fmt_s(t), ratio, target, "" if ok is None else ("met" if ok else "NOT met"))
             for label, t, ratio, target, ok in rows], ["process", "median", "ratio", "target", "verdict"])
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
