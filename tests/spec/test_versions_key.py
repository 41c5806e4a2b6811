"""`versions` is a key of its own (issue 25): it drives Istio and HTTPRoute splits alike; `istio.versions` is still
read as its deprecated alias (same chart, a note), a file never writes both, and errors name the key the file uses."""

from __future__ import annotations

import pytest
from render_helpers import find, render
from support import CHARTS, helm_binary
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.core.errors import SpecErrors
from chartgen.generate.engine import generate
from chartgen.spec.loader import parse_spec_text

runner = CliRunner()

NEW = """
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
versions:
  v1: {weight: 80}
  v2: {weight: 20, replicas: 1, image: {tag: "1.1.0"}}
environments:
  staging:
    httpRoute:
      enabled: true
      parentRefs: [{name: public, namespace: gateway-system}]
  prod:
    versions:
      v3: {weight: 0}
    istio:
      enabled: true
"""

OLD = """
name: shop
blueprint: clusterip
image: {repository: ghcr.io/acme/shop, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
istio:
  versions:
    v1: {weight: 80}
    v2: {weight: 20, replicas: 1, image: {tag: "1.1.0"}}
environments:
  staging:
    httpRoute:
      enabled: true
      parentRefs: [{name: public, namespace: gateway-system}]
  prod:
    istio:
      versions:
        v3: {weight: 0}
      enabled: true
"""


def test_the_alias_renders_the_same_chart_as_the_key():
    new, old = parse_spec_text(NEW, "new.yaml"), parse_spec_text(OLD, "old.yaml")
    assert [v.name for v in new.environment("prod").settings.istio.versions] == ["v1", "v2", "v3"]
    assert dict(generate(new)) == dict(generate(old))
    assert new.notes == () and len(old.notes) == 1 and "deprecated alias of versions" in old.notes[0]


def test_generate_says_the_note_for_the_alias_only(tmp_path):
    for name, text in (("old", OLD), ("new", NEW)):
        chart = tmp_path / name
        chart.mkdir()
        (chart / "chartgen.yaml").write_text(text)
        res = runner.invoke(app, ["generate", str(chart)])
        assert res.exit_code == 0, res.output
        assert ("note: istio.versions is a deprecated alias of versions" in res.output) == (name == "old")


@pytest.mark.parametrize(("text", "path"), [
    (NEW.replace("v2: {weight: 20,", "v2: {weight: 30,"), "versions"),
    (OLD.replace("v2: {weight: 20,", "v2: {weight: 30,"), "istio.versions"),
    (NEW.replace("    versions:\n      v3: {weight: 0}", "    versions:\n      v3: {weight: 10}"),
     "environments.prod.versions"),
    (NEW.replace("  v1: {weight: 80}", "  V1: {weight: 80}"), "versions"),
])
def test_an_error_names_the_key_the_file_writes(text, path):
    with pytest.raises(SpecErrors) as exc:
        parse_spec_text(text, "chartgen.yaml")
    paths = [e.path for e in exc.value.errors]
    assert any(p == path or p.startswith(path + ".") for p in paths), paths
    assert not any(p.startswith("istio.versions" if path.startswith("versions") else "versions") for p in paths)


def test_both_spellings_in_one_file_are_refused():
    mixed = NEW.replace("    istio:\n      enabled: true", "    istio:\n      enabled: true\n      versions: {v4: {}}")
    with pytest.raises(SpecErrors) as exc:
        parse_spec_text(mixed, "chartgen.yaml")
    [error] = [e for e in exc.value.errors if e.path == "environments.prod.istio.versions"]
    assert "write versions only" in error.message and error.line is not None


@pytest.mark.parametrize("version", ("4.1.4", "3.17.2"))
def test_checkout_staging_splits_its_http_route_by_the_top_level_versions(version):
    docs = render(helm_binary(version), CHARTS / "checkout", "staging", "checkout-staging")
    route = find(docs, "HTTPRoute", "checkout")
    weights = {b["name"]: b["weight"] for b in route["spec"]["rules"][0]["backendRefs"]}
    assert weights == {"checkout-v1": 80, "checkout-v2": 20}
    assert not [d for d in docs if d["apiVersion"].startswith("networking.istio.io")]
