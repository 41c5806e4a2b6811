"""What the operator rule modules (chartgen/check/rules/operators_*.py) share: the API groups of the operators, the
Secrets their custom resources write (cert-manager Certificates, external-secrets ExternalSecrets) next to the
Secrets the chart renders itself, and Go durations as the operators parse them (time.ParseDuration).

A reference resolves to an error only when the render is complete for the referenced kind in that namespace
(`helpers.renders_kind_in`); otherwise the object may live outside the render and the rules warn.
"""

from __future__ import annotations

import re
from typing import Any

from chartgen.check.helpers import as_dict, as_list, index_cache, renders_kind_in, spec_of
from chartgen.check.model import CheckOptions, Document, ManifestIndex, Severity
from chartgen.core.record import Record, record

CERT_MANAGER = ("cert-manager.io",)
EXTERNAL_SECRETS = ("external-secrets.io",)
KEDA = ("keda.sh",)
ARGO_ROLLOUTS = ("argoproj.io",)
MONITORING = ("monitoring.coreos.com",)

# cert-manager writes these keys (pkg/apis/meta/v1: TLSCAKey, corev1.TLSCertKey, corev1.TLSPrivateKeyKey); the
# additional output formats and keystores add theirs
CERTIFICATE_KEYS = frozenset({"tls.crt", "tls.key", "ca.crt"})
OUTPUT_FORMAT_KEYS = {"DER": "key.der", "CombinedPEM": "tls-combined.pem"}
KEYSTORE_KEYS = {"jks": ("keystore.jks", "truststore.jks"), "pkcs12": ("keystore.p12", "truststore.p12")}


def resolve(index: ManifestIndex, opts: CheckOptions, kind: str, name: str, groups: tuple[str, ...],
            namespace: str | None, *, namespaced: bool = True) -> tuple[Document | None, Severity | None]:
    """A reference by kind and name: (the rendered object, None) when it resolves; (None, None) when it is declared
    under `external:`; otherwise (None, ERROR) when the render is complete for that namespaced kind in that
    namespace, and (None, WARNING) when the object may live outside the render (a cluster-scoped kind, or a
    namespace the render holds none of that kind in)."""
    scope = namespace if namespaced else None
    found = index.get(kind, name, scope, groups)
    if found is not None or opts.is_external(kind, name, scope):
        return found, None
    if namespaced and renders_kind_in(index, kind, groups, namespace):
        return None, Severity.ERROR
    return None, Severity.WARNING


def missing_text(kind: str, name: str, severity: Severity) -> str:
    """How a reference that does not resolve is named in a finding."""
    if severity is Severity.ERROR:
        return f"{kind} {name!r} is not among the {kind}s rendered in this namespace"
    return f"{kind} {name!r} is not in the rendered manifests (declare it under `external:` if it exists elsewhere)"


@record
class SecretWriter(Record):
    """An object that writes a Secret: a rendered Secret (Helm), a Certificate or an ExternalSecret."""

    doc: Document
    secret: str  # the Secret's name
    field: str  # where the writer names it
    keys: frozenset[str] | None  # the keys it writes; None when the render cannot tell (dataFrom, templateFrom)
    owns: bool  # creates and owns the Secret (an ExternalSecret with creationPolicy Merge/None only adds to one)

    @property
    def what(self) -> str:
        return f"{self.doc.kind} {self.doc.name}"


def _certificate_writer(doc: Document) -> SecretWriter | None:
    spec = spec_of(doc)
    name = spec.get("secretName")
    if not isinstance(name, str) or not name:
        return None
    keys = set(CERTIFICATE_KEYS)
    for fmt in as_list(spec.get("additionalOutputFormats")):
        keys.add(OUTPUT_FORMAT_KEYS.get(str(as_dict(fmt).get("type")), ""))
    for store, names in KEYSTORE_KEYS.items():
        if as_dict(as_dict(spec.get("keystores")).get(store)).get("create") is True:
            keys.update(names)
    return SecretWriter(doc, name, "spec.secretName", frozenset(keys - {""}), owns=True)


