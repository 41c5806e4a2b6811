"""Layer "schema" for Istio objects: strict CRD validation and the CRDs' CEL rules."""

from __future__ import annotations

import subprocess
import sys

import pytest

try:
    from helpers import REPO, errors, index_from_files, index_from_yaml, realworld_sets, run_rules
except ImportError:  # tests/ made a package
    from tests.check.helpers import REPO, errors, index_from_files, index_from_yaml, realworld_sets, run_rules

from chartgen.check import istio_schema
from chartgen.check.model import CheckOptions, Severity

STRUCT, CEL = istio_schema.RULE_STRUCT, istio_schema.RULE_CEL
V130, LATEST = CheckOptions(istio_version="1.30"), CheckOptions(istio_version="1.31")

GATEWAY = """
apiVersion: networking.istio.io/%s
kind: Gateway
metadata: {name: gw, labels: {app: web}}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [example.com]
    tls: %s
"""

VS = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - timeout: %s
    route: [{destination: {host: web}}]
"""


def findings(text, opts=V130, rule_id=None):
    ids = (rule_id,) if rule_id else (STRUCT, CEL)
    return run_rules(index_from_yaml(text), ids=ids, opts=opts)


# ------------------------------------------------------------------------------------------- realworld


@pytest.mark.parametrize("opts", [V130, LATEST])
@pytest.mark.parametrize("name", sorted(realworld_sets()))
def test_realworld_corpus_is_schema_clean(name, opts):
    found = run_rules(index_from_files(*realworld_sets()[name]), layers=("schema",), opts=opts)
    found = [f for f in found if f.rule.startswith("CG-ISTIO-SCHEMA")]
    assert found == []


# ------------------------------------------------------------------------------------------- valid objects


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1alpha3"])
def test_every_served_version_is_accepted(version):
    assert findings(GATEWAY % (version, "{mode: SIMPLE, credentialName: web-cert}")) == []


def test_other_kinds_are_accepted():
    text = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy:
    connectionPool: {tcp: {connectTimeout: 30ms, maxConnections: 100}}
    loadBalancer: {simple: LEAST_REQUEST}
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  mtls: {mode: STRICT}
  portLevelMtls: {"8080": {mode: PERMISSIVE}}
---
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  action: ALLOW
  rules: [{from: [{source: {principals: [cluster.local/ns/demo/sa/web]}}], to: [{operation: {methods: [GET]}}]}]
"""
    assert findings(text) == []


def test_null_fields_are_pruned_like_the_apiserver_does():
    text = (GATEWAY % ("v1", "{mode: SIMPLE, credentialName: c, caCertificates: null}")).replace(
        "labels: {app: web}", "labels: {app: web}, annotations: null")
    assert findings(text) == []


def test_unknown_istio_kind_and_non_istio_objects_are_skipped():
    text = """
apiVersion: networking.istio.io/v1
kind: Gatewayy
metadata: {name: x}
spec: {bogus: 1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: x}
data: {a: b}
"""
    assert findings(text) == []


# ------------------------------------------------------------------------------------------- structural errors


@pytest.mark.parametrize("text,field,words", [
    (GATEWAY % ("v1", "{mode: SIMPLE, credentialName: c, credentialNmae: x}"), "spec.servers[0].tls.credentialNmae",
     ["unknown field", "did you mean 'credentialName'"]),
    (GATEWAY % ("v1", "{mode: SIMPEL, credentialName: c}"), "spec.servers[0].tls.mode",
     ["unsupported value 'SIMPEL'", "SIMPLE"]),
    (GATEWAY.replace("hosts: [example.com]", "") % ("v1", "{mode: SIMPLE, credentialName: c}"),
     "spec.servers[0].hosts", ["missing required field"]),
    (GATEWAY.replace("number: 443", "number: '443'") % ("v1", "{mode: SIMPLE, credentialName: c}"),
     "spec.servers[0].port.number", ["must be integer"]),
    (GATEWAY.replace("{app: web}", "{version: 1}") % ("v1", "{mode: SIMPLE, credentialName: c}"),
     "metadata.labels.version", ["must be string"]),
    (GATEWAY.replace("kind: Gateway", "kind: Gateway\nstatus2: {}") % ("v1", "{credentialName: c}"),
     "status2", ["unknown field"]),
    (GATEWAY % ("v2", "{credentialName: c}"), "apiVersion", ["not served", "v1, v1alpha3, v1beta1"]),
    ("""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, consistentHash: {useSourceIp: true}}}
""", "spec.trafficPolicy.loadBalancer", ["only one of simple, consistentHash"]),
    ("""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec: {host: web, trafficPolicy: {connectionPool: {tcp: {maxConnections: 3000000000}}}}
""", "spec.trafficPolicy.connectionPool.tcp.maxConnections", ["maximum of 2147483647"]),  # int32 bound
])
def test_structural_errors(text, field, words):
    found = findings(text, rule_id=STRUCT)
    assert [f.field for f in found] == [field]
    f = found[0]
    assert f.severity == Severity.ERROR and f.rule == STRUCT
    for w in words:
        assert w in f.message + " " + f.hint


