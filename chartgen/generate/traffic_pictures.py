"""The README's traffic pictures (`readme.trafficGraph: true`): the generated chart is rendered with helm per
environment, in a temporary folder, and each rendering's TrafficGraph replaces the README's marker as a ```mermaid
block. The pictures are drawn from the chart exactly as written, so they show what helm installs, except for its
dependencies: they are left out of the temporary copy (the drawing then never depends on whether `helm dependency
build` has run, so generate and its drift check give the same README), and the README says so."""

from __future__ import annotations

import tempfile
from pathlib import Path

from chartgen.core.errors import ChartgenError
from chartgen.generate.filetree import FileTree
from chartgen.spec.loader import Spec

README = "README.md"
MARKER = "<!-- chartgen:traffic-graph -->"


def add_pictures(tree: FileTree, spec: Spec) -> None:
    """Replace the marker in the tree's README with one Mermaid block per environment."""
    if README not in tree or MARKER not in tree[README]:
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
        note = _drop_dependencies(root / "Chart.yaml")
        sections = [_section(spec, root, env.name, env.namespace) for env in spec.environments]
    tree.add(README, tree[README].replace(MARKER, (note + "\n".join(sections)).rstrip("\n")))


def _drop_dependencies(chart_yaml: Path) -> str:
    """Remove the dependencies from the temporary copy's Chart.yaml; the README's note naming them ("" if none)."""
    import yaml

    meta = yaml.safe_load(chart_yaml.read_text(encoding="utf-8")) if chart_yaml.is_file() else None
    if not isinstance(meta, dict) or not meta.get("dependencies"):
        return ""
    names = [str(d.get("alias") or d.get("name")) for d in meta.pop("dependencies") if isinstance(d, dict)]
    chart_yaml.write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    return f"The pictures leave out the subcharts ({', '.join(names)}): each draws its own traffic.\n\n"


def _section(spec: Spec, root: Path, env: str, namespace: str) -> str:
    from chartgen.check.loader import load_text
    from chartgen.check.model import ManifestIndex
    from chartgen.graph.build import build_graph
    from chartgen.graph.mermaid import to_mermaid
    from chartgen.helm.chart_apis import tested_api_versions
    from chartgen.helm.runner import find_helm

    values = root / f"values-{env}.yaml"
    result = find_helm(None).template(root, spec.name, namespace, [values] if values.is_file() else [],
                                      kube_version=spec.kube_version, api_versions=tested_api_versions(root))
    if not result.ok:
        raise ChartgenError(spec.file, "readme.trafficGraph", f"helm template of environment {env} failed, so its "
                            f"traffic cannot be drawn: {' '.join(result.message.split())}")
    graph = build_graph(ManifestIndex(load_text(result.stdout, f"{spec.name} ({env})"), default_namespace=namespace))
    return f"### {env}\n\n```mermaid\n{to_mermaid(graph)}```\n"
