"""Emit values files: stable key order, 2-space indent, every top-level and nested map key commented.

A string is written plain only when every YAML resolver helm or a user's tools might use (YAML 1.1 as Go's
yaml.v2 and PyYAML read it, YAML 1.2 as yaml.v3 reads it) reads it back as that same string; anything that looks
like a number, a boolean, null, a timestamp or YAML syntax (`1e3`, `yes`, `on`, `0x1F`, `012`, `~`, `1_000`,
`.inf`, `2024-01-01`, `{{`, `: `, `#`, ...) is double-quoted, so the string reaches the manifest unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from chartgen.core.lazy_pattern import lazy_pattern

# Plain scalars that stay strings under YAML 1.1 and 1.2 alike: start with a letter or '/', then letters,
# digits and . _ / - only, and are not one of the words some resolver reads as a boolean or null.
_PLAIN = lazy_pattern(r"^[A-Za-z/][A-Za-z0-9._/-]*$")
_WORDS = frozenset({"y", "yes", "n", "no", "true", "false", "on", "off", "null", "nan", "inf"})
# Printable ASCII but `"` and `\`: written unescaped in double quotes (short: the dumper folds lines past its width)
_QUOTED_AS_IS = lazy_pattern(r'[ !#-\[\]-~]{0,1000}')


def plain_is_safe(text: str) -> bool:
    return bool(_PLAIN.match(text)) and text.lower() not in _WORDS and "\n" not in text


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Double-quotes every string that is not plainly a string to every resolver."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = None if plain_is_safe(data) else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def _scalar(value: Any) -> str:
    # The common scalars directly (what the dumper would write; tests/generate/test_values_fidelity.py compares),
    # the rest through the dumper: a values file has hundreds of keys, and a dumper per scalar was most of writing it.
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is str:
        if plain_is_safe(value):
            return value
        if _QUOTED_AS_IS.fullmatch(value):  # the dumper's double quotes around printable ASCII, nothing escaped
            return f'"{value}"'
    return dumped_scalar(value)


def dumped_scalar(value: Any) -> str:
    """`value` as a YAML flow scalar, written by the dumper."""
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=10_000, allow_unicode=True)
    text = text.strip()
    if text.endswith("\n..."):  # the document end marker after a plain scalar (not the scalar's own "...")
        text = text[: -len("\n...")]
    return text.strip()


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


# Characters YAML does not allow raw (C0/C1 controls, DEL, U+FFFE/FFFF) or reads as line breaks (NEL, LS, PS).
_UNSAFE = lazy_pattern("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def json_text(value: Any) -> str:
    """JSON for `value` that is also YAML every parser reads back unchanged (unsafe characters \\u-escaped)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


