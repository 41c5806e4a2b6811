"""`chartgen check` inside `chartgen verify`: the options and configuration file `chartgen check` would use.

One rendering gets one verdict from both commands: verify finds each chart's .chartgen-check.yaml as check finds
it for the chart's files (the nearest one at or above the chart, or --config), builds the options with check's own
`make_options` (so rules off, severities, external objects, CRDs and the kube version are read and refused the
same way), and drops the findings the file's `ignore:` entries match.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from chartgen.core.errors import ChartgenError
from chartgen.core.record import Record, record

if TYPE_CHECKING:
    from chartgen.check.config import CheckConfig
    from chartgen.check.model import CheckOptions, Finding


@record
class ChartCheck(Record):
    """`chartgen check` as it runs on one chart's renderings: its options and the configuration's path ignores."""

    options: CheckOptions
    config: CheckConfig | None = None

    def keep(self, f: Finding) -> bool:
        return self.config is None or not self.config.ignored(f.file, f.rule)


def read_check_config(path: Path | None) -> CheckConfig | None:
    """The configuration at path, loaded and its mistakes reported as `chartgen check` does (exit 2, one line)."""
    from chartgen.check.command import UsageError, load_check_config

    if path is None:
        return None
    try:
        return load_check_config([], str(path))
    except UsageError as err:
        raise ChartgenError("chartgen verify", None, str(err)) from None


class CheckConfigs:
    """Each chart's configuration file (--config, else the nearest one at or above the chart), each file loaded once
    per run; none with --no-check (the configuration then decides nothing)."""

    def __init__(self, given: str | None, run_checks: bool = True) -> None:
        self.given = given
        self.run_checks = run_checks
        self._loaded: dict[Path, CheckConfig | None] = {}
        self._found: dict[str, Path | None] = {}  # folder -> its nearest configuration file, for this run

    def path(self, chart: Path) -> Path | None:
        from chartgen.check.config_file import find_config

        if not self.run_checks:
            return None
        return Path(self.given) if self.given else find_config([str(chart)], self._found)

    def load(self, path: Path | None) -> CheckConfig | None:
        if path is None:
            return None
        if path not in self._loaded:
            self._loaded[path] = read_check_config(path)
        return self._loaded[path]


def chart_check(chart: Path, kube_version: str, crds: tuple[str, ...], config: CheckConfig | None) -> ChartCheck:
    """The check of one chart (the one place to add per-chart check inputs): its kube version, the configuration
    file, the --crds paths, CHARTGEN_CRDS and the chart's own crds/ folders (its unpacked subcharts' too)."""
    from chartgen.check.command import UsageError, check_kube_version, make_options

    kube = ".".join(kube_version.split(".")[:2])
    try:
        check_kube_version(kube)
    except UsageError as err:  # --kube-version was checked before any work: this one is the chart's
        raise ChartgenError(str(chart / "chartgen.yaml"), "kubeVersion", str(err)) from None
    try:
        options = make_options(kube_version=kube, config=config, crds=crds)
    except UsageError as err:
        raise ChartgenError("chartgen verify", None, str(err)) from None
    own = [str(p) for p in [chart / "crds", *sorted(chart.glob("charts/*/crds"))] if p.is_dir()]
    return ChartCheck(dataclasses.replace(options, crds=tuple(dict.fromkeys((*options.crds, *own)))), config)
