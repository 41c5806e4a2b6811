"""Move chartgen's flat modules into the packages of ARCHITECTURE.md, and rewrite every reference to them.

Deterministic, idempotent and safe to re-run after merging a branch written against the old layout:

1. each module of MOVES still at its old path is `git mv`ed to its new path (an already moved one is skipped),
   and every new package gets an (empty) `__init__.py`;
2. every text file git tracks (Python, Markdown, TOML, YAML, Makefile, .ci/run, .pre-commit-hooks.yaml) has its
   references rewritten: `import chartgen.X`, `from chartgen.X import`, `from chartgen import X` (only for moved
   X), dotted strings such as "chartgen.verify.run_helm" (monkeypatch / mock targets, `python -m`), and
   `chartgen/X.py` paths in docs;
3. a name already in the new layout is never rewritten again: `chartgen.spec.loader` stays as it is, although
   `chartgen.spec` (the old module) becomes `chartgen.spec.loader`.

Usage: python tools/restructure.py [--dry-run]   (from anywhere inside the repository)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

# old module (under chartgen.) -> new module (under chartgen.). The single source of the layout. An old name may be
# nested (graph.readme): a module of a package that is split between two layers.
MOVES: dict[str, str] = {
    # shared leaves: nothing here imports another chartgen package
    "errors": "core.errors",
    "record": "core.record",
    "user_cache": "core.user_cache",
    "verify_cache": "core.cache",  # content-hash cache: verify's results and generate's up-to-date records
    "input_digest": "core.input_digest",  # file digests as helm walks a chart (the cache's and helm's inputs)
    "stat_index": "core.stat_index",  # digests trusted while the stat is unchanged (the cache's)
    "merge": "core.merge",
    "k8snames": "core.k8snames",
    "guard": "core.guard",
    "blueprint_root": "core.blueprint_root",  # where the blueprint library is: data, like the user cache
    "chart_layout": "core.chart_layout",  # paths inside a chart both sides name (the snapshot folder)
    # chartgen.yaml: the settings catalogue and its machinery, schema, loading, layering, section parsers
    "setting": "spec.setting",
    "settings": "spec.settings",
    "settings_pod": "spec.settings_pod",
    "settings_values": "spec.settings_values",
    "spec_schema": "spec.schema",
    "spec": "spec.loader",
    "spec_report": "spec.report",
    "spec_shape": "spec.shape",
    "schema_quick": "spec.schema_quick",
    "yamlsource": "spec.yamlsource",
    "istio_fields": "spec.istio_fields",
    "istio_traffic_spec": "spec.istio_traffic",
    "platform_spec": "spec.platform",
    "istio_security_spec": "spec.istio_security",
    "canary_analysis_spec": "spec.canary_analysis",
    "route_rules_spec": "spec.route_rules",
    "versions_key": "spec.versions_key",
    "name_limits": "spec.name_limits",
    "service_spec": "spec.service",
    "workload_spec": "spec.workload",
    "container_spec": "spec.container",
    "traffic_spec": "spec.traffic",
    "istio_spec": "spec.istio",
    "istio_settings": "spec.istio_settings",
    "helm_create_map": "spec.helm_create_map",
    "chart_meta": "spec.chart_meta",
    "explain": "spec.explain",  # `values --explain`: the layers of the spec, nothing rendered
    "blueprints": "spec.blueprints",  # the spec is layered over its blueprint: below the engine
    # chartgen.yaml -> chart files
    "engine": "generate.engine",
    "values": "generate.values",
    "yamlout": "generate.yamlout",
    "fragment_cache": "generate.fragment_cache",
    "filetree": "generate.filetree",
    "writer": "generate.writer",
    "fresh_chart": "generate.fresh_chart",  # `chartgen new`'s brand-new folder, without the planner (start-up)
    "lockfile": "generate.lockfile",
    "transaction": "generate.transaction",
    "threeway": "generate.threeway",
    "eol": "generate.eol",
    "unresolved": "generate.unresolved",
    "uptodate": "generate.uptodate",
    "sizing": "generate.sizing",
    "scaffold": "generate.scaffold",
    "new_command": "generate.new_command",
    "envs": "generate.envs",
    "graph.readme": "generate.traffic_pictures",  # the README's pictures: generate draws with chartgen.graph
    # chart -> verdict
    "discovery": "verify.discovery",
    "changes": "verify.changes",
    "git_revision": "verify.git_revision",
    "revisions": "verify.revisions",
    "chart_target": "verify.target",  # a chart and its environments, below verify.chart and verify.diff
    "verify": "verify.chart",
    "verify_check": "verify.chart_check",  # `chartgen check` inside verify: the options check would use
    "verify_command": "verify.command",
    "verify_report": "verify.report",
    "snapshot": "verify.snapshot",
    "policy": "verify.policy",
    "diff": "verify.diff",
    "upgrade": "verify.upgrade",
    "upgrade_run": "verify.upgrade_run",
    "version_bump": "verify.version_bump",  # `generate --bump` (the CLI) and verify's version check
    "progress": "verify.progress",
    "graph.command": "verify.graph_command",  # `chartgen graph CHART` renders a chart target as verify does
    # finding, running, installing helm
    "helm": "helm.runner",
    "helm_install": "helm.install",
    "dependencies": "helm.dependencies",  # a chart's Chart.yaml dependencies into charts/ (helm package, pull)
    "installed_versions": "core.installed_versions",  # versions of the installed distributions (the cache key)
    "chart_apis": "helm.chart_apis",  # the API versions a chart's templates test for: what helm renders with
    # report formats of check, verify and diff (they build on check's findings)
    "reporting": "check.formats",
}

# What stays on top of the packages: the CLI, the console script, `--version`, the pytest plugin (its entry point
# pytest11 "chartgen" names chartgen.pytest_plugin), and the packages that do not move. A top-level module or
# package of chartgen/ in neither MOVES nor KEEP stops the tool (exit 1): a module a branch added in the flat layout
# needs its place first.
KEEP: tuple[str, ...] = ("__init__", "__main__", "about", "cli", "entry", "help_text", "pytest_plugin",
                         "pytest_yaml", "check", "graph", "data", "_blueprints")

# What each package may import besides itself (tests/test_architecture.py enforces it, in the flat layout through
# MOVES and after the move directly). `graph` is the traffic graph drawn from rendered manifests.
LAYERS: dict[str, set[str]] = {
    "core": set(),  # shared leaves: errors, records, the user cache, the content-hash cache
    "helm": {"core"},  # finding, running, installing helm
    "spec": {"core"},  # chartgen.yaml: never the engine, never a rendered manifest
    "check": {"core"},  # rendered manifests only: never chartgen.yaml, never generate
    "graph": {"core", "check"},  # drawing rendered manifests
    "generate": {"core", "spec", "helm", "check", "graph"},  # never the verify side
    "verify": {"core", "spec", "helm", "check", "graph", "generate"},
}

# Modules of the new layout that no old module became: their names are never rewritten either.
NEW_MODULES: tuple[str, ...] = ("verify.readme_pictures",  # the README pictures from verify's renderings
                                  "helm.dependency_source", "verify.chart_cache", "verify.results", "verify.verify_argv", "core.ast_lock",
                                  "helm.lint_batch", "helm.template_reads", "core.json_file", "core.read_log",
                                  "core.file_identity", "verify.run_record")

TEXT_SUFFIXES = (".py", ".md", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".txt", ".ambr", ".json")
TEXT_NAMES = ("Makefile", ".ci/run", ".pre-commit-hooks.yaml")
# generated-charts/ and tests/__snapshots__/ are scanned too: a file there changes only when it names a module
# (then the output it records names the new one). The script and its test hold old names on purpose.
SKIP_PREFIXES = ("tools/restructure.py", "tests/test_restructure.py")


def packages() -> list[str]:
    """The new packages (chartgen.<pkg>), in a stable order."""
    return sorted({new.rsplit(".", 1)[0] for new in MOVES.values() if "." in new})


def children(package: str) -> list[str]:
    """The new modules directly inside chartgen.<package>."""
    return sorted(new.rsplit(".", 1)[1] for new in (*MOVES.values(), *NEW_MODULES)
                  if new.rsplit(".", 1)[0] == package)


def _dotted_pattern(old: str) -> re.Pattern[str]:
    """chartgen.<old> as a whole name: not chartgen.<old>_x, and not chartgen.<old>.<new child> when <old> is now a
    package, nor `from chartgen.<old> import <new child>` (those names are already in the new layout)."""
    guard = ""
    if old in packages():
        child = "(?:" + "|".join(map(re.escape, children(old))) + r")\b"
        guard = r"(?!\." + child + r")(?![ \t]+import[ \t]+\(?\s*" + child + ")"
    return re.compile(r"(?<![\w.])chartgen\." + re.escape(old) + r"(?![\w])" + guard)


def _path_pattern(old: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.-])chartgen/" + re.escape(old.replace(".", "/")) + r"\.py\b")


def _segments_pattern(old: str) -> re.Pattern[str]:
    """A path built with pathlib in Python: `"chartgen" / "<old>.py"`."""
    return re.compile(r"([\"'])chartgen\1(\s*/\s*)([\"'])" + re.escape(old) + r"\.py\3")


def _segments(new: str) -> str:
    parts = ["chartgen", *new.split(".")]
    parts[-1] += ".py"
    return r"\2".join(rf"\1{p}\1" for p in parts)


_FROM_CHARTGEN = re.compile(r"^([ \t]*)from chartgen import (\([^)]*\)|[^\n#]+?)([ \t]*(?:#[^\n]*)?)$", re.M)


def _split_names(text: str) -> list[tuple[str, str | None]]:
    names = []
    for part in text.strip("()").replace("\n", " ").split(","):
        part = part.strip()
        if not part:
            continue
        name, _, alias = part.partition(" as ")
        names.append((name.strip(), alias.strip() or None))
    return names


def _rewrite_from_chartgen(match: re.Match[str]) -> str:
    indent, names_text, comment = match.group(1), match.group(2), match.group(3)
    names = _split_names(names_text)
    if not any(name in MOVES for name, _ in names):
        return match.group(0)
    kept = [(n, a) for n, a in names if n not in MOVES]
    lines = []
    if kept:
        lines.append("from chartgen import " + ", ".join(n if a is None else f"{n} as {a}" for n, a in kept))
    for name, alias in names:
        if name not in MOVES:
            continue
        package, _, module = MOVES[name].rpartition(".")
        bound = alias or name
        lines.append(f"from chartgen.{package} import {module}" + ("" if module == bound else f" as {bound}"))
    lines[-1] += comment
    return "\n".join(indent + line for line in lines)


_PACKAGES_LINE = re.compile(r"^packages = \[[^\]]*\]", re.M)
# longest first: chartgen.verify_cache before chartgen.verify
_DOTTED = [(old, _dotted_pattern(old), _path_pattern(old)) for old in sorted(MOVES, key=lambda m: (-len(m), m))]


def rewrite(text: str) -> str:
    """Every reference to an old module in one file's text, in the new layout (a new-layout text is unchanged)."""
    kept = _PACKAGES_LINE.findall(text)  # package names (chartgen.spec is one now), not module references
    text = _PACKAGES_LINE.sub("\0packages\0", text)
    text = _FROM_CHARTGEN.sub(_rewrite_from_chartgen, text)
    for old, dotted, path in _DOTTED:
        # each pattern matches only where its literal part is: a substring test first (the regexes, which start
        # with a look-behind, would otherwise scan every position of every file for every module)
        new = MOVES[old]
        if "chartgen." + old in text:
            text = dotted.sub("chartgen." + new, text)
        if "chartgen/" + old.replace(".", "/") + ".py" in text:
            text = path.sub("chartgen/" + new.replace(".", "/") + ".py", text)
        if old + ".py" in text:
            text = _segments_pattern(old).sub(_segments(new), text)
    for line in kept:
        text = text.replace("\0packages\0", line, 1)
    return text


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def _is_text_target(rel: str) -> bool:
    if rel.startswith(SKIP_PREFIXES):
        return False
    return rel.endswith(TEXT_SUFFIXES) or rel in TEXT_NAMES or rel.rsplit("/", 1)[-1] == "Makefile"


