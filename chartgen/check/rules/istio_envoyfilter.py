"""EnvoyFilters: the istioctl EnvoyPatchAnalyzer (istio pkg/config/analysis/analyzers/envoyfilter, IST0151-IST0155) -
patches Istio ignores and relative patches whose order is undefined - CG-MESH-029..030."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import ISTIO_NETWORKING, as_dict, as_int, as_list, spec_of
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "istio"
ROUTE_TARGETS = ("ROUTE_CONFIGURATION", "HTTP_ROUTE")
REPLACEABLE = ("HTTP_FILTER", "NETWORK_FILTER")
RELATIVE = ("REMOVE", "REPLACE", "INSERT_BEFORE", "INSERT_AFTER")


def _patches(ef: Document) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    for i, p in enumerate(as_list(spec_of(ef).get("configPatches"))):
        p = as_dict(p)
        patch = as_dict(p.get("patch"))
        if not patch:
            break  # the analyzer stops at a patch without a patch section
        yield i, str(p.get("applyTo") or ""), str(patch.get("operation") or ""), p


def _ignored(apply_to: str, op: str) -> str | None:
    if op in ("ADD", "REMOVE") and apply_to in ROUTE_TARGETS:
        return f"the {op} operation is ignored when applyTo is {apply_to} (IST01{53 if op == 'ADD' else 54})"
    if op == "REPLACE" and apply_to not in REPLACEABLE:
        return f"the REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER, not {apply_to} (IST0152)"
    return None


@rule("CG-MESH-029", Severity.WARNING, "EnvoyFilter patch operation is ignored for its applyTo (IST0152-IST0154)",
      LAYER,
      why="Istio applies ADD and REMOVE only to listeners, clusters and filters, not to ROUTE_CONFIGURATION or "
          "HTTP_ROUTE, and REPLACE only to HTTP_FILTER and NETWORK_FILTER; such a patch silently does nothing "
          "(istioctl analyze reports it as an error).",
      fix="use MERGE for route configuration, or the applyTo the operation supports",
      example="""\
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: headers}
spec:
  configPatches:
  - applyTo: HTTP_ROUTE
    match: {context: SIDECAR_INBOUND}
    patch:
      operation: ADD
      value: {name: extra}
""")
def envoyfilter_ignored(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ef in index.kind("EnvoyFilter", ISTIO_NETWORKING):
        for i, apply_to, op, _ in _patches(ef):
            why = _ignored(apply_to, op)
            if why:
                yield finding("CG-MESH-029", ef, f"EnvoyFilter {ef.name}: configPatches[{i}]: {why}",
                              field=f"spec.configPatches[{i}].patch.operation")


@rule("CG-MESH-030", Severity.WARNING, "EnvoyFilter uses a relative patch operation without a priority "
      "(IST0151/IST0155)", LAYER,
      why="REMOVE, REPLACE, INSERT_BEFORE and INSERT_AFTER depend on what earlier patches did; without a priority "
          "the order among EnvoyFilters is undefined, so the patch may not apply (during an upgrade, with a "
          "proxyVersion match, it often does not).",
      fix="set spec.priority, or use INSERT_FIRST / ADD",
      example="""\
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua}
spec:
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
      listener: {filterChain: {filter: {name: envoy.filters.network.http_connection_manager}}}
    patch:
      operation: INSERT_BEFORE
      value: {name: envoy.lua}
""")
def envoyfilter_relative(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ef in index.kind("EnvoyFilter", ISTIO_NETWORKING):
        if as_int(spec_of(ef).get("priority")):
            continue
        for i, apply_to, op, p in _patches(ef):
            if op in RELATIVE and _ignored(apply_to, op) is None:
                versioned = bool(as_dict(as_dict(p.get("match")).get("proxy")).get("proxyVersion"))
                yield finding("CG-MESH-030", ef, f"EnvoyFilter {ef.name}: configPatches[{i}] uses the relative "
                              f"operation {op} and the EnvoyFilter has no priority"
                              + (" (and a proxyVersion match: IST0155)" if versioned else " (IST0151)"),
                              field=f"spec.configPatches[{i}].patch.operation")
