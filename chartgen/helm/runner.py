"""Find and run helm (3 or 4). The only place chartgen starts a subprocess for helm."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from chartgen.core import read_log
from chartgen.core.errors import HelmNotFound
from chartgen.core.input_digest import file_sha256
from chartgen.core.record import Record, record
from chartgen.helm import install as helm_install

DEFAULT_KUBE_VERSION = "1.31.0"


# Variables through which a user's setup could change what helm renders or lints.
_HELM_VARS = ("HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_CACHE_HOME", "HELM_PLUGINS", "HELM_REPOSITORY_CONFIG",
              "HELM_REPOSITORY_CACHE", "HELM_REGISTRY_CONFIG", "HELM_CONTENT_CACHE", "HELM_DRIVER",
              "HELM_POST_RENDERER", "HELM_KUBECONTEXT", "HELM_NAMESPACE", "KUBECONFIG", "XDG_CONFIG_HOME",
              "XDG_DATA_HOME", "XDG_CACHE_HOME")


# helm runs for a fraction of a second: Go's garbage collector is ~20 % of such a process's CPU at its default
# (GOGC=100; bench/README.md, "helm's garbage collector"). Collecting at 5x the live heap instead of 2x saves most of
# it; switched off, a lint of a chart's environments grew to ~115 MiB and ran ~12 % longer than at 400 (page faults
# of fresh memory; bench/README.md, issue 27 round 8). A soft memory limit bounds big charts. Kept when the user
# tuned Go.
_GO_RUNTIME = {"GOGC": "400", "GOMEMLIMIT": "384MiB"}


def user_helm_env() -> dict[str, str]:
    """The HELM_* variables of the user's environment that still reach helm (isolated_env replaces the others)."""
    return {k: v for k, v in os.environ.items() if k.startswith("HELM_") and k not in _HELM_VARS}


def isolated_env(home: str) -> dict[str, str]:
    """os.environ with every helm home (config, data, plugins, cache, repositories) in the empty folder `home`,
    and Go's collector tuned for a short process (unless GOGC or GOMEMLIMIT is set)."""
    env = {k: v for k, v in os.environ.items() if k not in _HELM_VARS}
    if "GOGC" not in env and "GOMEMLIMIT" not in env:
        env.update(_GO_RUNTIME)
    base = Path(home)
    for var, sub in (("HELM_CONFIG_HOME", "config"), ("HELM_DATA_HOME", "data"), ("HELM_CACHE_HOME", "cache"),
                     ("HELM_PLUGINS", "plugins"), ("HELM_REPOSITORY_CONFIG", "config/repositories.yaml"),
                     ("HELM_REPOSITORY_CACHE", "cache/repository"), ("HELM_REGISTRY_CONFIG", "config/registry.json"),
                     ("KUBECONFIG", "kubeconfig")):
        env[var] = str(base / sub)
    return env


# helm commands that write nothing into their home (tests/helm/test_helm_isolation.py runs them and looks)
_WRITE_NOTHING = frozenset({"lint", "template", "version"})


def empty_home() -> str | None:
    """chartgen's lasting empty helm home, for the commands that write nothing: no folder made and removed for each
    helm process (~1 ms each on some file systems). None when it cannot be made, or is not empty (then the run gets
    a fresh temporary home, as every other command does)."""
    home = os.path.join(helm_install.tools_dir(), "helm-home")
    try:
        with os.scandir(home) as entries:
            return home if next(entries, None) is None else None
    except FileNotFoundError:
        try:
            os.makedirs(home, exist_ok=True)
        except OSError:
            return None
        return home
    except OSError:
        return None


@record
class HelmResult(Record):
    ok: bool
    stdout: str
    stderr: str
    command: tuple[str, ...]

    @property
    def message(self) -> str:
        return (self.stderr.strip() or self.stdout.strip())


