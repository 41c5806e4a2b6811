"""`chartgen values CHART --env E --explain`: each effective setting with the layer that set it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from chartgen.cli import app
from support import CHARTS

runner = CliRunner()

SPEC = """\
apiVersion: chartgen/v1
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service: {ports: [{name: http, port: 80, targetPort: 8080}]}
terminationGracePeriodSeconds: 45
environments:
  prod:
    namespace: shop
    replicas: 5
  dev: {}
"""


def explained(chart: Path, env: str) -> dict[str, dict]:  # type: ignore[type-arg]
    res = runner.invoke(app, ["values", str(chart), "--env", env, "--explain", "--format", "json"])
    assert res.exit_code == 0, res.output
    return {item["path"]: item for item in json.loads(res.output)}


def test_each_layer_is_named_with_file_and_line(tmp_path: Path) -> None:
    chart = tmp_path / "shop"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(SPEC)
    prod = explained(chart, "prod")
    assert prod["replicas"]["value"] == 5 and prod["replicas"]["layer"] == "environment prod"
    assert prod["replicas"]["source"] == f"{chart / 'chartgen.yaml'}:10"
    tgp = prod["terminationGracePeriodSeconds"]
    assert tgp["value"] == 45 and tgp["layer"] == "top-level spec" and tgp["source"].endswith("chartgen.yaml:6")
    # the top level sets no log level; the prod profile does, over the settings' default
    assert prod["logLevel"]["value"] == "warn" and prod["logLevel"]["layer"] == "profile prod"
    assert prod["resources.limits.memory"]["layer"] == "profile prod"
    assert prod["resources.limits.memory"]["source"].endswith("profiles/prod.yaml")
    assert prod["serviceAccount.create"]["layer"] == "default"
    dev = explained(chart, "dev")
    assert dev["logLevel"]["value"] == "debug" and dev["logLevel"]["layer"] == "profile dev"
    assert dev["terminationGracePeriodSeconds"]["layer"] == "top-level spec"


def test_the_values_agree_with_the_effective_settings_of_a_real_chart(tmp_path: Path) -> None:
    chart = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", chart)
    dev = explained(chart, "dev")
    port = dev["service.ports"]
    assert port["layer"] == "environment dev" and port["value"][0]["nodePort"] == 30080
    res = runner.invoke(app, ["values", str(chart), "--env", "dev", "--explain"])
    assert res.exit_code == 0
    assert "service.ports" in res.output and "<- environment dev (" in res.output


def test_explain_needs_exactly_one_environment(tmp_path: Path) -> None:
    chart = tmp_path / "webapp"
    shutil.copytree(CHARTS / "webapp", chart)
    for args in ([], ["--env", "dev", "--env", "prod"], ["--env", "qa"]):
        res = runner.invoke(app, ["values", str(chart), "--explain", *args])
        assert res.exit_code == 2, res.output
        assert len(res.output.strip().splitlines()) == 1
