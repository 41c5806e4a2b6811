"""The suppression annotation: a resource opts out of rules with

    chartgen.io/ignore: "CG-SVC-004,CG-X-001: reason text"

The reason is required; an annotation without one is itself a finding (CG-META-001) and suppresses nothing.
"""

from __future__ import annotations

import re

from chartgen.check.model import Document
from chartgen.core.record import Record, record

IGNORE_ANNOTATION = "chartgen.io/ignore"
IGNORE_FIELD = f"metadata.annotations[{IGNORE_ANNOTATION}]"
RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


@record
class Ignore(Record):
    rules: frozenset[str]
    reason: str


def parse_ignore(value: object) -> Ignore | str:
    """The annotation's rules and reason, or a one-line description of what is wrong with it."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    ids_text, sep, reason = value.partition(":")
    ids = [part.strip() for part in ids_text.split(",") if part.strip()]
    bad = [i for i in ids if not RULE_ID.match(i)]
    if not ids or bad:
        return f"{value!r} does not start with rule ids (e.g. CG-SVC-004,CG-SVC-010)"
    if not sep or not reason.strip():
        return f"{value!r} gives no reason after the rule ids"
    return Ignore(frozenset(ids), reason.strip())


def ignores_of(doc: Document) -> Ignore | str | None:
    """The parsed annotation of one document, a description of what is wrong with it, or None when absent."""
    annotations = doc.annotations
    if IGNORE_ANNOTATION not in annotations:
        return None
    return parse_ignore(annotations[IGNORE_ANNOTATION])
