"""`chartgen check` against bench/check_corpus/: every known fault caught at error severity, no clean file flagged.

This is the in-process half of `python bench/corpus.py` (which also runs kubernetes-validate and helm lint on the
same files and prints the comparison). The rules of judgement live in bench/corpus.py and are shared: a fault counts
only if its `expect` rule is reported at ERROR, and a faulty file may not raise any other error rule except those its
header lists under `also`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from support import REPO, helm_binary

SHARED = Path(__file__).resolve().parents[1].parent / "shared"  # CI clones the repo with shared/ beside it


def _load_corpus_module():
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()
FAULTS = corpus.load_faults()
CLEAN_FILES = corpus.load_clean_files()


def test_corpus_covers_every_layer():
    from chartgen.check.registry import all_rules
    from chartgen.check.runner import load_rule_modules

    load_rule_modules()
    known = {r.id for r in all_rules()}
    assert len(FAULTS) >= 40
    by_layer = {layer: [c for c in FAULTS if c.layer == layer] for layer in corpus.LAYERS}
    assert all(len(cases) >= 5 for cases in by_layer.values()), {k: len(v) for k, v in by_layer.items()}
    assert len([c for c in FAULTS if c.derived_from]) >= 5  # helm output of generated-charts/ with one edit
    for case in FAULTS:
        assert case.expect in known, f"{case.id}: unknown rule {case.expect}"
        assert case.also <= known, f"{case.id}: unknown rule in also: {sorted(case.also - known)}"
        assert case.profile in ("default", "prod"), case.id
    # posture warnings need --profile prod to be errors; every other layer must fail the default profile
    assert all(c.profile == "default" for c in FAULTS if c.layer != "posture")


@pytest.mark.parametrize("case", FAULTS, ids=[c.name for c in FAULTS])
def test_fault_is_caught(case):
    verdict = corpus.chartgen_verdict(case)
    assert verdict.flagged, f"{case.description}: expected {case.expect} at error, got {verdict.detail}"
    assert not verdict.unexpected, f"{case.id} also reports {verdict.unexpected} at error"


@pytest.mark.parametrize("case", CLEAN_FILES, ids=[c.name for c in CLEAN_FILES])
def test_clean_file_has_no_errors(case):
    verdict = corpus.chartgen_verdict(case)
    assert not verdict.flagged, verdict.detail


def test_rendered_charts_have_no_errors(tmp_path):
    """generated-charts/ (every env; the prod env also under --profile prod without a single warning) and the
    chart of `helm create` (defaults, and with autoscaling/ingress/httpRoute on), rendered now."""
    helm = helm_binary(corpus.HELM_VERSION)
    cases = corpus.render_generated(helm, jobs=4) + corpus.render_helm_create(helm, tmp_path)
    assert len([c for c in cases if c.strict_warnings]) == len(list(corpus.GENERATED.glob("*/Chart.yaml")))
    flagged = {c.id: v.detail for c in cases if (v := corpus.chartgen_verdict(c)).flagged}
    assert flagged == {}


@pytest.mark.skipif(not (SHARED / "realworld").is_dir(), reason="shared/ is not beside the repo")
def test_clean_copies_match_shared_realworld():
    realworld = SHARED / "realworld"
    copies = {"helm-create-helm3.yaml": realworld / "helm-create" / "helm3-default.yaml",
              "helm-create-helm4.yaml": realworld / "helm-create" / "helm4-default.yaml",
              **{f"bitnami-{n}.yaml": realworld / "bitnami" / f"{n}.yaml" for n in ("nginx", "postgresql", "redis")}}
    for name, source in copies.items():
        assert (corpus.CLEAN / name).read_bytes() == source.read_bytes(), name
    # bookinfo: its four files, checked together, concatenated in this order
    parts = ("bookinfo", "bookinfo-gateway", "destination-rule-all", "virtual-service-reviews-80-20")
    expected = [d for p in parts for d in yaml.safe_load_all((realworld / "bookinfo" / f"{p}.yaml").read_text())
                if d is not None]
    got = [d for d in yaml.safe_load_all((corpus.CLEAN / "bookinfo.yaml").read_text()) if d is not None]
    assert got == expected
