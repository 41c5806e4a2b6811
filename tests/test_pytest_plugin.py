"""The pytest plugin (entry point pytest11): helm_render + syrupy snapshots in a user's suite, run by pytester."""

from __future__ import annotations

import pytest
from support import helm_binary

pytest_plugins = ["pytester"]

CHART = {
    "charts/shop/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "charts/shop/values.yaml": "replicas: 1\n",
    "charts/shop/values-prod.yaml": "replicas: 3\n",
    "charts/shop/values-dev.yaml": "replicas: 1\n",
    "charts/shop/templates/cm.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
                                      "  namespace: {{ .Release.Namespace }}\ndata:\n"
                                      "  replicas: {{ .Values.replicas | quote }}\n"),
}

USER_TESTS = '''
def test_prod(helm_render, snapshot):
    assert helm_render("charts/shop", env="prod") == snapshot

def test_prod_yaml_file(helm_render, helm_snapshot):
    assert helm_render("charts/shop", env="prod", namespace="shop") == helm_snapshot
'''


@pytest.fixture
def helm4_path() -> str:
    return helm_binary("4.1.4").path  # before pytester points HOME at its own folder


@pytest.fixture
def user_repo(helm4_path, pytester, monkeypatch):
    monkeypatch.setenv("CHARTGEN_HELM", helm4_path)
    for rel, text in CHART.items():
        path = pytester.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    pytester.makepyfile(test_charts=USER_TESTS)
    return pytester


def test_plugin_snapshots_a_chart_and_catches_a_change(user_repo):
    first = user_repo.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    first.assert_outcomes(failed=2)  # no snapshot yet: syrupy fails rather than passing without one
    user_repo.runpytest("-p", "no:xdist", "--snapshot-update").assert_outcomes(passed=2)
    yaml_file = user_repo.path / "__snapshots__" / "test_charts" / "test_prod_yaml_file.yaml"
    text = yaml_file.read_text()
    assert text.startswith("---\n# Source: shop/templates/cm.yaml\n")
    assert 'replicas: "3"' in text and "namespace: shop" in text
    assert (user_repo.path / "__snapshots__" / "test_charts.ambr").is_file()
    user_repo.runpytest("-p", "no:xdist").assert_outcomes(passed=2)

    (user_repo.path / "charts" / "shop" / "values-prod.yaml").write_text("replicas: 5\n")
    changed = user_repo.runpytest("-p", "no:xdist")
    changed.assert_outcomes(failed=2)
    assert '"5"' in changed.stdout.str()


def test_plugin_fails_with_helms_message_and_on_unknown_environment(user_repo):
    user_repo.makepyfile(test_bad='''
def test_unknown_env(helm_render):
    helm_render("charts/shop", env="qa")

def test_broken(helm_render):
    helm_render("charts/shop", env="dev", values=["broken.yaml"])
''')
    (user_repo.path / "broken.yaml").write_text("replicas: [unclosed\n")
    res = user_repo.runpytest("-p", "no:xdist", "test_bad.py")
    res.assert_outcomes(failed=2)
    out = res.stdout.str()
    assert "unknown environment 'qa'; allowed: dev, prod" in out
    assert "helm template" in out and "failed" in out


def test_plugin_reports_an_unreadable_chart_as_a_failure_with_chartgens_one_line_message(user_repo):
    (user_repo.path / "charts" / "shop" / "Chart.yaml").write_bytes(b"apiVersion: v2\nname: sh\xf6p\nversion: 0.1.0\n")
    user_repo.makepyfile(test_bad='''
def test_bad_chart(helm_render):
    helm_render("charts/shop", env="prod")
''')
    res = user_repo.runpytest("-p", "no:xdist", "test_bad.py")
    res.assert_outcomes(failed=1)
    out = res.stdout.str()
    chart_yaml = user_repo.path / "charts" / "shop" / "Chart.yaml"
    assert f"\nhelm_render: {chart_yaml}: not UTF-8 text (invalid start byte at byte 23); helm reads " \
           "Chart.yaml as UTF-8" in out
    assert "Traceback" not in out and "UnicodeDecodeError" not in out and "chartgen/verify/chart.py" not in out
    assert "During handling" not in out and "Failed: helm_render: " in out


def test_plugin_renders_what_verify_renders(user_repo):
    """An object behind `.Capabilities.APIVersions.Has` is in the rendering, as in `chartgen verify`'s."""
    (user_repo.path / "charts" / "shop" / "templates" / "gated.yaml").write_text(
        '{{- if .Capabilities.APIVersions.Has "widgets.example.com/v1" }}\n'
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gated\n{{- end }}\n")
    user_repo.makepyfile(test_gated='''
def test_gated(helm_render):
    assert "name: gated" in helm_render("charts/shop", env="prod")
''')
    user_repo.runpytest("-p", "no:xdist", "test_gated.py").assert_outcomes(passed=1)
