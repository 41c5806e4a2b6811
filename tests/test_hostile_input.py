"""Hostile input: every bad chartgen.yaml is exit 2 with nothing written, never exit 3 (issue 14).

The fuzz test builds random specs from the schema's fields, then mutates them (wrong types, junk values, unknown
keys, duplicate keys, aliases, broken YAML). 500 examples in-process under a fixed seed; a sample of the charts
that generate is linted by the real helm.
"""

from __future__ import annotations

import functools
import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import typer.testing
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import KUBE_VERSION, helm_binary
from typer.testing import CliRunner

from chartgen.check import loader
from chartgen.cli import app
from chartgen.core.errors import SpecError
from chartgen.spec.yamlsource import MAX_NODES, parse_yaml

runner = CliRunner()
BASE = """apiVersion: chartgen/v1
name: demo
blueprint: clusterip
image:
  repository: ghcr.io/acme/demo
  tag: "1.0.0"
service:
  ports:
    - port: 80
      targetPort: 8080
"""


def write_spec(tmp_path: Path, text: str) -> Path:
    chart = tmp_path / "demo"
    chart.mkdir(exist_ok=True)
    (chart / "chartgen.yaml").write_text(text)
    return chart


def generate_exit(chart: Path) -> tuple[int, str]:
    res = runner.invoke(app, ["generate", str(chart)])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception  # an internal error: exit 3 in the real CLI
    return res.exit_code, res.output


def test_duplicate_keys_are_refused_with_both_lines(tmp_path):
    chart = write_spec(tmp_path, BASE + "replicas: 2\nenv:\n  A: x\nreplicas: 3\n")
    code, out = generate_exit(chart)
    assert code == 2
    assert "chartgen.yaml:14: replicas: is given twice (lines 11 and 14)" in out
    assert sorted(p.name for p in chart.iterdir()) == ["chartgen.yaml"]
    nested = write_spec(tmp_path, BASE + "env:\n  A: x\n  A: y\n")
    code, out = generate_exit(nested)
    assert code == 2 and "env.A: is given twice (lines 12 and 13)" in out


