"""`chartgen new`: answers (flags, or cookiecutter prompts for the missing ones) -> chartgen.yaml text.

The scaffold is a real cookiecutter template (blueprints/scaffold) using Helm-safe delimiters. Prompts for missing
answers use cookiecutter's prompt functions; once every answer is known the template's one file is rendered in
memory with Jinja, the way cookiecutter renders it (the template's `_jinja2_env_vars`, StrictUndefined, kept
trailing newline, cookiecutter's `jsonify` filter): importing cookiecutter (requests, urllib3, arrow) and its
temporary project folder cost more than the rest of `chartgen new --no-input` (bench/README.md, "Start-up"); a
test renders every blueprint with cookiecutter itself and compares. chartgen validates the spec, and only then is
anything written. The blueprint
choices come from the blueprint library (blueprints/service/*), never from a list in the template: what the
scaffold needs to know about a blueprint (does it deploy pods, is it an ExternalName, what its port is called) is
read from the blueprint's folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chartgen.core.errors import ChartgenError
from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.core.record import Record, record
from chartgen.spec.blueprints import Blueprint, BlueprintLibrary

QUESTIONS = ("name", "type", "image", "port", "target_port", "external_name", "istio")
NO_INPUT_DEFAULTS = {"port": "80", "istio": "no", "external_name": "db.example.com"}
_IMAGE = lazy_pattern(r"^(?P<repo>[^@]+?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
                    r"(?:@(?P<digest>sha256:[a-f0-9]{64}))?$")


@record
class ImageRef(Record):
    """An image reference split into repository, tag and digest."""

    repository: str
    tag: str | None
    digest: str | None


def parse_image(text: str) -> ImageRef:
    """Split `registry:port/repo:tag@digest` into its parts (a colon before the last slash is a port)."""
    m = _IMAGE.match(text.strip())
    if not m or not m.group("repo") or "/" in (m.group("tag") or ""):
        raise ChartgenError("--image", "image", f"{text!r} is not an image reference like ghcr.io/acme/app:1.2.3")
    return ImageRef(m.group("repo"), m.group("tag"), m.group("digest"))


def template_dir(library: BlueprintLibrary | None = None) -> Path:
    return (library or BlueprintLibrary.default()).root / "scaffold"


def blueprint_for(answer: str, library: BlueprintLibrary | None = None) -> Blueprint:
    """The blueprint an answer names; one line listing the choices when it names none."""
    library = library or BlueprintLibrary.default()
    if answer not in library.blueprint_names():
        raise ChartgenError("chartgen new", "type", f"{answer!r} is not a blueprint; allowed: "
                                                     f"{', '.join(library.choices())}")
    return library.service_blueprint(answer)


def deploys_pods(answer: str | None, library: BlueprintLibrary | None = None) -> bool:
    """True unless the answer names a blueprint without a workload (an unknown name is reported later)."""
    library = library or BlueprintLibrary.default()
    return answer not in library.blueprint_names() or library.service_blueprint(answer).has_workload


def fill_no_input(answers: dict[str, str | None], library: BlueprintLibrary | None = None) -> dict[str, str | None]:
    """--no-input: the defaults for what the flags left out; name (and image for pods) stay required."""
    library = library or BlueprintLibrary.default()
    out = dict(answers)
    out["type"] = out["type"] or library.choices()[0]
    for key, default in NO_INPUT_DEFAULTS.items():
        out[key] = out[key] if out[key] is not None else default
    out["target_port"] = out["target_port"] or out["port"]
    pods = deploys_pods(out["type"], library)
    missing = [k for k in ("name", "image") if out[k] is None and (k == "name" or pods)]
    if missing:
        raise ChartgenError("chartgen new", missing[0], "is required with --no-input")
    if out["image"] is None:  # no workload: the scaffold writes no image
        out["image"] = "none:0"
    return out


def ask_missing(answers: dict[str, str | None], library: BlueprintLibrary | None = None) -> dict[str, str]:
    """Prompt (with cookiecutter's prompt functions) for every answer that is None."""
    library = library or BlueprintLibrary.default()
    if answers.get("type") is not None:
        blueprint_for(str(answers["type"]), library)  # an unknown --type fails before any prompt
    defaults = json.loads((template_dir(library) / "cookiecutter.json").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for key in QUESTIONS:
        value = answers.get(key)
        out[key] = str(value) if value is not None else _ask(key, out, defaults, library)
    return out


def _ask(key: str, out: dict[str, str], defaults: dict[str, Any], library: BlueprintLibrary) -> str:
    from cookiecutter.prompt import read_user_choice, read_user_variable, read_user_yes_no

    bp = library.service_blueprint(out["type"]) if out.get("type") in library.blueprint_names() else None
    if key == "type":
        return str(read_user_choice("type", library.choices(), prefix=""))
    if key == "istio":
        return "yes" if read_user_yes_no("istio (add Istio traffic management)", False) else "no"
    if bp is not None and key == "external_name" and bp.service_type != "ExternalName":
        return str(defaults[key])
    if bp is not None and not bp.has_workload and key in ("image", "target_port"):
        # no workload: the scaffold leaves the image out, and the port has no target
        return str(defaults["image"]) if key == "image" else out.get("port", str(defaults["port"]))
    return str(read_user_variable(key, defaults[key]))


def _port(answer: str, field: str) -> int:
    if not answer.strip().isdigit() or not 1 <= int(answer) <= 65535:
        raise ChartgenError("chartgen new", field, f"{answer!r} is not a port; allowed: 1-65535")
    return int(answer)


def render_spec(answers: dict[str, str], library: BlueprintLibrary | None = None) -> str:
    """Render chartgen.yaml from the scaffold template (no prompts: every answer is known here)."""
    library = library or BlueprintLibrary.default()
    return render_template(template_dir(library), scaffold_context(answers, library))


def scaffold_context(answers: dict[str, str], library: BlueprintLibrary) -> dict[str, str]:
    """The cookiecutter context for complete answers (checked: blueprint, ports, image)."""
    blueprint = blueprint_for(answers["type"], library)
    _port(answers["port"], "port")
    _port(answers["target_port"], "target-port")
    image = parse_image(answers["image"])
    context = dict(answers)
    context.update(
        _image_repository=image.repository,
        _image_tag=image.tag or "",
        _image_digest=image.digest or "",
        _port_name=blueprint.port_name,
        _deploys_pods="yes" if blueprint.has_workload else "",
        _external_name_service="yes" if blueprint.service_type == "ExternalName" else "",
    )
    return context


def render_template(template: Path, context: dict[str, str]) -> str:
    """The template's chartgen.yaml rendered as cookiecutter renders it with `extra_context=context`."""
    import jinja2

    from chartgen.generate.engine import bytecode_cache

    config = json.loads((template / "cookiecutter.json").read_text(encoding="utf-8"))
    syntax = {"undefined": jinja2.StrictUndefined, "keep_trailing_newline": True, "autoescape": False,
              **config.get("_jinja2_env_vars", {})}
    project = next(p for p in sorted(template.iterdir()) if p.is_dir() and "cookiecutter." in p.name)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(project)), bytecode_cache=bytecode_cache(syntax),
                             **syntax)
    env.filters["jsonify"] = _jsonify
    values = {k: v for k, v in config.items() if not k.startswith("_")}
    values.update({k: v for k, v in config.items() if k.startswith("_") and not k.startswith("_jinja2")})
    values.update(context)
    return env.get_template("chartgen.yaml").render(cookiecutter=values)


def _jsonify(obj: Any, indent: int = 4) -> str:
    """cookiecutter's `jsonify` filter (cookiecutter.extensions.JsonifyExtension)."""
    return json.dumps(obj, sort_keys=True, indent=indent)
