"""Pod fields behind feature gates (kubernetes pkg/apis/core/validation/validation.go): dynamic resource allocation
(pod.spec.resourceClaims, container resources.claims; validatePodResourceClaims / validateResourceClaimNames) and
clusterTrustBundle projected sources (validateProjectionSources). With the gate off the API server drops these
fields on create instead of rejecting them, so an error is certain only where the gate is on by default -
CG-POD-014, CG-POD-015."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    as_dict,
    as_list,
    containers,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    pod_spec_field,
    qualified_name_errors,
)
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.rules.pod_spec import _kube_minor, relative_path_errors

E, W = Severity.ERROR, Severity.WARNING
SRC = "kubernetes pkg/apis/core/validation/validation.go"
DRA_GA_MINOR = 34  # DynamicResourceAllocation is GA (on by default) from Kubernetes 1.34


@rule("CG-POD-014", E, "Pod resource claims invalid, or a container claims a name pod.spec.resourceClaims lacks",
      "api",
      why=f"validatePodResourceClaims / validateResourceClaimNames ({SRC}): each pod.spec.resourceClaims entry has "
          "a unique DNS-label name and exactly one of resourceClaimName and resourceClaimTemplateName (DNS "
          "subdomains); a container's resources.claims names one of those entries, once per request. Certain "
          "from Kubernetes 1.34 (DynamicResourceAllocation GA); on older versions a warning, because with the "
          "gate off the API server drops the fields and the pod runs without the device.",
      fix="add the claim to pod.spec.resourceClaims ({name: gpu, resourceClaimTemplateName: gpu}) and reference "
          "it by that name from resources.claims",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: train}
spec:
  containers:
  - name: train
    image: nginx:1.27
    resources: {claims: [{name: gpu}]}
  resourceClaims: [{name: accel, resourceClaimTemplateName: gpu}]
""")
def resource_claims(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    severity = E if _kube_minor(opts) >= DRA_GA_MINOR else W
    for pt in index.pod_templates:
        for fld, msg in _claim_errors(pt):
            yield finding("CG-POD-014", pt.owner, f"{fld}: {msg}", field=fld, severity=severity)


def _claim_errors(pt: PodTemplate) -> Iterator[tuple[str, str]]:
    base = pod_spec_field(pt)
    names: set[str] = set()
    for i, claim in enumerate(as_list(as_dict(pt.spec).get("resourceClaims"))):
        claim, fld = as_dict(claim), f"{base}.resourceClaims[{i}]"
        name = claim.get("name")
        if not name:
            yield f"{fld}.name", "Required value"
        elif name in names:
            yield f"{fld}.name", f"Duplicate value: {name!r}"
        elif errs := dns1123_label_errors(str(name)):
            yield f"{fld}.name", f"Invalid value: {name!r}: {errs[0]}"
        if name:
            names.add(str(name))
        sources = [k for k in ("resourceClaimName", "resourceClaimTemplateName") if claim.get(k) is not None]
        if len(sources) != 1:
            yield fld, ("Invalid value: at most one of `resourceClaimName` or `resourceClaimTemplateName` may be "
                        "specified" if sources else "Invalid value: must specify one of: `resourceClaimName`, "
                        "`resourceClaimTemplateName`")
        for key in sources:
            if errs := dns1123_subdomain_errors(str(claim[key])):
                yield f"{fld}.{key}", f"Invalid value: {claim[key]!r}: {errs[0]}"
    if isinstance(as_dict(as_dict(pt.spec).get("resources")).get("claims"), list):
        yield f"{base}.resources.claims", "Forbidden: claims may not be set for Resources at the pod level"
    for c in containers(pt, ("initContainers", "containers")):
        seen: set[str] = set()
        for j, ref in enumerate(as_list(as_dict(c.obj.get("resources")).get("claims"))):
            ref, fld = as_dict(ref), f"{c.path}.resources.claims[{j}]"
            name, request = ref.get("name"), ref.get("request")
            if not name:
                yield fld, "Required value"
                continue
            key = f"{name}/{request}" if request else str(name)
            if key in seen:
                yield fld, f"Duplicate value: {name!r} ({c.what})"
            seen.add(key)
            if name not in names:
                known = ", ".join(sorted(names)) or "which is empty"
                yield fld, f"Not found: {name!r}: must be one of the names in pod.spec.resourceClaims: {known} " \
                           f"({c.what})"
            if request and (errs := dns1123_label_errors(str(request))):
                yield f"{fld}.request", f"Invalid value: {request!r}: {errs[0]}"


@rule("CG-POD-015", W, "clusterTrustBundle projected source invalid (rejected when the gate is on)", "api",
      why=f"validateProjectionSources ({SRC}): a clusterTrustBundle source uses exactly one of name and "
          "signerName (a qualified name), labelSelector only with signerName, a non-empty relative path without "
          "'..', no path written twice, and no other volume type in the same source. Rejected when the "
          "ClusterTrustBundleProjection feature gate is on; with it off (the default) the API server drops the "
          "source and the file never appears in the container, so this is a warning.",
      fix="give the source {signerName: example.com/my-signer, path: ca.pem} or {name: my-bundle, path: ca.pem}, "
          "one volume type per projected source",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    volumeMounts: [{name: ca, mountPath: /etc/ca}]
  volumes:
  - name: ca
    projected:
      sources: [{clusterTrustBundle: {name: bundle, signerName: example.com/signer, path: ca.pem}}]
""")
def cluster_trust_bundles(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        base = pod_spec_field(pt)
        for i, v in enumerate(as_list(as_dict(pt.spec).get("volumes"))):
            paths = _projected_paths(as_dict(as_dict(v).get("projected")))
            for j, source in enumerate(as_list(as_dict(as_dict(v).get("projected")).get("sources"))):
                ctb = as_dict(source).get("clusterTrustBundle")
                if isinstance(ctb, dict):
                    fld = f"{base}.volumes[{i}].projected.sources[{j}]"
                    for suffix, msg in _bundle_errors(as_dict(source), ctb, paths):
                        yield finding("CG-POD-015", pt.owner, f"{fld}.{suffix}: {msg}", field=f"{fld}.{suffix}")


def _projected_paths(projected: dict[str, Any]) -> list[str]:
    """Every path a projected volume writes, one entry per writer."""
    out: list[str] = []
    for source in as_list(projected.get("sources")):
        source = as_dict(source)
        for kind in ("configMap", "secret", "downwardAPI"):
            out += [str(as_dict(i).get("path")) for i in as_list(as_dict(source.get(kind)).get("items"))]
        for kind in ("serviceAccountToken", "clusterTrustBundle"):
            if isinstance(source.get(kind), dict):
                out.append(str(source[kind].get("path")))
    return out


def _bundle_errors(source: dict[str, Any], ctb: dict[str, Any], paths: list[str]) -> Iterator[tuple[str, str]]:
    name, signer = ctb.get("name"), ctb.get("signerName")
    if name is not None and signer is not None:
        yield "clusterTrustBundle", "Invalid value: only one of name and signerName may be used"
    elif name is None and signer is None:
        yield "clusterTrustBundle", "Required value: either name or signerName must be used"
    elif signer is not None and (errs := qualified_name_errors(str(signer))):
        yield "clusterTrustBundle.signerName", f"Invalid value: {signer!r}: {errs[0]}"
    if ctb.get("labelSelector") is not None and signer is None:
        yield "clusterTrustBundle.labelSelector", "Invalid value: labelSelector may only be used with signerName"
    path = ctb.get("path")
    if not path:
        yield "clusterTrustBundle.path", "Required value"
    elif errs := relative_path_errors(str(path)):
        yield "clusterTrustBundle.path", f"Invalid value: {path!r}: {errs[0]}"
    elif paths.count(str(path)) > 1:
        yield "clusterTrustBundle.path", f"Invalid value: {path!r}: conflicting duplicate paths"
    others = [k for k in ("configMap", "secret", "downwardAPI", "serviceAccountToken", "podCertificate")
              if source.get(k) is not None]
    if others:
        yield "clusterTrustBundle", f"Forbidden: may not specify more than 1 volume type per source (also {others[0]})"
