"""Benchmark: scaffolding N charts with chartgen versus a loop of `helm create`.

chartgen is driven through its Python API in one process, on the same path as `chartgen new`:
  answers -> scaffold.render_spec (cookiecutter) -> parse_spec_text -> generate -> write_new      ("new" path)
and, from an existing chartgen.yaml, the `chartgen generate` path:
  load_spec -> generate -> write                                                                    ("generate" path)
The baseline is what people use today: `helm create NAME` as a subprocess, once per chart.

chartgen's chart is complete (Deployment, Service, ..., values-{dev,staging,prod}.yaml, values.schema.json, README);
helm create writes its starter (no environments, no schema, no README).

Usage: python bench/generate.py [--sizes 10,100,1000] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402

LINEAR_FACTOR = 1.5  # per-chart time at the largest N within this factor of the smallest N counts as linear
ENGINE_REUSED_MAX = 100  # the Engine-reused aside runs only up to this N (keeps the default run near 3 minutes)
GENERATE_SAMPLE = 1000  # above this N the generate path runs on every k-th chart only (caps the run time)


def answers(i: int) -> dict[str, str]:
    """What `chartgen new svc-N --image ... --no-input` resolves to (clusterip, port 80 -> 8080, no Istio)."""
    return {"name": f"svc-{i:05d}", "type": "clusterip", "image": f"ghcr.io/acme/svc-{i:05d}:1.2.3", "port": "80",
            "target_port": "8080", "external_name": "db.example.com", "istio": "no"}


def _num(value: float, spec: str) -> str:
    return "-" if math.isnan(value) else format(value, spec)


def chartgen_new(out: Path, i: int) -> str:
    """The body of `chartgen new` (cli.new) after the answers are known."""
    from chartgen import scaffold
    from chartgen.engine import generate
    from chartgen.spec import parse_spec_text
    from chartgen.writer import write_new

    a = answers(i)
    target = out / a["name"]
    text = scaffold.render_spec(a)
    spec = parse_spec_text(text, str(target / "chartgen.yaml"))
    tree = generate(spec)
    tree.add("chartgen.yaml", text)
    write_new(tree, target)
    return text


def chartgen_generate(chart: Path) -> None:
    """The body of `chartgen generate CHART` (cli.generate_cmd, without --check)."""
    from chartgen.engine import generate
    from chartgen.spec import load_spec
    from chartgen.writer import write

    write(generate(load_spec(chart)), chart)


def count_files(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def bench_size(n: int, helm: str, helm_env: dict[str, str], engine_reused: bool, gen_stride: int) -> dict[str, float]:
    """Time the four ways of producing n charts, interleaved chart by chart.

    Interleaving (new #i, generate #i, helm create #i, Engine-reused #i, then #i+1 ...) exposes every method to the
    same background load, so the ratios stay fair on a busy machine. new and helm create write all n charts; the
    generate path runs on every gen_stride-th chart and its total is scaled to n (res["generate_n"] says how many).
    """
    from chartgen.engine import Engine
    from chartgen.spec import load_spec
    from chartgen.writer import write

    res = {"new": 0.0, "generate": 0.0, "helm": 0.0, "engine_reused": 0.0}
    gen_done = 0
    clock = time.perf_counter
    with C.tempdir(f"gen{n}") as tmp:
        dirs = {k: tmp / k for k in ("new", "gen", "helm", "engine")}
        for d in dirs.values():
            d.mkdir()
        t0 = clock()
        engine = Engine()  # built once: its cost is part of the Engine-reused total
        res["engine_reused"] += clock() - t0
        for i in range(n):
            name = f"svc-{i:05d}"
            # 1. chartgen new path, in process (cookiecutter -> parse -> generate -> write_new)
            t0 = clock()
            text = chartgen_new(dirs["new"], i)
            res["new"] += clock() - t0

            # 2. chartgen generate path: a folder holding only that chartgen.yaml (setup not timed)
            if i % gen_stride == 0:
                chart = dirs["gen"] / name
                chart.mkdir()
                (chart / "chartgen.yaml").write_text(text, encoding="utf-8")
                t0 = clock()
                chartgen_generate(chart)
                res["generate"] += clock() - t0
                gen_done += 1

            # 3. helm create (a subprocess per chart, as people run it)
            t0 = clock()
            subprocess.run([helm, "create", str(dirs["helm"] / name)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=helm_env)
            res["helm"] += clock() - t0

            # 4. aside: the generate path with ONE explicitly built Engine (templates compiled once). Since commit
            #    0de9d21 generate() keeps one Engine per library itself, so this should match column 2; a gap means
            #    per-call Engine/template work has come back.
            if not engine_reused:
                continue
            chart = dirs["engine"] / name
            chart.mkdir()
            (chart / "chartgen.yaml").write_text(text, encoding="utf-8")
            t0 = clock()
            write(engine.render(load_spec(chart)), chart)
            res["engine_reused"] += clock() - t0

        if not engine_reused:
            res["engine_reused"] = float("nan")
        res["generate"] *= n / gen_done  # the time n charts take at the measured per-chart cost
        res["generate_n"] = gen_done
        res["cg_files"], res["cg_bytes"] = count_files(dirs["new"] / "svc-00000")
        res["helm_files"], res["helm_bytes"] = count_files(dirs["helm"] / "svc-00000")
        res["rss_self"] = C.peak_rss_self_mb()
    return res


def cli_per_invocation(helm: str, helm_env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall time of one `chartgen new` CLI process vs one `helm create` process (what a user types)."""
    cg, hc = [], []
    with C.tempdir("cli") as tmp:
        (tmp / "hc").mkdir()
        for i in range(runs):
            t0 = time.perf_counter()
            subprocess.run([str(C.CHARTGEN_CLI), "new", f"cli-{i}", "--image", "ghcr.io/acme/app:1.2.3", "--port",
                            "80", "--target-port", "8080", "--no-input", "-o", str(tmp / "cg")],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            cg.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run([helm, "create", str(tmp / "hc" / f"cli-{i}")], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=helm_env)
            hc.append(time.perf_counter() - t0)
    return statistics.median(cg), statistics.median(hc)


def traced_memory(charts: int) -> tuple[float, float]:
    """tracemalloc over `charts` extra `new` calls: (peak traced MiB, retained MiB after the run)."""
    with C.tempdir("mem") as tmp:
        chartgen_new(tmp, 99999)  # warm imports/caches outside the trace
        gc.collect()
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        for i in range(charts):
            chartgen_new(tmp, i)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return (peak - base) / 2**20, (current - base) / 2**20


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", help="comma-separated chart counts (default 10,100,1000)")
    ap.add_argument("--quick", action="store_true", help="small run: sizes 5,20")
    ap.add_argument("--generate-sample", type=int, default=GENERATE_SAMPLE,
                    help=f"the generate path runs on at most about this many charts per N, spread evenly "
                         f"(default {GENERATE_SAMPLE}; a large value measures all)")
    ap.add_argument("--engine-reused-max", type=int, default=ENGINE_REUSED_MAX,
                    help=f"largest N for the Engine-reused aside (default {ENGINE_REUSED_MAX})")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([5, 20] if args.quick else [10, 100, 1000])

    C.banner("bench/generate.py", "scaffold N charts: chartgen (Python API, one process) vs a loop of `helm create`")
    helm = C.helm_path()
    helm_env = C.helm_env()
    hv = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
    print(f"# helm: {helm} ({hv}); sizes: {', '.join(map(str, sizes))}", flush=True)

    # warm-up (imports, jinja, cookiecutter, helm binary in page cache) outside all timings
    with C.tempdir("warm") as tmp:
        chartgen_new(tmp, 0)
        subprocess.run([helm, "create", str(tmp / "h")], check=True, capture_output=True, env=helm_env)

    results: dict[int, dict[str, float]] = {}
    for n in sizes:
        print(f"  running N={n} ...", flush=True)
        results[n] = bench_size(n, helm, helm_env, n <= args.engine_reused_max,
                                max(1, -(-n // args.generate_sample)))

    r0 = results[sizes[0]]
    C.header("what is written per chart")
    print(f"  chartgen new: {r0['cg_files']:.0f} files, {r0['cg_bytes'] / 1024:.1f} KiB (Chart.yaml, templates, "
          f"values.yaml + values-dev/staging/prod.yaml, values.schema.json, README.md, chartgen.yaml, lock)")
    print(f"  helm create : {r0['helm_files']:.0f} files, {r0['helm_bytes'] / 1024:.1f} KiB (starter chart: one "
          f"values.yaml, no environments, no schema, no README)")

    C.header("charts/second (higher is better); ratio = chartgen rate / helm create rate (>1: chartgen faster)")
    rows = []
    for n in sizes:
        r = results[n]
        rate = {k: n / r[k] for k in ("new", "generate", "helm", "engine_reused")}
        rows.append([n, f"{rate['new']:.1f}", f"{rate['generate']:.1f}", f"{rate['helm']:.1f}",
                     f"{rate['new'] / rate['helm']:.2f}x", f"{rate['generate'] / rate['helm']:.2f}x",
                     _num(rate['engine_reused'], ".1f")])
    C.table(rows, ["N", "chartgen new/s", "chartgen generate/s", "helm create/s", "new vs helm",
                   "generate vs helm", "(generate, 1 Engine reused)/s"])

    C.header("per-chart time (ms) and linearity")
    rows = []
    for n in sizes:
        r = results[n]
        rows.append([n] + [_num(r[k] / n * 1e3, ".1f") for k in ("new", "generate", "helm", "engine_reused")])
    C.table(rows, ["N", "chartgen new", "chartgen generate", "helm create", "generate, Engine reused"])
    print(f"  ('Engine reused': one Engine built by hand for all charts, up to N={args.engine_reused_max}; it should "
          "match 'chartgen generate', which caches its Engine)")
    for n in sizes:
        if results[n]["generate_n"] < n:
            print(f"  N={n}: the generate path was timed on {results[n]['generate_n']:.0f} of the {n} charts (1 in "
                  f"{-(-n // args.generate_sample)}, interleaved with the rest); its rate is per chart timed")
    for key, label in (("new", "chartgen new"), ("generate", "chartgen generate"), ("helm", "helm create"),
                       ("engine_reused", "generate, Engine reused")):
        measured = [n for n in sizes if not math.isnan(results[n][key])]
        if len(measured) >= 2:
            lo, hi = measured[0], measured[-1]
            f = (results[hi][key] / hi) / (results[lo][key] / lo)
            verdict = "linear" if f <= LINEAR_FACTOR else "NOT linear"
            print(f"  {label}: per-chart time at N={hi} / at N={lo} = {f:.2f}  -> {verdict} "
                  f"(threshold {LINEAR_FACTOR})")

    C.header("target: chartgen generates a complete chart in less time than `helm create` writes its starter")
    for n in sizes:
        r = results[n]
        for key, label in (("new", "new path"), ("generate", "generate path")):
            cg, hc = r[key] / n, r["helm"] / n
            print(f"  N={n:<5} {label:13}: chartgen {cg * 1e3:6.1f} ms/chart vs helm create {hc * 1e3:6.1f} ms/chart "
                  f"-> {'PASS' if cg < hc else 'FAIL'} (chartgen takes {cg / hc:.2f}x helm's time)")
    runs = 7
    cg_cli, hc_cli = cli_per_invocation(helm, helm_env, runs)
    print(f"  one CLI invocation each (median of {runs}; includes Python start-up): `chartgen new` {C.fmt_s(cg_cli)} "
          f"vs `helm create` {C.fmt_s(hc_cli)} -> {'PASS' if cg_cli < hc_cli else 'FAIL'} "
          f"({cg_cli / hc_cli:.2f}x helm's time)")

    peak, retained = traced_memory(20)
    C.print_memory(f"tracemalloc over 20 more `new` calls: peak {peak:.1f} MiB of Python allocations, "
                   f"{retained:.2f} MiB still held afterwards (growth per chart ~{retained / 20 * 1024:.0f} KiB)")
    rows = [[n, f"{results[n]['rss_self']:.1f}"] for n in sizes]
    print("  process peak RSS after each size (monotonic; flat = no growth with N):")
    C.table(rows, ["N", "peak RSS MiB"])
    C.print_startup([("helm version --short", [helm, "version", "--short"])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
