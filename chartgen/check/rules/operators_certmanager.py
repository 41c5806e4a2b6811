"""cert-manager: what its webhook rejects of a Certificate or an (Cluster)Issuer that the CRD schema lets through
(internal/apis/certmanager/validation: certificate.go, issuer.go), and the references a Certificate or an Ingress
makes that resolve to nothing in the render (issuers, the hosts a certificate must cover) - CG-CERT-*."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    GATEWAY_API,
    INGRESS_GROUPS,
    ISTIO_NETWORKING,
    as_dict,
    as_list,
    dns1123_subdomain_errors,
    spec_of,
    strict_int,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.operators import (
    CERT_MANAGER,
    fmt_seconds,
    go_duration,
    missing_text,
    resolve,
    secret_writers,
    writers_of,
)
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
SRC = "cert-manager internal/apis/certmanager/validation"
MIN_DURATION = 3600.0  # cmapi.MinimumCertificateDuration
MIN_RENEW_BEFORE = 300.0  # cmapi.MinimumRenewBefore
DEFAULT_DURATION = 90 * 24 * 3600.0  # cmapi.DefaultCertificateDuration
ISSUER_TYPES = ("acme", "ca", "selfSigned", "vault", "venafi")
SIGNATURE_ALGORITHMS = {"RSA": ("SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA"),
                        "ECDSA": ("ECDSAWithSHA256", "ECDSAWithSHA384", "ECDSAWithSHA512"),
                        "Ed25519": ("PureEd25519",)}
IDENTITIES = ("commonName", "literalSubject", "dnsNames", "uris", "emailAddresses", "ipAddresses", "otherNames")
KEY_USAGES = frozenset({
    "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
    "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
    "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
    "microsoft sgc", "netscape sgc"})  # pkg/api/util: KeyUsageType, ExtKeyUsageType
DIRECT_INJECTION = "cert-manager.io/allow-direct-injection"
ISSUER_ANNOTATIONS = {"cert-manager.io/issuer": "Issuer", "cert-manager.io/cluster-issuer": "ClusterIssuer"}


def _certificates(index: ManifestIndex) -> list[Document]:
    return index.kind("Certificate", CERT_MANAGER)


@rule("CG-CERT-001", E, "Certificate rejected by cert-manager's webhook (durations, identities, key, issuerRef)",
      "api",
      why=f"ValidateCertificateSpec ({SRC}/certificate.go) refuses what the CRD schema lets through: duration "
          "under 1h, renewBefore under 5m or not below the duration (default 2160h), renewBefore together with "
          "renewBeforePercentage, no identity at all (commonName, dnsNames, uris, emailAddresses, ipAddresses), a "
          "commonName over 64 characters, an unparsable IP address, an unknown key usage, a cert-manager.io/ "
          "annotation in secretTemplate, a secretName that is no DNS subdomain, an RSA "
          "key size outside 2048-8192 or an ECDSA size other than 256/384/521, a signature algorithm of another "
          "key algorithm, revisionHistoryLimit under 1, and an issuerRef kind other than Issuer/ClusterIssuer for "
          "the cert-manager.io group.",
      fix="set duration above renewBefore (e.g. duration: 2160h, renewBefore: 360h), give dnsNames, and keep "
          "issuerRef.kind Issuer or ClusterIssuer (an external issuer needs its issuerRef.group)",
      example="""\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  duration: 24h
  renewBefore: 48h
  issuerRef: {name: ca, kind: Issuer}
