"""why_not_reused: each condition under which verify's own rendering of a chart may differ from the one `generate`
draws its README pictures from (chartgen/verify/readme_pictures.py) stops the reuse, and nothing else does.

No helm runs here: the answer is read from the chart folder, the generated tree and verify's command lines."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support import CHARTS

from chartgen.generate.engine import render_tree
from chartgen.generate.filetree import FileTree
from chartgen.helm.runner import find_helm
from chartgen.verify.chart import VerifyOptions, selected_envs, template_call
from chartgen.verify.readme_pictures import why_not_reused
from chartgen.verify.target import ChartTarget

CHART = "external-postgres"


def answer(chart: Path, change_tree: Callable[[FileTree], None] = lambda _: None,
           opts: VerifyOptions = VerifyOptions()) -> str | None:
    """why_not_reused for the chart folder as it is, and the generated tree after `change_tree` (the same change
    written to the folder by the caller, so that only the condition under test differs)."""
    target = ChartTarget.load(chart, opts.kube_version)
    assert target.spec is not None
    tree = render_tree(target.spec)
    change_tree(tree)
    calls = {e.name: template_call(target, e, opts) for e in selected_envs(target, opts)}
    return why_not_reused(target, target.spec, tree, find_helm(None), calls)


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    return shutil.copytree(CHARTS / CHART, tmp_path / CHART)


def both(chart: Path, rel: str, text: str) -> Callable[[FileTree], None]:
    """Write `text` to the folder's `rel`, and return the same change for the tree."""
    (chart / rel).parent.mkdir(parents=True, exist_ok=True)
    (chart / rel).write_text(text)
    return lambda tree: tree.add(rel, text)


def test_a_generated_chart_reuses_and_chartgens_own_files_do_not_matter(chart: Path) -> None:
    (chart / ".chartgen" / "extra").write_text("x")
    (chart / "tests" / "__snapshots__").mkdir(parents=True)
    (chart / "tests" / "__snapshots__" / "dev.yaml").write_text("x")
    (chart / "README.md").write_text("anything: the pictures come from the copy's README, which has the marker\n")
    assert answer(chart) is None
    opts = VerifyOptions(kube_version=ChartTarget.load(chart).kube_version, namespace=None, release=CHART)
    assert answer(chart, opts=opts) is None  # the options as the spec says them are no difference


@pytest.mark.parametrize(("change", "reason"), [
    (lambda c: (c / "templates" / "extra.yaml").write_text("x: 1\n"), "templates/extra.yaml is no file of the"),
    (lambda c: (c / "notes.md").write_text("x"), "notes.md is no file of the generated chart"),
    (lambda c: (c / "charts").mkdir() or (c / "charts" / "sub.tgz").write_bytes(b"x"), "charts/sub.tgz"),
    (lambda c: (c / "values.yaml").write_text((c / "values.yaml").read_text() + "\n"), "values.yaml differs"),
    (lambda c: (c / "templates" / "NOTES.txt").unlink(), "templates/NOTES.txt is missing"),
    (lambda c: (c / "docs").symlink_to(c / "templates"), "docs is a symlinked folder"),
    (lambda c: (c / "values-dev.yaml").unlink() or os.mkfifo(c / "values-dev.yaml"), "not a regular file"),
    (lambda c: (c / "README.md").write_text("x" * (1 << 20) + "x"), "README.md is large"),
])
def test_other_files_in_the_folder(chart: Path, change: Callable[[Path], object], reason: str) -> None:
    change(chart)
    assert reason in (answer(chart) or "")


def test_chartgens_own_files_count_only_when_the_helmignore_lists_them(chart: Path) -> None:
    text = (chart / ".helmignore").read_text()
    assert ".chartgen/\n" in text
    assert "no file of the generated chart" in (answer(chart, both(chart, ".helmignore",
                                                                text.replace(".chartgen/\n", ""))) or "")
    assert answer(chart, both(chart, ".helmignore", text + "!chartgen.yaml\n")) == ".helmignore has a ! rule"


@pytest.mark.parametrize(("rel", "text", "reason"), [
    ("templates/readme.yaml", '{{ .Files.Get "README.md" }}\n', "templates/readme.yaml reads .Files"),
    ("templates/readme.yaml", '{{ (index $ "Files").Get "README.md" }}\n', "reads .Files"),
    ("values-dev.yaml", 'x: "{{ .Files.Get \\"README.md\\" }}"\n', "values-dev.yaml holds a template action"),
    ("values.yaml", 'x: "\\x7b\\x7b .Files.Get \\"README.md\\" }}"\n', "values.yaml holds a template action"),
    ("values.yaml", 'x: "{\\\n  { .Release.Name }}"\n', "values.yaml holds a template action"),
    ("values.yaml", "x: !!binary e3sgLlJlbGVhc2UuTmFtZSB9fQ==\n", "values.yaml holds a template action"),
    ("Chart.yaml", "apiVersion: v2\nname: external-postgres\nversion: 0.1.0\ndescription: '{{ .Files }}'\n",
     "Chart.yaml holds a template action"),
])
def test_what_could_read_the_readme(chart: Path, rel: str, text: str, reason: str) -> None:
    assert reason in (answer(chart, both(chart, rel, text)) or "")


def test_files_passed_on_and_harmless_escapes_still_reuse(chart: Path) -> None:
    helper = '{{- $ctx := dict "Values" .Values "Files" $.Files }}\n'
    assert answer(chart, both(chart, "templates/_ctx.tpl", helper)) is None
    (chart / "templates" / "_ctx.tpl").unlink()
    assert answer(chart, both(chart, "values-dev.yaml", 'x: "a\\tb { {"\n')) is None


@pytest.mark.parametrize(("opts", "reason"), [
    (VerifyOptions(release="other"), "environment dev"),
    (VerifyOptions(namespace="elsewhere"), "environment dev"),
    (VerifyOptions(kube_version="1.30.0"), "environment dev"),
    (VerifyOptions(api_versions=("example.com/v1",)), "environment dev"),
    (VerifyOptions(envs=("prod",)), "environment dev"),
    (VerifyOptions(envs=("dev",)), "environment staging"),
])
def test_verify_options_that_render_otherwise(chart: Path, opts: VerifyOptions, reason: str) -> None:
    assert reason in (answer(chart, opts=opts) or "")


def test_another_helm(chart: Path) -> None:
    from chartgen.helm.runner import Helm

    target = ChartTarget.load(chart)
    assert target.spec is not None
    calls = {e.name: template_call(target, e, VerifyOptions()) for e in target.environments}
    other = Helm(str(Path(find_helm(None).path).resolve()))  # the same file, by another path
    assert other.path != find_helm(None).path
    assert why_not_reused(target, target.spec, render_tree(target.spec), other, calls) == \
        "verify runs another helm binary"


def test_dependencies(chart: Path) -> None:
    text = (chart / "Chart.yaml").read_text() + "dependencies:\n  - {name: sub, version: 0.1.0}\n"
    assert "dependencies" in (answer(chart, both(chart, "Chart.yaml", text)) or "")
