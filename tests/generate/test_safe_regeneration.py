"""Regenerating never loses work: confinement, transactions, three-way merges, file-system errors (issue 14)."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import copy_chart, files_under
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.generate import transaction
from chartgen.generate.engine import generate
from chartgen.generate.lockfile import STAGING_DIR
from chartgen.generate.writer import LOCK_FILE, read_lock, write
from chartgen.spec.blueprints import BlueprintLibrary, default_root
from chartgen.spec.loader import load_spec

runner = CliRunner()
CHARTGEN = [sys.executable, "-m", "chartgen.cli"]


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    return copy_chart("user-api", tmp_path)


def bump_tag(chart: Path, tag: str = "1.5.0") -> None:
    spec = chart / "chartgen.yaml"
    spec.write_text(spec.read_text().replace('tag: "1.4.2"', f'tag: "{tag}"'))


def set_lock(chart: Path, body: object) -> None:
    (chart / LOCK_FILE).write_text(json.dumps(body))


# ---------------------------------------------------------------------------------------------- confinement


@pytest.mark.parametrize("entry", ["../victim.txt", "../../victim.txt", "/ABS/victim.txt",
                                   "templates/../../victim.txt"])
def test_lock_entries_outside_the_chart_are_refused_and_nothing_is_written(chart, entry):
    victim = chart.parent / "victim.txt"
    victim.write_text("precious\n")
    import hashlib

    digest = hashlib.sha256(b"precious\n").hexdigest()
    lock = json.loads((chart / LOCK_FILE).read_text())
    lock["files"][entry.replace("/ABS", str(chart.parent))] = digest
    set_lock(chart, lock)
    bump_tag(chart)
    before = files_under(chart)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    assert "corrupt lock" in res.output and "inside the chart" in res.output
    assert victim.read_text() == "precious\n"
    assert files_under(chart) == before


@pytest.mark.parametrize(("body", "needle"), [
    ([], "expected a JSON object"),
    ({"files": ["values.yaml"]}, "files: corrupt lock"),
    ({"files": {"values.yaml": 5}}, "expected a sha256"),
    ({"files": {"values.yaml": "abc"}}, "expected a sha256"),
    ({"files": {}, "version": 3}, "version: corrupt lock"),
    ({"files": {".chartgen/base/x": "0" * 64}}, "chartgen never generates this path"),
    ({"files": {"a/./b": "0" * 64, "a/b": "0" * 64}}, "listed twice"),
])
def test_malformed_lock_is_exit_2_with_one_line(chart, body, needle):
    set_lock(chart, body)
    before = files_under(chart)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    assert needle in res.output and len(res.output.strip().splitlines()) == 1
    assert files_under(chart) == before


def test_lock_that_is_not_json_or_is_a_folder_is_exit_2(chart):
    (chart / LOCK_FILE).write_text("{not json")
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2 and "corrupt lock: not valid JSON" in res.output
    (chart / LOCK_FILE).unlink()
    (chart / LOCK_FILE).mkdir()
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2 and "corrupt lock: is a folder" in res.output
    res = runner.invoke(app, ["generate", str(chart), "--check"])
    assert res.exit_code == 2


def test_lock_records_the_chartgen_version(chart):
    from chartgen import __version__

    bump_tag(chart)
    assert runner.invoke(app, ["generate", str(chart)]).exit_code == 0
    assert json.loads((chart / LOCK_FILE).read_text())["version"] == __version__


@pytest.mark.parametrize("link", ["templates", "templates/service.yaml", ".chartgen", ".chartgen/base/values.yaml"])
def test_never_writes_or_deletes_through_a_symlink(chart, tmp_path, link):
    elsewhere = tmp_path / "elsewhere"
    target = chart / link
    if target.is_dir():
        shutil.move(target, elsewhere)
    else:
        elsewhere.write_bytes(target.read_bytes())
        target.unlink()
    target.symlink_to(elsewhere)
    outside = files_under(elsewhere) if elsewhere.is_dir() else {"": elsewhere.read_bytes()}
    bump_tag(chart)
    (chart / "chartgen.yaml").write_text((chart / "chartgen.yaml").read_text().replace("port: 80", "port: 81"))
    before = {p: b for p, b in files_under(chart).items()}
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    assert f"{chart / link}: is a symbolic link" in res.output
    assert "symbolic link" in res.output
    assert (files_under(elsewhere) if elsewhere.is_dir() else {"": elsewhere.read_bytes()}) == outside
    assert files_under(chart) == before


# ---------------------------------------------------------------------------------------------- transactions


def test_failure_while_applying_rolls_back(chart, monkeypatch):
    """A folder that refuses writes halfway (EACCES, as a read-only folder gives a non-root user): root ignores
    permission bits, so the refusal is injected at os.replace, the call the real code path makes."""
    bump_tag(chart)
    (chart / "chartgen.yaml").write_text((chart / "chartgen.yaml").read_text().replace("port: 80", "port: 81"))
    before = files_under(chart)
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(src, dst, *a, **kw):
        if Path(dst) == chart / "values.yaml":  # after Chart.yaml and README.md were replaced
            calls["n"] += 1
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(transaction.os, "replace", flaky)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    assert "Permission denied" in res.output and "rolled back" in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert calls["n"] == 1
    assert (chart / "Chart.yaml").read_bytes() == before["Chart.yaml"]
    assert files_under(chart) == before  # every file replaced before the failure is back, no staging left


def test_full_disk_while_staging_changes_nothing(chart, monkeypatch):
    bump_tag(chart)
    before = files_under(chart)

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(transaction.Path, "write_bytes", full)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2, res.output
    assert "No space left on device" in res.output and "nothing was changed" in res.output
    assert files_under(chart) == before


def test_file_size_limit_efbig_is_exit_2_and_changes_nothing(chart):
    """A real EFBIG: RLIMIT_FSIZE binds root too (Python ignores SIGXFSZ, so the write fails with EFBIG)."""
    bump_tag(chart)
    before = files_under(chart)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    # no bytecode written by this process: CPython ignores a short write of a .pyc (importlib's _write_atomic), so
    # a module compiled here first would be left cut at 2,000 bytes for every later process to fail on
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([*CHARTGEN, "generate", str(chart)], capture_output=True, text=True, preexec_fn=limit,
                          env=env)
    assert proc.returncode == 2, proc.stderr
    assert "File too large" in proc.stderr and "nothing was changed" in proc.stderr
    assert files_under(chart) == before


def test_unwritable_output_is_exit_2(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    res = runner.invoke(app, ["new", "demo", "--image", "r/x:1", "--no-input", "--output", str(blocker / "sub")])
    assert res.exit_code == 2, res.output
    assert str(blocker) in res.output and "Not a directory" in res.output
    assert blocker.read_text() == "x"


def test_read_only_chart_folder_is_exit_2(chart, monkeypatch):
    """mkdir of the staging folder is the first write; EROFS there (a read-only mount) must be one line, exit 2."""
    bump_tag(chart)
    before = files_under(chart)
    real_mkdir = Path.mkdir

    def ro(self, *a, **kw):
        if self.name == STAGING_DIR or STAGING_DIR in self.parts:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *a, **kw)

    monkeypatch.setattr(transaction.Path, "mkdir", ro)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2 and "Read-only file system" in res.output, res.output
    assert files_under(chart) == before


# the kill -9 loop (every outcome required, the next command of any kind recovers) is in
# tests/generate/test_regeneration_round_two.py


def test_interrupted_run_is_finished_or_discarded_by_the_next(chart):
    bump_tag(chart)
    new_tree = generate(load_spec(chart))
    before = files_under(chart)
    # staged but not committed: discarded, the chart is the old one
    (chart / STAGING_DIR / "new").mkdir(parents=True)
    (chart / STAGING_DIR / "new" / "0").write_text("half")
    res = runner.invoke(app, ["generate", str(chart), "--check"])  # recovers first, then compares
    assert res.exit_code == 1 and "values.yaml: out of date" in res.output, res.output
    assert not (chart / STAGING_DIR).exists()
    assert transaction.recover(chart) is None
    assert files_under(chart) == before
    write(new_tree, chart, conflict="merge")
    assert not (chart / STAGING_DIR).exists()


# ---------------------------------------------------------------------------------------------- three-way


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_three_way_merge_keeps_hand_edits_and_applies_spec_and_blueprint_changes(chart, tmp_path):
    # hand edits: a template and values.yaml
    _edit(chart / "templates" / "service.yaml", "kind: Service\n", "kind: Service\n# my note on the service\n")
    _edit(chart / "values.yaml", "replicaCount:", "# my note on replicas\nreplicaCount:")
    # 1. the spec changes (values.yaml gets the new tag)
    bump_tag(chart)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0, res.output
    assert "values.yaml: merged" in res.output
    values = (chart / "values.yaml").read_text()
    assert "# my note on replicas\nreplicaCount:" in values
    assert yaml.safe_load(values)["image"]["tag"] == "1.5.0"
    assert "# my note on the service" in (chart / "templates" / "service.yaml").read_text()
    # 2. the blueprints change (a new chartgen release): a temp copy with an extra label in the Service template
    blueprints = tmp_path / "blueprints"
    shutil.copytree(default_root(), blueprints)
    _edit(blueprints / "service" / "common" / "files" / "templates" / "service.yaml.j2", "spec:\n",
          "  # added by the new blueprint\nspec:\n")
    library = BlueprintLibrary(blueprints)
    result = write(generate(load_spec(chart, library), library), chart, conflict="merge")
    assert result.merged == ["templates/service.yaml"] and not result.unmerged
    service = (chart / "templates" / "service.yaml").read_text()
    assert "# my note on the service" in service and "# added by the new blueprint" in service
    assert "<<<<<<<" not in service
    # and the run after that changes nothing
    again = write(generate(load_spec(chart, library), library), chart, conflict="merge")
    assert not again.changed and not again.merged


def test_overlapping_edit_gives_conflict_markers_and_exit_1(chart):
    _edit(chart / "values.yaml", 'tag: "1.4.2"', 'tag: "1.4.3-hotfix"')
    bump_tag(chart)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 1, res.output
    assert "values.yaml: CONFLICT" in res.output
    values = (chart / "values.yaml").read_text()
    assert '<<<<<<< yours\n  tag: "1.4.3-hotfix"\n=======\n  tag: "1.5.0"\n>>>>>>> chartgen\n' in values
    assert read_lock(chart)  # the lock is written: the next run merges from the new output


def test_conflict_rej_keeps_the_file_and_writes_the_change_aside(chart):
    _edit(chart / "values.yaml", 'tag: "1.4.2"', 'tag: "1.4.3-hotfix"')
    edited = (chart / "values.yaml").read_text()
    bump_tag(chart)
    res = runner.invoke(app, ["generate", str(chart), "--conflict", "rej"])
    assert res.exit_code == 1, res.output
    assert (chart / "values.yaml").read_text() == edited
    rej = (chart / "values.yaml.rej").read_text()
    assert '-  tag: "1.4.2"\n+  tag: "1.5.0"\n' in rej
    # the user applies the change by hand: the next run merges cleanly
    _edit(chart / "values.yaml", 'tag: "1.4.3-hotfix"', 'tag: "1.5.0"')
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 1 and "values.yaml.rej:1: unresolved conflict" in res.output, res.output
    assert (chart / "values.yaml.rej").exists()  # the user's to delete: chartgen never removes it
    (chart / "values.yaml.rej").unlink()
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["generate", str(chart), "--conflict", "nope"]).exit_code == 2


def test_force_still_overwrites(chart):
    _edit(chart / "values.yaml", 'tag: "1.4.2"', 'tag: "1.4.3-hotfix"')
    bump_tag(chart)
    assert runner.invoke(app, ["generate", str(chart), "--force"]).exit_code == 0
    assert "<<<<<<<" not in (chart / "values.yaml").read_text()
    assert yaml.safe_load((chart / "values.yaml").read_text())["image"]["tag"] == "1.5.0"


def test_files_not_in_the_lock_are_the_users_and_check_agrees_with_generate(chart):
    (chart / "templates" / "extra.yaml").write_text("# mine\n")
    lock = json.loads((chart / LOCK_FILE).read_text())
    del lock["files"]["templates/NOTES.txt"]
    set_lock(chart, lock)
    (chart / "templates" / "NOTES.txt").write_text("my notes\n")
    check = runner.invoke(app, ["generate", str(chart), "--check"])
    assert check.exit_code == 1
    assert "run `chartgen generate` to update" not in check.output
    assert "NOTES.txt: exists and was not written by chartgen; `chartgen generate` refuses it" in check.output
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2 and "NOTES.txt" in res.output
    assert (chart / "templates" / "extra.yaml").read_text() == "# mine\n"
    assert (chart / "templates" / "NOTES.txt").read_text() == "my notes\n"


def test_a_file_no_longer_generated_is_removed_unless_edited(chart):
    tree = generate(load_spec(chart))
    write(tree, chart, conflict="merge")
    _edit(chart / "templates" / "NOTES.txt", "\n", "\nmy line\n")
    smaller = generate(load_spec(chart))
    del smaller.files["templates/NOTES.txt"]
    del smaller.files["templates/serviceaccount.yaml"]
    result = write(smaller, chart, conflict="merge")
    assert result.delete == ["templates/serviceaccount.yaml"]
    assert result.orphaned == ["templates/NOTES.txt"]
    assert "my line" in (chart / "templates" / "NOTES.txt").read_text()  # kept: it is the user's file now
    assert not (chart / "templates" / "serviceaccount.yaml").exists()
    lock = read_lock(chart)
    assert "templates/NOTES.txt" not in lock and "templates/serviceaccount.yaml" not in lock
    assert not (chart / ".chartgen" / "base" / "templates" / "NOTES.txt").exists()


def test_concurrent_generates_on_one_chart_wait_for_each_other(chart, tmp_path):
    bump_tag(chart)
    expected = tmp_path / "expected"
    shutil.copytree(chart, expected)
    assert runner.invoke(app, ["generate", str(expected)]).exit_code == 0
    procs = [subprocess.Popen([*CHARTGEN, "generate", str(chart)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    outs = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert all("edited" not in out + err for out, err in outs)
    assert files_under(chart) == files_under(expected)


def _unprivileged() -> list[str]:
    """A command prefix under which permission bits bind: as root, drop the capabilities that bypass them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root and setpriv (util-linux) is missing: cannot make permissions bind")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]


