"""Loading chartgen.yaml validates everything up front; bad input names the file, the field path and what is allowed."""

from __future__ import annotations

import textwrap

import pytest

from chartgen.core.errors import SpecErrors
from chartgen.spec.loader import parse_spec_text

BASE = """
name: user-api
blueprint: clusterip
image:
  repository: ghcr.io/acme/user-api
  tag: "1.4.2"
service:
  ports:
    - port: 80
      targetPort: 8080
"""


def spec(text: str = BASE, **_):
    return parse_spec_text(textwrap.dedent(text), "charts/x/chartgen.yaml")


def errors_of(text: str) -> list[str]:
    with pytest.raises(SpecErrors) as info:
        spec(text)
    return [str(e) for e in info.value.errors]


def test_valid_spec_is_typed():
    s = spec()
    assert s.name == "user-api"
    assert s.blueprint.name == "clusterip"
    port = s.defaults.service.ports[0]
    assert (port.port, port.target_port, port.protocol) == (80, 8080, "TCP")
    assert [e.name for e in s.environments] == ["dev", "staging", "prod"]
    assert s.defaults.container_ports[0].container_port == 8080
    assert s.environment("prod").settings.replicas == 3  # from the prod profile


@pytest.mark.parametrize(
    ("change", "path", "allowed"),
    [
        (("name: user-api", "name: User-API"), "name", "DNS-1035"),
        (("name: user-api", "name: " + "a" * 64), "name", "longer than 63"),
        (("- port: 80", "- port: 70000"), "service.ports[0].port", "1-65535"),
        (("targetPort: 8080", "targetPort: 0"), "service.ports[0].targetPort", "1-65535"),
        (('tag: "1.4.2"', "tag: latest"), "image.tag", "pin a version"),
        (('  tag: "1.4.2"', ""), "image.tag", "required"),
        (("blueprint: clusterip", "blueprint: banana"), "blueprint", "allowed: clusterip, externalname, headless, loadbalancer, nodeport"),
        (("service:", "servce:"), "servce", "unknown field"),
    ],
)
def test_bad_field_is_reported_with_path_and_allowed_values(change, path, allowed):
    old, new = change
    errs = errors_of(BASE.replace(old, new))
    hits = [e for e in errs if f": {path}: " in e]
    assert hits, errs
    assert allowed in hits[0]
    assert hits[0].startswith("charts/x/chartgen.yaml:")


def test_missing_image_is_reported():
    errs = errors_of("\n".join(l for l in BASE.splitlines() if "image" not in l and "repository" not in l
                               and "tag" not in l))
    assert any(": image: " in e and "missing" in e for e in errs)


def test_error_carries_line_number():
    errs = errors_of(BASE.replace("- port: 80", "- port: 70000"))
    assert errs[0].startswith("charts/x/chartgen.yaml:9: service.ports[0].port:")


def test_latest_allowed_when_explicit():
    s = spec(BASE.replace('tag: "1.4.2"', "tag: latest\n  allowLatest: true"))
    assert s.defaults.image_tag == "latest"


NODEPORT = """
name: web
blueprint: nodeport
image: {repository: r/web, tag: "1"}
service:
  ports:
    - {name: http, port: 80, targetPort: 3000, nodePort: 30080}
    - {name: admin, port: 81, targetPort: 3001, nodePort: NP}
"""


@pytest.mark.parametrize(
    ("node_port", "extra", "message"),
    [
        ("40000", "", "40000 is out of range; allowed: 30000-32767"),
        ("30080", "", "duplicate nodePort 30080"),
        ("29999", "", "out of range"),
        ("40000", "  nodePortRange: 20000-40000\n", None),
    ],
)
def test_node_port_range_and_duplicates(node_port, extra, message):
    text = NODEPORT.replace("NP", node_port) + extra
    if message is None:
        assert spec(text).defaults.service.ports[1].node_port == 40000
        return
    errs = errors_of(text)
    assert any(": service.ports[1].nodePort: " in e and message in e for e in errs), errs


@pytest.mark.parametrize("node_port", [30000, 32767])
def test_node_port_at_either_end_of_the_range_is_accepted(node_port):
    assert spec(NODEPORT.replace("NP", str(node_port))).defaults.service.ports[1].node_port == node_port


def test_duplicate_protocol_port_pair_refused_other_protocol_accepted():
    two = BASE.replace("      targetPort: 8080", "      targetPort: 8080\n      name: http\n"
                       "    - {name: other, port: 80, targetPort: 8081PROTO}")
    errs = errors_of(two.replace("PROTO", ""))
    assert any(": service.ports[1].port: " in e and "duplicate TCP port 80" in e for e in errs), errs
    assert spec(two.replace("PROTO", ", protocol: UDP")).defaults.service.ports[1].protocol == "UDP"


