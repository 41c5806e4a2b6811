"""Layer "api", ConfigMaps and Secrets: key syntax, data/binaryData overlap, base64 payloads, size, and the keys
each Secret type requires (kubernetes pkg/apis/core/validation/validation.go ValidateConfigMap / ValidateSecret)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import as_dict
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.rules.pod_spec import config_key_errors

E, W = Severity.ERROR, Severity.WARNING
LAYER = "api"
SRC = "kubernetes pkg/apis/core/validation/validation.go"
MAX_SIZE = 1024 * 1024  # corev1.MaxSecretSize, and the ConfigMap limit

# Secret type -> (required keys: all of; any of)
SECRET_TYPE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "kubernetes.io/tls": (("tls.crt", "tls.key"), ()),
    "kubernetes.io/dockerconfigjson": ((".dockerconfigjson",), ()),
    "kubernetes.io/dockercfg": ((".dockercfg",), ()),
    "kubernetes.io/ssh-auth": (("ssh-privatekey",), ()),
    "kubernetes.io/basic-auth": ((), ("username", "password")),
}
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"


def _decoded(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:  # Go's decoder, which the API server uses, skips \r and \n
        return base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def _config_docs(index: ManifestIndex) -> Iterator[Document]:
    for kind in ("ConfigMap", "Secret"):
        for doc in index.kind(kind):
            if doc.api_version == "v1":
                yield doc


@rule("CG-CFG-001", E, "ConfigMap/Secret key invalid or duplicated, data not base64, or object over 1 MiB", LAYER,
      why=f"ValidateConfigMap / ValidateSecret ({SRC}): keys consist of alphanumerics, '-', '_' and '.' (not '.', "
          "'..' or starting with '..'); a ConfigMap key may not be in both data and binaryData; Secret data values "
          "must be base64 (the request is rejected as `illegal base64 data`); the whole object must be under 1 MiB.",
      fix="rename the key (e.g. app_config.yaml instead of app/config.yaml), base64-encode Secret data (or use "
          "stringData), and keep one copy of each key",
      example="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data:
  config/app.yaml: |
    debug: false
""")
def keys(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _config_docs(index):
        sections = ("data", "binaryData") if doc.kind == "ConfigMap" else ("data", "stringData")
        size = 0
        for section in sections:
            for key, value in as_dict(doc.obj.get(section)).items():
                fld = f"{section}[{key}]"
                if isinstance(key, str) and (errs := config_key_errors(key)):
                    yield finding("CG-CFG-001", doc, f"{fld}: Invalid value: {key!r}: {errs[0]}", field=fld)
                size += len(str(key)) + len(str(value or ""))
                base64_section = section == "binaryData" or (doc.kind == "Secret" and section == "data")
                if base64_section and value is not None and _decoded(value) is None:
                    yield finding("CG-CFG-001", doc, f"{fld}: Invalid value: illegal base64 data (the API server "
                                  "rejects the request)", field=fld,
                                  hint="base64-encode the value (b64enc in Helm) or move it to stringData")
        if doc.kind == "ConfigMap":
            data = as_dict(doc.obj.get("data"))
            for key in as_dict(doc.obj.get("binaryData")):
                if key in data:
                    yield finding("CG-CFG-001", doc, f"binaryData[{key}]: Invalid value: {key!r}: duplicate of key "
                                  "present in data", field=f"binaryData[{key}]")
        if size > MAX_SIZE:
            yield finding("CG-CFG-001", doc, f"data: Too long: must have at most {MAX_SIZE} bytes (has about {size})",
                          field="data")


def secret_keys(doc: Document) -> dict[str, bytes | None]:
    """The Secret's keys after the API server merges stringData into data (values decoded where possible)."""
    out: dict[str, bytes | None] = {str(k): _decoded(v) for k, v in as_dict(doc.obj.get("data")).items()}
    for k, v in as_dict(doc.obj.get("stringData")).items():
        out[str(k)] = str(v if v is not None else "").encode()
    return out


@rule("CG-CFG-002", E, "Secret lacks the keys its type requires (tls, dockerconfigjson, ...)", LAYER,
      why=f"ValidateSecret ({SRC}): kubernetes.io/tls needs tls.crt and tls.key; dockerconfigjson needs a "
          ".dockerconfigjson key holding JSON; dockercfg .dockercfg; ssh-auth ssh-privatekey; basic-auth username or "
          "password; service-account-token the kubernetes.io/service-account.name annotation.",
      fix="add the required keys for the Secret's type, or use type Opaque for free-form data",
      example="""\
apiVersion: v1
kind: Secret
metadata: {name: web-tls}
type: kubernetes.io/tls
data:
  cert.pem: LS0tLS1CRUdJTi0tLS0t
  key.pem: LS0tLS1CRUdJTi0tLS0t
""")
def secret_type(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("Secret"):
        if doc.api_version != "v1":
            continue
        stype = str(doc.obj.get("type") or "Opaque")
        present = secret_keys(doc)
        if stype == "kubernetes.io/service-account-token" and not doc.annotations.get(SA_NAME_ANNOTATION):
            yield finding("CG-CFG-002", doc, f"metadata.annotations[{SA_NAME_ANNOTATION}]: Required value",
                          field=f"metadata.annotations[{SA_NAME_ANNOTATION}]")
        if stype not in SECRET_TYPE_KEYS:
            continue
        all_of, any_of = SECRET_TYPE_KEYS[stype]
        for key in all_of:
            if key not in present:
                yield finding("CG-CFG-002", doc, f"data[{key}]: Required value (type {stype}; keys: "
                              f"{', '.join(sorted(present)) or 'none'})", field=f"data[{key}]")
        if any_of and not any(k in present for k in any_of):
            yield finding("CG-CFG-002", doc, f"data[{any_of[0]}]: Required value: type {stype} needs "
                          f"{' or '.join(any_of)}", field="data")
        if stype in ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"):
            key = all_of[0]
            raw = present.get(key)
            if raw is not None and not _is_json(raw):
                yield finding("CG-CFG-002", doc, f"data[{key}]: Invalid value: \"<secret contents redacted>\": "
                              "invalid character: not valid JSON", field=f"data[{key}]")


def _is_json(raw: bytes) -> bool:
    try:
        json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True
