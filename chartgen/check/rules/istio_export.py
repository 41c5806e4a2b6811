"""Istio exportTo on VirtualServices, DestinationRules and ServiceEntries (istio pkg/config/validation:
validateExportTo, pkg/config/visibility) - CG-MESH-039."""

from __future__ import annotations

import re
from collections.abc import Iterator

from chartgen.check.helpers import as_list, spec_of
from chartgen.check.mesh import is_istio
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

KINDS = ("VirtualService", "DestinationRule", "ServiceEntry")
PRIVATE, PUBLIC, NONE = ".", "*", "~"
_ISTIO_LABEL = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")  # istio pkg/config/labels IsDNS1123Label


@rule("CG-MESH-039", Severity.ERROR, "exportTo rejected by Istio validation (entries, duplicates, `*` or `~` with "
      "others)", "istio",
      why="validateExportTo (istio pkg/config/validation) rejects an exportTo entry that is not `.`, `*` or a "
          "namespace (a DNS label), `~` outside ServiceEntries, a repeated entry (`.` and the object's own "
          "namespace count as one), `*` next to other entries, `~` next to other entries, and a DestinationRule "
          "with a workloadSelector exported beyond its own namespace.",
      fix="export to `.` (this namespace), `*` (everyone) or a list of namespaces, each once",
      example="""\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  exportTo: ['*', istio-system]
  http: [{route: [{destination: {host: web}}]}]
""")
def export_to(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for kind in KINDS:
        for doc in index.kind(kind):
            entries = as_list(spec_of(doc).get("exportTo"))
            if is_istio(doc) and entries:
                for msg in _errors(doc, [str(e) for e in entries]):
                    yield finding("CG-MESH-039", doc, f"{kind} {doc.name}: spec.exportTo: {msg}", field="spec.exportTo")


def _errors(doc: Document, entries: list[str]) -> Iterator[str]:
    own = doc.namespace  # only an explicit namespace makes `.` comparable with a namespace entry
    service_entry = doc.kind == "ServiceEntry"
    seen: set[str] = set()
    for e in entries:
        key = own if e == PRIVATE and own else e
        if key in seen:
            yield (f"duplicate entries in exportTo: . and current namespace {own}" if key != e else
                   f"duplicate entries in exportTo for entry {e}")
            continue
        if e == NONE and not service_entry:
            yield "exportTo ~ (none) is not allowed for Istio configuration objects"
            continue
        if e not in (PRIVATE, PUBLIC, NONE) and not (len(e) <= 63 and _ISTIO_LABEL.match(e)):
            yield f"{e!r}: only .,*, or a valid DNS 1123 label is allowed as exportTo entry"
            continue
        seen.add(key)
    if PUBLIC in seen and len(entries) > 1:
        yield "cannot have both public (*) and non-public exportTo values for a resource"
    if NONE in seen and len(entries) > 1:
        yield "cannot export service entry to no one (~) and someone"
    if doc.kind == "DestinationRule" and spec_of(doc).get("workloadSelector") is not None and seen:
        local = {PRIVATE} | ({own} if own else set())
        if not seen & local:
            if own or seen <= {PUBLIC, NONE}:  # a namespace entry may be the (unknown) release namespace
                yield "destination rule with workload selector cannot have exportTo beyond current namespace"
        elif len(seen) > 1:
            yield "destination rule with workload selector cannot have multiCluster export"
