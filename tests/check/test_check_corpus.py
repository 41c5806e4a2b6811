"""`chartgen check` against bench/check_corpus/: every known fault caught at error severity, no clean file flagged.

This is the in-process half of `python bench/corpus.py` (which also runs kubernetes-validate and helm lint on the
same files and prints the comparison). The rules of judgement live in bench/corpus.py and are shared: a fault counts
only if its `expect` rule is reported at ERROR, and a faulty file may not raise any other error rule except those its
header lists under `also`.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest
from support import REPO, helm_binary


def _load_corpus_module():
    spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()
FAULTS = corpus.load_faults()  # raises CorpusError (a collection error, never an empty list) when files are missing
CLEAN_FILES = corpus.load_clean_files()
ISTIO_CRD_FAULTS = corpus.load_faults(corpus.ISTIO_CRD_FAULTS)  # judged with Istio's CRDs in tests/corpus/


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


def test_clean_corpus_is_ours():
    """The clean cases are manifests we wrote (no renders of public charts): each says so in its header."""
    assert sorted(c.name for c in CLEAN_FILES) == ["db-statefulset", "mesh-teashop", "web-frontend"]
    for case in CLEAN_FILES:
        assert "written for chartgen's corpus" in case.text.split("---", 1)[0], case.name


@pytest.mark.parametrize("case", ISTIO_CRD_FAULTS, ids=[c.name for c in ISTIO_CRD_FAULTS])
def test_istio_crd_faults_without_crds_are_not_schema_checked_and_say_so(case):
    """Without Istio's CRDs these faults are not schema-checked: no schema error, and each Istio kind is reported as
    info. chartgen's own Istio rules may still prove one (a timeout without unit: CG-MESH-026, written from the CRD's
    CEL rule), and only they may."""
    from chartgen.check.command import check_text
    from chartgen.check.model import CheckOptions, Severity

    findings = check_text(case.text, case.id, CheckOptions(kube_version=corpus.CHECK_KUBE), case.namespace)
    errors = {f.rule for f in findings if f.severity == Severity.ERROR}
    assert {r for r in errors if not r.startswith(("CG-ISTIO-", "CG-MESH-"))} == set()
    istio_kinds = {f.resource.kind for f in findings if f.rule == "CG-SCHEMA-002"}
    assert {"Gateway", "VirtualService", "DestinationRule"} <= istio_kinds
