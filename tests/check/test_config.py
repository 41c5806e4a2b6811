""".chartgen-check.yaml: found upward from the input (or --config), rules off, severity overrides, objects that
exist elsewhere, per-path ignores, crds; every mistake is exit 2 with `FILE:LINE: FIELD: what is allowed`."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chartgen.check.command import run_check
from chartgen.check.config import find_config, load_config
from chartgen.cli import app

VS = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: shop-runner
      containers: [{name: app, image: "example/web:1.0", ports: [{name: http, containerPort: 80}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [shop.example.com]
  gateways: [istio-system/public]
  http: [{route: [{destination: {host: web}}]}]
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def run(paths, **kw) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check([str(p) for p in paths], out=out, err=err, fmt="json", severity="info",
                     stdin=io.StringIO(""), **kw)
    return code, (json.loads(out.getvalue()) if out.getvalue() else {}), err.getvalue()


def rules_of(body: dict) -> dict[str, str]:
    return {f["rule"]: f["severity"] for f in body.get("findings", [])}


def test_config_is_found_upward_from_the_input(tmp_path):
    cfg = write(tmp_path / ".chartgen-check.yaml", "disable: [CG-P-009]\n")
    manifest = write(tmp_path / "charts" / "shop" / "out" / "all.yaml", VS)
    assert find_config([str(manifest)]) == cfg
    assert find_config([str(manifest.parent)]) == cfg
    assert find_config([str(tmp_path.parent / "elsewhere.yaml")]) is None or find_config(
        [str(tmp_path.parent / "elsewhere.yaml")]) != cfg


def test_external_objects_resolve_references(tmp_path):
    manifest = write(tmp_path / "all.yaml", VS)
    _, body, _ = run([manifest])
    assert {"CG-ISTIO-001", "CG-X-006"} <= set(rules_of(body))
    write(tmp_path / ".chartgen-check.yaml", """\
        external:
          - {kind: Gateway, namespace: istio-system, name: public}
          - {kind: ServiceAccount, namespace: shop, name: shop-runner}
        """)
    _, body, _ = run([manifest])
    assert not {"CG-ISTIO-001", "CG-X-006"} & set(rules_of(body))


def test_disable_severity_and_per_path_ignores(tmp_path):
    manifest = write(tmp_path / "legacy" / "all.yaml", VS)
    write(tmp_path / ".chartgen-check.yaml", """\
        disable: [CG-ISTIO-001]
        severity: {CG-X-006: error}
        ignore:
          - {path: "legacy/**", rules: [CG-P-009], reason: "probes come from the platform's mutating webhook"}
        """)
    code, body, _ = run([manifest])
    found = rules_of(body)
    assert "CG-ISTIO-001" not in found and "CG-P-009" not in found
    assert found["CG-X-006"] == "error" and code == 1


def test_config_path_option_and_crds(tmp_path):
    manifest = write(tmp_path / "a" / "all.yaml", VS)
    cfg = write(tmp_path / "b" / "ci.yaml", "crds: [crds/]\ndisable: [CG-ISTIO-001]\n")
    assert load_config(cfg).crds == (str((tmp_path / "b" / "crds").resolve()),)
    _, body, _ = run([manifest], config=str(cfg))
    assert "CG-ISTIO-001" not in rules_of(body)


@pytest.mark.parametrize("text, message", [
    ("disable: [CG-NOPE-1]\n", ":1: disable[0]: unknown rule id CG-NOPE-1"),
    ("severity: {CG-X-006: fatal}\n", ":1: severity.CG-X-006: 'fatal' is not one of error, warning, info"),
    ("rules: []\n", ":1: rules: unknown key; allowed: crds, disable, external, ignore, severity"),
    ("external:\n  - {name: public}\n", ":2: external[0].kind: is required"),
    ("external:\n  - {kind: Pod, namespace: kube-system}\n", ":2: external[0].selector: is required for kind Pod"),
    ("ignore:\n  - {path: x/**, rules: [CG-P-009]}\n", ":2: ignore[0].reason: is required"),
    ("disable: CG-P-009\n", ":1: disable: must be a list of strings"),
    ("disable: [\n", ": invalid YAML"),
])
def test_config_mistakes_are_exit_2_with_file_line_field(tmp_path, text, message):
    manifest = write(tmp_path / "all.yaml", VS)
    cfg = write(tmp_path / ".chartgen-check.yaml", text)
    code, body, err = run([manifest])
    assert code == 2 and body == {}
    assert len(err.splitlines()) == 1 and str(cfg) in err and message in err, err


def test_unknown_rule_in_an_ignore_annotation_is_exit_2(tmp_path):
    text = VS.replace("metadata: {name: web, namespace: shop}\nspec:\n  selector",
                      "metadata:\n  name: web\n  namespace: shop\n  annotations: {chartgen.io/ignore: 'CG-NOPE-1: x'}"
                      "\nspec:\n  selector", 1)
    code, _, err = run([write(tmp_path / "all.yaml", text)])
    assert code == 2 and "all.yaml:1: metadata.annotations[chartgen.io/ignore]: unknown rule id CG-NOPE-1" in err


def test_rules_command_and_check_config_option_through_the_cli(tmp_path):
    result = CliRunner().invoke(app, ["rules", "--format", "json"])
    rules = json.loads(result.stdout)
    assert result.exit_code == 0 and {"CG-X-001", "CG-SVC-014"} <= {r["id"] for r in rules}
    manifest = write(tmp_path / "all.yaml", VS)
    cfg = write(tmp_path / "cfg.yaml", "severity: {CG-X-006: error}\n")
    result = CliRunner().invoke(app, ["check", str(manifest), "--config", str(cfg), "--kube-version", "1.31"])
    assert result.exit_code == 1 and "CG-X-006" in result.stdout


def test_find_config_with_a_runs_answers_asks_each_folder_once(tmp_path, monkeypatch):
    """verify keys many charts below the same folders: the answers of one run are reused (and a file created during
    the run is seen by the next run, whose answers are fresh)."""
    import os

    from chartgen.check import config_file

    (tmp_path / "repo" / "charts" / "a").mkdir(parents=True)
    (tmp_path / "repo" / "charts" / "b").mkdir()
    cfg = tmp_path / "repo" / ".chartgen-check.yaml"
    cfg.write_text("rules: {}\n")
    asked: list[str] = []
    real = config_file.read_log.stat_or_none

    def looking(path, quiet=False):
        if os.path.basename(path) == config_file.CONFIG_NAME:
            asked.append(path)
        return real(path, quiet)

    monkeypatch.setattr(config_file.read_log, "stat_or_none", looking)
    found: dict = {}
    for chart in ("a", "b", "a"):
        assert config_file.find_config([str(tmp_path / "repo" / "charts" / chart)], found) == cfg
    assert sorted(asked) == sorted(str(tmp_path / "repo" / d / ".chartgen-check.yaml")
                                   for d in ("charts/a", "charts", ".", "charts/b"))
    nearer = tmp_path / "repo" / "charts" / ".chartgen-check.yaml"
    nearer.write_text("rules: {}\n")
    assert config_file.find_config([str(tmp_path / "repo" / "charts" / "a")], found) == cfg  # this run's answer
    assert config_file.find_config([str(tmp_path / "repo" / "charts" / "a")], {}) == nearer
    assert config_file.find_config([str(tmp_path / "repo" / "charts" / "a")]) == nearer
