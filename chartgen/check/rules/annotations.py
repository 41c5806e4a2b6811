"""Layer "api", object metadata: annotation keys and the total annotation size (ValidateObjectMeta /
ValidateAnnotations in k8s.io/apimachinery/pkg/api/validation/objectmeta.go). Labels are CG-API-004, names
CG-API-005."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import as_dict
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.core import k8snames

E = Severity.ERROR
LAYER = "api"
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def qualified_key_error(key: str) -> str | None:
    """IsQualifiedName: `[prefix/]name`, prefix a DNS subdomain, name <= 63 of [-A-Za-z0-9_.] alnum at both ends."""
    prefix, sep, name = key.rpartition("/")
    if sep and (not prefix or "/" in prefix):
        return "must be a name with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    if sep and (len(prefix) > 253 or not k8snames.DNS1123_SUBDOMAIN.match(prefix)):
        return "prefix part must be a lowercase RFC 1123 subdomain"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME_PART.match(name):
        return ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character")
    return None


def _annotation_maps(doc: Document) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "metadata.annotations", doc.annotations
    spec = as_dict(doc.obj.get("spec"))
    if doc.kind == "CronJob":
        spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
        yield "spec.jobTemplate.metadata.annotations", as_dict(
            as_dict(as_dict(doc.obj.get("spec")).get("jobTemplate")).get("metadata")).get("annotations") or {}
        prefix = "spec.jobTemplate.spec.template"
    else:
        prefix = "spec.template"
    template = spec.get("template")
    if isinstance(template, dict) and doc.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
                                                   "CronJob", "Rollout"):
        yield f"{prefix}.metadata.annotations", as_dict(as_dict(template.get("metadata")).get("annotations"))


@rule("CG-OBJ-001", E, "Annotation key invalid, or annotations larger than 256 KiB in total", LAYER,
      why="ValidateAnnotations (k8s.io/apimachinery/pkg/api/validation/objectmeta.go): annotation keys are "
          "qualified names ([prefix/]name) and all keys plus values of one object may not exceed 262144 bytes.",
      fix="use keys like example.com/some-key (no spaces, at most one '/'); move large payloads to a ConfigMap",
      example="""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  annotations:
    checksum config: abc123
data: {mode: prod}
""")
def annotation_keys(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        if not doc.kind or not doc.api_version:
            continue
        for path, ann in _annotation_maps(doc):
            total = 0
            for key, value in ann.items():
                total += len(str(key)) + len(str(value if value is not None else ""))
                if isinstance(key, str) and (err := qualified_key_error(key)):
                    yield finding("CG-OBJ-001", doc, f"{path}: Invalid value: {key!r}: {err}",
                                  field=f"{path}[{key}]")
            if total > TOTAL_ANNOTATION_SIZE_LIMIT:
                yield finding("CG-OBJ-001", doc, f"{path}: Too long: must have at most {TOTAL_ANNOTATION_SIZE_LIMIT} "
                              f"bytes (has {total})", field=path)
