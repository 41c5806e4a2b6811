"""chartgen.core.merge.merge must agree with helm's own coalescing, under every pinned helm.

A tiny chart dumps `{{ toYaml .Values }}` into a ConfigMap. Its values.yaml is `base`; helm renders it with
the override given as a values file, the way a chartgen chart is installed:

  values.yaml + -f override              (`helm install -f values-prod.yaml`)
  values.yaml + -f base -f override      (`helm install -f values.yaml -f values-prod.yaml`)

Both must equal merge(base, override). (Over a chart whose values.yaml lacks the keys, helm's `-f a -f b`
is a plain CLI merge that keeps nulls instead of deleting: a different operation, not the one merge() models.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support import HELM_VERSIONS, helm_binary

from chartgen.core.merge import diff, merge
from chartgen.helm.runner import Helm

CHART_YAML = "apiVersion: v2\nname: probe\nversion: 0.1.0\n"
TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: values
data:
  values.yaml: |
{{ toYaml .Values | indent 4 }}
"""

# (id, base, override). Keys avoid YAML 1.1 booleans (y, n, on, off), which Go and PyYAML read differently.
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("nested-null-deletes-key",
     {"a": {"b": 1, "c": {"d": 2, "e": 3}}},
     {"a": {"c": {"d": None}}}),
    ("null-deletes-whole-map",
     {"a": {"b": 1, "c": {"d": 2}}, "keep": 1},
     {"a": {"c": None}}),
    ("top-level-null-deletes",
     {"replicaCount": 3, "logLevel": "info"},
     {"replicaCount": None}),
    ("null-for-key-absent-in-base",
     {"a": {"b": 1}},
     {"absent": None, "a": {"missing": None}}),
    ("nulls-inside-new-map",
     {"a": 1},
     {"fresh": {"x": None, "z": 1, "deep": {"k": None, "j": "v"}}}),
    ("nulls-inside-map-replacing-scalar",
     {"s": "scalar"},
     {"s": {"t": None, "u": 1}}),
    ("nulls-inside-map-over-null",
     {"k": None, "other": 1},
     {"k": {"a": None, "b": 1}}),
    ("base-null-kept",
     {"k": None, "m": {"x": None, "z": 1}},
     {"m": {"w": 2}}),
    ("list-of-maps-replaced-not-merged",
     {"ports": [{"name": "http", "port": 80, "targetPort": 8080}, {"name": "https", "port": 443}]},
     {"ports": [{"name": "http", "nodePort": 30080}]}),
    ("list-replaced-by-empty-list",
     {"l": [1, 2, 3], "m": [{"a": 1}]},
     {"l": []}),
    ("list-with-nulls-kept-verbatim",
     {"l": [{"a": 1}]},
     {"l": [{"a": None, "b": 2}, None]}),
    ("empty-map-over-map-changes-nothing",
     {"annotations": {"a": "1"}, "sel": {"x": "1"}},
     {"annotations": {}}),
    ("empty-map-over-absent-and-scalar",
     {"s": "text"},
     {"s": {}, "fresh": {}}),
    ("map-over-empty-map",
     {"annotations": {}},
     {"annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "external"}}),
    ("scalar-replaces-map",
     {"m": {"p": 1, "q": {"r": 2}}},
     {"m": 7}),
    ("string-replaces-map-and-list",
     {"m": {"p": 1}, "l": [1]},
     {"m": "flat", "l": "also"}),
    ("map-replaces-list",
     {"l": [1, 2]},
     {"l": {"a": 1}}),
    ("deep-merge-keeps-siblings",
     {"service": {"type": "LoadBalancer", "loadBalancer": {"preset": "aws-nlb", "class": ""},
                  "ports": [{"port": 443}]}},
     {"service": {"type": "NodePort", "loadBalancer": {"class": "x"}}}),
    ("types-change",
     {"replicaCount": 1, "tag": "3.2.0", "enabled": False},
     {"replicaCount": "three", "tag": 3, "enabled": True}),
]


def _helm_values(helm: Helm, root: Path, base: dict[str, Any], override: dict[str, Any],
                 base_as_file: bool) -> Any:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(CHART_YAML)
    (chart / "templates" / "values.yaml").write_text(TEMPLATE)
    (chart / "values.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    (root / "override.yaml").write_text(yaml.safe_dump(override, sort_keys=False))
    files = [chart / "values.yaml"] if base_as_file else []
    result = helm.template(chart, "probe", "default", files + [root / "override.yaml"],
                           show_only=["templates/values.yaml"])
    assert result.ok, result.message
    doc = yaml.safe_load(result.stdout)
    return yaml.safe_load(doc["data"]["values.yaml"])


@pytest.fixture(scope="module", params=HELM_VERSIONS, ids=[f"helm{v}" for v in HELM_VERSIONS])
def helm(request) -> Helm:
    """Module-scoped: one Helm per version for the whole module (the cases run ~100 helm processes)."""
    return helm_binary(request.param)


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or _has_null(v) for v in value.values())
    return False


# Passing base itself with -f turns its own nulls into deletions of the chart defaults, so base-with-nulls
# cases run only in the values.yaml + -f form.
MODES = [pytest.param(case[1], case[2], as_file, id=f"{case[0]}-{'f-base-f' if as_file else 'values.yaml-f'}")
         for case in CASES for as_file in (False, True) if not (as_file and _has_null(case[1]))]


@pytest.mark.parametrize(("base", "override", "base_as_file"), MODES)
def test_merge_matches_helm(helm: Helm, base: dict[str, Any], override: dict[str, Any], base_as_file: bool,
                            tmp_path: Path) -> None:
    expected = _helm_values(helm, tmp_path, base, override, base_as_file)
    assert merge(base, override) == expected


@pytest.mark.parametrize(("base", "override"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_merge_does_not_mutate_inputs(base: dict[str, Any], override: dict[str, Any]) -> None:
    before = (yaml.safe_dump(base), yaml.safe_dump(override))
    out = merge(base, override)
    assert (yaml.safe_dump(base), yaml.safe_dump(override)) == before
    # the result shares no mutable structure with the inputs
    for key, value in out.items():
        if isinstance(value, (dict, list)):
            assert value is not base.get(key) and value is not override.get(key)


def test_values_files_roundtrip_through_helm(helm: Helm, tmp_path: Path) -> None:
    """values.yaml + -f diff(values, env) renders exactly env: the contract behind values-<env>.yaml."""
    base = {"replicaCount": 1, "startupProbe": {}, "podDisruptionBudget": {"enabled": False, "maxUnavailable": 1},
            "service": {"type": "LoadBalancer", "annotations": {"a": "1"},
                        "ports": [{"port": 443, "name": "https"}, {"port": 80, "name": "http"}],
                        "loadBalancer": {"preset": "aws-nlb", "certificateArn": "arn"}},
            "gone": {"x": 1}}
    env = {"replicaCount": 3, "startupProbe": {"tcpSocket": {"port": "https"}},
           "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
           "service": {"type": "NodePort", "annotations": {},
                       "ports": [{"port": 80, "name": "http", "nodePort": 30080}],
                       "loadBalancer": {"preset": "aws-nlb"}}}
    override = diff(base, env)
    assert merge(base, override) == env
    assert _helm_values(helm, tmp_path, base, override, base_as_file=False) == env
