"""Chart versions across changes: `generate --bump` and `verify --changed-since` reporting a changed chart whose
version did not grow (chart-testing's check-version-increment)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from support import CHARTS, KUBE_VERSION, helm_binary, plain_chart
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.verify.version_bump import bumped

runner = CliRunner()


@pytest.mark.parametrize(("version", "part", "expected"), [
    ("0.1.0", "patch", "0.1.1"), ("0.1.9", "minor", "0.2.0"), ("1.4.2", "major", "2.0.0"),
    ("1.2.3-rc.1", "patch", "1.2.3"), ("1.2.3-rc.1", "minor", "1.3.0"),
])
def test_bumped(version: str, part: str, expected: str) -> None:
    assert bumped(version, part) == expected


def test_generate_bump_edits_chartgen_yaml_in_place_and_regenerates(tmp_path: Path) -> None:
    chart = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", chart)
    spec = chart / "chartgen.yaml"
    before = spec.read_text()
    version = yaml.safe_load(before).get("chartVersion", "0.1.0")
    res = runner.invoke(app, ["generate", str(chart), "--bump", "minor"])
    assert res.exit_code == 0, res.output
    new = bumped(str(version), "minor")
    assert f"chartVersion {version} -> {new}" in res.output
    assert yaml.safe_load((chart / "Chart.yaml").read_text())["version"] == new
    after = spec.read_text()
    # only the chartVersion line changed (or was added): comments and layout are kept
    changed = [ln for ln in after.splitlines() if ln not in before.splitlines()]
    assert changed == [f"chartVersion: {new}"]


def test_bump_is_refused_with_check_and_with_a_bad_part(tmp_path: Path) -> None:
    chart = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", chart)
    for args in (["--bump", "patch", "--check"], ["--bump", "tiny"]):
        res = runner.invoke(app, ["generate", str(chart), *args])
        assert res.exit_code == 2, res.output
        assert len(res.output.strip().splitlines()) == 1


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout


def verify_changed(repo: Path) -> tuple[int, str]:
    res = runner.invoke(app, ["verify", str(repo), "--changed-since", "main", "--helm", helm_binary("4.1.4").path,
                              "--kube-version", KUBE_VERSION, "--no-check", "--no-cache"])
    return res.exit_code, res.output


def test_changed_chart_without_a_version_bump_is_a_finding(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    chart = plain_chart(repo / "charts", "web", envs=("dev",))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    (chart / "values.yaml").write_text("greeting: hi\n")

    code, out = verify_changed(repo)
    assert code == 1, out
    assert "CHART-VERSION" in out and "0.1.0 -> 0.1.0" in out

    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.1\n")
    code, out = verify_changed(repo)
    assert code == 0, out
    assert "CHART-VERSION" not in out


def test_a_chart_outside_the_repository_is_verified_and_says_its_version_was_not_checked(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    plain_chart(repo / "charts", "web", envs=("dev",))
    outside = plain_chart(tmp_path / "elsewhere", "ext", envs=("dev",))
    (repo / "charts" / "ext").symlink_to(outside)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    res = runner.invoke(app, ["verify", str(repo), "--changed-since", "main", "--helm", helm_binary("4.1.4").path,
                              "--kube-version", KUBE_VERSION, "--no-check", "--no-cache", "--severity", "info"])
    assert res.exit_code == 1, res.output  # the info finding fails at --severity info: it is reported
    assert "version increment since main was not checked" in res.output