@record
class Helm(Record):
    path: str

    @classmethod
    def known(cls, path: str, version: str, sha256: str) -> Helm:
        """A helm whose version and sha256 are already proven (chartgen's own copy, its pinned sha256 verified):
        neither `helm version` nor a read of the binary is needed."""
        helm = cls(path)
        helm.__dict__.update(version=version, sha256=sha256)  # the cached_properties below, filled
        return helm

    @cached_property
    def version(self) -> str:
        out = self.run("version", "--short", timeout=60)
        m = re.search(r"v(\d+\.\d+\.\d+)", out.stdout)
        return m.group(1) if m else "unknown"

    @cached_property
    def sha256(self) -> str:
        """The binary's sha256 (its identity in the verify cache key); raises input_digest.Uncacheable when the file
        cannot be read."""
        return file_sha256(Path(self.path).resolve()).hex()

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0]) if self.version[0].isdigit() else 0

    def run(self, *args: str, timeout: int = 300, started: Any = None) -> HelmResult:
        """`started`: a threading.Event set once the process is started."""
        cmd = (self.path, *args)
        import subprocess

        home = empty_home() if args and args[0] in _WRITE_NOTHING else None
        if home is not None and started is not None:
            with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=isolated_env(home)) as p:
                started.set()
                try:
                    out, err = p.communicate(timeout=timeout)
                except BaseException:
                    p.kill()
                    raise
            return HelmResult(p.returncode == 0, out, err, cmd)
        if home is not None:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=isolated_env(home))
        else:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="chartgen-helm-home-") as tmp:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=isolated_env(tmp))
        return HelmResult(proc.returncode == 0, proc.stdout, proc.stderr, cmd)

    def lint(self, chart: Path, values: list[Path], *, strict: bool = True,
             kube_version: str = DEFAULT_KUBE_VERSION) -> HelmResult:
        args = ["lint", str(chart), "--kube-version", kube_version]
        if strict:
            args.append("--strict")
        for v in values:
            args += ["-f", str(v)]
        return self.run(*args)

    def template(self, chart: Path, release: str, namespace: str, values: list[Path], *,
                 kube_version: str = DEFAULT_KUBE_VERSION, set_values: list[str] | None = None,
                 show_only: list[str] | None = None, api_versions: Sequence[str] = ()) -> HelmResult:
        """`api_versions`: APIs the rendering may assume the cluster has (.Capabilities.APIVersions)."""
        args = ["template", release, str(chart), "-n", namespace, "--kube-version", kube_version]
        for a in api_versions:
            args += ["--api-versions", a]
        for v in values:
            args += ["-f", str(v)]
        for s in set_values or []:
            args += ["--set", s]
        for s in show_only or []:
            args += ["--show-only", s]
        return self.run(*args)


def _executable(path: str | os.PathLike[str]) -> bool:
    p = Path(path)
    ok = p.is_file() and os.access(p, os.X_OK)
    read_log.note_exec(path, ok)
    return ok


def _which(name: str) -> str | None:
    import shutil  # only when helm is looked up on PATH (shutil pulls in the compression modules)

    found = shutil.which(name)
    read_log.note_which(name, found)
    return found


def find_helm(explicit: str | None = None) -> Helm:
    """--helm, then $CHARTGEN_HELM, then chartgen's installed copy, then helm on PATH."""
    for source, candidate in (("--helm", explicit), ("CHARTGEN_HELM", os.environ.get("CHARTGEN_HELM"))):
        if candidate:
            resolved = candidate if _executable(candidate) else _which(candidate)
            if not resolved:
                raise HelmNotFound(candidate, source, "is not an executable helm binary")
            return Helm(str(resolved))
    for version in (helm_install.DEFAULT_VERSION, *sorted(helm_install.RELEASES)):
        p = helm_install.installed_path(version)
        if _executable(p):
            if not helm_install.verified(version):
                raise HelmNotFound(str(p), None, f"does not match the pinned sha256 of helm {version} (changed "
                                                 f"since it was installed); run `chartgen helm install --force "
                                                 f"{version}`")
            return Helm.known(str(p), version, helm_install.RELEASES[version].sha256)
    on_path = _which("helm")
    if on_path:
        return Helm(on_path)
    raise HelmNotFound(
        "helm", None,
        "no helm found: pass --helm PATH, set CHARTGEN_HELM, run `chartgen helm install`, or put helm on PATH",
    )
