"""A file chartgen no longer generates is removed only if the user never edited it (the writer's removal path).

Through the CLI, as a user meets it: generate a chart with Istio on, turn Istio off in chartgen.yaml (its templates
are no longer generated) and generate again. A hand-edited one must survive, byte for byte, and the run must name
it; an untouched one is removed (so the first test cannot pass by a writer that never removes anything).
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from chartgen.cli import app

runner = CliRunner()
ISTIO_TEMPLATE = Path("templates") / "gateway.yaml"


def _chart(tmp_path: Path) -> Path:
    res = runner.invoke(app, ["new", "shop", "--type", "clusterip", "--image", "ghcr.io/acme/shop:1.0.0", "--port",
                              "80", "--target-port", "8080", "--istio", "--no-input", "--output", str(tmp_path)])
    assert res.exit_code == 0, res.output
    chart = tmp_path / "shop"
    assert (chart / ISTIO_TEMPLATE).is_file(), "the Istio chart renders a Gateway template"
    return chart


def _turn_istio_off(chart: Path) -> None:
    spec = chart / "chartgen.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "istio:\n  enabled: true\n" in text
    spec.write_text(text.replace("istio:\n  enabled: true\n", "istio:\n  enabled: false\n"), encoding="utf-8")


def test_an_edited_file_that_is_no_longer_generated_survives_and_is_reported(tmp_path):
    chart = _chart(tmp_path)
    edited = chart / ISTIO_TEMPLATE
    content = edited.read_text(encoding="utf-8") + "# kept by hand: our team's extra server\n"
    edited.write_text(content, encoding="utf-8")
    _turn_istio_off(chart)

    res = runner.invoke(app, ["generate", str(chart)])

    assert edited.is_file(), "chartgen deleted a file the user edited"
    assert edited.read_text(encoding="utf-8") == content
    assert str(ISTIO_TEMPLATE) in res.output, f"the run does not report the kept file:\n{res.output}"
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception


def test_an_untouched_file_that_is_no_longer_generated_is_removed(tmp_path):
    chart = _chart(tmp_path)
    _turn_istio_off(chart)

    res = runner.invoke(app, ["generate", str(chart)])

    assert res.exit_code == 0, res.output
    assert not (chart / ISTIO_TEMPLATE).exists()
    assert not (chart / "templates" / "virtualservice.yaml").exists()
