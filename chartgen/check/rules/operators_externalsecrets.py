"""external-secrets: what its webhook rejects of an ExternalSecret (apis/externalsecrets/v1: the
ExternalSecretValidator), the stores it reads from, and the Secrets it writes: two writers of one Secret
(Certificates, ExternalSecrets, the chart's own Secrets) and pods reading a key the writer does not produce -
CG-ESO-*."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import as_dict, as_list, spec_of
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.operators import (
    EXTERNAL_SECRETS,
    missing_text,
    resolve,
    secret_keys,
    secret_writers,
    writers_of,
)
from chartgen.check.registry import finding, rule
from chartgen.check.rules.pod_spec import _config_refs

E, W = Severity.ERROR, Severity.WARNING
SRC = "external-secrets apis/externalsecrets/v1/externalsecret_validator.go"
DATA_FROM_SOURCES = ("extract", "find", "sourceRef")


def _external_secrets(index: ManifestIndex) -> list[Document]:
    return index.kind("ExternalSecret", EXTERNAL_SECRETS)


@rule("CG-ESO-001", E, "ExternalSecret rejected by the external-secrets webhook (policies, data, dataFrom)", "api",
      why=f"validateExternalSecret ({SRC}): deletionPolicy Delete needs creationPolicy Owner (the controller must "
          "own the Secret it deletes), deletionPolicy Merge cannot go with creationPolicy None, one of data or "
          "dataFrom must be given, each dataFrom entry names exactly one of extract, find or sourceRef, and two "
          "data entries may not write the same secretKey.",
      fix="set creationPolicy: Owner with deletionPolicy: Delete, and give each data entry its own secretKey",
      example="""\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {creationPolicy: Merge, deletionPolicy: Delete}
  data:
  - secretKey: password
    remoteRef: {key: db/password}
""")
def external_secret_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _external_secrets(index):
        # v1alpha1 (the first API) lists remote keys under dataFrom directly; its webhook checks only policies
        legacy = doc.api_version.endswith("/v1alpha1")
        for fld, message in _external_secret_errors(spec_of(doc), legacy):
            yield finding("CG-ESO-001", doc, f"{fld}: {message}", field=fld)


def _external_secret_errors(spec: dict[str, Any], legacy: bool) -> Iterator[tuple[str, str]]:
    target = as_dict(spec.get("target"))
    creation, deletion = target.get("creationPolicy") or "Owner", target.get("deletionPolicy") or "Retain"
    if deletion == "Delete" and creation in ("Merge", "None"):
        yield "spec.target.deletionPolicy", ("Invalid value: deletionPolicy=Delete must not be used when the "
                                             "controller doesn't own the secret. Please set creationPolicy=Owner")
    if deletion == "Merge" and creation == "None":
        yield "spec.target.deletionPolicy", ("Invalid value: deletionPolicy=Merge must not be used with "
                                             "creationPolicy=None. There is no Secret to merge with")
    if legacy:
        return
    data, data_from = as_list(spec.get("data")), as_list(spec.get("dataFrom"))
    if not data and not data_from:
        yield "spec", "Required value: either data or dataFrom should be specified"
    for i, ref in enumerate(data_from):
        given = [k for k in DATA_FROM_SOURCES if as_dict(ref).get(k) is not None]
        if len(given) != 1:
            yield f"spec.dataFrom[{i}]", ("Invalid value: must set exactly one of extract, find or sourceRef "
                                          f"(has {', '.join(given) or 'none'})")
    seen: dict[str, int] = {}
    for i, d in enumerate(data):
        key = as_dict(d).get("secretKey")
        if isinstance(key, str) and key in seen:
            yield f"spec.data[{i}].secretKey", f"Duplicate value: {key!r} (also spec.data[{seen[key]}])"
        elif isinstance(key, str):
            seen[key] = i


def _store_refs(doc: Document) -> Iterator[tuple[str, str, str]]:
    """(store kind, store name, field) of every store an ExternalSecret reads."""
    spec = spec_of(doc)
    refs = [(as_dict(spec.get("secretStoreRef")), "spec.secretStoreRef")]
    for key in ("data", "dataFrom"):
        for i, d in enumerate(as_list(spec.get(key))):
            refs.append((as_dict(as_dict(as_dict(d).get("sourceRef")).get("storeRef")),
                         f"spec.{key}[{i}].sourceRef.storeRef"))
    for ref, fld in refs:
        if ref.get("name"):
            yield str(ref.get("kind") or "SecretStore"), str(ref["name"]), f"{fld}.name"


@rule("CG-ESO-002", E, "ExternalSecret reads a SecretStore/ClusterSecretStore that is not there", "cross",
      why="The controller resolves secretStoreRef by kind and name (a SecretStore in the ExternalSecret's "
          "namespace, a ClusterSecretStore cluster-wide); a missing store leaves the ExternalSecret in "
          "SecretSyncedError and the Secret is never written, so every pod reading it cannot start. Certain "
          "(error) for a SecretStore when the render holds SecretStores in that namespace; otherwise a warning: "
          "declare the store under `external:` in .chartgen-check.yaml, or render it.",
      fix="name a store that exists, with its kind (SecretStore, the default, or ClusterSecretStore)",
      example="""\
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: vault}
spec:
  provider:
    fake:
      data: [{key: db/password, value: s3cret}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db}