def move_modules(root: Path, dry_run: bool) -> list[str]:
    done = []
    for package in packages():
        init = root / "chartgen" / package / "__init__.py"
        if not init.exists():
            done.append(f"create chartgen/{package}/__init__.py")
            if not dry_run:
                init.parent.mkdir(parents=True, exist_ok=True)
                init.write_text(f'"""chartgen.{package}: see ARCHITECTURE.md."""\n')
                _git(root, "add", str(init.relative_to(root)))
    for old, new in sorted(MOVES.items()):
        src = root / "chartgen" / (old.replace(".", "/") + ".py")
        dst = root / "chartgen" / (new.replace(".", "/") + ".py")
        if not src.exists():
            continue  # already moved
        if dst.exists():
            sys.exit(f"restructure: both {src.relative_to(root)} and {dst.relative_to(root)} exist; merge them by "
                     "hand (the old one came from a branch written against the old layout), then run again")
        done.append(f"git mv {src.relative_to(root)} {dst.relative_to(root)}")
        if not dry_run:
            _git(root, "mv", str(src.relative_to(root)), str(dst.relative_to(root)))
    return done


def rewrite_files(root: Path, dry_run: bool) -> list[str]:
    changed = []
    for rel in sorted(_git(root, "ls-files", "-z").split("\0")):
        path = root / rel
        if not rel or not _is_text_target(rel) or not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new = rewrite(text)
        if new != text:
            changed.append(rel)
            if not dry_run:
                path.write_text(new, encoding="utf-8")
    return changed


