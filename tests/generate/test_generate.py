"""spec -> blueprints -> Jinja engine -> file tree -> writer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from support import CHARTS, REPO, chart_dirs
from typer.testing import CliRunner

from chartgen.cli import app
from chartgen.generate.engine import generate
from chartgen.generate.writer import LOCK_FILE
from chartgen.spec.blueprints import BlueprintLibrary
from chartgen.spec.loader import load_spec, parse_spec_text

runner = CliRunner()

NEW_ARGS = ["new", "user-api", "--type", "clusterip", "--image", "ghcr.io/acme/user-api:1.4.2", "--port", "80",
            "--target-port", "8080", "--no-input"]

EXPECTED_FILES = {
    "Chart.yaml", "values.yaml", "values-dev.yaml", "values-staging.yaml", "values-prod.yaml",
    "values.schema.json", ".helmignore", "README.md", "chartgen.yaml", LOCK_FILE,
    "templates/_helpers.tpl", "templates/deployment.yaml", "templates/service.yaml",
    "templates/serviceaccount.yaml", "templates/NOTES.txt", "templates/tests/test-connection.yaml",
}


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_new_creates_complete_chart(tmp_path):
    res = runner.invoke(app, NEW_ARGS + ["--output", str(tmp_path / "charts")])
    assert res.exit_code == 0, res.output
    chart = tmp_path / "charts" / "user-api"
    assert EXPECTED_FILES <= set(files_under(chart))
    chart_yaml = yaml.safe_load((chart / "Chart.yaml").read_text())
    assert chart_yaml["apiVersion"] == "v2" and chart_yaml["name"] == "user-api"
    assert chart_yaml["appVersion"] == "1.4.2"
    spec = load_spec(chart)
    assert spec.defaults.service.ports[0].target_port == 8080
    assert "chartgen.yaml" in (chart / ".helmignore").read_text().splitlines()


def test_generation_is_deterministic(tmp_path):
    spec = load_spec(CHARTS / "webapp")
    first = dict(generate(spec))
    second = dict(generate(load_spec(CHARTS / "webapp")))
    assert first == second
    # and on disk: regenerating writes byte-identical files
    shutil.copytree(CHARTS / "webapp", tmp_path / "webapp")
    before = files_under(tmp_path / "webapp")
    assert runner.invoke(app, ["generate", str(tmp_path / "webapp")]).exit_code == 0
    assert files_under(tmp_path / "webapp") == before


def test_helm_templates_pass_through_verbatim():
    tree = generate(load_spec(CHARTS / "user-api"))
    service = tree["templates/service.yaml"]
    assert '{{ include "user-api.fullname" . }}' in service
    assert "[[" not in service and "[%" not in service
    for path, text in tree:
        assert "[[" not in text and "[%" not in text, path


def test_namespace_only_from_the_helper_and_one_resource_per_file():
    for chart in chart_dirs():
        for path, text in generate(load_spec(chart)):
            if path.startswith("templates/") and path.endswith(".yaml"):
                for line in text.splitlines():  # every namespace comes from the helper, never a literal
                    if "namespace:" in line and "matchLabels" not in line:
                        assert line.strip() == f'namespace: {{{{ include "{chart.name}.namespace" $ }}}}', \
                            f"{chart.name}/{path}: {line}"
                assert text.count("\nkind: ") + text.startswith("kind: ") <= 1, f"{chart.name}/{path}"


def test_values_files_never_contain_document_separators():
    for chart in chart_dirs():
        for values in chart.glob("values*.yaml"):
            assert "\n---" not in values.read_text(), values


@pytest.mark.parametrize("chart", chart_dirs(), ids=lambda p: p.name)
def test_committed_chart_is_up_to_date_with_its_spec(chart):
    res = runner.invoke(app, ["generate", str(chart), "--check"])
    assert res.exit_code == 0, f"{chart.name} is out of date; run `chartgen generate {chart}`:\n{res.output}"


def test_check_reports_drift_and_writes_nothing(tmp_path):
    shutil.copytree(CHARTS / "user-api", tmp_path / "user-api")
    chart = tmp_path / "user-api"
    spec_text = (chart / "chartgen.yaml").read_text().replace('tag: "1.4.2"', 'tag: "1.5.0"')
    (chart / "chartgen.yaml").write_text(spec_text)
    before = files_under(chart)
    res = runner.invoke(app, ["generate", str(chart), "--check"])
    assert res.exit_code == 1
    assert "values.yaml: out of date" in res.output and "Chart.yaml: out of date" in res.output
    assert files_under(chart) == before


def test_user_edited_file_is_never_silently_overwritten(tmp_path):
    shutil.copytree(CHARTS / "user-api", tmp_path / "user-api")
    chart = tmp_path / "user-api"
    (chart / "templates" / "service.yaml").write_text("# my own service\n")
    spec_text = (chart / "chartgen.yaml").read_text().replace('tag: "1.4.2"', 'tag: "1.5.0"')
    (chart / "chartgen.yaml").write_text(spec_text)
    # chartgen's service.yaml did not change: the edit stands, the rest is regenerated
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 0, res.output
    assert (chart / "templates" / "service.yaml").read_text() == "# my own service\n"
    assert yaml.safe_load((chart / "values.yaml").read_text())["image"]["tag"] == "1.5.0"
    # without a record of what chartgen last wrote there is nothing to merge with: refuse, write nothing
    shutil.rmtree(chart / ".chartgen")
    (chart / "chartgen.yaml").write_text(spec_text.replace('"1.5.0"', '"1.6.0"'))
    before = files_under(chart)
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2
    assert "templates/service.yaml" in res.output and "refusing to overwrite" in res.output
    assert files_under(chart) == before  # nothing written, not even the unconflicted files
    res = runner.invoke(app, ["generate", str(chart), "--force"])
    assert res.exit_code == 0
    assert "# my own service" not in (chart / "templates" / "service.yaml").read_text()
    assert yaml.safe_load((chart / "values.yaml").read_text())["image"]["tag"] == "1.6.0"


def test_unknown_file_in_the_way_is_a_conflict(tmp_path):
    shutil.copytree(CHARTS / "user-api", tmp_path / "user-api")
    chart = tmp_path / "user-api"
    (chart / LOCK_FILE).unlink()
    (chart / "values.yaml").write_text("replicaCount: 9\n")
    res = runner.invoke(app, ["generate", str(chart)])
    assert res.exit_code == 2 and "not written by chartgen" in res.output


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["new", "User-API", "--image", "r/x:1", "--no-input"], "name"),
        (["new", "user-api", "--image", "r/x:1", "--port", "70000", "--no-input"], "port"),
        (["new", "user-api", "--no-input"], "image"),
        (["new", "user-api", "--image", "r/x:latest", "--no-input"], "image.tag"),
        (["new", "web", "--type", "nodeport", "--image", "r/x:1", "--no-input", "--port", "99999"], "port"),
    ],
)
def test_bad_new_exits_2_with_one_line_and_leaves_nothing(tmp_path, args, field):
    res = runner.invoke(app, args + ["--output", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    lines = [l for l in res.output.splitlines() if l.strip()]
    assert len(lines) == 1 and f"{field}:" in lines[0], res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_new_refuses_existing_folder(tmp_path):
    (tmp_path / "user-api").mkdir()
    (tmp_path / "user-api" / "mine.txt").write_text("x")
    res = runner.invoke(app, NEW_ARGS + ["--output", str(tmp_path)])
    assert res.exit_code == 2 and "already exists" in res.output
    assert [p.name for p in (tmp_path / "user-api").iterdir()] == ["mine.txt"]


def test_new_prompts_for_missing_answers_with_cookiecutter(tmp_path):
    # name, type (choice 2 = nodeport), image, port, target port, istio (no)
    answers = "\n".join(["shop", "2", "ghcr.io/acme/shop:2.0.0", "8080", "8081", "n"]) + "\n"
    res = runner.invoke(app, ["new", "--output", str(tmp_path)], input=answers)
    assert res.exit_code == 0, res.output
    spec = load_spec(tmp_path / "shop")
    assert spec.blueprint.name == "nodeport"
    assert spec.defaults.service.ports[0].port == 8080
    assert spec.defaults.service.ports[0].target_port == 8081


def test_a_new_blueprint_is_a_folder_not_python(tmp_path):
    """Copy the library, add a blueprint folder, and generate with it: no engine change needed."""
    lib_root = tmp_path / "blueprints"
    shutil.copytree(REPO / "blueprints", lib_root)
    new_bp = lib_root / "service" / "metrics"
    (new_bp / "files" / "templates").mkdir(parents=True)
    (new_bp / "blueprint.yaml").write_text(
        "kind: service\nname: metrics\ndescription: ClusterIP plus a ServiceMonitor.\nserviceType: ClusterIP\n"
        "workload: Deployment\nuses: [base, workload/deployment, service/common]\n")
    (new_bp / "files" / "templates" / "servicemonitor.yaml.j2").write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n"
        "  name: {{ include \"[[ chart ]].fullname\" . }}\n")
    lib = BlueprintLibrary(lib_root)
    spec = parse_spec_text((CHARTS / "redis-cache" / "chartgen.yaml").read_text().replace(
        "blueprint: clusterip", "blueprint: metrics"), "chartgen.yaml", lib)  # a chart without Istio
    tree = generate(spec, lib)
    assert "templates/servicemonitor.yaml" in tree
    assert '{{ include "redis-cache.fullname" . }}' in tree["templates/servicemonitor.yaml"]
    assert "templates/deployment.yaml" in tree


def test_externalname_chart_has_no_workload():
    tree = generate(load_spec(CHARTS / "external-postgres"))
    assert not any(p in tree for p in ("templates/deployment.yaml", "templates/serviceaccount.yaml",
                                       "templates/tests/test-connection.yaml"))
    assert "templates/service.yaml" in tree


def test_every_value_is_documented_in_the_chart_readme():
    for chart in chart_dirs():
        readme = (chart / "README.md").read_text()
        values = yaml.safe_load((chart / "values.yaml").read_text())
        for key in values:
            assert f"`{key}" in readme, f"{chart.name}: {key} missing from README"


def _uncommented_keys(text: str) -> list[str]:
    """Dotted paths of mapping keys (outside lists) with no `# ...` comment on the line above."""
    lines = text.splitlines()
    missing: list[str] = []

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                p = f"{path}.{key.value}" if path else key.value
                above = lines[key.start_mark.line - 1].strip() if key.start_mark.line else ""
                if not above.startswith("#"):
                    missing.append(p)
                walk(value, p)

    walk(yaml.compose(text), "")
    return missing


def _declared(schema: dict, path: str) -> bool:
    """True when values.schema.json declares this key (free-form maps such as resources or a probe are documented
    once, at their own key: Kubernetes defines what goes inside them)."""
    node = schema
    for part in path.split("."):
        props = node.get("properties") or {}
        if part not in props:
            return False
        node = props[part]
    return True


@pytest.mark.parametrize("chart", chart_dirs(), ids=lambda p: p.name)
def test_every_key_of_every_values_file_is_commented(chart):
    import json

    schema = json.loads((chart / "values.schema.json").read_text())
    for values in sorted(chart.glob("values*.yaml")):
        missing = [k for k in _uncommented_keys(values.read_text()) if _declared(schema, k)]
        assert missing == [], values.name


def test_new_externalname_needs_no_image(tmp_path):
    res = runner.invoke(app, ["new", "external-db", "--type", "externalname", "--external-name", "db.example.com",
                              "--port", "5432", "--no-input", "--output", str(tmp_path)])
    assert res.exit_code == 0, res.output
    spec_text = (tmp_path / "external-db" / "chartgen.yaml").read_text()
    assert "image:" not in spec_text
    spec = load_spec(tmp_path / "external-db")
    assert spec.defaults.service.external_name == "db.example.com"
    assert not (tmp_path / "external-db" / "templates" / "deployment.yaml").exists()
