"""Where chartgen keeps what it can always recompute: $XDG_CACHE_HOME/chartgen (default ~/.cache/chartgen).

Compiled templates (engine.py), parsed blueprint fragments (fragment_cache.py), verify results (verify_cache.py)
and the helm copies (helm_install.py) live in folders below it; each can also be moved by its own variable.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache(*parts: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "chartgen", *parts)


def tools_dir() -> Path:
    """Where chartgen keeps its own helm copies (and the CRD and CEL parser caches): $CHARTGEN_TOOLS_DIR, else
    ~/.cache/chartgen."""
    env = os.environ.get("CHARTGEN_TOOLS_DIR")
    if env:
        return Path(env)
    return user_cache()
