"""Blueprints are data: folders of Jinja templates with a small manifest (blueprint.yaml).

    blueprints/
      base/                 a part: blueprint.yaml, files/ (chart files), values.yaml.j2, values.schema.yaml.j2,
                            fragments/<name>.j2 (text other parts' templates pull in with fragment("name"))
      workload/deployment/  parts used by service blueprints
      service/<name>/       a service blueprint: `kind: service` plus `uses:` (the parts it is made of)
      istio/<part>/         optional parts, switched on by their `when:` expression
      profiles/<env>.yaml   environment profiles (settings layered under each environment)
      scaffold/             the cookiecutter template of `chartgen new`

Adding a blueprint means adding a folder; no Python changes. Every list of blueprint names (the `--type` choices,
the `chartgen new` prompt, the schema's enum, error messages) comes from :meth:`BlueprintLibrary.blueprint_names`.
The library is the shipped blueprints/ folder, or the folder named by $CHARTGEN_BLUEPRINTS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any

from chartgen.core.blueprint_root import ENV_VAR, default_root
from chartgen.core.errors import ChartgenError
from chartgen.core.file_identity import identity_of, now_ns
from chartgen.core.identity_index import IdentityIndex
from chartgen.core.record import Record, record

MANIFEST = "blueprint.yaml"

__all__ = ["ENV_VAR", "Blueprint", "BlueprintLibrary", "Part", "default_root"]

@record
class Part(Record):
    """One folder of templates."""

    id: str  # path below blueprints/, e.g. "workload/deployment"
    root: Path
    description: str
    when: str | None  # Jinja expression over the spec; the part is used only when it is true
    uses: tuple[str, ...]

    def files(self) -> list[tuple[str, Path]]:
        """(chart-relative path, template file) for every file under files/, sorted."""
        base = self.root / "files"
        if not base.is_dir():
            return []
        return [(rel[:-3] if rel.endswith(".j2") else rel, base / rel) for rel in _files_below(str(base))]

    def optional(self, name: str) -> Path | None:
        p = self.root / name
        return p if p.is_file() else None

    def fragments(self) -> dict[str, Path]:
        base = self.root / "fragments"
        if not base.is_dir():
            return {}
        return {f.name.removesuffix(".j2"): f for f in sorted(base.iterdir()) if f.is_file()}


@record
class Blueprint(Part):
    """A selectable service blueprint (`chartgen new --type NAME`)."""

    name: str = ""
    order: int = 1000  # position in the `chartgen new` prompt (then by name)
    port_name: str = "http"  # the name `chartgen new` gives the Service port
    service_type: str = "ClusterIP"
    allowed_service_types: tuple[str, ...] = ("ClusterIP",)
    requires_ports: bool = True
    headless: bool = False  # the Service has clusterIP: None
    has_workload: bool = True
    workload_kind: str | None = "Deployment"
    defaults: Mapping[str, Any] = field(default_factory=dict)


class BlueprintLibrary:
    def __init__(self, root: Path):
        self.root = root
        self._parts: dict[str, Part] = {}
        self._profile_names: list[str] | None = None
        self._parsed = _parsed_index(root)
        for manifest in _manifests(root):
            part = self._load(manifest)
            self._parts[part.id] = part
        self._save()

    def _save(self) -> None:
        if self._parsed is not None:
            self._parsed.save()

    @classmethod
    def default(cls) -> BlueprintLibrary:
        """The library at :func:`default_root` (one instance per folder)."""
        return _library_at(default_root())

    def _load(self, manifest: Path) -> Part:
        folder = manifest.parent
        pid = folder.relative_to(self.root).as_posix()
        data = _load_yaml(manifest, self._parsed)
        description, when = str(data.get("description", "")), data.get("when")
        uses = tuple(data.get("uses") or ())
        if data.get("kind") != "service":
            return Part(pid, folder, description, when, uses)
        return Blueprint(
            pid, folder, description, when, uses,
            name=str(data.get("name", folder.name)),
            order=int(data.get("order", 1000)),
            port_name=str(data.get("portName", "http")),
            service_type=data["serviceType"],
            allowed_service_types=tuple(data.get("allowedServiceTypes") or (data["serviceType"],)),
            requires_ports=bool(data.get("requiresPorts", True)),
            headless=bool(data.get("headless", False)),
            has_workload=data.get("workload") is not None,
            workload_kind=data.get("workload"),
            defaults=data.get("defaults") or {},
        )

    # -- queries -------------------------------------------------------------------------------

    def service_blueprints(self) -> list[Blueprint]:
        return sorted((p for p in self._parts.values() if isinstance(p, Blueprint)), key=lambda b: b.name)

    def service_blueprint(self, name: str) -> Blueprint:
        for bp in self.service_blueprints():
            if bp.name == name:
                return bp
        raise ChartgenError("blueprints", "blueprint",
                            f"unknown blueprint {name!r}; allowed: {', '.join(self.blueprint_names())}")

    def blueprint_names(self) -> list[str]:
        """Every selectable blueprint, by name (for messages and the schema's enum)."""
        return [b.name for b in self.service_blueprints()]

    def choices(self) -> list[str]:
        """The blueprint names in prompt order (`order:` in blueprint.yaml, then name); the first is the default."""
        return [b.name for b in sorted(self.service_blueprints(), key=lambda b: (b.order, b.name))]

    def supporting(self, part_id: str) -> list[str]:
        """Names of the blueprints that use the part `part_id` (e.g. "istio")."""
        return [b.name for b in self.service_blueprints() if part_id in b.uses]

    def part(self, pid: str) -> Part:
        try:
            return self._parts[pid]
        except KeyError:
            raise ChartgenError(str(self.root), pid, "blueprint part not found") from None

    def parts_for(self, blueprint: Blueprint) -> list[Part]:
        """The blueprint's parts in dependency order (each `uses` before its user), without duplicates."""
        out: list[Part] = []
        seen: set[str] = set()

        def visit(part: Part) -> None:
            if part.id in seen:
                return
            seen.add(part.id)
            for dep in part.uses:
                visit(self.part(dep))
            out.append(part)

        visit(blueprint)
        return out

    def profile_names(self) -> list[str]:
        """The environment profiles (profiles/<name>.yaml but base), listed once per library, as its parts are."""
        if self._profile_names is None:
            self._profile_names = sorted(p.stem for p in (self.root / "profiles").glob("*.yaml") if p.stem != "base")
        return list(self._profile_names)

    def profile(self, name: str) -> dict[str, Any]:
        data = _load_yaml(self.root / "profiles" / f"{name}.yaml", self._parsed)
        self._save()
        return data


@lru_cache(maxsize=8)
def _library_at(root: Path) -> BlueprintLibrary:
    return BlueprintLibrary(root)


def _manifests(root: Path) -> list[Path]:
    """Every blueprint.yaml under root, sorted as paths (symlinked folders are not entered, as with Path.rglob): a walk
    that makes a Path only for what it finds (rglob made one per file of the library: ~1.4 % of `chartgen new`)."""
    return sorted(Path(folder, MANIFEST) for folder, _, files in os.walk(root) if MANIFEST in files)


def _files_below(folder: str) -> list[str]:
    """The files below folder (symlinks to files included), as posix paths relative to it, in Path order (by
    component); symlinked folders are not entered, as with Path.rglob, whose Path per entry and is_file() per
    file were ~1 % of `chartgen new`."""
    found: list[str] = []
    stack = [("", folder)]
    while stack:
        rel, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((f"{rel}{entry.name}/", entry.path))
                elif entry.is_file():
                    found.append(rel + entry.name)
    return sorted(found, key=lambda rel: rel.split("/"))


def _parsed_index(root: Path) -> IdentityIndex | None:
    """The library's manifests and profiles as PyYAML parsed them, by file identity (chartgen/core/identity_index.py),
    in a folder named for the parser: PyYAML's version, its C or Python loader, Python's version. None when
    $CHARTGEN_NO_TEMPLATE_CACHE is set, as for the compiled templates."""
    if os.environ.get("CHARTGEN_NO_TEMPLATE_CACHE"):
        return None
    import sys

    import yaml

    from chartgen.core.user_cache import user_cache_folder

    parser = f"pyyaml{yaml.__version__}-{_loader().__name__}-py{sys.version_info[0]}.{sys.version_info[1]}"
    return IdentityIndex.in_folder(user_cache_folder("parsed", parser), str(root), dict)


def _loader() -> Any:
    import yaml  # lazy: `chartgen --help` never loads blueprints

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path, index: IdentityIndex | None = None) -> dict[str, Any]:
    """The file's YAML (a mapping; {} when empty), from the index when the file is unchanged."""
    import yaml

    if index is None:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_loader()) or {}
    name = str(path)
    hit = index.lookup(name, name)
    if hit is not None:
        return hit[0]
    at, before = now_ns(), identity_of(name)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_loader()) or {}
    index.add(name, name, before, at, data)
    return data
