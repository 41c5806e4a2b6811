"""CG-NET-*, CG-CFG-*, CG-OBJ-*: NetworkPolicy/Ingress validation, ConfigMaps and Secrets, annotations."""

from __future__ import annotations

import pytest

from chartgen.check.model import Severity


def netpol(rules: str, types: str = "[Ingress]") -> str:
    return f"""\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  policyTypes: {types}
{rules}
"""


def ingress(paths: str, extra: str = "", annotations: str = "{}") -> str:
    return f"""\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: shop, annotations: {annotations}}}
spec:
  ingressClassName: nginx
{extra}
  rules:
  - host: shop.example.com
    http:
      paths:
{paths}
"""


def path(p: str = "/", ptype: str = "Prefix", port: str = "{name: http}") -> str:
    return (f"      - path: {p}\n        pathType: {ptype}\n        backend: {{service: {{name: web, port: {port}}}}}")


def secret(data: str, type_: str = "Opaque", annotations: str = "{}") -> str:
    return f"""\
apiVersion: v1
kind: Secret
metadata: {{name: web, namespace: shop, annotations: {annotations}}}
type: {type_}
{data}
"""


def configmap(data: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: web, namespace: shop}}\n{data}\n"


CASES = {
    "policy type in lower case": (
        "CG-NET-001", netpol("  ingress: []", "[ingress]"), netpol("  ingress: []", "[Ingress, Egress]")),
    "endPort below port": (
        "CG-NET-001", netpol("  ingress: [{ports: [{port: 32000, endPort: 31000}]}]"),
        netpol("  ingress: [{ports: [{port: 31000, endPort: 32000}]}]")),
    "endPort with a named port": (
        "CG-NET-001", netpol("  ingress: [{ports: [{port: http, endPort: 9000}]}]"),
        netpol("  ingress: [{ports: [{port: http}]}]")),
    "cidr without prefix length": (
        "CG-NET-001", netpol("  ingress: [{from: [{ipBlock: {cidr: 10.0.0.1}}]}]"),
        netpol("  ingress: [{from: [{ipBlock: {cidr: 10.0.0.1/32}}]}]")),
    "except equal to cidr": (
        "CG-NET-001", netpol("  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}}]}]"),
        netpol("  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.5.0/24]}}]}]")),
    "empty peer": (
        "CG-NET-001", netpol("  ingress: [{from: [{}]}]"), netpol("  ingress: [{from: [{podSelector: {}}]}]")),
    "Exact path with //": (
        "CG-NET-002", ingress(path("/api//v1", "Exact")), ingress(path("/api/v1", "Exact"))),
    "ImplementationSpecific regex without leading slash": (
        "CG-NET-002", ingress(path("(.*)", "ImplementationSpecific")),
        ingress(path("/api(/|$)(.*)", "ImplementationSpecific"))),
    "backend port number out of range": (
        "CG-NET-002", ingress(path(port="{number: 80800}")), ingress(path(port="{number: 8080}"))),
    "wildcard host in the middle": (
        "CG-NET-002", ingress(path()).replace("host: shop.example.com", "host: shop.*.example.com"),
        ingress(path()).replace("host: shop.example.com", "host: '*.example.com'")),
    "class annotation and ingressClassName": (
        "CG-NET-002", ingress(path(), annotations="{kubernetes.io/ingress.class: nginx}"),
        ingress(path(), annotations="{nginx.ingress.kubernetes.io/rewrite-target: /}")),
    "ConfigMap key in data and binaryData": (
        "CG-CFG-001", configmap("data: {logo: x}\nbinaryData: {logo: iVBORw0KGgo=}"),
        configmap("data: {logo.txt: x}\nbinaryData: {logo.png: iVBORw0KGgo=}")),
    "Secret stringData key with a space": (
        "CG-CFG-001", secret("stringData: {'api key': s3cr3t}"), secret("stringData: {api_key: s3cr3t}")),
    "base64 split over lines is fine": (
        "CG-CFG-001", secret("data: {token: 'not base64!'}"), secret("data: {token: \"c2VjcmV0\\nLXRva2Vu\"}")),
    "dockerconfigjson that is not JSON": (
        "CG-CFG-002", secret("data: {.dockerconfigjson: bm90IGpzb24=}", "kubernetes.io/dockerconfigjson"),
        secret("stringData: {.dockerconfigjson: '{\"auths\": {}}'}", "kubernetes.io/dockerconfigjson")),
    "basic-auth without username or password": (
        "CG-CFG-002", secret("stringData: {user: a, pass: b}", "kubernetes.io/basic-auth"),
        secret("stringData: {password: b}", "kubernetes.io/basic-auth")),
    "service-account-token without the SA annotation": (
        "CG-CFG-002", secret("data: {}", "kubernetes.io/service-account-token"),
        secret("data: {}", "kubernetes.io/service-account-token", "{kubernetes.io/service-account.name: web}")),
    "annotation key with two slashes": (
        "CG-OBJ-001", configmap("data: {}").replace("namespace: shop}", "namespace: shop, annotations: "
                                                   "{example.com/a/b: x}}"),
        configmap("data: {}").replace("namespace: shop}", "namespace: shop, annotations: {example.com/a.b: x}}")),
    "annotations over 256 KiB": (
        "CG-OBJ-001", configmap("data: {}").replace("namespace: shop}", "namespace: shop, annotations: "
                                                   "{big: " + "x" * 262_200 + "}}"),
        configmap("data: {}").replace("namespace: shop}", "namespace: shop, annotations: {big: "
                                      + "x" * 200_000 + "}}")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_fires_on_the_fault_and_not_on_the_near_miss(check, name):
    rule_id, bad, good = CASES[name]
    found = check(bad, rule=rule_id)
    assert found and all(f.severity == Severity.ERROR for f in found), (name, found)
    assert check(good, rule=rule_id) == [], name


def test_ingress_with_only_a_default_backend_is_valid(check):
    text = """\
    apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: web}
    spec:
      defaultBackend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static}}
    """
    assert check(text, rule="CG-NET-002") == []
