"""Precision of `chartgen check` on real, public manifests: per set, its errors and warnings; every error must be
listed, with why it is true, in bench/realworld_true_errors.yaml.

Usage: python bench/realworld.py --corpus ../shared/realworld [--verbose] [--kube-version 1.31]

Sets (what is checked together; a set is what one `chartgen check FILE...` would get):
  charts/*.yaml          one chart render each (complete for the chart's own objects)
  bitnami/*.yaml, helm-create/*.yaml   one render each
  bookinfo/              the four files together (SOURCE.md: one consistent set)
  istio-samples/         per sample folder: the files that define workloads and Services (the sample's platform)
                         together with each file that routes to them; files that are not manifests (Chart.yaml,
                         values.yaml, Go templates, skaffold, swagger) are skipped.

Exit 0 when every error is in the table, 1 when one is not (a false error, or a true one nobody has explained),
2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TABLE = REPO / "bench" / "realworld_true_errors.yaml"
NOT_MANIFESTS = {"Chart.yaml", "values.yaml", "skaffold.yaml", "swagger.yaml", "kustomization.yaml"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Service", "ServiceAccount", "Pod"}


@dataclass
class Set:
    name: str
    files: list[Path]


def _objects(path: Path) -> list[dict] | None:
    """The YAML objects of a file, or None when it is not a plain manifest (a template, not YAML, no kinds)."""
    text = path.read_text(errors="replace")
    if "{{" in text:
        return None
    try:
        objs = [o for o in yaml.safe_load_all(text) if isinstance(o, dict)]
    except yaml.YAMLError:
        return None
    return objs if objs and all("kind" in o and "apiVersion" in o for o in objs) else None


def istio_sample_sets(root: Path) -> list[Set]:
    """Per sample: a file that defines workloads or Services is a set of its own (variants of the platform redefine
    the same objects); a routing-only file is checked with the sample's platform file and the siblings that define
    the Gateways / DestinationRules it needs."""
    sets = []
    for sample in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [p for p in sorted(sample.rglob("*.yaml")) if p.name not in NOT_MANIFESTS
                 and "templates" not in p.parts]
        manifests = {p: objs for p in files if (objs := _objects(p)) is not None}
        base = [p for p in manifests if p.name == f"{sample.name}.yaml"][:1]
        for p, objs in manifests.items():
            if p in base or any(o.get("kind") in WORKLOAD_KINDS for o in objs):
                sets.append(Set(f"istio-samples/{p.relative_to(root)}", [p]))
                continue
            sets.append(Set(f"istio-samples/{p.relative_to(root)}", _with_context(base + [p], manifests)))
        if base:
            sets.append(Set(f"istio-samples/{base[0].relative_to(root)}", base))
    return sets


def _ids(objs: list[dict]) -> set[tuple[str, str]]:
    return {(str(o.get("kind")), str((o.get("metadata") or {}).get("name"))) for o in objs}


def _with_context(paths: list[Path], manifests: dict[Path, list[dict]]) -> list[Path]:
    """Add siblings defining the Istio Gateways / DestinationRules the set references, never one that redefines
    an object the set already has (samples ship alternatives of the same objects)."""
    out = list(paths)
    have = set().union(*(_ids(manifests[p]) for p in out if p in manifests))
    wanted = {"Gateway"} if any(o.get("kind") in ("VirtualService", "HTTPRoute") for p in paths
                                 for o in manifests.get(p, [])) else set()
    if any(o.get("kind") == "VirtualService" for p in paths for o in manifests.get(p, [])):
        wanted.add("DestinationRule")
    preferred = sorted(manifests, key=lambda p: (not p.name.endswith(("-gateway.yaml", "destination-rule-all.yaml",
                                                                        "-all-v1.yaml")), str(p)))
    for kind in sorted(wanted):
        if any(k == kind for k, _ in have):
            continue
        for cand in preferred:
            ids = _ids(manifests[cand])
            if cand in out or ids & have or not any(k == kind for k, _ in ids):
                continue
            if any(o.get("kind") in WORKLOAD_KINDS for o in manifests[cand]):
                continue
            out.append(cand)
            have |= ids
            break
    return out


def corpus_sets(corpus: Path) -> list[Set]:
    sets = [Set(f"charts/{p.stem}", [p]) for p in sorted((corpus / "charts").glob("*.yaml"))]
    for folder in ("bitnami", "helm-create"):
        sets += [Set(f"{folder}/{p.stem}", [p]) for p in sorted((corpus / folder).glob("*.yaml"))]
    sets.append(Set("bookinfo", sorted((corpus / "bookinfo").glob("*.yaml"))))
    sets += istio_sample_sets(corpus / "istio-samples")
    return sets


def error_key(set_name: str, f) -> str:
    res = f.resource
    what = f"{res.kind} {res.name}" if res is not None else f"document {f.doc_index}"
    return f"{set_name}: {f.rule} {what}"


def load_table() -> dict[str, str]:
    data = yaml.safe_load(TABLE.read_text()) or []
    return {f"{row['set']}: {row['rule']} {row['resource']}": row["why"] for row in data}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, type=Path, help="the realworld folder (../shared/realworld)")
    ap.add_argument("--kube-version", default="1.31")
    ap.add_argument("--verbose", action="store_true", help="print every warning too")
    args = ap.parse_args(argv)
    if not (args.corpus / "charts").is_dir():
        print(f"realworld.py: {args.corpus} has no charts/ folder (give --corpus PATH/TO/shared/realworld)",
              file=sys.stderr)
        return 2

    from chartgen.check.loader import load_paths
    from chartgen.check.model import CheckOptions, Severity
    from chartgen.check.runner import check

    table = load_table()
    opts = CheckOptions(kube_version=args.kube_version)
    unexplained: list[str] = []
    explained = 0
    n_warn = Counter()
    per_rule_warn = Counter()
    rows = []
    sets = corpus_sets(args.corpus)
    for s in sets:
        result = check(load_paths([str(p) for p in s.files]), opts)
        errors = [f for f in result.findings if f.severity == Severity.ERROR]
        warnings = [f for f in result.findings if f.severity == Severity.WARNING]
        n_warn[s.name] = len(warnings)
        per_rule_warn.update(f.rule for f in warnings)
        rows.append((s.name, len(errors), len(warnings)))
        for f in errors:
            key = error_key(s.name, f)
            if key in table:
                explained += 1
            else:
                unexplained.append(f"{key}: {f.message}")
        if args.verbose:
            for f in warnings:
                print(f"    warning {s.name}: {f.rule} {f.message}")

    width = max(len(r[0]) for r in rows)
    print(f"{'set':<{width}}  errors  warnings")
    for name, e, w in rows:
        print(f"{name:<{width}}  {e:>6}  {w:>8}")
    charts = [r for r in rows if r[0].startswith("charts/")]
    print()
    print(f"sets: {len(rows)} ({len(charts)} chart renders)")
    print(f"errors: {explained + len(unexplained)} ({explained} listed as true in {TABLE.relative_to(REPO)}, "
          f"{len(unexplained)} not listed)")
    print(f"warnings per chart render: {sum(r[2] for r in charts) / max(len(charts), 1):.2f} "
          f"(all sets: {sum(r[2] for r in rows) / max(len(rows), 1):.2f})")
    print("warnings by rule: " + ", ".join(f"{k} {v}" for k, v in per_rule_warn.most_common()))
    if unexplained:
        print("\nerrors not in the table (false errors, or true ones to explain there):")
        for line in unexplained:
            print(f"  {line}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
