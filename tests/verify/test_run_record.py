"""A whole warm `chartgen verify` answer replayed while everything it looked at is unchanged (issue 27: warm verify
<= 0.003x the nproc-wide helm loop; chartgen.verify.run_record, chartgen.core.read_log).

Three kinds of test:
- the looks: a verify run's keys, recorded in a read log, must see every change that could change its answer
  (each edit below against an unchanged control), and the log must hold every file and folder the keys touched
  (every os.stat/lstat/listdir/scandir/access/open of the run, outside the cache, is one of its looks);
- the record: stored only when the log proves it (steady, old enough, not in CI), never used when damaged or for
  another command line, environment or working directory;
- end to end: `chartgen verify` processes (the console script, real helm) answered by the record print what the
  CLI prints, without importing the verify machinery, and an edit sends the next run back to the full path.

The racy rule (every identity RACY_NS older than the looks) would make a test wait 5 s after writing its charts: the
processes and tests that store records set read_log.RACY_NS to 0, and test_the_racy_rule_keeps_young_files_out
checks the rule itself.
"""

from __future__ import annotations

import builtins
import io
import json
import marshal
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support import KUBE_VERSION, helm_binary, marking_script, plain_chart

from chartgen.core import read_log
from chartgen.core.cache import Cache, cache_dir, code_fingerprint, own_index
from chartgen.core.user_cache import tools_dir
from chartgen.verify import chart_cache, command, run_record, verify_argv


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "repo"
    plain_chart(root / "charts", "a")
    plain_chart(root / "charts", "b")
    helm = root / "bin" / "helm"
    helm.parent.mkdir()
    shutil.copy2(helm_binary("4.1.4").path, helm)
    monkeypatch.chdir(root)
    return root


def argv_of(repo: Path, *extra: str) -> list[str]:
    return ["charts", "--helm", str(repo / "bin" / "helm"), "--kube-version", KUBE_VERSION, *extra]


def keyed_log(argv: list[str]) -> read_log.ReadLog:
    """The read log of a warm run's looks for argv: its plan and every chart's key (no helm work)."""
    args = verify_argv.parse_argv(argv)
    assert args is not None
    code_fingerprint.cache_clear()
    with read_log.ReadLog() as log:
        p = command.plan(args)
        found = chart_cache.lookup(p.selection.charts, p.helms, p.opts, Cache())
    assert all(k is not None for k in found.keys.values())  # every chart keyed: its looks are all in the log
    return log


# --- the looks ------------------------------------------------------------------------------------------------------


def _same_size_edit(repo: Path) -> None:
    path = repo / "charts" / "a" / "values-dev.yaml"
    os.utime(path, ns=(0, 0))  # even a modification time put back: the change time moves
    path.write_text(path.read_text().replace("hello", "HELLO"))


def _new_template(repo: Path) -> None:
    (repo / "charts" / "b" / "templates" / "extra.yaml").write_text("# more\n")


def _removed_file(repo: Path) -> None:
    (repo / "charts" / "a" / "values-prod.yaml").unlink()


def _chartgen_state(repo: Path) -> None:
    (repo / "charts" / "a" / ".chartgen" / "base" / "values.yaml").write_text("x: 1\n")  # discovery skips it


def _new_chart(repo: Path) -> None:
    plain_chart(repo / "charts", "c")


def _parent_check_config(repo: Path) -> None:
    (repo / "charts" / ".chartgen-check.yaml").write_text("severity: {CG-SCHEMA-002: error}\n")


def _mode_change(repo: Path) -> None:
    (repo / "charts" / "a" / "Chart.yaml").chmod(0o755)


def _interrupted_write(repo: Path) -> None:
    (repo / "charts" / "a" / ".chartgen-staging").mkdir()


def _file_becomes_folder(repo: Path) -> None:
    (repo / "charts" / "notes").unlink()  # a file outside every chart, now a folder that holds a chart
    plain_chart(repo / "charts", "notes")


def _link_retargeted(repo: Path) -> None:
    link = repo / "charts" / "linked"
    link.unlink()
    link.symlink_to(repo / "elsewhere" / "copy", target_is_directory=True)


def _helm_replaced(repo: Path) -> None:
    shutil.copy2(helm_binary("3.17.2").path, repo / "bin" / "helm")


EDITS = [_same_size_edit, _new_template, _removed_file, _chartgen_state, _new_chart, _parent_check_config, _mode_change,
         _interrupted_write, _file_becomes_folder, _link_retargeted, _helm_replaced]


