"""pytest plugin (entry point pytest11 "chartgen"): snapshot tests of Helm charts in a project's own test suite.

    def test_prod(helm_render, snapshot):
        assert helm_render("charts/x", env="prod") == snapshot

`helm_render(chart, env=None, *, release=None, namespace=None, kube_version=None, values=(), api_versions=())` runs
`helm template` (pinned --kube-version: the chart's chartgen.yaml kubeVersion, else 1.31.0; --api-versions: the
ones the chart's templates test for, as `chartgen verify` renders, plus `api_versions`) for one environment of a
chart (values-<env>.yaml, the namespace from chartgen.yaml) and returns the normalised rendering, the same text
`chartgen snapshot` writes. A relative chart path is taken from pytest's rootdir. helm: $CHARTGEN_HELM, chartgen's
installed copy, then PATH. A chart that cannot be read or does not render fails the test with chartgen's one-line
message (helm's, for a rendering), never a traceback.

Snapshots as YAML files: the `helm_snapshot` fixture (syrupy's snapshot with chartgen.pytest_yaml's extension), or
for every snapshot: `--snapshot-default-extension chartgen.pytest_yaml.YAMLSnapshotExtension`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest


def _render(root: Path, chart: str | Path, env: str | None = None, *, release: str | None = None,
            namespace: str | None = None, kube_version: str | None = None, values: Sequence[str | Path] = (),
            api_versions: Sequence[str] = ()) -> str:
    from chartgen.core.errors import ChartgenError

    try:
        return _render_or_raise(root, chart, env, release=release, namespace=namespace, kube_version=kube_version,
                                values=values, api_versions=api_versions)
    except ChartgenError as exc:  # a bad chart is the test's failure, said as chartgen says it (no traceback)
        message = str(exc)
    except OSError as exc:
        message = f"{exc.filename or chart}: {exc.strerror or exc}"
    pytest.fail(f"helm_render: {message}", pytrace=False)  # outside `except`: no chained exception is shown


def _render_or_raise(root: Path, chart: str | Path, env: str | None, *, release: str | None,
                     namespace: str | None, kube_version: str | None, values: Sequence[str | Path],
                     api_versions: Sequence[str]) -> str:
    from chartgen.core.errors import ChartgenError
    from chartgen.helm.runner import find_helm
    from chartgen.verify import snapshot
    from chartgen.verify.target import ChartTarget

    path = Path(chart)
    path = path if path.is_absolute() else root / path
    target = ChartTarget.load(path, kube_version)
    e = target.env(env) if env else target.environments[0]
    helm = find_helm()
    files = ([e.values_file] if e.values_file else []) + [Path(v) if Path(v).is_absolute() else root / v
                                                           for v in values]
    res = helm.template(target.path, release or target.name, namespace or e.namespace, files,
                        kube_version=target.kube_version, api_versions=target.with_api_versions(api_versions))
    if not res.ok:
        raise ChartgenError(str(target.path), None, f"helm template [{e.name}] failed: {' '.join(res.message.split())}")
    return snapshot.normalise(res.stdout)


@pytest.fixture
def helm_render(request: pytest.FixtureRequest) -> Callable[..., str]:
    """Render a chart environment with helm template; returns the normalised manifests."""
    root = Path(request.config.rootpath)

    def render(chart: str | Path, env: str | None = None, **kwargs: Any) -> str:
        return _render(root, chart, env, **kwargs)

    return render


@pytest.fixture
def helm_snapshot(snapshot: Any) -> Any:
    """syrupy's `snapshot`, writing one YAML file per assertion (needs syrupy)."""
    from chartgen.pytest_yaml import YAMLSnapshotExtension

    return snapshot.use_extension(YAMLSnapshotExtension)
