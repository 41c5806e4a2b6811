"""`versions`: the versions deployed side by side, a key of its own (top level and per environment).

The versions drive Istio's splits and, without Istio, the HTTPRoute's, so they are no Istio setting: chartgen.yaml
writes them as `versions`. `istio.versions` (where they used to live) is still read, as a deprecated alias, with a
note; a file uses one spelling or the other, never both.

Internally (the typed settings, the values file's `istio.versions`, the templates) nothing changes: :func:`canonical`
moves a layer's `versions` to where the Istio parser reads them, and :func:`spelled` turns an error path back into the
key the file uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgen.core.lazy_pattern import lazy_pattern

KEY, ALIAS = "versions", "istio.versions"
NOTE = ("istio.versions is a deprecated alias of versions (they split HTTPRoute traffic too, with Istio or without); "
        "move the mapping to `versions:` at the same level")
_INTERNAL = lazy_pattern(r"(^|\.)istio\.versions(?=$|[.\[])")


def _layers(data: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    envs = data.get("environments")
    return [("", data), *((f"environments.{n}.", e) for n, e in (envs if isinstance(envs, Mapping) else {}).items()
                          if isinstance(e, Mapping))]


def _uses_alias(layer: Mapping[str, Any]) -> bool:
    istio = layer.get("istio")
    return isinstance(istio, Mapping) and "versions" in istio


def spelling(data: Mapping[str, Any]) -> tuple[bool, list[tuple[str, str]]]:
    """(the file uses the alias, errors as (path, message)): mixing both spellings is refused."""
    alias = [p + ALIAS for p, layer in _layers(data) if _uses_alias(layer)]
    key = [p + KEY for p, layer in _layers(data) if KEY in layer]
    if alias and key:
        return True, [(alias[0], f"deprecated alias of versions, and this file also writes {key[0]}; write "
                                 "versions only")]
    return bool(alias), []


def canonical(layer: Mapping[str, Any]) -> dict[str, Any]:
    """The layer with its `versions` where the Istio parser reads them (istio.versions)."""
    out = dict(layer)
    if KEY in out:
        istio = out.get("istio")
        out["istio"] = {**(istio if isinstance(istio, Mapping) else {}), "versions": out.pop(KEY)}
    return out


def spelled(path: str, alias: bool) -> str:
    """An error path as the file spells it: istio.versions... becomes versions... unless the file uses the alias."""
    return path if alias else _INTERNAL.sub(r"\1versions", path)
