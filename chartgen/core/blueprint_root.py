"""Where the blueprint library is, and its blueprint names read cheaply (for `--help` texts at start-up).

Only os, re and pathlib: the CLI imports this module at start-up, never YAML or the library
(chartgen/spec/blueprints.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import chartgen
from chartgen.core import read_log
from chartgen.core.errors import ChartgenError
from chartgen.core.lazy_pattern import lazy_pattern

ENV_VAR = "CHARTGEN_BLUEPRINTS"
SHIPPED_LIBRARY = "_blueprints"  # the library's folder inside the installed package (pyproject's force-include)


def default_root() -> Path:
    """$CHARTGEN_BLUEPRINTS, else blueprints/ (in the wheel as chartgen/_blueprints; top-level in a checkout)."""
    override = os.environ.get(ENV_VAR)
    if override:
        root = Path(override)
        if not read_log.is_dir(root / "profiles", quiet=True):
            raise ChartgenError(f"${ENV_VAR}", None, f"{override!r} is not a blueprints folder (it has no profiles/)")
        return root
    here = Path(read_log.realpath(chartgen.__file__)).parent  # the package, wherever this module sits in it
    for candidate in (here.parent / "blueprints", here / SHIPPED_LIBRARY):
        if read_log.is_dir(candidate / "profiles", quiet=True):  # the verify cache key depends on which is found
            return candidate
    raise ChartgenError(str(here), None, "blueprints folder not found; is chartgen installed correctly?")


_KIND_SERVICE = lazy_pattern(r"^kind:\s*service\s*(#.*)?$", re.M)
_NAME = lazy_pattern(r"^name:\s*([-a-z0-9]+)", re.M)
_ORDER = lazy_pattern(r"^order:\s*([0-9]+)", re.M)


def quick_choices() -> list[str]:
    """The blueprint names in prompt order, read without YAML or the whole library (for `--help` texts).

    Reads only the top-level `kind`, `name` and `order` lines of each blueprint.yaml; chartgen validates the
    answer against the real library later. An unreadable library yields no names rather than failing `--help`.
    """
    try:
        root = default_root()
    except ChartgenError:
        return []
    found = []
    for manifest in root.glob("**/blueprint.yaml"):
        text = manifest.read_text(encoding="utf-8")
        if _KIND_SERVICE.search(text):
            name, order = _NAME.search(text), _ORDER.search(text)
            found.append((int(order.group(1)) if order else 1000, name.group(1) if name else manifest.parent.name))
    return [n for _, n in sorted(found)]
