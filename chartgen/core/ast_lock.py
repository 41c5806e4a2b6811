"""One lock around the calls through which chartgen makes Python build AST objects while verify's thread pool runs.

CPython 3.11 keeps the AST constructor's recursion depth per interpreter, not per thread (python/cpython issue 106905):
two threads building AST objects at once can fail with `SystemError: AST constructor recursion depth mismatch`. verify
renders and checks charts on a thread pool, and two of chartgen's calls build AST objects: compiling a Jinja template
or expression (Jinja's lexer reads number literals with `ast.literal_eval`) and compiling a CEL rule (lark reads its
grammar's literals so). Both run under AST_LOCK, as does importing the rule modules (an import hook may build AST
objects: pytest's assertion rewriting does, for chartgen's modules in the test suite); each runs once per template,
rule or process, so the lock costs nothing measurable."""

from __future__ import annotations

import threading

AST_LOCK = threading.RLock()