def test_alias_bomb_is_refused_before_it_expands(tmp_path):
    lines = [BASE.rstrip("\n"), "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]  # 10**10 nodes
    code, out = generate_exit(write_spec(tmp_path, "\n".join(lines) + "\n"))
    assert code == 2
    assert f"expands (through aliases) to more than {MAX_NODES} nodes" in out


def test_small_aliases_still_work():
    src = parse_yaml("a: &x {k: v}\nb: *x\n", "t.yaml")
    assert src.data == {"a": {"k": "v"}, "b": {"k": "v"}}


def test_deep_nesting_is_refused():
    with pytest.raises(SpecError, match="nested"):
        parse_yaml("a: " + "[" * 150 + "]" * 150 + "\n", "t.yaml")
    with pytest.raises(SpecError):
        parse_yaml("a: " + "[" * 5000 + "]" * 5000 + "\n", "t.yaml")


@pytest.mark.parametrize("value", ["5", "true", "abc", "[a, b]", "{dev: 5}", "{dev: [1]}", "{5: {}}"])
def test_wrong_typed_environments_are_exit_2(tmp_path, value):
    code, out = generate_exit(write_spec(tmp_path, BASE + f"environments: {value}\n"))
    assert code == 2, out
    assert "environments" in out and "chartgen.yaml:11" in out


@pytest.mark.parametrize("value", ["5", "true", "abc", "[a]"])
@pytest.mark.parametrize("section", ["service", "env", "probes", "istio", "image", "resources", "autoscaling"])
def test_wrong_typed_sections_are_exit_2(tmp_path, section, value):
    text = BASE.replace("image:\n  repository: ghcr.io/acme/demo\n  tag: \"1.0.0\"\n", "") if section == "image" \
        else BASE.replace("service:\n  ports:\n    - port: 80\n      targetPort: 8080\n", "") \
        if section == "service" else BASE
    code, out = generate_exit(write_spec(tmp_path, text + f"{section}: {value}\n"))
    assert code == 2, out
    assert section in out


# ---------------------------------------------------------------------------------------------- chartgen check


def test_check_refuses_documents_past_the_node_limit(monkeypatch):
    monkeypatch.setattr(loader, "MAX_DOCUMENT_EVENTS", 500)
    ports = "".join(f"    - {{name: p{i}, port: {i + 1}}}\n" for i in range(200))
    big = f"apiVersion: v1\nkind: Service\nmetadata:\n  name: big\nspec:\n  ports:\n{ports}"
    small = "apiVersion: v1\nkind: Service\nmetadata:\n  name: small\nspec:\n  ports:\n    - port: 80\n"
    assert len(loader.load_text(small + "---\n" + small)) == 2  # the limit is per document
    with pytest.raises(loader.InputError, match="document 2 is too large: more than 500 YAML nodes"):
        loader.load_text(small + "---\n" + big, "big.yaml")


def test_check_refuses_oversized_input_before_reading_it(monkeypatch, tmp_path):
    monkeypatch.setattr(loader, "MAX_TEXT_BYTES", 1000)
    path = tmp_path / "huge.yaml"
    path.write_text("a: b\n" * 400)
    with pytest.raises(loader.InputError, match="reads at most 0 MiB per file"):
        loader.load_paths([str(path)])
    res = runner.invoke(app, ["check", str(path)])
    assert res.exit_code == 2 and "huge.yaml" in res.output


def test_check_refuses_an_alias_bomb():
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: x}", "x0: &a0 [lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(loader.InputError, match="once aliases are expanded"):
        loader.load_text("\n".join(lines) + "\n", "bomb.yaml")


# ---------------------------------------------------------------------------------------------- the fuzz


JUNK = st.one_of(st.integers(-5, 70000), st.booleans(), st.none(), st.text(max_size=6),
                 st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.text("ab", min_size=1, max_size=2), st.integers(), max_size=2))


def j(valid, junk=JUNK):
    """`valid`, or (one time in twenty) junk of any type: most specs are valid, every field is sometimes not."""
    return st.integers(0, 19).flatmap(lambda i: junk if i == 19 else valid)


NAMES = j(st.sampled_from(["demo", "api", "web-1"]), st.text("abcXYZ_-.09 ", min_size=0, max_size=8))
HOSTILE_STRINGS = st.sampled_from(["1e3", "yes", "on", "0x1F", "012", "null", "~", "1_000", "+1", ".inf",
                                   "2024-01-01", "{{ .Values }}", "[[ x ]]", "a: b", "# c", "*a", "&a", "!x",
                                   "line1\nline2", "---", "", " "]) | st.text(max_size=12)
PORT = st.fixed_dictionaries(
    {"port": j(st.integers(1, 65535))},
    optional={"targetPort": j(st.integers(1, 65535) | st.sampled_from(["http", "1e3", "grpc"])),
              "name": j(st.sampled_from(["http", "grpc", "metrics", "on", "1e3"])),
              "protocol": j(st.sampled_from(["TCP", "UDP", "SCTP"])),
              "nodePort": j(st.nothing(), st.integers(30000, 32767) | JUNK)})
TOP_SERVICE = st.fixed_dictionaries({"service": j(st.fixed_dictionaries({"ports": j(st.lists(PORT, min_size=1,
                                                                                              max_size=3))}))})