@pytest.mark.parametrize("edit", EDITS, ids=lambda f: f.__name__.lstrip("_"))
def test_every_change_that_could_change_the_answer_is_seen(repo: Path, edit):
    (repo / "charts" / "notes").write_text("not a chart\n")
    (repo / "charts" / "a" / ".chartgen" / "base").mkdir(parents=True)
    (repo / "elsewhere").mkdir()
    plain_chart(repo / "elsewhere", "linked")
    shutil.copytree(repo / "elsewhere" / "linked", repo / "elsewhere" / "copy", copy_function=shutil.copy)
    (repo / "charts" / "linked").symlink_to(repo / "elsewhere" / "linked", target_is_directory=True)
    looks, seen = keyed_log(argv_of(repo)).looks()
    assert read_log.seen_now(looks) == seen  # the control: nothing changed, nothing seen
    edit(repo)
    assert read_log.seen_now(looks) != seen


def test_a_look_that_fails_is_never_what_was_seen(repo: Path):
    looks, seen = keyed_log(argv_of(repo)).looks()
    loop = repo / "charts" / "a" / "values.yaml"
    loop.unlink()
    loop.symlink_to(loop)  # os.stat fails with ELOOP: neither the file nor "missing"
    assert read_log.look(read_log.STAT, str(loop)) == read_log.ERROR
    assert read_log.seen_now(looks) != seen


def test_the_log_holds_every_file_and_folder_the_keys_touch(repo: Path):
    """Every path the plan and the keys stat, list, open or test for access (outside the caches), seen through os
    and open themselves, is a look of the same kind in the log: a read that a later change could make different,
    without a look to notice it, would replay a stale answer."""
    (repo / ".chartgen-check.yaml").write_text("severity: {CG-SCHEMA-002: warning}\n")
    (repo / "charts" / "a" / ".chartgen" / "base").mkdir(parents=True)  # below it: listed by the keys only
    touched: dict[str, set[str]] = {"stat": set(), "list": set(), "access": set()}

    def spy(fn, kind):
        def wrapper(path, *a, **k):
            if isinstance(path, (str, os.PathLike)):
                touched[kind].add(os.path.abspath(os.fspath(path)))
            return fn(path, *a, **k)
        return wrapper

    with pytest.MonkeyPatch.context() as mp:
        for name, kind in (("stat", "stat"), ("lstat", "stat"), ("listdir", "list"), ("scandir", "list"),
                           ("access", "access")):
            mp.setattr(os, name, spy(getattr(os, name), kind))
        mp.setattr(builtins, "open", spy(builtins.open, "stat"))
        mp.setattr(io, "open", spy(io.open, "stat"))
        log = keyed_log(argv_of(repo))
    looks = {"stat": (read_log.STAT, read_log.LSTAT), "list": (read_log.LIST, read_log.DIRS),
             "access": (read_log.EXEC,)}
    looked = {kind: {os.path.abspath(path) for k, path in log.seen if k in kinds} for kind, kinds in looks.items()}
    for (kind, path), seen in log.seen.items():
        if kind == read_log.REAL:  # os.path.realpath lstats every folder on the way: a `real` look repeats them all
            looked["stat"].update(str(p) for p in Path(os.path.abspath(path)).parents)
        if kind == read_log.STAT and seen is None:  # a folder that is missing: one it holds would be seen
            looked["list"].add(os.path.abspath(path))
    own = own_index().path
    # what is not read for the answer: the caches (what they hold is recomputed; their folders are made as needed),
    # helm's empty home (a fresh one is used when it is not empty) and Python's bytecode (imports)
    derived = [cache_dir(), own, own.with_name(own.name + "-trees"), tools_dir() / "helm-home"]
    made = {str(folder) for p in derived for folder in p.parents}
    unlooked = {(kind, p) for kind, paths in touched.items() for p in paths - looked[kind] - made
                if not p.startswith(tuple(map(str, derived))) and "/__pycache__/" not in p}
    assert not sorted(unlooked)
    assert str(repo / "charts" / "a" / "values-dev.yaml") in looked["stat"]  # the spy saw the keys' reads
    assert str(repo / "charts" / "a" / ".chartgen" / "base") in looked["list"]
    assert {str(repo / "charts" / ".chartgen-check.yaml"), str(repo / ".chartgen-check.yaml")} <= looked["stat"]
    # (the configuration search above the charts: a folder without one, then the one found)


