"""chartgen as a user gets it, not as the tree runs it: the working tree as a git repository of its own (what a
clone holds), the sdist and wheel built from it, fresh venvs outside the clone that hold only what pip installs.

The session fixtures of tests/conftest.py make each of these once per pytest worker; the tests that share one carry
the same `xdist_group` mark (`make test` runs `--dist loadgroup`), so each installation is made once per run.
Commands run with `user_env()`: no trace of the dev venv, the clone or the test settings of tests/conftest.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from support import REPO

DEV_BIN = Path(sys.executable).parent
# set by tests/conftest.py or the developer's shell: an installed chartgen must find its own
_CHARTGEN_VARS = ("CHARTGEN_HELM", "CHARTGEN_CACHE_DIR", "CHARTGEN_TOOLS_DIR", "CHARTGEN_BLUEPRINTS", "CHARTGEN_CRDS",
                  "CHARTGEN_SHARED")
_PYTHON_VARS = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "CI", "XDG_CACHE_HOME")
# pip's own cache stays the developer's (its wheels make each install a few seconds), wherever HOME or XDG point
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache",
                                                        "pip"))
TIMEOUT = 900  # one pip install from the index, one verify of a chart; a hang fails instead of stalling the run


def user_env(bin_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """os.environ less the dev venv (not on PATH), chartgen's and Python's settings and XDG_CACHE_HOME (so chartgen's
    caches are under HOME unless `extra` says where); `bin_dir` first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in _CHARTGEN_VARS + _PYTHON_VARS}
    env["PIP_CACHE_DIR"] = PIP_CACHE
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p).resolve() != DEV_BIN.resolve()]
    env["PATH"] = os.pathsep.join(([str(bin_dir)] if bin_dir else []) + path)
    env.update(extra)
    return env


def run(cmd: list[str | Path], cwd: Path, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command; with ok, fail the test (showing its output) unless it exits 0."""
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    if ok and res.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))}: exit {res.returncode}\n{res.stdout}\n{res.stderr}")
    return res


def git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", *args]
    return run(cmd, cwd, user_env()).stdout.strip()


@dataclass(frozen=True)
class Source:
    """The working tree (tracked and untracked files, less what .gitignore ignores) committed alone in `path`."""

    path: Path
    commit: str

    @property
    def pip_url(self) -> str:
        """The requirement that installs this commit, as the README's git URL install does."""
        return f"chartgen @ git+file://{self.path}@{self.commit}"


def snapshot(dest: Path) -> Source:
    """Uncommitted edits included, so a test run covers the tree it runs in (what .ci/run's clone has anyway)."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO, user_env()).stdout
    for rel in dict.fromkeys(r for r in listed.split("\0") if r):
        src = REPO / rel
        if not src.exists() and not src.is_symlink():  # deleted in the working tree
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel, follow_symlinks=False)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "snapshot of the working tree")
    return Source(dest, git(dest, "rev-parse", "HEAD"))


def build_dist(source: Source, out: Path) -> Path:
    """`make dist`'s commands on the snapshot: the sdist, the wheel from it (isolated builds), twine check."""
    run([DEV_BIN / "python", "-m", "build", "--outdir", out, source.path], source.path, user_env())
    files = sorted(out.iterdir())
    run([DEV_BIN / "twine", "check", "--strict", *files], out, user_env())
    wheels = [f for f in files if f.suffix == ".whl"]
    assert len(wheels) == 1 and len(files) == 2, files  # one sdist, one wheel
    return wheels[0]


def new_venv(dest: Path) -> Path:
    """A fresh venv (as the README's `python3 -m venv`); its bin folder."""
    run([sys.executable, "-m", "venv", dest], dest.parent, user_env())
    return dest / "bin"
