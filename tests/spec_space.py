"""The whole spec space as a hypothesis strategy (issue 20: "chartgen never generates what the API server or its own
check rejects"), shared by tests/spec/test_spec_space.py (a fixed-seed slice in `make test`) and bench/spec_space.py (a
larger run).

A drawn `Case` is a chartgen.yaml over every blueprint, several ports, probes of every kind, the pod and container
settings of tests/spec/test_settings_property.py, Ingress, Gateway API (a Gateway and a Service parent), Istio (hosts,
mesh, versions, routes per port, canary controllers, mTLS, authorization), the three profiles and an extra
environment on the prod profile. Most cases are valid by construction; some carry one deliberate fault (`fault`
names it), which chartgen must refuse: exit 2, one line, nothing written.

`run_cases` generates the charts of a batch into one folder, runs `chartgen verify` on it under each helm, renders
every environment and runs `chartgen check --profile prod` on it: a valid case passes with no error and no warning
beyond the documented waivers (chartgen.check.waivers).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from typer.testing import CliRunner

from chartgen.check.command import check_text, make_options
from chartgen.check.model import Severity
from chartgen.check.waivers import waived
from chartgen.cli import app
from chartgen.helm.runner import Helm
from chartgen.spec.loader import load_spec

KUBE_VERSION = "1.31.0"
WORKLOAD_BLUEPRINTS = ("clusterip", "nodeport", "loadbalancer", "headless")
MESH_BLUEPRINTS = ("clusterip", "nodeport", "loadbalancer")
runner = CliRunner()

# -- the pod settings (valid by construction) -------------------------------------------------------------------

NAME = st.from_regex(r"\A[a-z][a-z0-9]{1,8}\Z")
LABEL_VALUE = st.from_regex(r"\A[a-z0-9]{1,10}\Z")
VOLUMES = [
    {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}},
    {"name": "certs", "secret": {"secretName": "app-certs", "defaultMode": 292}},
    {"name": "settings", "configMap": {"name": "app-settings", "items": [{"key": "a", "path": "a.yaml"}]}},
    {"name": "shared", "persistentVolumeClaim": {"claimName": "shared", "readOnly": True}},
    {"name": "bundle", "projected": {"sources": [{"secret": {"name": "app-certs"}},
                                                 {"serviceAccountToken": {"path": "token", "audience": "vault"}}]}},
]
ENV_SOURCES = [
    {"secretKeyRef": {"name": "app-db", "key": "password"}},
    {"configMapKeyRef": {"name": "flags", "key": "x", "optional": True}},
    {"fieldRef": {"fieldPath": "metadata.name"}},
    {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
    "plain",
]
TOLERATIONS = [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
               {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]
AFFINITY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}}
SPREAD_KEYS = ("kubernetes.io/hostname", "topology.kubernetes.io/zone")


@st.composite
def pod_settings(draw: Any) -> dict[str, Any]:
    """One random layer of the pod and container settings (valid by construction)."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["imagePullSecrets"] = [{"name": n} for n in draw(st.lists(NAME, max_size=2, unique=True))]
    if draw(st.booleans()):
        out["serviceAccount"] = {"create": draw(st.booleans()), "automount": draw(st.booleans()),
                                 "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}}
    if draw(st.booleans()):
        out["podLabels"] = draw(st.dictionaries(st.sampled_from(["team", "tier", "cost"]), LABEL_VALUE, max_size=2))
        out["podAnnotations"] = {"example.com/owner": draw(LABEL_VALUE)}
    if draw(st.booleans()):
        out["podSecurityContext"] = {"runAsUser": draw(st.integers(1000, 65000)),
                                     "fsGroupChangePolicy": draw(st.sampled_from(["Always", "OnRootMismatch"]))}
    volumes = draw(st.lists(st.sampled_from(VOLUMES), max_size=3, unique_by=lambda v: v["name"]))
    if volumes:
        out["volumes"] = volumes
        out["volumeMounts"] = [{"name": v["name"], "mountPath": f"/mnt/{v['name']}", "readOnly": True}
                               for v in volumes]
    if draw(st.booleans()):
        out["nodeSelector"] = {"kubernetes.io/os": "linux"}
        out["tolerations"] = draw(st.lists(st.sampled_from(TOLERATIONS), max_size=2, unique_by=str))
        out["affinity"] = AFFINITY
    if draw(st.booleans()):
        out["topologySpread"] = draw(st.booleans())
    pairs = draw(st.lists(st.tuples(st.sampled_from(SPREAD_KEYS), st.sampled_from(["DoNotSchedule",
                                                                                   "ScheduleAnyway"])),
                          max_size=2, unique=True))
    if pairs:
        out["topologySpreadConstraints"] = [{"maxSkew": draw(st.integers(1, 3)), "topologyKey": key,
                                             "whenUnsatisfiable": when} for key, when in pairs]
    names = draw(st.lists(st.sampled_from(["DB_PASS", "FLAG", "POD", "MEM", "REGION"]), max_size=4, unique=True))
    if names:
        out["env"] = {n: draw(st.sampled_from(ENV_SOURCES)) for n in names}
    if draw(st.booleans()):
        out["envFrom"] = [{"secretRef": {"name": "app-env"}, "prefix": "APP_"}]
    if draw(st.booleans()):
        out["config"] = {"data": {"A": draw(LABEL_VALUE)}, "mountPath": draw(st.sampled_from(["", "/etc/app"]))}
    if draw(st.booleans()):
        out["initContainers"] = [{"name": "init", "image": "busybox:1.36.1", "command": ["true"]}]
    if draw(st.booleans()):
        out["sidecars"] = [{"name": "agent", "image": "ghcr.io/acme/agent:1.0.0",
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                                          "limits": {"cpu": "50m", "memory": "32Mi"}}}]
    if draw(st.booleans()):
        grace = draw(st.integers(10, 60))
        out["terminationGracePeriodSeconds"] = grace
        out["preStop"] = draw(st.sampled_from([{"sleep": {"seconds": grace // 2}},
                                               {"exec": {"command": ["sleep", "2"]}}]))
    if draw(st.booleans()):
        out["command"], out["args"] = ["/app"], ["--v", "2"]
    return out


# -- ports, probes and traffic ------------------------------------------------------------------------------------

PORTS = {
    "http": {"name": "http", "port": 80, "targetPort": 8080, "appProtocol": "http"},
    "grpc": {"name": "grpc", "port": 9090, "targetPort": 9090, "appProtocol": "grpc"},
    "http-metrics": {"name": "http-metrics", "port": 9091, "targetPort": 9091},
    "tcp-db": {"name": "tcp-db", "port": 5432, "targetPort": 5432},
}


@dataclass
class Case:
    """One chartgen.yaml of the space; `fault` names the deliberate mistake of an invalid one ("" when valid)."""

    spec: dict[str, Any]
    fault: str = ""
    name: str = field(default="")

    @property
    def text(self) -> str:
        return yaml.safe_dump(self.spec, sort_keys=False)


def _probes(draw: Any, ports: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in draw(st.lists(st.sampled_from(["readiness", "liveness", "startup"]), unique=True, max_size=3)):
        shape = draw(st.sampled_from(["http", "tcp", "grpc"] if "grpc" in ports else ["http", "tcp"]))
        if shape == "http" and "http" in ports:
            out[kind] = {"path": "/healthz", "port": "http"}
        elif shape == "grpc":
            out[kind] = {"type": "grpc", "port": draw(st.sampled_from(["grpc", 9090]))}
        else:
            out[kind] = {"type": "tcp", "port": draw(st.sampled_from(ports))}
        if kind == "startup":
            out[kind]["enabled"] = True
    return out


def _istio(draw: Any, ports: list[str]) -> dict[str, Any]:
    controller = draw(st.sampled_from(["none", "none", "argo-rollouts", "flagger"]))
    istio: dict[str, Any] = {"enabled": True}
    if draw(st.booleans()):
        istio["hosts"] = ["app.example.com"]
        istio["mesh"] = draw(st.booleans())
        if draw(st.booleans()):
            istio["gateway"] = {"https": {"enabled": True, "credentialName": "app-tls"}}
    http_ports = [p for p in ports if p in ("http", "grpc", "http-metrics")]
    if http_ports and draw(st.booleans()):
        istio["port"] = draw(st.sampled_from(http_ports))
    if controller != "none":
        istio["canary"] = {"controller": controller}
    versions = controller == "none" and draw(st.booleans())
    if versions:
        canary = draw(st.integers(0, 100))
        sizing = draw(st.sampled_from([{}, {"replicas": 1}, {"autoscaling": {"enabled": True, "minReplicas": 1,
                                                                             "maxReplicas": 4}}]))
        istio["versions"] = {"v1": {"weight": 100 - canary}, "v2": {"weight": canary, **sizing}}
    if controller != "flagger":
        routes = []
        for i in range(draw(st.integers(0, 2))):
            route: dict[str, Any] = {"name": f"r{i}", "match": [{"uri": {"prefix": f"/api/v{i + 1}"}}]}
            if versions and draw(st.booleans()):
                route["weights"] = {"v2": 100}
            if controller == "argo-rollouts" and draw(st.booleans()):
                route["weights"] = {"stable": 0, "canary": 100}
            if len(http_ports) > 1 and draw(st.booleans()):
                route["port"] = draw(st.sampled_from(http_ports))
            if draw(st.booleans()):
                route["timeout"] = "10s"
                route["retries"] = {"attempts": 2, "perTryTimeout": "2s", "retryOn": "5xx,reset"}
            routes.append(route)
        if routes:
            istio["routes"] = routes
    if draw(st.booleans()):
        istio["peerAuthentication"] = {"mode": draw(st.sampled_from(["STRICT", "PERMISSIVE"]))}
    if draw(st.booleans()):
        istio["authorizationPolicy"] = {"enabled": True, "principals": ["cluster.local/ns/front/sa/web"]}
    return istio


def _traffic(draw: Any, name: str, ports: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["ingress"] = {"enabled": True, "className": "nginx", "hosts": [
            {"host": "app.example.com", "paths": [{"path": "/", "port": draw(st.sampled_from(ports))}]}],
            "tls": [{"secretName": "app-tls", "hosts": ["app.example.com"]}]}
    if draw(st.booleans()):
        parents = [{"name": "public", "namespace": "gateway-system"}]
        if draw(st.booleans()):
            parents.append({"group": "", "kind": "Service", "name": name})
        out["httpRoute"] = {"enabled": True, "parentRefs": parents, "hostnames": ["app.example.com"],
                            "port": draw(st.sampled_from(ports))}
    if draw(st.booleans()):
        out["istio"] = _istio(draw, ports)
    if "http-metrics" in ports and draw(st.booleans()):
        out["serviceMonitor"] = {"enabled": True, "force": True, "port": "http-metrics"}
    return out


# -- faults: each one is refused by chartgen ------------------------------------------------------------------------

FAULTS = {
    "statefulSet on a Deployment blueprint": lambda s: s.update(statefulSet={"podManagementPolicy": "Parallel"}),
    "gRPC probe on a port name the container lacks": lambda s: s.update(
        probes={"liveness": {"type": "grpc", "port": "nope"}}),
    "a spread pair twice": lambda s: s.update(topologySpreadConstraints=[
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}] * 2),
    "an HTTPRoute port the Service lacks": lambda s: s.update(httpRoute={
        "enabled": True, "parentRefs": [{"name": "public"}], "port": "nope"}),
    "Istio weights not summing to 100": lambda s: s.update(istio={
        "enabled": True, "versions": {"v1": {"weight": 50}, "v2": {"weight": 40}}}),
    "a version's maxReplicas below the prod profile's minReplicas": lambda s: s.update(istio={
        "enabled": True, "versions": {"v1": {"weight": 50}, "v2": {"weight": 50, "autoscaling": {"maxReplicas": 2}}}}),
}
DEPLOYMENT_ONLY = {"statefulSet on a Deployment blueprint", "an HTTPRoute port the Service lacks",
                   "Istio weights not summing to 100", "a version's maxReplicas below the prod profile's minReplicas"}


@st.composite
def cases(draw: Any) -> Case:
    blueprint = draw(st.sampled_from([*WORKLOAD_BLUEPRINTS, "externalname"]))
    name = draw(st.sampled_from(["app", "shop", "api-svc"]))
    ports = draw(st.lists(st.sampled_from(sorted(PORTS)), min_size=1, max_size=3, unique=True))
    spec: dict[str, Any] = {"apiVersion": "chartgen/v1", "name": name, "blueprint": blueprint}
    service: dict[str, Any] = {"ports": [dict(PORTS[p]) for p in ports]}
    if blueprint == "externalname":
        spec["service"] = {"externalName": "db.example.com", "ports": [{"name": p, "port": PORTS[p]["port"]}
                                                                       for p in ports]}
        return Case(spec, name=name)
    spec["image"] = {"repository": f"ghcr.io/acme/{name}", "tag": "1.0.0"}
    if blueprint == "nodeport" and draw(st.booleans()):
        service["ports"][0]["nodePort"] = draw(st.integers(30000, 32767))
    if blueprint == "loadbalancer" and draw(st.booleans()):
        service["loadBalancer"] = {"preset": draw(st.sampled_from(["aws-nlb", "gcp-internal", "azure-internal"]))}
    if blueprint == "headless" and draw(st.booleans()):
        service["clientService"] = True
    spec["service"] = service
    if probes := _probes(draw, ports):
        spec["probes"] = probes
    spec |= draw(pod_settings())
    if blueprint in MESH_BLUEPRINTS:
        spec |= _traffic(draw, name, ports)
    if blueprint == "headless" and draw(st.booleans()):
        spec["statefulSet"] = {"storage": {"enabled": True, "size": "1Gi"},
                               "podManagementPolicy": draw(st.sampled_from(["OrderedReady", "Parallel"]))}
    environments: dict[str, Any] = {env: {"namespace": f"{name}-{env}"} for env in ("dev", "staging", "prod")}
    if draw(st.booleans()):
        environments["qa"] = {"profile": "prod", "namespace": "qa", "replicas": draw(st.integers(3, 5))}
    spec["environments"] = environments
    faults = [f for f in FAULTS if blueprint != "headless" or f not in DEPLOYMENT_ONLY]
    faulty = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())  # one case in eight
    fault = draw(st.sampled_from(faults)) if faulty else ""
    if fault:
        FAULTS[fault](spec)
    return Case(spec, fault, name)


# -- running a batch ----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    tried: int = 0
    refused: int = 0
    failures: list[str] = field(default_factory=list)


def run_cases(batch: list[Case], root: Path, helms: list[Helm]) -> Outcome:
    """Generate each case into root/c<i>; a faulty case must be exit 2 with nothing written, the charts of the
    valid ones must pass `chartgen verify` under every helm and `chartgen check --profile prod` per environment."""
    out = Outcome()
    charts: dict[Path, Case] = {}
    for i, case in enumerate(batch):
        out.tried += 1
        chart = root / f"c{i}" / case.name
        chart.mkdir(parents=True)
        (chart / "chartgen.yaml").write_text(case.text)
        res = runner.invoke(app, ["generate", str(chart)])
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            out.failures.append(f"internal error {res.exception!r}\n{case.text}")
            continue
        written = sorted(p.name for p in chart.iterdir())
        if case.fault:
            out.refused += res.exit_code == 2
            if res.exit_code != 2 or written != ["chartgen.yaml"] or res.output.count("\n") != 1:
                out.failures.append(f"fault {case.fault!r}: exit {res.exit_code}, wrote {written}:\n{res.output}"
                                    f"{case.text}")
        elif res.exit_code != 0:
            out.failures.append(f"valid spec refused (exit {res.exit_code}): {res.output}{case.text}")
        else:
            charts[chart] = case
    if not charts:
        return out
    for helm in helms:
        res = runner.invoke(app, ["verify", str(root), "--helm", helm.path, "--no-cache", "--kube-version",
                                  KUBE_VERSION, "-j", "2"])
        if res.exit_code != 0:
            out.failures.append(f"verify under helm {helm.version} failed:\n{res.output}\n" + "\n".join(
                f"--- {c}\n{case.text}" for c, case in charts.items() if str(c) in res.output))
    for chart, case in charts.items():
        out.failures += [f"{p}\n{case.text}" for p in prod_problems(chart, helms[0])]
    return out


def prod_problems(chart: Path, helm: Helm) -> list[str]:
    """Errors and unwaived warnings of `chartgen check` on each environment's rendering: `--profile prod` for the
    environments on the prod profile, the default profile for the others (a dev environment runs one replica by
    design)."""
    spec = load_spec(chart)
    problems = []
    for env in spec.environments:
        opts = make_options(profile="prod" if env.profile == "prod" else "default")
        values = chart / f"values-{env.name}.yaml"
        res = helm.template(chart, chart.name, env.namespace, [values], kube_version=KUBE_VERSION)
        if not res.ok:
            problems.append(f"{chart} [{env.name}]: helm template failed: {res.message}")
            continue
        for f in check_text(res.stdout, f"{chart.name}-{env.name}.yaml", opts):
            if f.severity >= Severity.WARNING and not waived(f):
                problems.append(f"{chart} [{env.name}, check --profile {opts.profile}]: {f.severity} {f.rule} "
                                f"{f.message}")
    return problems


def clean(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
