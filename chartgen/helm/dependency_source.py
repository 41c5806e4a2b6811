"""Where one dependency of a chart came from (chartgen.helm.dependencies makes dependencies present): apart from
the builder, so that a verify result read from the cache needs neither tar nor YAML."""

from __future__ import annotations

from typing import Any

from chartgen.core.record import Record, record


@record
class Source(Record):
    """Where one dependency of a chart came from in this run."""

    chart: str  # the depending chart's folder
    name: str
    version: str
    found: str  # the entry of charts/ helm reads (e.g. charts/webapp-0.1.0.tgz)
    built_from: str = ""  # the repository it was built from in this run; "" when it was in charts/ already

    def describe(self) -> str:
        how = f"built from {self.built_from} into {self.found}" if self.built_from else f"from {self.found}"
        return f"{self.name} {self.version} {how}"

    def to_dict(self) -> dict[str, str]:
        return {"chart": self.chart, "name": self.name, "version": self.version, "found": self.found,
                "builtFrom": self.built_from}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Source:
        return cls(d["chart"], d["name"], d["version"], d["found"], d.get("builtFrom", ""))
