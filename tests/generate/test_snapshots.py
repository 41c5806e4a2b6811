"""Snapshots of every generated chart's rendered manifests, per environment, under helm 4.1.4 and 3.17.2.

Normalised (helm.sh/chart and app.kubernetes.io/version labels dropped, documents sorted) so a chart version bump
does not churn them. After `pytest --snapshot-update`, read every changed line before committing.
"""

from __future__ import annotations

import pytest
from render_helpers import normalise, render
from support import chart_dirs
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from chartgen.spec.loader import load_spec


class YamlSnapshot(SingleFileSnapshotExtension):
    file_extension = "yaml"
    _write_mode = WriteMode.TEXT


CASES = [(chart, env.name, env.namespace) for chart in chart_dirs() for env in load_spec(chart).environments]


@pytest.fixture
def snapshot_yaml(snapshot):
    return snapshot.use_extension(YamlSnapshot)


@pytest.mark.parametrize(("chart", "env", "namespace"), CASES, ids=[f"{c.name}-{e}" for c, e, _ in CASES])
def test_rendered_manifests(helm, snapshot_yaml, chart, env, namespace):
    assert normalise(render(helm, chart, env, namespace)) == snapshot_yaml
