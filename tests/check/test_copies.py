"""Plain repeated copies (the same documents rendered again, names unchanged): the loader shares their equal values
and the cross-object rules judge a copy once. Sharing must never change a finding: the same input read without
shared objects (every document deep-copied) gives exactly the same findings, lines included."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from chartgen.check.helpers import distinct_copies
from chartgen.check.loader import load_text
from chartgen.check.model import CheckOptions, Document, ManifestIndex, PodTemplate
from chartgen.check.registry import get_rule
from chartgen.check.runner import check, load_rule_modules

load_rule_modules()

# rules that judge copies once (pods of copied workloads, copied Gateway specs); each one's catalogue example
# triggers it
SHORTCUT_RULES = ("CG-REACH-001", "CG-REACH-002", "CG-REACH-003", "CG-MESH-006", "CG-MESH-007", "CG-MESH-008",
                  "CG-AVAIL-003", "CG-ISTIO-014")
COPIES = 3
# these report a Service once per distinct pod template behind it: a shared copy once, an unshared copy once more
# with the very same finding (file, line, field, message)
ONCE_PER_POD_COPY = ("CG-REACH-001", "CG-REACH-003")


def unshared(docs: list[Document]) -> list[Document]:
    """The same documents with no object in common (as if every copy had been read on its own)."""
    return [replace(d, obj=copy.deepcopy(d.obj)) for d in docs]


@pytest.mark.parametrize("rule_id", SHORTCUT_RULES)
def test_repeated_copies_give_the_findings_of_unshared_documents(rule_id):
    example = get_rule(rule_id).example
    text = "---\n".join([example] * COPIES)
    docs = load_text(text, "copies.yaml")
    per_copy = len(docs) // COPIES
    assert len(docs) == per_copy * COPIES
    # the loader did share the copies' values (otherwise this test would not exercise the shortcut)
    assert all(docs[i].obj["metadata"] is docs[i + per_copy].obj["metadata"] for i in range(per_copy))
    apart = unshared(docs)
    assert apart[0].obj["metadata"] is not apart[per_copy].obj["metadata"]

    shared_findings = check(docs, CheckOptions()).findings
    apart_findings = check(apart, CheckOptions()).findings
    if rule_id in ONCE_PER_POD_COPY:
        assert list(dict.fromkeys(apart_findings)) == shared_findings
    else:
        assert apart_findings == shared_findings
    fired = [f for f in shared_findings if f.rule == rule_id]
    assert len(fired) >= COPIES  # once per copy (of the reporting object, or of the pods it is about) at least


def test_overlapping_budgets_of_copies_name_every_budget():
    text = "---\n".join([get_rule("CG-AVAIL-003").example] * 2)
    found = [f for f in check(load_text(text, "pdb.yaml"), CheckOptions()).findings if f.rule == "CG-AVAIL-003"]
    # two copies of the Deployment, each selected by both copies of both budgets
    assert [f.message for f in found] == [
        "Deployment web's pods are selected by PodDisruptionBudgets web, frontend, web, frontend; the eviction API "
        "refuses pods with more than one budget"] * 2
    assert [f.doc_index for f in found] == [5, 5]  # reported on the last budget, as for distinct workloads


def _template(obj: dict) -> PodTemplate:
    return PodTemplate(Document(obj, "t.yaml", 0), {"app": "web"}, obj["spec"])


def test_distinct_copies_drops_only_objects_built_from_the_same_values():
    spec = {"containers": [{"name": "web", "image": "nginx:1.27"}]}
    metadata = {"name": "web"}
    first = _template({"kind": "Pod", "metadata": metadata, "spec": spec})
    same_values = _template({"kind": "Pod", "metadata": metadata, "spec": spec})
    equal_not_same = _template({"kind": "Pod", "metadata": dict(metadata), "spec": copy.deepcopy(spec)})
    other = _template({"kind": "Pod", "metadata": {"name": "api"}, "spec": spec})
    index = ManifestIndex([])
    pods = [first, same_values, equal_not_same, other, same_values]
    assert distinct_copies(index, pods) == [first, equal_not_same, other]
    assert distinct_copies(index, pods) is distinct_copies(index, pods)  # answered once per list