def test_two_unnamed_ports_rejected():
    errs = errors_of(BASE.replace("      targetPort: 8080", "      targetPort: 8080\n    - port: 81"))
    assert any(": service.ports[0].name: " in e and "more than one port" in e for e in errs), errs


def test_headless_load_balancer_rejected():
    text = BASE.replace("blueprint: clusterip", "blueprint: headless").replace("service:", "service:\n  type: LoadBalancer")
    errs = errors_of(text)
    assert any(": service.type: " in e and "allowed: ClusterIP" in e for e in errs), errs


@pytest.mark.parametrize("name", ["prod_db..company.com", "Prod-DB.company.com", "-db.example.com"])
def test_external_name_must_be_dns_subdomain(name):
    text = f"""
name: external-postgres
blueprint: externalname
service:
  externalName: dev-db.internal
  ports: [{{port: 5432}}]
environments:
  prod:
    service:
      externalName: "{name}"
"""
    errs = errors_of(text)
    assert any(": environments.prod.service.externalName: " in e and "DNS-1123 subdomain" in e for e in errs), errs


def test_external_name_needs_no_image_and_has_no_workload():
    s = spec("""
name: external-postgres
blueprint: externalname
service:
  externalName: prod-db.company.com.
""")
    assert not s.blueprint.has_workload
    assert s.defaults.container_ports == ()


@pytest.mark.parametrize(
    ("snippet", "path", "message"),
    [
        ("  loadBalancer:\n    sourceRanges: [10.0.0.0/33]", "service.loadBalancer.sourceRanges[0]", "not a valid CIDR"),
        ("  loadBalancer:\n    sourceRanges: [10.0.0.1/8]", "service.loadBalancer.sourceRanges[0]", "not a valid CIDR"),
        ("  sessionAffinity: ClientIP\n  sessionAffinityTimeoutSeconds: 90000", "service.sessionAffinityTimeoutSeconds",
         "1-86400"),
        ("  externalTrafficPolicy: Local\n  type: ClusterIP", "service.externalTrafficPolicy", "only allowed"),
        ("  loadBalancer:\n    healthCheckNodePort: 30001", "service.loadBalancer.healthCheckNodePort",
         "externalTrafficPolicy Local"),
    ],
)
def test_load_balancer_rules(snippet, path, message):
    text = BASE.replace("blueprint: clusterip", "blueprint: loadbalancer").replace("service:\n", "service:\n" + snippet + "\n", 1)
    errs = errors_of(text)
    assert any(f": {path}: " in e and message in e for e in errs), errs


def test_environment_override_errors_name_the_environment():
    errs = errors_of(BASE + "environments:\n  prod:\n    replicas: -1\n")
    assert any(e.split(": ")[1] == "environments.prod.replicas" for e in errs), errs


def test_unknown_profile():
    errs = errors_of(BASE + "environments:\n  qa:\n    profile: nope\n")
    assert any("environments.qa.profile" in e and "allowed: dev, prod, staging" in e for e in errs), errs


def test_custom_environment_inherits_profile():
    s = spec(BASE + "environments:\n  prod-eu:\n    profile: prod\n    namespace: eu\n    replicas: 5\n")
    env = s.environment("prod-eu")
    assert env.settings.replicas == 5
    assert env.settings.pod_disruption_budget.enabled is True  # inherited from the prod profile
    assert env.settings.autoscaling.min_replicas == 3


def test_name_too_long_for_helm_is_refused_with_the_limit():
    errs = errors_of(BASE.replace("name: user-api", "name: " + "a" * 48))
    assert len(errs) == 1
    assert "charts/x/chartgen.yaml:2: name:" in errs[0]
    assert "at most 47" in errs[0] and "53" in errs[0] and "-test-connection" in errs[0]
    assert spec(BASE.replace("name: user-api", "name: " + "a" * 47)).name == "a" * 47


def test_version_deployment_name_must_stay_a_dns_label():
    name = "a" * 40
    text = BASE.replace("name: user-api", f"name: {name}") + textwrap.dedent(f"""
        istio:
          enabled: true
          versions:
            v1: {{weight: 90}}
            {"v" * 23}: {{weight: 10}}
        """)
    errs = errors_of(text)
    assert len(errs) == 1
    assert f"istio.versions.{'v' * 23}:" in errs[0] and "at most 63" in errs[0]
    ok = spec(text.replace("v" * 23, "v" * 22))
    assert len(ok.defaults.istio.versions) == 2
