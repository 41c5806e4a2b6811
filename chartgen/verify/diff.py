"""Compare two environments of a chart: the rendered manifests per resource, or the effective values.

Manifests come from `helm template` of each environment in its own namespace. Resources are matched by kind,
namespace and name, where a resource in the environment's release namespace (or with none, as chartgen's
templates write none) counts as "the release namespace", so staging and prod resources pair up although their
namespaces differ. Changed fields are given as paths (`spec.ports[name=http].nodePort`,
`metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"]`) with old -> new values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from chartgen.check.formats import Line, Report, Summary, line, plain, write
from chartgen.core.errors import ChartgenError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class RenderFailed(ChartgenError):
    """helm could not render an environment: a finding about the chart (exit 1), not bad input."""

    exit_code = 1


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


MISSING: Any = _Missing()


# ---------------------------------------------------------------------------------------------- field changes


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any

    @property
    def op(self) -> str:
        return "add" if self.old is MISSING else "remove" if self.new is MISSING else "change"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "op": self.op,
                "from": None if self.old is MISSING else self.old,
                "to": None if self.new is MISSING else self.new}


def join_key(path: str, key: Any) -> str:
    key = str(key)
    if _PLAIN_KEY.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _names(items: list[Any]) -> list[str] | None:
    """The items' `name`s when every item is a map with a unique string name (ports, containers, env)."""
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return names  # type: ignore[return-value]
    return None


def _same(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b) if not isinstance(a, (dict, list)) else a == b and _deep_types(a, b)


