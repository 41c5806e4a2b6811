"""The RuntimeClass admission plugin (kubernetes plugin/pkg/admission/runtimeclass: validateOverhead): a pod's
spec.overhead against its RuntimeClass - CG-POD-016."""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import as_dict, pod_spec_field
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule


@rule("CG-POD-016", Severity.ERROR, "Pod overhead set without a RuntimeClass that defines an overhead", "api",
      why="The RuntimeClass admission plugin (on by default) rejects a pod that sets spec.overhead when its "
          "runtimeClassName is unset, or names a rendered RuntimeClass without overhead: `pod rejected: Pod "
          "Overhead set without corresponding RuntimeClass defined Overhead`. A controller's pods are never "
          "created. (Against a RuntimeClass outside the render the overhead is not checked: it must then equal "
          "that class's podFixed overhead, which only the cluster knows.)",
      fix="drop spec.overhead (the RuntimeClass admission plugin fills it in from the RuntimeClass)",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  overhead: {cpu: 250m, memory: 120Mi}
  containers: [{name: web, image: nginx:1.27}]
""")
def overhead_without_runtime_class(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        spec = as_dict(pt.spec)
        if not as_dict(spec.get("overhead")):
            continue
        name = spec.get("runtimeClassName")
        base = pod_spec_field(pt)
        if not name:
            yield finding("CG-POD-016", pt.owner, f"{base}.overhead: pod rejected: Pod Overhead set without "
                          "corresponding RuntimeClass defined Overhead (no runtimeClassName)", field=f"{base}.overhead")
            continue
        rc = index.get("RuntimeClass", str(name), None, groups=("node.k8s.io",))
        if rc is not None and not as_dict(as_dict(rc.obj.get("overhead")).get("podFixed")):
            yield finding("CG-POD-016", pt.owner, f"{base}.overhead: pod rejected: Pod Overhead set without "
                          f"corresponding RuntimeClass defined Overhead (RuntimeClass {name} defines none)",
                          field=f"{base}.overhead")
