"""The operator rules against the operators' real CRDs (shared/schemas/operators): every valid twin of the operator
coverage entries is valid for the CRD schemas too (a twin the API server would refuse proves nothing), and every
fault still raises its rule when the CRDs are given."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.check.command import check_text
from chartgen.check.coverage.operators import ENTRIES
from chartgen.check.model import CheckOptions, Severity

CASES = Path(__file__).resolve().parents[1] / "check" / "coverage"
MAPPED = [e for e in ENTRIES if e.rules]
OPERATORS = ("argo-rollouts", "cert-manager", "external-secrets", "keda", "prometheus-operator")


@pytest.fixture(scope="session")
def operator_crds(shared: Path) -> tuple[str, ...]:
    folders = [shared / "schemas" / "operators" / name for name in OPERATORS]
    for folder in folders:
        if not any(folder.glob("*.yaml")):
            pytest.fail(f"{folder} has no CRDs: tests/corpus needs shared/schemas/operators")
    return tuple(str(f) for f in folders)


@pytest.mark.parametrize("entry", MAPPED, ids=[e.id for e in MAPPED])
def test_twin_is_valid_for_the_crds_and_fault_still_raises(entry, operator_crds, istio_crds):
    opts = CheckOptions(kube_version="1.31", crds=(*operator_crds, str(istio_crds["1.30"])))
    twin = check_text((CASES / f"{entry.id}.twin.yaml").read_text(), "twin.yaml", opts)
    assert not [f for f in twin if f.severity >= Severity.ERROR], [f"{f.rule}: {f.message}" for f in twin]
    assert not [f for f in twin if f.rule == "CG-SCHEMA-002"], "a twin kind was not schema-checked"
    fault = check_text((CASES / f"{entry.id}.fault.yaml").read_text(), "fault.yaml", opts)
    assert {f.rule for f in fault} & set(entry.rules)


def test_the_wired_operators_app_is_valid_for_the_crds(operator_crds):
    text = (CASES.parent / "fixtures" / "operators-app.yaml").read_text()
    found = check_text(text, "operators-app.yaml", CheckOptions(kube_version="1.31", crds=operator_crds))
    assert not [f for f in found if f.severity >= Severity.ERROR], [f"{f.rule}: {f.message}" for f in found]
    assert not [f for f in found if f.rule == "CG-SCHEMA-002"]
