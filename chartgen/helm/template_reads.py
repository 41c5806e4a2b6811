"""What a chart's templates can read besides .Values: whether a template reads a file through .Files, and whether a
values text may hold a template action that `tpl` could run (and so read files too).

verify reuses work when a file's copy differs from the chart's own only where no template can look: the README's
pictures drawn from verify's renderings (chartgen.verify.readme_pictures) and one lint for all environments
(chartgen.helm.lint_batch).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# chartgen's pod template passes .Files on into a context dict; passing it on reads nothing
PASS_ON = '"Files" $.Files'
FILES = re.compile(r"(?<![A-Za-z0-9_])Files(?![A-Za-z0-9_])")  # .Files, $.Files, "Files"; not RootFilesystem
TPL = re.compile(r"(?<![A-Za-z0-9_])tpl(?![A-Za-z0-9_])")


def reads_files(template: str) -> bool:
    """Whether a template may read a file: it names Files other than to pass it on."""
    return FILES.search(template.replace(PASS_ON, "")) is not None


def may_hold_action(text: str) -> bool:
    """Whether a YAML text may hold a string with `{{` (escapes and line continuations read as YAML does)."""
    if "{{" in text or "binary" in text:
        return True
    if "\\" not in text:  # only an escape (\x7b, \u007b, an escaped line break) makes `{{` the text does not show
        return False
    import yaml

    try:
        return any("{{" in s for s in _strings(yaml.safe_load(text)))
    except yaml.YAMLError:
        return True


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)
