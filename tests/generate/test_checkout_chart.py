"""The checkout example: a realistic service generated from generated-charts/checkout/chartgen.yaml, rendered by
both helms; its prod render passes `chartgen check --profile prod` with no finding."""

from __future__ import annotations

import pytest
import yaml
from render_helpers import KUBE_VERSION, find, render
from support import CHARTS
from typer.testing import CliRunner

from chartgen.cli import app

CHART = CHARTS / "checkout"


def kinds(docs):
    return sorted({d["kind"] for d in docs})


def test_dev_has_an_ingress_and_no_traffic_split(helm):
    docs = render(helm, CHART, "dev", "checkout-dev")
    ing = find(docs, "Ingress")
    assert ing["spec"]["rules"][0]["host"] == "checkout.dev.example.com"
    assert ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": "checkout", "port": {"name": "http"}}
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"] == ["checkout"]
    assert not [d for d in docs if d["kind"] in ("HTTPRoute", "VirtualService")]


def test_staging_splits_80_20_with_gateway_api(helm):
    docs = render(helm, CHART, "staging", "checkout-staging")
    route = find(docs, "HTTPRoute")
    assert [(b["name"], b["weight"]) for b in route["spec"]["rules"][0]["backendRefs"]] == [
        ("checkout-v1", 80), ("checkout-v2", 20)]
    assert find(docs, "Deployment", "checkout-v2")["spec"]["replicas"] == 1
    assert not [d for d in docs if d["apiVersion"].startswith(("networking.istio.io", "security.istio.io"))]


def test_prod_is_an_istio_canary_with_every_production_feature(helm):
    docs = render(helm, CHART, "prod", "checkout")
    vs = find(docs, "VirtualService")
    split = {r["destination"]["subset"]: r["weight"] for r in vs["spec"]["http"][-1]["route"]}
    assert split == {"v1": 90, "v2": 10}
    hpas = [d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    assert hpas == ["checkout-v1"]  # the 1-replica canary is not scaled to the prod minimum
    pod = find(docs, "Deployment", "checkout-v1")["spec"]["template"]
    spec = pod["spec"]
    assert "checksum/config" in pod["metadata"]["annotations"]
    assert spec["priorityClassName"] == "business-critical"
    assert [c["name"] for c in spec["initContainers"]] == ["migrate", "otel-agent"]
    assert spec["initContainers"][1]["restartPolicy"] == "Always"
    env = {e["name"]: e for e in spec["containers"][0]["env"]}
    assert env["STRIPE_API_KEY_FILE"]["value"] == "/var/run/secrets/checkout/stripe/api-key"
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["stripe"]["secret"] == {"secretName": "checkout-stripe", "defaultMode": 0o440}
    assert {"name": "stripe", "mountPath": "/var/run/secrets/checkout/stripe", "readOnly": True} in \
        spec["containers"][0]["volumeMounts"]
    assert spec["initContainers"][0]["volumeMounts"][0]["name"] == "db-credentials"
    assert find(docs, "ServiceAccount")["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/checkout"}
    assert find(docs, "ConfigMap", "checkout-config")["data"]["PAYMENT_TIMEOUT_MS"] == "3000"
    assert all(d["metadata"]["namespace"] == "checkout" for d in docs)
    # issue 24's list: env from an existing Secret, imagePullSecrets, a PVC, scheduling (prod's dedicated nodes)
    assert env["SENTRY_DSN"]["valueFrom"] == {"secretKeyRef": {"name": "checkout-sentry", "key": "dsn"}}
    assert spec["imagePullSecrets"] == [{"name": "ghcr-pull"}]
    assert volumes["receipts"]["persistentVolumeClaim"] == {"claimName": "checkout-receipts"}
    assert {"name": "receipts", "mountPath": "/var/lib/checkout/receipts"} in spec["containers"][0]["volumeMounts"]
    assert spec["nodeSelector"] == {"node-pool": "payments"}
    assert spec["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "payments",
                                    "effect": "NoSchedule"}]


def test_no_secret_value_in_any_values_file():
    for f in CHART.glob("values*.yaml"):
        data = yaml.safe_load(f.read_text()) or {}
        for name, value in (data.get("env") or {}).items():
            assert isinstance(value, dict) or name.endswith("_FILE") or "PASSWORD" not in name, (f.name, name)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert [v["secret"]["secretName"] for v in values["volumes"] if "secret" in v] == ["checkout-db", "checkout-stripe"]
    assert values["env"]["SENTRY_DSN"] == {"secretKeyRef": {"name": "checkout-sentry", "key": "dsn"}}


@pytest.mark.parametrize("api", [False, True], ids=["plain", "with-servicemonitor-api"])
def test_prod_render_passes_check_with_the_prod_profile(helm, tmp_path, api):
    extra = ["--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"] if api else []
    res = helm.run("template", "checkout", str(CHART), "-n", "checkout", "--kube-version", KUBE_VERSION, "-f",
                   str(CHART / "values-prod.yaml"), *extra)
    assert res.ok, res.message
    out = tmp_path / "prod.yaml"
    out.write_text(res.stdout)
    docs = [d for d in yaml.safe_load_all(res.stdout) if d]
    assert ("ServiceMonitor" in kinds(docs)) is api
    result = CliRunner().invoke(app, ["check", str(out), "--profile", "prod", "--severity", "warning"])
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_values_schema_and_check_catch_what_a_values_override_breaks(helm, tmp_path):
    base = ["template", "checkout", str(CHART), "-n", "checkout-dev", "--kube-version", KUBE_VERSION, "-f",
            str(CHART / "values-dev.yaml")]
    res = helm.run(*base, "--set", "ingress.hosts[0].host=checkout.dev.example.com",
                   "--set", "ingress.hosts[0].paths[0].path=/", "--set", "ingress.hosts[0].paths[0].pathType=Glob")
    assert not res.ok and "pathType" in res.message  # values.schema.json: the enum
    res = helm.run(*base, "--set", "ingress.hosts[0].host=checkout.dev.example.com",
                   "--set", "ingress.hosts[0].paths[0].path=/", "--set", "ingress.hosts[0].paths[0].port=admin")
    assert res.ok, res.message
    out = tmp_path / "dev.yaml"
    out.write_text(res.stdout)
    result = CliRunner().invoke(app, ["check", str(out)])
    assert result.exit_code == 1 and "CG-X-010" in result.output and "'admin'" in result.output
