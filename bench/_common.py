"""Shared helpers for the benchmarks: paths, timing, memory, CLI start-up, machine info, temp dirs.

Every benchmark measures chartgen and its baseline side by side in one run and reports RATIOS; absolute times
are printed for context only and must not be compared across runs or machines.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

REPO = Path(__file__).resolve().parents[1]
CLEAN_CORPUS = REPO / "bench" / "check_corpus" / "clean"  # realistic manifests we wrote
GENERATED = REPO / "generated-charts"
BIN = REPO / ".venv" / "bin"
CHARTGEN_CLI = BIN / "chartgen"
KUBERNETES_VALIDATE = BIN / "kubernetes-validate"
KUBE_VERSION = "1.31.0"

if str(REPO) not in sys.path:  # run as `python bench/x.py` from anywhere
    sys.path.insert(0, str(REPO))


# -- output -----------------------------------------------------------------------------------------------------


def header(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 100 - len(title) - 4), flush=True)


def machine_line() -> str:
    return (f"machine: {os.cpu_count()} cpu(s) (nproc {nproc()}), {cpu_model()}, Python {platform.python_version()}, "
            f"{_dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}")


def banner(script: str, what: str) -> None:
    print(f"# {script}: {what}")
    print(f"# {machine_line()}")
    print("# Ratios are measured side by side in this run; absolute times are for context only.", flush=True)


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def table(rows: Sequence[Sequence[object]], head: Sequence[str]) -> None:
    cells = [[str(c) for c in head]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    for n, r in enumerate(cells):
        print("  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
    sys.stdout.flush()


# -- timing -----------------------------------------------------------------------------------------------------


@dataclass
class Timing:
    wall: float  # seconds, perf_counter
    cpu_self: float  # user+sys of this process
    cpu_children: float  # user+sys of waited-for children

    @property
    def cpu(self) -> float:
        return self.cpu_self + self.cpu_children


@contextlib.contextmanager
def timed() -> Iterator[Timing]:
    """`with timed() as t: ...` -> t.wall, t.cpu_self, t.cpu_children filled in on exit."""
    t = Timing(0.0, 0.0, 0.0)
    b = os.times()
    start = time.perf_counter()
    try:
        yield t
    finally:
        t.wall = time.perf_counter() - start
        e = os.times()
        t.cpu_self = (e.user - b.user) + (e.system - b.system)
        t.cpu_children = (e.children_user - b.children_user) + (e.children_system - b.children_system)


@contextlib.contextmanager
def one_core(cpu: int = 0) -> Iterator[None]:
    """Pin this process (and children started inside) to one CPU; restore the old affinity on exit."""
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, old)


# -- memory -----------------------------------------------------------------------------------------------------


def _maxrss_mb(who: int) -> float:
    kb = resource.getrusage(who).ru_maxrss  # KiB on Linux
    return kb / 1024 / (1024 if sys.platform == "darwin" else 1)


def peak_rss_self_mb() -> float:
    return _maxrss_mb(resource.RUSAGE_SELF)


def peak_rss_children_mb() -> float:
    """Peak RSS of the largest waited-for child so far (not the sum)."""
    return _maxrss_mb(resource.RUSAGE_CHILDREN)


def print_memory(note: str = "") -> None:
    header("peak memory")
    print(f"  this process (python, chartgen in-process) peak RSS: {peak_rss_self_mb():7.1f} MiB")
    print(f"  largest child process (helm / kubernetes-validate / chartgen CLI) peak RSS: "
          f"{peak_rss_children_mb():7.1f} MiB")
    if note:
        print(f"  {note}")
    sys.stdout.flush()


def run_child(cmd: Sequence[str], **kw) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; return (completed process with text output, wall seconds, that child's own peak RSS MiB).

    Output goes through temp files and the child is reaped with os.wait4 to read its own rusage.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, open(os.devnull, "rb") as devnull:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=devnull, stdout=out, stderr=err, **kw)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(list(cmd), proc.returncode, out.read().decode("utf-8", "replace"),
                                           err.read().decode("utf-8", "replace"))
    return done, wall, usage.ru_maxrss / 1024


# -- CLI start-up -----------------------------------------------------------------------------------------------


def startup_time(cmd: Sequence[str], runs: int = 7, env: dict[str, str] | None = None) -> float:
    """Median wall time of `cmd` (output discarded) over `runs` runs, after one warm-up run."""
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_startup(extra: Sequence[tuple[str, Sequence[str]]] = (), runs: int = 7) -> float:
    """chartgen --help start-up as the environment runs it, and with a bytecode cache (kept in a temp dir)."""
    header(f"CLI start-up (median of {runs} runs after a warm-up; target < 300 ms)")
    cmd = [str(CHARTGEN_CLI), "--help"]
    t = startup_time(cmd, runs)
    no_pyc = os.environ.get("PYTHONDONTWRITEBYTECODE")
    how = "PYTHONDONTWRITEBYTECODE is set: chartgen's own modules have no .pyc and are compiled on every start" \
        if no_pyc else "as installed"
    print(f"  chartgen --help ({how}): {fmt_s(t)} -> {'PASS' if t < 0.3 else 'FAIL'}")
    if no_pyc:
        with tempdir("pycache") as cache:
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env["PYTHONPYCACHEPREFIX"] = str(cache)  # the warm-up run fills it; the repo is not touched
            w = startup_time(cmd, runs, env)
        print(f"  chartgen --help (with a bytecode cache, as a normal install runs): {fmt_s(w)} -> "
              f"{'PASS' if w < 0.3 else 'FAIL'}")
    for label, other in extra:
        if Path(other[0]).exists():
            e = startup_time(other, runs)
            print(f"  {label}: {fmt_s(e)}   (chartgen --help / this = {ratio(t, e):.1f}x)")
    sys.stdout.flush()
    return t


# -- helm, temp dirs, charts ------------------------------------------------------------------------------------


def helm_path() -> str:
    from chartgen.helm.runner import find_helm

    return find_helm().path


def helm_env() -> dict[str, str]:
    """The environment chartgen gives helm (no user repositories/plugins/kube config)."""
    from chartgen.helm import install as helm_install

    env = dict(os.environ)
    env.setdefault("HELM_CACHE_HOME", str(helm_install.tools_dir() / "helm-cache"))
    return env


def installed_env(base: dict[str, str], pycache: Path) -> dict[str, str]:
    """`base` as a normal install runs chartgen: with bytecode (this sandbox sets PYTHONDONTWRITEBYTECODE=1, which
    would recompile chartgen's modules in every process). The bytecode goes to `pycache`, never into the repo."""
    env = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def installed_copy(dest: Path) -> Path:
    """chartgen laid out in a fresh venv under `dest` as its wheel installs it; returns that venv's `chartgen` script.

    What pip does for the wheel, without building one (a build needs the index, for hatchling): chartgen/ and
    blueprints/ (as chartgen/_blueprints, pyproject's force-include) copied into site-packages and byte-compiled, and
    the console script pip writes. The dependencies are this checkout's venv (a plain path in a .pth, so the
    editable install's import hook, which every process of the dev venv loads through `site`, is not). The copy has
    its .pyc files, so it runs as installed even under PYTHONDONTWRITEBYTECODE=1; the repo is not touched.
    """
    venv = dest / "venv"
    subprocess.run([str(BIN / "python"), "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.check_output([str(venv / "bin" / "python"), "-c", purelib], text=True).strip())
    deps = subprocess.check_output([str(BIN / "python"), "-c", purelib], text=True).strip()
    (site / "chartgen_bench_deps.pth").write_text(deps + "\n", encoding="utf-8")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "chartgen", site / "chartgen", ignore=skip)
    shutil.copytree(REPO / "blueprints", site / "chartgen" / "_blueprints", ignore=skip)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    subprocess.run([str(venv / "bin" / "python"), "-m", "compileall", "-q", str(site / "chartgen")], check=True,
                   env=env)
    script = venv / "bin" / "chartgen"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nimport sys\nfrom chartgen.entry import main\n\n"
                      "if __name__ == '__main__':\n    sys.exit(main())\n", encoding="utf-8")
    script.chmod(0o755)
    return script


@contextlib.contextmanager
def tempdir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"chartgen-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def materialize_generated_charts(dest: Path) -> list[Path]:
    """Copy every generated-charts/*/chartgen.yaml into dest and generate the chart there (the repo is untouched).

    generated-charts/ may hold only the specs (the chart files are produced by `make examples`); generating into a
    temp dir gives every benchmark the same complete charts without writing into the repo.
    """
    from chartgen.generate.engine import generate
    from chartgen.generate.writer import write
    from chartgen.spec.loader import load_spec

    charts = []
    for spec_file in sorted(GENERATED.glob("*/chartgen.yaml")):
        chart = dest / spec_file.parent.name
        chart.mkdir(parents=True)
        shutil.copy2(spec_file, chart / "chartgen.yaml")
        write(generate(load_spec(chart)), chart)
        charts.append(chart)
    if not charts:
        raise SystemExit(f"no charts under {GENERATED} (expected */chartgen.yaml)")
    return charts


def require(path: Path, what: str) -> None:
    if not path.exists():
        raise SystemExit(f"{what} not found at {path}; run `make setup` first")
