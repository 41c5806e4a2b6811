"""The README's traffic pictures (`readme.trafficGraph: true`): the generated chart is rendered with helm per
environment, in a temporary folder, and each rendering's TrafficGraph replaces the README's marker as a ```mermaid
block. The pictures are drawn from the chart exactly as written, so they show what helm installs, except for its
dependencies: they are left out of the temporary copy (the drawing then never depends on whether `helm dependency
build` has run, so generate and its drift check give the same README), and the README says so.

`renderings` describes each of those `helm template` runs (everything but the chart's files and the binary,
`picture_helm`), so that `chartgen verify`, which renders the chart anyway, can prove its own rendering is the same
one and `draw` the pictures from it (chartgen.verify.readme_pictures) instead of rendering it twice."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from chartgen.core.errors import ChartgenError
from chartgen.core.record import Record, record
from chartgen.generate.filetree import FileTree
from chartgen.spec.loader import Spec

if TYPE_CHECKING:
    from chartgen.helm.runner import Helm

README = "README.md"
CHART_YAML = "Chart.yaml"
MARKER = "<!-- chartgen:traffic-graph -->"


@record
class Rendering(Record):
    """One environment's `helm template <release> <copy> -n <namespace> [-f <copy>/<values>] --kube-version
    <kube_version> --api-versions ...` of the temporary copy."""

    env: str
    release: str
    namespace: str
    values: str | None  # chart-relative path of the environment's values file
    kube_version: str
    api_versions: tuple[str, ...]


def wants_pictures(tree: FileTree) -> bool:
    return README in tree and MARKER in tree[README]


def renderings(tree: FileTree, spec: Spec) -> list[Rendering]:
    """The helm template runs add_pictures makes, one per environment, in the spec's order."""
    from chartgen.helm.chart_apis import tested_api_versions_of

    apis = tested_api_versions_of(tree)
    return [Rendering(env.name, spec.name, env.namespace, values if values in tree else None, spec.kube_version,
                      apis) for env in spec.environments for values in [f"values-{env.name}.yaml"]]


def picture_helm() -> Helm:
    """The helm binary the pictures are rendered with."""
    from chartgen.helm.runner import find_helm

    return find_helm(None)


def add_pictures(tree: FileTree, spec: Spec) -> None:
    """Replace the marker in the tree's README with one Mermaid block per environment."""
    if not wants_pictures(tree):
        return
    with tempfile.TemporaryDirectory(prefix="chartgen-graph-") as tmp:
        root = Path(tmp) / spec.name
        try:
            for rel, text in tree:
                path = root / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        except OSError as exc:  # before the chart is written: nothing has changed
            raise ChartgenError(spec.file, "readme.trafficGraph", f"cannot write the chart to {tmp} to draw its "
                                f"traffic: {exc.strerror or exc}; nothing was changed") from None
        note = _drop_dependencies(root / CHART_YAML)
        sections = [picture(spec, r, _render(spec, root, r)) for r in renderings(tree, spec)]
    _place(tree, note, sections)


def draw(tree: FileTree, spec: Spec, rendered: Mapping[str, str], drawn: Mapping[str, str] | None = None) -> None:
    """Replace the marker with the pictures of renderings made elsewhere (environment -> helm's output), which the
    caller has proven to be the ones `renderings` describes, of a chart without dependencies. `drawn`: sections
    `draw_one` made already from the same renderings (environment -> section)."""
    if not wants_pictures(tree):
        return
    if has_dependencies(tree):
        raise ValueError("draw: a chart with dependencies is drawn from its copy without them (add_pictures)")
    drawn = drawn or {}
    _place(tree, "", [drawn[r.env] if r.env in drawn else picture(spec, r, rendered[r.env])
                      for r in renderings(tree, spec)])


def draw_one(tree: FileTree, spec: Spec, env: str, rendering: str) -> str | None:
    """The section `draw` makes of environment `env`'s rendering (None: no such environment): drawn while the other
    environments still render."""
    for r in renderings(tree, spec):
        if r.env == env:
            return picture(spec, r, rendering)
    return None


def _place(tree: FileTree, note: str, sections: list[str]) -> None:
    tree.add(README, tree[README].replace(MARKER, (note + "\n".join(sections)).rstrip("\n")))


def has_dependencies(tree: FileTree) -> bool:
    """Whether the tree's Chart.yaml declares dependencies (which add_pictures drops from its copy)."""
    import yaml

    meta = yaml.safe_load(tree[CHART_YAML]) if CHART_YAML in tree else None
    return isinstance(meta, dict) and bool(meta.get("dependencies"))


def _drop_dependencies(chart_yaml: Path) -> str:
    """Remove the dependencies from the temporary copy's Chart.yaml; the README's note naming them ("" if none)."""
    import yaml

    meta = yaml.safe_load(chart_yaml.read_text(encoding="utf-8")) if chart_yaml.is_file() else None
    if not isinstance(meta, dict) or not meta.get("dependencies"):
        return ""
    names = [str(d.get("alias") or d.get("name")) for d in meta.pop("dependencies") if isinstance(d, dict)]
    chart_yaml.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return f"The pictures leave out the subcharts ({', '.join(names)}): each draws its own traffic.\n\n"


def _render(spec: Spec, root: Path, r: Rendering) -> str:
    result = picture_helm().template(root, r.release, r.namespace, [root / r.values] if r.values else [],
                                     kube_version=r.kube_version, api_versions=r.api_versions)
    if not result.ok:
        raise ChartgenError(spec.file, "readme.trafficGraph", f"helm template of environment {r.env} failed, so its "
                            f"traffic cannot be drawn: {' '.join(result.message.split())}")
    return result.stdout


def picture(spec: Spec, r: Rendering, rendering: str) -> str:
    """One environment's section: its heading and the Mermaid drawing of its rendering."""
    from chartgen.check.loader import load_text
    from chartgen.check.model import ManifestIndex
    from chartgen.graph.build import build_graph
    from chartgen.graph.mermaid import to_mermaid

    graph = build_graph(ManifestIndex(load_text(rendering, f"{spec.name} ({r.env})"), default_namespace=r.namespace))
    return f"### {r.env}\n\n```mermaid\n{to_mermaid(graph)}```\n"
