"""The generic CRD layer against Istio's real CRDs (shared/schemas/istio): as strict as the Istio-only layer it
replaced (the fault corpus gives the same findings), no false error on any Istio object of the real-world corpus,
and chartgen's own rendered Istio objects validate against both CRD versions."""

from __future__ import annotations

import pytest
import yaml
from corpus_support import bench_module, corpus_sets

from chartgen.check.command import check_text
from chartgen.check.loader import load_paths
from chartgen.check.model import CheckOptions
from chartgen.check.runner import run_checks

corpus = bench_module("corpus")
CRD_RULES = ("CG-CRD-001", "CG-CRD-002")
EMITTED_KINDS = ("Gateway", "VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy")
ISTIO_CRD_FAULTS = corpus.load_faults(corpus.ISTIO_CRD_FAULTS)
ALL_CORPUS = corpus.load_faults() + corpus.load_clean_files()


@pytest.mark.parametrize("version", ["1.30", "master"])
@pytest.mark.parametrize("case", ISTIO_CRD_FAULTS, ids=[c.name for c in ISTIO_CRD_FAULTS])
def test_istio_crd_faults_are_caught_with_the_crds(case, version, istio_crds):
    case = corpus.Case(**{**case.__dict__, "crds": (str(istio_crds[version]),)})
    verdict = corpus.chartgen_verdict(case)
    assert verdict.flagged, f"{case.description}: expected {case.expect} at error, got {verdict.detail}"
    assert not verdict.unexpected, f"{case.id} also reports {verdict.unexpected} at error"


@pytest.mark.parametrize("case", ALL_CORPUS, ids=[c.id for c in ALL_CORPUS])
def test_the_rest_of_the_corpus_is_unchanged_by_the_istio_crds(case, istio_crds):
    """Measured when the bundled Istio layer was replaced (commit 66c2192 vs this layer with --crds 1.30.3: the
    same rule/severity/field on all 91 files): the CRDs add findings only to needs-istio-crds/, and only replace
    the "no schema" infos here."""
    opts = dict(kube_version=corpus.CHECK_KUBE, profile=case.profile)
    without = check_text(case.text, case.id, CheckOptions(**opts), case.namespace)
    with_crds = check_text(case.text, case.id, CheckOptions(**opts, crds=(str(istio_crds["1.30"]),)), case.namespace)
    key = [(f.rule, f.severity, f.field, f.message) for f in without if f.rule != "CG-SCHEMA-002"]
    assert [(f.rule, f.severity, f.field, f.message) for f in with_crds] == key


def test_every_istio_sample_is_schema_clean(istio_sample, istio_crds):
    docs = load_paths([str(istio_sample)])
    for version, path in istio_crds.items():
        found = [f for f in run_checks(docs, CheckOptions(crds=(str(path),)), "demo") if f.rule in CRD_RULES]
        assert found == [], f"{version}: {[f.message for f in found]}"


def test_real_world_charts_rendering_crds_validate_their_custom_resources(realworld, istio_crds):
    """istio-base renders Istio's CRDs; other charts render theirs (cert-manager, argo, otel-operator...): no CRD
    error on any of them, with and without the Istio CRD file."""
    sets = corpus_sets.chart_sets(realworld)
    validated = 0
    for name, paths in sets.items():
        docs = load_paths([str(p) for p in paths])
        for opts in (CheckOptions(), CheckOptions(crds=(str(istio_crds["1.30"]),))):
            found = run_checks(docs, opts, "demo")
            assert [f.message for f in found if f.rule in CRD_RULES] == [], name
        validated += sum(1 for d in docs if d.kind == "CustomResourceDefinition")
    assert validated > 20


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1alpha3"])
def test_every_served_istio_version_is_accepted(version, istio_crds):
    text = (f"apiVersion: networking.istio.io/{version}\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n"
            "  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n"
            "    hosts: [example.com]\n    tls: {mode: SIMPLE, credentialName: web-cert}\n")
    for path in istio_crds.values():
        assert [f for f in check_text(text, "gw.yaml", CheckOptions(crds=(str(path),))) if f.rule.startswith("CG-CRD")
                or f.rule == "CG-SCHEMA-002"] == []


def test_master_only_fields_depend_on_the_crd_file(istio_crds):
    gw = ("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  servers:\n"
          "  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [a.example.com]\n"
          "    tls: {mode: SIMPLE, credentialName: c, insecureSkipVerify: true}\n")
    by_version = {v: [f.field for f in check_text(gw, "gw.yaml", CheckOptions(crds=(str(p),)))
                      if f.rule == "CG-CRD-001"] for v, p in istio_crds.items()}
    assert by_version == {"1.30": ["spec.servers[0].tls.insecureSkipVerify"], "master": []}


