"""A chart as it was at a git revision, copied out of the repository without touching the work tree or the index.

`checkout_chart(chart, ref, dest)` writes the chart's committed files at REF below `dest`, at the same path
relative to the repository top as in the repository, with what helm reads beside them: the folders of its
`file://` dependencies and the targets of its symlinks (both only when they are inside the repository),
transitively. Files are read from git's object store (`git ls-tree -r -z` + `git cat-file --batch`), so neither
`.gitattributes` (export-ignore, export-subst) nor the work tree changes them. Subcharts in `charts/` come with the
chart's folder.

A bad REF is a ChartgenError (exit 2, one line); a chart that did not exist at REF gives None (nothing to compare).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from chartgen.core.errors import ChartgenError
from chartgen.verify.discovery import shown

_SYMLINK = "120000"
_SUBMODULE = "160000"


@dataclass(frozen=True)
class Revision:
    """A commit of the repository holding a chart."""

    ref: str  # as the user gave it
    repo: Path  # the repository's top folder (resolved)
    commit: str  # full hash

    @property
    def short(self) -> str:
        return self.commit[:12]


def run_git(args: Sequence[str], cwd: Path, option: str, stdin: bytes | None = None) -> bytes:
    """git's stdout; a failure is a ChartgenError naming `option` (the command-line option that asked for git)."""
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, input=stdin, timeout=300)
    except FileNotFoundError:
        raise ChartgenError(option, None, "git is not installed") from None
    if proc.returncode != 0:
        message = " ".join(proc.stderr.decode("utf-8", "replace").split()) or "failed"
        raise ChartgenError(option, None, f"git {args[0]} in {shown(cwd)}: {message}")
    return proc.stdout


def resolve(ref: str, path: Path, option: str) -> Revision:
    """REF in the repository holding `path` (exit 2 with one line when it is not a commit there)."""
    if not ref.strip() or ref.startswith("-"):
        raise ChartgenError(option, None, f"{ref!r} is not a git revision (give a branch, tag or commit)")
    folder = path if path.is_dir() else path.parent
    try:
        top = run_git(["rev-parse", "--show-toplevel"], folder, option)
    except ChartgenError:
        raise ChartgenError(option, None, f"{path} is not in a git repository") from None
    repo = Path(os.fsdecode(top.rstrip(b"\n"))).resolve()
    try:
        commit = run_git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo, option).decode().strip()
    except ChartgenError:
        raise ChartgenError(option, None, f"{ref!r} is not a commit in {repo} (a branch, tag or commit; in CI, "
                            "fetch it first)") from None
    return Revision(ref, repo, commit)


@dataclass(frozen=True)
class _Entry:
    mode: str
    sha: str
    path: str  # relative to the repository top, posix


def _tree(rev: Revision, rel: str, option: str) -> list[_Entry]:
    out = run_git(["ls-tree", "-r", "-z", "--full-tree", rev.commit, "--", rel], rev.repo, option)
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        head, _, name = record.partition(b"\t")
        mode, _kind, sha = head.decode().split()
        entries.append(_Entry(mode, sha, os.fsdecode(name)))
    return entries


def _blobs(rev: Revision, shas: Sequence[str], option: str) -> dict[str, bytes]:
    """The contents of the given blobs, read in one `git cat-file --batch`."""
    wanted = list(dict.fromkeys(shas))
    if not wanted:
        return {}
    raw = run_git(["cat-file", "--batch"], rev.repo, option, stdin="".join(f"{s}\n" for s in wanted).encode())
    out: dict[str, bytes] = {}
    pos = 0
    for sha in wanted:
        end = raw.index(b"\n", pos)
        header = raw[pos:end].decode().split()
        size = int(header[2])
        out[sha] = raw[end + 1:end + 1 + size]
        pos = end + 1 + size + 1  # the content is followed by a newline
    return out


def checkout_chart(chart: Path, rev: Revision, dest: Path, option: str) -> Path | None:
    """Write the chart (and what it reads) at `rev` below `dest`; the chart's folder there, or None when the chart
    had no Chart.yaml at that revision."""
    try:
        rel = chart.resolve().relative_to(rev.repo).as_posix()
    except ValueError:
        raise ChartgenError(option, None, f"{chart} is not inside the repository {rev.repo}") from None
    rel = "" if rel == "." else rel
    chart_yaml = f"{rel}/Chart.yaml" if rel else "Chart.yaml"
    if not any(e.path == chart_yaml for e in _tree(rev, chart_yaml, option)):
        return None
    done: set[str] = set()
    todo = [rel]
    while todo:
        folder = todo.pop()
        if folder in done or any(_inside(folder, d) for d in done):
            continue
        done.add(folder)
        todo.extend(_write(rev, folder, dest, option))
    return dest / rel if rel else dest


def _inside(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


def _write(rev: Revision, rel: str, dest: Path, option: str) -> Iterator[str]:
    """Write the files below `rel`; yield the repository paths they refer to (symlink targets, file:// deps)."""
    entries = [e for e in _tree(rev, rel or ".", option) if e.mode != _SUBMODULE]
    blobs = _blobs(rev, [e.sha for e in entries], option)
    for e in entries:
        target = dest / e.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if e.mode == _SYMLINK:
            link = os.fsdecode(blobs[e.sha])
            if target.is_symlink() or target.exists():
                continue
            os.symlink(link, target)
            if inner := _within_repo(PurePosixPath(e.path).parent / link):
                yield inner
            continue
        target.write_bytes(blobs[e.sha])
        if e.mode == "100755":
            target.chmod(0o755)
        if target.name in ("Chart.yaml", "requirements.yaml"):
            for dep in _file_dependencies(blobs[e.sha]):
                if inner := _within_repo(PurePosixPath(e.path).parent / dep):
                    yield inner


def _within_repo(path: PurePosixPath) -> str | None:
    """A repository-relative path with `..` folded; None for an absolute path or one that leaves the repository."""
    if path.is_absolute():
        return None
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def _file_dependencies(text: bytes) -> Iterator[str]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    deps = data.get("dependencies") if isinstance(data, dict) else None
    for dep in deps if isinstance(deps, list) else ():
        repo = dep.get("repository") if isinstance(dep, dict) else None
        if isinstance(repo, str) and repo.startswith("file://"):
            yield repo.removeprefix("file://")


def read_at(repo: Path, commit: str, path: Path, option: str = "--changed-since") -> str | None:
    """A file's text at a commit (None when it did not exist there)."""
    try:
        rel = path.resolve().relative_to(repo).as_posix()
    except ValueError:
        return None
    listed = run_git(["ls-tree", "-z", commit, "--", rel], repo, option)
    if not listed.strip(b"\0"):
        return None
    return run_git(["show", f"{commit}:{rel}"], repo, option).decode("utf-8", "replace")