def external_secret_target(doc: Document) -> str:
    """The Secret an ExternalSecret writes: spec.target.name, defaulting to the ExternalSecret's own name."""
    name = as_dict(spec_of(doc).get("target")).get("name")
    return name if isinstance(name, str) and name else doc.name


def external_secret_keys(doc: Document) -> frozenset[str] | None:
    """The keys the Secret of an ExternalSecret holds, when its spec decides them: data[].secretKey, or the
    template's data keys (mergePolicy Replace, the default, keeps only those; Merge adds them). None when dataFrom
    or templateFrom bring keys the render cannot know."""
    spec = spec_of(doc)
    template = as_dict(as_dict(spec.get("target")).get("template"))
    if as_list(spec.get("dataFrom")) or as_list(template.get("templateFrom")):
        return None
    data_keys = {str(as_dict(d).get("secretKey")) for d in as_list(spec.get("data")) if as_dict(d).get("secretKey")}
    template_keys = {str(k) for k in as_dict(template.get("data"))}
    if not template_keys:
        return frozenset(data_keys)
    if template.get("mergePolicy") == "Merge":
        return frozenset(data_keys | template_keys)
    return frozenset(template_keys)


def creation_policy(doc: Document) -> str:
    policy = as_dict(spec_of(doc).get("target")).get("creationPolicy")
    return policy if isinstance(policy, str) and policy else "Owner"


def _external_secret_writer(doc: Document) -> SecretWriter | None:
    policy = creation_policy(doc)
    if policy == "None":
        return None
    field = "spec.target.name" if as_dict(spec_of(doc).get("target")).get("name") else "metadata.name"
    return SecretWriter(doc, external_secret_target(doc), field, external_secret_keys(doc),
                        owns=policy in ("Owner", "Orphan"))


def _rendered_secret(doc: Document) -> SecretWriter:
    keys = {str(k) for section in ("data", "stringData") for k in as_dict(doc.obj.get(section))}
    return SecretWriter(doc, doc.name, "metadata.name", frozenset(keys), owns=True)


def secret_writers(index: ManifestIndex) -> dict[tuple[str | None, str], list[SecretWriter]]:
    """(namespace, Secret name) -> every rendered object that writes that Secret, built once per index."""
    def build() -> dict[tuple[str | None, str], list[SecretWriter]]:
        out: dict[tuple[str | None, str], list[SecretWriter]] = {}
        writers: list[SecretWriter | None] = [_rendered_secret(d) for d in index.kind("Secret", ("",))]
        writers += [_certificate_writer(d) for d in index.kind("Certificate", CERT_MANAGER)]
        writers += [_external_secret_writer(d) for d in index.kind("ExternalSecret", EXTERNAL_SECRETS)]
        for w in writers:
            if w is not None:
                out.setdefault((index.namespace_of(w.doc), w.secret), []).append(w)
        return out

    return index_cache(index, "_cg_secret_writers", build)


def writers_of(index: ManifestIndex, name: str, namespace: str | None) -> list[SecretWriter]:
    """The writers of Secret `name` in `namespace` (an absent namespace on either side matches any)."""
    return [w for (ns, secret), ws in secret_writers(index).items() if secret == name
            and ManifestIndex._same_ns(ns, namespace) for w in ws]


def secret_keys(writers: list[SecretWriter]) -> frozenset[str] | None:
    """The keys a Secret holds given its writers; None when a writer's keys are unknown."""
    keys: set[str] = set()
    for w in writers:
        if w.keys is None:
            return None
        keys |= w.keys
    return frozenset(keys)


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration(value: Any) -> float | None:
    """Seconds of a Go duration string (time.ParseDuration: "2160h", "1h30m", "-5m", "0"); None when it does
    not parse."""
    if not isinstance(value, str) or not value:
        return None
    text, sign = value, 1.0
    if text[0] in "+-":
        sign, text = (-1.0 if text[0] == "-" else 1.0), text[1:]
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return sign * total if pos == len(text) and pos > 0 else None


def fmt_seconds(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds >= 3600 else f"{seconds / 60:g}m" if seconds >= 60 else f"{seconds:g}s"
