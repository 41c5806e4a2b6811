"""Where custom resources get their schemas: CustomResourceDefinitions from where users keep them.

Sources, first match wins for a (group, kind):

1. CRD objects in the checked input itself (Istio's base chart, cert-manager with installCRDs and most operators'
   charts render their CRDs next to the resources that use them);
2. ``CheckOptions.crds``: files or folders, in order. `chartgen check --crds PATH` (repeatable), the
   ``CHARTGEN_CRDS`` environment variable (paths separated by ``os.pathsep``), the config file's ``crds:`` key, and
   for `chartgen verify` the chart's own ``crds/`` folder (Helm does not render it, it installs it) all end up here.

A folder is read recursively (``*.yaml``, ``*.yml``, ``*.json``); documents that are not CRDs are ignored, but a
path that yields no CRD at all is an input error (exit 2). Files are read only when the input holds a custom
resource that no CRD in the input describes. A file's CRDs are extracted once and kept as JSON in chartgen's cache
folder (``~/.cache/chartgen/crds/``, keyed by the file's sha256), so a later run reads a small JSON instead of
parsing megabytes of YAML: a small index of the file's CRDs (names, groups, kinds, served versions) and one JSON per
CRD with its schemas, read only when a document of that kind is validated. Entries carry the file's digest; one that
does not match or does not parse is a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from chartgen.check.crd_env import ENV_VAR, env_paths  # noqa: F401 (re-exported)
from chartgen.check.loader import InputError
from chartgen.core.record import Record, record

CRD_SUFFIXES = (".yaml", ".yml", ".json")
_CACHE_FORMAT = 2
_PRESERVE = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


@record
class Crd(Record):
    """The served schemas of one CustomResourceDefinition."""

    name: str  # metadata.name, e.g. gateways.networking.istio.io
    group: str
    kind: str
    versions: Mapping[str, dict[str, Any]]  # served version -> openAPIV3Schema
    unserved: tuple[str, ...]  # versions the CRD declares with served: false
    source: str  # the file it came from, or "file:line" of the CRD document in the input
    key: str  # identifies the schemas (compiled validators are cached under it)

    @property
    def label(self) -> str:
        return f"CRD {self.name} from {self.source}"


def missing_paths(paths: Iterable[str]) -> list[str]:
    return [p for p in paths if not Path(p).exists()]


def crd_from_object(obj: Any, source: str, key: str | None = None) -> Crd | None:
    """The Crd of a CustomResourceDefinition object (apiextensions.k8s.io v1, or v1beta1's spec.validation);
    None when the object is not a CRD or lacks spec.group / spec.names.kind / versions."""
    if not isinstance(obj, dict) or obj.get("kind") != "CustomResourceDefinition":
        return None
    if not str(obj.get("apiVersion", "")).startswith("apiextensions.k8s.io/"):
        return None
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    names: dict[str, Any] = spec["names"] if isinstance(spec.get("names"), dict) else {}
    group, kind = spec.get("group"), names.get("kind")
    if not isinstance(group, str) or not group or not isinstance(kind, str) or not kind:
        return None
    shared = (spec.get("validation") or {}).get("openAPIV3Schema") if isinstance(spec.get("validation"), dict) \
        else None
    raw_versions = spec.get("versions")
    if not isinstance(raw_versions, list) and isinstance(spec.get("version"), str):
        raw_versions = [{"name": spec["version"], "served": True}]
    versions: dict[str, dict[str, Any]] = {}
    unserved: list[str] = []
    for v in raw_versions or []:
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            continue
        if v.get("served", True) is False:
            unserved.append(v["name"])
            continue
        schema = (v.get("schema") or {}).get("openAPIV3Schema") if isinstance(v.get("schema"), dict) else None
        schema = schema or shared
        versions[v["name"]] = schema if isinstance(schema, dict) else dict(_PRESERVE)
    if not versions and not unserved:
        return None
    md: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
    name = str(md.get("name") or f"{names.get('plural', kind.lower())}.{group}")
    if key is None:
        key = _content_key(group, kind, versions)
    return Crd(name, group, kind, versions, tuple(unserved), source, key)


_KEY_MEMO_MAX = 1024
_key_memo: dict[tuple[Any, ...], tuple[str, list[Any]]] = {}  # by schema identity; holds the schemas it names


def _content_key(group: str, kind: str, versions: dict[str, dict[str, Any]]) -> str:
    """A digest of the CRD's content. Equal top-level values are one object when read by the loader (copies of one
    CRD share their schemas), so the digest is computed once per distinct schema object."""
    memo_key = (group, kind, tuple((name, id(schema)) for name, schema in versions.items()))
    hit = _key_memo.get(memo_key)
    if hit is not None:
        return hit[0]
    key = hashlib.sha256(json.dumps([group, kind, versions], sort_keys=True, default=str).encode()).hexdigest()
    if len(_key_memo) >= _KEY_MEMO_MAX:
        _key_memo.clear()
    _key_memo[memo_key] = (key, list(versions.values()))
    return key


# --- files -----------------------------------------------------------------------------------------------------


def expand(path_text: str) -> list[Path]:
    """The CRD files a path names: the file itself, or a folder's *.yaml/*.yml/*.json files (recursively)."""
    path = Path(path_text)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in CRD_SUFFIXES and p.is_file())
    if path.is_file():
        return [path]
    raise InputError(path_text, None, "CRD path: no such file or directory (give CRD files or folders)")


def _cache_dir() -> Path:
    from chartgen.core.user_cache import tools_dir

    return tools_dir() / "crds"