def test_every_error_is_reported_with_its_path():
    text = GATEWAY % ("v1", "{mode: SIMPEL, credentialName: c, extra: 1}")
    text = text.replace("selector:", "selectorr:")
    fields = sorted(f.field for f in findings(text, rule_id=STRUCT))
    assert fields == ["spec.selectorr", "spec.servers[0].tls.extra", "spec.servers[0].tls.mode"]


def test_master_only_fields_depend_on_istio_version():
    text = GATEWAY % ("v1", "{mode: SIMPLE, credentialName: c, insecureSkipVerify: true}")
    assert [f.field for f in findings(text, V130)] == ["spec.servers[0].tls.insecureSkipVerify"]
    assert findings(text, LATEST) == []


# ------------------------------------------------------------------------------------------- CEL


@pytest.mark.parametrize("text,field,message", [
    (GATEWAY % ("v1", "{mode: SIMPLE, credentialName: a, credentialNames: [b]}"), "spec.servers[0].tls",
     "only one of credentialName or credentialNames can be set"),
    (VS % "500us", "spec.http[0].timeout", "must be a valid duration greater than 1ms"),
    (VS % "forever", "spec.http[0].timeout", "must be a valid duration greater than 1ms"),
    ("""
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: pa}
spec: {portLevelMtls: {"8080": {mode: DISABLE}}}
""", "spec", "portLevelMtls requires selector"),
    ("""
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ap}
spec:
  selector: {matchLabels: {app: web}}
  targetRefs: [{kind: Service, group: "", name: web}]
""", "spec", "only one of targetRefs or selector can be set"),
    ("""
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets:
  - name: v1
    trafficPolicy: {outlierDetection: {interval: 0s}}
""", "spec.subsets[0].trafficPolicy.outlierDetection.interval", "must be a valid duration greater than 1ms"),
])
def test_cel_violations(text, field, message):
    found = findings(text, rule_id=CEL)
    assert [(f.field, f.severity) for f in found] == [(field, Severity.ERROR)]
    assert message in found[0].message and "x-kubernetes-validations" in found[0].message


@pytest.mark.parametrize("timeout", ["1ms", "1.5s", "2m", "1h30m"])
def test_cel_valid_durations(timeout):
    assert findings(VS % timeout) == []


def test_no_cel_rule_skipped_for_emitted_kinds():
    for version in ("1.30", "1.31"):
        assert istio_schema.skipped_cel_rules(version) == []
    # other kinds may use Kubernetes CEL libraries celpy lacks (url()); they are listed, and few
    assert len(istio_schema.skipped_cel_rules("1.31", kinds=None)) <= 10


# ------------------------------------------------------------------------------------------- plumbing


@pytest.mark.parametrize("version,name", [
    ("1.30", "crd-all.gen-1.30.3.yaml"),
    ("1.30.3", "crd-all.gen-1.30.3.yaml"),
    ("1.22", "crd-all.gen-1.30.3.yaml"),
    ("1.31", "crd-all.gen.yaml"),
    ("1.32.0", "crd-all.gen.yaml"),
    ("master", "crd-all.gen.yaml"),
])
def test_istio_crd_path(version, name):
    path = istio_schema.istio_crd_path(version)
    assert path.name == name and path.is_file()


def test_crds_ship_in_the_package():
    data = REPO / "chartgen" / "data" / "istio"
    for name in ("crd-all.gen.yaml", "crd-all.gen-1.30.3.yaml", "SOURCE.md"):
        assert (data / name).is_file()
    assert istio_schema.istio_crd_path("1.30").parent == data.resolve()


def test_validators_are_cached_per_kind_and_version():
    findings(GATEWAY % ("v1", "{mode: SIMPLE, credentialName: c}"))
    before = istio_schema.compiled.cache_info()
    findings(GATEWAY % ("v1", "{mode: SIMPLE, credentialName: c}"))
    after = istio_schema.compiled.cache_info()
    assert after.misses == before.misses and after.hits > before.hits


def test_lazy_imports():
    code = ("import sys; import chartgen.check.istio_schema as s; "
            "from chartgen.check.model import ManifestIndex, CheckOptions; "
            "list(s.istio_schema(ManifestIndex([]), CheckOptions())); "
            "assert not {'jsonschema', 'celpy', 'yaml'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, env={"PYTHONPATH": str(REPO)})


def test_errors_only_on_broken_input():
    ok = findings(GATEWAY % ("v1", "{mode: SIMPLE, credentialName: c}"))
    assert errors(ok) == []
