"""Property test over the whole spec space (issue 20): every valid chartgen.yaml generates a chart that passes
`chartgen verify` under helm 4.1.4 and 3.17.2 and `chartgen check --profile prod` with no error and no warning beyond
the documented waivers; every invalid one is exit 2 with nothing written. A fixed-seed slice (two batches of three
specs of three blueprints, verified together); bench/spec_space.py runs a larger one. The strategy is tests/spec_space.py."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from spec_space import Case, Outcome, cases, run_cases
from support import HELM_VERSIONS, helm_binary

SEEN = Outcome()


@seed(20261207)
@settings(max_examples=2, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(cases(), min_size=3, max_size=3, unique_by=lambda c: c.spec["blueprint"]))  # 3 blueprints a batch
def _slice(root, batch: list[Case]) -> None:
    out = run_cases(batch, root / f"b{SEEN.tried}", [helm_binary(v) for v in HELM_VERSIONS])
    SEEN.tried += out.tried
    SEEN.refused += out.refused
    SEEN.failures += out.failures


def test_every_valid_spec_verifies_and_every_invalid_one_is_refused(tmp_path):
    SEEN.tried, SEEN.refused, SEEN.failures = 0, 0, []
    _slice(root=tmp_path)
    assert SEEN.tried == 6
    assert not SEEN.failures, "\n\n".join(SEEN.failures)