def test_no_cel_rule_of_an_emitted_kind_is_skipped(istio_crds):
    docs = []
    for kind in EMITTED_KINDS:
        group = "networking" if kind in EMITTED_KINDS[:3] else "security"
        docs.append(f"apiVersion: {group}.istio.io/v1\nkind: {kind}\nmetadata: {{name: x}}\nspec: {{}}\n")
    for path in istio_crds.values():
        found = check_text("---\n".join(docs), "k.yaml", CheckOptions(crds=(str(path),)))
        assert [f.message for f in found if f.rule == "CG-CRD-003"] == []


# --- chartgen's own Istio objects, rendered by helm, against the real CRDs (moved from test_istio_blueprints) ---

from generate.test_istio_blueprints import ISTIO_KINDS, WEBAPP, charts, render  # noqa: E402,F401  (charts: a fixture)


def test_crd_validation_catches_unknown_fields(istio_crds):
    bad = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "x"},
           "spec": {"hosts": ["x"], "http": [{"route": [{"destination": {"host": "x"}, "wieght": 5}]}]}}
    found = check_text(yaml.safe_dump(bad), "vs.yaml", CheckOptions(crds=(str(istio_crds["1.30"]),)))
    assert [(f.rule, f.field) for f in found if f.rule.startswith("CG-CRD")] == [
        ("CG-CRD-001", "spec.http[0].route[0].wieght")]


def test_rendered_istio_objects_validate_against_the_crds(helm, charts, istio_crds):  # noqa: F811
    seen = set()
    cases = [(WEBAPP, env, ns) for env, ns in (("dev", "development"), ("staging", "staging"), ("prod", "production"))]
    cases += [(charts[k], env, "shop") for k in ("flagger", "argo", "store", "scaffold") for env in ("dev", "prod")]
    for chart, env, ns in cases:
        docs = [d for d in render(helm, chart, env, ns) if d["apiVersion"].split("/")[0].endswith(".istio.io")]
        seen |= {d["kind"] for d in docs}
        text = "\n---\n".join(yaml.safe_dump(d) for d in docs)
        for version, path in istio_crds.items():
            found = check_text(text, "rendered.yaml", CheckOptions(crds=(str(path),)), ns)
            assert [f.message for f in found if f.rule.startswith("CG-CRD") or f.rule == "CG-SCHEMA-002"] == [], \
                f"{chart.name} {env} ({version})"
    assert seen == set(ISTIO_KINDS)


@pytest.mark.parametrize("case", ALL_CORPUS, ids=[c.id for c in ALL_CORPUS])
def test_the_crd_fast_path_changes_no_finding(case, istio_crds, monkeypatch):
    """chartgen/check/crd_fast.py only skips the full validator for documents it proves valid: every case of the
    corpus gets the same findings with it and without it, against both Istio CRD versions."""
    from chartgen.check import crd_fast

    for path in istio_crds.values():
        opts = CheckOptions(kube_version=corpus.CHECK_KUBE, profile=case.profile, crds=(str(path),))
        fast = [(f.rule, f.severity, f.field, f.message) for f in check_text(case.text, case.id, opts, case.namespace)]
        with monkeypatch.context() as m:
            m.setattr(crd_fast, "fast_check", lambda crd, version: None)
            full = check_text(case.text, case.id, opts, case.namespace)
        assert fast == [(f.rule, f.severity, f.field, f.message) for f in full]


def test_the_crd_fast_path_covers_the_istio_samples(istio_sample, istio_crds):
    """Every Istio object of the samples passes the fast path (none falls back to jsonschema and celpy), so the
    speed-up holds for real objects, not only for the benchmark's."""
    from chartgen.check import crd_fast
    from chartgen.check.crd_schema import catalog, custom_resources, prune_nulls
    from chartgen.check.model import ManifestIndex

    docs = load_paths([str(istio_sample)])
    opts = CheckOptions(crds=(str(istio_crds["1.30"]),))
    index = ManifestIndex(docs)
    slow = []
    for doc in custom_resources(index, opts):
        group, version = doc.api_version.rsplit("/", 1)
        crd = catalog(index, opts).lookup(group, doc.kind)
        if crd is None or version not in crd.versions or not crd.group.endswith("istio.io"):
            continue
        fc = crd_fast.fast_check(crd, version)
        if fc is None or not crd_fast.passes(fc, prune_nulls(doc.obj)):
            slow.append(f"{doc.kind} {doc.name}")
    assert slow == []
