"""Shared fixtures: the real helm binaries (4.1.4 and 3.17.2) and an isolated helm environment."""

from __future__ import annotations

from pathlib import Path

import installed
import pytest
from support import HELM_VERSIONS, helm_binary

from chartgen.helm import Helm


@pytest.fixture(params=HELM_VERSIONS, ids=[f"helm{v}" for v in HELM_VERSIONS])
def helm(request) -> Helm:
    h = helm_binary(request.param)
    assert h.version == request.param
    return h


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
def wheel_venv(built_wheel, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel alone (its dependencies from the index); its bin folder."""
    bin_dir = installed.new_venv(tmp_path_factory.mktemp("wheel") / "venv")
    installed.run([bin_dir / "pip", "install", "--quiet", built_wheel], bin_dir, installed.user_env(bin_dir))
    return bin_dir
