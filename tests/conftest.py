"""Shared fixtures: the real helm binaries (4.1.4 and 3.17.2) and an isolated helm environment."""

from __future__ import annotations

import pytest

from chartgen.helm import Helm
from support import HELM_VERSIONS, helm_binary


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
    # and so is its cache of compiled CRD schemas (chartgen/check/crd_fast.py)
    monkeypatch.setenv("CHARTGEN_CRD_CACHE_DIR", str(home / "crd-schemas"))
    monkeypatch.delenv("CI", raising=False)
    yield


def pytest_addoption(parser):
    parser.addoption("--shared", default=None, help="path of shared/ (Istio CRDs, real-world renders) for "
                     "tests/corpus/; default $CHARTGEN_SHARED, else the shared/ folder beside the repo")
