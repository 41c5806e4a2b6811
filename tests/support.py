"""Paths and helm binaries shared by the tests (a plain module: conftest.py names clash across test folders)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from chartgen.helm import install as helm_install
from chartgen.helm.runner import Helm

REPO = Path(__file__).resolve().parents[1]
CHARTS = REPO / "generated-charts"
KUBE_VERSION = "1.31.0"  # pinned: helm 3.17 and 4.1 default to different versions
HELM_VERSIONS = ("4.1.4", "3.17.2")
DEMO_SPEC = """
name: demo
blueprint: clusterip
image: {repository: ghcr.io/acme/demo, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
"""  # the smallest spec of a web service: tests add their settings to it


def files_under(root: Path) -> dict[str, bytes]:
    """Every file below root (chart-relative POSIX path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def copy_chart(name: str, into: Path) -> Path:
    """A copy of the committed generated chart `name` in `into`, to change freely."""
    shutil.copytree(CHARTS / name, into / name)
    return into / name


def helm_binary(version: str) -> Helm:
    path = helm_install.installed_path(version)
    if not path.is_file():
        pytest.fail(f"helm {version} is not installed at {path}; run `make setup` (chartgen helm install)")
    return Helm(str(path))


def chart_dirs() -> list[Path]:
    return sorted(p.parent for p in CHARTS.glob("*/chartgen.yaml"))


CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cfg
  labels:
    app.kubernetes.io/name: {{ .Chart.Name }}
data:
  greeting: {{ .Values.greeting | quote }}
"""


def plain_chart(root: Path, name: str, envs: tuple[str, ...] = ("dev", "prod")) -> Path:
    """A small Helm chart without chartgen.yaml (written by us): a ConfigMap and one values file per environment."""
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("greeting: hello\n")
    (chart / "templates" / "configmap.yaml").write_text(CONFIGMAP)
    for env in envs:
        (chart / f"values-{env}.yaml").write_text(f"greeting: hello {env}\n")
    return chart


# Runs argv through chartgen.<module>.main (the console script's entry, or the CLI), after `prelude`; at os._exit (how
# the typer-free paths end) or SystemExit (how the CLI ends), writes to MARK whether module WATCHED was imported.
_MARKING_SCRIPT = """
import os, sys
{prelude}
def mark():
    with open({mark!r}, "w") as fh:
        fh.write(str({watched!r} in sys.modules))
real_exit = os._exit
os._exit = lambda code: (mark(), real_exit(code))
sys.argv = ["chartgen", *{args!r}]
from chartgen.{module} import main
try:
    main()
except SystemExit:
    mark()
    raise
"""


def marking_script(mark: Path, argv: list[str], module: str, watched: str, prelude: str = "") -> list[str]:
    """The command line of a Python process that runs `chartgen ARGV` and marks whether it imported `watched`."""
    return [sys.executable, "-c", _MARKING_SCRIPT.format(prelude=prelude, mark=str(mark), watched=watched, args=argv,
                                                         module=module)]