def _yaml_error(path: str, err: Exception) -> InputError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    return InputError(path, mark.line + 1 if mark is not None else None, f"invalid YAML in a CRD file: {problem}")


def _extract(raw: bytes, path: str) -> list[dict[str, Any]]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = []
    try:
        for doc in yaml.load_all(raw, Loader=loader):
            crd = crd_from_object(doc, path, key="")
            if crd is not None:
                out.append({"name": crd.name, "group": crd.group, "kind": crd.kind, "versions": crd.versions,
                            "unserved": list(crd.unserved)})
    except yaml.YAMLError as err:
        raise _yaml_error(path, err) from None
    return out


class LazySchemas(Mapping[str, dict[str, Any]]):
    """The served versions of a CRD read from the cache: the names are known at once, the schemas are read on the
    first lookup (a one-document check of one kind parses only that CRD, not the whole file)."""

    def __init__(self, names: Iterable[str], load: Callable[[], dict[str, dict[str, Any]]]) -> None:
        self._names = tuple(names)
        self._load = load
        self._data: dict[str, dict[str, Any]] | None = None

    def _get(self) -> dict[str, dict[str, Any]]:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, name: str) -> dict[str, Any]:
        if name not in self._names:
            raise KeyError(name)
        return self._get()[name]

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, data: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only home: parse every time


def _index_entries(index: Any, digest: str) -> list[dict[str, Any]] | None:
    """The index's CRD entries when it is an index of this file's content, else None (a miss)."""
    if not isinstance(index, dict) or index.get("digest") != digest or not isinstance(index.get("crds"), list):
        return None
    keys = {"name": str, "group": str, "kind": str, "served": list, "unserved": list}
    entries = index["crds"]
    ok = all(isinstance(c, dict) and all(isinstance(c.get(k), t) for k, t in keys.items()) for c in entries)
    return entries if ok else None


@functools.lru_cache(maxsize=64)
def _load_file(path: str, mtime_ns: int, size: int) -> tuple[Crd, ...]:
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise InputError(path, None, f"cannot read CRD file: {err.strerror or err}") from None
    digest = hashlib.sha256(raw).hexdigest()
    stem = f"{digest[:32]}.v{_CACHE_FORMAT}"
    folder = _cache_dir()
    entries = _index_entries(_read_json(folder / f"{stem}.json"), digest)
    if entries is None:
        data = _extract(raw, path)
        for i, c in enumerate(data):
            _write_json(folder / f"{stem}.{i}.json", {"digest": digest, "name": c["name"], "versions": c["versions"]})
        _write_json(folder / f"{stem}.json", {"digest": digest, "crds": [
            {"name": c["name"], "group": c["group"], "kind": c["kind"], "served": list(c["versions"]),
             "unserved": c["unserved"]} for c in data]})
        return tuple(Crd(c["name"], c["group"], c["kind"], c["versions"], tuple(c["unserved"]), path,
                         f"{digest}:{c['name']}") for c in data)

    def loader(i: int, name: str, served: list[str]) -> Callable[[], dict[str, dict[str, Any]]]:
        def load() -> dict[str, dict[str, Any]]:
            entry = _read_json(folder / f"{stem}.{i}.json")
            if isinstance(entry, dict) and entry.get("digest") == digest and entry.get("name") == name \
                    and isinstance(entry.get("versions"), dict) and sorted(entry["versions"]) == sorted(served):
                return dict(entry["versions"])
            found = next((c for c in _extract(raw, path) if c["name"] == name), None)  # a corrupt entry: a miss
            if found is None:
                raise InputError(path, None, f"CRD {name} is no longer in the file")
            return dict(found["versions"])

        return load

    return tuple(Crd(c["name"], c["group"], c["kind"], LazySchemas(c["served"], loader(i, c["name"], c["served"])),
                     tuple(c["unserved"]), path, f"{digest}:{c['name']}") for i, c in enumerate(entries))


def load_file(path: Path) -> tuple[Crd, ...]:
    """The CRDs of one file (cached per process by path, mtime and size; on disk by content)."""
    st = path.stat()
    return _load_file(str(path), st.st_mtime_ns, st.st_size)


def load_paths(paths: Iterable[str]) -> list[Crd]:
    """Every CRD under the paths, in order; InputError for a missing path or one without any CRD."""
    out: list[Crd] = []
    for path_text in paths:
        found: list[Crd] = []
        for f in expand(path_text):
            found.extend(load_file(f))
        if not found:
            raise InputError(path_text, None, "no CustomResourceDefinition found (--crds takes CRD files or "
                                              "folders holding them)")
        out.extend(found)
    return out


# --- the catalog of one check run -------------------------------------------------------------------------------


class CrdCatalog:
    """(group, kind) -> Crd: the input's CRDs first, then the files (read on the first lookup they can answer)."""

    def __init__(self, input_crds: Iterable[Crd], paths: tuple[str, ...]) -> None:
        self._by_gk: dict[tuple[str, str], Crd] = {}
        for crd in input_crds:
            self._by_gk.setdefault((crd.group, crd.kind), crd)
        self._paths = paths
        self._files_loaded = not paths

    def _load_files(self) -> None:
        self._files_loaded = True
        for crd in load_paths(self._paths):
            self._by_gk.setdefault((crd.group, crd.kind), crd)

    def lookup(self, group: str, kind: str) -> Crd | None:
        found = self._by_gk.get((group, kind))
        if found is None and not self._files_loaded:
            self._load_files()
            found = self._by_gk.get((group, kind))
        return found

    def __iter__(self) -> Iterator[Crd]:
        if not self._files_loaded:
            self._load_files()
        return iter(list(self._by_gk.values()))
