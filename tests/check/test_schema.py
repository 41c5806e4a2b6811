"""Layer "schema": strict Kubernetes JSON schemas, version choice, unknown kinds, and the fast validity screen."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from chartgen.check import schema
from chartgen.check.loader import load_paths, load_text
from chartgen.check.model import CheckOptions, ManifestIndex, Severity
from chartgen.check.registry import all_rules
from chartgen.check.runner import load_rule_modules

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: nginx:1.27
          ports: [{name: http, containerPort: 8080}]
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 1}}
"""


def test_valid_deployment_has_no_schema_findings(check):
    assert [f for f in check(DEPLOYMENT) if f.rule.startswith("CG-SCHEMA")] == []


@pytest.mark.parametrize("old, new, field, hint_part", [
    ("replicas: 2", "replicas: '2'", "spec.replicas", "remove the quotes"),
    ("- name: app", "- nmae: app", "spec.template.spec.containers[0].nmae", "'name'"),
    ("- name: app", "- image2: x", "spec.template.spec.containers[0].name", "add name"),
    ("maxUnavailable: 1", "maxUnavailable: 1.5", "spec.strategy.rollingUpdate.maxUnavailable", "25%"),
    ("image: nginx:1.27", "image: nginx:1.27\n          imagePullPolicy: yes", "spec.template.spec.containers[0]"
     ".imagePullPolicy", "booleans"),
    ("selector: {matchLabels: {app: web}}", "selector: [app]", "spec.selector", "mapping"),
])
def test_schema_violation_names_field_and_hint(check, old, new, field, hint_part):
    assert old in DEPLOYMENT
    found = check(DEPLOYMENT.replace(old, new), rule="CG-SCHEMA-001")
    assert field in [f.field for f in found], found
    finding = next(f for f in found if f.field == field)
    assert finding.severity == Severity.ERROR
    assert finding.message.startswith("Deployment web: ")
    assert hint_part in finding.hint


def test_every_error_is_reported_with_its_line(check):
    text = DEPLOYMENT.replace("replicas: 2", "replicas: two\n  paused: maybe\n  bogus: 1")
    found = check(text, rule="CG-SCHEMA-001")
    assert {(f.field, f.line) for f in found} == {("spec.replicas", 5), ("spec.paused", 6), ("spec.bogus", 7)}


@pytest.mark.parametrize("value", ["null", "~"])
def test_null_int_or_string_and_quantity_are_accepted(check, value):
    text = DEPLOYMENT.replace("maxSurge: 25%", f"maxSurge: {value}").replace("cpu: 100m", f"cpu: {value}")
    assert check(text, rule="CG-SCHEMA-001") == []


def test_schema_misses_service_semantics_that_api_rules_catch(check):
    """The reference's example: strict schema validation alone passes it."""
    text = """\
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      type: Banana
      ports: [{name: Web_Bad, port: 80, nodePort: 99999, protocol: FOO}, {port: 81}]
    """
    assert check(text, rule="CG-SCHEMA-001") == []


def test_unknown_kind_gets_one_info_per_kind(check):
    route = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r{}}}\n"
    found = check("---\n".join(route.format(i) for i in range(3)), rule="CG-SCHEMA-002")
    assert len(found) == 1
    assert found[0].severity == Severity.INFO
    assert "HTTPRoute" in found[0].message and "3 documents" in found[0].message


def test_istio_kinds_are_left_to_the_istio_schema_module(check):
    text = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: {bogusField: 1}\n"
    assert [f for f in check(text) if f.rule in ("CG-SCHEMA-001", "CG-SCHEMA-002", "CG-SCHEMA-003")] == []


@pytest.mark.parametrize("api_version, kind, kube, fires, hint_part", [
    ("policy/v1beta1", "PodDisruptionBudget", "1.31", True, "policy/v1"),
    ("policy/v1", "PodDisruptionBudget", "1.31", False, ""),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.25", False, ""),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", True, "autoscaling/v2"),
    ("extensions/v1beta1", "Ingress", "1.31", True, "networking.k8s.io/v1"),
    ("apps/v1", "Deploymnt", "1.31", True, "did you mean kind Deployment"),
    ("policy/v1beta1", "PodSecurityPolicy", "1.31", True, "not served in any API group"),
    ("v1", "Widget", "1.31", True, "not served"),
])
def test_cg_schema_003_unserved_api_versions(check, api_version, kind, kube, fires, hint_part):
    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n"
    found = check(text, rule="CG-SCHEMA-003", kube_version=kube)
    assert bool(found) is fires
    if fires:
        assert found[0].severity == Severity.ERROR and found[0].field == "apiVersion"
        assert hint_part in found[0].hint
    assert check(text, rule="CG-SCHEMA-002", kube_version=kube) == []  # a built-in group is never "a CRD"


