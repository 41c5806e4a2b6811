"""Where chartgen keeps what it can always recompute: $XDG_CACHE_HOME/chartgen (default ~/.cache/chartgen).

Compiled templates (engine.py), parsed blueprint fragments (fragment_cache.py), verify results (verify_cache.py)
and the helm copies (helm_install.py) live in folders below it; each can also be moved by its own variable.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: a replayed verify run (chartgen/verify/run_record.py) imports this module, and
if TYPE_CHECKING:  # typing would bring re, enum and contextlib with it, a seventh of the replay
    from pathlib import Path


def user_cache(*parts: str) -> Path:
    from pathlib import Path  # lazy: chartgen/core/regex_cache.py runs before anything compiles a pattern

    return Path(user_cache_folder(*parts))


def user_cache_folder(*parts: str) -> str:
    """user_cache() as text, without pathlib (a replayed verify run imports as little as it can)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "chartgen", *parts)


def verify_cache_folder() -> str:
    """The verify cache: $CHARTGEN_CACHE_DIR, else the user cache's verify/ (chartgen.core.cache)."""
    return os.environ.get("CHARTGEN_CACHE_DIR") or user_cache_folder("verify")


def tools_dir() -> Path:
    """Where chartgen keeps its own helm copies (and the CRD and CEL parser caches): $CHARTGEN_TOOLS_DIR, else
    ~/.cache/chartgen."""
    env = os.environ.get("CHARTGEN_TOOLS_DIR")
    if env:
        from pathlib import Path

        return Path(env)
    return user_cache()
