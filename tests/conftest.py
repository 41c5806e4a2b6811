"""Shared fixtures: the real helm binaries (4.1.4 and 3.17.2) and an isolated helm environment."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import installed
import pytest
from support import HELM_VERSIONS, helm_binary

from chartgen.helm.install import tools_dir
from chartgen.helm.runner import Helm

_OWN_CACHE: list[str] = []


def pytest_configure(config):
    """A test run never writes the real ~/.cache/chartgen: compiled templates, fragments and verify results go to a
    folder of the run's own, from the start (module- and session-scoped fixtures render too). The pinned helm
    copies stay where `make setup` installed them."""
    os.environ["CHARTGEN_TOOLS_DIR"] = str(tools_dir())
    _OWN_CACHE.append(tempfile.mkdtemp(prefix="chartgen-test-cache-"))
    os.environ["XDG_CACHE_HOME"] = _OWN_CACHE[-1]
    os.environ["CHARTGEN_CACHE_DIR"] = os.path.join(_OWN_CACHE[-1], "verify")
    # The Python processes the tests start (chartgen's commands, probes, hooks) keep their bytecode, as an installed
    # chartgen does (pip compiles it at install): with PYTHONDONTWRITEBYTECODE set (as in this sandbox) and a fresh
    # clone, every such process compiled chartgen's modules again (~1.2 s of CPU each). Python writes it beside the
    # sources, in the __pycache__ folders git ignores (a PYTHONPYCACHEPREFIX folder of the run's own would compile
    # the standard library and every installed package once more in each run).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_unconfigure(config):
    for folder in _OWN_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=HELM_VERSIONS, ids=[f"helm{v}" for v in HELM_VERSIONS])
def helm(request) -> Helm:
    h = helm_binary(request.param)
    assert h.version == request.param
    return h


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_cache(tmp_path_factory):
    """Nothing a test runs writes the developer's ~/.cache/chartgen: every cache (compiled templates, fragments,
    CRDs, the CEL parser, verify results, helm versions) lives in this session's folder. The pinned helm binaries
    `make setup` installed are linked into it, not copied."""
    from chartgen.helm import install as helm_install

    tools = tmp_path_factory.mktemp("user-cache") / "chartgen"
    for version in HELM_VERSIONS:
        installed = helm_install.installed_path(version)  # where `make setup` put it (before the move)
        if installed.is_file():
            (tools / "helm" / version).mkdir(parents=True)
            (tools / "helm" / version / "helm").symlink_to(installed.resolve())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tools.parent))
        mp.setenv("CHARTGEN_TOOLS_DIR", str(tools))
        mp.delenv("CHARTGEN_CACHE_DIR", raising=False)
        yield


@pytest.fixture(autouse=True)
def _isolated_helm_env(monkeypatch, tmp_path_factory):
    # helm must not read the developer's repositories/config; chartgen must not pick a helm from the environment.
    home = tmp_path_factory.mktemp("helmhome")
    monkeypatch.setenv("HELM_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("HELM_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("CHARTGEN_HELM", raising=False)
    monkeypatch.delenv("CHARTGEN_CRDS", raising=False)  # the developer's CRD paths must not change findings
    # the verify cache of a test run is its own (never the developer's ~/.cache/chartgen/verify)
    monkeypatch.setenv("CHARTGEN_CACHE_DIR", str(home / "verify-cache"))
    # and so is its cache of compiled CRD schemas (chartgen/check/crd_fast.py)
    monkeypatch.setenv("CHARTGEN_CRD_CACHE_DIR", str(home / "crd-schemas"))
    monkeypatch.delenv("CI", raising=False)
    yield


def pytest_addoption(parser):
    parser.addoption("--shared", default=None, help="path of shared/ (Istio CRDs, real-world renders) for "
                     "tests/corpus/; default $CHARTGEN_SHARED, else the shared/ folder beside the repo")


# --- chartgen as a user installs it (tests/installed.py): made once per worker, on first use ---------------------


@pytest.fixture(scope="session")
def source_repo(tmp_path_factory) -> installed.Source:
    """The working tree committed alone in a git repository outside the clone."""
    return installed.snapshot(tmp_path_factory.mktemp("source") / "chartgen")


@pytest.fixture(scope="session")
def built_wheel(source_repo, tmp_path_factory) -> Path:
    """`make dist` on the snapshot: the sdist, the wheel built from it, both twine-checked."""
    return installed.build_dist(source_repo, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def readme_venv(source_repo, tmp_path_factory) -> Path:
    """README's Install block run as written by a user whose HOME is new: a fresh venv holding chartgen (built by pip
    from the snapshot's git URL) alone, and helm; the venv's bin folder. The wheel's tests and the CI examples' run
    their commands with it (tests/test_installed.py proves the wheel of `make dist` installs the same files)."""
    return installed.readme_install(source_repo, tmp_path_factory.mktemp("readme-home"))
