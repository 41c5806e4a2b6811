"""What ValidatePersistentVolumeClaimSpec (kubernetes pkg/apis/core/validation/validation.go) rejects in a claim's
spec, shared by StatefulSet volumeClaimTemplates (CG-APPS-003) and PersistentVolumeClaims (CG-PVC-001)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import as_dict, as_list
from chartgen.check.quantity import parse_quantity

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
VOLUME_MODES = ("Block", "Filesystem")


def claim_spec_errors(pvc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field below spec, message) per problem: access modes, the storage request, volumeMode."""
    modes = as_list(pvc.get("accessModes"))
    if not modes:
        yield "accessModes", "Required value: at least 1 access mode is required"
    for j, mode in enumerate(modes):
        if mode not in ACCESS_MODES:
            yield f"accessModes[{j}]", f"Unsupported value: {mode!r}: supported values: " + ", ".join(
                f'"{m}"' for m in ACCESS_MODES)
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        yield "accessModes", "Forbidden: may not use ReadWriteOncePod with other access modes"
    if pvc.get("dataSource") is None and pvc.get("dataSourceRef") is None:
        storage = as_dict(as_dict(pvc.get("resources")).get("requests")).get("storage")
        if storage is None:
            yield "resources.requests.storage", "Required value"
        elif (q := parse_quantity(storage)) is None or q <= 0:
            yield "resources.requests.storage", f"Invalid value: {storage!r}: must be a quantity greater than zero"
    mode = pvc.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        yield "volumeMode", f"Unsupported value: {mode!r}: supported values: \"Block\", \"Filesystem\""
