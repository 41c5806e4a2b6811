"""verify draws a generated chart's README traffic pictures (readme.trafficGraph) from the `helm template` it runs
per environment anyway, when that is provably the rendering `generate` draws them from; otherwise (another helm,
release, namespace, kube version, API versions, an extra file in the chart, dependencies, a value that `tpl` could
run) it renders the generated chart again in a temporary folder, as before. Either way the verdict is the same.

helm runs through a logging wrapper ($CHARTGEN_HELM), so the tests count the real helm processes: `lint` and
`template` of the chart itself, and `template` of a temporary copy (the pictures' own rendering)."""

from __future__ import annotations

import json
import shlex
import shutil
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support import CHARTS, helm_binary
from test_verify_dependencies import umbrella
from typer.testing import CliRunner

from chartgen.cli import app

runner = CliRunner()
CHART = "external-postgres"  # three environments, the smallest generated chart
ENVS = 3
PICTURE_COPY = "chartgen-graph-"  # the prefix of add_pictures' temporary folder


@pytest.fixture
def helm_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$CHARTGEN_HELM is a wrapper of helm 4.1.4 that logs each command line (verify and the pictures use it)."""
    log = tmp_path / "helm.log"
    script = tmp_path / "bin" / "helm"
    script.parent.mkdir()
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {shlex.quote(str(log))}\n'
                      f'exec {shlex.quote(helm_binary("4.1.4").path)} "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("CHARTGEN_HELM", str(script))
    return log


def helm_calls(log: Path) -> Counter[str]:
    """lint / template (of the chart) / picture (a template of the temporary copy) / other, counted."""
    counts: Counter[str] = Counter()
    for line in log.read_text().splitlines() if log.is_file() else []:
        words = line.split()
        kind = words[0] if words[0] in ("lint", "template") else "other"
        counts["picture" if kind == "template" and PICTURE_COPY in words[2] else kind] += 1
    return counts


def verify(*args: object) -> tuple[int, dict[str, Any]]:
    res = runner.invoke(app, ["verify", *map(str, args), "--format", "json", "--no-cache"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, json.loads(res.stdout)


def drifted(report: dict[str, Any]) -> list[str]:
    """The files the drift check reports, chart-relative."""
    return sorted(Path(f["file"]).name for c in report["charts"] for f in c["findings"] if f["rule"] == "VERIFY-DRIFT")


def stale_picture(chart: Path) -> None:
    """README.md carries a picture of an older rendering, as chartgen wrote it (its merge base says the same), so
    `generate` would rewrite it: a drift."""
    for readme in (chart / "README.md", chart / ".chartgen" / "base" / "README.md"):
        text = readme.read_text()
        assert "5432→5432" in text
        readme.write_text(text.replace("5432→5432", "5433→5432"))


def without_timing(report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "results": [{k: v for k, v in r.items() if k != "seconds"} for r in report["results"]]}


# --- the reused rendering --------------------------------------------------------------------------------------


def test_generated_charts_are_verified_with_one_lint_per_chart_and_one_template_per_environment(
        tmp_path: Path, helm_log: Path) -> None:
    """Every example draws its pictures from verify's own renderings, and they equal generate's README (the
    committed one): no README drift, no third helm process per environment; and each example's environments are
    linted by one process (chartgen.helm.lint_batch)."""
    from chartgen.spec.loader import load_spec

    shutil.copytree(CHARTS, tmp_path / "charts")
    code, report = verify(tmp_path / "charts")
    assert code == 0, drifted(report)
    specs = sorted((tmp_path / "charts").glob("*/chartgen.yaml"))
    envs = sum(len(load_spec(c).environments) for c in specs)
    assert envs >= 20 and len(specs) >= 9
    calls = helm_calls(helm_log)
    assert (calls["lint"], calls["template"], calls["picture"]) == (len(specs), envs, 0)


def test_a_stale_picture_is_found_in_the_reused_rendering(tmp_path: Path, helm_log: Path) -> None:
    chart = shutil.copytree(CHARTS / CHART, tmp_path / CHART)
    stale_picture(chart)
    code, report = verify(chart)
    assert code == 1 and drifted(report) == ["README.md"]
    assert helm_calls(helm_log)["picture"] == 0 and helm_calls(helm_log)["template"] == ENVS


@pytest.mark.parametrize("stale", [False, True], ids=["current", "stale"])
def test_the_reused_rendering_gives_the_verdict_of_the_copy(tmp_path: Path, helm_log: Path,
                                                            monkeypatch: pytest.MonkeyPatch, stale: bool) -> None:
    """The whole report is the same whether the pictures come from verify's renderings or from the copy's."""
    import chartgen.verify.readme_pictures as readme_pictures

    chart = shutil.copytree(CHARTS / CHART, tmp_path / CHART)
    if stale:
        stale_picture(chart)
    reused = verify(chart)
    assert helm_calls(helm_log)["picture"] == 0
    monkeypatch.setattr(readme_pictures, "why_not_reused", lambda *_: "forced")
    copied = verify(chart)
    assert helm_calls(helm_log)["picture"] == ENVS
    assert reused[0] == copied[0] == (1 if stale else 0)
    assert without_timing(reused[1]) == without_timing(copied[1])


@pytest.mark.parametrize("stale", [False, True], ids=["current", "stale"])
def test_each_picture_is_drawn_once_as_its_environment_is_verified(tmp_path: Path, helm_log: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   stale: bool) -> None:
    """The collecting thread draws an environment's picture as soon as that environment is verified
    (chart.draw_as_rendered), while the others still render, rather than all of them after the last one;
    finish_chart_level then draws none again, and a stale picture is still found."""
    import chartgen.generate.traffic_pictures as traffic_pictures

    drawn: list[str] = []  # the environment of each picture drawn, "finish" for one drawn outside draw_one
    real_picture, real_draw_one = traffic_pictures.picture, traffic_pictures.draw_one
    inside = threading.local()

    def draw_one(tree: Any, spec: Any, env: str, rendering: str) -> str | None:
        inside.on = True
        try:
            return real_draw_one(tree, spec, env, rendering)
        finally:
            inside.on = False

    def picture(spec: Any, r: Any, rendering: str) -> str:
        drawn.append(r.env if getattr(inside, "on", False) else "finish")
        return real_picture(spec, r, rendering)

    monkeypatch.setattr(traffic_pictures, "draw_one", draw_one)
    monkeypatch.setattr(traffic_pictures, "picture", picture)
    chart = shutil.copytree(CHARTS / CHART, tmp_path / CHART)
    if stale:
        stale_picture(chart)
    code, report = verify(chart)
    assert code == (1 if stale else 0) and drifted(report) == (["README.md"] if stale else [])
    assert sorted(drawn) == ["dev", "prod", "staging"]  # each once, none by finish


# --- the fallbacks: the copy is rendered as before, and the verdict is today's ----------------------------------

EXTRA_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: hand-written
spec:
  selector: {app: x}
  ports: [{name: http, port: 80}]
"""


