"""tests/corpus/: measurement against ../shared (Istio's CRDs and real-world chart renders). Not part of `make test`
(the Makefile passes --ignore=tests/corpus); .ci/run runs it after the bare-clone suite:
    .venv/bin/pytest tests/corpus --shared ../shared
Every test here takes the corpus from a fixture and FAILS, naming the path, when it is missing: never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ISTIO_CRD_FILES = {"1.30": "crd-all.gen-1.30.3.yaml", "master": "crd-all.gen.yaml"}


from corpus_support import corpus_sets  # noqa: E402


def shared_path(config) -> Path:
    given = config.getoption("--shared") or os.environ.get("CHARTGEN_SHARED")
    return Path(given).resolve() if given else REPO.parent / "shared"


def _missing(path: Path) -> str:
    return (f"{path} is missing: tests/corpus/ needs shared/ (pass --shared PATH or set CHARTGEN_SHARED; "
            "CI puts it at ../shared)")


@pytest.fixture(scope="session")
def shared(request) -> Path:
    path = shared_path(request.config)
    if not path.is_dir():
        pytest.fail(_missing(path))
    return path


@pytest.fixture(scope="session")
def realworld(shared: Path) -> Path:
    try:
        return corpus_sets.require(shared / "realworld")
    except corpus_sets.CorpusMissing as err:
        pytest.fail(str(err))


@pytest.fixture(scope="session")
def istio_crds(shared: Path) -> dict[str, Path]:
    """Istio version -> its CRD file."""
    out = {v: shared / "schemas" / "istio" / name for v, name in ISTIO_CRD_FILES.items()}
    for path in out.values():
        if not path.is_file():
            pytest.fail(_missing(path))
    return out


def pytest_generate_tests(metafunc):
    """Parametrize over the corpus sets; when the corpus is missing, ONE case that fails with the reason."""
    if "rw_set" not in metafunc.fixturenames and "istio_sample" not in metafunc.fixturenames:
        return
    root = shared_path(metafunc.config) / "realworld"
    try:
        if "rw_set" in metafunc.fixturenames:
            sets = corpus_sets.sets(root)
            metafunc.parametrize("rw_set", [(k, v) for k, v in sets.items()], ids=list(sets), indirect=True)
        else:
            files = corpus_sets.istio_sample_files(root)
            metafunc.parametrize("istio_sample", files, ids=[str(p.relative_to(root)) for p in files], indirect=True)
    except corpus_sets.CorpusMissing as err:
        name = "rw_set" if "rw_set" in metafunc.fixturenames else "istio_sample"
        metafunc.parametrize(name, [pytest.param(err, id="corpus-missing")], indirect=True)



def _param(request):
    if isinstance(request.param, Exception):
        pytest.fail(str(request.param))
    return request.param


@pytest.fixture
def rw_set(request) -> tuple[str, list[Path]]:
    """(name, files) of one real-world set."""
    return _param(request)


@pytest.fixture
def istio_sample(request) -> Path:
    return _param(request)
