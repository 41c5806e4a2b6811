"""Move tests/ into folders that mirror chartgen's packages (issue 26), as data: TEST_MOVES.

Run from the repository root: `python tools/move_tests.py`. For each module of TEST_MOVES still at tests/<module>.py:
1. `git mv` it to tests/<package>/<module>.py, and its syrupy snapshots tests/__snapshots__/<module>/ with it
   (to tests/<package>/__snapshots__/<module>/, where syrupy looks for them);
2. the paths a moved module computes from its own location get one more `..` (its fixtures and the repository
   root);
3. every tracked text file naming `tests/<module>.py` names the new path.
A module already moved is skipped, so a second run changes nothing. Modules not in TEST_MOVES stay at tests/ top
level: they test the tool as a whole (see ARCHITECTURE.md "Tests"). The helper modules (support, render_helpers,
installed, spec_space) stay at tests/ and are importable from every folder (pyproject's `pythonpath = ["tests"]`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# test module -> the package folder under tests/ it moves to (the chartgen package it tests)
TEST_MOVES: dict[str, str] = {
    # core: records, digests, merge, the installed-versions lookup
    "test_installed_versions": "core", "test_merge_vs_helm": "core", "test_record": "core",
    "test_stat_index": "core",
    # helm: finding, installing and isolating helm
    "test_helm_and_verify": "helm", "test_helm_isolation": "helm",
    # spec: chartgen.yaml, its schema, settings and the spec space
    "test_canary_analysis": "spec", "test_chart_meta": "spec", "test_explain": "spec",
    "test_helm_create_parity": "spec", "test_http_route_rules": "spec", "test_istio_security": "spec",
    "test_schema_quick": "spec", "test_settings": "spec", "test_settings_property": "spec", "test_spec": "spec",
    "test_spec_schema_closed": "spec", "test_spec_space": "spec", "test_versions_key": "spec",
    # generate: the engine, the writer, regeneration, the blueprints' rendered output and its snapshots
    "test_blueprint_features": "generate", "test_checkout_chart": "generate", "test_container_settings": "generate",
    "test_environments": "generate", "test_generate": "generate", "test_generate_accepted": "generate",
    "test_grpc_route": "generate", "test_issue25_examples": "generate", "test_istio_blueprints": "generate",
    "test_istio_traffic": "generate", "test_platform_settings": "generate", "test_pod_settings": "generate",
    "test_regeneration_round_two": "generate", "test_safe_regeneration": "generate", "test_scaffold": "generate",
    "test_seed_charts": "generate", "test_snapshots": "generate", "test_subcharts": "generate",
    "test_template_cache": "generate", "test_uptodate": "generate", "test_values_fidelity": "generate",
    "test_versions": "generate", "test_writer_orphans": "generate",
    # verify: chart selection, the cache, upgrades, version bumps, dependencies, policy
    "test_changed_since": "verify", "test_crd_charts": "verify", "test_example_upgrade": "verify",
    "test_policy": "verify", "test_upgrade": "verify", "test_verify_cache": "verify",
    "test_verify_dependencies": "verify", "test_verify_scale": "verify", "test_version_bump": "verify",
    # graph and check
    "test_graph": "graph", "test_check_corpus": "check",
}

# A moved module is one folder deeper: what it computes from its own location moves up one level.
DEPTH_FIXES = (
    ("Path(__file__).resolve().parents[1]", "Path(__file__).resolve().parents[2]"),
    ('Path(__file__).parent / "fixtures"', 'Path(__file__).parents[1] / "fixtures"'),
)
SKIP = ("tools/move_tests.py",)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout


def move(module: str, package: str) -> bool:
    old, new = REPO / "tests" / f"{module}.py", REPO / "tests" / package / f"{module}.py"
    if not old.exists():
        return False
    new.parent.mkdir(exist_ok=True)
    git("mv", str(old.relative_to(REPO)), str(new.relative_to(REPO)))
    snaps = REPO / "tests" / "__snapshots__" / module
    if snaps.exists():
        (new.parent / "__snapshots__").mkdir(exist_ok=True)
        git("mv", str(snaps.relative_to(REPO)), str((new.parent / "__snapshots__" / module).relative_to(REPO)))
    text = new.read_text()
    for before, after in DEPTH_FIXES:
        text = text.replace(before, after)
    new.write_text(text)
    return True


def rewrite_references(moved: dict[str, str]) -> list[str]:
    pattern = re.compile(r"\btests/(" + "|".join(map(re.escape, moved)) + r")\.py\b")
    changed = []
    for name in git("ls-files").splitlines():
        path = REPO / name
        if name in SKIP or name.startswith("generated-charts/") or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        new = pattern.sub(lambda m: f"tests/{moved[m.group(1)]}/{m.group(1)}.py", text)
        if new != text:
            path.write_text(new)
            changed.append(name)
    return changed


def main() -> int:
    moved = {m: p for m, p in TEST_MOVES.items() if move(m, p)}
    print(f"move_tests: {len(moved)} modules moved, {len(TEST_MOVES) - len(moved)} already in place")
    for name in rewrite_references(TEST_MOVES):
        print(f"move_tests: references updated in {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
