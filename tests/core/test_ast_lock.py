"""chartgen.core.ast_lock: the calls through which chartgen makes Python build AST objects (Jinja's lexer, lark's
grammar reader under celpy) hold AST_LOCK, so verify's threads never build AST objects at once (CPython 3.11's
"AST constructor recursion depth mismatch", python/cpython issue 106905)."""

from __future__ import annotations

import ast
from pathlib import Path

import jinja2.lexer
import pytest

from chartgen.core.ast_lock import AST_LOCK


@pytest.fixture
def ast_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether AST_LOCK was held by the calling thread, for each ast.parse (literal_eval goes through it)."""
    held: list[bool] = []
    real = ast.parse

    def parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        held.append(AST_LOCK._is_owned())  # type: ignore[attr-defined]
        return real(*args, **kwargs)

    monkeypatch.setattr(ast, "parse", parse)
    monkeypatch.setattr(jinja2.lexer, "literal_eval", lambda s: ast.literal_eval(s))
    return held


def test_compiling_a_template_holds_the_lock(tmp_path: Path, ast_calls: list[bool]) -> None:
    from chartgen.generate.engine import Engine

    engine = Engine.__new__(Engine)
    engine.jinja = jinja2.Environment(loader=jinja2.DictLoader({"t.j2": "{{ 1 + 2.5 }}"}))
    engine._names = {}
    engine.library = type("Lib", (), {"root": tmp_path})()
    ast_calls.clear()  # importing the engine is no compilation
    template = engine._template(tmp_path / "t.j2")
    assert template.render() == "3.5"
    assert ast_calls and all(ast_calls), ast_calls  # the lexer read both numbers, each under the lock


def test_compiling_a_cel_rule_holds_the_lock(ast_calls: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    import celpy

    from chartgen.check import cel

    owned: list[bool] = []
    real = celpy.Environment.compile

    def compile_(self, text):  # type: ignore[no-untyped-def]
        owned.append(AST_LOCK._is_owned())  # type: ignore[attr-defined]
        return real(self, text)

    monkeypatch.setattr(celpy.Environment, "compile", compile_)
    ast_calls.clear()  # importing celpy is no call of chartgen's
    program, reason = cel.compile_cel("self.size() <= 16 && self.startsWith('a')  ")
    assert reason is None and program is not None
    assert owned == [True] and all(ast_calls)
