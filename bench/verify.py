"""Benchmark: the end-to-end CI job, `chartgen verify` versus the script a team runs today.

chartgen:  `chartgen verify CHART...` (one CLI process: helm lint --strict + helm template per environment, two at a
           time, then chartgen check on each output in process).
baseline:  for each chart and environment, one after the other:
             helm lint --strict CHART -f values-ENV.yaml
             helm template RELEASE CHART -n NAMESPACE -f values-ENV.yaml > out.yaml
             kubernetes-validate --strict out.yaml
           and the same three steps with two chart environments at a time (as fair to chartgen's two workers).

The charts are generated-charts/*/ generated into a temp dir (the repo is not touched); --copies K adds renamed
copies of them to model a repository with more charts. Both sides use --kube-version 1.31.0.

Usage: python bench/verify.py [--copies 1] [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

KUBE = C.KUBE_VERSION


@dataclass
class Outcome:
    wall: float
    ok: bool
    peak_child_mb: float
    detail: str = ""


def make_charts(base: list[Path], copies: int, dest: Path) -> list[Path]:
    """The base charts, plus copies-1 renamed copies of each (spec name changed, chart regenerated)."""
    from chartgen.engine import generate
    from chartgen.spec import load_spec
    from chartgen.writer import write

    charts = []
    for k in range(copies):
        for chart in base:
            if k == 0:
                charts.append(chart)
                continue
            spec_text = (chart / "chartgen.yaml").read_text(encoding="utf-8")
            name = re.search(r"^name:\s*(\S+)", spec_text, re.M).group(1)
            new_name = f"{name}-c{k}"
            target = dest / new_name
            target.mkdir(parents=True)
            (target / "chartgen.yaml").write_text(re.sub(r"^name:\s*\S+", f"name: {new_name}", spec_text, count=1,
                                                         flags=re.M), encoding="utf-8")
            write(generate(load_spec(target)), target)
            charts.append(target)
    return charts


def run_chartgen(charts: list[Path], no_check: bool = False) -> Outcome:
    cmd = [str(C.CHARTGEN_CLI), "verify", *map(str, charts), "--kube-version", KUBE]
    if no_check:
        cmd.append("--no-check")
    proc, wall, rss = C.run_child(cmd)
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    if proc.returncode not in (0, 1):
        raise SystemExit(f"chartgen verify crashed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}")
    return Outcome(wall, proc.returncode == 0, rss, last)


def baseline_env(helm: str, env_vars: dict[str, str], chart: Path, release: str, env: str, namespace: str,
                 out_dir: Path) -> tuple[bool, float, str]:
    values = chart / f"values-{env}.yaml"
    peak = 0.0
    lint, _, rss = C.run_child([helm, "lint", "--strict", str(chart), "-f", str(values), "--kube-version", KUBE],
                               env=env_vars)
    peak = max(peak, rss)
    tpl, _, rss = C.run_child([helm, "template", release, str(chart), "-n", namespace, "-f", str(values),
                               "--kube-version", KUBE], env=env_vars)
    peak = max(peak, rss)
    if tpl.returncode != 0:
        return False, peak, f"{chart.name}[{env}]: helm template failed"
    out = out_dir / f"{chart.name}-{env}.yaml"
    out.write_text(tpl.stdout, encoding="utf-8")
    kv, _, rss = C.run_child([str(C.KUBERNETES_VALIDATE), "--strict", "-k", KUBE, str(out)])
    peak = max(peak, rss)
    ok = lint.returncode == 0 and kv.returncode == 0
    return ok, peak, "" if ok else f"{chart.name}[{env}]: lint rc {lint.returncode}, kubernetes-validate rc {kv.returncode}"


def run_baseline(charts: list[Path], helm: str, out_dir: Path, jobs: int = 1) -> Outcome:
    from chartgen.verify import ChartTarget

    env_vars = C.helm_env()
    work = []
    for chart in charts:
        target = ChartTarget.load(chart)  # only to list environments/namespaces (not timed as part of the script)
        work += [(chart, target.name, e.name, e.namespace) for e in target.environments]
    out_dir.mkdir(parents=True, exist_ok=True)
    with C.timed() as t:
        if jobs == 1:
            results = [baseline_env(helm, env_vars, *w, out_dir) for w in work]
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                results = list(pool.map(lambda w: baseline_env(helm, env_vars, *w, out_dir), work))
    shutil.rmtree(out_dir, ignore_errors=True)
    failures = [d for ok, _, d in results if not ok]
    return Outcome(t.wall, not failures, max(p for _, p, _ in results), "; ".join(failures))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", default="1", help="chart-set sizes, as copies of generated-charts/* (default 1; e.g. 1,3)")
    ap.add_argument("--repeats", type=int, default=5, help="runs per scenario; medians are reported (default 5)")
    ap.add_argument("--quick", action="store_true", help="the first 2 charts only, 1 run")
    args = ap.parse_args(argv)
    copies = [1] if args.quick else [int(c) for c in args.copies.split(",")]
    repeats = 1 if args.quick else args.repeats

    C.banner("bench/verify.py", "CI job: `chartgen verify` vs helm lint --strict + helm template + "
             "kubernetes-validate --strict per chart environment")
    C.require(C.KUBERNETES_VALIDATE, "kubernetes-validate")
    helm = C.helm_path()
    rows, notes = [], []
    with C.tempdir("verify") as tmp:
        base = C.materialize_generated_charts(tmp / "charts")
        if args.quick:
            base = base[:2]
        from chartgen.verify import ChartTarget

        print(f"# helm: {helm}; charts: " + ", ".join(
            f"{c.name} ({', '.join(e.name for e in ChartTarget.load(c).environments)})" for c in base)
              + f"; kube {KUBE}; median of {repeats} runs per scenario, the four variants interleaved", flush=True)
        # warm-up: page cache, helm, kubernetes-validate schemas
        run_chartgen(base)
        run_baseline(base[:1], helm, tmp / "warm")

        for k in copies:
            charts = make_charts(base, k, tmp / f"copies-{k}")
            n_envs = sum(len(ChartTarget.load(c).environments) for c in charts)
            print(f"  running {len(charts)} chart(s), {n_envs} chart environments ...", flush=True)
            runs: dict[str, list[Outcome]] = {"cg": [], "cg_nocheck": [], "base1": [], "base2": []}
            for r in range(repeats):  # interleaved so background load hits every variant alike
                runs["cg"].append(run_chartgen(charts))
                runs["cg_nocheck"].append(run_chartgen(charts, no_check=True))
                runs["base1"].append(run_baseline(charts, helm, tmp / f"out-{k}-{r}", jobs=1))
                runs["base2"].append(run_baseline(charts, helm, tmp / f"out2-{k}-{r}", jobs=2))
            med = {key: statistics.median(o.wall for o in v) for key, v in runs.items()}
            ok = {key: all(o.ok for o in v) for key, v in runs.items()}
            rss = {key: max(o.peak_child_mb for o in v) for key, v in runs.items()}
            rows.append((len(charts), n_envs, med, ok, rss))
            if not ok["cg"]:
                notes.append(f"chartgen verify reported failures ({len(charts)} charts): {runs['cg'][-1].detail}")
            if not ok["base1"]:
                notes.append(f"baseline reported failures ({len(charts)} charts): {runs['base1'][-1].detail}")

    C.header("wall time of the whole CI step (lower is better); ratio = baseline / chartgen (>1: chartgen faster)")
    table = []
    for n_charts, n_envs, med, ok, _ in rows:
        table.append([f"{n_charts} chart(s) / {n_envs} envs",
                      f"{C.fmt_s(med['cg'])}{'' if ok['cg'] else ' (FAILED)'}",
                      f"{C.fmt_s(med['base1'])}{'' if ok['base1'] else ' (FAILED)'}",
                      f"{med['base1'] / med['cg']:.2f}x",
                      f"{C.fmt_s(med['base2'])}", f"{med['base2'] / med['cg']:.2f}x",
                      f"{C.fmt_s(med['cg_nocheck'])}"])
    C.table(table, ["scenario", "chartgen verify", "baseline (sequential)", "ratio",
                    "baseline (2 at a time)", "ratio", "chartgen verify --no-check"])
    for n_charts, n_envs, med, *_ in rows:
        check_cost = med["cg"] - med["cg_nocheck"]
        cost = (f"adds {C.fmt_s(check_cost)} ({C.fmt_s(check_cost / n_envs)} per chart environment)" if check_cost > 0
                else f"adds less than the run-to-run noise (--no-check was {C.fmt_s(-check_cost)} slower)")
        print(f"  {n_charts} chart(s): the check layer (chartgen check on every environment) {cost}; "
              f"baseline per chart environment {C.fmt_s(med['base1'] / n_envs)} sequential, "
              f"chartgen verify {C.fmt_s(med['cg'] / n_envs)}")
    print("  chartgen verify runs two helm calls at a time (2 workers); the sequential baseline is the usual shell "
          "loop, the 2-at-a-time column gives it the same parallelism.")
    print("  What each side checks: both run helm lint --strict and helm template per environment; the baseline then "
          "validates built-in kinds against the strict JSON schema (Istio/CRD kinds skipped), chartgen check runs "
          "the same schemas plus Istio schemas, API-server, cross-object and posture rules.")
    for note in notes:
        print(f"  NOTE: {note}")

    C.header("peak memory per tool (each process tree, via wait4)")
    for n_charts, _, _, _, rss in rows:
        print(f"  {n_charts} chart(s): chartgen verify (largest process in its tree) {rss['cg']:.1f} MiB; baseline largest single "
              f"process (helm or kubernetes-validate) {rss['base1']:.1f} MiB")
    C.print_memory()
    C.print_startup([("helm version --short", [helm, "version", "--short"]),
                     ("kubernetes-validate --help", [str(C.KUBERNETES_VALIDATE), "--help"])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
