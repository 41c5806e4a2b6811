"""The chartgen.io/ignore annotation itself (see chartgen.check.suppress)."""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import on
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import all_rules, finding, rule
from chartgen.check.suppress import IGNORE_ANNOTATION, IGNORE_FIELD, Ignore, ignores_of

LAYER = "meta"


@rule(
    "CG-META-001",
    Severity.WARNING,
    "chartgen.io/ignore annotation is malformed or gives no reason (it suppresses nothing)",
    LAYER,
    why="A suppression without a reason cannot be reviewed, so it is not honoured: the findings it meant to "
    "silence are still reported.",
    fix=f'write {IGNORE_ANNOTATION}: "RULE-ID[,RULE-ID]: why this is fine here"',
    example="""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations: {chartgen.io/ignore: "CG-X-001"}
""",
)
def malformed_ignore(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        parsed = ignores_of(doc)
        if isinstance(parsed, str):
            yield finding(
                "CG-META-001",
                doc,
                on(doc, f"annotation {IGNORE_ANNOTATION} {parsed}; nothing is suppressed"),
                field=IGNORE_FIELD,
            )


@rule(
    "CG-META-002",
    Severity.WARNING,
    "chartgen.io/ignore names a rule id that does not exist",
    LAYER,
    why="A misspelt id suppresses nothing; `chartgen check` on the command line stops with exit 2 instead.",
    fix="fix the rule id (`chartgen rules` lists them)",
    example="""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations: {chartgen.io/ignore: "CG-NOPE-1: typo"}
""",
)
def unknown_ignored_rule(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    known = {r.id for r in all_rules()}
    for doc in index:
        parsed = ignores_of(doc)
        if isinstance(parsed, Ignore):
            for rule_id in sorted(parsed.rules - known):
                yield finding(
                    "CG-META-002",
                    doc,
                    on(doc, f"annotation {IGNORE_ANNOTATION} names unknown rule {rule_id}"),
                    field=IGNORE_FIELD,
                )
