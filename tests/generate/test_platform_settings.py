"""Issue 25's pod and network settings: NetworkPolicy peers and egress (DNS, istiod, allowExternal, the metrics
scraper), postStart, exec probes, ephemeral/CSI/projected volumes, a Deployment's claim, the migration hook Job and
the test pod's image. Refused at spec time with one line when wrong; rendered by the real helm when right; the
committed examples render each of them in some environment."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from render_helpers import find, render
from support import CHARTS, DEMO_SPEC

from chartgen.core.errors import SpecErrors
from chartgen.generate.engine import generate
from chartgen.generate.writer import write
from chartgen.spec.loader import parse_spec_text

BASE = DEMO_SPEC


def errors_of(text: str) -> list[str]:
    with pytest.raises(SpecErrors) as info:
        parse_spec_text(textwrap.dedent(text), "charts/demo/chartgen.yaml")
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize("extra, path, message", [
    ("probes: {readiness: {type: exec}}\n", "probes.readiness.command", "an exec probe needs a command"),
    ("probes: {readiness: {command: [ready], path: /healthz}}\n", "probes.readiness.path", "takes no path"),
    ("probes: {liveness: {type: tcp, command: [ready]}}\n", "probes.liveness.command", "exec probes only"),
    ("networkPolicy: {allowFrom: [{ipBlock: {cidr: 10.0.0.0/33}}]}\n", "networkPolicy.allowFrom[0].ipBlock.cidr",
     "is not a CIDR"),
    ("networkPolicy: {allowFrom: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}}]}\n",
     "networkPolicy.allowFrom[0].ipBlock.except[0]", "strictly inside 10.0.0.0/8"),
    ("networkPolicy: {allowFrom: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}\n",
     "networkPolicy.allowFrom[0].ipBlock.except[0]", "strictly inside"),
    ("networkPolicy: {allowFrom: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}\n",
     "networkPolicy.allowFrom[0].ipBlock", "stands alone"),
    ("networkPolicy: {egress: [{ports: [{port: 443}]}]}\n", "networkPolicy.egress", "restrictEgress: true"),
    ("networkPolicy: {restrictEgress: true, egress: [{ports: [{port: 443, endPort: 80}]}]}\n",
     "networkPolicy.egress[0].ports[0].endPort", "at least port"),
    ("networkPolicy: {allowExternal: maybe}\n", "networkPolicy.allowExternal", "wrong type"),
    ("persistence: {enabled: true, existingClaim: data, size: 5Gi}\n", "persistence.size", "existing claim"),
    ("persistence: {enabled: true, existingClaim: data, storageClass: gp3}\n", "persistence.storageClass",
     "existing claim"),
    ("persistence: {enabled: true, existingClaim: Data_1}\n", "persistence.existingClaim", ""),
    ("persistence: {enabled: true}\nvolumes: [{name: data, emptyDir: {}}]\n", "volumes[0].name",
     "chartgen's own volume"),
    ("migration: {enabled: true}\n", "migration.command", "needs a command"),
    ("migration: {enabled: true, command: []}\n", "migration.command", ""),
    ("migration: {enabled: true, command: [migrate], env: {DB_PASSWORD: hunter2}}\n", "migration.env.DB_PASSWORD",
     "secret value"),
    ("kubeVersion: 1.29.0\npostStart: {sleep: {seconds: 2}}\n", "postStart.sleep", "Kubernetes >= 1.30"),
    ("volumes: [{name: t, projected: {sources: [{serviceAccountToken: {path: t, expirationSeconds: 60}}]}}]\n",
     "volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds", "600"),
    ("volumes: [{name: t, projected: {sources: [{serviceAccountToken: {audience: x}}]}}]\n",
     "volumes[0].projected.sources[0].serviceAccountToken", "path"),
    ("volumes: [{name: t, projected: {sources: [{configMap: {name: a}, secret: {name: b}}]}}]\n",
     "volumes[0].projected.sources[0]", ""),
    ("volumes: [{name: t, csi: {readOnly: true}}]\n", "volumes[0].csi", "driver"),
    ("volumes: [{name: t, ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce]}}}}]\n",
     "volumes[0].ephemeral.volumeClaimTemplate.spec", "resources"),
    ("volumes: [{name: t, csi: {driver: x}, emptyDir: {}}]\n", "volumes[0]", ""),
    ("tests: {image: {tag: latest}}\n", "tests.image.tag", "'latest' is mutable"),
    ("tests: {imagePullSecrets: [mirror]}\n", "tests.imagePullSecrets[0]", "wrong type"),
])
def test_invalid_platform_settings_are_refused_with_one_line(extra: str, path: str, message: str) -> None:
    errors = errors_of(BASE + extra)
    assert len(errors) == 1, errors
    assert f": {path}: " in errors[0] and message in errors[0], errors


def test_a_statefulset_chart_refuses_the_deployment_claim() -> None:
    text = """
    name: db
    blueprint: headless
    image: {repository: ghcr.io/acme/db, tag: "1.0.0"}
    service: {ports: [{name: tcp, port: 5432}]}
    persistence: {enabled: true}
    """
    errors = errors_of(text)
    assert len(errors) == 1 and "persistence" in errors[0] and "not available with blueprint" in errors[0], errors


def _chart(tmp_path: Path, extra: str) -> Path:
    """A chart of BASE plus `extra`, generated into tmp_path/demo."""
    text = BASE + textwrap.dedent(extra)
    chart = tmp_path / "demo"
    chart.mkdir()
    (chart / "chartgen.yaml").write_text(text)
    write(generate(parse_spec_text(text, str(chart / "chartgen.yaml"))), chart)
    return chart


def _by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def test_network_policy_peers_egress_and_dns_render(tmp_path: Path, helm) -> None:
    chart = _chart(tmp_path, """
    containerPorts: [{name: metrics, containerPort: 9100}]
    networkPolicy:
      enabled: true
      allowExternal: false
      allowFrom: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
      restrictEgress: true
      egress: [{to: [{namespaceSelector: {matchLabels: {team: data}}}], ports: [{port: 5432}]}]
    environments:
      dev: {networkPolicy: {allowDNS: false, egress: []}}
      prod: {}
    """)
    policy = find(render(helm, chart, "prod", "default", "web"), "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    app, scraper = policy["ingress"]
    assert app["from"] == [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                           {"podSelector": {"matchLabels": {"web-demo-client": "true"}}}]
    assert [p["port"] for p in app["ports"]] == [8080, 9100]
    assert scraper["from"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    assert [p["port"] for p in scraper["ports"]] == [8080, 9100]
    dns, data = policy["egress"]
    assert dns == {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                           "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                   "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
    assert data["ports"] == [{"port": 5432}]
    dev = find(render(helm, chart, "dev", "default", "web"), "NetworkPolicy")["spec"]
    assert dev["egress"] == []  # restricted, no DNS, no rules: deny all egress


def test_open_network_policy_keeps_its_ports_open_to_anyone(tmp_path: Path, helm) -> None:
    chart = _chart(tmp_path, """
    networkPolicy: {enabled: true}
    environments: {prod: {}}
    """)
    policy = find(render(helm, chart, "prod", "default", "web"), "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress"] and "egress" not in policy
    assert policy["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_the_mesh_and_the_scraper_keep_their_ports_in_prod(helm) -> None:
    """checkout (Istio) in prod: the prod profile's policy admits HBONE 15008 with the app ports and the sidecar's
    metrics ports 15020/15090."""
    docs = render(helm, CHARTS / "checkout", "prod", "checkout")
    policy = find(docs, "NetworkPolicy")["spec"]
    ports = [p["port"] for rule in policy["ingress"] for p in rule["ports"]]
    assert {15008, 15020, 15090} <= set(ports), ports


def test_post_start_exec_probe_and_volumes_render(tmp_path: Path, helm) -> None:
    chart = _chart(tmp_path, """
    postStart: {exec: {command: [/bin/warm]}}
    preStop: {sleep: {seconds: 3}}
    probes: {readiness: {command: [/bin/ready]}, liveness: {path: /healthz}}
    volumes:
      - name: token
        projected:
          sources: [{serviceAccountToken: {audience: vault, expirationSeconds: 600, path: token}}]
      - {name: store, csi: {driver: secrets-store.csi.k8s.io, readOnly: true}}
      - name: scratch
        ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce],
                                                  resources: {requests: {storage: 1Gi}}}}}
    environments: {dev: {}}
    """)
    pod = find(render(helm, chart, "dev", "default", "web"), "Deployment")["spec"]["template"]["spec"]
    app = pod["containers"][0]
    assert app["lifecycle"] == {"postStart": {"exec": {"command": ["/bin/warm"]}}, "preStop": {"sleep": {"seconds": 3}}}
    assert app["readinessProbe"]["exec"] == {"command": ["/bin/ready"]} and "httpGet" not in app["readinessProbe"]
    assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["token"]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"] == 600
    assert volumes["store"]["csi"]["driver"] == "secrets-store.csi.k8s.io"
    assert volumes["scratch"]["ephemeral"]["volumeClaimTemplate"]["spec"]["resources"] == {
        "requests": {"storage": "1Gi"}}


def test_persistence_renders_a_claim_or_mounts_the_existing_one(tmp_path: Path, helm) -> None:
    chart = _chart(tmp_path, """
    persistence: {enabled: true, mountPath: /var/data}
    environments:
      dev: {persistence: {size: 1Gi, storageClass: fast, accessModes: [ReadWriteOncePod]}}
      prod: {persistence: {existingClaim: shared-data}}
    """)
    dev = render(helm, chart, "dev", "default", "web")
    claim = find(dev, "PersistentVolumeClaim")
    assert claim["metadata"]["name"] == "web-demo-data"
    assert claim["spec"] == {"accessModes": ["ReadWriteOncePod"], "storageClassName": "fast",
                             "resources": {"requests": {"storage": "1Gi"}}}
    pod = find(dev, "Deployment")["spec"]["template"]["spec"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "web-demo-data"}} in pod["volumes"]
    assert {"name": "data", "mountPath": "/var/data"} in pod["containers"][0]["volumeMounts"]
    prod = render(helm, chart, "prod", "default", "web")
    assert _by_kind(prod, "PersistentVolumeClaim") == []
    pod = find(prod, "Deployment")["spec"]["template"]["spec"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "shared-data"}} in pod["volumes"]


def test_migration_is_a_hook_job_with_the_app_image_and_env(tmp_path: Path, helm) -> None:
    chart = _chart(tmp_path, """
    env: {MODE: serve, REGION: eu}
    envFrom: [{secretRef: {name: demo-env}}]
    config: {data: {A: b}}
    migration:
      enabled: true
      command: [/app/demo, migrate]
      env: {MODE: migrate}
      backoffLimit: 2
      activeDeadlineSeconds: 300
      hookWeight: -5
    environments:
      dev: {}
      prod: {migration: {image: "ghcr.io/acme/demo-migrate:1.0.0"}}
    """)
    job = find(render(helm, chart, "dev", "default", "web"), "Job")
    assert {k: v for k, v in job["metadata"]["annotations"].items() if k.startswith("helm.sh/")} == {
        "helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"}
    spec = job["spec"]
    assert (spec["backoffLimit"], spec["activeDeadlineSeconds"]) == (2, 300)
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and "serviceAccountName" not in pod
    container = pod["containers"][0]
    assert container["image"] == "ghcr.io/acme/demo:1.0.0" and container["command"] == ["/app/demo", "migrate"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env == {"LOG_LEVEL": "debug", "MODE": "migrate", "REGION": "eu"}
    assert container["envFrom"] == [{"secretRef": {"name": "demo-env"}}]  # not the ConfigMap: it comes later
    prod = find(render(helm, chart, "prod", "default", "web"), "Job")
    assert prod["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/demo-migrate:1.0.0"


def test_the_test_pod_image_and_pull_secrets_are_settable(tmp_path: Path, helm) -> None:
    chart = _chart(tmp_path, """
    tests: {image: {repository: mirror.acme.internal/busybox, tag: "1.37.0"}, imagePullSecrets: [{name: mirror}]}
    environments: {dev: {}}
    """)
    pod = find(render(helm, chart, "dev", "default", "web"), "Pod")["spec"]
    assert pod["containers"][0]["image"] == "mirror.acme.internal/busybox:1.37.0"
    assert pod["imagePullSecrets"] == [{"name": "mirror"}]


EXAMPLES = ("user-api", "postgres", "checkout")
ENVS = ("dev", "staging", "prod")


def _rendered_examples(helm) -> list[dict[str, Any]]:
    namespaces = {"user-api": "backend", "postgres": "database", "checkout": "checkout"}
    return [d for chart in EXAMPLES for env in ENVS for d in render(helm, CHARTS / chart, env, namespaces[chart])]


def test_the_committed_examples_render_every_platform_item(helm) -> None:
    docs = _rendered_examples(helm)
    pods = [d["spec"]["template"]["spec"] for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    containers = [c for p in pods for c in p["containers"]]
    volumes = [v for p in pods for v in p.get("volumes", [])]
    sources = {next(iter(s)) for v in volumes for s in v.get("projected", {}).get("sources", [])}
    policies = [d["spec"] for d in docs if d["kind"] == "NetworkPolicy"]
    peers = [p for np in policies for rule in np["ingress"] for p in rule.get("from", [])]
    jobs = [d for d in docs if d["kind"] == "Job"]
    test_pods = [d["spec"] for d in docs if d["kind"] == "Pod"]
    covered = {
        "postStart": any("postStart" in c.get("lifecycle", {}) for c in containers),
        "exec probe": any("exec" in c.get("readinessProbe", {}) for c in containers),
        "ephemeral volume": any("ephemeral" in v for v in volumes),
        "csi volume": any("csi" in v for v in volumes),
        "projected sources": sources >= {"serviceAccountToken", "configMap", "secret", "downwardAPI"},
        "claim created": any(d["kind"] == "PersistentVolumeClaim" for d in docs),
        "existing claim": any(v.get("persistentVolumeClaim", {}).get("claimName") == "postgres-data-prod"
                              for v in volumes),
        "migration hook": any(j["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
                              for j in jobs),
        "migration image": any(j["spec"]["template"]["spec"]["containers"][0]["image"].endswith("migrations:1.4.2")
                               for j in jobs),
        "test pod pull secrets": any(p.get("imagePullSecrets") for p in test_pods),
        "namespace and pod peers": any("namespaceSelector" in p and "podSelector" in p for p in peers),
        "ipBlock with except": any(p.get("ipBlock", {}).get("except") for p in peers),
        "client label": any(list(p.get("podSelector", {}).get("matchLabels", {})) == ["user-api-client"]
                            for p in peers),
        "egress with DNS": any(any(r.get("to", [{}])[0].get("podSelector") == {"matchLabels": {"k8s-app": "kube-dns"}}
                                   for r in np.get("egress", [])) for np in policies),
        "egress rules": any(len(np.get("egress", [])) > 1 for np in policies),
        "mesh ports": any(p["port"] == 15090 for np in policies for r in np["ingress"] for p in r["ports"]),
    }
    assert [item for item, seen in covered.items() if not seen] == []
