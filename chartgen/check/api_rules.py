"""Compatibility names for schema.py and istio_schema.py, which import them from here (those files are being
replaced by the generic CRD layer of issue 11). New code imports from chartgen.check.helpers; the rules that
lived here are in chartgen/check/rules/objects.py, service_spec.py and workloads.py."""

from __future__ import annotations

from chartgen.check.helpers import BUILTIN_GROUPS, api_group, is_istio_group, is_object, on
from chartgen.check.model import Document, Finding, Severity

__all__ = ["BUILTIN_GROUPS", "api_group", "at", "is_istio_group", "is_object"]


def at(doc: Document, rule_id: str, severity: Severity, message: str, hint: str,
       field: str | None = None) -> Finding:
    """Finding.at with the message prefixed by the resource (the schema layers' builder)."""
    return Finding.at(doc, rule_id, severity, on(doc, message), hint, field=field)
