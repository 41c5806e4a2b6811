"""The verify cache as a run uses it: each chart's key (the inputs listed in chartgen.core.cache) and the results
stored under it. `run()` (chartgen.verify.chart) looks every chart up here first and verifies the misses; a warm run
whose charts all hit (chartgen.verify.command.run_verify_cached) is answered from here alone, without importing helm's
helpers, the checks or YAML."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from chartgen.core import read_log
from chartgen.core.cache import Cache, chartgen_fingerprint, key
from chartgen.core.errors import ChartgenError
from chartgen.core.input_digest import Uncacheable, paths_digest, tree_digest
from chartgen.core.record import MutableRecord, mutable_record
from chartgen.helm.runner import user_helm_env
from chartgen.verify.chart_check import CheckConfigs
from chartgen.verify.results import ChartResult, Helms, Progress, VerifyOptions

if TYPE_CHECKING:
    from chartgen.core.stat_index import StatIndex


def run_key(helms: Helms, opts: VerifyOptions) -> str | None:
    """The inputs every chart of a run shares (see chartgen.core.cache; chartgen's own files through its own stat
    index, chartgen.core.cache.own_index); None when one cannot be digested."""
    try:
        return key(helms.fingerprint(), chartgen_fingerprint(), opts.fingerprint(), user_helm_env(),
                   _checkov() if opts.policy else "")
    except Uncacheable:
        return None


def chart_key(chart: Path, shared: str | None, opts: VerifyOptions, configs: CheckConfigs,
              index: StatIndex | None = None) -> str | None:
    """The cache key of one chart's result; None when an input cannot be digested (then it is never cached)."""
    if shared is None:
        return None
    from chartgen.check.crd_env import env_paths

    config_path = configs.path(chart)
    config = configs.load(config_path)
    try:
        return key(shared, str(chart), read_log.realpath(chart), tree_digest(chart, index=index),
                   paths_digest([config_path] if config_path else [], index),
                   paths_digest([*opts.crds, *(config.crds if config else ()), *env_paths()], index))
    except Uncacheable:
        return None


def key_after(chart: Path, shared: str | None, opts: VerifyOptions, configs: CheckConfigs,
               index: StatIndex | None) -> str | None:
    try:
        return chart_key(chart, shared, opts, configs, index)
    except ChartgenError:  # a configuration file that broke during the run: verified, not stored
        return None


def cached_result(cache: Cache, k: str | None, chart: Path) -> ChartResult | None:
    """The stored result of this chart under this key; a missing, damaged or foreign entry is a miss."""
    entry = cache.get_entry(k) if k is not None else None
    if entry is None:
        return None
    try:
        result = ChartResult.from_dict(entry)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return result if result.chart == str(chart) and all(e.chart == str(chart) for e in result.envs) else None


def _checkov() -> str:
    from chartgen.verify.policy import checkov_fingerprint, find_checkov

    return checkov_fingerprint(find_checkov())


@mutable_record
class Lookup(MutableRecord):
    """Each chart's key (None: never stored) and the results the cache holds for them."""

    configs: CheckConfigs
    shared: str | None  # run_key
    keys: dict[Path, str | None]
    hits: dict[Path, ChartResult]


def lookup(charts: Sequence[Path], helms: Helms, opts: VerifyOptions, cache: Cache) -> Lookup:
    """Finish or discard any interrupted chartgen write (before a key reads the chart), key every chart, read the
    cache."""
    from chartgen.generate.transaction import recover_interrupted

    for c in charts:
        recover_interrupted(c)  # before the cache key reads the chart
    configs = CheckConfigs(opts.config, opts.run_checks)
    index = cache.stat_index
    shared = run_key(helms, opts) if cache.enabled else None
    keys = {c: chart_key(c, shared, opts, configs, index) for c in charts}
    hits = {c: hit for c in charts if (hit := cached_result(cache, keys[c], c)) is not None}
    return Lookup(configs, shared, keys, hits)


def cached_run(charts: Sequence[Path], helms: Helms, opts: VerifyOptions, cache: Cache,
               progress: Progress, memo: dict[str, object] | None = None) -> list[ChartResult] | None:
    """run() of charts that all hit the cache: their stored results, in the order of `charts`, with the same
    progress and the same index update; None when one misses (then nothing was reported, and `memo["lookup"]` holds
    the cache and its Lookup, for run() to reuse instead of keying every chart again)."""
    found = lookup(charts, helms, opts, cache)
    if len(found.hits) != len(charts):
        if memo is not None:
            memo["lookup"] = (cache, found)
        return None
    progress.start(len(charts))
    for c in charts:
        progress.done(found.hits[c], found.hits[c].ok())
    cache.save_index()
    progress.stop()
    return [found.hits[c] for c in charts]
