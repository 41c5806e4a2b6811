"""`chartgen generate` skips a chart whose spec, blueprints and chartgen are unchanged since it last ran."""

from __future__ import annotations

import shutil

from support import CHARTS
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.generate import uptodate

runner = CliRunner()


def test_generate_skips_unchanged_work_and_redoes_it_when_anything_changed(tmp_path, monkeypatch):
    chart = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", chart)
    assert not uptodate.is_up_to_date(chart)  # never generated through this cache
    first = runner.invoke(app, ["generate", str(chart)])
    assert first.exit_code == 0 and "created" in first.stdout
    again = runner.invoke(app, ["generate", str(chart)])
    assert again.exit_code == 0 and again.stdout == f"{chart}: up to date (unchanged since the last generate)\n"

    def generate_must_not_run(*_a, **_k):
        raise AssertionError("the engine ran for an unchanged chart")

    with monkeypatch.context() as patched:
        patched.setattr("chartgen.generate.engine.generate", generate_must_not_run)
        assert runner.invoke(app, ["generate", str(chart), "--check"]).exit_code == 0

    # a hand edit of a generated file: the work is done again, and the writer keeps the edit (three-way merge)
    (chart / "README.md").write_text("mine\n")
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0 and "up to date" not in res.output, res.output
    assert (chart / "README.md").read_text() == "mine\n"
    (chart / "README.md").unlink()
    assert runner.invoke(app, ["generate", str(chart)]).exit_code == 0  # kept deleted: the user's choice
    assert not (chart / "README.md").exists()
    assert runner.invoke(app, ["generate", str(chart), "--restore", "README.md"]).exit_code == 0
    assert (chart / "README.md").read_text() != "mine\n"

    # a spec edit changes the key
    assert uptodate.is_up_to_date(chart)
    spec = chart / "chartgen.yaml"
    spec.write_text(spec.read_text().replace('tag: "3.2.0"', 'tag: "3.2.1"', 1))
    assert not uptodate.is_up_to_date(chart)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0 and "updated" in res.stdout
