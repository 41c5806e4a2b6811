"""`chartgen verify` chart selection: discovery (symlinks, unreadable folders, file names) and --changed-since
(renames, symlinks, file:// dependencies, non-ASCII names, bad refs, nested charts, the repository of the paths)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support import CONFIGMAP, KUBE_VERSION, helm_binary, plain_chart
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.core.errors import ChartgenError
from chartgen.verify.discovery import discover_charts

runner = CliRunner()

def chart(root: Path, name: str, deps: str = "") -> Path:
    """A small chart of our own (a ConfigMap, values-dev.yaml), with `deps` appended to its Chart.yaml."""
    path = plain_chart(root, name, envs=("dev",))
    with (path / "Chart.yaml").open("a") as fh:
        fh.write(deps)
    return path


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout


def repo_with(tmp_path: Path, *names: str) -> Path:
    """A git repository with charts/<name> for each name, committed on main, HEAD on branch feature."""
    repo = tmp_path / "repo"
    for name in names:
        chart(repo / "charts", name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "feature")
    return repo


def commit(repo: Path, message: str = "change") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def run_verify(*args: object) -> tuple[int, str]:
    res = runner.invoke(app, ["verify", *map(str, args), "--helm", helm_binary("4.1.4").path, "--kube-version",
                              KUBE_VERSION, "--no-check"])
    return res.exit_code, res.output


def selected(path: Path, ref: str = "main") -> list[str]:
    """The chart folder names `verify PATH --changed-since REF` verifies."""
    code, out = run_verify(path, "--changed-since", ref, "--format", "json")
    assert code in (0, 1), out
    return [Path(c["chart"]).name for c in json.loads(out)["charts"]]


# --- --changed-since --------------------------------------------------------------------------------------------


def test_a_file_moved_from_one_chart_to_another_changes_both(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, "a", "b", "c")
    monkeypatch.chdir(repo)
    git(repo, "mv", "charts/a/templates/configmap.yaml", "charts/b/templates/moved.yaml")
    commit(repo)
    assert selected(repo / "charts") == ["a", "b"]  # git's rename detection alone names only b


def test_a_file_moved_out_of_a_chart_changes_it(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, "a", "b")
    monkeypatch.chdir(repo)
    (repo / "docs").mkdir()
    git(repo, "mv", "charts/a/values-dev.yaml", "docs/values-dev.yaml")
    commit(repo)
    assert selected(repo / "charts") == ["a"]


def test_nested_charts_each_own_their_files(tmp_path, monkeypatch):
    """Issue 26: a chart inside another chart's folder (not in its charts/) owns its files; the outer one does not."""
    repo = repo_with(tmp_path, "outer")
    chart(repo / "charts" / "outer", "inner")
    commit(repo, "add inner")
    git(repo, "branch", "-f", "main")  # both charts in the base
    monkeypatch.chdir(repo)
    (repo / "charts" / "outer" / "inner" / "values-dev.yaml").write_text("greeting: changed\n")
    assert selected(repo / "charts") == ["inner"]
    git(repo, "checkout", "-q", "--", ".")
    (repo / "charts" / "outer" / "values-dev.yaml").write_text("greeting: changed\n")
    assert selected(repo / "charts") == ["outer"]
    (repo / "charts" / "outer" / "inner" / "templates" / "new.yaml").write_text("# new\n")  # untracked
    assert selected(repo / "charts") == ["outer", "inner"]  # in path order


def test_a_subchart_file_selects_its_parent(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, "parent")
    chart(repo / "charts" / "parent" / "charts", "sub")
    commit(repo, "add sub")
    git(repo, "branch", "-f", "main")
    monkeypatch.chdir(repo)
    (repo / "charts" / "parent" / "charts" / "sub" / "values.yaml").write_text("greeting: changed\n")
    assert selected(repo / "charts") == ["parent"]


def test_a_file_used_through_a_symlink_selects_every_chart_using_it(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, "a", "b", "c")
    (repo / "common").mkdir()
    (repo / "common" / "_labels.tpl").write_text('{{- define "labels" }}team: x{{ end }}\n')
    for name in ("a", "b"):
        (repo / "charts" / name / "templates" / "_labels.tpl").symlink_to("../../../common/_labels.tpl")
    commit(repo, "share labels")
    git(repo, "branch", "-f", "main")
    monkeypatch.chdir(repo)
    (repo / "common" / "_labels.tpl").write_text('{{- define "labels" }}team: y{{ end }}\n')
    assert selected(repo / "charts") == ["a", "b"]


def test_a_file_dependency_change_selects_the_charts_using_it(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, "b")
    chart(repo / "lib", "common")
    dep = "dependencies:\n  - name: common\n    version: 0.1.0\n    repository: file://../../lib/common\n"
    chart(repo / "charts", "a", deps=dep)
    (repo / "charts" / "a" / "charts").mkdir()
    (repo / "charts" / "a" / "charts" / "common").symlink_to("../../../lib/common")  # as `helm dep build` would
    commit(repo, "add a and lib/common")
    git(repo, "branch", "-f", "main")
    monkeypatch.chdir(repo)
    (repo / "lib" / "common" / "values.yaml").write_text("greeting: changed\n")
    assert selected(repo) == ["a", "common"]  # lib/common is a chart of its own below repo/ too
    assert selected(repo / "charts") == ["a"]
    (repo / "charts" / "a" / "charts" / "common").unlink()  # the dependency alone (no symlink) is enough
    commit(repo, "no link")
    git(repo, "branch", "-f", "main")
    (repo / "lib" / "common" / "templates" / "configmap.yaml").write_text(CONFIGMAP + "# changed\n")
    assert selected(repo / "charts") == ["a"]


