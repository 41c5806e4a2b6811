"""Emit values files: stable key order, 2-space indent, every top-level and nested map key commented."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

_Base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_YAML11_BOOLS = {"y", "Y", "n", "N"}  # booleans to Helm's YAML 1.1 reader that PyYAML writes unquoted


class _Dumper(_Base):  # type: ignore[misc,valid-type]
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "'" if value in _YAML11_BOOLS else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _scalar(value: Any) -> str:
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=10_000, allow_unicode=True)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.removesuffix("...").strip()


def _block(value: Any, indent: int) -> list[str]:
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=10_000,
                     allow_unicode=True, indent=2)
    pad = " " * indent
    return [pad + line for line in text.rstrip("\n").splitlines()]


def dump_values(data: Mapping[str, Any], comments: Mapping[str, str], header: str = "") -> str:
    """YAML text for `data`, with `# -- comment` above every key that has one (keys are dotted paths)."""
    lines: list[str] = [f"# {line}" if line else "#" for line in header.splitlines()] if header else []
    _emit(data, "", 0, comments, lines, top=True)
    return "\n".join(lines) + "\n"


def _emit(data: Mapping[str, Any], path: str, indent: int, comments: Mapping[str, str], lines: list[str],
          top: bool = False) -> None:
    pad = " " * indent
    first = True
    for key, value in data.items():
        p = f"{path}.{key}" if path else str(key)
        if top and not first:
            lines.append("")
        first = False
        comment = comments.get(p)
        if comment:
            for i, cl in enumerate(comment.splitlines()):
                lines.append(f"{pad}# {'-- ' if i == 0 else ''}{cl}".rstrip())
        k = _scalar(key)
        if isinstance(value, Mapping) and value:
            lines.append(f"{pad}{k}:")
            _emit(value, p, indent + 2, comments, lines)
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{k}:")
            lines.extend(_block(value, indent + 2))
        else:
            lines.append(f"{pad}{k}: {_scalar(value)}")
