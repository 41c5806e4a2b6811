"""Shared fixtures: the repository, shared/ beside it, and the real helm binaries (4.1.4 and 3.17.2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chartgen import helm_install
from chartgen.helm import Helm

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CHARTS = REPO / "generated-charts"
KUBE_VERSION = "1.31.0"  # pinned: helm 3.17 and 4.1 default to different versions
HELM_VERSIONS = ("4.1.4", "3.17.2")


def helm_binary(version: str) -> Helm:
    path = helm_install.installed_path(version)
    if not path.is_file():
        pytest.fail(f"helm {version} is not installed at {path}; run `make setup` (chartgen helm install)")
    return Helm(str(path))


@pytest.fixture(params=HELM_VERSIONS, ids=[f"helm{v}" for v in HELM_VERSIONS])
def helm(request) -> Helm:
    h = helm_binary(request.param)
    assert h.version == request.param
    return h


def chart_dirs() -> list[Path]:
    return sorted(p.parent for p in CHARTS.glob("*/chartgen.yaml"))


@pytest.fixture(autouse=True)
def _isolated_helm_env(monkeypatch, tmp_path_factory):
    # helm must not read the developer's repositories/config; chartgen must not pick a helm from the environment.
    home = tmp_path_factory.mktemp("helmhome")
    monkeypatch.setenv("HELM_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("HELM_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("CHARTGEN_HELM", raising=False)
    yield