def test_non_ascii_file_names_are_matched(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, "café", "plain")
    monkeypatch.chdir(repo)
    (repo / "charts" / "café" / "templates" / "ünïcode.yaml").write_text("# new\n")
    commit(repo)
    assert selected(repo / "charts") == ["café"]  # git quotes such paths unless -z


def test_run_from_another_repository_uses_the_charts_repository(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, "a", "b")
    (repo / "charts" / "b" / "values-dev.yaml").write_text("greeting: changed\n")
    commit(repo)
    other = tmp_path / "other"
    other.mkdir()
    (other / "x").write_text("x\n")
    git(other, "init", "-q", "-b", "main")
    commit(other)
    monkeypatch.chdir(other)  # another repository, with a main of its own
    assert selected(repo / "charts") == ["b"]
    monkeypatch.chdir(tmp_path)  # not a repository at all
    assert selected(repo / "charts") == ["b"]


def test_nothing_changed_says_so_with_the_merge_base(tmp_path, monkeypatch):
    repo = repo_with(tmp_path, "a")
    monkeypatch.chdir(repo)
    base = git(repo, "rev-parse", "main").strip()
    code, out = run_verify(repo / "charts", "--changed-since", "main")
    assert code == 0, out
    assert f"no chart changed since main (merge base {base[:12]} in {repo.resolve()}): nothing to verify" in out
    assert "0 of 0" not in out
    code, out = run_verify(repo / "charts", "--changed-since", "main", "--format", "json")
    assert json.loads(out)["summary"]["nothing"].startswith("no chart changed since main")


@pytest.mark.parametrize("ref", ["no-such-ref", "-x", "--output=oops", "main..feature", " "])
def test_a_bad_ref_is_one_line_exit_2(tmp_path, monkeypatch, ref):
    repo = repo_with(tmp_path, "a")
    monkeypatch.chdir(repo)
    res = runner.invoke(app, ["verify", str(repo / "charts"), f"--changed-since={ref}"])
    assert res.exit_code == 2, res.output
    lines = res.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --changed-since: "), res.output
    assert not (repo / "oops").exists()


def test_changed_since_outside_a_repository_is_exit_2(tmp_path):
    chart(tmp_path, "a")
    res = runner.invoke(app, ["verify", str(tmp_path), "--changed-since", "main"])
    assert res.exit_code == 2 and res.output.startswith("error: --changed-since: ") and "not in a git repository" \
        in res.output, res.output


# --- discovery --------------------------------------------------------------------------------------------------


def test_discovery_follows_symlinked_chart_folders_once(tmp_path):
    elsewhere = chart(tmp_path / "elsewhere", "linked")
    root = tmp_path / "charts"
    own = chart(root, "own")
    (root / "linked").symlink_to(elsewhere)
    (root / "loop").symlink_to(root)  # a loop: walked once
    (own / "templates" / "self").symlink_to(own)  # a loop inside a chart
    assert discover_charts([root]) == [root / "linked", own]


def test_an_unreadable_folder_is_exit_2_naming_it(tmp_path, monkeypatch):
    root = tmp_path / "charts"
    chart(root, "a")
    chart(root / "locked", "b")
    real = os.scandir

    def scandir(path=".", *args):  # the tests run as root: permissions would not stop a read
        if Path(path) == root / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(ChartgenError) as info:
        discover_charts([root])
    assert str(info.value).startswith(f"{root / 'locked'}: cannot read this folder: Permission denied")
    res = runner.invoke(app, ["verify", str(root), "--changed-since", "main"])
    assert res.exit_code == 2 and f"{root / 'locked'}: cannot read this folder" in res.output


def test_a_chart_file_name_that_is_not_utf8_is_exit_2(tmp_path):
    a = chart(tmp_path, "a")
    bad = os.fsdecode(b"bad-\xff.yaml")
    (a / "templates" / bad).write_text("# x\n")
    res = runner.invoke(app, ["verify", str(tmp_path), "--helm", helm_binary("4.1.4").path])
    assert res.exit_code == 2, res.output
    assert res.output == f"error: {a / 'templates'}: file name 'bad-\\xff.yaml' is not UTF-8; helm and chartgen " \
                         "read a chart's file names as UTF-8: rename it\n"


def test_a_chart_yaml_that_is_not_utf8_is_exit_2(tmp_path):
    a = chart(tmp_path, "a")
    (a / "Chart.yaml").write_bytes(b"apiVersion: v2\nname: caf\xe9\nversion: 0.1.0\n")
    res = runner.invoke(app, ["verify", str(a), "--helm", helm_binary("4.1.4").path])
    assert res.exit_code == 2, res.output
    assert res.output == f"error: {a / 'Chart.yaml'}: not UTF-8 text (invalid continuation byte at byte 24); helm " \
                         "reads Chart.yaml as UTF-8\n"


def test_a_chart_using_files_outside_the_repository_is_always_selected(tmp_path, monkeypatch):
    """git cannot tell whether a file outside the repository changed: the chart using it is verified."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "_x.tpl").write_text('{{- define "x" }}x{{ end }}\n')
    repo = repo_with(tmp_path, "a", "b")
    (repo / "charts" / "b" / "templates" / "_x.tpl").symlink_to(outside / "_x.tpl")
    commit(repo, "link outside")
    git(repo, "branch", "-f", "main")
    monkeypatch.chdir(repo)
    assert selected(repo / "charts") == ["b"]
