"""Benchmark: what the user runs. Whole `chartgen` processes against whole baseline processes, same run.

Compares (median of --runs runs each, interleaved so that machine load hits both sides alike):
  new        `chartgen new NAME --image nginx:1.27 --no-input`      vs  `helm create NAME`   target <= 2.5x (issue 27)
             (also with an empty template cache: the first `chartgen new` after an install or upgrade)
  generate   `chartgen generate CHART` on an unchanged chart (skipped: inputs hashed against the last run) and
             the first `chartgen generate` of the same chart (full render) - the skip's ratio to the full run
  help       `chartgen --help` (absolute, target <= 0.1 s, issue 27) and `chartgen --version` (answered before the CLI loads)
  check      `chartgen check FILE` (one Deployment)   vs  `kubernetes-validate --strict FILE`   target <= 1.0x (issue 27)
  floor      `python -c pass`, `python -c "import typer"`, and `chartgen schema` (typer + the settings catalog,
             no spec parse or render), to show which part of a process chartgen controls
  --before   another chartgen console script (e.g. the main checkout's .venv/bin/chartgen) timed the same way in the
             same run: the before/after of a change, side by side

What runs, two ways, both WITH bytecode for every module:
  installed  chartgen laid out as its wheel installs it, in a temp venv (`_common.installed_copy`: package and
             blueprints byte-compiled, pip's console script; dependencies from this checkout's venv): what a user
             runs. The targets' verdicts are given for these rows.
  dev venv   this checkout's editable install (.venv/bin/chartgen). This sandbox sets PYTHONDONTWRITEBYTECODE=1,
             which would make it recompile chartgen's modules in every process, so it gets a bytecode cache in a
             temp dir (`_common.installed_env`, filled by the warm-up run); its editable install is a plain path
             in a .pth file (hatchling's), so it runs the tree's modules as the wheel runs its own.
Jinja's template cache lives in a temp $XDG_CACHE_HOME (warmed by the warm-up run, as on a user's second run);
the "empty template cache" row gives each run a fresh one.

chartgen's chart is complete (Deployment, Service, ..., values-{dev,staging,prod}.yaml, values.schema.json, README);
helm create writes its starter (no environments, no schema, no README).

Wall and CPU seconds (user+sys of each process tree, os.wait4) are printed; the load average at start and end.
Each ratio is the ratio of the medians (the verdicts use it); the ratio of the best runs and the median of each
round's own ratio (a round runs every command once: drift of the host within the run cancels) are printed too.

Usage: python bench/generate.py [--runs 15] [--before /work/main/.venv/bin/chartgen]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

PY = str(C.BIN / "python")


class Sample(float):
    """A process's wall seconds, carrying its CPU seconds (user+sys of the process tree, from os.wait4)."""

    cpu: float


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.read().decode()[:500]}")
    out = Sample(wall)
    out.cpu = usage.ru_utime + usage.ru_stime
    return out


ONE_DOC = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web}
  template:
    metadata:
      labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web}
    spec:
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: web
          image: ghcr.io/acme/web:1.4.2
          ports: [{name: http, containerPort: 8080, protocol: TCP}]
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
                            capabilities: {drop: [ALL]}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
          readinessProbe: {httpGet: {path: /ready, port: http}}
          livenessProbe: {httpGet: {path: /healthz, port: http}}