def _extra_template(chart: Path) -> list[str]:
    # a hand-written template draws another Service in verify's rendering, not in generate's pictures
    (chart / "templates" / "hand-written.yaml").write_text(EXTRA_SERVICE)
    return []


def _template_value(chart: Path) -> list[str]:
    # a value that tpl renders: the template could read .Files (the README differs between the copy and the chart)
    spec = chart / "chartgen.yaml"
    spec.write_text(spec.read_text() + 'extraManifests:\n  - "apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n'
                    '  name: {{ .Release.Name }}-extra\\n"\n')
    assert runner.invoke(app, ["generate", str(chart)]).exit_code == 0
    return []


FALLBACKS = {
    "extra-template": _extra_template,
    "tpl-value": _template_value,
    "release": lambda chart: ["--release", "other"],  # other names: another picture
    "namespace": lambda chart: ["--namespace", "elsewhere"],
    "kube-version": lambda chart: ["--kube-version", "1.30.0"],
    "api-versions": lambda chart: ["--api-versions", "example.com/v1"],
    "one-env": lambda chart: ["--env", "dev"],  # the other environments are not rendered by verify
}


@pytest.mark.parametrize("stale", [False, True], ids=["current", "stale"])
@pytest.mark.parametrize("case", sorted(FALLBACKS))
def test_the_copy_is_rendered_when_verify_renders_otherwise(tmp_path: Path, helm_log: Path, case: str,
                                                           stale: bool) -> None:
    chart = shutil.copytree(CHARTS / CHART, tmp_path / CHART)
    args = FALLBACKS[case](chart)
    if stale:
        stale_picture(chart)
    helm_log.unlink(missing_ok=True)
    code, report = verify(chart, *args)
    assert helm_calls(helm_log)["picture"] == ENVS
    assert drifted(report) == (["README.md"] if stale else []), report["charts"]
    if not stale and case in ("extra-template", "tpl-value", "one-env", "api-versions"):
        assert code == 0, report


