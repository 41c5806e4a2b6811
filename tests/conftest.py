"""Shared fixtures: the real helm binaries (4.1.4 and 3.17.2) and an isolated helm environment."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from chartgen.helm import Helm
from chartgen.helm_install import tools_dir
from support import HELM_VERSIONS, helm_binary

_OWN_CACHE: list[str] = []


def pytest_configure(config):
    """A test run never writes the real ~/.cache/chartgen: compiled templates, fragments and verify results go to a
    folder of the run's own, from the start (module- and session-scoped fixtures render too). The pinned helm
    copies stay where `make setup` installed them."""
    os.environ["CHARTGEN_TOOLS_DIR"] = str(tools_dir())
    _OWN_CACHE.append(tempfile.mkdtemp(prefix="chartgen-test-cache-"))
    os.environ["XDG_CACHE_HOME"] = _OWN_CACHE[-1]
    os.environ["CHARTGEN_CACHE_DIR"] = os.path.join(_OWN_CACHE[-1], "verify")


def pytest_unconfigure(config):
    for folder in _OWN_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


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
