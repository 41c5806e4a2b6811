"""helm create's values (pod, ServiceAccount, volumes, scheduling, Ingress, HTTPRoute) set from chartgen.yaml, at the
top level and per environment: refused at spec time when wrong, rendered by the real helm when right."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from render_helpers import find, render

from chartgen.core.errors import SpecErrors
from chartgen.generate.engine import generate
from chartgen.generate.writer import write
from chartgen.spec.loader import parse_spec_text

BASE = """
name: demo
blueprint: clusterip
image: {repository: ghcr.io/acme/demo, tag: "1.0.0"}
service:
  ports:
    - {name: http, port: 80, targetPort: 8080}
    - {name: admin, port: 9090, targetPort: 9090}
"""

FULL = BASE + """
imagePullSecrets: [{name: regcred}]
serviceAccount:
  annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/demo"}
podAnnotations: {example.com/owner: payments}
podLabels: {team: payments}
podSecurityContext: {runAsUser: 2000}
volumes:
  - {name: cache, emptyDir: {sizeLimit: 1Gi}}
  - {name: certs, secret: {secretName: demo-certs}}
  - {name: settings, configMap: {name: demo-settings}}
  - {name: shared, persistentVolumeClaim: {claimName: shared-data}}
  - name: bundle
    projected: {sources: [{secret: {name: demo-certs}}, {configMap: {name: demo-settings}}]}
volumeMounts:
  - {name: cache, mountPath: /cache}
  - {name: certs, mountPath: /etc/certs, readOnly: true}
nodeSelector: {kubernetes.io/os: linux}
tolerations: [{key: dedicated, operator: Equal, value: web, effect: NoSchedule}]
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution: []
topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule}]
environments:
  dev:
    ingress:
      enabled: true
      className: nginx
      annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 8m}
      hosts: [{host: demo.dev.example.com, paths: [{path: /, port: http}, {path: /admin, pathType: Exact, port: 9090}]}]
      tls: [{secretName: demo-tls, hosts: [demo.dev.example.com]}]
  staging:
    serviceAccount: {annotations: {iam.gke.io/gcp-service-account: demo@proj.iam.gserviceaccount.com}}
    httpRoute:
      enabled: true
      parentRefs: [{name: public, namespace: gateway-system, sectionName: https}]
      hostnames: [demo.staging.example.com]
      port: http
      rules: [{matches: [{path: {type: PathPrefix, value: /api}}]}]
  prod:
    nodeSelector: {node.example.com/pool: web}