def test_another_helm_binary_renders_the_copy(tmp_path: Path, helm_log: Path) -> None:
    chart = shutil.copytree(CHARTS / CHART, tmp_path / CHART)
    code, report = verify(chart, "--helm", helm_binary("3.17.2").path)  # the pictures use $CHARTGEN_HELM
    assert code == 0 and not drifted(report)
    assert helm_calls(helm_log) == Counter(picture=ENVS)


def test_a_chart_with_dependencies_renders_the_copy_without_them(tmp_path: Path, helm_log: Path) -> None:
    chart = umbrella(tmp_path)
    helm_log.unlink(missing_ok=True)
    code, report = verify(chart)
    assert code == 0 and not drifted(report), report["charts"]
    assert helm_calls(helm_log)["picture"] == helm_calls(helm_log)["template"] > 0
    assert "The pictures leave out the subcharts (webapp)" in (chart / "README.md").read_text()


@pytest.mark.parametrize("chart", sorted(p.parent.name for p in CHARTS.glob("*/chartgen.yaml")))
def test_the_pictures_of_verifys_renderings_are_generates(chart: str) -> None:
    """For each example: the README drawn from verify's renderings of the chart folder is generate's README (drawn
    from its temporary copy), and nothing stood in the way of drawing it so."""
    from chartgen.generate.engine import generate, render_tree
    from chartgen.generate.traffic_pictures import draw, picture_helm
    from chartgen.verify.chart import VerifyOptions, template_call
    from chartgen.verify.readme_pictures import why_not_reused
    from chartgen.verify.target import ChartTarget

    target = ChartTarget.load(CHARTS / chart)
    assert target.spec is not None and target.spec.defaults.value("readme.trafficGraph")
    helm = picture_helm()
    calls = {e.name: template_call(target, e, VerifyOptions()) for e in target.environments}
    tree = render_tree(target.spec)
    assert why_not_reused(target, target.spec, tree, helm, calls) is None
    rendered = {env: call.run(helm, target.path) for env, call in calls.items()}
    assert all(r.ok for r in rendered.values())
    draw(tree, target.spec, {env: r.stdout for env, r in rendered.items()})
    assert "```mermaid" in tree["README.md"]
    assert tree["README.md"] == generate(target.spec)["README.md"]


def test_verify_reads_a_charts_spec_once(tmp_path: Path, helm_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import chartgen.spec.loader as loader

    chart = shutil.copytree(CHARTS / CHART, tmp_path / CHART)
    read: list[Path] = []
    real = loader.load_spec

    def counted(path: Path, *args: Any, **kwargs: Any) -> Any:
        read.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(loader, "load_spec", counted)
    assert verify(chart)[0] == 0
    assert read == [chart]
