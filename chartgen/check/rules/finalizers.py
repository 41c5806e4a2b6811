"""Layer "api", object metadata: finalizer names (ValidateFinalizers in k8s.io/apimachinery/pkg/api/validation/
objectmeta.go, called by ValidateObjectMeta for every kind) - CG-OBJ-002."""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import as_dict, as_list
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.rules.annotations import qualified_key_error

ORPHAN, FOREGROUND = "orphan", "foregroundDeletion"


@rule("CG-OBJ-002", Severity.ERROR, "metadata.finalizers has an invalid name, or both orphan and foregroundDeletion",
      "api",
      why="ValidateFinalizers (k8s.io/apimachinery/pkg/api/validation/objectmeta.go) rejects every object whose "
          "finalizers are not qualified names ([prefix/]name, e.g. example.com/cleanup) or that sets both orphan "
          "and foregroundDeletion: `metadata.finalizers: Invalid value`.",
      fix="name finalizers like example.com/cleanup (a DNS subdomain prefix and a name of at most 63 characters), "
          "and keep only one of orphan and foregroundDeletion",
      example="""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  finalizers: [example.com/clean up]
""")
def finalizer_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        names = as_list(as_dict(doc.obj.get("metadata")).get("finalizers"))
        for i, name in enumerate(names):
            if isinstance(name, str) and (err := qualified_key_error(name)):
                yield finding("CG-OBJ-002", doc, f"metadata.finalizers[{i}]: Invalid value: {name!r}: {err}",
                              field=f"metadata.finalizers[{i}]")
        if ORPHAN in names and FOREGROUND in names:
            yield finding("CG-OBJ-002", doc, f"metadata.finalizers: Invalid value: finalizer {ORPHAN} and "
                          f"{FOREGROUND} cannot be both set", field="metadata.finalizers")
