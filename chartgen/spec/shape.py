"""The shape of chartgen.yaml's sections, checked before anything reads them (so a wrong type is exit 2, one line).

The JSON Schema reports most wrong types; this guards the sections the loader walks itself before the schema's
verdict is final (environments and each environment's settings), mapping keys that are not strings, and strings
holding characters helm 3 cannot carry through its values (DEL, C1 controls other than NEL, U+FFFE, U+FFFF: its
YAML writer emits them raw and then refuses its own output).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgen.core.errors import SpecError
from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.spec.yamlsource import YamlSource, join

_NOT_CARRIED = lazy_pattern("[\x7f-\x84\x86-\x9f\ufffe\uffff]")


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list"}.get(
        type(value), type(value).__name__)


def check_sections(src: YamlSource) -> None:
    data = src.data
    if not isinstance(data, Mapping):
        return  # the caller reports a spec that is not a mapping
    _string_keys(src, data, "")
    envs = data.get("environments")
    if envs is None:
        return
    if not isinstance(envs, Mapping):
        raise SpecError(src.file, "environments", f"is {_kind(envs)}; allowed: a mapping of environment name -> "
                                                  "settings (e.g. `dev: {}`)", src.line("environments"))
    for name, env in envs.items():
        path = join("environments", str(name))
        if env is not None and not isinstance(env, Mapping):
            raise SpecError(src.file, path, f"is {_kind(env)}; allowed: a mapping of settings (or `{{}}`)",
                            src.line(path))


def _string_keys(src: YamlSource, data: Mapping[Any, Any], path: str) -> None:
    for key, value in data.items():
        if not isinstance(key, str):
            raise SpecError(src.file, join(path, str(key)), f"the key {key!r} is {_kind(key)}; allowed: a string "
                                                            "(quote it)", src.line(join(path, str(key))))
        _check_value(src, value, join(path, key))


def _check_value(src: YamlSource, value: Any, path: str) -> None:
    if isinstance(value, Mapping):
        _string_keys(src, value, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(src, item, join(path, i))
    elif isinstance(value, str) and (bad := _NOT_CARRIED.search(value)):
        raise SpecError(src.file, path, f"contains the control character U+{ord(bad.group()):04X}, which helm 3 "
                                        "cannot carry in values; allowed: printable text, tabs and newlines",
                        src.line(path))
