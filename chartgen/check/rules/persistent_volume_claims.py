"""PersistentVolumeClaims (core/v1): what ValidatePersistentVolumeClaim (kubernetes
pkg/apis/core/validation/validation.go) rejects in a rendered claim - CG-PVC-001. The same spec checks apply to
StatefulSet volumeClaimTemplates (CG-APPS-003); both use chartgen/check/volume_claims.py."""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import spec_of
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.volume_claims import claim_spec_errors


@rule("CG-PVC-001", Severity.ERROR, "PersistentVolumeClaim access modes, storage request or volumeMode invalid", "api",
      why="ValidatePersistentVolumeClaimSpec (kubernetes pkg/apis/core/validation/validation.go): at least one "
          "valid access mode (ReadWriteOncePod alone), resources.requests.storage greater than zero unless the "
          "claim is populated from a data source, volumeMode Block or Filesystem.",
      fix="set accessModes: [ReadWriteOnce] and resources.requests.storage (e.g. 8Gi)",
      example="""\
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: '0'}}
""")
def claims(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("PersistentVolumeClaim", ("",)):
        for suffix, msg in claim_spec_errors(spec_of(doc)):
            yield finding("CG-PVC-001", doc, f"spec.{suffix}: {msg}", field=f"spec.{suffix}")
