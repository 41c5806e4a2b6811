"""prometheus-operator: what its PrometheusRule admission webhook rejects (pkg/admission: the rule groups go through
Prometheus' rulefmt, PromQL parsed with the promql-parser package), and ServiceMonitors/PodMonitors whose
selectors and port names find nothing to scrape in the render - CG-PROM-*.

Not checked: rule names and label names under Prometheus 3's UTF-8 name scheme (the legacy scheme is only
warned about), and PromQL functions newer or older than the parser's list (an unknown function is a warning:
whether Prometheus knows it depends on its version, e.g. holt_winters before 3.0)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    CORE,
    PodLookup,
    as_dict,
    as_list,
    container_ports,
    selector_matches,
    serving_containers,
    spec_of,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.operators import MONITORING
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
SRC = "prometheus-operator pkg/admission (Prometheus model/rulefmt: RuleGroups.Validate, RuleNode.Validate)"
PROM_DURATION = re.compile(r"^(0|(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$")
LEGACY_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
ALERT_ONLY = ("for", "keep_firing_for", "annotations")


@rule("CG-PROM-001", E, "PrometheusRule rejected by prometheus-operator's webhook (record/alert, expr, durations)",
      "api",
      why=f"The PrometheusRule webhook ({SRC}) parses the groups as a Prometheus rule file: group names are "
          "non-empty and unique, each rule sets exactly one of record or alert and an expr that is valid PromQL, "
          "a recording rule carries no for, keep_firing_for or annotations, and durations (for, keep_firing_for, "
          "interval, query_offset) are Prometheus durations such as 5m or 1h30m. A refused rule never loads.",
      fix="give each rule either record or alert, a PromQL expr that parses, and durations like 5m",
      example="""\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: web}
