"""verify lints a chart's environments in one helm process (chartgen.helm.lint_batch) and reports exactly what one
lint per environment reports: the same verdicts, messages and findings, passing or failing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from support import CHARTS, KUBE_VERSION, helm_binary

from chartgen.helm.runner import Helm
from chartgen.verify import chart as verify_chart
from chartgen.verify.results import Helms, VerifyOptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "helm"))
from test_lint_batch import ENVS, schema_chart  # noqa: E402

# lint renders without --api-versions, verify's template with the APIs the templates test for: this environment
# lints but does not render
RENDER_FAILS = """{{- if and .Values.failToRender (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}
{{- fail "renders only where the cluster lacks the API" }}
{{- end }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-check
"""


def reports(charts: list[Path], helm: Helm, monkeypatch: pytest.MonkeyPatch, *, batch: bool) -> list[dict]:
    with monkeypatch.context() as m:
        if not batch:
            m.setattr(verify_chart, "_batch_values", lambda *args: None)
        results = verify_chart.run(charts, Helms(helm), VerifyOptions(kube_version=KUBE_VERSION))
    out = [r.to_dict() for r in results]
    for r in out:
        for e in r["envs"]:
            e["seconds"] = 0
    return out


@pytest.mark.parametrize("version", ["4.1.4", "3.17.2"])
def test_the_report_is_the_one_of_a_lint_per_environment(tmp_path, monkeypatch, version):
    """A chart whose environments fail lint in different ways and one that lints but does not render (its lint is
    its own then), and a generated example that passes."""
    helm = helm_binary(version)
    typed = schema_chart(tmp_path / "charts", ENVS)
    (typed / "templates" / "api.yaml").write_text(RENDER_FAILS)
    (typed / "values-render-fails.yaml").write_text("failToRender: true\nnested: {extra: z}\n")
    shutil.copytree(CHARTS / "api-test", tmp_path / "charts" / "api-test")
    charts = [typed, tmp_path / "charts" / "api-test"]
    batched = reports(charts, helm, monkeypatch, batch=True)
    assert batched == reports(charts, helm, monkeypatch, batch=False)
    steps = {e["env"]: (e["lint_ok"], e["template_ok"]) for e in batched[0]["envs"]}
    assert steps["quoted-port"] == (False, False) and steps["ok"] == (True, True)  # template checks the schema too
    assert steps["render-fails"] == (True, False) and steps["name-lint-refuses"] == (False, True)
    assert all(e["lint_ok"] and e["template_ok"] for e in batched[1]["envs"]) and len(batched[1]["envs"]) == 3


def test_a_passing_chart_is_linted_by_one_process(tmp_path, monkeypatch):
    helm = helm_binary("4.1.4")
    chart = shutil.copytree(CHARTS / "api-test", tmp_path / "api-test")
    calls: list[str] = []
    real = Helm.run

    def counted(self, *args, **kwargs):
        calls.append(args[0])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Helm, "run", counted)
    [result] = verify_chart.run([chart], Helms(helm), VerifyOptions(kube_version=KUBE_VERSION))
    assert result.ok() and len(result.envs) == 3
    assert sorted(calls) == ["lint", "template", "template", "template"]


def test_with_a_policy_scan_the_scan_starts_before_the_lints_and_checks_end(tmp_path, monkeypatch):
    """--policy: the one checkov scan needs only the renderings, so it starts once the last environment is rendered
    and runs beside the charts' lints and the renderings' checks (queued after every rendering), not after them.
    Here each lint and each check waits for the scan to start; a scan that waited for them would leave them
    waiting."""
    import threading

    from support import plain_chart

    from chartgen.helm import lint_batch as batch_module

    started = threading.Event()
    waited: list[bool] = []
    real_passing = batch_module.passing

    def lint_after_scan_start(*args):  # type: ignore[no-untyped-def]
        waited.append(started.wait(timeout=20))
        return real_passing(*args)

    class Scan:
        files: dict[str, str] = {}  # label -> namespace of each rendering added

        def add(self, label, manifests, namespace):  # type: ignore[no-untyped-def]
            assert not started.is_set() and manifests
            self.files[label] = namespace

        def scan(self):  # type: ignore[no-untyped-def]
            started.set()
            return {}

    monkeypatch.setattr(batch_module, "passing", lint_after_scan_start)
    real_check = verify_chart.run_check

    def check_after_scan_start(*args):  # type: ignore[no-untyped-def]
        waited.append(started.wait(timeout=20))  # the renderings come first, their checks after
        return real_check(*args)

    monkeypatch.setattr(verify_chart, "run_check", check_after_scan_start)
    charts = [plain_chart(tmp_path / "charts", name) for name in ("a", "b")]
    checks = {c: verify_chart.chart_check(c, KUBE_VERSION, (), None) for c in charts}
    results = verify_chart._run_targets(
        [verify_chart.ChartTarget.load(c, KUBE_VERSION) for c in charts], Helms(helm_binary("4.1.4")),
        VerifyOptions(kube_version=KUBE_VERSION), 1, verify_chart.Progress(), checks,
        {c: type("P", (), {"missing": [], "sources": []})() for c in charts}, scan := Scan())  # type: ignore[arg-type]
    assert waited == [True] * 6  # two lints, four checks
    assert sorted(scan.files) == [f"{c}[{e}]" for c in charts for e in ("dev", "prod")]
    assert all(e.lint_ok and e.template_ok for r in results for e in r.envs)