def package_list(root: Path, dry_run: bool) -> list[str]:
    """An explicit `packages = [...]` in pyproject.toml lists the new packages too (automatic discovery needs
    nothing)."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    match = re.search(r"^packages = \[([^\]]*)\]", text, re.M)
    if not match:
        return []
    listed = re.findall(r'"([^"]+)"', match.group(1))
    missing = [f"chartgen.{p}" for p in packages() if f"chartgen.{p}" not in listed]
    if missing and not dry_run:
        items = ", ".join(f'"{p}"' for p in [*listed, *missing])
        pyproject.write_text(text[:match.start()] + f"packages = [{items}]" + text[match.end():], encoding="utf-8")
    return missing


def unmapped(root: Path) -> list[str]:
    """Top-level modules and packages of chartgen/ that are in neither MOVES nor KEEP, nor a package of the layout
    (a module a branch added in the flat layout)."""
    known = {*MOVES, *KEEP, *packages()}
    out = []
    for path in sorted((root / "chartgen").iterdir()):
        name = path.stem if path.suffix == ".py" else path.name
        is_module = path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").is_file())
        if is_module and name not in known:
            out.append(f"chartgen/{path.name}")
    return out


_SECTION = re.compile(r"^## The package layout to come \(issue 26\)\n.*?(?=^## )", re.M | re.S)


def package_map() -> str:
    """ARCHITECTURE.md's section on the packages, from MOVES, KEEP and LAYERS."""
    lines = ["## Packages", "",
             "`chartgen/` is layered one way; a package imports only the ones listed for it "
             "(tests/test_architecture.py enforces it, and that there are no circles between packages or modules). "
             "`tools/restructure.py` moved the flat modules here (issue 26) and holds the layout as data (`MOVES`, "
             "`KEEP`, `LAYERS`).", "",
             "| package | may import | modules |", "| --- | --- | --- |"]
    for package, below in LAYERS.items():
        modules = sorted({new.rsplit(".", 1)[1] for new in MOVES.values() if new.rsplit(".", 1)[0] == package})
        if package == "check":
            modules = ["(rules over rendered manifests, as before)", *modules]
        if package == "graph":
            modules = ["build", "describe", "mermaid", "model", "svg"]
        lines.append(f"| `chartgen/{package}/` | {', '.join(sorted(below)) or 'nothing'} | {', '.join(modules)} |")
    top = [f"`{m}`" for m in KEEP if m not in LAYERS and not m.startswith("_") and m != "data"]
    lines += ["", f"On top: {', '.join(top)} (the CLI, the console script and its stored top-level help, the "
              "pytest plugin); `chartgen/data/` holds the generated schema and help text.", ""]
    return "\n".join(lines) + "\n"


