"""`json.dumps(value, indent=2, ensure_ascii=False)`, the same text, several times faster.

With an indent, Python 3.11's json module leaves its C encoder for a generator per container; values.schema.json of
a chart with Istio has some 13,000 nodes, and writing it was most of writing a chart's values files (the drift check
of `chartgen verify` writes every chart's in memory). Strings go through json's own C escaper; anything other than
plain JSON data (dict, list, tuple, str, int, float, bool, None, exactly those types) is written by json.dumps itself,
so the text is json's in every case (tests/core/test_indented_json.py compares the two on generated data).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C escaper when available: what json.dumps uses with ensure_ascii=False
from typing import Any

INDENT = 2


def dumps(value: Any) -> str:
    """json.dumps(value, indent=2, ensure_ascii=False)."""
    out: list[str] = []
    _write(value, "\n", out)
    return "".join(out)


def _write(value: Any, newline: str, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(encode_basestring(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + " " * INDENT
        sep = "{" + inner
        start = len(out)
        for key, item in value.items():
            if type(key) is not str:  # json's own key conversions (int, float, bool, None) and refusals
                del out[start:]
                _fallback(value, newline, out)
                return
            out.append(sep)
            out.append(encode_basestring(key))
            if type(item) is str:  # the most common value: no call
                out.append(": " + encode_basestring(item))
            else:
                out.append(": ")
                _write(item, inner, out)
            sep = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + " " * INDENT
        sep = "[" + inner
        for item in value:
            out.append(sep)
            _write(item, inner, out)
            sep = "," + inner
        out.append(newline + "]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    else:  # floats (NaN, Infinity), subclasses, anything json refuses: json itself
        _fallback(value, newline, out)


def _fallback(value: Any, newline: str, out: list[str]) -> None:
    # json's text never holds a raw newline (strings escape it), so indenting each line by the current depth is exact
    out.append(json.dumps(value, indent=INDENT, ensure_ascii=False).replace("\n", newline))
