"""chartgen as a user gets it, not as the tree runs it: the working tree as a git repository of its own (what a
clone holds), the sdist and wheel built from it, fresh venvs outside the clone that hold only what pip installs.

The session fixtures of tests/conftest.py make each of these once per pytest worker; the tests that share one carry
the same `xdist_group` mark (`make test` runs `--dist loadgroup`), so each installation is made once per run. One
venv serves the README's Install, the CI examples and the wheel's commands: README's block installs chartgen alone
into it, and tests/test_installed.py proves the wheel of `make dist` is, file for file, what that install holds.
Commands run with `user_env()`: no trace of the dev venv, the clone or the test settings of tests/conftest.py.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
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
# how the README and the CI examples name chartgen; tests put the snapshot's git URL and commit in its place
PLACEHOLDER = "git+https://git.example.com/platform/chartgen.git@v0.1.0"
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


def readme_install_block() -> str:
    """The one shell block of README's Install section."""
    section = (REPO / "README.md").read_text().split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "README's Install section has one shell block"
    return blocks[0]


def pinned(text: str, source: Source) -> str:
    """`text` with the placeholder git URL replaced by the snapshot's, pinned to its commit."""
    assert text.count(PLACEHOLDER) >= 1, "the install names chartgen by its git URL and a pin"
    return text.replace(PLACEHOLDER, f"git+file://{source.path}@{source.commit}")


def readme_install(source: Source, home: Path) -> Path:
    """README's Install block run as written by a user whose HOME is `home` (new); the bin folder of its venv."""
    script = pinned(readme_install_block(), source)
    run(["bash", "-euo", "pipefail", "-c", script], home, user_env(None, HOME=str(home)))
    return home / ".venvs" / "chartgen" / "bin"


# pip writes these into an installed distribution's .dist-info (they are not in the wheel, or differ by design)
_INSTALL_ONLY = ("INSTALLER", "REQUESTED", "RECORD", "direct_url.json")


def wheel_files(wheel: Path) -> dict[str, str]:
    """Each file of a wheel (its own RECORD left out) and its sha256, as RECORD writes it."""
    with zipfile.ZipFile(wheel) as whl:
        return {name: _record_hash(whl.read(name)) for name in whl.namelist()
                if not name.endswith(".dist-info/RECORD")}


def installed_files(bin_dir: Path, dist: str) -> dict[str, str]:
    """Each file pip installed of `dist` into the venv of `bin_dir`, from its RECORD, re-hashed from the disk (so an
    edit after the install shows), less bytecode, the console scripts and pip's own .dist-info files."""
    site = Path(run([bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    bin_dir, user_env(bin_dir)).stdout.strip())
    records = list(site.glob(f"{dist}-*.dist-info/RECORD"))
    assert len(records) == 1, records
    found = {}
    with records[0].open(newline="") as f:
        for name, _digest, _size in csv.reader(f):
            if name.startswith("..") or name.endswith(".pyc") or name.rsplit("/", 1)[-1] in _INSTALL_ONLY:
                continue
            found[name] = _record_hash((site / name).read_bytes())
    return found


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
