"""Spec + blueprints -> FileTree, in memory. Nothing here touches the chart folder.

Jinja uses [% %], [[ ]] and [# #] so Helm's {{ }} passes through verbatim.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from chartgen.core.ast_lock import AST_LOCK
from chartgen.core.errors import ChartgenError
from chartgen.core.record import Record, record
from chartgen.core.user_cache import user_cache
from chartgen.generate.filetree import FileTree
from chartgen.generate.values import HEADER as GENERATED_HEADER
from chartgen.generate.values import RenderedValues, ValuesModel, build_values
from chartgen.generate.yamlout import json_text
from chartgen.spec.blueprints import BlueprintLibrary, Part
from chartgen.spec.loader import Environment, Settings, Spec
from chartgen.spec.setting import Catalog
from chartgen.spec.settings import CATALOG

SYNTAX: dict[str, Any] = dict(  # everything that decides how a template compiles (part of the bytecode cache key)
    block_start_string="[%",
    block_end_string="%]",
    variable_start_string="[[",
    variable_end_string="]]",
    comment_start_string="[#",
    comment_end_string="#]",
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,
)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache (atomic writes: a temp file renamed into place) that never fails a command: an unwritable
    or vanished cache folder only means the templates are compiled again."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def bytecode_dir(syntax: Mapping[str, Any] = SYNTAX) -> Path:
    """Compiled templates: $XDG_CACHE_HOME/chartgen/jinja (default ~/.cache/...), one folder per chartgen, Jinja and
    Python version and template syntax. Jinja itself checks each entry against its template's source checksum."""
    from chartgen import __version__

    digest = hashlib.sha256(json.dumps(syntax, sort_keys=True, default=str).encode()).hexdigest()[:12]
    key = f"{__version__}-jinja{jinja2.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}-{digest}"
    return user_cache("jinja", key)


def bytecode_cache(syntax: Mapping[str, Any] = SYNTAX) -> jinja2.BytecodeCache | None:
    """The on-disk cache of compiled templates for a Jinja environment with these options (None: disabled with
    $CHARTGEN_NO_TEMPLATE_CACHE, or the folder cannot be created)."""
    if os.environ.get("CHARTGEN_NO_TEMPLATE_CACHE"):
        return None
    folder = bytecode_dir(syntax)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


WHEN = "when:"  # a part's `when:` expression is the template named WHEN + the expression (see _Loader)
_MARKS = tuple(v for k, v in SYNTAX.items() if k.endswith("_string"))  # [% %] [[ ]] [# #]


