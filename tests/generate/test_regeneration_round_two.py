"""Regeneration, round two (issues 22, 20, 26): the lock never deletes a user's file, recovery comes before
anything else, merges keep CRLF, deletions and modes, unresolved conflicts fail, and the kill -9 loop proves every
outcome it counts."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import CHARTS, HELM_VERSIONS, copy_chart, files_under, helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.core.errors import WriteConflict
from chartgen.generate import transaction, uptodate
from chartgen.generate.engine import generate
from chartgen.generate.lockfile import BASE_DIR, STAGING_DIR
from chartgen.generate.writer import LOCK_FILE, read_lock
from chartgen.spec.loader import load_spec

runner = CliRunner()
HELM = helm_binary(HELM_VERSIONS[0]).path


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    return copy_chart("user-api", tmp_path)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_bytes().decode()
    assert old in text, old
    path.write_bytes(text.replace(old, new, 1).encode())


def bump_tag(chart: Path, tag: str = "1.5.0") -> None:
    _edit(chart / "chartgen.yaml", 'tag: "1.4.2"', f'tag: "{tag}"')


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def gen(chart: Path, *args: str):
    return runner.invoke(app, ["generate", str(chart), *args])


# ---------------------------------------------------------------------------------------------- data loss


@pytest.mark.parametrize("rel", ["chartgen.yaml", ".chartgen-check.yaml", ".chartgenignore",
                                 "tests/__snapshots__/dev.yaml"])
def test_a_lock_naming_a_path_chartgen_never_generates_is_corrupt_and_nothing_is_deleted(chart, rel):
    target = chart / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_text("mine: true\n")
    lock = json.loads((chart / LOCK_FILE).read_text())
    lock["files"][rel] = sha(target.read_bytes())  # the digest matches: an unedited "generated" file
    (chart / LOCK_FILE).write_text(json.dumps(lock))
    before = files_under(chart)
    res = gen(chart)
    assert res.exit_code == 2, res.output
    assert "corrupt lock" in res.output and rel in res.output
    assert len(res.output.strip().splitlines()) == 1
    assert files_under(chart) == before


def _clash_on_tag(chart: Path) -> None:
    _edit(chart / "values.yaml", 'tag: "1.4.2"', 'tag: "1.4.3-hotfix"')
    bump_tag(chart)


def test_conflict_rej_keeps_offering_the_change_until_it_is_applied(chart):
    old_values = (chart / BASE_DIR / "values.yaml").read_bytes()
    _clash_on_tag(chart)
    res = gen(chart, "--conflict", "rej")
    assert res.exit_code == 1, res.output
    # the base stays what chartgen generated before (not the new output it could not apply)
    assert read_lock(chart)["values.yaml"] == sha(old_values)
    assert (chart / BASE_DIR / "values.yaml").read_bytes() == old_values
    (chart / "values.yaml.rej").unlink()  # the user looks at it, and does nothing yet
    again = gen(chart, "--conflict", "rej")
    assert again.exit_code == 1 and "values.yaml: CONFLICT" in again.output, again.output
    assert '+  tag: "1.5.0"' in (chart / "values.yaml.rej").read_text()
    # applied by hand (and the .rej removed): the next run is clean and records the new output
    _edit(chart / "values.yaml", 'tag: "1.4.3-hotfix"', 'tag: "1.5.0"')
    (chart / "values.yaml.rej").unlink()
    done = gen(chart, "--conflict", "rej")
    assert done.exit_code == 0, done.output
    assert read_lock(chart)["values.yaml"] == sha((chart / "values.yaml").read_bytes())


def test_env_add_force_never_overwrites_a_spec_changed_while_it_ran(chart, monkeypatch):
    from chartgen.generate import envs, writer

    spec = chart / "chartgen.yaml"
    real_plan = writer.plan
    def plan_after_a_save(*a, **kw):
        spec.write_text(spec.read_text() + "# saved by the user's editor while chartgen ran\n")
        return real_plan(*a, **kw)

    monkeypatch.setattr(writer, "plan", plan_after_a_save)
    before = {p: b for p, b in files_under(chart).items() if p != "chartgen.yaml"}
    with pytest.raises(WriteConflict, match="changed while chartgen was editing it"):
        envs.add_environment(chart, "qa", "staging", force=True)
    concurrent = spec.read_text()
    assert concurrent.endswith("while chartgen ran\n")
    assert {p: b for p, b in files_under(chart).items() if p != "chartgen.yaml"} == before
    res = runner.invoke(app, ["env", "add", str(chart), "qa", "--from", "staging", "--force"])
    assert res.exit_code == 2 and "chartgen.yaml: changed while chartgen was editing it" in res.output
    assert spec.read_text() == concurrent + "# saved by the user's editor while chartgen ran\n"


# ---------------------------------------------------------------------------------------------- recovery first

KILLED_CHARTGEN = [sys.executable, "-c", """
import atexit, os, shutil, signal, sys
from chartgen.generate import transaction as t
from chartgen.generate import uptodate
where, _, at = os.environ["KILL_AT"].partition(":")
real_replace, real_rmtree, real_record, calls = os.replace, shutil.rmtree, uptodate.record, [0]
def kill(): os.kill(os.getpid(), signal.SIGKILL)
def replace(src, *a, **k):
    calls[0] += t.STAGING_DIR in str(src)  # the transaction's renames only (not the template caches')
    if where == "replace" and calls[0] == int(at):
        kill()
    return real_replace(src, *a, **k)
