"""Small test helpers: render a chart with a given helm, parse and normalise manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from chartgen.helm.runner import Helm

KUBE_VERSION = "1.31.0"
NOISY_LABELS = ("helm.sh/chart", "app.kubernetes.io/version")


def render(helm: Helm, chart: Path, env: str, namespace: str, release: str | None = None) -> list[dict[str, Any]]:
    values = [chart / f"values-{env}.yaml"]
    res = helm.template(chart, release or chart.name, namespace, values, kube_version=KUBE_VERSION)
    assert res.ok, res.message
    return [d for d in yaml.safe_load_all(res.stdout) if d]


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    hits = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(hits) == 1, f"expected one {kind} {name or ''}, found {[d['metadata']['name'] for d in hits]}"
    return hits[0]


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in ("labels", "matchLabels") and isinstance(v, dict):
                v = {lk: lv for lk, lv in v.items() if lk not in NOISY_LABELS}
            if k == "annotations" and isinstance(v, dict):
                v = {ak: av for ak, av in v.items() if not ak.startswith("checksum/")}
            out[k] = _strip(v)
        return out
    if isinstance(obj, list):
        return [_strip(x) for x in obj]
    return obj


def normalise(docs: list[dict[str, Any]]) -> str:
    """Stable text for snapshots: noisy labels dropped, documents sorted by kind, namespace, name."""
    docs = [_strip(d) for d in docs]
    docs.sort(key=lambda d: (d.get("kind", ""), d.get("metadata", {}).get("namespace") or "",
                             d.get("metadata", {}).get("name", "")))
    return yaml.safe_dump_all(docs, sort_keys=True, default_flow_style=False, width=120)
