"""The real-world corpus (``../shared/realworld``, always passed by path) as the sets chartgen checks.

Used by bench/check.py, bench/corpus.py and tests/corpus/. Rules, explicit so nothing is left out silently:

* a file inside the ``templates/`` folder of a chart (a folder holding ``Chart.yaml``) is a Helm template, not a
  manifest: it is excluded (:func:`helm_templates` lists them);
* ``bookinfo/``'s four files are one consistent set and are checked together; every file of ``bitnami/`` and
  ``helm-create/`` is one chart's output and is checked alone: :func:`sets`, where chartgen must raise no error;
* every file of ``charts/`` (the wider 2026-12 corpus) is one chart's output too: :func:`chart_sets`. chartgen's
  errors there are measured by bench scripts, not asserted, except the schema layers (built-in and CRD) and the
  two known true errors, :data:`KNOWN_ERRORS`;
* ``istio-samples/`` files reference objects in sibling files (and many are alternatives to each other), so they are
  used file by file only where a single object is judged on its own: the schema layer.
"""

from __future__ import annotations

from pathlib import Path

SUFFIXES = (".yaml", ".yml")
SINGLE_FILE_FOLDERS = ("bitnami", "helm-create")
# set name -> (rule, kind) of the true errors it holds (shared/realworld/SOURCE.md): APIs removed before 1.31
KNOWN_ERRORS = {"charts/prometheus-adapter": {("CG-SCHEMA-003", "APIService")},
                "charts/traefik-full": {("CG-SCHEMA-003", "PodDisruptionBudget")}}


class CorpusMissing(Exception):
    """The corpus path does not hold what these sets need."""


def require(root: Path) -> Path:
    missing = [f"{root}/{d}" for d in ("bookinfo", *SINGLE_FILE_FOLDERS, "charts", "istio-samples")
               if not (root / d).is_dir()]
    if missing:
        raise CorpusMissing(f"real-world corpus incomplete or missing: {', '.join(missing)} (pass the path of "
                            "shared/realworld, e.g. ../shared/realworld)")
    return root


def helm_templates(root: Path) -> list[Path]:
    """Files under a chart's templates/ folder: Go templates, not rendered manifests."""
    charts = [p.parent for p in root.rglob("Chart.yaml")]
    return sorted(p for c in charts for p in (c / "templates").rglob("*") if p.suffix in SUFFIXES and p.is_file())


def manifest_files(root: Path) -> list[Path]:
    """Every rendered manifest file of the corpus (Helm templates and chart metadata excluded)."""
    excluded = set(helm_templates(root))
    return sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file() and p not in excluded
                  and p.name not in ("Chart.yaml", "values.yaml"))


def sets(root: Path) -> dict[str, list[Path]]:
    """bookinfo's four files together; every file of bitnami/ and helm-create/ alone."""
    require(root)
    out: dict[str, list[Path]] = {"bookinfo": sorted((root / "bookinfo").glob("*.yaml"))}
    for folder in SINGLE_FILE_FOLDERS:
        for p in sorted((root / folder).glob("*.yaml")):
            out[f"{folder}/{p.stem}"] = [p]
    return out


def istio_sample_files(root: Path) -> list[Path]:
    require(root)
    return [p for p in manifest_files(root) if (root / "istio-samples") in p.parents]


def chart_sets(root: Path) -> dict[str, list[Path]]:
    """Every file of charts/ alone."""
    require(root)
    return {f"charts/{p.stem}": [p] for p in sorted((root / "charts").glob("*.yaml"))}