def test_a_second_pass_in_the_same_process_holds_chartgens_own_looks(repo: Path):
    """record_after's second pass reuses the process's fingerprint of chartgen's code (computed once) and its log
    still holds every look that fingerprint was computed from: a later change to chartgen's code, its data or its
    dependencies' metadata blocks the replay."""
    import chartgen

    first = keyed_log(argv_of(repo))  # a new process's first pass (the fingerprint computed)
    args = verify_argv.parse_argv(argv_of(repo))
    assert args is not None
    with read_log.ReadLog() as again:  # the second pass: the fingerprint kept
        p = command.plan(args)
        chart_cache.lookup(p.selection.charts, p.helms, p.opts, Cache())
    package = str(Path(chartgen.__file__).resolve().parent)
    own = {k: v for k, v in first.seen.items() if k[1].startswith(package)}
    assert len(own) > 100 and (read_log.STAT, str(Path(package, "core", "cache.py"))) in own
    assert own.items() <= again.seen.items() and again.proves() == first.proves()


def test_two_different_sights_of_one_look_prove_nothing():
    log = read_log.ReadLog()
    log.note(read_log.STAT, "x", (1, 0, 0, 1, 1, 0o100644))
    assert log.steady
    log.note(read_log.STAT, "x", (2, 0, 0, 1, 1, 0o100644))  # the file changed while the run read it
    assert not log.steady and not log.proves()
    log = read_log.ReadLog()
    log.note(read_log.LIST, "d", ("a", "b"))
    log.note(read_log.DIRS, "d", (("a",), ()))  # listed twice, two sets of names
    assert not log.steady


# --- the record -------------------------------------------------------------------------------------------------------


@pytest.fixture
def no_racy_wait(monkeypatch):
    monkeypatch.setattr(read_log, "RACY_NS", 0)


def store_for(argv: list[str], out: str = "answer\n", code: int = 0) -> read_log.ReadLog:
    log = keyed_log(argv)
    run_record.store(run_record.record_key(argv), log, out, code)
    return log


def replayed(argv: list[str], monkeypatch, capsys) -> tuple[str, int] | None:
    """(stdout, exit code) when a record answers argv, else None (and nothing was printed)."""
    class Exit(Exception):
        pass

    def fake_exit(code: int):
        raise Exit(code)

    monkeypatch.setattr(os, "_exit", fake_exit)
    try:
        run_record.replay(argv)
    except Exit as done:
        return capsys.readouterr().out, done.args[0]
    finally:
        monkeypatch.undo()
    assert capsys.readouterr().out == ""
    return None


def test_a_stored_record_answers_the_same_command_line_only(repo: Path, no_racy_wait, monkeypatch, capsys):
    argv = argv_of(repo)
    store_for(argv, "2 of 2 passed\n", 1)
    assert replayed(argv, monkeypatch, capsys) == ("2 of 2 passed\n", 1)
    assert replayed([*argv, "-e", "dev"], monkeypatch, capsys) is None  # another command line
    with monkeypatch.context() as mp:
        mp.setenv("CHARTGEN_SOMETHING", "1")  # another environment
        assert replayed(argv, monkeypatch, capsys) is None
    with monkeypatch.context() as mp:
        mp.chdir(repo / "charts")  # another working directory (the same relative paths name other folders)
        assert replayed(argv, monkeypatch, capsys) is None
    _new_template(repo)
    assert replayed(argv, monkeypatch, capsys) is None


def test_the_racy_rule_keeps_young_files_out(repo: Path):
    argv = argv_of(repo)
    log = store_for(argv)  # the charts were written a moment ago: a later same-tick edit could keep identities
    assert log.steady and not log.proves()
    assert not Path(run_record._folder()).exists()


def test_no_record_in_ci_or_for_an_unsteady_log(repo: Path, no_racy_wait, monkeypatch):
    argv = argv_of(repo)
    monkeypatch.setenv("CI", "1")  # its progress lines on stderr are not kept
    store_for(argv)
    monkeypatch.delenv("CI")
    log = keyed_log(argv)
    log.steady = False
    run_record.store(run_record.record_key(argv), log, "x", 0)
    assert not Path(run_record._folder()).exists()


def test_a_helm_that_is_a_script_is_never_replayed(repo: Path, no_racy_wait):
    script = repo / "bin" / "helm-shim"
    script.write_text(f"#!/bin/sh\nexec {repo / 'bin' / 'helm'} \"$@\"\n")
    script.chmod(0o755)
    log = keyed_log(["charts", "--helm", str(script), "--kube-version", KUBE_VERSION])
    assert not log.steady  # the helm it runs is not the file looked at


