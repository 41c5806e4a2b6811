"""Chart.yaml metadata from chartgen.yaml, so that it survives regeneration: `chart:` (home, icon, sources,
keywords, maintainers, annotations), `changes:` (the artifacthub.io/changes annotation) and `dependencies:`
(Chart.yaml dependencies; their values keys pass values.schema.json)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

_ORDER = ("keywords", "home", "sources", "maintainers", "icon")
CHANGES_ANNOTATION = "artifacthub.io/changes"


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=120)


def chart_yaml_tail(raw: Mapping[str, Any], blueprint: str) -> str:
    """The Chart.yaml keys after kubeVersion: metadata, dependencies, annotations (chartgen's blueprint last)."""
    found = raw.get("chart")
    chart: dict[str, Any] = found if isinstance(found, dict) else {}
    out: dict[str, Any] = {k: chart[k] for k in _ORDER if chart.get(k)}
    deps = raw.get("dependencies")
    if deps:
        out["dependencies"] = [dict(d) for d in deps]
    annotations = {str(k): str(v) for k, v in (chart.get("annotations") or {}).items()}
    if raw.get("changes"):
        annotations[CHANGES_ANNOTATION] = _dump_list(raw["changes"])
    annotations["chartgen.dev/blueprint"] = blueprint
    out["annotations"] = annotations
    return _dump(out)


def _dump_list(items: list[Any]) -> str:
    return yaml.safe_dump(list(items), sort_keys=False, allow_unicode=True, width=120)


def dependency_value_keys(raw: Mapping[str, Any]) -> dict[str, str]:
    """values keys the dependencies own: {key: description}."""
    out: dict[str, str] = {}
    for dep in raw.get("dependencies") or ():
        key = dep.get("alias") or dep["name"]
        out[key] = f"Values of the {dep['name']} subchart ({dep.get('repository') or 'charts/'} {dep['version']})."
        for imp in dep.get("import-values") or ():
            out.setdefault(imp["parent"], f"Values imported from the {dep['name']} subchart ({imp['child']}).")
    return out