"""


def spec(text: str):
    return parse_spec_text(textwrap.dedent(text), "charts/demo/chartgen.yaml")


def errors_of(text: str) -> list[str]:
    with pytest.raises(SpecErrors) as info:
        spec(text)
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize(("extra", "path", "allowed"), [
    ("imagePullSecrets: [regcred]", "imagePullSecrets[0]", "wrong type"),
    ("serviceAccount: {create: maybe}", "serviceAccount.create", "wrong type"),
    ("podSecurityContext: {runAsUser: -1}", "podSecurityContext.runAsUser", "0-2147483647"),
    ("securityContext: {readOnly: true}", "securityContext", "allowPrivilegeEscalation"),
    ("volumes: [{name: x, hostPath: {path: /}}]", "volumes[0]", "unknown field(s) 'hostPath'"),
    ("volumes: [{name: x}]", "volumes[0]", "allowed: exactly 2 of configMap, csi, emptyDir, ephemeral, name"),
    ("volumes: [{name: x, emptyDir: {}}]\nvolumeMounts: [{name: y, mountPath: /y}]", "volumeMounts[0].name",
     "allowed: x"),
    ("volumes: [{name: tmp, emptyDir: {}}]", "volumes[0].name", "chartgen's own volume"),
    ("volumeMounts: [{name: x, mountPath: relative}]", "volumeMounts[0].mountPath", "does not match ^/"),
    ("tolerations: [{key: a, operator: Maybe}]", "tolerations[0].operator", "allowed: Exists, Equal"),
    ("topologySpreadConstraints: [{maxSkew: 0, topologyKey: k, whenUnsatisfiable: DoNotSchedule}]",
     "topologySpreadConstraints[0].maxSkew", ">= 1"),
    ("topologySpreadConstraints: [{maxSkew: 2, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: "
     "ScheduleAnyway}, {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway}]",
     "topologySpreadConstraints[1]", "duplicates topologySpreadConstraints[0]"),
    ("ingress: {enabled: true}", "ingress.hosts", "at least one host"),
    ("ingress: {enabled: true, hosts: [{host: a.example.com, paths: [{path: /, port: grpc}]}]}",
     "ingress.hosts[0].paths[0].port", "allowed: 80, 9090, http, admin"),
    ("ingress: {enabled: true, hosts: [{host: a.example.com, paths: [{path: /, pathType: Glob}]}]}",
     "ingress.hosts[0].paths[0].pathType", "allowed: Prefix, Exact, ImplementationSpecific"),
    ("httpRoute: {enabled: true}", "httpRoute.parentRefs", "at least one parentRef"),
    ("httpRoute: {enabled: true, parentRefs: [{name: gw}], port: 81}", "httpRoute.port", "names no Service port"),
    ("httpRoute: {rules: [{matches: [{method: FETCH}]}]}", "httpRoute.rules[0].matches[0].method", "allowed: GET"),
])
def test_bad_setting_is_refused_with_path_and_what_is_allowed(extra, path, allowed):
    errs = errors_of(BASE + extra)
    assert any("charts/demo/chartgen.yaml:" in e and f" {path}: " in e and allowed in e for e in errs), errs


def test_environment_setting_is_refused_at_its_environment_path():
    errs = errors_of(BASE + "environments:\n  prod:\n    ingress: {enabled: true}\n")
    assert len(errs) == 1 and "environments.prod.ingress.hosts:" in errs[0], errs


@pytest.fixture(scope="module")
def chart(tmp_path_factory):
    root = tmp_path_factory.mktemp("charts") / "demo"  # the release is named after the folder
    root.mkdir()
    text = textwrap.dedent(FULL)
    (root / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(root / "chartgen.yaml"))), root)
    return root


def test_values_carry_the_settings_per_environment(chart):
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert values["imagePullSecrets"] == [{"name": "regcred"}]
    assert values["podSecurityContext"]["runAsUser"] == 2000
    assert values["podSecurityContext"]["runAsNonRoot"] is True  # hardened defaults stay under an override
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    dev = yaml.safe_load((chart / "values-dev.yaml").read_text())
    assert dev["ingress"]["enabled"] is True and "httpRoute" not in dev
    schema = (chart / "values.schema.json").read_text()
    assert '"persistentVolumeClaim"' in schema and '"NoExecute"' in schema
    readme = (chart / "README.md").read_text()
    assert "`ingress.hosts`" in readme and "`serviceAccount.annotations`" in readme


def test_pod_settings_render_through_helm(helm, chart):
    docs = render(helm, chart, "prod", "payments")
    pod = find(docs, "Deployment")["spec"]["template"]
    spec = pod["spec"]
    assert pod["metadata"]["annotations"]["example.com/owner"] == "payments"
    assert pod["metadata"]["labels"]["team"] == "payments"
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert spec["securityContext"]["runAsUser"] == 2000 and spec["securityContext"]["runAsNonRoot"] is True
    assert [v["name"] for v in spec["volumes"]] == ["tmp", "cache", "certs", "settings", "shared", "bundle"]
    assert spec["volumes"][5]["projected"]["sources"][0] == {"secret": {"name": "demo-certs"}}
    mounts = spec["containers"][0]["volumeMounts"]
    assert {"name": "certs", "mountPath": "/etc/certs", "readOnly": True} in mounts
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux", "node.example.com/pool": "web"}
    assert spec["tolerations"][0]["effect"] == "NoSchedule"
    assert "podAntiAffinity" in spec["affinity"]
    explicit = [c for c in spec["topologySpreadConstraints"] if c["whenUnsatisfiable"] == "DoNotSchedule"]
    assert explicit[0]["labelSelector"]["matchLabels"]["app.kubernetes.io/name"] == "demo"
    sa = find(docs, "ServiceAccount")
    assert sa["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/demo"}
    assert not [d for d in docs if d["kind"] in ("Ingress", "HTTPRoute")]


def test_ingress_renders_in_dev_only(helm, chart):
    ing = find(render(helm, chart, "dev", "web"), "Ingress")
    assert ing["metadata"]["namespace"] == "web"
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["spec"]["tls"] == [{"secretName": "demo-tls", "hosts": ["demo.dev.example.com"]}]
    paths = ing["spec"]["rules"][0]["http"]["paths"]
    assert paths[0]["backend"]["service"] == {"name": "demo", "port": {"name": "http"}}
    assert paths[0]["pathType"] == "Prefix"
    assert paths[1]["backend"]["service"]["port"] == {"number": 9090} and paths[1]["pathType"] == "Exact"


def test_http_route_renders_in_staging(helm, chart):
    docs = render(helm, chart, "staging", "web")
    route = find(docs, "HTTPRoute")
    assert route["spec"]["parentRefs"] == [{"name": "public", "namespace": "gateway-system", "sectionName": "https"}]
    assert route["spec"]["hostnames"] == ["demo.staging.example.com"]
    rule = route["spec"]["rules"][0]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/api"}}]
    assert rule["backendRefs"] == [{"name": "demo", "port": 80}]  # the port name resolved to its number
    sa = find(docs, "ServiceAccount")
    assert "iam.gke.io/gcp-service-account" in sa["metadata"]["annotations"]


@pytest.mark.parametrize("blueprint", ["headless", "externalname"])
def test_traffic_settings_on_a_blueprint_without_them_are_refused(blueprint):
    text = BASE.replace("blueprint: clusterip", f"blueprint: {blueprint}") + \
        "environments:\n  prod:\n    ingress: {enabled: true, hosts: [{host: a.example.com}]}\n"
    if blueprint == "externalname":
        text = text.replace("service:\n", "service:\n  externalName: db.example.com\n")
    errs = errors_of(text)
    assert any(" environments.prod.ingress: not available with blueprint" in e and
               "allowed with: clusterip, loadbalancer, nodeport" in e for e in errs), errs


def test_policy_waivers_from_the_spec(helm, tmp_path):
    text = textwrap.dedent(BASE) + textwrap.dedent("""
        policyWaivers:
          CKV_K8S_35: "The app reads credentials from env (12-factor); the Secrets are encrypted at rest"
        environments:
          prod:
            policyWaivers: {CKV_K8S_15: null}
        """)
    chart = tmp_path / "demo"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(chart / "chartgen.yaml"))), chart)
    annotations = find(render(helm, chart, "prod", "web"), "Deployment")["metadata"]["annotations"]
    waived = sorted(v.split("=")[0] for k, v in annotations.items() if k.startswith("checkov.io/skip"))
    assert waived == ["CKV_K8S_35", "CKV_K8S_43"]
    assert errors_of(BASE + "policyWaivers: {CKV_K8S_35: short}") == [
        "charts/demo/chartgen.yaml:9: policyWaivers.CKV_K8S_35: 'short' is shorter than 10 characters"]


@pytest.mark.parametrize("extra, path, message", [
    ("dnsPolicy: None\n", "dnsConfig.nameservers", "dnsPolicy None needs at least one nameserver"),
    ("dnsPolicy: None\ndnsConfig: {nameservers: [dns.example.com]}\n", "dnsConfig.nameservers[0]",
     "'dns.example.com' is not an IP address"),
    ("hostAliases: [{ip: gateway, hostnames: [a.example.com]}]\n", "hostAliases[0].ip", "'gateway' is not an IP"),
    ("dnsPolicy: ClusterFirstWithHostnet\n", "dnsPolicy", "ClusterFirstWithHostNet"),
    ("dnsConfig: {nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9, 1.0.0.1]}\n", "dnsConfig.nameservers", "3"),
])
def test_dns_settings_the_api_server_refuses_are_one_line(extra, path, message):
    errors = errors_of(BASE + extra)
    assert len(errors) == 1 and f": {path}: " in errors[0] and message in errors[0], errors


@pytest.mark.parametrize("env, expected", [
    ("dev", {"hostAliases": [{"ip": "10.20.0.15", "hostnames": ["payments-sandbox.acme.internal"]}],
             "dnsConfig": {"options": [{"name": "ndots", "value": "2"}]}}),
    ("staging", {"dnsPolicy": "ClusterFirst", "dnsConfig": {"options": [{"name": "ndots", "value": "2"}]}}),
    ("prod", {"dnsConfig": {"options": [{"name": "ndots", "value": "2"}]}}),
])
def test_checkout_renders_its_dns_settings_per_environment(helm, env, expected):
    from support import CHARTS

    namespace = {"dev": "checkout-dev", "staging": "checkout-staging", "prod": "checkout"}[env]
    deployments = [d for d in render(helm, CHARTS / "checkout", env, namespace) if d["kind"] == "Deployment"]
    assert deployments
    for d in deployments:
        pod = d["spec"]["template"]["spec"]
        assert {k: pod[k] for k in ("hostAliases", "dnsPolicy", "dnsConfig") if k in pod} == expected


@pytest.mark.parametrize("extra, path, message", [
    ("securityContext: {privileged: true}\n", "securityContext.privileged", "needs allowPrivilegeEscalation: true"),
    ("environments:\n  prod:\n    securityContext: {privileged: true}\n",
     "environments.prod.securityContext.privileged", "needs allowPrivilegeEscalation: true"),
    ("securityContext: {capabilities: {add: [SYS_ADMIN]}}\n", "securityContext.capabilities.add",
     "SYS_ADMIN needs allowPrivilegeEscalation: true"),
    ("sidecars: [{name: tool, image: busybox:1.36, securityContext: {privileged: true}}]\n",
     "sidecars[0].securityContext.privileged", "needs allowPrivilegeEscalation: true"),
])
def test_a_privileged_override_over_the_hardened_defaults_is_refused(extra, path, message):
    # The hardened default sets allowPrivilegeEscalation: false; privileged (or SYS_ADMIN) over it renders a pod
    # the API server refuses (validation.go: "cannot set `allowPrivilegeEscalation` to false and `privileged` to
    # true"), so generate must refuse it in one line instead of writing the chart.
    errors = errors_of(BASE + extra)
    assert len(errors) == 1 and f": {path}: " in errors[0] and message in errors[0], errors


def test_privileged_with_escalation_allowed_renders_what_check_accepts(helm, tmp_path):
    text = BASE + "securityContext: {privileged: true, allowPrivilegeEscalation: true, runAsNonRoot: false}\n"
    chart = tmp_path / "demo"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(chart / "chartgen.yaml"))), chart)
    for env in ("dev", "staging", "prod"):
        context = find(render(helm, chart, env, "web"), "Deployment")["spec"]["template"]["spec"]["containers"][0][
            "securityContext"]
        assert context["privileged"] is True and context["allowPrivilegeEscalation"] is True, (env, context)
