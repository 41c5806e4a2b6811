"""A chart's dependencies (Chart.yaml `dependencies:`) made present in its `charts/` folder before helm reads it:
what `helm dependency build` does, offline where it can be.

Per dependency: a chart already in `charts/` (an unpacked folder or a `.tgz` whose Chart.yaml has the
dependency's name) is used as it is; else a `file://` repository (a folder relative to the chart) is packaged
with `helm package` into `charts/` (its own dependencies prepared first, the same way); else an `http(s)://` or
`oci://` repository is asked with `helm pull --version` (needs the network). A repository alias (`@name`,
`alias:name`) is not followed: helm runs with an empty home (chartgen.helm.runner.isolated_env), so it knows no
repository names. What cannot be obtained is a `Missing` entry naming the chart, the dependency and what to do.
An archive is written under a temporary name and renamed into place, so `charts/` never holds half an archive.
verify runs this before helm reads a chart (chartgen.verify.chart.run), and `--upgrade-from` on the chart copied out of
git (chartgen.verify.revisions).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml

from chartgen.core.record import MutableRecord, Record, mutable_record, record
from chartgen.helm.dependency_source import Source
from chartgen.helm.runner import Helm


@record
class Missing(Record):
    chart: str
    name: str
    repository: str
    reason: str
    fix: str

    def message(self) -> str:
        repo = f" (repository {self.repository})" if self.repository else ""
        return f"dependency {self.name}{repo} of chart {self.chart} cannot be obtained: {self.reason}"


@mutable_record
class Prepared(MutableRecord):
    sources: list[Source] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)


def declared(chart: Path) -> list[dict[str, Any]]:
    """Chart.yaml `dependencies` (unreadable: none; helm lint reports the file itself)."""
    try:
        data = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    deps = data.get("dependencies") if isinstance(data, dict) else None
    return [d for d in deps if isinstance(d, dict) and d.get("name")] if isinstance(deps, list) else []


def present(chart: Path) -> dict[str, tuple[str, str]]:
    """The charts in `charts/`: chart name -> (entry relative to the chart, version)."""
    out: dict[str, tuple[str, str]] = {}
    folder = chart / "charts"
    for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
        meta = _archive_meta(entry) if entry.name.endswith(".tgz") else _folder_meta(entry)
        if meta and meta.get("name"):
            out.setdefault(str(meta["name"]), (f"charts/{entry.name}", str(meta.get("version", ""))))
    return out


def _folder_meta(entry: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load((entry / "Chart.yaml").read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _archive_meta(entry: Path) -> dict[str, Any] | None:
    import tarfile  # only for a chart with archives in charts/ (its import is ~3 ms of every verify process)

    try:
        with tarfile.open(entry, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    handle = tar.extractfile(member)
                    data = yaml.safe_load(handle.read()) if handle else None
                    return data if isinstance(data, dict) else None
    except (OSError, tarfile.TarError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return None


def prepare(chart: Path, helm: Helm, _seen: frozenset[Path] = frozenset()) -> Prepared:
    """Make every dependency of `chart` present in its charts/ folder; say where each came from."""
    out = Prepared()
    deps = declared(chart)
    if not deps:
        return out
    have = present(chart)
    for dep in deps:
        name, version = str(dep["name"]), str(dep.get("version", ""))
        repo = str(dep.get("repository") or "")
        if name in have:
            out.sources.append(Source(str(chart), name, have[name][1] or version, have[name][0]))
            continue
        missing, found = _obtain(chart, name, version, repo, helm, _seen | {chart.resolve()})
        if missing is not None:
            out.missing.append(missing)
            continue
        have = present(chart)
        entry = have.get(name)
        if entry is None:
            out.missing.append(Missing(str(chart), name, repo, f"{found or 'the archive'} holds no chart named "
                                       f"{name!r}", "make the dependency's name match the chart's Chart.yaml name"))
            continue
        out.sources.append(Source(str(chart), name, entry[1] or version, entry[0], repo))
    return out


def _obtain(chart: Path, name: str, version: str, repo: str, helm: Helm,
            seen: frozenset[Path]) -> tuple[Missing | None, str]:
    build = (f"run `helm dependency build {chart}` where the repository is reachable, or put the chart into "
             f"{chart}/charts/")
    if repo.startswith("file://"):
        return _package(chart, name, repo, helm, seen)
    if repo.startswith(("http://", "https://", "oci://")):
        args = [f"{repo.rstrip('/')}/{name}"] if repo.startswith("oci://") else [name, "--repo", repo]
        return _into_charts(chart, helm, ["pull", *args, "--version", version], name, repo, build)
    if not repo:
        return Missing(str(chart), name, repo, "it is not in charts/ and has no repository",
                       f"put the chart into {chart}/charts/, or give the dependency a repository"), ""
    return Missing(str(chart), name, repo, "verify runs helm without repository configuration, so a repository "
                   "name is unknown to it", f"give the repository's URL instead of its name, or {build}"), ""


def _package(chart: Path, name: str, repo: str, helm: Helm, seen: frozenset[Path]) -> tuple[Missing | None, str]:
    folder = (chart / repo.removeprefix("file://")).resolve()
    if not (folder / "Chart.yaml").is_file():
        return Missing(str(chart), name, repo, f"{folder} is not a chart folder (no Chart.yaml)",
                       "fix the repository path (file:// is relative to the depending chart's folder)"), ""
    if folder in seen:
        return Missing(str(chart), name, repo, "the dependencies form a cycle", "remove the cycle"), ""
    inner = prepare(folder, helm, seen)
    if inner.missing:
        first = inner.missing[0]
        return Missing(str(chart), name, repo, first.message(), first.fix), ""
    return _into_charts(chart, helm, ["package", str(folder)], name, repo,
                        f"fix the chart in {folder} so that `helm package` accepts it")


def _into_charts(chart: Path, helm: Helm, args: list[str], name: str, repo: str,
                 fix: str) -> tuple[Missing | None, str]:
    """Run `helm <args> --destination TMP` and move the one archive it wrote into charts/."""
    folder = chart / "charts"
    folder.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chartgen-dep-") as tmp:
        res = helm.run(*args, "--destination", tmp, timeout=120)
        archives = list(_archives(Path(tmp)))
        if not res.ok or len(archives) != 1:
            reason = " ".join(res.message.split()) or "helm wrote no archive"
            return Missing(str(chart), name, repo, f"helm {args[0]}: {reason}", fix), ""
        part = folder / f".{archives[0].name}.part"
        shutil.copyfile(archives[0], part)
        os.replace(part, folder / archives[0].name)
        return None, f"charts/{archives[0].name}"


def _archives(folder: Path) -> Iterator[Path]:
    yield from sorted(p for p in folder.iterdir() if p.name.endswith(".tgz"))
