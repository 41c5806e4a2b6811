"""`chartgen new` renders the scaffold (a real cookiecutter template) without importing cookiecutter when every
answer is known; the text must be exactly what cookiecutter itself renders from the same template."""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from chartgen.generate import scaffold
from chartgen.spec.blueprints import BlueprintLibrary
from chartgen.spec.loader import parse_spec_text

LIBRARY = BlueprintLibrary.default()
IMAGES = ("ghcr.io/acme/app:1.2.3", "registry.local:5000/team/app:v1",
          "nginx@sha256:" + "a" * 64, "ghcr.io/acme/app:2.0.0@sha256:" + "b" * 64)


def with_cookiecutter(answers: dict[str, str], out: Path) -> str:
    context = scaffold.scaffold_context(answers, LIBRARY)
    project = cookiecutter(str(scaffold.template_dir(LIBRARY)), no_input=True, extra_context=context,
                           output_dir=str(out), default_config=True, accept_hooks=False)
    return (Path(project) / "chartgen.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("blueprint", LIBRARY.choices())
@pytest.mark.parametrize("istio", ["yes", "no"])
def test_scaffold_text_is_what_cookiecutter_renders(tmp_path, blueprint, istio):
    for n, image in enumerate(IMAGES):
        answers = {"name": f"app{n}", "type": blueprint, "image": image, "port": "8080", "target_port": "9090",
                   "external_name": "db.example.com", "istio": istio}
        ours = scaffold.render_spec(answers, LIBRARY)
        assert ours == with_cookiecutter(answers, tmp_path / str(n)), (blueprint, istio, image)
        if istio == "no":  # (Istio on an externalname/headless blueprint is refused by the spec, as it should be)
            spec = parse_spec_text(ours, "chartgen.yaml", LIBRARY)
            assert spec.blueprint.name == blueprint and spec.name == f"app{n}"


def test_new_without_prompts_does_not_import_cookiecutter(tmp_path):
    import subprocess
    import sys

    args = ["new", "x", "--image", "nginx:1.27", "--no-input", "-o", str(tmp_path)]
    code = ("import sys; from typer.testing import CliRunner; from chartgen.cli import app; "
            f"r = CliRunner().invoke(app, {args!r});"
            " assert r.exit_code == 0, r.output; print(sorted(m for m in sys.modules if m.startswith('cookiecutter')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert (tmp_path / "x" / "chartgen.yaml").is_file()
