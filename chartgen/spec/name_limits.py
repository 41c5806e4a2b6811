"""Names Helm can install: the release (named after the chart) and every name chartgen derives from it.

Helm refuses release names longer than 53 characters (helm/pkg/chartutil: releaseNameMaxLen), and chartgen
appends suffixes to the full name (`-test-connection` for the helm test pod, `-client`, `-gateway`, `-routing`,
`-<version>` for each version's Deployment); every derived name must stay a 63-character DNS label, or the names
of two versions would collide once truncated.
"""

from __future__ import annotations

from collections.abc import Iterable

HELM_RELEASE_MAX = 53
DNS_LABEL_MAX = 63
SUFFIXES = ("-test-connection", "-gateway", "-routing", "-client")
LONGEST_SUFFIX = max(SUFFIXES, key=len)
NAME_MAX = min(HELM_RELEASE_MAX, DNS_LABEL_MAX - len(LONGEST_SUFFIX))


def name_problem(name: str) -> str | None:
    """Why a chart name cannot be installed as a release named after it (None when it can)."""
    if len(name) > NAME_MAX:
        return (f"{name!r} is {len(name)} characters; allowed: at most {NAME_MAX} (Helm's release-name limit is "
                f"{HELM_RELEASE_MAX} and chartgen appends up to {len(LONGEST_SUFFIX)} characters, "
                f"{LONGEST_SUFFIX!r})")
    return None


def version_problems(name: str, versions: Iterable[str]) -> list[tuple[str, str]]:
    """(version, message) for each version whose Deployment name <name>-<version> exceeds a DNS label."""
    out = []
    for version in versions:
        derived = f"{name}-{version}"
        if len(derived) > DNS_LABEL_MAX:
            out.append((version, f"Deployment name {derived!r} is {len(derived)} characters; allowed: at most "
                                 f"{DNS_LABEL_MAX} (shorten the version name to {DNS_LABEL_MAX - len(name) - 1} "
                                 f"characters or the chart name)"))
    return out
