"""Run an independent policy scanner (checkov) on rendered manifests and fold its verdict into chartgen's report.

checkov is an optional extra (`pip install 'chartgen[policy]'`). It is always run with
`--framework kubernetes --skip-download` on the rendered output: `--framework helm` silently scans nothing when
helm is missing. Objects without metadata.namespace get the release namespace first, as `helm install -n` would do,
so checkov judges what will actually be applied.

Most of a checkov run is its imports (~2 s of CPU, the scan of a chart's renderings ~0.2 s). `CheckovScan` starts
the checkov installed beside chartgen at once, through chartgen/verify/checkov_start.py, so that its imports run while
chartgen renders; `scan` then writes the renderings and lets the console script itself run with the same argv. A
checkov of another installation (found on PATH) runs as a plain process at `scan`.

checkov writes its JSON report to a file (`--output-file-path REPORT,`: one path per `-o` format, so not to the
console). Printed, the report of 300 renderings is ~80 MB that colorama (wrapping checkov's stdout at import) scans
for colour codes before it reaches the pipe: ~4 s of checkov's ~22 s over bench/verify.py's 100 charts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from chartgen.core.cache import key
from chartgen.core.errors import ChartgenError
from chartgen.core.input_digest import file_sha256, paths_digest

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class PolicyCheck:
    check_id: str
    name: str
    resource: str  # checkov's Kind.namespace.name
    reason: str | None = None  # the waiver's reason, for skipped checks


@dataclass(frozen=True)
class PolicyReport:
    passed: int
    failed: tuple[PolicyCheck, ...]
    skipped: tuple[PolicyCheck, ...]


def find_checkov() -> str:
    sibling = Path(sys.executable).with_name("checkov")
    if sibling.is_file():
        return str(sibling)
    found = shutil.which("checkov")
    if found:
        return found
    raise ChartgenError("--policy", "checkov",
                        "checkov is not installed; install it with: pip install 'chartgen[policy]'")


def checkov_version(checkov: str) -> str:
    """The version of the checkov that `checkov` runs: from this Python's packages when it is the one installed
    beside chartgen, else asked (a checkov elsewhere on PATH runs its own installation)."""
    import importlib.metadata

    if Path(checkov) == Path(sys.executable).with_name("checkov"):
        try:
            return importlib.metadata.version("checkov")
        except importlib.metadata.PackageNotFoundError:
            pass
    proc = subprocess.run([checkov, "--version"], capture_output=True, text=True, timeout=300)
    return f"{proc.returncode}:{proc.stdout.strip()}"


def with_namespace(manifests: str, namespace: str) -> str:
    docs = [d for d in yaml.load_all(manifests, Loader=_Loader) if isinstance(d, dict)]
    for d in docs:
        md = d.setdefault("metadata", {})
        if isinstance(md, dict) and not md.get("namespace"):
            md["namespace"] = namespace
    return yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False)


def run_checkov(manifests: str, namespace: str, checkov: str | None = None) -> PolicyReport:
    """Scan one rendered environment."""
    return scan({"manifests": (manifests, namespace)}, checkov)["manifests"]


def scan(inputs: Mapping[str, tuple[str, str]], checkov: str | None = None, *,
         prestart: bool = True) -> dict[str, PolicyReport]:
    """Scan several rendered environments in one checkov run: {label: (manifests, namespace)} -> reports."""
    with CheckovScan(checkov, prestart=prestart) as run:
        return run.scan(inputs)


ARGS = ("--framework", "kubernetes", "--skip-download", "--compact", "-o", "json")
TIMEOUT = 900  # seconds of the scan
START = Path(__file__).with_name("checkov_start.py")


def script_python(checkov: str) -> str | None:
    """The interpreter of the checkov console script installed beside chartgen's Python, when its `#!` line names
    one Python by its absolute path (pip's form); None for any other checkov, which then runs as a plain process."""
    if Path(checkov) != Path(sys.executable).with_name("checkov"):
        return None
    try:
        with open(checkov, "rb") as f:
            line = f.readline(4096).decode(errors="replace")
    except OSError:
        return None
    python = line[2:].strip() if line.startswith("#!") else ""
    return python if (os.path.isabs(python) and re.fullmatch(r"python[0-9.]*", Path(python).name)
                      and os.access(python, os.X_OK)) else None


class CheckovScan:
    """One checkov process over the renderings of a run, `scan`ned once. With `prestart` and checkov's Python known
    (script_python), the process starts now and imports checkov while the caller renders; else it starts at `scan`.
    The argv, output and exit code are the same either way; close() stops a process that was not needed."""

    def __init__(self, checkov: str | None = None, *, prestart: bool = True) -> None:
        self.checkov = checkov or find_checkov()
        self.folder = Path(tempfile.mkdtemp(prefix="chartgen-policy-"))
        self.renderings = self.folder / "renderings"  # what checkov scans; its report goes beside it
        self.renderings.mkdir()
        self.report = self.folder / "checkov.json"
        self.argv = [self.checkov, "-d", str(self.renderings), *ARGS, "--output-file-path", f"{self.report},"]
        self.files: dict[str, str] = {}  # checkov's file_path of each rendering added -> its label
        self.console: str | None = None  # what the scan's checkov printed on stdout (its report went to a file)
        python = script_python(self.checkov) if prestart else None
        self._worker = subprocess.Popen([python, str(START), *self.argv], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) if python else None

    @property
    def prestarted(self) -> bool:
        return self._worker is not None

    def __enter__(self) -> CheckovScan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()
            worker.communicate()
        shutil.rmtree(self.folder, ignore_errors=True)

    def add(self, label: str, manifests: str, namespace: str) -> None:
        """One rendering to scan, written now (a caller adding each as it is rendered keeps with_namespace's YAML
        round trip, ~1 s over 300 renderings, off the end of its run). Its file is named by the label, so the scan
        sees the same files whatever order they come in."""
        name = f"{hashlib.sha256(label.encode()).hexdigest()[:20]}.yaml"
        if f"/{name}" in self.files:
            raise ValueError(f"{label} is already in the scan")
        (self.renderings / name).write_text(with_namespace(manifests, namespace), encoding="utf-8")
        self.files[f"/{name}"] = label

    def scan(self, inputs: Mapping[str, tuple[str, str]] | None = None) -> dict[str, PolicyReport]:
        """checkov's report of each rendering added, and of `inputs` ({label: (manifests, namespace)})."""
        for label, (manifests, namespace) in sorted((inputs or {}).items()):
            self.add(label, manifests, namespace)
        proc = self._run()
        self.console = proc.stdout
        # a checkov that did not write the file (it crashed, or ignores the path) is judged by what it printed
        with contextlib.suppress(OSError):
            proc.stdout = self.report.read_text(encoding="utf-8")
        return reports_of(proc, self.files, sorted(self.files.values()))

    def _run(self) -> subprocess.CompletedProcess[str]:
        worker, self._worker = self._worker, None
        if worker is None:
            return subprocess.run(self.argv, capture_output=True, text=True, timeout=TIMEOUT)
        with worker:  # as subprocess.run: killed on a timeout or an interrupt
            try:
                stdout, stderr = worker.communicate("scan\n", timeout=TIMEOUT)
            except BaseException:
                worker.kill()
                raise
        return subprocess.CompletedProcess(self.argv, worker.returncode, stdout, stderr)


def reports_of(proc: subprocess.CompletedProcess[str], files: Mapping[str, str],
               inputs: Sequence[str]) -> dict[str, PolicyReport]:
    """checkov's JSON report split by rendering (files: checkov's file_path -> label; inputs: the labels)."""
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except ValueError:
        raise ChartgenError("checkov", None, f"unreadable output (exit {proc.returncode}): "
                            f"{(proc.stderr or proc.stdout).strip()[-300:]}") from None
    reports = [r for r in (data if isinstance(data, list) else [data]) if isinstance(r, dict) and "results" in r]
    if not reports:
        # checkov exits 1 when checks fail; no results at all means it did not scan anything.
        raise ChartgenError("checkov", None, f"scanned nothing (exit {proc.returncode}): "
                            f"{(proc.stderr or '').strip()[-300:]}")
    passed = {label: 0 for label in inputs}
    failed: dict[str, list[PolicyCheck]] = {label: [] for label in inputs}
    skipped: dict[str, list[PolicyCheck]] = {label: [] for label in inputs}
    for rep in reports:
        results = rep["results"]
        for c in results.get("passed_checks") or []:
            passed[files.get(c.get("file_path"), next(iter(inputs)))] += 1
        for kind, bucket in (("failed_checks", failed), ("skipped_checks", skipped)):
            for c in results.get(kind) or []:
                label = files.get(c.get("file_path"), next(iter(inputs)))
                bucket[label].append(PolicyCheck(c["check_id"], c.get("check_name", ""), c.get("resource", ""),
                                                 (c.get("check_result") or {}).get("suppress_comment")
                                                 if kind == "skipped_checks" else None))
    key = lambda c: (c.resource, c.check_id)  # noqa: E731
    return {label: PolicyReport(passed[label], tuple(sorted(failed[label], key=key)),
                                tuple(sorted(skipped[label], key=key))) for label in inputs}


def checkov_fingerprint(checkov: str) -> str:
    """The checkov executable (its sha256 and the version it runs) and the config files it looks for in the working
    directory and the home folder."""
    configs = [Path(d) / n for d in (Path.cwd(), Path.home()) for n in (".checkov.yaml", ".checkov.yml")]
    return key(file_sha256(Path(checkov)).hex(), checkov_version(checkov), paths_digest(configs))
