"""`chartgen graph`: the traffic picture of a chart's environment (rendered with helm) or of rendered manifests
(files, folders, `-` for stdin), as Mermaid text or a self-contained HTML page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from chartgen.check.model import Document
from chartgen.core.errors import ChartgenError

FORMATS = ("mermaid", "html")


@dataclass(frozen=True)
class GraphArgs:
    source: str  # chart folder, manifest file or folder, or "-"
    env: str | None = None
    fmt: str = "mermaid"
    helm: str | None = None
    namespace: str | None = None
    release: str | None = None


def _chart_rendering(args: GraphArgs) -> tuple[str, str, str]:
    """(manifests, default namespace, title) of a chart's environment."""
    from chartgen.helm.runner import find_helm
    from chartgen.verify.target import ChartTarget

    target = ChartTarget.load(Path(args.source))
    if args.env is None:
        raise ChartgenError(args.source, "--env", "a chart is drawn per environment; allowed: "
                            + ", ".join(e.name for e in target.environments))
    env = target.env(args.env)
    result = target.template(find_helm(args.helm), env.name, release=args.release, namespace=args.namespace)
    if not result.ok:
        raise ChartgenError(args.source, None, f"helm template failed for environment {env.name}: "
                            + " ".join(result.message.split()))
    return result.stdout, args.namespace or env.namespace, f"{target.name}: {env.name}"


def load(args: GraphArgs, stdin: TextIO) -> tuple[list[Document], str | None, str]:
    """(documents, default namespace, title): a chart folder is rendered, anything else is read as manifests."""
    from chartgen.check.loader import InputError, load_paths, load_text, read_stream

    source = Path(args.source)
    try:
        if args.source != "-" and (source / "Chart.yaml").is_file():
            text, namespace, title = _chart_rendering(args)
            return list(load_text(text, f"{args.source} ({args.env})")), namespace, title
        if args.env is not None:
            raise ChartgenError(args.source, "--env", "only a chart folder (with Chart.yaml) has environments")
        stdin_text = read_stream(stdin) if args.source == "-" else None
        return list(load_paths([args.source], stdin_text)), args.namespace, args.source
    except InputError as exc:
        raise ChartgenError(exc.file, None, exc.message, exc.line) from None


def run_graph(args: GraphArgs, stdin: TextIO) -> str:
    """The drawing's text; ChartgenError for bad input (exit 2), including an input without any document."""
    from chartgen.check.model import ManifestIndex
    from chartgen.graph.build import build_graph

    if args.fmt not in FORMATS:
        raise ChartgenError("chartgen graph", "--format", f"{args.fmt!r} is not allowed; allowed: {', '.join(FORMATS)}")
    docs, namespace, title = load(args, stdin)
    if not docs:
        raise ChartgenError(args.source, None, "no Kubernetes object to draw (empty input; did helm template fail?)")
    graph = build_graph(ManifestIndex(docs, default_namespace=namespace))
    if args.fmt == "html":
        from chartgen.graph.svg import to_html

        return to_html(graph, f"Traffic of {title}")
    from chartgen.graph.mermaid import to_mermaid

    return to_mermaid(graph)
