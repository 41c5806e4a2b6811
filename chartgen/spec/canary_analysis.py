"""`istio.canary` analysis settings: what a canary controller measures before it shifts more traffic.

istio_spec.py calls :func:`parse_analysis` for each layer with the merged raw `istio` mapping and the controller.
Each setting is read by one controller only; given for another (or for none), it would be ignored silently, so it
is refused:

* `prometheus` (the AnalysisTemplate's Prometheus address): argo-rollouts only; Flagger queries its own metrics
  server;
* `webhooks`: flagger only (names unique: Flagger keys them by name);
* `successRate` and `maxDuration`: a controller's; with argo-rollouts they need `prometheus` (no AnalysisTemplate
  is rendered without it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chartgen.spec.istio_settings import Analysis
from chartgen.spec.settings import CATALOG

Err = Callable[[str, str], None]
C = "istio.canary"


def parse_analysis(raw: Mapping[str, Any], controller: str, err: Err) -> Analysis:
    canary = raw.get("canary")
    written: Mapping[str, Any] = canary if isinstance(canary, Mapping) else {}
    analysis = Analysis(
        success_rate=CATALOG.get({"istio": raw}, f"{C}.successRate"),
        max_duration=int(CATALOG.get({"istio": raw}, f"{C}.maxDuration")),
        prometheus=str(CATALOG.get({"istio": raw}, f"{C}.prometheus") or ""),
        webhooks=tuple(dict(w) for w in CATALOG.get({"istio": raw}, f"{C}.webhooks") or ()),
    )
    if analysis.prometheus and controller != "argo-rollouts":
        err(f"{C}.prometheus", f"only read with controller argo-rollouts (this layer's: {controller}); Flagger "
                               "queries its own metrics server")
    if analysis.webhooks and controller != "flagger":
        err(f"{C}.webhooks", f"only read with controller flagger (this layer's: {controller})")
    names = [w.get("name") for w in analysis.webhooks]
    for i, name in enumerate(names):
        if name in names[:i]:
            err(f"{C}.webhooks[{i}].name", f"{name!r} is given twice; each webhook name once")
    for key in ("successRate", "maxDuration"):
        if key in written and controller == "none":
            err(f"{C}.{key}", "only read by a canary controller (istio.canary.controller argo-rollouts or flagger)")
        elif key in written and controller == "argo-rollouts" and not analysis.prometheus:
            err(f"{C}.{key}", "argo-rollouts measures it only with istio.canary.prometheus set (the AnalysisTemplate "
                              "queries that Prometheus)")
    return analysis
