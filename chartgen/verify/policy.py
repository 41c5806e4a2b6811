"""Run an independent policy scanner (checkov) on rendered manifests and fold its verdict into chartgen's report.

checkov is an optional extra (`pip install 'chartgen[policy]'`). It is always run with
`--framework kubernetes --skip-download` on the rendered output: `--framework helm` silently scans nothing when
helm is missing. Objects without metadata.namespace get the release namespace first, as `helm install -n` would do,
so checkov judges what will actually be applied.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
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


def scan(inputs: Mapping[str, tuple[str, str]], checkov: str | None = None) -> dict[str, PolicyReport]:
    """Scan several rendered environments in one checkov run: {label: (manifests, namespace)} -> reports."""
    checkov = checkov or find_checkov()
    with tempfile.TemporaryDirectory(prefix="chartgen-policy-") as tmp:
        files = {}
        for i, (label, (manifests, namespace)) in enumerate(sorted(inputs.items())):
            name = f"{i:04d}.yaml"
            (Path(tmp) / name).write_text(with_namespace(manifests, namespace), encoding="utf-8")
            files[f"/{name}"] = label
        proc = subprocess.run(
            [checkov, "-d", tmp, "--framework", "kubernetes", "--skip-download", "--compact", "-o", "json"],
            capture_output=True, text=True, timeout=900,
        )
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
