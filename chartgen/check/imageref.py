"""Container image references: the grammar of github.com/distribution/reference, which the kubelet (and every
container runtime) parses before pulling. A reference that does not parse fails with InvalidImageName."""

from __future__ import annotations

import re

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"
REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
NAME_TOTAL_LENGTH_MAX = 255


def image_error(image: str) -> str | None:
    """Why an image reference does not parse, or None when it does."""
    if not image:
        return "is empty"
    if image != image.strip():
        return "has leading or trailing whitespace"
    m = REFERENCE.match(image)
    if m is None:
        if re.search(r"[A-Z]", image.split("@")[0].rsplit(":", 1)[0].split("/", 1)[-1]):
            return "is not a valid image reference (repository names must be lowercase)"
        if image.endswith((":", "@")):
            return "is not a valid image reference (empty tag or digest: a template value rendered empty?)"
        return "is not a valid image reference ([registry/]repository[:tag][@digest])"
    if len(m.group(1)) > NAME_TOTAL_LENGTH_MAX:
        return f"has a repository name longer than {NAME_TOTAL_LENGTH_MAX} characters"
    return None