@pytest.mark.parametrize("read_only", [".", "templates"])
def test_real_read_only_folder_is_exit_2_and_rolls_back(chart, read_only):
    # a new chart name changes the root files and every template (their helpers are named after the chart)
    _edit(chart / "chartgen.yaml", "name: user-api", "name: user-api-two")
    before = files_under(chart)
    folder = chart / read_only
    folder.chmod(0o555)
    try:
        proc = subprocess.run([*_unprivileged(), *CHARTGEN, "generate", str(chart)], capture_output=True, text=True)
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert "Permission denied" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    # the chart folder refuses the staging folder (nothing changed); templates/ refuses a rename after Chart.yaml
    # and values.yaml were replaced (all rolled back)
    assert ("nothing was changed" if read_only == "." else "every change was rolled back") in proc.stderr
    assert files_under(chart) == before
    assert not (chart / STAGING_DIR).exists()


def test_real_unwritable_output_folder_is_exit_2(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        proc = subprocess.run([*_unprivileged(), *CHARTGEN, "new", "demo", "--image", "r/x:1", "--no-input",
                               "--output", str(out)], capture_output=True, text=True)
    finally:
        out.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert "Permission denied" in proc.stderr and str(out) in proc.stderr
    assert list(out.iterdir()) == []


def test_a_forged_journal_cannot_write_outside_the_chart(chart):
    victim = chart.parent / "victim.txt"
    victim.write_text("precious\n")
    staging = chart / STAGING_DIR
    (staging / "new").mkdir(parents=True)
    (staging / "new" / "0").write_text("owned\n")
    (staging / transaction.COMMIT).write_text(json.dumps({"writes": [["../victim.txt", "0"]], "deletes": [],
                                                          "backups": []}))
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2 and "journal" in res.output
    assert victim.read_text() == "precious\n"
