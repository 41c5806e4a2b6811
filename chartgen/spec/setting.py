"""One declaration per chartgen.yaml setting, and what is derived from it.

A :class:`Setting` says, once: its key in chartgen.yaml, its JSON Schema (type, enum, range, pattern), its default,
its description, where it may be written (top level, per environment, or both) and, when it is a value of the chart,
its key in values.yaml and the blueprint part whose values carry it. From the declarations (the catalog in
chartgen/spec/settings.py) chartgen derives:

* the spec schema (chartgen/data/spec.schema.json, see spec_schema.py) and the list of allowed keys;
* the lowest settings layer (:meth:`Catalog.base_layer`, the defaults) and the default of every lookup
  (:meth:`Catalog.get`) the typed parsers make;
* the values.schema.json entry of a value (:meth:`Catalog.values_schema`, also used by the blueprint schema
  fragments through ``declared("key")``), hence its comment in values.yaml and its row in the chart README;
* the values.yaml entry of a value no blueprint template writes itself (:meth:`Catalog.values_entries`).

A :class:`Value` declares a values.schema.json entry that is not a chartgen.yaml setting as is: a key only the chart
has (tests, tmpVolume.sizeLimit), or a setting's values in another shape (probes.liveness -> livenessProbe). Its
schema is the whole entry, description included, in the order values.schema.json prints it; the blueprint's schema
fragment places it with ``declared("key")`` (often under a condition), so it is never added on its own. A Value
without `properties` is the head of an object whose properties the fragment lists (type, required, description):
the fragment merges it in with ``<<: [[ declared("key") ]]`` above ``properties:``. When the parts of different
blueprints declare the same values key (service.ports), each Value is `name`d and declared() takes that name.

Models: copier's one documented property per config key; Helm's values.schema.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from typing import Any, Literal

from chartgen.core.merge import plain_copy
from chartgen.core.record import Record, record

Where = Literal["top", "both", "env"]
_MISSING = object()


@record
class Setting(Record):
    """One key of chartgen.yaml."""

    key: str  # dotted path in chartgen.yaml, e.g. "autoscaling.minReplicas"
    schema: Mapping[str, Any]  # its JSON Schema, without the description
    description: str = ""
    default: Any = None  # None: no default, or one computed from other settings (the parser documents it)
    where: Where = "both"  # top: top level only; both: top level and environments.<env>; env: environments only
    values: str | None = None  # its key in values.yaml, when the chart exposes it as is
    part: str | None = None  # the blueprint part whose values.yaml carries `values`
    # values.schema.json entry when it differs from `schema`; a `description` key in it places the description
    values_schema: Mapping[str, Any] | None = None
    layered: bool = True  # the default belongs to the base layer (False: applied only when the key is looked up)

    @property
    def per_env(self) -> bool:
        return self.where != "top"

    def values_entry_schema(self) -> dict[str, Any]:
        """The values.schema.json entry: the schema (or values_schema), then the description (or, when values_schema
        has a `description` key, the description there)."""
        out = dict(plain_copy(self.values_schema if self.values_schema is not None else self.schema))
        if self.description:
            out["description"] = self.description
        return out

    def spec_schema(self) -> dict[str, Any]:
        out = dict(plain_copy(self.schema))
        if self.description:
            out["description"] = self.description
        return out


@record
class Value(Record):
    """A values.schema.json entry that no setting exposes as is (see the module docstring)."""

    key: str  # its key in values.yaml, e.g. "livenessProbe"
    schema: Mapping[str, Any]  # the whole entry, description included
    part: str  # the blueprint part whose schema fragment places it
    of: str | None = None  # the chartgen.yaml setting it is derived from, when there is one
    name: str | None = None  # what declared() calls it when parts share the values key (default: the key)

    @property
    def ref(self) -> str:
        return self.name or self.key

    @property
    def description(self) -> str:
        return str(self.schema.get("description", ""))

    def values_entry_schema(self) -> dict[str, Any]:
        return dict(plain_copy(self.schema))


@record
class Group(Record):
    """A mapping of settings (e.g. autoscaling): its description and whether it accepts other keys."""

    key: str
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)  # more schema keywords (e.g. required)


class Catalog:
    """The declared settings, in declaration order."""

    def __init__(self, items: Iterable[Setting | Group | Value]):
        self.settings: dict[str, Setting] = {}
        self.groups: dict[str, Group] = {}
        self.values: dict[str, Value] = {}  # values-only entries, by ref (their values key unless named)
        self._base: dict[str, Any] | None = None
        setting_values: set[str | None] = set()  # the values keys of the settings so far
        for item in items:
            if isinstance(item, Value):
                if item.ref in self.values or item.ref in setting_values:
                    raise ValueError(f"value {item.ref!r} is declared twice")
                self.values[item.ref] = item
                continue
            target: dict[str, Any] = self.settings if isinstance(item, Setting) else self.groups
            if item.key in self.settings or item.key in self.groups:
                raise ValueError(f"setting {item.key!r} is declared twice")
            target[item.key] = item
            if isinstance(item, Setting):
                setting_values.add(item.values)

    def __getitem__(self, key: str) -> Setting:
        return self.settings[key]

    def __iter__(self) -> Iterator[Setting]:
        return iter(self.settings.values())

    def with_settings(self, *items: Setting | Group | Value) -> Catalog:
        """A copy with more declarations (tests and recipes)."""
        return Catalog([*self.groups.values(), *self.settings.values(), *self.values.values(), *items])

    # -- lookups ---------------------------------------------------------------------------------------

    def get(self, raw: Mapping[str, Any], key: str) -> Any:
        """The value of `key` in merged raw settings, or its declared default (a copy)."""
        node: Any = raw
        for part in key.split("."):
            node = node.get(part, _MISSING) if isinstance(node, Mapping) else _MISSING
            if node is _MISSING or node is None:
                default = self.settings[key].default
                return plain_copy(default) if isinstance(default, (dict, list)) else default
        return node

    def base_layer(self) -> Mapping[str, Any]:
        """The lowest settings layer: every layered default, nested as in chartgen.yaml (shared: do not mutate;
        merge() copies it)."""
        if self._base is None:
            self._base = {}
            for s in self:
                if s.layered and s.default is not None and s.where == "both":
                    _put(self._base, s.key, plain_copy(s.default))
        return self._base

    def keys(self, where: Where) -> list[str]:
        """Top-level keys that may be written at the top level ("top") or in an environment ("env")."""
        allowed = ("top", "both") if where == "top" else ("both", "env")
        return list(dict.fromkeys(s.key.split(".")[0] for s in self if s.where in allowed))

    # -- schemas ---------------------------------------------------------------------------------------

    def schema_properties(self, settings: Iterable[Setting]) -> dict[str, Any]:
        """JSON Schema `properties` for these settings, nested by key, each group an object of its own."""
        root: dict[str, Any] = {}
        for s in settings:
            parts = s.key.split(".")
            node = root
            for i in range(1, len(parts)):
                node = self._group_node(node, ".".join(parts[:i]))
            node[parts[-1]] = s.spec_schema()
        return root

    def _group_node(self, props: dict[str, Any], key: str) -> dict[str, Any]:
        name = key.split(".")[-1]
        if name not in props:
            group = self.groups.get(key, Group(key))
            node: dict[str, Any] = {"type": "object", "additionalProperties": False}
            if group.description:
                node["description"] = group.description
            node.update(plain_copy(dict(group.extra)))
            node["properties"] = {}
            props[name] = node
        return props[name]["properties"]

    def values_schema(self, key: str) -> dict[str, Any]:
        """values.schema.json entry of the value declared at values key `key` (a :class:`Value`, or the setting
        whose values key, or setting key, is `key`)."""
        if key in self.values:
            return self.values[key].values_entry_schema()
        return self.by_values_key(key).values_entry_schema()

    def by_values_key(self, key: str) -> Setting:
        """The setting of values key `key`, or of setting key `key`. Parts of different workloads may share a values
        key (persistence.* of a Deployment's claim and of a StatefulSet's claims): a fragment then names the
        setting by its own key."""
        found = [s for s in self if s.values == key]
        if len(found) == 1:
            return found[0]
        if found and key not in self.settings:
            raise KeyError(f"values key {key!r} is declared by {', '.join(s.key for s in found)}: name the setting")
        return self.settings[key]

    # -- values ----------------------------------------------------------------------------------------

    def for_parts(self, part_ids: Iterable[str]) -> list[Setting]:
        """Settings exposed in values.yaml by these blueprint parts."""
        ids = set(part_ids)
        return [s for s in self if s.values and s.part in ids]

    def values_entries(self, raw: Mapping[str, Any], part_ids: Iterable[str],
                       present: Mapping[str, Any]) -> dict[str, Any]:
        """values.yaml entries of the declared values the rendered layer (`present`) lacks, from `raw`."""
        out: dict[str, Any] = {}
        for s in self.for_parts(part_ids):
            assert s.values is not None
            value = self.get(raw, s.key)
            if value is not None and not _has(present, s.values):  # None: an optional value left unset
                _put(out, s.values, value)
        return out

    def schema_entries(self, part_ids: Iterable[str], schema: Mapping[str, Any]) -> dict[str, Any]:
        """values.schema.json properties of the declared values the rendered schema lacks."""
        out: dict[str, Any] = {}
        for s in self.for_parts(part_ids):
            assert s.values is not None
            if not _has(schema, s.values, through="properties"):
                node = out
                parts = s.values.split(".")
                for i, part in enumerate(parts[:-1]):
                    node = node.setdefault("properties", {}).setdefault(part, self._values_group(parts[:i + 1]))
                node.setdefault("properties", {})[parts[-1]] = s.values_entry_schema()
        return out

    def _values_group(self, parts: list[str]) -> dict[str, Any]:
        """The values.schema.json object around declared values: closed and described when it is a declared group."""
        group = self.groups.get(".".join(parts))
        if group is None:
            return {"type": "object"}
        return {"type": "object", "additionalProperties": False, "description": group.description}


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = out
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _has(data: Mapping[str, Any], key: str, through: str | None = None) -> bool:
    node: Any = data
    for part in key.split("."):
        if through is not None:
            node = node.get(through) if isinstance(node, Mapping) else None
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True
