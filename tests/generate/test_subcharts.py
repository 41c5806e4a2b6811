"""A generated chart as a dependency of an umbrella chart: `condition: <name>.enabled` and `global` pass its
values.schema.json (helm validates a subchart's values against its schema)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from support import CHARTS, KUBE_VERSION, helm_binary


def umbrella(tmp_path: Path, chart: str) -> Path:
    sub = CHARTS / chart
    version = yaml.safe_load((sub / "Chart.yaml").read_text())["version"]
    root = tmp_path / "platform"
    (root / "charts").mkdir(parents=True)
    shutil.copytree(sub, root / "charts" / chart)
    (root / "Chart.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v2", "name": "platform", "version": "1.0.0",
        "dependencies": [{"name": chart, "version": version, "condition": f"{chart}.enabled"}]}))
    (root / "values.yaml").write_text(yaml.safe_dump({"global": {"team": "payments"}, chart: {"enabled": True}}))
    return root


@pytest.mark.parametrize("enabled", [True, False])
def test_generated_chart_works_under_an_umbrella_condition(tmp_path: Path, enabled: bool) -> None:
    root = umbrella(tmp_path, "webapp")
    res = helm_binary("4.1.4").template(root, "platform", "default", [], kube_version=KUBE_VERSION,
                                        set_values=[f"webapp.enabled={str(enabled).lower()}"])
    assert res.ok, res.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(res.stdout) if d]
    assert ("Deployment" in kinds) is enabled


def test_enabled_must_be_a_boolean(tmp_path: Path) -> None:
    root = umbrella(tmp_path, "webapp")
    res = helm_binary("4.1.4").template(root, "platform", "default", [], kube_version=KUBE_VERSION,
                                        set_values=["webapp.enabled=maybe"])
    assert not res.ok
    assert "enabled" in res.stderr
