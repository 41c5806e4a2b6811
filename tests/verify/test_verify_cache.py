"""The verify cache never returns a stale pass: change one input of a chart's verdict, and the next run is a miss.

Every test first shows that the unchanged chart is a hit (so the miss after the change is the change's doing),
then changes exactly one input and asserts by the report (its `cached` flag, and where the input decides it, the
verdict) that the result was computed again. `verify` and `check` give one verdict on one rendering.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import CHARTS, KUBE_VERSION, REPO, helm_binary
from test_verify_scale import plain_chart
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.core.cache import cache_dir

runner = CliRunner()
HELM4, HELM3 = "4.1.4", "3.17.2"

WIDGET = """\
apiVersion: example.com/v1
kind: Widget
metadata:
  name: {{ .Release.Name }}-widget
spec:
  size: 3
"""

WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: SIZE_TYPE}
"""


def widget_crd(folder: Path, size_type: str = "integer") -> Path:
    """A CRD folder whose Widget takes spec.size as `size_type` (the chart's Widget has size: 3)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "widget.yaml").write_text(WIDGET_CRD.replace("SIZE_TYPE", size_type))
    return folder


def widget_chart(root: Path, name: str = "w") -> Path:
    """A plain chart that also renders a custom resource (a Widget), checked against a CRD when one is given."""
    chart = plain_chart(root, name)
    (chart / "templates" / "widget.yaml").write_text(WIDGET)
    return chart


def verify(*args: object, helm: str | None = None) -> tuple[int, dict[str, Any]]:
    """Exit code and JSON report of `chartgen verify` (the report is {"output": text} when there is none)."""
    extra = [] if "--kube-version" in args else ["--kube-version", KUBE_VERSION]
    res = runner.invoke(app, ["verify", *map(str, args), "--helm", helm or helm_binary(HELM4).path, "--format",
                              "json", *extra])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output  # never a traceback
    assert res.exit_code in (0, 1, 2), res.output
    try:
        return res.exit_code, json.loads(res.stdout)
    except ValueError:
        return res.exit_code, {"output": res.output}


def cached(report: dict[str, Any]) -> list[bool]:
    return [c["cached"] for c in report["charts"]]


def miss_after(change: Callable[[], object], *args: object, helm: str | None = None) -> tuple[int, dict[str, Any]]:
    """Verify twice (the second run is a hit), apply the change, verify again: that run must not be cached."""
    report = verify(*args, helm=helm)[1]
    assert verify(*args, helm=helm)[1]["charts"] == [dict(c, cached=True) for c in report["charts"]]
    change()
    code, report = verify(*args, helm=helm)
    assert cached(report) == [False], report
    return code, report


def errors(report: dict[str, Any]) -> list[str]:
    return [f["rule"] for r in report["results"] for f in r["findings"] if f["severity"] == "error"]


# --- the chart's files, as helm reads them ----------------------------------------------------------------------


def test_a_subchart_reached_through_a_symlink(tmp_path):
    shared = plain_chart(tmp_path / "shared", "sub", envs=())
    chart = plain_chart(tmp_path / "repo", "app")
    (chart / "charts").mkdir()
    (chart / "charts" / "sub").symlink_to(shared)  # helm follows it: the subchart renders with the chart
    code, report = miss_after(lambda: (shared / "templates" / "configmap.yaml").write_text('{{ fail "broken" }}\n'),
                              chart)
    assert code == 1 and not report["results"][0]["template"]["ok"]


def test_a_crds_folder_reached_through_a_symlink(tmp_path):
    crds = widget_crd(tmp_path / "shared-crds")
    chart = widget_chart(tmp_path / "repo")
    (chart / "crds").symlink_to(crds)
    code, report = miss_after(lambda: widget_crd(crds, "string"), chart)
    assert code == 1 and set(errors(report)) == {"CG-CRD-001"}


def test_a_file_renamed_with_the_same_content(tmp_path):
    chart = plain_chart(tmp_path, "app")
    code, report = miss_after(lambda: (chart / "values-prod.yaml").rename(chart / "values-qa.yaml"), chart)
    assert code == 0 and [r["environment"] for r in report["results"]] == ["dev", "qa"]


def test_a_file_mode(tmp_path):
    # helm ignores the executable bit; the key still covers every permission bit (a miss is cheap, proving which
    # bits helm and chartgen never look at is not)
    chart = plain_chart(tmp_path, "app")
    code, _ = miss_after(lambda: (chart / "values-prod.yaml").chmod(0o755), chart)
    assert code == 0


def test_a_copied_chart_reports_its_own_path(tmp_path):
    original = widget_chart(tmp_path / "a")  # a Widget without its CRD: an info finding that names the template
    copy = tmp_path / "b" / "w"
    shutil.copytree(original, copy)
    code, _ = verify(original)
    assert code == 0
    code, report = verify(copy)
    assert code == 0 and cached(report) == [False]
    assert [c["chart"] for c in report["charts"]] == [str(copy)]
    assert {r["chart"] for r in report["results"]} == {str(copy)}
    files = {f["file"] for r in report["results"] for f in r["findings"]}
    assert files == {str(copy / "templates" / "widget.yaml")}
    assert cached(verify(original)[1]) == [True]  # each copy keeps its own entry: they do not evict each other


@pytest.mark.parametrize("damage", ["dangling", "loop"])
def test_an_input_that_cannot_be_digested_is_verified_and_never_cached(tmp_path, damage):
    chart = plain_chart(tmp_path, "app")
    (chart / ".helmignore").write_text("odd/\n")  # helm skips the folder; the digest cannot vouch for it
    (chart / "odd").mkdir()
    if damage == "dangling":
        (chart / "odd" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    else:
        (chart / "odd" / "loop").symlink_to(chart)
    for _ in range(2):
        code, report = verify(chart)
        assert code == 0 and cached(report) == [False]


# --- what else the verdict reads ----------------------------------------------------------------------------------


def test_the_check_configuration_found_above_the_chart(tmp_path):
    chart = widget_chart(tmp_path / "repo")  # no CRD: CG-SCHEMA-002 (info)
    config = tmp_path / ".chartgen-check.yaml"
    code, report = miss_after(lambda: config.write_text("severity: {CG-SCHEMA-002: error}\n"), chart)
    assert code == 1 and set(errors(report)) == {"CG-SCHEMA-002"}
    code, report = miss_after(lambda: config.write_text("severity: {CG-SCHEMA-002: warning}\n"), chart)
    assert code == 0


def test_the_crds_the_check_configuration_names(tmp_path):
    crds = widget_crd(tmp_path / "crds")
    (tmp_path / ".chartgen-check.yaml").write_text("crds: [crds/]\n")
    chart = widget_chart(tmp_path / "repo")
    code, report = miss_after(lambda: widget_crd(crds, "string"), chart)
    assert code == 1 and set(errors(report)) == {"CG-CRD-001"}


def test_the_crds_chartgen_crds_names(tmp_path, monkeypatch):
    crds = widget_crd(tmp_path / "crds")
    monkeypatch.setenv("CHARTGEN_CRDS", str(crds))
    chart = widget_chart(tmp_path / "repo")
    code, report = miss_after(lambda: widget_crd(crds, "string"), chart)
    assert code == 1 and set(errors(report)) == {"CG-CRD-001"}


def test_each_option_of_the_run(tmp_path):
    chart = widget_chart(tmp_path)
    crds = widget_crd(tmp_path / "crds")
    baseline = verify(chart)
    assert cached(baseline[1]) == [False] and cached(verify(chart)[1]) == [True]
    for option in (["--env", "dev"], ["--kube-version", "1.30.0"], ["--release", "other"], ["--namespace", "other"],
                   ["--no-check"], ["--snapshots"], ["--crds", crds], ["--config", tmp_path / "empty.yaml"]):
        (tmp_path / "empty.yaml").write_text("{}\n")
        assert cached(verify(chart, *option)[1]) == [False], option


def test_the_blueprint_library(tmp_path, monkeypatch):
    library = tmp_path / "blueprints"
    shutil.copytree(REPO / "blueprints", library)
    monkeypatch.setenv("CHARTGEN_BLUEPRINTS", str(library))
    chart = tmp_path / "user-api"
    shutil.copytree(CHARTS / "user-api", chart)
    template = library / "service" / "common" / "files" / "templates" / "service.yaml.j2"  # user-api's Service
    code, report = miss_after(lambda: template.write_text(template.read_text() + "\n# a new line\n"), chart)
    drift = [f for c in report["charts"] for f in c["findings"]]
    assert code == 1 and {f["rule"] for f in drift} == {"VERIFY-DRIFT"}
    assert str(chart / "templates" / "service.yaml") in {f["file"] for f in drift}


def test_chartgen_itself(tmp_path, monkeypatch):
    from chartgen.core import cache as verify_cache

    chart = plain_chart(tmp_path, "app")

    def another_chartgen() -> None:  # what a new release, or an edit of a development checkout, looks like
        monkeypatch.setattr(verify_cache, "__version__", "99.0.0")
        verify_cache.code_fingerprint.cache_clear()

    miss_after(another_chartgen, chart)
    verify_cache.code_fingerprint.cache_clear()


def test_a_helm_variable_that_reaches_helm(tmp_path, monkeypatch):
    chart = plain_chart(tmp_path, "app")
    miss_after(lambda: monkeypatch.setenv("HELM_BURST_LIMIT", "7"), chart)


def _copy_helm(version: str, to: Path) -> None:
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(helm_binary(version).path, to)
    to.chmod(0o755)


def test_the_helm_binary_replaced_in_place_by_another_version(tmp_path):
    chart = plain_chart(tmp_path, "app")
    helm = tmp_path / "bin" / "helm"
    _copy_helm(HELM4, helm)
    code, report = miss_after(lambda: _copy_helm(HELM3, helm), chart, helm=str(helm))
    assert code == 0 and report["helm"] == HELM3


def test_the_helm_binary_replaced_by_another_of_the_same_version(tmp_path):
    chart = plain_chart(tmp_path, "app")
    helm = tmp_path / "bin" / "helm"
    real = helm_binary(HELM4).path
    helm.parent.mkdir()
    helm.write_text(f'#!/bin/sh\nexec {real} "$@"\n')
    helm.chmod(0o755)

    def lint_fails() -> None:  # same `helm version`, other behaviour
        helm.write_text(f'#!/bin/sh\n[ "$1" = lint ] && {{ echo "[ERROR] injected"; exit 1; }}\nexec {real} "$@"\n')

    code, report = miss_after(lint_fails, chart, helm=str(helm))
    assert code == 1 and report["helm"] == HELM4


def test_the_helm_a_wrapper_script_runs(tmp_path):
    # a version manager's shim: the script stays the same file while the helm it runs changes
    chart = plain_chart(tmp_path, "app")
    target = tmp_path / "current-helm"
    target.write_text(helm_binary(HELM4).path)
    shim = tmp_path / "bin" / "helm"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "$(cat {target})" "$@"\n')
    shim.chmod(0o755)
    code, report = miss_after(lambda: target.write_text(helm_binary(HELM3).path), chart, helm=str(shim))
    assert code == 0 and report["helm"] == HELM3


@pytest.fixture
def fake_checkov(tmp_path, monkeypatch) -> Path:
    """A checkov that passes everything and reports the version written in the file it returns."""
    from chartgen.verify import policy

    version = tmp_path / "checkov-version"
    version.write_text("3.0.0")
    script = tmp_path / "checkov-bin" / "checkov"
    script.parent.mkdir()
    script.write_text(f'#!/bin/sh\n[ "$1" = --version ] && exec cat {version}\n'
                      'echo \'{"results": {"passed_checks": [], "failed_checks": [], "skipped_checks": []}}\'\n')
    script.chmod(0o755)
    monkeypatch.setattr(policy, "find_checkov", lambda: str(script))
    return version


@pytest.mark.parametrize("change", ["version", "config"])
def test_the_policy_scanner_and_its_configuration(tmp_path, monkeypatch, fake_checkov, change):
    chart = plain_chart(tmp_path / "repo", "app")
    monkeypatch.chdir(tmp_path)
    code, report = miss_after(lambda: fake_checkov.write_text("3.1.0") if change == "version"
                              else (tmp_path / ".checkov.yaml").write_text("skip-check: CKV_K8S_1\n"),
                              chart, "--policy", "checkov")
    assert code == 0 and report["results"][0]["policy"] == {"passed": 0, "failed": [], "waived": []}


def test_a_run_served_from_the_cache_starts_no_checkov(tmp_path, monkeypatch, fake_checkov):
    """The checkov process starts with the run (its imports overlap the helm work) only when a chart is verified."""
    from chartgen.verify import policy

    started = []

    class Counted(policy.CheckovScan):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(policy, "CheckovScan", Counted)
    chart = plain_chart(tmp_path, "app")
    assert verify(chart, "--policy", "checkov")[0] == 0 and len(started) == 1
    code, report = verify(chart, "--policy", "checkov")
    assert code == 0 and cached(report) == [True] and len(started) == 1


# --- when the inputs change during a run, and damaged entries ------------------------------------------------------


def test_an_edit_saved_during_the_run_is_not_cached(tmp_path, monkeypatch):
    import chartgen.verify.chart

    chart = plain_chart(tmp_path, "app", envs=("prod",))
    template = chart / "templates" / "configmap.yaml"
    good, broken = template.read_text(), '{{ fail "broken" }}\n'
    template.write_text(broken)  # the content the run's key is computed from
    real_verify_env = chartgen.verify.chart.verify_env

    def fixed_meanwhile(*args: Any, **kwargs: Any) -> Any:  # the user saves a fix after the key, before helm
        template.write_text(good)
        return real_verify_env(*args, **kwargs)

    monkeypatch.setattr(chartgen.verify.chart, "verify_env", fixed_meanwhile)
    assert verify(chart)[0] == 0  # helm saw the fixed template
    monkeypatch.setattr(chartgen.verify.chart, "verify_env", real_verify_env)  # (not undo(): that resets the cache dir)
    template.write_text(broken)
    code, report = verify(chart)
    assert code == 1 and cached(report) == [False]  # never the pass of the other content


def _entries() -> list[Path]:
    return sorted(p for p in cache_dir().rglob("*.json") if "helm-version" not in p.parts)


@pytest.mark.parametrize("damage", ["truncated", "not-an-object", "deep", "old-format", "other-key", "other-chart",
                                    "wrong-shape", "binary"])
def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path, damage):
    chart, other = plain_chart(tmp_path, "a"), plain_chart(tmp_path, "b")
    assert verify(other)[0] == 0
    (other_entry,) = _entries()
    assert verify(chart)[0] == 0
    (entry,) = set(_entries()) - {other_entry}
    data = json.loads(entry.read_text())
    text = {
        "truncated": entry.read_text()[:40],
        "not-an-object": "[1, 2]",
        "deep": "[" * 100_000,
        "old-format": json.dumps(data["value"]),
        "other-key": other_entry.read_text(),
        "other-chart": json.dumps(dict(data, value=json.loads(other_entry.read_text())["value"])),
        "wrong-shape": json.dumps(dict(data, value={"chart": str(chart), "findings": [], "envs": [1]})),
        "binary": None,
    }[damage]
    if text is None:
        entry.write_bytes(os.urandom(64) + b"\xff\xfe")
    else:
        entry.write_text(text)
    code, report = verify(chart)
    assert code == 0 and cached(report) == [False]
    assert [c["chart"] for c in report["charts"]] == [str(chart)]


def test_an_entry_of_the_same_chart_stored_under_another_key_is_a_miss(tmp_path):
    chart = plain_chart(tmp_path, "a", envs=("prod",))
    assert verify(chart)[0] == 0
    (passed,) = _entries()
    (chart / "templates" / "configmap.yaml").write_text('{{ fail "broken" }}\n')
    assert verify(chart)[0] == 1
    (failed,) = set(_entries()) - {passed}
    shutil.copyfile(passed, failed)  # e.g. a cache folder restored from elsewhere, or a file renamed by hand
    code, report = verify(chart)
    assert code == 1 and cached(report) == [False]


# --- verify and check give one verdict ----------------------------------------------------------------------------


def _check(*args: object) -> tuple[int, dict[str, Any]]:
    res = runner.invoke(app, ["check", *map(str, args), "--format", "json"])
    try:
        return res.exit_code, json.loads(res.stdout)
    except ValueError:
        return res.exit_code, {"output": res.output}


@pytest.mark.parametrize(("config", "crd_breaks_the_widget", "expected"), [
    (None, True, 1),
    ("severity: {CG-SCHEMA-002: error}\n", False, 1),  # fails with both today, verify ignored the file (exit 0)
    ("disable: [CG-CRD-001]\n", True, 0),
    ("ignore: [{path: 'repo/**', rules: [CG-CRD-001], reason: vendored}]\n", True, 0),
])
def test_verify_and_check_give_one_verdict_under_the_check_configuration(tmp_path, config, crd_breaks_the_widget,
                                                                          expected):
    chart = widget_chart(tmp_path / "repo")
    crd_args: list[object] = []
    if crd_breaks_the_widget:
        crd_args = ["--crds", widget_crd(chart / "crds", "string")]
    if config is not None:
        (tmp_path / ".chartgen-check.yaml").write_text(config)
    rendered = helm_binary(HELM4).template(chart, "w", "default", [chart / "values-prod.yaml"],
                                           kube_version=KUBE_VERSION)
    assert rendered.ok
    rendering = tmp_path / "repo" / "rendered.yaml"  # below the same configuration file as the chart
    rendering.write_text(rendered.stdout)
    check_code, check_report = _check(rendering, *crd_args, "--namespace", "default")
    verify_code, verify_report = verify(chart, "--env", "prod")
    assert (check_code, verify_code) == (expected, expected), (check_report, verify_report)
    found = {(f["rule"], f["severity"]) for r in verify_report["results"] for f in r["findings"]}
    assert found == {(f["rule"], f["severity"]) for f in check_report["findings"]}
    assert found or expected == 0  # with an error, the comparison is over findings, not two empty lists


def test_an_ignore_annotation_naming_an_unknown_rule_is_bad_input_for_both(tmp_path):
    chart = plain_chart(tmp_path, "app", envs=("prod",))
    template = chart / "templates" / "configmap.yaml"
    template.write_text(template.read_text().replace(
        "  labels:", '  annotations:\n    chartgen.io/ignore: "CG-NOPE-1: a typo"\n  labels:'))
    rendered = helm_binary(HELM4).template(chart, "app", "default", [], kube_version=KUBE_VERSION)
    (tmp_path / "rendered.yaml").write_text(rendered.stdout)
    check = runner.invoke(app, ["check", str(tmp_path / "rendered.yaml")])
    res = runner.invoke(app, ["verify", str(chart), "--helm", helm_binary(HELM4).path])
    assert (check.exit_code, res.exit_code) == (2, 2), res.output
    (line,) = res.output.splitlines()
    assert "unknown rule id CG-NOPE-1" in line and str(chart) in line and "environment prod" in line


@pytest.mark.parametrize("version", ["banana", "1.99", "2"])
def test_verify_and_check_refuse_the_same_kube_versions(tmp_path, version):
    chart = plain_chart(tmp_path, "app")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    check = runner.invoke(app, ["check", str(tmp_path / "cm.yaml"), "--kube-version", version])
    res = runner.invoke(app, ["verify", str(chart), "--kube-version", version, "--helm", helm_binary(HELM4).path])
    assert (check.exit_code, res.exit_code) == (2, 2), res.output
    (line,) = res.output.splitlines()
    (check_line,) = check.output.splitlines()
    assert check_line.removeprefix("chartgen check: ") in line


def test_a_missing_or_broken_config_is_bad_input_for_verify_as_for_check(tmp_path):
    chart = plain_chart(tmp_path / "repo", "app")
    res = runner.invoke(app, ["verify", str(chart), "--config", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and len(res.output.splitlines()) == 1 and "nope.yaml" in res.output
    (tmp_path / ".chartgen-check.yaml").write_text("disable: [CG-NOPE-001]\n")
    res = runner.invoke(app, ["verify", str(chart), "--helm", helm_binary(HELM4).path])
    check = runner.invoke(app, ["check", str(chart / "values.yaml")])
    assert (check.exit_code, res.exit_code) == (2, 2), res.output
    assert res.output.splitlines() == [f"error: chartgen verify: {check.output.removeprefix('chartgen check: ')}"
                                       .rstrip("\n")]


def test_a_test_session_never_writes_the_users_cache():
    from chartgen.core.user_cache import user_cache
    from chartgen.helm import install as helm_install

    home_cache = Path.home() / ".cache" / "chartgen"
    for folder in (user_cache(), cache_dir(), helm_install.tools_dir()):
        assert not folder.resolve().is_relative_to(home_cache.resolve()), folder
