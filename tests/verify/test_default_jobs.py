"""`chartgen verify --jobs` defaults to one more job than CPUs (a core stays busy with helm while another job's Python
holds the interpreter; bench/README.md, issue 27), and a chart's drift check runs in a thread of its own beside them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chartgen.verify import chart as verify_chart
from chartgen.verify.command import default_jobs


@pytest.mark.parametrize(("cpus", "jobs"), [(1, 2), (2, 3), (8, 9), (None, 2)])
def test_one_job_more_than_cpus(monkeypatch: pytest.MonkeyPatch, cpus: int | None, jobs: int) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert default_jobs() == jobs


def test_a_charts_drift_check_runs_beside_its_environments_not_after_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The drift check (Python) has a thread of its own: it neither takes a helm job's slot nor waits for one. Here
    the only job slot is held by an environment that finishes only once the drift check has run."""
    import threading

    drift_ran = threading.Event()

    def env_job(target, env, *rest, **kwargs):  # type: ignore[no-untyped-def]
        assert drift_ran.wait(timeout=30), "the drift check waited for the environments"
        return verify_chart.EnvResult(str(target.path), env.name, env.namespace)

    def level_job(*args):  # type: ignore[no-untyped-def]
        drift_ran.set()
        return verify_chart.ChartLevel([], [])

    monkeypatch.setattr(verify_chart, "verify_env", env_job)
    monkeypatch.setattr(verify_chart, "chart_level", level_job)
    target = verify_chart.ChartTarget(Path("c"), "c", "1.31.0", (verify_chart.EnvTarget("dev", "d", None),))
    prepared = type("P", (), {"missing": [], "sources": []})()
    out = verify_chart._run_targets([target], verify_chart.Helms(verify_chart.Helm("helm")),
                                    verify_chart.VerifyOptions(), 1, verify_chart.Progress(), {},
                                    {target.path: prepared})
    assert [e.env for e in out[0].envs] == ["dev"] and drift_ran.is_set()