SETTINGS = st.fixed_dictionaries({}, optional={
    "replicas": j(st.integers(0, 5)),
    "service": j(st.fixed_dictionaries({"ports": j(st.lists(PORT, min_size=1, max_size=3))}, optional={
        "annotations": j(st.dictionaries(st.sampled_from(["a.io/x", "b", "yes", "1e3"]), HOSTILE_STRINGS,
                                         max_size=3)),
        "type": j(st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]))})),
    "env": j(st.dictionaries(st.sampled_from(["RATE", "MODE", "yes", "A_B"]), HOSTILE_STRINGS, max_size=4)),
    "logLevel": j(st.sampled_from(["debug", "info", "warn", "error"])),
    "probes": j(st.fixed_dictionaries({}, optional={"readiness": st.fixed_dictionaries({}, optional={
        "path": j(st.sampled_from(["/healthz", "/"])), "type": j(st.sampled_from(["http", "tcp", "grpc"]))})})),
    "autoscaling": j(st.fixed_dictionaries({}, optional={"enabled": j(st.booleans()),
                                                         "minReplicas": j(st.integers(1, 4)),
                                                         "maxReplicas": j(st.integers(1, 6))})),
    "networkPolicy": j(st.fixed_dictionaries({"enabled": j(st.booleans())})),
    "topologySpread": j(st.booleans()),
})
SPEC = st.fixed_dictionaries({
    "apiVersion": j(st.just("chartgen/v1")),
    "name": j(NAMES),
    "blueprint": j(st.sampled_from(["clusterip", "nodeport", "loadbalancer", "headless"]),
                   st.sampled_from(["externalname", "nope", 1])),
    "image": j(st.fixed_dictionaries({"repository": j(st.just("ghcr.io/acme/demo")),
                                      "tag": j(st.sampled_from(["1.0.0", "1e3", "latest", "v2"]))})),
}, optional={
    "environments": j(st.dictionaries(j(st.sampled_from(["dev", "staging", "prod", "qa"]), st.just("Bad")),
                                      j(SETTINGS), max_size=3)),
    "description": j(HOSTILE_STRINGS),
}).flatmap(lambda spec: st.tuples(TOP_SERVICE, SETTINGS).map(lambda t: {**spec, **t[0], **t[1]}))
TEXT_MUTATIONS = st.sampled_from(["none"] * 12 + ["duplicate", "alias", "tab", "truncate", "bomb", "unknown"])


