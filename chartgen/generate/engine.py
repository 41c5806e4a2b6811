"""Spec + blueprints -> FileTree, in memory. Nothing here touches the chart folder.

Jinja uses [% %], [[ ]] and [# #] so Helm's {{ }} passes through verbatim.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import sys
from collections.abc import Callable, Mapping, MutableMapping
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from jinja2.loaders import split_template_path

from chartgen.core.ast_lock import AST_LOCK
from chartgen.core.errors import ChartgenError
from chartgen.core.file_identity import Identity, identity_of, now_ns
from chartgen.core.identity_index import IdentityIndex
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
    is compiled once and then read from the caches, as templates are (compiling it in every process built Jinja's
    lexer and parser, which no cached template needs: ~1.6 % of a `chartgen new` process).

    A template whose file is unchanged is built from the code the index beside the bytecode cache remembers for it
    (chartgen/core/identity_index.py); any other is loaded as Jinja's own loader does (BaseLoader.load: the source,
    then the bytecode cache, then the compiler), and its code added to the index."""

    def __init__(self, root: str, index: IdentityIndex | None):
        super().__init__(root)
        self.index = index

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        if template.startswith(WHEN):
            return f"[% if {template[len(WHEN):]} %]1[% endif %]", template, lambda: True
        return super().get_source(environment, template)

    def load(self, environment: jinja2.Environment, name: str,
             globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:
        index = self.index
        if index is None:
            return super().load(environment, name, globals)
        filename = None if name.startswith(WHEN) else \
            os.path.normpath(posixpath.join(self.searchpath[0], *split_template_path(name)))
        key = filename or name
        hit = index.lookup(key, filename)
        if hit is not None:
            code, known = hit
        else:
            at = now_ns()
            known = None if filename is None else identity_of(filename)
            source, _, _ = self.get_source(environment, name)  # TemplateNotFound as Jinja's loader raises it
            code = self._compiled(environment, name, filename, source)
            index.add(key, filename, known, at, code)
        return environment.template_class.from_code(environment, code, {} if globals is None else globals,
                                                     _uptodate(filename, known))

    @staticmethod
    def _compiled(environment: jinja2.Environment, name: str, filename: str | None, source: str) -> CodeType:
        bcc = environment.bytecode_cache
        bucket = bcc.get_bucket(environment, name, filename or name, source) if bcc is not None else None
        code = bucket.code if bucket is not None else None
        if code is None:
            code = environment.compile(source, name, filename or name)
            if bcc is not None and bucket is not None:
                bucket.code = code
                bcc.set_bucket(bucket)
        return code

    def save_index(self) -> None:
        if self.index is not None:
            self.index.save()


def _uptodate(filename: str | None, known: Identity | None) -> Callable[[], bool]:
    """Jinja's reload check for a template loaded from `filename` with identity `known` (auto_reload)."""
    if filename is None:
        return lambda: True
    return lambda: known is not None and identity_of(filename) == known


def make_env(root: Path, catalog: Catalog = CATALOG) -> jinja2.Environment:
    cache = bytecode_cache()
    index = None
    if isinstance(cache, jinja2.FileSystemBytecodeCache):
        index = IdentityIndex.in_folder(cache.directory, str(root), CodeType)
    env = jinja2.Environment(
        loader=_Loader(str(root), index),
        bytecode_cache=cache,
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
        self.jinja.loader.save_index()  # type: ignore[union-attr]
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