def architecture(root: Path, dry_run: bool) -> bool:
    """Replace ARCHITECTURE.md's "to come" section with the package map (once)."""
    path = root / "ARCHITECTURE.md"
    text = path.read_text(encoding="utf-8")
    new = _SECTION.sub(lambda _: package_map(), text, count=1)
    if new != text and not dry_run:
        path.write_text(new, encoding="utf-8")
    return new != text


def _ruff(root: Path) -> str:
    venv = root / ".venv" / "bin" / "ruff"
    return str(venv) if venv.is_file() else "ruff"


def tidy(root: Path, python_files: list[str]) -> int:
    """Sort the imports the rewrite reordered (ruff's isort, as `make lint` checks it) and report a line the rewrite
    made too long (a longer path in a docstring): exit 1 naming it, the move itself is done."""
    if not python_files:
        return 0
    try:
        subprocess.run([_ruff(root), "check", "--quiet", "--select", "I", "--fix", *python_files], cwd=root,
                       check=False, capture_output=True)
        long = subprocess.run([_ruff(root), "check", "--select", "E501", "--output-format", "concise",
                               *[f for f in python_files if f.startswith("chartgen/")]], cwd=root, check=False,
                              capture_output=True, text=True)
    except FileNotFoundError:
        print("restructure: ruff not found; run `ruff check --select I --fix chartgen tests` yourself",
              file=sys.stderr)
        return 1
    if long.returncode:
        print("restructure: moved, but the rewrite made these lines too long; wrap them:\n" + long.stdout,
              file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    args = parser.parse_args(argv)
    root = Path(_git(Path.cwd(), "rev-parse", "--show-toplevel").strip())
    stray = unmapped(root)
    if stray:
        for rel in stray:
            print(f"restructure: {rel} is in neither MOVES nor KEEP of tools/restructure.py; give it its package "
                  "(see LAYERS) and run again", file=sys.stderr)
        return 1
    for line in move_modules(root, args.dry_run):
        print(line)
    rewritten = rewrite_files(root, args.dry_run)
    for rel in rewritten:
        print(f"rewrote {rel}")
    for package in package_list(root, args.dry_run):
        print(f"pyproject.toml: packages += {package}")
    if architecture(root, args.dry_run):
        print("ARCHITECTURE.md: the package map replaces the section on the layout to come")
    if args.dry_run:
        return 0
    return tidy(root, [rel for rel in rewritten if rel.endswith(".py")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
