"""Chart versions across changes: `chartgen generate --bump patch|minor|major` and, as chart-testing's
check-version-increment does, `chartgen verify --changed-since REF` reporting a chart whose files changed since the
merge base while its Chart.yaml `version` did not grow.

The bump edits the `chartVersion:` line of chartgen.yaml in place (comments and layout kept; the line is added after
`name:` when there is none), before the chart is generated from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from chartgen.check.model import Finding, Severity
from chartgen.core.errors import ChartgenError

PARTS = ("patch", "minor", "major")
VERSION_NOT_BUMPED = "CHART-VERSION"
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_LINE = re.compile(r"^chartVersion:[ \t]*(?P<value>[^#\n]*?)[ \t]*(?P<comment>#.*)?$", re.MULTILINE)
_NAME = re.compile(r"^name:.*$", re.MULTILINE)


def bumped(version: str, part: str) -> str:
    m = _SEMVER.match(version)
    if not m:
        raise ChartgenError("chartVersion", None, f"{version!r} is not a SemVer 2 version; --bump needs one")
    major, minor, patch = int(m[1]), int(m[2]), int(m[3])
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    if m[4]:  # 1.2.3-rc.1 -> 1.2.3: the release of the pre-release
        return f"{major}.{minor}.{patch}"
    return f"{major}.{minor}.{patch + 1}"


def bump_spec(spec_file: Path, part: str) -> tuple[str, str]:
    """Raise chartVersion in chartgen.yaml; (old, new)."""
    if part not in PARTS:
        raise ChartgenError("chartgen generate", "--bump", f"{part!r} is not allowed; allowed: {', '.join(PARTS)}")
    text = spec_file.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    old = str(data.get("chartVersion", "0.1.0")) if isinstance(data, dict) else "0.1.0"
    new = bumped(old, part)
    m = _LINE.search(text)
    if m:
        comment = f" {m['comment']}" if m["comment"] else ""
        text = text[:m.start()] + f"chartVersion: {new}{comment}" + text[m.end():]
    elif (n := _NAME.search(text)) is not None:
        text = text[:n.end()] + f"\nchartVersion: {new}" + text[n.end():]
    else:
        raise ChartgenError(str(spec_file), "chartVersion", "cannot place chartVersion: the file has no top-level "
                            "`name:` line")
    tmp = spec_file.with_name(f".{spec_file.name}.bump")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(spec_file)
    return old, new


def _key(version: str) -> tuple[int, int, int, int, str] | None:
    m = _SEMVER.match(version)
    if not m:
        return None
    # a pre-release sorts before its release (simplified: pre-releases compare as text)
    return int(m[1]), int(m[2]), int(m[3]), 0 if m[4] else 1, m[4] or ""


def _chart_version(text: str) -> str | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return str(data["version"]) if isinstance(data, dict) and "version" in data else None


def version_findings(charts: Sequence[Path], ref: str) -> dict[Path, list[Finding]]:
    """Per changed chart: a finding when its version at the merge base of REF and HEAD is not lower than now."""
    from chartgen.verify.changes import changes_since, repository
    from chartgen.verify.git_revision import read_at

    out: dict[Path, list[Finding]] = {}
    bases: dict[Path, str] = {}
    for chart in charts:
        try:
            repo = repository(chart.resolve())
            if repo not in bases:
                bases[repo] = changes_since(ref, repo).base
        except ChartgenError as exc:  # a chart outside the paths' repositories (a symlink): git cannot tell
            out[chart] = [Finding(VERSION_NOT_BUMPED, Severity.INFO, f"the version increment since {ref} was not "
                                  f"checked: {exc}", None, str(chart / "Chart.yaml"), None,
                                  "keep the chart in the repository of the given paths to have it checked",
                                  "version")]
            continue
        old_text = read_at(repo, bases[repo], chart / "Chart.yaml")
        if old_text is None:
            continue  # a new chart: any version is new
        old, new = _chart_version(old_text), _chart_version((chart / "Chart.yaml").read_text(encoding="utf-8"))
        ko, kn = _key(old or ""), _key(new or "")
        if ko is None or kn is None or kn > ko:
            continue
        fix = (f"run `chartgen generate {chart} --bump patch` (or minor/major)" if (chart / "chartgen.yaml").is_file()
               else "raise `version` in Chart.yaml")
        out[chart] = [Finding(VERSION_NOT_BUMPED, Severity.ERROR, f"the chart changed since {ref} (merge base "
                              f"{bases[repo][:12]}) but its version did not grow: {old} -> {new}", None,
                              str(chart / "Chart.yaml"), None, fix, "version")]
    return out
