"""A syrupy extension storing each snapshot as a readable YAML file (imported only where syrupy is installed)."""

from __future__ import annotations

from typing import Any

import yaml
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class YAMLSnapshotExtension(SingleFileSnapshotExtension):
    """One `<test name>.yaml` per snapshot: text as it is (helm_render output), other data dumped as YAML."""

    file_extension = "yaml"
    _write_mode = WriteMode.TEXT

    def serialize(self, data: Any, **_: Any) -> str:
        if isinstance(data, str):
            return data if data.endswith("\n") or not data else data + "\n"
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