def _deep_types(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return all(_deep_types(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return all(_deep_types(x, y) for x, y in zip(a, b, strict=False))
    return type(a) is type(b)


def field_changes(old: Any, new: Any, path: str = "") -> list[Change]:
    """Every difference between two YAML values, as leaf changes with paths."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[Change] = []
        for key in _union(list(old), list(new)):
            p = join_key(path, key)
            if key not in new:
                out.extend(_leaves(p, old[key], removed=True))
            elif key not in old:
                out.extend(_leaves(p, new[key], removed=False))
            else:
                out.extend(field_changes(old[key], new[key], p))
        return out
    if isinstance(old, list) and isinstance(new, list):
        if _same(old, new):
            return []
        old_names, new_names = _names(old), _names(new)
        if old_names is not None and new_names is not None and old and new:
            by_old = dict(zip(old_names, old, strict=False))
            by_new = dict(zip(new_names, new, strict=False))
            out = []
            for name in _union(old_names, new_names):
                p = f"{path}[name={name}]"
                out.extend(field_changes(by_old.get(name, MISSING), by_new.get(name, MISSING), p))
            if not out:  # same items in another order
                out.append(Change(path, old, new))
            return out
        if len(old) == len(new) and all(isinstance(x, dict) for x in old + new):
            out = []
            for i, (a, b) in enumerate(zip(old, new, strict=False)):
                out.extend(field_changes(a, b, f"{path}[{i}]"))
            return out
        return [Change(path, old, new)]
    if old is MISSING or new is MISSING:
        return [Change(path, old, new)]
    if _same(old, new):
        return []
    return [Change(path, old, new)]


def _union(old: list[Any], new: list[Any]) -> list[Any]:
    """new's keys in order, each key only in old placed where it stood in old (after its predecessors)."""
    in_new = set(new)
    out: list[Any] = []
    pending = [k for k in old if k not in in_new]
    position = {k: i for i, k in enumerate(old)}
    for key in new:
        if key in position:
            while pending and position[pending[0]] < position[key]:
                out.append(pending.pop(0))
        out.append(key)
    return out + pending


def _leaves(path: str, value: Any, *, removed: bool) -> Iterator[Change]:
    """An added (or removed) map is reported key by key; anything else as one value."""
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            yield from _leaves(join_key(path, key), sub, removed=removed)
    else:
        yield Change(path, value, MISSING) if removed else Change(path, MISSING, value)


# ---------------------------------------------------------------------------------------------- resources


@dataclass(frozen=True, order=True)
class ResourceKey:
    kind: str
    namespace: str | None  # None: the release namespace (or a cluster-scoped resource)
    name: str
    api_version: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass
class ResourceDiff:
    resource: ResourceKey
    changes: list[Change]

    def to_dict(self) -> dict[str, Any]:
        return {"resource": self.resource.to_dict(), "changes": [c.to_dict() for c in self.changes]}


@dataclass
class ManifestDiff:
    chart: str
    from_env: str
    to_env: str
    from_namespace: str
    to_namespace: str
    added: list[ResourceKey] = field(default_factory=list)
    removed: list[ResourceKey] = field(default_factory=list)
    changed: list[ResourceDiff] = field(default_factory=list)
    unchanged: list[ResourceKey] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chart": self.chart,
            "from": self.from_env,
            "to": self.to_env,
            "namespaces": {"from": self.from_namespace, "to": self.to_namespace},
            "resources": {
                "added": [r.to_dict() for r in self.added],
                "removed": [r.to_dict() for r in self.removed],
                "changed": [c.to_dict() for c in self.changed],
                "unchanged": len(self.unchanged),
            },
        }


@dataclass
class ValuesDiff:
    chart: str
    from_env: str
    to_env: str
    changes: list[Change]

    @property
    def empty(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {"chart": self.chart, "from": self.from_env, "to": self.to_env,
                "values": {"changes": [c.to_dict() for c in self.changes]}}


def index_manifests(text: str, namespace: str, where: str = "manifests") -> dict[ResourceKey, dict[str, Any]]:
    """Rendered multi-document YAML -> {resource key: document}."""
    try:
        docs = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise RenderFailed(where, None, f"helm rendered invalid YAML: {exc}") from None
    out: dict[ResourceKey, dict[str, Any]] = {}
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc:
            continue
        meta = doc.get("metadata") or {}
        ns = meta.get("namespace")
        key = ResourceKey(str(doc["kind"]), None if ns in (None, "", namespace) else str(ns),
                          str(meta.get("name", "")), str(doc.get("apiVersion", "")))
        base, n = key, 2
        while key in out:  # the same resource twice (an error helm install would catch): keep both
            key = ResourceKey(base.kind, base.namespace, f"{base.name}#{n}", base.api_version)
            n += 1
        out[key] = doc
    return out


def diff_manifests(old_text: str, new_text: str, *, chart: str, from_env: str, to_env: str,
                   from_namespace: str, to_namespace: str) -> ManifestDiff:
    old = index_manifests(old_text, from_namespace, f"{chart}[{from_env}]")
    new = index_manifests(new_text, to_namespace, f"{chart}[{to_env}]")
    result = ManifestDiff(chart, from_env, to_env, from_namespace, to_namespace)
    for key in sorted(set(old) | set(new)):
        if key not in old:
            result.added.append(_with_version(key, new[key]))
        elif key not in new:
            result.removed.append(_with_version(key, old[key]))
        else:
            changes = field_changes(_in_release_ns(old[key], from_namespace), _in_release_ns(new[key], to_namespace))
            if changes:
                result.changed.append(ResourceDiff(_with_version(key, new[key]), changes))
            else:
                result.unchanged.append(key)
    return result


def _in_release_ns(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The document without metadata.namespace when it is the release namespace (the header names both)."""
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or meta.get("namespace") != namespace:
        return doc
    return {**doc, "metadata": {k: v for k, v in meta.items() if k != "namespace"}}


def _with_version(key: ResourceKey, doc: Mapping[str, Any]) -> ResourceKey:
    return ResourceKey(key.kind, key.namespace, key.name, str(doc.get("apiVersion", "")))


def diff_chart(chart: Path, from_env: str, to_env: str, helm: Any, *, kube_version: str | None = None,
               release: str | None = None) -> ManifestDiff:
    """helm template both environments (each in its namespace) and compare them resource by resource."""
    from chartgen.verify.target import ChartTarget

    target = ChartTarget.load(chart, kube_version)
    envs = [target.env(from_env), target.env(to_env)]  # unknown names fail here, before helm runs
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda e: target.template(helm, e.name, release=release), envs))
    for env, res in zip(envs, results, strict=False):
        if not res.ok:
            lines = [text for text in res.message.splitlines() if text.strip()]
            raise RenderFailed(str(target.path), None, f"helm template failed for {env.name}: "
                                                       f"{' '.join(lines) or 'no message'}")
    return diff_manifests(results[0].stdout, results[1].stdout, chart=target.name, from_env=from_env,
                          to_env=to_env, from_namespace=envs[0].namespace, to_namespace=envs[1].namespace)


def environment_values(chart: Path) -> tuple[str, dict[str, dict[str, Any]]]:
    """(chart name, {env: full effective values}). From chartgen.yaml when there is one, else from the files."""
    from chartgen.core.merge import merge
    from chartgen.spec.loader import SPEC_FILE

    chart = chart.parent if chart.name in ("chartgen.yaml", "Chart.yaml") else chart
    if (chart / SPEC_FILE).is_file():
        from chartgen.generate.engine import Engine
        from chartgen.spec.loader import load_spec

        spec = load_spec(chart)
        engine = Engine()
        values = engine.render_values(spec, engine.active_parts(spec))
        return spec.name, values.environments
    from chartgen.verify.target import ChartTarget

    target = ChartTarget.load(chart)
    base = _read_values(chart / "values.yaml")
    return target.name, {e.name: merge(base, _read_values(e.values_file) if e.values_file else {})
                         for e in target.environments}


def _read_values(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ChartgenError(str(path), None, f"invalid YAML: {exc}") from None
    if data is not None and not isinstance(data, dict):
        raise ChartgenError(str(path), None, "must be a mapping of values")
    return data or {}


def diff_values(chart: Path, from_env: str, to_env: str) -> ValuesDiff:
    """The effective (fully merged) values of two environments, compared key by key."""
    name, envs = environment_values(chart)
    for flag, env in (("--from", from_env), ("--to", to_env)):
        if env not in envs:
            raise ChartgenError(str(chart), flag, f"unknown environment {env!r}; allowed: {', '.join(envs)}")
    return ValuesDiff(name, from_env, to_env, field_changes(envs[from_env], envs[to_env]))


# ------------------------------------------------------------------------------ output (chartgen.check.formats)


def use_color(out: IO[str]) -> bool:
    """Colour only for a person at a terminal: never when piped, in CI, with NO_COLOR or TERM=dumb."""
    from chartgen.check.formats import use_color as _use_color

    return _use_color(out)


def fmt_value(value: Any) -> str:
    if value is MISSING:
        return "(absent)"
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=1_000_000, allow_unicode=True)
    text = text.strip()
    return text[: -len("...")].strip() if text.endswith("...") else text


def _text_lines(diff: ManifestDiff | ValuesDiff) -> Iterator[Line]:
    """The diff as styled lines; the last one is the summary."""
    if isinstance(diff, ValuesDiff):
        yield line(f"values of {diff.chart}: {diff.from_env} -> {diff.to_env}", "bold")
        yield from _change_lines(diff.changes, "  ")
        yield line(f"{len(diff.changes)} value(s) differ" if diff.changes else "no differences")
        return
    ns = "" if diff.from_namespace == diff.to_namespace else \
        f" (namespace {diff.from_namespace} -> {diff.to_namespace})"
    yield line(f"{diff.chart}: {diff.from_env} -> {diff.to_env}{ns}", "bold")
    for key in diff.added:
        yield line(f"+ {key.label} (only in {diff.to_env})", "green")
    for key in diff.removed:
        yield line(f"- {key.label} (only in {diff.from_env})", "red")
    for rd in diff.changed:
        yield line(f"~ {rd.resource.label}", "yellow")
        yield from _change_lines(rd.changes, "    ")
    if diff.empty:
        yield line(f"no differences ({len(diff.unchanged)} resources identical)")
    else:
        yield line(f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed, "
                   f"{len(diff.unchanged)} unchanged")


def _change_lines(changes: list[Change], pad: str) -> Iterator[Line]:
    for c in changes:
        yield ((pad, ""), (c.path, "bold"), (": ", ""),
               (fmt_value(c.old), "dim" if c.old is MISSING else "red"), (" -> ", ""),
               (fmt_value(c.new), "dim" if c.new is MISSING else "green"))


def diff_report(diff: ManifestDiff | ValuesDiff) -> Report:
    """The diff as a reporting.Report: text lines, the summary line, and the diff itself as the JSON document."""
    lines = list(_text_lines(diff))
    return Report("chartgen diff", (), Summary(plain(lines[-1]), True), preamble=tuple(lines[:-1]),
                  json_body=diff.to_dict())


def render_text(diff: ManifestDiff | ValuesDiff, out: IO[str], color: bool | None = None) -> None:
    """Readable text; coloured (rich) when `color`, which defaults to use_color(out)."""
    write("text", diff_report(diff), out, color=use_color(out) if color is None else color)


def render_json(diff: ManifestDiff | ValuesDiff, out: IO[str]) -> None:
    write("json", diff_report(diff), out)
