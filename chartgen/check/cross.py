"""Compatibility name for istio_schema.py (being replaced in issue 11). New code imports from
chartgen.check.helpers; the rules that lived here are in chartgen/check/rules/."""

from __future__ import annotations

from chartgen.check.helpers import index_cache

__all__ = ["index_cache"]
