"""CHARTGEN_CRDS: the CRD paths the environment adds to every check (chartgen.check.crd_source reads them). Apart
from the reader, so that a warm `chartgen verify` keys its cache on them without importing the YAML loader."""

from __future__ import annotations

import os

ENV_VAR = "CHARTGEN_CRDS"


def env_paths(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The paths in CHARTGEN_CRDS (empty entries ignored)."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    return tuple(p for p in value.split(os.pathsep) if p.strip())
