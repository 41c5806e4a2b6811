"""Tiny helpers for check tests: YAML text -> Documents / ManifestIndex, and running registered rules."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CLEAN = REPO / "bench" / "check_corpus" / "clean"  # realistic manifests we wrote; nothing in them is a fault

if str(REPO) not in sys.path:  # until the project config puts the repo on the path
    sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity  # noqa: E402
from chartgen.check.registry import all_rules  # noqa: E402


def docs_from_yaml(text: str, file: str = "test.yaml") -> list[Document]:
    """Every non-empty YAML document of a multi-document string, in order."""
    out = []
    for i, obj in enumerate(yaml.safe_load_all(textwrap.dedent(text))):
        if isinstance(obj, dict):
            out.append(Document(obj, file, i))
    return out


def index_from_yaml(*texts: str, default_namespace: str | None = None) -> ManifestIndex:
    docs: list[Document] = []
    for n, text in enumerate(texts):
        docs.extend(docs_from_yaml(text, file=f"test{n}.yaml"))
    return ManifestIndex(docs, default_namespace=default_namespace)


def index_from_objects(*objs: dict, default_namespace: str | None = None) -> ManifestIndex:
    """An index over already-parsed objects (handy for mutate-one-field tests)."""
    return ManifestIndex([Document(o, "test.yaml", i) for i, o in enumerate(objs)],
                         default_namespace=default_namespace)


def index_from_files(*paths: Path) -> ManifestIndex:
    docs: list[Document] = []
    for p in paths:
        docs.extend(docs_from_yaml(p.read_text(), file=str(p)))
    return ManifestIndex(docs)


CLEAN_SETS = ("db-statefulset", "mesh-teashop", "web-frontend")


def clean_sets() -> dict[str, list[Path]]:
    """The clean corpus files, each one set. A missing file is an error here, at collection: never an empty list."""
    sets = {name: [CLEAN / f"{name}.yaml"] for name in CLEAN_SETS}
    missing = [str(p) for paths in sets.values() for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"test fixture missing: {', '.join(missing)}")
    return sets


def run_rules(index: ManifestIndex, *, ids: tuple[str, ...] | None = None, layers: tuple[str, ...] | None = None,
              opts: CheckOptions | None = None) -> list[Finding]:
    opts = opts or CheckOptions()
    out: list[Finding] = []
    for r in all_rules():
        if ids is not None and r.id not in ids:
            continue
        if layers is not None and r.layer not in layers:
            continue
        out.extend(r.fn(index, opts))
    return out


def run_rule(rule_id: str, *texts: str, opts: CheckOptions | None = None,
             default_namespace: str | None = None) -> list[Finding]:
    return run_rules(index_from_yaml(*texts, default_namespace=default_namespace), ids=(rule_id,), opts=opts)


def severities(findings: list[Finding]) -> list[Severity]:
    return [f.severity for f in findings]


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.ERROR]
