"""Benchmark: `chartgen check` versus `kubernetes-validate --strict` on the same rendered manifests.

Corpus: the charts under generated-charts/ (generated into a temp dir, then `helm template` for every environment),
the clean manifests of bench/check_corpus/clean/, and with `--corpus PATH` the real-world renders of that folder
(e.g. ../shared/realworld: bookinfo, bitnami, helm create, charts/; see bench/corpus_sets.py). To reach 10 / 1,000 / 10,000 documents the set is replicated; every copy renames each metadata.name of its
unit (and every reference to it in that unit) with a suffix, so copies are distinct objects (no duplicate-object
findings) and references inside a copy stay consistent. One file per unit copy, as a CI job rendering many charts
would produce.

Both tools get the same files, in one process each, like a CI step: `chartgen check DIR` and
`kubernetes-validate --strict -k 1.31.0 FILE...`.

Usage: python bench/check.py [--corpus ../shared/realworld] [--sizes 10,1000,10000] [--quick] [--kv-full]
                             [--istio-crds PATH] [--crd-row-only]
                             [--kv-sample-docs 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C  # noqa: E402
import yaml  # noqa: E402

KV_VERSION = "1.31.0"
CG_KUBE = "1.31"
_DOC_SPLIT = re.compile(r"^---[ \t]*(?:#.*)?$", re.M)


# -- corpus ------------------------------------------------------------------------------------------------------


@dataclass
class Unit:
    """A set of documents that belong together (one chart environment, or one real-world file/set)."""

    key: str
    docs: list[str]  # YAML text of each non-empty document
    names: list[str]  # metadata.name values to rename in copies
    suffix: str = ""  # base rename suffix (separates environments of one chart, which share names)
    app: bool = False  # part of the typical application mix (generated charts, clean fixtures, helm create)

    def copy(self, k: int) -> list[str]:
        suffix = self.suffix + (f"-c{k}" if k else "")
        if not suffix or not self.names:
            return list(self.docs)
        # a name as a whole token: not inside a longer name, not after / or . (image paths, annotation keys)
        alt = "|".join(re.escape(n) for n in sorted(set(self.names), key=len, reverse=True))
        pattern = re.compile(rf"(?<![A-Za-z0-9_./-])({alt})(?![A-Za-z0-9_-])")
        return [pattern.sub(lambda m: m.group(1) + suffix, d) for d in self.docs]


def split_docs(text: str) -> tuple[list[str], list[str]]:
    docs, names = [], []
    for chunk in _DOC_SPLIT.split(text):
        obj = yaml.load(chunk, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(obj, dict):
            continue
        docs.append(chunk.strip("\n") + "\n")
        name = (obj.get("metadata") or {}).get("name")
        if isinstance(name, str) and name:
            names.append(name)
    return docs, names


def base_units(tmp: Path, realworld: Path | None = None) -> list[Unit]:
    """generated-charts/* rendered per environment, bench/check_corpus/clean/, then the real-world corpus if given."""
    from chartgen.helm.runner import find_helm
    from chartgen.verify.chart import ChartTarget

    helm = find_helm()
    units = []
    for chart in C.materialize_generated_charts(tmp / "charts"):
        target = ChartTarget.load(chart)
        for n, env in enumerate(target.environments):
            res = target.template(helm, env.name)
            if not res.ok:
                raise SystemExit(f"helm template {chart} ({env.name}) failed: {res.message}")
            docs, names = split_docs(res.stdout)
            units.append(Unit(f"{chart.name}-{env.name}", docs, names, "" if n == 0 else f"-{env.name}", app=True))
    groups = [(f"clean-{p.stem}", [p]) for p in sorted(C.CLEAN_CORPUS.glob("*.yaml"))]
    if not groups:
        raise SystemExit(f"no clean corpus files under {C.CLEAN_CORPUS}")
    if realworld is not None:
        import corpus_sets

        try:
            sets = {**corpus_sets.sets(realworld), **corpus_sets.chart_sets(realworld)}
        except corpus_sets.CorpusMissing as err:
            raise SystemExit(f"bench/check.py: {err}") from None
        groups += [(name.replace("/", "-"), paths) for name, paths in sets.items()]
    for key, files in groups:
        docs, names = [], []
        for f in files:
            d, n = split_docs(f.read_text(encoding="utf-8"))
            docs += d
            names += n
        app = key.startswith(("clean-", "helm-create-")) and not any("CustomResourceDefinition" in d for d in docs)
        units.append(Unit(key, docs, names, app=app))
    return units


def write_corpus(units: list[Unit], count: int, dest: Path) -> list[Path]:
    """Files in dest holding exactly `count` documents (the last unit copy may be cut short)."""
    dest.mkdir(parents=True)
    files, left, k = [], count, 0
    while left > 0:
        for unit in units:
            if left <= 0:
                break
            docs = unit.copy(k)[:left]
            left -= len(docs)
            path = dest / f"c{k:04d}-{unit.key}.yaml"
            path.write_text("---\n".join(docs), encoding="utf-8")
            files.append(path)
        k += 1
    return files


# -- running the tools ----------------------------------------------------------------------------------------------


@dataclass
class Run:
    wall: float
    rss_mb: float
    docs: int
    out: dict | None = None
    kv: dict | None = None


def run_chartgen(corpus: Path) -> Run:
    cmd = [str(C.CHARTGEN_CLI), "check", str(corpus), "--format", "json", "--kube-version", CG_KUBE]
    proc, wall, rss = C.run_child(cmd)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"chartgen check failed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}")
    data = json.loads(proc.stdout)
    return Run(wall, rss, data["summary"]["documents"], out=data)


def kv_counts(text: str) -> dict[str, int]:
    out = {"passed": 0, "no_schema": 0, "failed": 0, "other": 0}
    for line in text.splitlines():
        if " passed for resource " in line:
            out["passed"] += 1
        elif "Couldn't find schema" in line:
            out["no_schema"] += 1
        elif line.startswith("ERROR") or " failed " in line:
            out["failed"] += 1
        elif line.strip():
            out["other"] += 1
    return out


def run_kv(files: list[Path]) -> Run:
    cmd = [str(C.KUBERNETES_VALIDATE), "--strict", "-k", KV_VERSION, *map(str, files)]
    proc, wall, rss = C.run_child(cmd)
    counts = kv_counts(proc.stdout + "\n" + proc.stderr)
    return Run(wall, rss, sum(counts.values()) - counts["other"], kv=counts)


def sample_files(files: list[Path], docs_wanted: int) -> tuple[list[Path], int]:
    """The first files of the corpus holding at least docs_wanted documents (whole files)."""
    picked, n = [], 0
    for f in files:
        if n >= docs_wanted:
            break
        picked.append(f)
        n += len([c for c in _DOC_SPLIT.split(f.read_text(encoding="utf-8")) if c.strip()])
    return picked, n


def inprocess_one_core(corpus: Path, runs: int) -> tuple[float, float, float, int]:
    """load_paths + runner.check in this process, pinned to CPU 0: (median total, median load, median check, findings)."""
    from chartgen.check.command import make_options
    from chartgen.check.loader import load_paths
    from chartgen.check.runner import check

    opts = make_options(kube_version=CG_KUBE)
    check(load_paths([str(corpus)]), opts)  # warm: imports, schema validators compiled once per process
    totals, loads, checks, nfind = [], [], [], 0
    with C.one_core(0):
        for _ in range(runs):
            t0 = time.perf_counter()
            docs = load_paths([str(corpus)])
            t1 = time.perf_counter()
            nfind = len(check(docs, opts).findings)
            t2 = time.perf_counter()
            totals.append(t2 - t0)
            loads.append(t1 - t0)
            checks.append(t2 - t1)
    return statistics.median(totals), statistics.median(loads), statistics.median(checks), nfind


_COLD = r"""
import json, sys, time
t0 = time.perf_counter()
from chartgen.check.command import make_options
from chartgen.check.loader import load_paths
from chartgen.check.runner import check, load_rule_modules
load_rule_modules()
t1 = time.perf_counter()
docs = load_paths([sys.argv[1]])
t2 = time.perf_counter()
n = len(check(docs, make_options(kube_version=sys.argv[2])).findings)
t3 = time.perf_counter()
check(docs, make_options(kube_version=sys.argv[2]))
t4 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "load": t2 - t1, "check_cold": t3 - t2, "check_warm": t4 - t3}))
"""


def cold_breakdown(corpus: Path, runs: int) -> dict[str, float]:
    """Where a fresh process's time goes, pinned to CPU 0 (median per phase): imports, load, first and second check."""
    phases: dict[str, list[float]] = {}
    with C.one_core(0):
        for _ in range(runs):
            proc, wall, _ = C.run_child([sys.executable, "-c", _COLD, str(corpus), CG_KUBE], cwd=str(C.REPO))
            if proc.returncode != 0:
                raise SystemExit(f"cold breakdown failed: {proc.stderr.strip()[:2000]}")
            data = json.loads(proc.stdout)
            data["process"] = wall
            for k, v in data.items():
                phases.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in phases.items()}


def cli_one_core(corpus: Path, runs: int) -> tuple[float, float]:
    """`chartgen check` CLI pinned to CPU 0 (children inherit the affinity): (median wall, peak RSS MiB)."""
    walls, rss = [], 0.0
    with C.one_core(0):
        for _ in range(runs):
            r = run_chartgen(corpus)
            walls.append(r.wall)
            rss = max(rss, r.rss_mb)
    return statistics.median(walls), rss


# -- scale: 10,000 / 50,000 documents on one core, and one document vs kubernetes-validate (issue 15) ---------------

SCALE_RATE = 2000  # documents per second, one core, whole process
SCALE_RSS_MB = 400
ONE_DOC_RATIO = 1.2  # chartgen check / kubernetes-validate, one document, whole process vs whole process


def write_plain_corpus(units: list[Unit], count: int, dest: Path) -> list[Path]:
    """Like write_corpus, but every copy keeps the original names: plain repeated copies (duplicate objects, every
    Service selecting every copy's pods): the case that was quadratic."""
    dest.mkdir(parents=True)
    files, left, k = [], count, 0
    while left > 0:
        for unit in units:
            if left <= 0:
                break
            docs = list(unit.docs)[:left]
            left -= len(docs)
            path = dest / f"p{k:05d}-{unit.key}.yaml"
            path.write_text("---\n".join(docs), encoding="utf-8")
            files.append(path)
        k += 1
    return files


def app_mix(units: list[Unit]) -> list[Unit]:
    """The typical application mix: generated-charts renders, helm create, our clean fixtures (no CRDs)."""
    return [u for u in units if u.app]


def _size_of(units: list[Unit]) -> str:
    docs = [d for u in units for d in u.docs]
    return f"{len(docs)} documents per copy, {sum(map(len, docs)) / max(1, len(docs)) / 1024:.1f} KiB per document"


def run_chartgen_bounded(corpus: Path, timeout: float) -> Run | None:
    """run_chartgen, stopped after `timeout` seconds (None then): a run 10x too slow tells enough."""
    cmd = [str(C.CHARTGEN_CLI), "check", str(corpus), "--format", "json", "--kube-version", CG_KUBE]
    with tempfile.TemporaryFile() as out, open(os.devnull, "rb") as devnull:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=devnull, stdout=out, stderr=subprocess.DEVNULL)
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            if time.perf_counter() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                return None
            time.sleep(0.02)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            raise SystemExit(f"chartgen check failed on {corpus}")
        out.seek(0)
        data = json.loads(out.read())
    # ru_maxrss of a child counts the memory of this (large) bench process it was forked from before exec; the
    # child's own high-water mark after exec is VmHWM, sampled until it exits (ru_maxrss where /proc is missing)
    rss_mb = peak_kb / 1024 if peak_kb else usage.ru_maxrss / 1024
    return Run(wall, rss_mb, data["summary"]["documents"], out=data)


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def scale_section(units: list[Unit], tmp: Path, sizes: list[int], one_doc_runs: int, timeout: float) -> None:
    C.header(f"scale on ONE core (pinned to CPU 0): targets >= {SCALE_RATE:,} documents/s and < {SCALE_RSS_MB} MB")
    mixes = [("all units (CRD-heavy)", units), ("application mix", app_mix(units))]
    for label, mix in mixes:
        print(f"  {label}: {_size_of(mix)}")
    rows = []
    for label, mix in mixes:
        for n in sizes:
            for mode, writer in (("renamed copies", write_corpus), ("plain repeated copies", write_plain_corpus)):
                corpus = tmp / f"scale-{label.split()[0]}-{mode.split()[0]}-{n}"
                writer(mix, n, corpus)
                with C.one_core(0):
                    r = run_chartgen_bounded(corpus, timeout)
                shutil.rmtree(corpus, ignore_errors=True)  # 50,000 documents are ~0.5 GB of YAML
                if r is None:
                    rows.append([label, n, mode, "-", f"> {timeout:.0f} s", f"< {n / timeout:,.0f}", "-", "-",
                                 "FAIL (stopped)"])
                    print(f"  {label}, {n} {mode}: stopped after {timeout:.0f} s", flush=True)
                    continue
                rate = r.docs / r.wall
                rows.append([label, n, mode, r.docs, C.fmt_s(r.wall), f"{rate:,.0f}", f"{rate / SCALE_RATE:.2f}",
                             f"{r.rss_mb:.0f}", "PASS" if rate >= SCALE_RATE and r.rss_mb < SCALE_RSS_MB else "FAIL"])
                print(f"  {label}, {n} {mode}: {rate:,.0f} docs/s, {r.rss_mb:.0f} MB", flush=True)
    C.table(rows, ["mix", "docs", "corpus", "docs read", "wall", "docs/s", f"rate / {SCALE_RATE}", "peak MB",
                   "target"])

    # one document: the first Deployment of the corpus, whole CLI process vs whole CLI process
    one = tmp / "one-doc.yaml"
    one.write_text(next(d for u in units for d in u.docs if "kind: Deployment" in d), encoding="utf-8")
    # As the environment runs them, and with a bytecode cache for both (this sandbox sets PYTHONDONTWRITEBYTECODE=1,
    # so the editable chartgen install recompiles its modules in every process while pip precompiled
    # kubernetes-validate's; a normal install has .pyc files for both).
    cache_env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
    for label, env in (("with a bytecode cache (as a pip install runs both: the target's verdict)", cache_env),
                       ("this sandbox's editable install, chartgen's modules compiled in every process", None)):
        cg_cmd = [str(C.CHARTGEN_CLI), "check", str(one), "--format", "json", "--kube-version", CG_KUBE]
        kv_cmd = [str(C.KUBERNETES_VALIDATE), "--strict", "-k", KV_VERSION, str(one)]
        C.run_child(cg_cmd, env=env)
        C.run_child(kv_cmd, env=env)  # warm-up (and fills the cache)
        cg_walls, kv_walls = [], []
        with C.one_core(0):
            for _ in range(one_doc_runs):  # interleaved, so background load hits both alike
                cg_walls.append(C.run_child(cg_cmd, env=env)[1])
                kv_walls.append(C.run_child(kv_cmd, env=env)[1])
        cg, kv = statistics.median(cg_walls), statistics.median(kv_walls)
        print(f"  1 document, whole process, median of {one_doc_runs} (one core), {label}: chartgen check "
              f"{C.fmt_s(cg)}, kubernetes-validate --strict {C.fmt_s(kv)}: ratio {cg / kv:.2f} "
              + (f"(target <= {ONE_DOC_RATIO}) -> {'PASS' if cg / kv <= ONE_DOC_RATIO else 'FAIL'}" if env is cache_env
                 else "(for reference)"))


# -- one Istio document with and without Istio's CRDs (issue 23: compiled CRD schemas cached by content) --------------

CRD_DOC_RATIO = 1.2  # chartgen check --crds <Istio CRDs> / chartgen check, one small document, whole process
ISTIO_CRDS = "schemas/istio/crd-all.gen-1.30.3.yaml"
ONE_ISTIO_DOC = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web]
  http:
  - match: [{uri: {prefix: /api}}]
    timeout: 5s
    retries: {attempts: 2, perTryTimeout: 2s}
    route: [{destination: {host: web, port: {number: 80}}}]
"""


def crd_doc_section(tmp: Path, crds: Path | None, runs: int) -> None:
    C.header("one small Istio document, whole process: `check --crds <Istio CRDs>` vs `check` "
             f"(issue 23 target <= {CRD_DOC_RATIO})")
    if crds is None or not crds.is_file():
        print(f"  NOT MEASURED: the Istio CRD file is missing ({crds}); pass --istio-crds PATH")
        return
    one = tmp / "one-istio-doc.yaml"
    one.write_text(ONE_ISTIO_DOC, encoding="utf-8")
    cache_env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp / "pycache"), "PYTHONDONTWRITEBYTECODE": ""}
    base = [str(C.CHARTGEN_CLI), "check", str(one), "--format", "json", "--kube-version", CG_KUBE]
    with_crds = [*base, "--crds", str(crds)]
    C.run_child(base, env=cache_env)
    C.run_child(with_crds, env=cache_env)  # warm-up: bytecode, the CRD file's index, the compiled schema
    plain, crd = [], []
    with C.one_core(0):
        for _ in range(runs):  # interleaved, so background load hits both alike
            plain.append(C.run_child(base, env=cache_env)[1])
            crd.append(C.run_child(with_crds, env=cache_env)[1])
    p, c = statistics.median(plain), statistics.median(crd)
    print(f"  median of {runs} (one core, bytecode cache): chartgen check {C.fmt_s(p)}, with --crds {crds.name} "
          f"{C.fmt_s(c)}: ratio {c / p:.2f} (target <= {CRD_DOC_RATIO}) -> "
          f"{'PASS' if c / p <= CRD_DOC_RATIO else 'FAIL'}")


# -- main -----------------------------------------------------------------------------------------------------------


def rules_summary() -> tuple[int, dict[str, int]]:
    from chartgen.check.registry import all_rules
    from chartgen.check.runner import load_rule_modules

    load_rule_modules()
    layers: dict[str, int] = {}
    for r in all_rules():
        layers[r.layer] = layers.get(r.layer, 0) + 1
    return sum(layers.values()), layers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, help="real-world corpus folder to add (e.g. ../shared/realworld)")
    ap.add_argument("--istio-crds", type=Path,
                    help=f"Istio's CRD file for the --crds row (default: <corpus>/../{ISTIO_CRDS})")
    ap.add_argument("--crd-row-only", action="store_true", help="measure only the one-document --crds row")
    ap.add_argument("--sizes", help="comma-separated document counts (default 10,1000,10000)")
    ap.add_argument("--quick", action="store_true", help="small run: sizes 10,200")
    ap.add_argument("--kv-full", action="store_true", help="run kubernetes-validate on every size in full")
    ap.add_argument("--kv-sample-docs", type=int, default=1000,
                    help="above this many documents kubernetes-validate runs on a sample of this size and its time "
                         "is extrapolated linearly (default 1000)")
    ap.add_argument("--one-core-runs", type=int, default=5, help="runs for the one-core 1,000-document timing")
    ap.add_argument("--scale-sizes", default="10000,50000",
                    help="one-core scale run sizes, renamed and plain copies (default 10000,50000; '' skips)")
    ap.add_argument("--one-doc-runs", type=int, default=7, help="runs for the one-document comparison")
    ap.add_argument("--scale-timeout", type=float, default=150.0,
                    help="stop a scale run after this many seconds and report it as failed (default 150)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([10, 200] if args.quick else [10, 1000, 10000])

    C.banner("bench/check.py", "`chartgen check` vs `kubernetes-validate --strict` on the same rendered documents")
    C.require(C.KUBERNETES_VALIDATE, "kubernetes-validate")
    kv_version = C.run_child([str(C.KUBERNETES_VALIDATE), "--version"])[0].stdout.strip()
    print(f"# kubernetes-validate {kv_version} (--strict -k {KV_VERSION}); chartgen check --kube-version {CG_KUBE}; "
          f"sizes: {', '.join(map(str, sizes))} documents", flush=True)

    istio_crds = args.istio_crds or (args.corpus.parent / ISTIO_CRDS if args.corpus else None)
    if args.crd_row_only:
        with C.tempdir("check") as tmp:
            crd_doc_section(tmp, istio_crds, args.one_doc_runs)
        return 0

    results = []
    with C.tempdir("check") as tmp:
        units = base_units(tmp, args.corpus)
        per_copy = sum(len(u.docs) for u in units)
        print(f"# corpus unit set: {per_copy} documents per copy from {len(units)} units: "
              + ", ".join(f"{u.key} ({len(u.docs)})" for u in units), flush=True)
        corpora = {}
        for n in sizes:
            corpus = tmp / f"corpus-{n}"
            files = write_corpus(units, n, corpus)
            corpora[n] = (corpus, files)

        # warm-up: page cache, .pyc, schema files
        small = corpora[sizes[0]]
        run_chartgen(small[0])
        run_kv(small[1])

        for n in sizes:
            corpus, files = corpora[n]
            print(f"  running {n} documents ({len(files)} files) ...", flush=True)
            cg = run_chartgen(corpus)
            if n > args.kv_sample_docs and not args.kv_full:
                picked, sample_docs = sample_files(files, args.kv_sample_docs)
                kv = run_kv(picked)
                # two-point line: start-up from the smallest measured run, per-document cost from the sample
                small = next(((m, r.wall) for m, _, _, r, _, sd, _ in results if sd == m and m < sample_docs), None)
                if small:
                    per_doc = max(kv.wall - small[1], 0.0) / (sample_docs - small[0])
                    kv_est = kv.wall + (n - sample_docs) * per_doc
                else:
                    kv_est = kv.wall * n / sample_docs
                note = f"EXTRAPOLATED from {sample_docs} docs"
            else:
                kv = run_kv(files)
                sample_docs, kv_est, note = n, kv.wall, "measured"
            results.append((n, len(files), cg, kv, kv_est, sample_docs, note))

        one_core_n = 1000 if 1000 in corpora else sizes[-1]
        one_core_cli, one_core_rss = cli_one_core(corpora[one_core_n][0], args.one_core_runs)
        ip_total, ip_load, ip_check, ip_find = inprocess_one_core(corpora[one_core_n][0], args.one_core_runs)
        cold = cold_breakdown(corpora[one_core_n][0], args.one_core_runs)
        if args.scale_sizes:
            scale_section(units, tmp, [int(s) for s in args.scale_sizes.split(",")], args.one_doc_runs,
                          args.scale_timeout)
        crd_doc_section(tmp, istio_crds, args.one_doc_runs)

    C.header("documents/second (higher is better); ratio = chartgen rate / kubernetes-validate rate (>1: chartgen "
             "faster)")
    rows = []
    for n, nfiles, cg, kv, kv_est, sample_docs, note in results:
        rows.append([n, nfiles, f"{C.fmt_s(cg.wall)}", f"{n / cg.wall:,.0f}", f"{C.fmt_s(kv_est)}",
                     f"{n / kv_est:,.0f}", f"{kv_est / cg.wall:.2f}x", note])
    C.table(rows, ["docs", "files", "chartgen wall", "chartgen docs/s", "kubernetes-validate wall",
                   "k-v docs/s", "ratio", "k-v time"])
    print("  (both are whole CLI processes on 2 cores, start-up included; chartgen is single-threaded)")
    if any(note != "measured" for *_, note in results):
        print(f"  NOTE: above {args.kv_sample_docs} documents kubernetes-validate ran on a sample (the corpus's first "
              f"whole files, ~{args.kv_sample_docs} documents) and its time is EXTRAPOLATED: start-up from the "
              "smallest run plus the sample's per-document cost times the document count (it validates each "
              "document independently). --kv-full measures it on everything.")

    C.header("per-document cost and scaling")
    base = results[0]
    rows = []
    for n, _, cg, kv, kv_est, sample_docs, _ in results:
        rows.append([n, f"{cg.wall / n * 1e3:.2f}", f"{kv_est / n * 1e3:.2f}"])
    C.table(rows, ["docs", "chartgen ms/doc (incl. start-up)", "k-v ms/doc (incl. start-up)"])
    if len(results) >= 3:
        (n1, _, cg1, *_), (n2, _, cg2, *_) = results[-2], results[-1]
        f = (cg2.wall / n2) / (cg1.wall / n1)
        print(f"  chartgen per-document time at {n2} vs {n1} documents: {f:.2f}x "
              f"({'roughly linear' if f <= 1.5 else 'GROWS faster than linear: some rule or index step is super-linear'})")

    C.header("what each tool checked")
    total, layers = rules_summary()
    print(f"  chartgen: {total} rules registered, by layer: " + ", ".join(f"{k} {v}" for k, v in sorted(layers.items())))
    print("    (the schema layer is the same strict OpenAPI schema kubernetes-validate uses, plus Istio CRD schemas;")
    print("     the other layers are API-server validation, cross-object, Istio and posture rules)")
    print("  kubernetes-validate: 1 check per document (JSON-schema validation of built-in kinds); "
          "documents of unknown kinds (CRDs such as Istio's) are skipped with a warning")
    rows = []
    for n, _, cg, kv, *_ in results:
        s = cg.out["summary"]
        c = kv.kv
        rows.append([n, s["documents"], s["errors"], s["warnings"], s["info"], c["passed"] + c["failed"],
                     c["failed"], c["no_schema"], kv.docs])
    C.table(rows, ["docs", "cg docs read", "cg errors", "cg warnings", "cg info", "k-v validated", "k-v failed",
                   "k-v skipped (no schema)", "k-v docs seen"])
    rule_counts: dict[str, int] = {}
    for f in results[-1][2].out["findings"]:
        rule_counts[f["rule"]] = rule_counts.get(f["rule"], 0) + 1
    top = sorted(rule_counts.items(), key=lambda kv: -kv[1])[:8]
    print(f"  chartgen findings at {results[-1][0]} docs by rule: " + (", ".join(f"{r} {c}" for r, c in top) or "none"))
    err_rules: dict[str, int] = {}
    for f in results[-1][2].out["findings"]:
        if f["severity"] == "error":
            err_rules[f["rule"]] = err_rules.get(f["rule"], 0) + 1
    if err_rules:
        print("  errors by rule: " + ", ".join(f"{r} {c}" for r, c in sorted(err_rules.items())))
    if set(err_rules) <= {"CG-ISTIO-014"} and err_rules:
        print("    CG-ISTIO-014 (two Gateways claim the same host on the same gateway pods) is an artifact of the "
              "corpus: the\n    environments and copies of one chart share their Gateway's hosts; chartgen is right "
              "that they would conflict in one mesh.")

    C.header(f"{one_core_n} documents on ONE core (pinned to CPU 0; issue target < 1 s)")
    print(f"  `chartgen check` CLI, whole process (median of {args.one_core_runs}): {C.fmt_s(one_core_cli)} "
          f"-> {'PASS' if one_core_cli < 1 else 'FAIL'}; peak RSS {one_core_rss:.1f} MiB")
    print(f"  in-process load_paths + runner.check (warm, median of {args.one_core_runs}): {C.fmt_s(ip_total)} "
          f"(load {C.fmt_s(ip_load)}, rules {C.fmt_s(ip_check)}; {ip_find} findings) "
          f"-> {'PASS' if ip_total < 1 else 'FAIL'}")
    print(f"  a fresh Python process, phase by phase (median of {args.one_core_runs}): imports + rule modules "
          f"{C.fmt_s(cold['imports'])}, load {C.fmt_s(cold['load'])}, first check {C.fmt_s(cold['check_cold'])} "
          f"(compiles the schema validators), second check {C.fmt_s(cold['check_warm'])}; whole process "
          f"{C.fmt_s(cold['process'])}")

    C.header("peak memory per run (each tool's own process, via wait4)")
    rows = [[n, f"{cg.rss_mb:.1f}", f"{kv.rss_mb:.1f}", "" if sd == n else f"(on {sd} docs)"]
            for n, _, cg, kv, kv_est, sd, _ in results]
    C.table(rows, ["docs", "chartgen check MiB", "kubernetes-validate MiB", ""])
    C.print_memory()
    C.print_startup([("kubernetes-validate --help", [str(C.KUBERNETES_VALIDATE), "--help"])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