def _mutate(text: str, how: str) -> str:
    if how == "unknown":
        return text + "unknownField: 1\n"
    if how == "duplicate":
        return text + "name: again\n"
    if how == "alias":
        return text + "x-shared: &s {a: 1}\nx-use: *s\n"
    if how == "tab":
        return text.replace("  ", "\t", 1)
    if how == "truncate":
        return text[: len(text) // 2]
    if how == "bomb":
        lines = ["b0: &b0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]" for i in range(1, 8)]
        return text + "\n".join(lines) + "\n"
    return text


class Lint:
    """Charts that generated, kept for a helm lint of a sample after the fuzz."""

    charts: list[Path] = []
    seen = 0
    refused = 0


@settings(max_examples=500, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(spec=SPEC, mutation=TEXT_MUTATIONS)
def _fuzz(spec, mutation, keep_dir: Path) -> None:
    text = _mutate(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), mutation)
    with tempfile.TemporaryDirectory(prefix="chartgen-fuzz-") as d:
        chart = Path(d) / "chart"
        chart.mkdir()
        (chart / "chartgen.yaml").write_text(text)
        code, out = generate_exit(chart)
        assert code in (0, 2), out
        if code == 2:
            Lint.refused += 1
            assert sorted(p.name for p in chart.iterdir()) == ["chartgen.yaml"], out
            assert out.startswith("error: ") and "Traceback" not in out
            return
        assert (chart / ".chartgen.lock").is_file()
        Lint.seen += 1
        if Lint.seen % 5 == 0:  # (a sample: it doubles the cost) generated charts are up to date with their spec
            again = runner.invoke(app, ["generate", str(chart), "--check"])
            assert again.exit_code == 0, again.output
        if Lint.seen % 25 == 1 and len(Lint.charts) < 8:
            keep = keep_dir / f"c{Lint.seen}"
            shutil.copytree(chart, keep)
            Lint.charts.append(keep)


def test_fuzz_every_spec_generates_or_is_exit_2_with_nothing_written(tmp_path, monkeypatch):
    """500 random (and hostile) specs in-process: exit 0 or exit 2 with nothing written, never an internal error;
    then a sample of the charts that generated must pass helm lint --strict for every environment."""
    # typer's CliRunner builds the click command from the app on every invoke (a fifth of the fuzz's time): the
    # app does not change between the examples, so it is built once
    monkeypatch.setattr(typer.testing, "_get_command", functools.lru_cache(maxsize=None)(typer.testing._get_command))
    Lint.charts, Lint.seen, Lint.refused = [], 0, 0
    _fuzz(keep_dir=tmp_path)
    print(f"fuzz: {Lint.seen} charts generated, {Lint.refused} specs refused with exit 2")
    assert Lint.seen >= 100 and Lint.refused >= 50, (Lint.seen, Lint.refused)  # both outcomes well exercised
    helm = helm_binary("4.1.4")
    for chart in Lint.charts:
        for values in sorted(chart.glob("values-*.yaml")):
            res = helm.lint(chart, [values], kube_version=KUBE_VERSION)
            assert res.ok, f"{chart}/chartgen.yaml:\n{(chart / 'chartgen.yaml').read_text()}\n{res.message}"


# ------------------------------------------------------------------------- chartgen check: streams, empty input


def check_process(args: list[str], stdin: object = None, input: bytes | None = None) -> subprocess.CompletedProcess:
    """The real CLI in a process whose address space is capped at 2 GiB: unbounded reading ends in MemoryError
    (exit 3) quickly instead of exhausting the machine."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "chartgen.cli", "check", *args], stdin=stdin, input=input,
                          capture_output=True, timeout=300, preexec_fn=limit)


def test_check_reads_an_endless_stdin_only_up_to_the_cap():
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        res = check_process(["-"], stdin=yes.stdout)
    finally:
        yes.kill()
        yes.wait()
    assert res.returncode == 2, res.stderr
    assert res.stderr.decode() == ("-: is more than 32 MiB; chartgen check reads at most that much per file or "
                                   "stream: split the manifests into several files\n")


def test_check_reads_a_device_only_up_to_the_cap():
    res = check_process(["/dev/zero"])
    assert res.returncode == 2, res.stderr
    assert res.stderr.decode().startswith("/dev/zero: is more than 32 MiB") and res.stderr.count(b"\n") == 1


def test_check_refuses_stdin_that_is_not_utf8():
    res = check_process(["-"], input=b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n")
    assert res.returncode == 2, res.stderr
    assert res.stderr.decode() == "-: not UTF-8 text (invalid continuation byte at byte 51)\n"


SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  ports:\n  - port: 80\n"


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_byte_order_mark_does_not_shift_line_numbers(tmp_path, source):
    text = SERVICE.format(name="ok") + "---\n" + SERVICE.format(name="Bad_Name")  # the bad name: line 12
    lines = []
    for bom in (b"", b"\xef\xbb\xbf"):
        data = bom + text.encode()
        path = tmp_path / "m.yaml"
        path.write_bytes(data)
        res = runner.invoke(app, ["check", "--format", "json", str(path) if source == "file" else "-"],
                            input=data if source == "stdin" else None)
        assert res.exit_code == 1, res.output
        lines.append([f["line"] for f in json.loads(res.stdout)["findings"] if f["rule"] == "CG-SVC-001"])
    assert lines == [[12], [12]]


@pytest.mark.parametrize("given", ["", "\n", "# helm printed nothing\n", "---\n---\n"])
def test_check_of_an_empty_input_is_exit_2_unless_allowed(tmp_path, given):
    res = runner.invoke(app, ["check", "-"], input=given)
    assert res.exit_code == 2, res.output
    assert res.output == ("chartgen check: no documents in -: nothing to check (an empty pipe: did the command "
                          "feeding it, e.g. helm template, fail?); pass --allow-empty when no object is expected\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text(given)
    assert runner.invoke(app, ["check", str(empty)]).exit_code == 2
    allowed = runner.invoke(app, ["check", "-", "--allow-empty"], input=given)
    assert allowed.exit_code == 0, allowed.output
    assert runner.invoke(app, ["check", "-"], input=given + SERVICE.format(name="ok")).exit_code == 0
