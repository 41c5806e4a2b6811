"""CEL for CRD ``x-kubernetes-validations`` rules: compile with cel-python (celpy), plan per schema, evaluate.

A rule celpy cannot compile (syntax it does not parse, or a Kubernetes CEL library function it does not provide)
is not evaluated; :func:`build_cel_plan` returns it in ``CelPlan.skipped`` so the caller can say so. Transition
rules (``oldSelf``) do not apply on create and are ignored. Nothing here is imported until a schema carries CEL.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import field
from pathlib import Path
from typing import Any

from chartgen.core.ast_lock import AST_LOCK
from chartgen.core.record import MutableRecord, Record, mutable_record, record

_CEL_MACROS = {"has", "all", "exists", "exists_one", "map", "filter"}


@record
class SkippedRule(Record):
    path: str  # schema path, e.g. spec.servers[].tls
    rule: str
    reason: str


@functools.cache
def _cel_extensions() -> dict[str, Any]:
    """The Kubernetes CEL string-library functions celpy lacks (cel-go ext.Strings), as far as CRDs use them."""
    from celpy import celtypes

    S = celtypes.StringType

    def substring(s: Any, start: Any, end: Any = None) -> Any:
        return S(str(s)[int(start):] if end is None else str(s)[int(start):int(end)])

    def index_of(s: Any, sub: Any, offset: Any = 0) -> Any:
        return celtypes.IntType(str(s).find(str(sub), int(offset)))

    def last_index_of(s: Any, sub: Any, offset: Any = None) -> Any:
        text = str(s) if offset is None else str(s)[: int(offset) + len(str(sub))]
        return celtypes.IntType(text.rfind(str(sub)))

    def replace(s: Any, old: Any, new: Any, n: Any = -1) -> Any:
        return S(str(s).replace(str(old), str(new), int(n)))

    def split(s: Any, sep: Any, n: Any = -1) -> Any:
        n = int(n)
        if n == 0:
            return celtypes.ListType([])
        return celtypes.ListType([S(x) for x in str(s).split(str(sep), n - 1 if n > 0 else -1)])

    def join(items: Any, sep: Any = "") -> Any:
        return S(str(sep).join(str(x) for x in items))

    return {
        "substring": substring,
        "charAt": lambda s, i: S(str(s)[int(i):int(i) + 1]),
        "lowerAscii": lambda s: S(str(s).lower()),
        "upperAscii": lambda s: S(str(s).upper()),
        "trim": lambda s: S(str(s).strip()),
        "indexOf": index_of,
        "lastIndexOf": last_index_of,
        "replace": replace,
        "split": split,
        "join": join,
    }


@functools.cache
def _cel_known_functions() -> frozenset[str]:
    from celpy import evaluation

    return (frozenset(k for k in evaluation.base_functions if k[:1].isalpha()) | _CEL_MACROS
            | frozenset(_cel_extensions()))


@functools.lru_cache(maxsize=1)
def _install_cached_cel_parser() -> None:
    """celpy builds its lark LALR parser from the grammar on first use (~0.4 s per process). Build the same parser
    with lark's grammar cache (kept in chartgen's cache folder) so later processes load it in a few ms."""
    import celpy
    import lark
    from celpy.celparser import CELParser

    from chartgen.core.user_cache import tools_dir

    if CELParser.CEL_PARSER is not None:
        return
    try:
        cache = tools_dir() / f"cel-lark-{getattr(celpy, '__version__', 'x')}-{lark.__version__}.cache"
        cache.parent.mkdir(parents=True, exist_ok=True)
        grammar = (Path(celpy.__file__).parent / "cel.lark").read_text(encoding="utf-8")
        CELParser.CEL_PARSER = lark.Lark(
            grammar, parser="lalr", start="expr", g_regex_flags=re.M,
            lexer_callbacks={"IDENT": CELParser.ambiguous_literals}, propagate_positions=True,
            maybe_placeholders=False, priority="invert", tree_class=lark.Tree, cache=str(cache))
    except Exception:  # no writable cache, or a celpy that builds its parser differently: let celpy do it
        CELParser.CEL_PARSER = None


@functools.cache
def compile_cel(rule_text: str) -> tuple[Any, str | None]:
    """(program, None) or (None, reason the rule cannot be evaluated by celpy)."""
    with AST_LOCK:  # lark builds AST objects while it reads its grammar (chartgen/core/ast_lock.py)
        return _compile_cel(rule_text)


def _compile_cel(rule_text: str) -> tuple[Any, str | None]:
    import celpy

    _install_cached_cel_parser()
    try:
        env = celpy.Environment()
        ast = env.compile(rule_text)
    except Exception as exc:  # CELParseError and anything lark raises
        return None, f"does not compile: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    known = _cel_known_functions()
    for t in ast.iter_subtrees():
        if t.data == "ident_arg":
            name = str(t.children[0])
        elif t.data == "member_dot_arg":
            name = str(t.children[1])
        else:
            continue
        if name not in known:
            return None, f"uses {name}(), which celpy does not provide"
    try:
        return env.program(ast, functions=_cel_extensions()), None
    except Exception as exc:
        return None, f"does not compile: {exc}"


@mutable_record
class CelRule(MutableRecord):
    rule: str
    message: str
    program: Any


@mutable_record
class CelNode(MutableRecord):
    type: Any = None
    rules: list[CelRule] = field(default_factory=list)
    props: dict[str, CelNode] = field(default_factory=dict)
    items: CelNode | None = None
    addl: CelNode | None = None


@mutable_record
class CelPlan(MutableRecord):
    root: CelNode | None  # None when no rule can be evaluated
    skipped: list[SkippedRule]


def build_cel_plan(schema: dict[str, Any]) -> CelPlan:
    """The CEL rules of an openAPIV3Schema, compiled, with the rules that cannot be evaluated."""
    skipped: list[SkippedRule] = []
    return CelPlan(_plan(schema, "", skipped), skipped)


def _plan(node: Any, path: str, skipped: list[SkippedRule]) -> CelNode | None:
    if not isinstance(node, dict):
        return None
    plan = CelNode(type=node.get("type"))
    for v in node.get("x-kubernetes-validations") or []:
        text = str(v.get("rule", "")) if isinstance(v, dict) else ""
        if not text or "oldSelf" in text:
            continue  # transition rules are not evaluated on create
        program, reason = compile_cel(text)
        if program is None:
            skipped.append(SkippedRule(path or "<root>", text, reason or ""))
            continue
        plan.rules.append(CelRule(text, str(v.get("message") or f"failed rule: {text}"), program))
    for name, child in (node.get("properties") or {}).items():
        sub = _plan(child, f"{path}.{name}" if path else name, skipped)
        if sub is not None:
            plan.props[name] = sub
    if isinstance(node.get("items"), dict):
        plan.items = _plan(node["items"], f"{path}[]", skipped)
    if isinstance(node.get("additionalProperties"), dict):
        plan.addl = _plan(node["additionalProperties"], f"{path}[*]", skipped)
    if plan.rules or plan.props or plan.items or plan.addl:
        return plan
    return None


_PY_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def type_ok(schema_type: Any, value: Any) -> bool:
    if value is None:
        return False
    if schema_type in _PY_TYPES:
        return isinstance(value, _PY_TYPES[schema_type])
    if schema_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if schema_type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


PASS = object()
_CEL_RESULTS: dict[tuple[str, str], Any] = {}  # (rule, canonical JSON of self) -> PASS | None | problem text


def _run_cel(r: CelRule, value: Any) -> Any:
    """PASS, None (rule is false) or a problem text (rule could not be evaluated on the value). Memoized: charts
    repeat the same few values (timeouts, label maps) and celpy interprets each evaluation (~1 ms)."""
    try:
        key: tuple[str, str] | None = (r.rule, json.dumps(value, sort_keys=True, default=str))
    except (TypeError, ValueError):
        key = None
    if key is not None and key in _CEL_RESULTS:
        return _CEL_RESULTS[key]
    result = _evaluate(r, value)
    if key is not None:
        if len(_CEL_RESULTS) > 50_000:
            _CEL_RESULTS.clear()
        _CEL_RESULTS[key] = result
    return result


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _evaluate(r: CelRule, value: Any) -> Any:
    import celpy
    from celpy.evaluation import CELEvalError

    try:
        activation = {"self": celpy.json_to_cel(value)}
    except Exception:
        return PASS  # not representable in CEL: the structural check reports the value
    try:
        result = r.program.evaluate(activation)
    except CELEvalError as exc:
        result = exc
    except Exception as exc:  # defensive: a celpy bug must not break the check
        result = CELEvalError(str(exc))
    if isinstance(result, CELEvalError):
        if len(result.args) > 1 and result.args[1] is KeyError:
            return PASS  # an unsupported function slipped through the compile-time scan: treat as skipped
        return f"invalid value {_short(value)}: the rule cannot be evaluated on it"
    return PASS if bool(result) else None


CelFailure = tuple[list[Any], CelRule, "str | None"]


def evaluate_plan(plan: CelNode, value: Any, path: list[Any] | None = None) -> list[CelFailure]:
    """(path, rule, problem) for every rule that does not hold; problem is None when the rule is simply false."""
    out: list[CelFailure] = []
    _eval(plan, value, path or [], out)
    return out


def _eval(plan: CelNode, value: Any, path: list[Any], out: list[CelFailure]) -> None:
    if not type_ok(plan.type, value):
        return  # wrong type or null: the structural check reports it
    for r in plan.rules:
        problem = _run_cel(r, value)
        if problem is not PASS:
            out.append((path, r, problem))
    if plan.props and isinstance(value, dict):
        for name, child in plan.props.items():
            if name in value:
                _eval(child, value[name], path + [name], out)
    if plan.items is not None and isinstance(value, list):
        for i, v in enumerate(value):
            _eval(plan.items, v, path + [i], out)
    if plan.addl is not None and isinstance(value, dict):
        for k, v in value.items():
            _eval(plan.addl, v, path + [k], out)