""")
def certificate_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _certificates(index):
        for fld, message in _certificate_errors(spec_of(doc)):
            yield finding("CG-CERT-001", doc, f"{fld}: {message}", field=fld)


def _certificate_errors(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    secret = spec.get("secretName")
    if isinstance(secret, str) and secret:
        for err in dns1123_subdomain_errors(secret):
            yield "spec.secretName", f"Invalid value: {secret!r}: {err}"
    ref = as_dict(spec.get("issuerRef"))
    if ref.get("group") in (None, "", "cert-manager.io") and ref.get("kind") not in (None, "", "Issuer",
                                                                                       "ClusterIssuer"):
        hint = "" if ref.get("group") else " (did you forget to set spec.issuerRef.group?)"
        yield "spec.issuerRef.kind", f"Invalid value: {ref.get('kind')!r}: must be one of Issuer or ClusterIssuer{hint}"
    if not any(spec.get(k) for k in IDENTITIES):
        yield "spec", ("Invalid value: at least one of commonName, dnsNames, emailAddresses, ipAddresses, "
                       "otherNames or uris must be set")
    cn = spec.get("commonName")
    if isinstance(cn, str) and len(cn) > 64:
        yield "spec.commonName", f"Too long: may not be more than 64 bytes (has {len(cn)})"
    for i, ip in enumerate(as_list(spec.get("ipAddresses"))):
        try:
            ipaddress.ip_address(str(ip))
        except ValueError:
            yield f"spec.ipAddresses[{i}]", f"Invalid value: {ip!r}: invalid IP address"
    for i, usage in enumerate(as_list(spec.get("usages"))):
        if usage not in KEY_USAGES:
            yield f"spec.usages[{i}]", f"Invalid value: {usage!r}: unknown keyusage"
    for key in as_dict(as_dict(spec.get("secretTemplate")).get("annotations")):
        if str(key).startswith("cert-manager.io/") and key != DIRECT_INJECTION:
            yield "spec.secretTemplate.annotations", (f"Invalid value: {key!r}: cert-manager.io/* annotations are "
                                                      "not allowed")
    yield from _key_errors(spec)
    yield from _duration_errors(spec)
    limit = strict_int(spec.get("revisionHistoryLimit"))
    if limit is not None and limit < 1:
        yield "spec.revisionHistoryLimit", f"Invalid value: {limit}: must not be less than 1"


def _key_errors(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    key = as_dict(spec.get("privateKey"))
    algorithm = str(key.get("algorithm") or "RSA")
    size = strict_int(key.get("size"))
    if size and algorithm == "RSA" and not 2048 <= size <= 8192:
        yield "spec.privateKey.size", f"Invalid value: {size}: must be between 2048 and 8192 for rsa keyAlgorithm"
    if size and algorithm == "ECDSA" and size not in (256, 384, 521):
        yield "spec.privateKey.size", f"Unsupported value: {size}: supported values: \"256\", \"384\", \"521\""
    sig = spec.get("signatureAlgorithm")
    allowed = SIGNATURE_ALGORITHMS.get(algorithm)
    if sig and allowed and sig not in allowed:
        yield "spec.signatureAlgorithm", (f"Invalid value: {sig!r}: for key algorithm {algorithm} the allowed "
                                          f"signature algorithms are {list(allowed)}")


def _duration_errors(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    duration = go_duration(spec["duration"]) if "duration" in spec else DEFAULT_DURATION
    renew = go_duration(spec.get("renewBefore")) if "renewBefore" in spec else None
    percentage = strict_int(spec.get("renewBeforePercentage"))
    if duration is None:
        return  # not a Go duration: the CRD schema or the API server's decoding reports it
    if duration < MIN_DURATION:
        yield "spec.duration", f"Invalid value: {fmt_seconds(duration)}: certificate duration must be greater than 1h"
    if renew is not None and percentage is not None:
        yield "spec.renewBefore", "Invalid value: renewBefore and renewBeforePercentage are mutually exclusive"
    if renew is not None and renew < MIN_RENEW_BEFORE:
        yield "spec.renewBefore", (f"Invalid value: {fmt_seconds(renew)}: certificate renewBefore must be greater "
                                   "than 5m")
    if renew is not None and renew >= duration:
        yield "spec.renewBefore", (f"Invalid value: {fmt_seconds(renew)}: certificate duration "
                                   f"{fmt_seconds(duration)} must be greater than renewBefore")
    if percentage is not None:
        before = duration * (100 - percentage) / 100
        if before < MIN_RENEW_BEFORE or before >= duration:
            yield "spec.renewBeforePercentage", (f"Invalid value: {percentage}: must result in a renewBefore "
                                                 "greater than 5m and less than the duration")


@rule("CG-CERT-002", E, "Issuer/ClusterIssuer configures no issuer type, or more than one", "api",
      why=f"ValidateIssuerConfig ({SRC}/issuer.go): exactly one of acme, ca, selfSigned, vault, venafi (`at least "
          "one issuer must be configured`, `may not specify more than one issuer type`); a CA issuer needs its "
          "secretName, an ACME issuer its server and privateKeySecretRef.name.",
      fix="keep one issuer type under spec (e.g. spec.ca.secretName: my-ca)",
      example="""\
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: ca}
spec:
  selfSigned: {}
  ca: {secretName: root-ca}
