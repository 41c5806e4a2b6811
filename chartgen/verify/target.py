"""A chart to render and its environments (from chartgen.yaml, else its values-<env>.yaml files). Below
chartgen.verify.chart and chartgen.verify.diff, which both render a chart's environments (neither imports the other for
it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from chartgen.core.errors import ChartgenError
from chartgen.core.record import Record, record
from chartgen.helm.chart_apis import tested_api_versions
from chartgen.helm.runner import DEFAULT_KUBE_VERSION, Helm, HelmResult

if TYPE_CHECKING:
    from chartgen.spec.loader import Spec


@record
class EnvTarget(Record):
    name: str
    namespace: str
    values_file: Path | None


@record
class TemplateCall(Record):
    """One `helm template` of a chart folder: everything on its command line but the binary and the folder."""

    release: str
    namespace: str
    values: tuple[Path, ...]
    kube_version: str
    api_versions: tuple[str, ...]

    def run(self, helm: Helm, chart: Path) -> HelmResult:
        return helm.template(chart, self.release, self.namespace, list(self.values), kube_version=self.kube_version,
                             api_versions=self.api_versions)


@record
class ChartTarget(Record):
    path: Path
    name: str
    kube_version: str
    environments: tuple[EnvTarget, ...]
    has_spec: bool = False
    api_versions: tuple[str, ...] = ()  # the APIs its templates test for (.Capabilities.APIVersions.Has "...")
    spec: Spec | None = field(default=None, compare=False, repr=False)  # its chartgen.yaml, read once

    @classmethod
    def load(cls, path: Path, kube_version: str | None = None, *, keep_spec: bool = False) -> ChartTarget:
        """keep_spec: the chart's next load_spec (verify's drift check) gets the spec read here, unless its file
        changed in between (chartgen.spec.loader.load_spec)."""
        from chartgen.generate.transaction import recover_interrupted

        path = path.parent if path.name in ("chartgen.yaml", "Chart.yaml") else path
        recover_interrupted(path)  # an interrupted run is finished or discarded before the chart is read
        chart_yaml = path / "Chart.yaml"
        if not chart_yaml.is_file():
            raise ChartgenError(str(path), None, "not a chart folder (no Chart.yaml)")
        name = _chart_name(chart_yaml)
        envs: list[EnvTarget] = []
        spec_kube = spec = None
        has_spec = (path / "chartgen.yaml").is_file()
        if has_spec:
            from chartgen.spec.loader import load_spec

            spec = load_spec(path, keep=keep_spec)
            spec_kube = spec.kube_version
            for env in spec.environments:
                envs.append(EnvTarget(env.name, env.namespace, path / f"values-{env.name}.yaml"))
        else:
            for vf in sorted(path.glob("values-*.yaml")):
                envs.append(EnvTarget(vf.stem.removeprefix("values-"), "default", vf))
        if not envs:
            envs.append(EnvTarget("default", "default", None))
        return cls(path, name, kube_version or spec_kube or DEFAULT_KUBE_VERSION, tuple(envs), has_spec,
                   tested_api_versions(path), spec)

    def env(self, name: str) -> EnvTarget:
        for e in self.environments:
            if e.name == name:
                return e
        raise ChartgenError(str(self.path), "--env", f"unknown environment {name!r}; allowed: "
                            f"{', '.join(e.name for e in self.environments)}")

    def with_api_versions(self, extra: Sequence[str]) -> tuple[str, ...]:
        """The API versions helm template renders with: the ones the templates test for, then `extra`."""
        return tuple(dict.fromkeys((*self.api_versions, *extra)))

    def call(self, env: EnvTarget, *, release: str | None = None, namespace: str | None = None,
             api_versions: Sequence[str] = ()) -> TemplateCall:
        """How environment `env` is rendered (release: the chart name, namespace: the environment's, by default)."""
        return TemplateCall(release or self.name, namespace or env.namespace,
                            (env.values_file,) if env.values_file else (), self.kube_version,
                            self.with_api_versions(api_versions))

    def template(self, helm: Helm, env: str, *, release: str | None = None, namespace: str | None = None,
                 api_versions: Sequence[str] = ()) -> HelmResult:
        call = self.call(self.env(env), release=release, namespace=namespace, api_versions=api_versions)
        return call.run(helm, self.path)


def _chart_name(chart_yaml: Path) -> str:
    try:
        return str((yaml.safe_load(chart_yaml.read_text(encoding="utf-8-sig")) or {})["name"])
    except UnicodeDecodeError as exc:
        raise ChartgenError(str(chart_yaml), None, f"not UTF-8 text ({exc.reason} at byte {exc.start}); helm "
                            "reads Chart.yaml as UTF-8") from None
    except OSError as exc:
        raise ChartgenError(str(chart_yaml), None, f"cannot read: {exc.strerror or exc}") from None
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise ChartgenError(str(chart_yaml), "name", f"cannot read the chart name: {exc}") from None