def rmtree(path, *a, **k):
    if where == "rmtree" and os.path.basename(path) == t.STAGING_DIR:
        kill()
    return real_rmtree(path, *a, **k)
def record(*a, **k):
    if where == "record":
        kill()
    return real_record(*a, **k)
t.os.replace, t.shutil.rmtree, uptodate.record = replace, rmtree, record
atexit.register(lambda: print(f"renames={calls[0]}", file=sys.stderr))
from chartgen.cli import main
sys.argv[0] = "chartgen"
main()
"""]
COMMIT_REPLACE = 1  # the first os.replace of a transaction renames the journal to COMMIT


def killed_generate(chart: Path, at: int | str) -> subprocess.CompletedProcess[str]:
    """`chartgen generate` in a process that kill -9s itself: just before its at-th rename out of the staging
    folder (an int), as it removes the staging folder ("rmtree"), or after the write ("record")."""
    env = {**os.environ, "KILL_AT": f"replace:{at}" if isinstance(at, int) else at}
    return subprocess.run([*KILLED_CHARTGEN, "generate", str(chart)], env=env, capture_output=True, text=True)


def state(chart: Path) -> dict[str, bytes]:
    return {p: b for p, b in files_under(chart).items() if not p.startswith(STAGING_DIR)}


@pytest.mark.parametrize("at", [COMMIT_REPLACE, COMMIT_REPLACE + 1], ids=["uncommitted", "committed"])
def test_recovery_comes_before_the_up_to_date_skip(chart, at):
    """Killed, then the user goes back to the spec generate recorded: generate must not answer "up to date" over
    the interrupted run (nor leave it for `values` to replay later: values.yaml would get a tag the spec lost)."""
    assert gen(chart).exit_code == 0  # records the chart as up to date
    original = (chart / "chartgen.yaml").read_text()
    bump_tag(chart)
    assert killed_generate(chart, at).returncode == -9
    assert (chart / STAGING_DIR).is_dir()
    (chart / "chartgen.yaml").write_text(original)
    res = gen(chart)
    assert res.exit_code == 0, res.output
    assert not (chart / STAGING_DIR).exists()
    assert yaml.safe_load((chart / "values.yaml").read_text())["image"]["tag"] == "1.4.2"
    values = runner.invoke(app, ["values", str(chart)])
    assert values.exit_code == 0 and "out of date" not in values.output, values.output
    assert yaml.safe_load((chart / "values.yaml").read_text())["image"]["tag"] == "1.4.2"


def test_values_after_a_committed_kill_finishes_it_first_and_says_values_yaml_is_stale(chart):
    original = (chart / "chartgen.yaml").read_text()
    bump_tag(chart)
    assert killed_generate(chart, COMMIT_REPLACE + 1).returncode == -9  # committed, nothing applied yet
    assert (chart / STAGING_DIR / transaction.COMMIT).is_file()
    (chart / "chartgen.yaml").write_text(original)
    res = runner.invoke(app, ["values", str(chart)])
    assert res.exit_code == 0, res.output
    assert not (chart / STAGING_DIR).exists()
    tag = yaml.safe_load((chart / "values.yaml").read_text())["image"]["tag"]
    assert tag == "1.5.0"  # the committed run was finished ...
    assert "values.yaml is out of date with chartgen.yaml" in res.output  # ... and values says so


def test_verify_after_a_committed_kill_verifies_the_finished_chart(chart):
    bump_tag(chart)
    assert killed_generate(chart, COMMIT_REPLACE + 1).returncode == -9
    res = runner.invoke(app, ["verify", str(chart), "--helm", str(HELM), "--no-cache", "--env", "dev"])
    assert res.exit_code == 0, res.output
    assert "VERIFY-DRIFT" not in res.output
    assert not (chart / STAGING_DIR).exists()


def test_the_up_to_date_record_describes_the_spec_that_was_rendered(chart, monkeypatch):
    import chartgen.generate.engine

    real = chartgen.generate.engine.generate
    spec = chart / "chartgen.yaml"

    def render_then_the_user_saves(*a, **kw):
        tree = real(*a, **kw)
        spec.write_text(spec.read_text().replace('tag: "1.4.2"', 'tag: "9.9.9"'))
        return tree

    monkeypatch.setattr(chartgen.generate.engine, "generate", render_then_the_user_saves)
    assert gen(chart, "--force").exit_code == 0
    monkeypatch.setattr(chartgen.generate.engine, "generate", real)
    assert not uptodate.is_up_to_date(chart)
    res = gen(chart)
    assert "up to date" not in res.output and res.exit_code == 0, res.output
    assert yaml.safe_load((chart / "values.yaml").read_text())["image"]["tag"] == "9.9.9"


NEXT_COMMANDS = [  # each must first finish or discard the interrupted run (rotated over the kill points)
    ["generate", "{chart}"],
    ["generate", "{chart}", "--check"],
    ["values", "{chart}"],
    ["render", "{chart}", "--env", "dev", "--helm", "{helm}"],
    ["verify", "{chart}", "--env", "dev", "--helm", "{helm}", "--no-cache"],
    ["diff", "{chart}", "--from", "dev", "--to", "prod", "--values"],
    ["values", "{chart}", "--check"],
]


def test_kill_9_loop_every_outcome_occurs_and_the_next_command_of_any_kind_recovers(tmp_path):
    """A real kill -9 of generate at every kind of instant. Outcomes: "old" (killed before the commit: the chart is
    the old one, untouched), "committed" (killed after it: the next command finishes it), "new" (killed after the
    write). Each is required to occur, and whatever the next command is, it leaves no staging folder and the
    outcome's chart (a read-only command after an "old" kill: the old chart; generate: the new one)."""
    template = tmp_path / "template"
    shutil.copytree(CHARTS / "webapp", template)
    spec = (template / "chartgen.yaml").read_text()
    changed = spec.replace('tag: "3.2.0"', 'tag: "3.3.0"', 1)
    assert changed != spec
    (template / "chartgen.yaml").write_text(changed)
    old = files_under(template)
    reference = tmp_path / "reference"
    shutil.copytree(template, reference)
    full = killed_generate(reference, "none")
    assert full.returncode == 0, full.stderr
    new = files_under(reference)
    renames = int(full.stderr.rsplit("renames=", 1)[1])
    changed_files = [p for p in new if new[p] != old.get(p)]
    assert renames == 1 + len(changed_files) > 3  # the commit, then one rename per written file
    points: list[int | str] = [COMMIT_REPLACE, COMMIT_REPLACE + 1, renames // 2 + 1, renames, "rmtree", "record",
                               COMMIT_REPLACE]  # the last "old" kill meets a read-only command (values --check)
    outcomes: dict[str, int] = {"old": 0, "committed": 0, "new": 0}
    for i, at in enumerate(points):
        work = tmp_path / f"run{i}"
        shutil.copytree(template, work)
        assert killed_generate(work, at).returncode == -9, at
        if (work / STAGING_DIR / transaction.COMMIT).is_file():
            outcome, expected = "committed", new
        elif state(work) == new:
            outcome, expected = "new", new
        else:
            outcome, expected = "old", old
            assert state(work) == old, f"kill at {at}: a mix of old and new files"
        outcomes[outcome] += 1
        command = [a.format(chart=work, helm=HELM) for a in NEXT_COMMANDS[i % len(NEXT_COMMANDS)]]
        res = runner.invoke(app, command)
        assert res.exit_code in (0, 1) and "Traceback" not in res.output, (at, command, res.output)
        assert not (work / STAGING_DIR).exists(), (at, command)
        if command[0] == "generate" and len(command) == 2:
            expected = new
        assert files_under(work) == expected, (at, outcome, command)
        res = gen(work)
        assert res.exit_code == 0 and "CONFLICT" not in res.output and "edited since" not in res.output, res.output
        assert files_under(work) == new
    assert outcomes == {"old": 2, "committed": 4, "new": 1}, outcomes