def test_after_a_run_with_a_script_helm_its_version_is_not_asked_again(repo: Path, no_racy_wait, monkeypatch):
    """record_after looks at everything again only when that could prove a record: after a run whose looks were
    not steady (a helm script, whose version is asked every time) it would ask it again, ~50 ms, for nothing."""
    import io

    calls = repo / "versions-asked"
    script = repo / "bin" / "helm-shim"
    script.write_text(f"#!/bin/sh\n[ \"$1\" = version ] && echo x >> {calls}\nexec {repo / 'bin' / 'helm'} \"$@\"\n")
    script.chmod(0o755)
    argv = ["charts", "--helm", str(script), "--kube-version", KUBE_VERSION]
    first = keyed_log(argv)  # the run's own first look: asks the script's version once
    assert not first.steady and calls.read_text().count("x") == 1
    args = verify_argv.parse_argv(argv)
    assert args is not None
    run_record.record_after(args, run_record.record_key(argv), io.StringIO(), first)
    assert calls.read_text().count("x") == 1


@pytest.mark.parametrize("damage", [b"", b"garbage", marshal.dumps((99, "k", (), b"", "x", 0)),
                                    marshal.dumps(("not", "a", "record"))], ids=["empty", "garbage", "format",
                                                                                  "shape"])
def test_a_damaged_record_is_a_miss(repo: Path, no_racy_wait, monkeypatch, capsys, damage):
    argv = argv_of(repo)
    store_for(argv)
    (record,) = Path(run_record._folder()).iterdir()
    record.write_bytes(damage)
    assert replayed(argv, monkeypatch, capsys) is None


def test_records_are_kept_newest_first_up_to_keep(repo: Path, no_racy_wait, monkeypatch):
    monkeypatch.setattr(run_record, "KEEP", 2)
    for env in ("dev", "prod", "dev,prod"):
        store_for(argv_of(repo, "-e", env))
    assert len(list(Path(run_record._folder()).iterdir())) == 2


# --- end to end -----------------------------------------------------------------------------------------------------

def run(repo: Path, argv: list[str], module: str = "entry", watched: str = "chartgen.verify.command"
        ) -> tuple[subprocess.CompletedProcess[str], bool]:
    """`chartgen verify ARGV` through the console script's entry (or the CLI), the racy wait off: (the process,
    whether it imported `watched`, by default the verify machinery). Its mark and its cache are outside the
    repository: `python -c` puts the working directory on sys.path, whose listing is a look (dependency metadata)."""
    mark = repo.parent / "imported"
    env = {**os.environ, "CHARTGEN_CACHE_DIR": str(repo.parent / "cache")}
    script = marking_script(mark, ["verify", *argv], module, watched,
                            prelude="from chartgen.core import read_log\nread_log.RACY_NS = 0  # no 5 s wait")
    done = subprocess.run(script, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    return done, mark.read_text() == "True"


def cached(done: subprocess.CompletedProcess[str], fmt: str) -> int:
    """How many charts the run's report says came from the cache."""
    if fmt == "json":
        return sum(c["cached"] for c in json.loads(done.stdout)["charts"])
    return int(done.stdout.rsplit("chart(s), ", 1)[1].split(" from cache")[0])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_warm_run_is_replayed_as_the_cli_prints_it_and_an_edit_is_verified(repo: Path, fmt):
    bad = repo / "charts" / "b" / "templates" / "service.yaml"  # a cached failure: exit 1 is replayed too
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: Bad_Name}\nspec: {ports: [{port: 80}]}\n")
    argv = argv_of(repo, "--format", fmt)
    cold, _ = run(repo, argv)
    assert cold.returncode == 1 and cached(cold, fmt) == 0
    warm, machinery = run(repo, argv)
    cli, _ = run(repo, argv, module="cli")
    assert not machinery  # answered by the record
    assert (warm.returncode, warm.stdout) == (cli.returncode, cli.stdout) and warm.returncode == 1
    _same_size_edit(repo)
    edited, machinery = run(repo, argv)
    assert machinery and edited.returncode == 1 and cached(edited, fmt) == 1  # b from the cache, a verified
    again, machinery = run(repo, argv)  # the edited run left its own record
    assert not machinery and again.stdout == run(repo, argv, module="cli")[0].stdout


def test_a_replay_imports_none_of_the_standard_library_it_does_not_read_with(repo: Path):
    """The module docstring's promise (only os, sys, io, marshal and zlib until a record answers): `typing` alone,
    with the `re`, `enum` and `contextlib` it imports, was a seventh of a replayed run of 100 charts."""
    argv = argv_of(repo)
    cold, _ = run(repo, argv)
    assert cold.returncode == 0 and cached(cold, "text") == 0
    _, machinery = run(repo, argv)
    assert not machinery  # a replay
    for module in ("typing", "re", "pathlib"):
        warm, imported = run(repo, argv, watched=module)
        assert cached(warm, "text") == 2 and not imported, f"a replayed verify run imported {module}"