""")
def issuer_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in [*index.kind("Issuer", CERT_MANAGER), *index.kind("ClusterIssuer", CERT_MANAGER)]:
        spec = spec_of(doc)
        types = [t for t in ISSUER_TYPES if spec.get(t) is not None]
        if not types:
            yield finding("CG-CERT-002", doc, "spec: Required value: at least one issuer must be configured "
                          f"(one of {', '.join(ISSUER_TYPES)})", field="spec")
        for extra in types[1:]:
            yield finding("CG-CERT-002", doc, f"spec.{extra}: Forbidden: may not specify more than one issuer type "
                          f"(also {types[0]})", field=f"spec.{extra}")
        ca, acme = spec.get("ca"), spec.get("acme")
        if isinstance(ca, dict) and not ca.get("secretName"):
            yield finding("CG-CERT-002", doc, "spec.ca.secretName: Required value", field="spec.ca.secretName")
        if isinstance(acme, dict):
            if not acme.get("server"):
                yield finding("CG-CERT-002", doc, "spec.acme.server: Required value", field="spec.acme.server")
            if not as_dict(acme.get("privateKeySecretRef")).get("name"):
                yield finding("CG-CERT-002", doc, "spec.acme.privateKeySecretRef.name: Required value",
                              field="spec.acme.privateKeySecretRef.name")


def _issuer_refs(index: ManifestIndex) -> Iterator[tuple[Document, str, str, str]]:
    """(object, issuer kind, issuer name, field) of every Certificate issuerRef and ingress-shim annotation."""
    for doc in _certificates(index):
        ref = as_dict(spec_of(doc).get("issuerRef"))
        if ref.get("group") not in (None, "", "cert-manager.io") or not ref.get("name"):
            continue  # an external issuer (its own group): its kinds are not cert-manager's
        yield doc, str(ref.get("kind") or "Issuer"), str(ref["name"]), "spec.issuerRef.name"
    for doc in index.kind("Ingress", INGRESS_GROUPS):
        for annotation, kind in ISSUER_ANNOTATIONS.items():
            name = doc.annotations.get(annotation)
            if name and not doc.annotations.get("cert-manager.io/issuer-group"):
                yield doc, kind, str(name), f"metadata.annotations[{annotation}]"


@rule("CG-CERT-003", E, "Certificate (or ingress-shim annotation) names an Issuer/ClusterIssuer that is not there",
      "cross",
      why="cert-manager looks the issuerRef up by kind and name (an Issuer in the Certificate's own namespace, a "
          "ClusterIssuer cluster-wide); when it is missing the CertificateRequest stays pending (`issuer not "
          "found`) and the Secret is never written, so every TLS listener using it fails. Certain (error) for an "
          "Issuer when the render holds Issuers in that namespace; a warning when the issuer may be created "
          "outside the render (any ClusterIssuer, an Issuer of a namespace the render has none in): declare it "
          "under `external:` in .chartgen-check.yaml, or render it, to make the check certain.",
      fix="name an Issuer rendered in the same namespace (or the ClusterIssuer the platform provides), with the "
          "matching kind",
      example="""\
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: selfsigned}
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  issuerRef: {name: self-signed, kind: Issuer}
""")
def issuer_references(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc, kind, name, fld in _issuer_refs(index):
        ns = index.namespace_of(doc)
        _, severity = resolve(index, opts, kind, name, CERT_MANAGER, ns, namespaced=kind == "Issuer")
        if severity is None:
            continue
        other = "ClusterIssuer" if kind == "Issuer" else "Issuer"
        mixed = index.get(other, name, ns if other == "Issuer" else None, CERT_MANAGER)
        if mixed is not None:
            yield finding("CG-CERT-003", doc, f"{fld}: {kind} {name!r} does not exist, but the render has an {other} "
                          f"of that name: the kind is wrong", field=fld, hint=f"set the issuer kind to {other}")
        else:
            yield finding("CG-CERT-003", doc, f"{fld}: {missing_text(kind, name, severity)}; the certificate is "
                          "issued only if it exists", field=fld, severity=severity)


def host_matches(pattern: str, host: str) -> bool:
    """An X.509 DNS SAN (a `*.` wildcard covers exactly one label) against a host name."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def _tls_uses(index: ManifestIndex) -> Iterator[tuple[Document, str, list[str], str]]:
    """(Ingress, secret name, hosts, field) of every Ingress TLS entry that names a Secret."""
    for doc in index.kind("Ingress", INGRESS_GROUPS):
        for i, tls in enumerate(as_list(spec_of(doc).get("tls"))):
            tls = as_dict(tls)
            if tls.get("secretName"):
                hosts = [str(h) for h in as_list(tls.get("hosts")) if isinstance(h, str)]
                yield doc, str(tls["secretName"]), hosts, f"spec.tls[{i}]"