spec:
  secretStoreRef: {name: vault-store, kind: SecretStore}
  data:
  - secretKey: password
    remoteRef: {key: db/password}
""")
def store_references(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _external_secrets(index):
        ns = index.namespace_of(doc)
        for kind, name, fld in _store_refs(doc):
            _, severity = resolve(index, opts, kind, name, EXTERNAL_SECRETS, ns, namespaced=kind == "SecretStore")
            if severity is not None:
                yield finding("CG-ESO-002", doc, f"{fld}: {missing_text(kind, name, severity)}; the Secret is "
                              "written only if it exists", field=fld, severity=severity)


@rule("CG-ESO-003", E, "Two objects write the same Secret (Certificates, ExternalSecrets, the chart's Secret)",
      "cross",
      why="cert-manager rewrites the Secret named by a Certificate's secretName, external-secrets the target of an "
          "ExternalSecret it owns (creationPolicy Owner/Orphan), and Helm the Secrets the chart renders. Two of "
          "them on one Secret overwrite each other on every reconcile (or the second refuses: `secret already "
          "exists and is not managed by this ExternalSecret`), so its keys flip between writers. An "
          "ExternalSecret with creationPolicy Merge or None only adds to an existing Secret and is not counted.",
      fix="give each writer its own Secret name, or make the ExternalSecret merge into the Secret "
          "(target.creationPolicy: Merge)",
      example="""\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: web}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: web-tls}
  data:
  - secretKey: tls.crt
    remoteRef: {key: web/cert}
""")
def secret_writers_conflict(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for (_ns, secret), writers in secret_writers(index).items():
        owners = [w for w in writers if w.owns]
        if len(owners) < 2 or {w.doc.kind for w in owners} == {"Secret"}:
            continue  # duplicate rendered Secrets are CG-OBJ's concern
        first = owners[0]
        for other in owners[1:]:
            yield finding("CG-ESO-003", other.doc, f"{other.field}: writes Secret {secret!r}, which {first.what} "
                          "writes too; the two overwrite each other", field=other.field)


@rule("CG-ESO-004", E, "Pod reads a Secret key that the ExternalSecret writing it does not produce", "cross",
      why="When an ExternalSecret's keys are fixed by its spec (data[].secretKey, or the template's data keys; no "
          "dataFrom, no templateFrom) the Secret holds exactly those: a secretKeyRef or a secret volume item "
          "naming another key leaves the pod in CreateContainerConfigError (`couldn't find key`) unless the "
          "reference is optional.",
      fix="read a key the ExternalSecret writes (its data[].secretKey), or add the key to the ExternalSecret",
      example="""\
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: db}
spec:
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  data:
  - secretKey: password
    remoteRef: {key: db/password}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    env:
    - name: DB_PASSWORD
      valueFrom:
        secretKeyRef: {name: db, key: DB_PASSWORD}
""")
def external_secret_keys_read(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    if not _external_secrets(index):
        return
    for pt in index.pod_templates:
        ns = index.namespace_of(pt.owner)
        for kind, name, key, optional, fld in _config_refs(pt):
            if kind != "Secret" or key is None or optional:
                continue
            writers = writers_of(index, name, ns)
            if not any(w.doc.kind == "ExternalSecret" for w in writers) or \
                    any(w.doc.kind == "Secret" for w in writers):
                continue  # a rendered Secret is CG-POD-013's
            keys = secret_keys(writers)
            if keys is None or key in keys:
                continue
            by = ", ".join(sorted(w.what for w in writers))
            yield finding("CG-ESO-004", pt.owner, f"{fld}: Secret {name} (written by {by}) has no key {key!r} "
                          f"(keys: {', '.join(sorted(keys)) or 'none'}); the container cannot start", field=fld)