# ---------------------------------------------------------------------------------------------- merges


def _crlf(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


@pytest.mark.parametrize("base_too", [False, True], ids=["file", "file-and-base"])
def test_a_crlf_checkout_merges_in_crlf(chart, base_too):
    values = chart / "values.yaml"
    _crlf(values)
    if base_too:  # core.autocrlf converts every text file of the checkout, chartgen's record too
        _crlf(chart / BASE_DIR / "values.yaml")
    check = gen(chart, "--check")
    assert check.exit_code == 0 and "up to date" in check.output, check.output  # unedited: not drift
    _edit(values, "# -- Number of pod replicas", "# -- My note: number of pod replicas")
    bump_tag(chart)
    res = gen(chart)
    assert res.exit_code == 0 and "CONFLICT" not in res.output, res.output
    data = values.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 100  # written back in the file's own convention
    text = data.decode().replace("\r\n", "\n")
    assert "# -- My note: number of pod replicas" in text and yaml.safe_load(text)["image"]["tag"] == "1.5.0"


def test_an_unedited_crlf_checkout_takes_chartgens_change_without_conflict(chart):
    _crlf(chart / "values.yaml")
    _crlf(chart / BASE_DIR / "values.yaml")
    bump_tag(chart)
    res = gen(chart)
    assert res.exit_code == 0 and "CONFLICT" not in res.output and "edited since" not in res.output, res.output
    data = (chart / "values.yaml").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert yaml.safe_load(data)["image"]["tag"] == "1.5.0"


def test_a_deleted_generated_file_stays_deleted_until_restored(chart):
    readme = chart / "README.md"
    readme.unlink()
    bump_tag(chart)
    res = gen(chart)
    assert res.exit_code == 0, res.output
    assert f"{readme}: kept deleted: yours" in res.output
    assert not readme.exists()
    check = gen(chart, "--check")
    assert check.exit_code == 0, check.output
    assert "README.md" not in runner.invoke(app, ["values", str(chart), "--check"]).output
    values_dev = chart / "values-dev.yaml"
    values_dev.unlink()
    values = runner.invoke(app, ["values", str(chart)])
    assert values.exit_code == 0 and f"{values_dev}: kept deleted: yours" in values.output, values.output
    assert not values_dev.exists()
    restored = gen(chart, "--restore", "README.md", "--restore", str(values_dev))
    assert restored.exit_code == 0, restored.output
    assert readme.read_text() == generate(load_spec(chart))["README.md"]
    assert read_lock(chart)["README.md"] == sha(readme.read_bytes())
    assert values_dev.read_text() == generate(load_spec(chart))["values-dev.yaml"]
    bad = gen(chart, "--restore", "no/such.yaml")
    assert bad.exit_code == 2 and "no/such.yaml" in bad.output


def test_file_modes_survive_a_rewrite(chart):
    values = chart / "values.yaml"
    values.chmod(0o755)
    bump_tag(chart)
    assert gen(chart).exit_code == 0
    assert yaml.safe_load(values.read_text())["image"]["tag"] == "1.5.0"
    assert stat.S_IMODE(values.stat().st_mode) == 0o755


def test_a_generated_file_replaced_by_a_folder_is_named_as_the_users_path(chart):
    service = chart / "templates" / "service.yaml"
    service.unlink()
    service.mkdir()
    (service / "mine.txt").write_text("x\n")
    _edit(chart / "chartgen.yaml", "targetPort: 8080", "targetPort: 8081")  # the Service changes
    before = files_under(chart)
    for args in ([], ["--force"], ["--check"]):
        res = gen(chart, *args)
        assert res.exit_code == 2, res.output
        assert f"{service}: is a folder" in res.output and STAGING_DIR not in res.output
        assert files_under(chart) == before


def test_a_full_disk_names_the_users_file_not_the_staged_copy(chart, monkeypatch):
    import errno

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    bump_tag(chart)
    monkeypatch.setattr(transaction.Path, "write_bytes", full)
    res = gen(chart)
    assert res.exit_code == 2 and "No space left on device" in res.output, res.output
    assert STAGING_DIR not in res.output and f"{chart}/" in res.output


def test_conflict_rej_applies_the_hunks_that_do_not_clash(chart):
    _clash_on_tag(chart)
    _edit(chart / "chartgen.yaml", "targetPort: 8080", "targetPort: 8081")
    res = gen(chart, "--conflict", "rej")
    assert res.exit_code == 1, res.output
    values = (chart / "values.yaml").read_text()
    assert 'tag: "1.4.3-hotfix"' in values and "8081" in values and "8080" not in values
    assert "<<<<<<<" not in values
    rej = (chart / "values.yaml.rej").read_text()
    assert '+  tag: "1.5.0"' in rej and "8081" not in rej
    conflict = [line for line in res.output.splitlines() if "CONFLICT" in line]
    assert len(conflict) == 1 and "values.yaml.rej" in conflict[0] and "marker" not in conflict[0]
    merge = gen(chart)  # the same clash in merge mode: markers, and no word of a .rej
    line = next(line for line in merge.output.splitlines() if "CONFLICT" in line)
    assert "marker" in line and ".rej" not in line


# ---------------------------------------------------------------------------------------------- unresolved


def test_conflict_markers_left_in_a_file_fail_generate_check_and_verify(chart):
    _clash_on_tag(chart)
    assert gen(chart).exit_code == 1
    lines = (chart / "values.yaml").read_text().splitlines()
    line = lines.index("<<<<<<< yours") + 1
    needle = f"{chart / 'values.yaml'}:{line}: unresolved conflict from chartgen generate"
    for args in ([], ["--check"]):
        res = gen(chart, *args)
        assert res.exit_code == 1 and needle in res.output, res.output
        assert "up to date" not in res.output
    res = runner.invoke(app, ["verify", str(chart), "--helm", str(HELM), "--no-cache", "--env", "dev"])
    assert res.exit_code == 1 and "unresolved conflict from chartgen generate" in res.output, res.output
    assert f"values.yaml:{line}" in res.output


def test_a_pending_rej_fails_generate_and_check(chart):
    _clash_on_tag(chart)
    assert gen(chart, "--conflict", "rej").exit_code == 1
    _edit(chart / "values.yaml", 'tag: "1.4.3-hotfix"', 'tag: "1.5.0"')  # applied, but the .rej is still there
    for args in ([], ["--check"]):
        res = gen(chart, *args)
        assert res.exit_code == 1, res.output
        assert f"{chart / 'values.yaml.rej'}:1: unresolved conflict from chartgen generate" in res.output
    (chart / "values.yaml.rej").unlink()
    assert gen(chart).exit_code == 0
