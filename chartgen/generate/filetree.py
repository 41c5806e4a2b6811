"""An in-memory chart: relative path -> text. The generate pipeline builds one; only the writer touches disk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import field

from chartgen.core.record import MutableRecord, mutable_record


@mutable_record
class FileTree(MutableRecord):
    """A chart's files in memory: path relative to the chart folder -> text."""

    files: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, text: str) -> None:
        if path.startswith("/") or ".." in path.split("/"):
            raise ValueError(f"unsafe path in file tree: {path}")
        self.files[path] = text

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(sorted(self.files.items()))

    def __contains__(self, path: str) -> bool:
        return path in self.files

    def __getitem__(self, path: str) -> str:
        return self.files[path]

    def paths(self) -> list[str]:
        return sorted(self.files)

    @staticmethod
    def digest(text: str | bytes) -> str:
        data = text.encode("utf-8") if isinstance(text, str) else text
        return hashlib.sha256(data).hexdigest()
