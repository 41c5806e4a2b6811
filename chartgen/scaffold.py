"""`chartgen new`: answers (flags, or cookiecutter prompts for the missing ones) -> chartgen.yaml text.

The scaffold is a real cookiecutter template (blueprints/scaffold) using Helm-safe delimiters; cookiecutter
renders the spec into a temporary folder, chartgen validates it, and only then is anything written.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chartgen.blueprints import default_root
from chartgen.errors import ChartgenError

QUESTIONS = ("name", "type", "image", "port", "target_port", "external_name", "istio")
_IMAGE = re.compile(r"^(?P<repo>[^@]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[a-f0-9]{64}))?$")


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None
    digest: str | None


def parse_image(text: str) -> ImageRef:
    """Split `registry:port/repo:tag@digest` into its parts (a colon before the last slash is a port)."""
    m = _IMAGE.match(text.strip())
    if not m or not m.group("repo") or "/" in (m.group("tag") or ""):
        raise ChartgenError("--image", "image", f"{text!r} is not an image reference like ghcr.io/acme/app:1.2.3")
    return ImageRef(m.group("repo"), m.group("tag"), m.group("digest"))


def template_dir() -> Path:
    return default_root() / "scaffold"


def ask_missing(answers: dict[str, str | None]) -> dict[str, str]:
    """Prompt (with cookiecutter's prompt functions) for every answer that is None."""
    from cookiecutter.prompt import read_user_choice, read_user_variable, read_user_yes_no

    defaults = json.loads((template_dir() / "cookiecutter.json").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for key in QUESTIONS:
        value = answers.get(key)
        if value is not None:
            out[key] = str(value)
            continue
        if key == "external_name" and out.get("type") != "externalname":
            out[key] = defaults[key]
        elif key == "image" and out.get("type") == "externalname":
            out[key] = defaults[key]  # an ExternalName chart deploys no image; the scaffold leaves it out
        elif key == "target_port" and out.get("type") == "externalname":
            out[key] = out.get("port", defaults["port"])
        elif key == "type":
            out[key] = read_user_choice("type", defaults["type"], prefix="")
        elif key == "istio":
            out[key] = "yes" if read_user_yes_no("istio (add Istio traffic management)", False) else "no"
        else:
            out[key] = str(read_user_variable(key, defaults[key]))
    return out


def _port(answer: str, field: str) -> int:
    if not answer.strip().isdigit() or not 1 <= int(answer) <= 65535:
        raise ChartgenError("chartgen new", field, f"{answer!r} is not a port; allowed: 1-65535")
    return int(answer)


def render_spec(answers: dict[str, str]) -> str:
    """Render chartgen.yaml with cookiecutter (no prompts: every answer is known here)."""
    from cookiecutter.main import cookiecutter

    _port(answers["port"], "port")
    _port(answers["target_port"], "target-port")
    image = parse_image(answers["image"])
    context = dict(answers)
    context.update(
        _image_repository=image.repository,
        _image_tag=image.tag or "",
        _image_digest=image.digest or "",
        _port_name="tcp" if answers["type"] in ("externalname", "headless") else "http",
    )
    with tempfile.TemporaryDirectory(prefix="chartgen-new-") as tmp:
        out = cookiecutter(str(template_dir()), no_input=True, extra_context=context, output_dir=tmp,
                           default_config=True, accept_hooks=False)
        return (Path(out) / "chartgen.yaml").read_text(encoding="utf-8")
