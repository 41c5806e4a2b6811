"""chart -> helm (lint --strict, template per environment) -> manifests -> checks -> report.

Works on any chart folder: environments come from chartgen.yaml when there is one, else from values-*.yaml.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from chartgen.errors import ChartgenError
from chartgen.helm import DEFAULT_KUBE_VERSION, Helm, HelmResult


@dataclass(frozen=True)
class EnvTarget:
    name: str
    namespace: str
    values_file: Path | None


@dataclass(frozen=True)
class ChartTarget:
    path: Path
    name: str
    kube_version: str
    environments: tuple[EnvTarget, ...]

    @classmethod
    def load(cls, path: Path, kube_version: str | None = None) -> ChartTarget:
        path = path.parent if path.name in ("chartgen.yaml", "Chart.yaml") else path
        chart_yaml = path / "Chart.yaml"
        if not chart_yaml.is_file():
            raise ChartgenError(str(path), None, "not a chart folder (no Chart.yaml)")
        try:
            name = str((yaml.safe_load(chart_yaml.read_text(encoding="utf-8")) or {})["name"])
        except (yaml.YAMLError, KeyError, TypeError) as exc:
            raise ChartgenError(str(chart_yaml), "name", f"cannot read the chart name: {exc}") from None
        envs: list[EnvTarget] = []
        spec_kube = None
        if (path / "chartgen.yaml").is_file():
            from chartgen.spec import load_spec

            spec = load_spec(path)
            spec_kube = spec.kube_version
            for env in spec.environments:
                envs.append(EnvTarget(env.name, env.namespace, path / f"values-{env.name}.yaml"))
        else:
            for vf in sorted(path.glob("values-*.yaml")):
                envs.append(EnvTarget(vf.stem.removeprefix("values-"), "default", vf))
        if not envs:
            envs.append(EnvTarget("default", "default", None))
        return cls(path, name, kube_version or spec_kube or DEFAULT_KUBE_VERSION, tuple(envs))

    def env(self, name: str) -> EnvTarget:
        for e in self.environments:
            if e.name == name:
                return e
        raise ChartgenError(str(self.path), "--env", f"unknown environment {name!r}; allowed: "
                            f"{', '.join(e.name for e in self.environments)}")

    def template(self, helm: Helm, env: str, *, release: str | None = None,
                 namespace: str | None = None) -> HelmResult:
        e = self.env(env)
        values = [e.values_file] if e.values_file else []
        return helm.template(self.path, release or self.name, namespace or e.namespace, values,
                             kube_version=self.kube_version)


@dataclass
class EnvResult:
    chart: str
    env: str
    namespace: str
    lint: HelmResult | None = None
    template: HelmResult | None = None
    findings: list = field(default_factory=list)  # list[chartgen.check.model.Finding]
    manifests: str = ""
    policy: object | None = None  # chartgen.policy.PolicyReport when --policy ran

    @property
    def errors(self) -> list:
        from chartgen.check.model import Severity

        return [f for f in self.findings if f.severity >= Severity.ERROR]

    @property
    def ok(self) -> bool:
        policy_ok = self.policy is None or not self.policy.failed
        return bool(self.lint and self.lint.ok and self.template and self.template.ok and not self.errors
                    and policy_ok)


def verify_env(target: ChartTarget, env: EnvTarget, helm: Helm, run_checks: bool = True,
               policy: str | None = None, crds: tuple[str, ...] = ()) -> EnvResult:
    values = [env.values_file] if env.values_file else []
    result = EnvResult(str(target.path), env.name, env.namespace)
    result.lint = helm.lint(target.path, values, strict=True, kube_version=target.kube_version)
    result.template = helm.template(target.path, target.name, env.namespace, values,
                                    kube_version=target.kube_version)
    if result.template.ok:
        result.manifests = result.template.stdout
        if run_checks:
            from chartgen.check.command import check_text, crd_paths
            from chartgen.check.model import CheckOptions

            kube = ".".join(target.kube_version.split(".")[:2])
            from chartgen.check.loader import InputError
            from chartgen.check.model import Finding, Severity

            source = f"{target.path.name}[{env.name}]"
            try:
                opts = CheckOptions(kube_version=kube, crds=crd_paths(crds, target.path))  # + the chart's crds/
                result.findings = check_text(result.manifests, source, opts, env.namespace)
            except InputError as exc:  # helm rendered something that is not YAML
                result.findings = [Finding("CG-API-001", Severity.ERROR, f"rendered output is not valid YAML: {exc}",
                                           None, source, None, "fix the template that renders this document")]
        if policy == "checkov":
            from chartgen.policy import run_checkov

            result.policy = run_checkov(result.manifests, env.namespace)
    return result


def verify_all(targets: list[ChartTarget], helm: Helm, envs: list[str] | None = None,
               run_checks: bool = True, workers: int = 2, policy: str | None = None,
               crds: tuple[str, ...] = ()) -> list[EnvResult]:
    if policy is not None:
        if policy != "checkov":
            raise ChartgenError("--policy", "policy", f"unknown policy scanner {policy!r}; allowed: checkov")
        from chartgen.policy import find_checkov

        find_checkov()  # fail early, once, with the install hint
    jobs = [(t, e) for t in targets for e in t.environments if not envs or e.name in envs]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: verify_env(job[0], job[1], helm, run_checks, policy, crds), jobs))


def _helm_lines(res: HelmResult | None) -> list[str]:
    if res is None or res.ok:
        return []
    # helm lint prints its findings ([ERROR] ..., [WARNING] ...) on stdout and only a summary on stderr
    findings = [l.strip() for l in res.stdout.splitlines() if l.strip().startswith(("[ERROR]", "[WARNING]"))]
    lines = findings + [l for l in res.stderr.splitlines() if l.strip() and not l.startswith("==>")]
    return lines or ["helm failed with no message"]


def print_report(results: list[EnvResult], helm: Helm, fmt: str = "text", out=None) -> bool:
    out = out or sys.stdout
    ok = all(r.ok for r in results)
    if fmt == "json":
        data = {
            "ok": ok,
            "helm": helm.version,
            "results": [
                {"chart": r.chart, "environment": r.env, "namespace": r.namespace, "ok": r.ok,
                 "lint": {"ok": bool(r.lint and r.lint.ok), "messages": _helm_lines(r.lint)},
                 "template": {"ok": bool(r.template and r.template.ok), "messages": _helm_lines(r.template)},
                 "findings": [f.to_dict() for f in r.findings],
                 "policy": None if r.policy is None else {
                     "passed": r.policy.passed,
                     "failed": [{"check": c.check_id, "name": c.name, "resource": c.resource} for c in r.policy.failed],
                     "waived": [{"check": c.check_id, "resource": c.resource, "reason": c.reason}
                                for c in r.policy.skipped]}}
                for r in results
            ],
        }
        out.write(json.dumps(data, indent=2) + "\n")
        return ok
    out.write(f"helm v{helm.version}\n")
    for r in results:
        status = "ok" if r.ok else "FAILED"
        warn = len(r.findings) - len(r.errors)
        extra = f" ({warn} warning(s))" if warn else ""
        if r.policy is not None:
            extra += (f" [checkov: {r.policy.passed} passed, {len(r.policy.failed)} failed, "
                      f"{len(r.policy.skipped)} waived]")
        out.write(f"{r.chart} [{r.env}, namespace {r.namespace}]: {status}{extra}\n")
        for line in _helm_lines(r.lint):
            out.write(f"  lint: {line}\n")
        for line in _helm_lines(r.template):
            out.write(f"  template: {line}\n")
        for f in r.errors:
            out.write(f"  {f.rule} {f.resource}: {f.message} (hint: {f.hint})\n")
        for c in (r.policy.failed if r.policy is not None else ()):
            out.write(f"  checkov {c.check_id} {c.resource}: {c.name}\n")
    passed = sum(r.ok for r in results)
    out.write(f"{passed} of {len(results)} chart environments passed\n")
    return ok