class _Loader(jinja2.FileSystemLoader):
    """The blueprint folder's templates, and each part's `when:` condition as a template of its own, so the condition
    is compiled once and then read from the bytecode cache, as templates are (compiling it in every process built
    Jinja's lexer and parser, which no cached template needs: ~1.6 % of a `chartgen new` process)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template.startswith(WHEN):
            return f"[% if {template[len(WHEN):]} %]1[% endif %]", template, lambda: True
        return super().get_source(environment, template)


def make_env(root: Path, catalog: Catalog = CATALOG) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_Loader(str(root)),
        bytecode_cache=bytecode_cache(),
        **SYNTAX,
    )
    env.filters["tojson"] = json_text  # YAML-safe JSON: control characters are escaped
    env.filters["quote"] = lambda v: json_text(str(v))
    # declared("autoscaling.minReplicas"): a setting's values.schema.json entry, from its one declaration (a catalog
    # is not changed once made: each entry's text is made once per environment, not once per chart and layer)
    declared: dict[str, str] = {}

    def declared_entry(key: str) -> str:
        text = declared.get(key)
        if text is None:
            text = declared[key] = json.dumps(catalog.values_schema(key), ensure_ascii=False)
        return text

    env.globals["declared"] = declared_entry
    # describe("autoscaling"): the declared description of a group of settings, as a YAML/JSON string
    env.globals["describe"] = lambda key: json.dumps(catalog.groups[key].description, ensure_ascii=False)
    return env


@record
class RenderContext(Record):
    """What the templates of one chart are rendered with."""

    spec: Spec
    parts: tuple[Part, ...]
    values: ValuesModel


class Engine:
    def __init__(self, library: BlueprintLibrary | None = None, catalog: Catalog = CATALOG):
        self.library = library or BlueprintLibrary.default()
        self.catalog = catalog
        self.jinja = make_env(self.library.root, catalog)
        self._names: dict[Path, str] = {}  # template path -> its name in the Jinja loader

    # -- parts ------------------------------------------------------------------------------------

    def active_parts(self, spec: Spec) -> list[Part]:
        parts = []
        for part in self.library.parts_for(spec.blueprint):
            if part.when is None or self._when(part, part.when, spec):
                parts.append(part)
        return parts

    def _when(self, part: Part, expression: str, spec: Spec) -> bool:
        """Whether the part's `when:` expression is true for the spec (an undefined name is an error, not false)."""
        try:
            if any(mark in expression for mark in _MARKS):  # one expression, not template text around the `if` tag
                raise jinja2.TemplateSyntaxError("a when: expression cannot hold a template delimiter", 1)
            with AST_LOCK:  # compiling a template builds AST objects (chartgen/core/ast_lock.py)
                condition = self.jinja.get_template(WHEN + expression)
            return condition.render(self._base_ctx(spec)) == "1"
        except jinja2.TemplateError as exc:
            rel = (part.root / "blueprint.yaml").relative_to(self.library.root).as_posix()
            raise ChartgenError(f"blueprints/{rel}", "when", f"{expression!r}: template error: {exc}") from None

    def _template(self, path: Path) -> jinja2.Template:
        name = self._names.get(path)
        if name is None:
            name = self._names[path] = path.relative_to(self.library.root).as_posix()
        with AST_LOCK:  # compiling a template builds AST objects (chartgen/core/ast_lock.py)
            return self.jinja.get_template(name)

    def _base_ctx(self, spec: Spec) -> dict[str, Any]:
        return {"spec": spec, "chart": spec.name, "blueprint": spec.blueprint,
                "environments": spec.environments, "s": spec.defaults}

    # -- rendering ----------------------------------------------------------------------------------

    def render_values_layer(self, spec: Spec, parts: list[Part], settings: Settings,
                            env: Environment | None) -> list[str]:
        """Each part's values.yaml.j2 rendered for one layer (defaults, or one environment)."""
        texts = []
        ctx = self._base_ctx(spec) | {"s": settings, "env": env}
        for part in parts:
            tpl = part.optional("values.yaml.j2")
            if tpl:
                texts.append(self._render(tpl, ctx))
        return texts

    def render_schema_fragments(self, spec: Spec, parts: list[Part]) -> list[str]:
        ctx = self._base_ctx(spec)
        return [self._render(t, ctx) for p in parts if (t := p.optional("values.schema.yaml.j2"))]

    def _render(self, template: Path, ctx: Mapping[str, Any]) -> str:
        try:
            return self._template(template).render(**ctx)
        except jinja2.TemplateError as exc:
            rel = template.relative_to(self.library.root)
            line = getattr(exc, "lineno", None)
            raise ChartgenError(f"blueprints/{rel}", None, f"template error: {exc}", line) from None

    def render_values(self, spec: Spec, parts: list[Part]) -> ValuesModel:
        rendered = RenderedValues(
            part_ids=tuple(p.id for p in parts),
            defaults=self.render_values_layer(spec, parts, spec.defaults, None),
            environments={e.name: self.render_values_layer(spec, parts, e.settings, e) for e in spec.environments},
            schema=self.render_schema_fragments(spec, parts),
        )
        return build_values(spec, rendered, self.catalog)

    def render(self, spec: Spec) -> FileTree:
        parts = self.active_parts(spec)
        values = self.render_values(spec, parts)
        fragments: dict[str, list[Path]] = {}
        for part in parts:
            for name, path in part.fragments().items():
                fragments.setdefault(name, []).append(path)

        ctx = self._base_ctx(spec) | {"values": values, "header": GENERATED_HEADER}

        def fragment(name: str, **extra: Any) -> str:
            return "".join(self._render(p, ctx | extra) for p in fragments.get(name, []))

        ctx["fragment"] = fragment
        tree = FileTree()
        for part in parts:
            for rel, path in part.files():
                text = self._render(path, ctx)
                if text.strip():
                    tree.add(rel, text)  # a later part may replace an earlier part's file
        for rel, text in values.files().items():
            tree.add(rel, text)
        return tree


def render_tree(spec: Spec, library: BlueprintLibrary | None = None, catalog: Catalog = CATALOG) -> FileTree:
    """The chart `generate` makes, before the README's traffic pictures are drawn (the marker still in place)."""
    return _engine(library or BlueprintLibrary.default(), catalog).render(spec)


@lru_cache(maxsize=8)
def _engine(library: BlueprintLibrary, catalog: Catalog) -> Engine:
    # One Engine per library: its Jinja environment caches compiled templates across charts.
    return Engine(library, catalog)


def generate(spec: Spec, library: BlueprintLibrary | None = None, catalog: Catalog = CATALOG) -> FileTree:
    tree = render_tree(spec, library, catalog)
    if spec.defaults.value("readme.trafficGraph"):  # the README's pictures need the chart rendered by helm
        from chartgen.generate.traffic_pictures import add_pictures

        add_pictures(tree, spec)
    return tree
