"""The versions of chartgen's installed dependencies, read the way importlib.metadata finds them, without its cost.

`importlib.metadata` costs a warm `chartgen verify` ~0.1-0.15 s per process (importing it pulls in `email`, and each
query walks sys.path again). The verify cache key only needs chartgen's `Requires-Dist` names and the version of the
first distribution of each name on sys.path, so this reads the folders of sys.path once (`os.scandir`) and the few
`METADATA` files it needs. Anything it does not read the same way importlib.metadata would (an `.egg-info`, a path
entry that is a file such as a zip or an egg, a header it cannot read, a missing chartgen distribution) sends the
whole question to importlib.metadata: the answer is always the one importlib.metadata gives
(tests/core/test_installed_versions.py compares them).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from chartgen.core import read_log


class _Unsure(Exception):
    """The fast path cannot be sure to find what importlib.metadata finds."""


def normalize(name: str) -> str:
    """PEP 503 normalization, with `_` as importlib.metadata compares folder names."""
    return re.sub(r"[-_.]+", "_", name).lower()


def dependency_versions(dist: str = "chartgen") -> dict[str, str | None]:
    """{requirement name: installed version or None} for `dist`'s requirements without an `extra ==` marker, in the
    order of its metadata (names as written there)."""
    try:
        if any(hasattr(f, "find_distributions") and f is not _path_finder() for f in sys.meta_path):
            raise _Unsure  # another finder may answer first (importlib.metadata asks every one)
        return _fast(dist, sys.path)
    except _Unsure:
        return _slow(dist)


def _path_finder() -> object:
    from importlib.machinery import PathFinder

    return PathFinder


def _requirement_names(requires: Iterable[str]) -> list[str]:
    names = []
    for req in requires:
        if "extra ==" in req:
            continue
        name = re.match(r"[A-Za-z0-9_.-]+", req)
        if name:
            names.append(name.group(0))
    return names


def _slow(dist: str) -> dict[str, str | None]:
    import importlib.metadata

    read_log.note_unsure()  # importlib.metadata's reads are not noted
    out: dict[str, str | None] = {}
    for name in _requirement_names(importlib.metadata.requires(dist) or []):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out.setdefault(name, None)
    return out


_SUFFIXES = (".dist-info", ".egg-info", ".egg")


def _fast(dist: str, path: Iterable[str]) -> dict[str, str | None]:
    # normalized name -> the first distribution folder of that name on sys.path (an .egg-info one is only
    # remembered: its metadata is read differently, so needing it sends the question to importlib.metadata)
    first: dict[str, str] = {}
    for entry in path:
        folder = entry or "."
        try:
            items = list(os.scandir(folder))
        except NotADirectoryError:
            raise _Unsure from None  # a zip or an egg on sys.path: importlib.metadata reads inside it
        except FileNotFoundError:
            read_log.note_stat(folder, None)
            continue  # a missing folder holds nothing (importlib.metadata skips it too)
        except OSError:
            read_log.note_unsure()
            continue
        names = [item.name for item in items]
        read_log.note_list(folder, names)
        here: dict[str, str] = {}  # one pass; `first` learns this folder's names after it
        for item, low in zip(items, map(str.lower, names), strict=True):
            if low.endswith(_SUFFIXES):
                if low.endswith(".egg"):
                    raise _Unsure
                name = normalize(low.rpartition(".")[0].partition("-")[0])
                if name in here and name not in first:
                    raise _Unsure  # two of one name in a folder: importlib.metadata takes the first listed
                here.setdefault(name, item.path)
        for name, folder_of in here.items():
            first.setdefault(name, folder_of)
    own = _metadata_folder(first, dist)
    if own is None:
        raise _Unsure
    headers = _headers(Path(own, "METADATA"))
    out: dict[str, str | None] = {}
    for name in _requirement_names(headers.get("requires-dist", [])):
        found = _metadata_folder(first, name)
        if found is None:
            out.setdefault(name, None)
            continue
        versions = _headers(Path(found, "METADATA")).get("version", [])
        if len(versions) != 1:
            raise _Unsure
        out[name] = versions[0]
    return out


def _metadata_folder(first: dict[str, str], name: str) -> str | None:
    """The first .dist-info folder of `name`; _Unsure when the first distribution of that name is an .egg-info."""
    found = first.get(normalize(name))
    if found is not None and found.lower().endswith(".egg-info"):
        raise _Unsure
    return found


def _headers(metadata: Path) -> dict[str, list[str]]:
    """The header fields of a METADATA file (lower-case names), up to the first blank line."""
    try:
        read_log.note_stat(metadata, os.stat(metadata))  # its identity stands for its content
        text = metadata.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise _Unsure from None
    out: dict[str, list[str]] = {}
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line:
            break
        if line[0] in " \t":
            raise _Unsure  # a folded header: leave it to the email parser
        name, sep, value = line.partition(":")
        if not sep:
            raise _Unsure
        out.setdefault(name.strip().lower(), []).append(value.strip())
    return out
