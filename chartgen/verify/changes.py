"""`chartgen verify --changed-since REF`: the charts that a change since the merge base of REF and HEAD touches.

Git runs in the repository of each given path (never in the current folder's). Changed means committed since the
merge base, staged, unstaged or untracked. A rename counts on both sides (`--no-renames`: the old path is a
deletion, so a file moved out of chart A changes A too). Names are read NUL-separated (`-z`) as bytes: no quoting,
any file name.

A changed file selects
- its deepest chart: a file of a nested chart (not a subchart) is that chart's alone, a subchart's file is its
  parent's;
- every chart that uses the file or folder it is in through a symlink inside the chart, or through a `file://`
  dependency (Chart.yaml `dependencies`, requirements.yaml), transitively;
- a chart whose files are (partly) outside every given repository is always selected: git cannot tell whether they
  changed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from chartgen.core.errors import ChartgenError
from chartgen.verify.discovery import SKIP_DIRS, shown

OPTION = "--changed-since"


@dataclass(frozen=True)
class Changes:
    """The files changed in one repository since the merge base of REF and HEAD."""

    ref: str
    repo: Path
    base: str  # the merge base commit
    files: tuple[Path, ...]  # absolute

    def describe(self) -> str:
        return f"{self.ref} (merge base {self.base[:12]} in {shown(self.repo)})"


@dataclass(frozen=True)
class ChangedCharts:
    charts: list[Path]
    changes: tuple[Changes, ...]

    def nothing(self) -> str:
        """What an empty selection means, for the report."""
        since = "; ".join(c.describe() for c in self.changes)
        return f"no chart changed since {since}: nothing to verify"


def _git(args: Sequence[str], cwd: Path) -> bytes:
    from chartgen.verify.git_revision import run_git

    return run_git(args, cwd, OPTION)


def repository(path: Path) -> Path:
    """The top folder of the git repository holding path."""
    folder = path if path.is_dir() else path.parent
    try:
        out = _git(["rev-parse", "--show-toplevel"], folder)
    except ChartgenError:
        raise ChartgenError(OPTION, None, f"{shown(path)} is not in a git repository") from None
    return Path(os.fsdecode(out.rstrip(b"\n"))).resolve()


def changes_since(ref: str, repo: Path) -> Changes:
    if not ref.strip() or ref.startswith("-"):
        raise ChartgenError(OPTION, None, f"{ref!r} is not a git revision (give a branch, tag or commit)")
    try:
        commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo).decode().strip()
    except ChartgenError:
        raise ChartgenError(OPTION, None, f"{ref!r} is not a commit in {shown(repo)} (a branch, tag or commit; in "
                            "CI, fetch it first)") from None
    try:
        base = _git(["merge-base", commit, "HEAD"], repo).decode().strip()
    except ChartgenError:
        raise ChartgenError(OPTION, None, f"{ref!r} and HEAD have no merge base in {shown(repo)} (unrelated "
                            "histories, or a shallow clone: fetch more history)") from None
    names = _git(["diff", "--name-only", "--no-renames", "-z", base, "--"], repo).split(b"\0")
    names += _git(["ls-files", "-z", "--others", "--exclude-standard"], repo).split(b"\0")
    return Changes(ref, repo, base, tuple(repo / os.fsdecode(n) for n in dict.fromkeys(names) if n))


def changed_charts(charts: Sequence[Path], ref: str, paths: Sequence[Path]) -> ChangedCharts:
    """The charts (of `charts`, discovered below `paths`) that a file changed since REF touches, in their order."""
    repos = sorted({repository(p) for p in paths})
    changes = tuple(changes_since(ref, repo) for repo in repos)
    users: dict[Path, set[Path]] = {}  # a resolved file or folder -> the charts that use it
    own = {c.resolve(): c for c in charts}
    hit: set[Path] = set()
    for chart in charts:
        for root in chart_roots(chart.resolve(), set(own)):
            users.setdefault(root, set()).add(chart)
            if not any(root.is_relative_to(repo) for repo in repos):
                hit.add(chart)  # git cannot see changes there
    for change in changes:
        for file in change.files:
            hit |= _users_of(file, users, own)
    return ChangedCharts([c for c in charts if c in hit], changes)


def _users_of(file: Path, users: dict[Path, set[Path]], own: dict[Path, Path]) -> set[Path]:
    """The charts using `file`: walking up from it (as named, and with symlinks resolved), every user of a folder on
    the way, up to the first chart folder."""
    found: set[Path] = set()
    for start in dict.fromkeys((file, file.resolve())):
        for folder in (start, *start.parents):
            found |= users.get(folder, set())
            if folder in own:
                break
    return found


def chart_roots(chart: Path, charts: set[Path]) -> set[Path]:
    """The resolved files and folders a chart's rendering reads: its folder, the targets of the symlinks in it and
    the folders of its `file://` dependencies, transitively (other discovered charts nested in it excluded)."""
    roots = {chart}
    todo = [chart]
    while todo:
        for target in _links_and_dependencies(todo.pop(), charts):
            if target not in roots:
                roots.add(target)
                if target.is_dir():
                    todo.append(target)
    return roots


def _links_and_dependencies(root: Path, charts: set[Path]) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        for name in (*dirnames, *filenames):
            if (here / name).is_symlink():
                yield (here / name).resolve()
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and (here / d).resolve() not in charts - {root}]
        if "Chart.yaml" in filenames or "requirements.yaml" in filenames:
            yield from _file_dependencies(here)


def _file_dependencies(chart: Path) -> Iterable[Path]:
    """Folders of the `file://` dependencies of the chart in `chart` (unreadable files: none; verify reports them)."""
    for name in ("Chart.yaml", "requirements.yaml"):
        try:
            data = yaml.safe_load((chart / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        deps = data.get("dependencies") if isinstance(data, dict) else None
        for dep in deps if isinstance(deps, list) else ():
            repo = dep.get("repository") if isinstance(dep, dict) else None
            if isinstance(repo, str) and repo.startswith("file://"):
                yield (chart / repo.removeprefix("file://")).resolve()
