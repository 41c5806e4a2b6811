"""Kubernetes name syntax (k8s.io/apimachinery/pkg/util/validation), shared by the spec loader and the checks."""

from __future__ import annotations

from typing import Any

from chartgen.core.lazy_pattern import lazy_pattern

DNS1123_LABEL = lazy_pattern(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # <= 63 chars, checked by callers
DNS1123_SUBDOMAIN = lazy_pattern(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")  # <= 253
DNS1035_LABEL = lazy_pattern(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")  # <= 63; Service names


def json_type(value: Any) -> str:
    """The JSON Schema type name of a parsed YAML/JSON value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
