"""A small CEL subset translated to Python, for the CRD fast path (:mod:`chartgen.check.crd_fast`).

`translate(rule)` parses a CEL expression of the subset CRDs use (literals, `self`, member access, `has()`, the
`all`/`exists`/`exists_one` macros, `size`, `int`, `duration`, string `contains`/`startsWith`/`endsWith`/`substring`/
`matches`, `in`, arithmetic `+`, comparisons, `!`, `&&`, `||`, `?:`) into a Python expression over `self`, or None
when the rule uses anything else. The runtime helpers raise :class:`Unsure` wherever the Python reading could differ
from celpy's (mixed types, an error in CEL, a duration form we do not parse): the caller then falls back to celpy, so a
translated rule never passes a value celpy would fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any


class Unsure(Exception):
    """The fast reading cannot decide: use the full validator."""


# --- runtime ----------------------------------------------------------------------------------------------------


class Duration(float):
    pass


def _kind(v: Any) -> str:
    if isinstance(v, Duration):
        return "duration"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "map"
    if v is None:
        return "null"
    raise Unsure


_DUR_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DUR = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def c_duration(v: Any) -> Duration:
    if not isinstance(v, str) or not _DUR.match(v):
        raise Unsure
    return Duration(sum(float(n) * _SECONDS[u] for n, u in _DUR_PART.findall(v)))


def c_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise Unsure
    return v


def c_get(obj: Any, name: str) -> Any:
    if not isinstance(obj, dict) or name not in obj:
        raise Unsure
    return obj[name]


def c_has(obj: Any, name: str) -> bool:
    if not isinstance(obj, dict):
        raise Unsure
    return name in obj


def c_index(obj: Any, key: Any) -> Any:
    if isinstance(obj, list) and _kind(key) == "int" and 0 <= key < len(obj):
        return obj[key]
    if isinstance(obj, dict) and isinstance(key, str) and key in obj:
        return obj[key]
    raise Unsure


def c_size(v: Any) -> int:
    if isinstance(v, (str, list, dict)):
        return len(v)
    raise Unsure


def c_int(v: Any) -> int:
    if isinstance(v, str) and re.match(r"^-?[0-9]+$", v):
        return int(v)
    if _kind(v) == "int":
        return int(v)
    raise Unsure


def c_eq(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka != kb or ka in ("list", "map", "double", "duration"):
        raise Unsure
    return bool(a == b)


def c_cmp(op: str, a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka != kb or ka not in ("int", "string", "duration"):
        raise Unsure
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def c_in(a: Any, container: Any) -> bool:
    if isinstance(container, list):
        return any(c_eq(a, x) for x in container)
    if isinstance(container, dict) and isinstance(a, str):
        return a in container
    raise Unsure


def c_add(a: Any, b: Any) -> Any:
    ka, kb = _kind(a), _kind(b)
    if ka != kb or ka not in ("int", "string", "list"):
        raise Unsure
    return a + b


def c_str(v: Any) -> str:
    if not isinstance(v, str):
        raise Unsure
    return v


def c_iter(v: Any) -> list[Any]:
    if isinstance(v, list):
        return v
    if isinstance(v, dict):
        return list(v)
    raise Unsure


def c_all(v: Any, fn: Callable[[Any], Any]) -> bool:
    return all(c_bool(fn(x)) for x in c_iter(v))


def c_exists(v: Any, fn: Callable[[Any], Any]) -> bool:
    return any(c_bool(fn(x)) for x in c_iter(v))


def c_exists_one(v: Any, fn: Callable[[Any], Any]) -> bool:
    return sum(1 for x in c_iter(v) if c_bool(fn(x))) == 1


def c_contains(s: Any, sub: Any) -> bool:
    return c_str(sub) in c_str(s)


def c_starts(s: Any, p: Any) -> bool:
    return c_str(s).startswith(c_str(p))


def c_ends(s: Any, p: Any) -> bool:
    return c_str(s).endswith(c_str(p))


def c_substring(s: Any, start: Any, end: Any = None) -> str:
    text = c_str(s)
    if _kind(start) != "int" or (end is not None and _kind(end) != "int"):
        raise Unsure
    return text[start:] if end is None else text[start:end]


def c_matches(s: Any, pattern: Any) -> bool:
    try:
        return re.search(c_str(pattern), c_str(s)) is not None
    except re.error:
        raise Unsure from None


RUNTIME: dict[str, Any] = {name: fn for name, fn in globals().items() if name.startswith("c_")}


# --- parsing ----------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:(?P<num>\d+\.\d+|\d+)(?![\w.])|(?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|
    (?P<id>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]{}]))""", re.X)
_METHODS = {"contains": ("c_contains", 1), "startsWith": ("c_starts", 1), "endsWith": ("c_ends", 1),
            "matches": ("c_matches", 1), "size": ("c_size", 0)}
