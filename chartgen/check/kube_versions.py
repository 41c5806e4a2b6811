"""The Kubernetes versions chartgen checks against: the bundled strict schema sets (kubernetes-validate's package
data) and the --kube-version values that name one. Apart from the schemas (chartgen.check.schema), so that a command
line is checked without loading them (a warm `chartgen verify`, chartgen.verify.command)."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

from chartgen.core import read_log

_SCHEMA_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local-strict$")
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")


def parse_kube_version(text: str) -> tuple[int, int]:
    """"1.31", "v1.31.2", "1.31.0-gke.1" -> (1, 31); ValueError otherwise."""
    m = _VERSION.match(text.strip())
    if not m:
        raise ValueError(f"invalid Kubernetes version {text!r}: expected MAJOR.MINOR such as 1.31")
    return int(m.group(1)), int(m.group(2))


@lru_cache(maxsize=1)
def schema_root() -> Path:
    """The package data folder, found without importing kubernetes_validate (its import pulls in jsonschema)."""
    spec = find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the kubernetes-validate package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


def available_versions() -> dict[tuple[int, int], str]:
    """(major, minor) -> name of its strict schema folder."""
    root, names, folders = _schema_folders()
    read_log.note_dirs(root, names, folders)  # read once per process, looked at by every run that asks
    return _versions(folders)


@lru_cache(maxsize=1)
def _schema_folders() -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The schema folder, the names in it and the names of its folders (links followed)."""
    root = str(schema_root())
    with os.scandir(root) as it:
        entries = sorted(it, key=lambda e: e.name)
    return root, tuple(e.name for e in entries), tuple(e.name for e in entries if e.is_dir())


@lru_cache(maxsize=1)
def _versions(folders: tuple[str, ...]) -> dict[tuple[int, int], str]:
    out: dict[tuple[int, int], str] = {}
    for name in folders:
        m = _SCHEMA_DIR.match(name)
        if m:
            key = (int(m.group(1)), int(m.group(2)))
            if key not in out or name > out[key]:
                out[key] = name
    return dict(sorted(out.items()))


def kube_version_problem(text: str) -> str | None:
    """Why --kube-version `text` is refused (not MAJOR.MINOR[.PATCH], or outside the bundled schemas); None if
    it is fine."""
    try:
        version = parse_kube_version(text)
    except ValueError as err:
        return str(err)
    known = sorted(available_versions())
    if known and not known[0] <= version <= known[-1]:
        return f"unsupported --kube-version {text}: use {known[0][0]}.{known[0][1]} to {known[-1][0]}.{known[-1][1]}"
    return None