def _gateway_tls_uses(index: ManifestIndex) -> Iterator[tuple[Document, str, str | None, list[str], str]]:
    """(Gateway, secret name, its namespace (None: any), hosts, field) of the TLS servers of Istio Gateways (the
    secret lives with the gateway's pods, whose namespace the render may not show) and of Gateway API listeners."""
    for doc in index.kind("Gateway", ISTIO_NETWORKING):
        for i, server in enumerate(as_list(spec_of(doc).get("servers"))):
            server = as_dict(server)
            secret = as_dict(server.get("tls")).get("credentialName")
            if isinstance(secret, str) and secret:
                hosts = [str(h).rsplit("/", 1)[-1] for h in as_list(server.get("hosts")) if isinstance(h, str)]
                yield doc, secret, None, [h for h in hosts if h != "*"], f"spec.servers[{i}].hosts"
    for doc in index.kind("Gateway", GATEWAY_API):
        for i, listener in enumerate(as_list(spec_of(doc).get("listeners"))):
            listener = as_dict(listener)
            host = listener.get("hostname")
            for ref in as_list(as_dict(listener.get("tls")).get("certificateRefs")):
                ref = as_dict(ref)
                if ref.get("name") and ref.get("kind", "Secret") == "Secret" and ref.get("group", "") == "" and \
                        isinstance(host, str):
                    yield doc, str(ref["name"]), str(ref.get("namespace") or index.namespace_of(doc) or "") or None, \
                        [host], f"spec.listeners[{i}].hostname"


@rule("CG-CERT-004", E, "TLS host (Ingress, Gateway) not covered by the Certificate that writes its secret", "cross",
      why="The Certificate writing the TLS secret of an Ingress, an Istio Gateway server (credentialName) or a "
          "Gateway API listener (certificateRefs) holds only its dnsNames (and commonName): a TLS host that none "
          "of them matches (a `*.` wildcard covers one label) gets a certificate for "
          "another name, and every client rejects the handshake for that host.",
      fix="add the host to the Certificate's dnsNames (or use one secret per set of hosts)",
      example="""\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls:
  - {secretName: web-tls, hosts: [api.example.com]}
  defaultBackend:
    service: {name: web, port: {number: 80}}
""")
def certificate_hosts(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    uses = [(doc, secret, index.namespace_of(doc), hosts, f"{fld}.hosts") for doc, secret, hosts, fld in
            _tls_uses(index)]
    for doc, secret, ns, hosts, fld in [*uses, *_gateway_tls_uses(index)]:
        certs = [w.doc for w in writers_of(index, secret, ns) if w.doc.kind == "Certificate"]
        for cert in certs:
            spec = spec_of(cert)
            names = [str(n) for n in as_list(spec.get("dnsNames"))]
            if isinstance(spec.get("commonName"), str):
                names.append(spec["commonName"])
            for j, host in enumerate(hosts):
                if not any(host_matches(n, host) for n in names):
                    at = fld if fld.endswith("hostname") else f"{fld}[{j}]"
                    yield finding("CG-CERT-004", doc, f"{at}: host {host!r} is not among the dnsNames of "
                                  f"Certificate {cert.name} ({', '.join(names) or 'none'}) that writes secret "
                                  f"{secret}; TLS clients reject it", field=at)


@rule("CG-CERT-005", W, "Ingress TLS secret produced by nothing, in a render that makes its TLS secrets", "cross",
      why="An Ingress whose TLS secret is neither rendered, nor written by a rendered Certificate or "
          "ExternalSecret, nor requested through cert-manager's ingress-shim annotations "
          "(cert-manager.io/issuer, cert-manager.io/cluster-issuer) serves the controller's default certificate "
          "until someone creates that Secret by hand. Judged only where the render writes Secrets through "
          "Certificates or ExternalSecrets in that namespace (a chart that takes an existing secret is not judged, "
          "as elsewhere); there a secret nothing writes is most likely a misspelt name. A warning: the Secret may "
          "still be made by hand; declare it under `external:` to say so.",
      fix="render a Certificate with that secretName, annotate the Ingress with cert-manager.io/cluster-issuer, "
          "or declare the Secret under `external:` in .chartgen-check.yaml",
      example="""\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls:
  - {secretName: web-cert, hosts: [web.example.com]}
  defaultBackend:
    service: {name: web, port: {number: 80}}
""")
def tls_secret_producer(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ing, secret, _hosts, fld in _tls_uses(index):
        ns = index.namespace_of(ing)
        shim = any(a in ing.annotations for a in (*ISSUER_ANNOTATIONS, "kubernetes.io/tls-acme"))
        if shim or writers_of(index, secret, ns) or opts.is_external("Secret", secret, ns):
            continue
        if not any(ManifestIndex._same_ns(space, ns) and any(w.doc.kind != "Secret" for w in writers)
                   for (space, _name), writers in secret_writers(index).items()):
            continue  # the render makes no Secret through an operator here: an existing secret, not judged
        yield finding("CG-CERT-005", ing, f"{fld}.secretName: Secret {secret!r} is not rendered and no rendered "
                      "Certificate, ExternalSecret or cert-manager annotation produces it", field=f"{fld}.secretName")
