"""Shared fixtures: the real helm binaries (4.1.4 and 3.17.2) and an isolated helm environment."""

from __future__ import annotations

import pytest

from chartgen.helm import Helm
from chartgen.helm_install import tools_dir
from support import HELM_VERSIONS, helm_binary

TOOLS_DIR = tools_dir()  # the pinned helm copies `make setup` installed, found before the user cache moves


@pytest.fixture(params=HELM_VERSIONS, ids=[f"helm{v}" for v in HELM_VERSIONS])
def helm(request) -> Helm:
    h = helm_binary(request.param)
    assert h.version == request.param
    return h


@pytest.fixture(scope="session")
def _user_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("user-cache")


@pytest.fixture(autouse=True)
def _isolated_helm_env(monkeypatch, tmp_path_factory, _user_cache):
    # helm must not read the developer's repositories/config; chartgen must not pick a helm from the environment.
    home = tmp_path_factory.mktemp("helmhome")
    monkeypatch.setenv("HELM_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("HELM_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("CHARTGEN_HELM", raising=False)
    monkeypatch.delenv("CHARTGEN_CRDS", raising=False)  # the developer's CRD paths must not change findings
    # the verify cache of a test run is its own (never the developer's ~/.cache/chartgen/verify)
    monkeypatch.setenv("CHARTGEN_CACHE_DIR", str(home / "verify-cache"))
    # compiled templates and fragments of a test run are its own too (never the real ~/.cache/chartgen); one folder
    # for the session, as the blueprint library keeps its template environment for the process
    monkeypatch.setenv("XDG_CACHE_HOME", str(_user_cache))
    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(TOOLS_DIR))
    monkeypatch.delenv("CI", raising=False)
    yield


def pytest_addoption(parser):
    parser.addoption("--shared", default=None, help="path of shared/ (Istio CRDs, real-world renders) for "
                     "tests/corpus/; default $CHARTGEN_SHARED, else the shared/ folder beside the repo")