def test_version_choice():
    assert schema.choose_version("1.31").directory == "v1.31.0-local-strict"
    assert schema.choose_version("v1.31.4").exact
    older = schema.choose_version("1.20")
    assert (older.exact, older.used, older.newer_than_bundled) == (False, min(schema.available_versions()), False)
    newer = schema.choose_version("1.99")
    assert (newer.exact, newer.used, newer.newer_than_bundled) == (False, max(schema.available_versions()), True)


@pytest.mark.parametrize("text", ["banana", "1", "", "1.x"])
def test_invalid_kube_version_is_rejected(text):
    with pytest.raises(ValueError, match="invalid Kubernetes version"):
        schema.parse_kube_version(text)


def test_fallback_version_is_reported_once_as_info(check):
    found = check(DEPLOYMENT + "---\n" + DEPLOYMENT.replace("name: web", "name: web2"), rule="CG-SCHEMA-004",
                  kube_version="1.99")
    assert len(found) == 1 and found[0].severity == Severity.INFO and found[0].resource is None
    assert "1.99" in found[0].message
    assert check(DEPLOYMENT, rule="CG-SCHEMA-004", kube_version="1.31") == []


def test_unserved_api_is_only_a_warning_when_the_version_is_newer_than_the_bundled_schemas(check):
    text = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: x}\n"
    (finding,) = check(text, rule="CG-SCHEMA-003", kube_version="1.99")
    assert finding.severity == Severity.WARNING


def test_schemas_and_validators_are_built_once():
    directory = schema.choose_version("1.31").directory
    schemas = schema.schemas_for(directory)
    assert schema.schemas_for(directory) is schemas
    name = schemas.definition_name("v1", "Service")
    assert name == "io.k8s.api.core.v1.Service"
    assert schemas.validator(name) is schemas.validator(name)
    assert schemas.screen(name) is schemas.screen(name)


def _mutations(obj: dict) -> list[dict]:
    """Broken variants of a valid object: wrong types, unknown fields, missing required fields."""
    out = []
    for path, change in [
        (("spec",), lambda d: d.update(bogus=1)),
        (("spec",), lambda d: d.update(replicas="2")),
        (("spec", "template", "spec", "containers", 0), lambda d: d.pop("name")),
        (("spec", "template", "spec", "containers", 0), lambda d: d.update(ports="8080")),
        (("spec", "template", "spec", "containers", 0, "ports", 0), lambda d: d.update(containerPort=8080.5)),
        (("spec", "strategy", "rollingUpdate"), lambda d: d.update(maxSurge=[1])),
        (("metadata",), lambda d: d.update(labels={"a": 1})),
    ]:
        clone = copy.deepcopy(obj)
        node = clone
        for key in path:
            node = node[key]
        change(node)
        out.append(clone)
    return out


def test_validity_screen_never_hides_an_error(realworld: Path):
    """The fast screen may only say 'valid' where jsonschema finds no error (corpus + broken variants)."""
    schemas = schema.schemas_for(schema.choose_version("1.31").directory)
    objects = [d.obj for d in load_paths([str(realworld)]) if d.kind]
    objects += _mutations(load_text(DEPLOYMENT)[0].obj)
    checked = 0
    for obj in objects:
        name = schemas.definition_name(obj["apiVersion"], obj["kind"])
        if name is None:
            continue
        full = list(schemas.validator(name).iter_errors(obj))
        assert schemas.screen(name)(obj) is (not full), obj.get("metadata")
        assert len(list(schemas.errors(name, obj))) == len(full)
        checked += 1
    assert checked > 50


def test_thousand_documents_are_checked_without_errors():
    # speed is measured by bench/check.py (ratios in one run), never asserted on the wall clock here
    load_rule_modules()
    parts = []
    for i in range(250):
        parts.append(DEPLOYMENT.replace("name: web", f"name: web-{i}"))
        parts.append(f"apiVersion: v1\nkind: Service\nmetadata: {{name: web-{i}}}\nspec:\n  selector: {{app: web}}\n"
                     "  ports: [{name: http, port: 80, targetPort: http}]\n")
        parts.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg-{i}}}\ndata: {{a: b}}\n")
        parts.append(f"apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa-{i}}}\n")
    text = "---\n".join(parts)
    own = [r for r in all_rules() if r.layer in ("schema", "api")]
    opts = CheckOptions()
    list(schema.schema_violations(ManifestIndex(load_text(DEPLOYMENT)), opts))  # schemas loaded once per process
    docs = load_text(text, "big.yaml")
    index = ManifestIndex(docs)
    findings = [f for r in own for f in r.fn(index, opts)]
    assert len(docs) == 1000
    assert [f for f in findings if f.severity == Severity.ERROR] == []
