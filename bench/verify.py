"""Benchmark: CI validation of a repository of N charts x 3 environments, `chartgen verify` vs the naive CI loop.

Compares (whole processes, same run, same cores):
  baseline   the loop a competent engineer writes in CI (a bash script, run by bash):
               for each chart and environment:  helm lint --strict CHART -f values-ENV.yaml
                                                helm template REL CHART -n NS -f values-ENV.yaml > out/CHART-ENV.yaml
               then ONE kubernetes-validate --strict call over all renderings
  nproc-wide the same helm work run `nproc` wide (`xargs -P`), as a competent engineer writes CI (issue 27); a
             second row adds the one kubernetes-validate call
  cold       `chartgen verify charts/` with an empty cache (drift check, lint, template, chartgen check, per chart
             environment, --jobs = CPU count)
  warm       the same command again (the cache holds every chart's result; replayed from the cold run's record
             when every file was at least 5 s old as it ended, chartgen/verify/run_record.py: the bench says which)
  changed    one chart changed on a branch: `chartgen verify charts/ --changed-since main`, with an empty cache
  policy     (--policy) `chartgen verify charts/ --policy checkov --no-cache`: all renderings in ONE checkov process

Targets: cold <= 0.6x baseline, warm <= 0.05x, changed (1 of N) <= 0.05x, peak memory of chartgen < 300 MB;
against the nproc-wide helm loop: cold <= 1.0x (1.2x for one chart), warm <= 0.003x at N >= 100; --policy checkov
<= 0.8x the nproc-wide loop plus one checkov process over all renderings. Wall and CPU (user+sys of the children).
Each size prints the load average: the runs of one size are paired (same invocation), compare their ratios.
Up to 10 charts, the cold run and the nproc-wide loop are each run 5 times, interleaved, and their medians make the
ratio (a single pair of half-second runs scatters by +-20 % on a shared host); every run's time is printed.
The repository is N renamed copies of generated-charts/*/chartgen.yaml, generated into a temp git repository.

Usage: python bench/verify.py [--sizes 1,10,100,300] [--policy] [--repeats R] [--pairs P]
(--repeats: each size R times, verdicts on the median of each ratio; --pairs: cold / nproc-wide runs per repetition)
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

KUBE = C.KUBE_VERSION
TARGETS = {"cold": 0.6, "warm": 0.05, "changed": 0.05}
# issue 27: against the helm work run nproc wide (cold: 1.2x for one chart, 1.0x from 10; warm: 0.003x at 100)
WIDE_TARGETS: dict[str, Callable[[int], float | None]] = {"cold": lambda n: 1.2 if n == 1 else 1.0,
                                                          "warm": lambda n: 0.003 if n >= 100 else None}
POLICY_TARGET = 0.8  # issue 27: --policy checkov against the nproc-wide loop + one checkov process
MEMORY_MB = 300
CHANGED_TARGET_N = 300


@dataclass
class Run:
    wall: float
    rc: int
    peak_mb: float
    tail: str
    cpu: float = 0.0  # user+sys seconds of the whole process tree


def make_repo(root: Path, n: int) -> list[Path]:
    """N charts (renamed copies of the generated-charts specs) under root/charts, committed on branch main."""
    from chartgen.generate.engine import generate
    from chartgen.generate.writer import write
    from chartgen.spec.loader import load_spec

    specs = sorted(C.GENERATED.glob("*/chartgen.yaml"))
    charts = []
    for i in range(n):
        text = specs[i % len(specs)].read_text(encoding="utf-8")
        name = re.search(r"^name:\s*(\S+)", text, re.M).group(1)  # type: ignore[union-attr]
        new = f"{name}-{i:03d}"
        chart = root / "charts" / new
        chart.mkdir(parents=True)
        (chart / "chartgen.yaml").write_text(re.sub(r"^name:\s*\S+", f"name: {new}", text, count=1, flags=re.M),
                                             encoding="utf-8")
        write(generate(load_spec(chart)), chart)
        charts.append(chart)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "charts"], cwd=root, check=True)
    return charts


def baseline_script(charts: list[Path], helm: str, out: Path) -> str:
    """The naive CI loop as the bash script a team would commit (namespaces come from a table, as they would)."""
    from chartgen.verify.chart import ChartTarget

    lines = ["#!/usr/bin/env bash", "set -u", "fail=0", f"mkdir -p {out}"]
    for chart in charts:
        target = ChartTarget.load(chart)
        for e in target.environments:
            values = chart / f"values-{e.name}.yaml"
            lines.append(f"{helm} lint --strict {chart} -f {values} --kube-version {KUBE} >/dev/null || fail=1")
            lines.append(f"{helm} template {target.name} {chart} -n {e.namespace} -f {values} --kube-version {KUBE}"
                         f" > {out}/{chart.name}-{e.name}.yaml || fail=1")
    lines.append(f"{C.KUBERNETES_VALIDATE} --strict -k {KUBE} {out}/*.yaml >/dev/null 2>&1 || fail=1")
    lines.append("exit $fail")
    return "\n".join(lines) + "\n"


def parallel_script(charts: list[Path], helm: str, out: Path, validate: bool, checkov: str | None = None) -> str:
    """The same helm work run `nproc` wide (`xargs -P`), as a competent engineer writes CI: one job per chart
    environment (lint --strict, then template); with `validate`, then ONE kubernetes-validate call; with `checkov`,
    then ONE checkov process over all renderings (as `chartgen verify --policy checkov` runs it)."""
    from chartgen.verify.chart import ChartTarget

    jobs = []
    for chart in charts:
        target = ChartTarget.load(chart)
        for e in target.environments:
            jobs.append(f"{chart} {chart / f'values-{e.name}.yaml'} {e.namespace} {target.name} "
                        f"{out}/{chart.name}-{e.name}.yaml")
    lines = ["#!/usr/bin/env bash", "set -u", "fail=0", f"mkdir -p {out}",
             f'job() {{ {helm} lint --strict "$1" -f "$2" --kube-version {KUBE} >/dev/null && '
             f'{helm} template "$4" "$1" -n "$3" -f "$2" --kube-version {KUBE} > "$5"; }}',
             "export -f job",
             "xargs -P \"$(nproc)\" -n 5 bash -c 'job \"$@\"' _ <<'JOBS' || fail=1", *jobs, "JOBS"]
    if validate:
        lines.append(f"{C.KUBERNETES_VALIDATE} --strict -k {KUBE} {out}/*.yaml >/dev/null 2>&1 || fail=1")
    if checkov:
        lines.append(f"{checkov} -d {out} --framework kubernetes --skip-download --compact -o json >/dev/null 2>&1"
                     " || fail=1")
    lines.append("exit $fail")
    return "\n".join(lines) + "\n"


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    before = os.times()
    proc, wall, rss = C.run_child(cmd, cwd=cwd, env=env)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[:3]} crashed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}")
    return Run(wall, proc.returncode, rss, tail, cpu)


def chartgen(root: Path, cache: Path, *extra: str) -> Run:
    env = C.installed_env({**C.helm_env(), "CHARTGEN_CACHE_DIR": str(cache)}, cache.parent / "pycache")
    env.pop("CI", None)
    return run([str(C.CHARTGEN_CLI), "verify", "charts", "--kube-version", KUBE, *extra], root, env)


def median_run(runs: list[Run]) -> Run:
    """The runs of one command as one: median wall and CPU, the worst exit code and peak memory."""
    return Run(statistics.median(r.wall for r in runs), max(r.rc for r in runs), max(r.peak_mb for r in runs),
               runs[0].tail, statistics.median(r.cpu for r in runs))


def default_pairs(n: int) -> int:
    """Interleaved cold / nproc-wide pairs per repetition: a single pair of half-second runs is within +-20 % of
    noise on a shared 2-core host (bench/README.md, issue 27 round 13); from 100 charts a run is long enough."""
    return 5 if n <= 10 else 1


def bench_size(n: int, policy: bool, pairs: int | None = None) -> dict[str, float]:
    pairs = pairs or default_pairs(n)
    helm = C.helm_path()
    with C.tempdir(f"verify{n}") as tmp:
        root = tmp / "repo"
        charts = make_repo(root, n)
        script, wide, wide_kv = tmp / "ci.sh", tmp / "ci-wide.sh", tmp / "ci-wide-kv.sh"
        script.write_text(baseline_script(charts, helm, tmp / "out"), encoding="utf-8")
        wide.write_text(parallel_script(charts, helm, tmp / "out-wide", False), encoding="utf-8")
        wide_kv.write_text(parallel_script(charts, helm, tmp / "out-wide-kv", True), encoding="utf-8")
        chartgen(root, tmp / "cache-warmup", "--shard", f"{n}/{n}")  # fills the bytecode cache (as installed)
        base = run(["bash", str(script)], root, C.helm_env())
        par_kv = run(["bash", str(wide_kv)], root, C.helm_env())
        pars, colds = [], []
        for i in range(pairs):  # interleaved, each side first in turn; the first cold run's cache serves `warm`
            for side in (("wide", "cold") if i % 2 == 0 else ("cold", "wide")):
                if side == "wide":
                    pars.append(run(["bash", str(wide)], root, C.helm_env()))
                else:
                    colds.append(chartgen(root, tmp / ("cache" if i == 0 else f"cache-cold{i}")))
        par, cold = median_run(pars), median_run(colds)
        recorded = any((tmp / "cache" / "runs").glob("*"))  # the first cold run left the warm run's record
        warm = chartgen(root, tmp / "cache")
        subprocess.run(["git", "checkout", "-qb", "change"], cwd=root, check=True)
        victim = charts[len(charts) // 2] / "chartgen.yaml"  # a reviewed edit of one chart's spec
        victim.write_text(victim.read_text(encoding="utf-8") + "# owner: team-a\n", encoding="utf-8")
        # as a reviewed change does, the chart's version moves with it (else --changed-since reports CHART-VERSION)
        subprocess.run([str(C.CHARTGEN_CLI), "generate", str(victim.parent), "--bump", "patch"], cwd=root,
                       check=True, capture_output=True)
        changed = chartgen(root, tmp / "cache-changed", "--changed-since", "main")
        pol = pol_base = None
        if policy:
            from chartgen.verify.policy import find_checkov

            wide_pol = tmp / "ci-wide-checkov.sh"
            wide_pol.write_text(parallel_script(charts, helm, tmp / "out-wide-pol", False, find_checkov()),
                                encoding="utf-8")
            # warm-up: chartgen's processes run with PYTHONPYCACHEPREFIX (C.installed_env), which checkov inherits;
            # an empty prefix would make checkov compile its own modules again (pip compiled them at install)
            chartgen(root, tmp / "cache-policy", "--policy", "checkov", "--no-cache", "--shard", f"{n}/{n}")
            pol_base = run(["bash", str(wide_pol)], root, C.helm_env())
            pol = chartgen(root, tmp / "cache-policy", "--policy", "checkov", "--no-cache")
    n_envs = 3 * n
    print(f"  N={n} ({n_envs} chart environments)")
    print(f"    baseline (naive CI loop, exit {base.rc}): {C.fmt_s(base.wall)}  "
          f"[{C.fmt_s(base.wall / n_envs)} per chart environment; CPU {base.cpu:.1f} s]")
    ratios = {}
    for label, r in (("cold", cold), ("warm", warm), ("changed", changed)):
        ratio = r.wall / base.wall
        if label == "changed" and n < CHANGED_TARGET_N:  # the target is one changed chart in 300
            verdict = f"target applies to N={CHANGED_TARGET_N}"
        else:
            ratios[label] = ratio
            verdict = "met" if ratio <= TARGETS[label] else "NOT met"
        print(f"    chartgen verify {label:8s} {C.fmt_s(r.wall):>9s}  ratio {ratio:.3f}x (target <= "
              f"{TARGETS[label]}x: {verdict}); CPU {r.cpu:.1f} s ({r.cpu / base.cpu:.2f}x); exit {r.rc}; "
              f"peak {r.peak_mb:.0f} MiB; {r.tail}")
    print("    warm: " + ("replayed from the cold run's record (chartgen/verify/run_record.py)" if recorded else
                           "no record to replay (a file was younger than 5 s when the cold run ended): keys computed"))
    peak = max(cold.peak_mb, warm.peak_mb, changed.peak_mb)
    print(f"    peak memory (largest process in chartgen's tree): {peak:.0f} MiB (target < {MEMORY_MB}: "
          f"{'met' if peak < MEMORY_MB else 'NOT met'}); baseline's largest process {base.peak_mb:.0f} MiB")
    load = C.loadavg()
    print(f"    baseline nproc-wide (helm lint --strict + template per chart environment, xargs -P {os.cpu_count()}, "
          f"exit {par.rc}): {C.fmt_s(par.wall)}; with one kubernetes-validate (exit {par_kv.rc}): "
          f"{C.fmt_s(par_kv.wall)}  [load average now {load}]")
    if pairs > 1:
        print(f"    cold and nproc-wide: medians of {pairs} interleaved runs each (ms: cold "
              f"{', '.join(f'{1e3 * r.wall:.0f}' for r in colds)}; nproc-wide "
              f"{', '.join(f'{1e3 * r.wall:.0f}' for r in pars)}; pair ratios "
              f"{', '.join(f'{c.wall / p.wall:.2f}' for c, p in zip(colds, pars, strict=True))})")
    for label, r in (("cold", cold), ("warm", warm)):
        target = WIDE_TARGETS[label](n)
        ratio = r.wall / par.wall
        verdict = "no target at this N" if target is None else f"target <= {target}x: " + (
            "met" if ratio <= target else "NOT met")
        if target is not None:
            ratios[f"{label}-wide"] = ratio
        print(f"    chartgen verify {label:8s} / nproc-wide helm loop: {ratio:.3f}x ({verdict}); CPU {r.cpu:.1f} s "
              f"vs {par.cpu:.1f} s ({r.cpu / par.cpu:.2f}x); / with kubernetes-validate: {r.wall / par_kv.wall:.3f}x "
              f"(CPU {r.cpu / par_kv.cpu:.2f}x)")
    if pol is not None and pol_base is not None:
        ratio = pol.wall / pol_base.wall
        ratios["policy-wide"] = ratio
        print(f"    chartgen verify --policy checkov (one checkov process, no cache): {C.fmt_s(pol.wall)}  "
              f"ratio {pol.wall / base.wall:.2f}x the naive loop; exit {pol.rc}; peak {pol.peak_mb:.0f} MiB; "
              f"{pol.tail}")
        print(f"    nproc-wide helm loop + one checkov process over all renderings (exit {pol_base.rc}): "
              f"{C.fmt_s(pol_base.wall)}; chartgen verify --policy checkov / it: {ratio:.3f}x (target <= "
              f"{POLICY_TARGET}x: {'met' if ratio <= POLICY_TARGET else 'NOT met'}); CPU {pol.cpu:.1f} s vs "
              f"{pol_base.cpu:.1f} s ({pol.cpu / pol_base.cpu:.2f}x)  [load average now {C.loadavg()}]")
    sys.stdout.flush()
    return ratios


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,100,300", help="numbers of charts (default 10,100,300)")
    ap.add_argument("--policy", action="store_true", help="also time --policy checkov")
    ap.add_argument("--repeats", type=int, default=1, help="run each size this many times; the verdicts then use "
                    "the median of each ratio (one pair is within a few percent of noise)")
    ap.add_argument("--pairs", type=int, default=None, help="cold runs and nproc-wide loops per repetition, "
                    "interleaved; their medians make the ratio (default: 5 up to 10 charts, else 1)")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be 1 or more")
    if args.pairs is not None and args.pairs < 1:
        ap.error("--pairs must be 1 or more")
    C.require(C.CHARTGEN_CLI, "chartgen CLI")
    C.require(C.KUBERNETES_VALIDATE, "kubernetes-validate")
    C.banner("bench/verify.py", "`chartgen verify` (cold, warm, --changed-since) vs the naive CI loop (helm lint "
             "--strict + helm template per chart environment, then one kubernetes-validate over all renderings)")
    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; helm {C.helm_path()}; "
          f"kube {KUBE}; chartgen --jobs default = {os.cpu_count()} CPUs + 1")
    C.header("ratios: chartgen verify / baseline (whole processes, same run)")
    failed = False
    for n in (int(x) for x in args.sizes.split(",")):
        runs = [bench_size(n, args.policy, args.pairs) for _ in range(args.repeats)]
        ratios = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        if args.repeats > 1:
            print(f"  N={n}: median of {args.repeats} runs: " + "; ".join(
                f"{k} {ratios[k]:.3f}x ({', '.join(f'{r[k]:.3f}' for r in runs)})" for k in sorted(ratios)))
        failed = failed or any(ratios[k] > TARGETS[k] for k in TARGETS if k in ratios)
        failed = failed or any(ratios[f"{k}-wide"] > (WIDE_TARGETS[k](n) or 0) for k in WIDE_TARGETS
                               if f"{k}-wide" in ratios)
        failed = failed or ratios.get("policy-wide", 0) > POLICY_TARGET
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
