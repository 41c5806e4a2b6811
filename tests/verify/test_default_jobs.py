"""`chartgen verify --jobs` defaults to one more job than CPUs (a core stays busy with helm while another job's Python
holds the interpreter; bench/README.md, issue 27), and a chart's environments are queued before its drift check."""

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


def test_a_charts_environments_are_queued_before_its_drift_check(monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []

    class Pool:  # records what is submitted, in order, and runs nothing
        def __init__(self, max_workers: int) -> None: ...
        def __enter__(self) -> Pool: return self
        def __exit__(self, *exc: object) -> None: ...

        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            order.append(fn.__name__)
            raise StopIteration  # stop after the first chart's submissions

    monkeypatch.setattr(verify_chart, "ThreadPoolExecutor", Pool)
    target = verify_chart.ChartTarget(Path("c"), "c", "1.31.0", (verify_chart.EnvTarget("dev", "d", None),
                                                                verify_chart.EnvTarget("prod", "p", None)))
    prepared = type("P", (), {"missing": [], "sources": []})()
    with pytest.raises(StopIteration):
        verify_chart._run_targets([target], verify_chart.Helms(verify_chart.Helm("helm")), verify_chart.VerifyOptions(),
                                  3, verify_chart.Progress(), {}, {target.path: prepared})
    assert order == ["verify_env"]