"""


# (label, key, baseline key or None, target text, limit of the ratio (or of the seconds without a baseline))
CPU_ROWS = [
    ("installed: chartgen new / helm create", "i_new", "helm", "<= 2.5x", 2.5),
    ("installed: chartgen check FILE / kubernetes-validate", "i_check", "kv", "<= 1.0x", 1.0),
    ("installed: chartgen --help", "i_help", None, "<= 0.1 s", 0.1),
    ("dev venv: chartgen new / helm create", "new", "helm", "<= 2.5x", 2.5),
    ("dev venv: chartgen check FILE / kubernetes-validate", "check", "kv", "<= 1.0x", 1.0),
    ("dev venv: chartgen --help", "help", None, "<= 0.1 s", 0.1),
    ("installed floor: python -c pass", "i_py", None, "", None),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--before", default=None, help="another chartgen console script to time the same way "
                    "(`new`, `--help`, `check`), e.g. the main checkout's .venv/bin/chartgen")
    args = ap.parse_args(argv)
    C.require(C.CHARTGEN_CLI, "chartgen CLI")
    C.require(C.KUBERNETES_VALIDATE, "kubernetes-validate")
    helm = C.helm_path()
    cg = str(C.CHARTGEN_CLI)
    kv = str(C.KUBERNETES_VALIDATE)
    before = args.before
    C.banner("bench/generate.py", "whole processes: `chartgen new` vs `helm create`; `chartgen generate` skip; "
             "`chartgen --help`; `chartgen check` one document vs kubernetes-validate")
    print(f"# load average at start: {C.loadavg()}; helm {helm}"
          + (f"; before: {before}" if before else ""))
    keys = ["i_new", "i_new_cold", "i_help", "i_check", "i_py",
            "new", "new_cold", "helm", "gen_full", "gen_skip", "help", "version", "check", "kv", "py", "typer",
            "schema"] + (["b_new", "b_help", "b_check"] if before else [])
    times: dict[str, list[float]] = {k: [] for k in keys}
    with C.tempdir("generate") as tmp:
        env = C.installed_env({**C.helm_env(), "CHARTGEN_CACHE_DIR": str(tmp / "cache"),
                               "XDG_CACHE_HOME": str(tmp / "xdg")}, tmp / "pycache")
        inst = str(C.installed_copy(tmp / "installed"))
        inst_py = str(Path(inst).parent / "python")
        ienv = {k: v for k, v in env.items() if k != "PYTHONPYCACHEPREFIX"}  # its own .pyc files, like a wheel
        doc = tmp / "one-doc.yaml"
        doc.write_text(ONE_DOC, encoding="utf-8")
        check = ["check", str(doc), "--format", "json", "--kube-version", "1.31.0"]
        kv_cmd = [kv, "--strict", "-k", "1.31.0", str(doc)]
        # warm-up (bytecode, page cache, template cache) for every command
        timed([cg, "new", "warm", "--image", "nginx:1.27", "--no-input"], tmp, env)
        timed([helm, "create", "warmhelm"], tmp, env)
        timed([cg, *check], tmp, env)
        timed(kv_cmd, tmp, env)
        timed([inst, "new", "iwarm", "--image", "nginx:1.27", "--no-input"], tmp, ienv)
        if before:
            timed([before, "new", "bwarm", "--image", "nginx:1.27", "--no-input"], tmp, env)
            timed([before, *check], tmp, env)
        for i in range(args.runs):
            times["i_new"].append(timed([inst, "new", f"i{i}", "--image", "nginx:1.27", "--no-input"], tmp, ienv))
            icold = {**ienv, "XDG_CACHE_HOME": str(tmp / f"xdg-icold{i}")}
            times["i_new_cold"].append(timed([inst, "new", f"ic{i}", "--image", "nginx:1.27", "--no-input"], tmp,
                                             icold))
            times["i_help"].append(timed([inst, "--help"], tmp, ienv))
            times["i_check"].append(timed([inst, *check], tmp, ienv))
            times["i_py"].append(timed([inst_py, "-c", "pass"], tmp, ienv))
            times["new"].append(timed([cg, "new", f"app{i}", "--image", "nginx:1.27", "--no-input"], tmp, env))
            times["helm"].append(timed([helm, "create", f"helm{i}"], tmp, env))
            cold = {**env, "XDG_CACHE_HOME": str(tmp / f"xdg-cold{i}")}  # no compiled templates yet
            times["new_cold"].append(timed([cg, "new", f"cold{i}", "--image", "nginx:1.27", "--no-input"], tmp, cold))
            times["gen_full"].append(timed([cg, "generate", f"app{i}"], tmp, env))  # first generate: full render
            times["gen_skip"].append(timed([cg, "generate", f"app{i}"], tmp, env))  # unchanged: skipped
            times["help"].append(timed([cg, "--help"], tmp, env))
            times["version"].append(timed([cg, "--version"], tmp, env))
            times["check"].append(timed([cg, *check], tmp, env))
            times["kv"].append(timed(kv_cmd, tmp, env))
            times["py"].append(timed([PY, "-c", "pass"], tmp, env))
            times["typer"].append(timed([PY, "-c", "import typer"], tmp, env))
            times["schema"].append(timed([cg, "schema"], tmp, env))
            if before:
                times["b_new"].append(timed([before, "new", f"b{i}", "--image", "nginx:1.27", "--no-input"], tmp,
                                            env))
                times["b_help"].append(timed([before, "--help"], tmp, env))
                times["b_check"].append(timed([before, *check], tmp, env))
    med = {k: statistics.median(v) for k, v in times.items()}
    cpu = {k: statistics.median(s.cpu for s in v) for k, v in times.items()}  # user+sys, median per process
    best = {k: min(v) for k, v in times.items()}  # the least disturbed run of each: a view less sensitive to load
    best_ratio = {"i_new": f"{best['i_new'] / best['helm']:.2f}x", "i_check": f"{best['i_check'] / best['kv']:.2f}x",
                  "new": f"{best['new'] / best['helm']:.2f}x", "check": f"{best['check'] / best['kv']:.2f}x"}
    C.header(f"whole processes, median of {args.runs} interleaved runs")
    rows = [
        ("installed: chartgen new NAME --image ... --no-input", med["i_new"],
         f"{med['i_new'] / med['helm']:.2f}x helm create", "<= 2.5x", med["i_new"] / med["helm"] <= 2.5),
        ("  same, empty template cache (first run)", med["i_new_cold"],
         f"{med['i_new_cold'] / med['helm']:.2f}x helm create", "", None),
        ("helm create NAME", med["helm"], "1.00x", "", None),
        ("installed: chartgen --help", med["i_help"], "", "<= 0.1 s", med["i_help"] <= 0.1),
        ("installed: chartgen check FILE (1 document)", med["i_check"],
         f"{med['i_check'] / med['kv']:.2f}x kubernetes-validate", "<= 1.0x", med["i_check"] / med["kv"] <= 1.0),
        ("kubernetes-validate --strict FILE", med["kv"], "1.00x", "", None),
        ("installed floor: python -c pass", med["i_py"], "", "", None),
        ("dev venv: chartgen new NAME --image ... --no-input", med["new"],
         f"{med['new'] / med['helm']:.2f}x helm create", "<= 2.5x", med["new"] / med["helm"] <= 2.5),
        ("  same, empty template cache (first run)", med["new_cold"],
         f"{med['new_cold'] / med['helm']:.2f}x helm create", "", None),
        ("dev venv: chartgen generate CHART (first, full render)", med["gen_full"], "", "", None),
        ("dev venv: chartgen generate CHART (unchanged: skipped)", med["gen_skip"],
         f"{med['gen_skip'] / med['gen_full']:.2f}x the full run", "skips the work", med["gen_skip"] < med["gen_full"]),
        ("dev venv: chartgen --help", med["help"], "", "<= 0.1 s", med["help"] <= 0.1),
        ("chartgen --version (before the CLI loads)", med["version"], "", "", None),
        ("dev venv: chartgen check FILE (1 document)", med["check"],
         f"{med['check'] / med['kv']:.2f}x kubernetes-validate", "<= 1.0x", med["check"] / med["kv"] <= 1.0),
        ("dev venv floor: python -c pass", med["py"], "", "", None),
        ("dev venv floor: python -c 'import typer'", med["typer"], "", "", None),
        ("dev venv floor: chartgen schema (typer + settings catalog)", med["schema"],
         f"{med['schema'] / med['helm']:.2f}x helm create", "", None),
    ]
    if before:
        rows += [
            ("before (dev venv): chartgen new NAME --image ... --no-input", med["b_new"],
             f"{med['b_new'] / med['helm']:.2f}x helm create", "", None),
            ("before (dev venv): chartgen --help", med["b_help"], "", "", None),
            ("before (dev venv): chartgen check FILE (1 document)", med["b_check"],
             f"{med['b_check'] / med['kv']:.2f}x kubernetes-validate", "", None),
        ]
    C.table([(label, C.fmt_s(t), ratio, target, "" if ok is None else ("met" if ok else "NOT met"))
             for label, t, ratio, target, ok in rows], ["process", "median", "ratio", "target", "verdict"])
    print(f"  best run of each (min of {args.runs}), same ratios: installed new / helm create {best_ratio['i_new']}, "
          f"installed check / kubernetes-validate {best_ratio['i_check']}; dev venv: {best_ratio['new']}, "
          f"{best_ratio['check']}")
    paired = {k: statistics.median(a / b for a, b in zip(times[k], times[base], strict=True))
              for k, base in (("i_new", "helm"), ("new", "helm"), ("i_check", "kv"))}
    print(f"  paired (median over the {args.runs} rounds of each round's ratio; a round runs every command once, "
          f"so drift of the host within the run cancels): installed new / helm create {paired['i_new']:.2f}x, dev "
          f"venv {paired['new']:.2f}x; installed check / kubernetes-validate {paired['i_check']:.2f}x")
    C.header(f"CPU seconds (user+sys of each process tree), median of {args.runs}: less sensitive to load")
    C.table([(label, f"{cpu[a] * 1e3:.1f} ms", f"{cpu[b] * 1e3:.1f} ms" if b else "",
              f"{cpu[a] / cpu[b]:.2f}x" if b else "", target,
              "" if limit is None else ("met" if (cpu[a] / cpu[b] if b else cpu[a]) <= limit else "NOT met"))
             for label, a, b, target, limit in CPU_ROWS], ["process", "CPU", "baseline CPU", "ratio", "target",
                                                          "verdict"])
    print(f"# load average at end: {C.loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