spec:
  groups:
  - name: web
    rules:
    - alert: HighErrorRate
      expr: sum(rate(http_requests_total{code=~"5.."}[5m]) > 1
      for: 10m
""")
def prometheus_rule_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("PrometheusRule", MONITORING):
        seen: set[str] = set()
        for g, group in enumerate(as_list(spec_of(doc).get("groups"))):
            group, gfld = as_dict(group), f"spec.groups[{g}]"
            name = group.get("name")
            if not isinstance(name, str) or not name:
                yield finding("CG-PROM-001", doc, f"{gfld}.name: Required value: group name must not be empty",
                              field=f"{gfld}.name")
            elif name in seen:
                yield finding("CG-PROM-001", doc, f"{gfld}.name: Duplicate value: group {name!r} is repeated",
                              field=f"{gfld}.name")
            else:
                seen.add(name)
            for key in ("interval", "query_offset"):
                yield from _duration(doc, group, key, f"{gfld}.{key}")
            for r, item in enumerate(as_list(group.get("rules"))):
                yield from _rule_errors(doc, as_dict(item), f"{gfld}.rules[{r}]")


def _duration(doc: Document, obj: dict[str, Any], key: str, fld: str) -> Iterator[Finding]:
    value = obj.get(key)
    if value is not None and not (isinstance(value, str) and value and PROM_DURATION.match(value)):
        yield finding("CG-PROM-001", doc, f"{fld}: Invalid value: {value!r}: not a Prometheus duration (e.g. 5m, "
                      "1h30m)", field=fld)


def _rule_errors(doc: Document, item: dict[str, Any], fld: str) -> Iterator[Finding]:
    record, alert = item.get("record"), item.get("alert")
    if not record and not alert:
        yield finding("CG-PROM-001", doc, f"{fld}: Invalid value: one of 'record' or 'alert' must be set", field=fld)
    elif record and alert:
        yield finding("CG-PROM-001", doc, f"{fld}: Invalid value: only one of 'record' and 'alert' must be set",
                      field=fld)
    elif record:
        for key in ALERT_ONLY:
            if item.get(key) is not None:
                yield finding("CG-PROM-001", doc, f"{fld}.{key}: Forbidden: invalid field {key!r} in recording rule",
                              field=f"{fld}.{key}")
        if isinstance(record, str) and not LEGACY_METRIC_NAME.match(record):
            yield finding("CG-PROM-001", doc, f"{fld}.record: {record!r} is a valid metric name only under "
                          "Prometheus 3's UTF-8 name scheme; Prometheus 2 refuses it", field=f"{fld}.record",
                          severity=W)
    for key in ("for", "keep_firing_for"):
        yield from _duration(doc, item, key, f"{fld}.{key}")
    expr = item.get("expr")
    if expr is None or (isinstance(expr, str) and not expr.strip()):
        yield finding("CG-PROM-001", doc, f"{fld}.expr: Required value: field 'expr' must be set in rule",
                      field=f"{fld}.expr")
    else:
        yield from _promql(doc, str(expr), f"{fld}.expr")


def _promql(doc: Document, expr: str, fld: str) -> Iterator[Finding]:
    import promql_parser  # a compiled extension: loaded only when a PrometheusRule is checked

    try:
        promql_parser.parse(expr)
    except ValueError as exc:
        message = str(exc)
        unknown = message.startswith("unknown function")
        yield finding("CG-PROM-001", doc, f"{fld}: Invalid value: could not parse expression: {message}"
                      + (" (whether Prometheus knows the function depends on its version)" if unknown else ""),
                      field=fld, severity=W if unknown else None)


def _monitor_namespaces(index: ManifestIndex, doc: Document) -> list[str | None] | None:
    """The namespaces a monitor selects in: its own by default, namespaceSelector.matchNames, or None for any."""
    sel = as_dict(spec_of(doc).get("namespaceSelector"))
    if sel.get("any") is True:
        return None
    names: list[str | None] = [str(n) for n in as_list(sel.get("matchNames"))]
    return names or [index.namespace_of(doc)]


def _in_namespaces(index: ManifestIndex, doc: Document, namespaces: list[str | None] | None) -> bool:
    return namespaces is None or any(index._same_ns(index.namespace_of(doc), ns) for ns in namespaces)


@rule("CG-PROM-002", E, "ServiceMonitor endpoint port names no port of the Services it selects", "cross",
      why="The operator turns each ServiceMonitor endpoint into a scrape job keeping only the endpoints of the "
          "selected Services whose port has that name: when the rendered Services the selector matches have no "
          "port of that name, the monitor scrapes nothing from them (no error anywhere, just no metrics). A "
          "selector matching no rendered Service is a warning: the Services may be deployed elsewhere.",
      fix="set endpoints[].port to the name of a Service port (name the port in the Service), and make the "
          "selector match the Service's labels",
      example="""\
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  endpoints: [{port: metrics}]
""")
def service_monitor_targets(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("ServiceMonitor", MONITORING):
        spec = spec_of(doc)
        selector = as_dict(spec.get("selector"))
        namespaces = _monitor_namespaces(index, doc)
        services = [s for s in index.kind("Service", CORE) if _in_namespaces(index, s, namespaces)
                    and selector_matches(selector, as_dict(as_dict(s.obj.get("metadata")).get("labels")))]
        if not services:
            if selector:  # an empty selector picks every Service: nothing to tell from the render
                yield finding("CG-PROM-002", doc, "spec.selector: selects none of the rendered Services; the monitor "
                              "scrapes only Services deployed elsewhere", field="spec.selector", severity=W,
                              hint="make spec.selector match the labels of the Service to scrape (or declare "
                                   "nothing: the Service may be deployed by another release)")
            continue
        if not selector:
            continue
        names = {str(p.get("name")) for s in services for p in as_list(spec_of(s).get("ports"))
                 if isinstance(p, dict) and p.get("name")}
        for i, ep in enumerate(as_list(spec.get("endpoints"))):
            port = as_dict(ep).get("port")
            if isinstance(port, str) and port and port not in names:
                yield finding("CG-PROM-002", doc, f"spec.endpoints[{i}].port: {port!r} is not a port name of the "
                              f"selected Services ({', '.join(sorted(s.name for s in services))}: ports "
                              f"{', '.join(sorted(names)) or 'unnamed'}); nothing is scraped",
                              field=f"spec.endpoints[{i}].port")


@rule("CG-PROM-003", E, "PodMonitor endpoint port names no container port of the pods it selects", "cross",
      why="A PodMonitor's podMetricsEndpoints[].port keeps only the pod ports of that name: when the rendered pods "
          "the selector matches declare no container port of that name, nothing is scraped. A selector matching "
          "no rendered pod is a warning (the pods may come from elsewhere).",
      fix="name the container port (ports: [{name: metrics, containerPort: 9090}]) and use that name",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  podMetricsEndpoints: [{port: metrics}]
""")
def pod_monitor_targets(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    lookup = PodLookup.of(index)
    for doc in index.kind("PodMonitor", MONITORING):
        spec = spec_of(doc)
        selector = as_dict(spec.get("selector"))
        namespaces = _monitor_namespaces(index, doc)
        pods = [pt for ns in (namespaces or [None]) for pt in lookup.select_label_selector(selector, ns)]
        if not selector:
            continue
        if not pods:
            yield finding("CG-PROM-003", doc, "spec.selector: selects none of the rendered pods; the monitor scrapes "
                          "only pods deployed elsewhere", field="spec.selector", severity=W,
                          hint="make spec.selector match the labels of the pods to scrape")
            continue
        names = {str(p.get("name")) for pt in pods for c in serving_containers(pt) for p in container_ports(c)
                 if p.get("name")}
        for i, ep in enumerate(as_list(spec.get("podMetricsEndpoints"))):
            port = as_dict(ep).get("port")
            if isinstance(port, str) and port and port not in names:
                yield finding("CG-PROM-003", doc, f"spec.podMetricsEndpoints[{i}].port: {port!r} is no container "
                              f"port name of the selected pods (names: {', '.join(sorted(names)) or 'none'}); "
                              "nothing is scraped", field=f"spec.podMetricsEndpoints[{i}].port")