_MACROS = {"all": "c_all", "exists": "c_exists", "exists_one": "c_exists_one"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


class _Unsupported(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _Unsupported
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _string(lit: str) -> str:
    body, out, i = lit[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            if i + 1 >= len(body) or body[i + 1] not in _ESCAPES:
                raise _Unsupported
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.bound: list[str] = ["self"]

    def peek(self) -> str:
        return self.toks[self.i][1] if self.i < len(self.toks) else ""

    def take(self, want: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.toks) or (want is not None and self.toks[self.i][1] != want):
            raise _Unsupported
        self.i += 1
        return self.toks[self.i - 1]

    def parse(self) -> str:
        out = self.expr()
        if self.i != len(self.toks):
            raise _Unsupported
        return out

    def expr(self) -> str:
        cond = self.binary(0)
        if self.peek() == "?":
            self.take("?")
            a = self.expr()
            self.take(":")
            b = self.expr()
            return f"(({a}) if c_bool({cond}) else ({b}))"
        return cond

    _LEVELS: tuple[tuple[str, ...], ...] = (("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">=", "in"), ("+",))

    def binary(self, level: int) -> str:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            op = self.take()[1]
            right = self.binary(level + 1)
            left = self._combine(op, left, right)
        return left

    @staticmethod
    def _combine(op: str, a: str, b: str) -> str:
        if op == "||":
            return f"(c_bool({a}) or c_bool({b}))"
        if op == "&&":
            return f"(c_bool({a}) and c_bool({b}))"
        if op == "==":
            return f"c_eq({a}, {b})"
        if op == "!=":
            return f"(not c_eq({a}, {b}))"
        if op == "in":
            return f"c_in({a}, {b})"
        if op == "+":
            return f"c_add({a}, {b})"
        return f"c_cmp({op!r}, {a}, {b})"

    def unary(self) -> str:
        if self.peek() == "!":
            self.take("!")
            return f"(not c_bool({self.unary()}))"
        if self.peek() == "-":
            raise _Unsupported
        return self.member(self.primary())

    def args(self) -> list[str]:
        self.take("(")
        out: list[str] = []
        while self.peek() != ")":
            out.append(self.expr())
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return out

    def member(self, base: str) -> str:
        while self.peek() in (".", "["):
            if self.take()[1] == "[":
                key = self.expr()
                self.take("]")
                base = f"c_index({base}, {key})"
                continue
            kind, name = self.take()
            if kind != "id":
                raise _Unsupported
            if self.peek() != "(":
                base = f"c_get({base}, {name!r})"
            elif name in _MACROS:
                base = self.macro(base, name)
            elif name == "substring":
                base = f"c_substring({base}, {', '.join(self.args())})"
            elif name in _METHODS:
                fn, n = _METHODS[name]
                args = self.args()
                if len(args) != n:
                    raise _Unsupported
                base = f"{fn}({', '.join([base, *args])})"
            else:
                raise _Unsupported
        return base

    def macro(self, base: str, name: str) -> str:
        self.take("(")
        kind, var = self.take()
        if kind != "id" or var in self.bound or var in RUNTIME:
            raise _Unsupported
        self.take(",")
        self.bound.append(var)
        body = self.expr()
        self.bound.pop()
        self.take(")")
        return f"{_MACROS[name]}({base}, lambda _{var}: {body})"

    def primary(self) -> str:
        kind, tok = self.take()
        if kind == "num":
            return tok
        if kind == "str":
            return repr(_string(tok))
        if tok == "(":
            inner = self.expr()
            self.take(")")
            return f"({inner})"
        if tok == "[":
            items = []
            while self.peek() != "]":
                items.append(self.expr())
                if self.peek() == ",":
                    self.take(",")
            self.take("]")
            return f"[{', '.join(items)}]"
        if tok == "{":
            self.take("}")
            return "{}"
        if kind != "id":
            raise _Unsupported
        return self.ident(tok)

    def ident(self, tok: str) -> str:
        if tok in ("true", "false"):
            return "True" if tok == "true" else "False"
        if tok == "null":
            return "None"
        if self.peek() == "(":
            if tok == "has":
                return self.has()
            fns = {"size": "c_size", "int": "c_int", "duration": "c_duration"}
            if tok not in fns:
                raise _Unsupported
            args = self.args()
            if len(args) != 1:
                raise _Unsupported
            return f"{fns[tok]}({args[0]})"
        if tok not in self.bound:
            raise _Unsupported
        return f"_{tok}"

    def has(self) -> str:
        self.take("(")
        kind, tok = self.take()
        if kind != "id" or tok not in self.bound:
            raise _Unsupported
        base = f"_{tok}"
        path: list[str] = []
        while self.peek() == ".":
            self.take(".")
            k, name = self.take()
            if k != "id":
                raise _Unsupported
            path.append(name)
        self.take(")")
        if not path:
            raise _Unsupported
        for name in path[:-1]:
            base = f"c_get({base}, {name!r})"
        return f"c_has({base}, {path[-1]!r})"


def translate(rule: str) -> str | None:
    """The Python expression (over `_self`) for a CEL rule of the subset, or None."""
    try:
        return _Parser(rule).parse()
    except (_Unsupported, IndexError, RecursionError):
        return None
