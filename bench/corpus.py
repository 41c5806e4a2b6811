"""Fault-detection benchmark: which tool catches which known fault, and which flags clean manifests.

Corpus (bench/check_corpus/, see its README.md):
  faulty/*.yaml  rendered manifests, each with ONE known fault and a header naming it:
                     # fault: <what is wrong>
                     # expect: <rule id chartgen must report at error severity>
                     # layer: schema | api | cross | istio | posture
                     # profile: prod              (optional; posture faults are errors only under --profile prod)
                     # also: <rule id> (why)      (optional; a rule the fault legitimately triggers as well)
                     # severity: warning          (optional; the fault is likely but not certain: caught at warning)
                     # namespace: <ns>            (optional; as `chartgen check -n`)
                     # derived-from: <chart, env> (optional; helm output of generated-charts/ with one edit)
  clean/*.yaml   realistic manifests we wrote that must not be flagged (a StatefulSet database, an nginx-style
                 frontend with HPA/PDB/NetworkPolicy/Ingress, a small Istio mesh app)
  needs-istio-crds/*.yaml   faults only Istio's CRDs reveal (strict CRD schema, CEL rules): judged only when
                 --istio-crds PATH gives the CRD file (e.g. ../shared/schemas/istio/crd-all.gen-1.30.3.yaml)
  --corpus PATH  the real-world corpus (e.g. ../shared/realworld) as more clean cases: bookinfo, bitnami and helm
                 create's renders (bench/corpus_sets.py)
  + rendered at run time, so they never go stale: every chart under generated-charts/ for every environment
    (helm template -n <env namespace> --kube-version 1.31.0), and `helm create`'s chart (defaults, and with
    autoscaling, ingress and httpRoute on). The prod environment of each generated chart is also checked under
    `--profile prod`, where even a warning counts as a flag.

Tools, each on every file:
  chartgen check                 in-process (chartgen.check.command.check_text), --kube-version 1.31; a fault is
                                 caught only if its `expect` rule is reported at error severity, and any other
                                 error rule (not listed in `also`) is reported as unexpected
  kubernetes-validate --strict   -k 1.31.0, one process per file; caught/flagged = non-zero exit
  helm lint --strict             on a throw-away chart whose templates/ holds the file as a static manifest
                                 (generated charts: the real chart with -f values-<env>.yaml); caught/flagged =
                                 non-zero exit

Exit status: 0 when chartgen catches every fault (and reports no unexpected error rule) and flags no clean file;
1 otherwise; 2 when a tool or the corpus is missing. The other tools' results never change the exit status.

Usage: python bench/corpus.py [--tools chartgen,kubernetes-validate,helm] [--files] [--jobs N]
                              [--istio-crds ../shared/schemas/istio/crd-all.gen-1.30.3.yaml]
                              [--corpus ../shared/realworld]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "bench" / "check_corpus"
FAULTY = CORPUS / "faulty"
CLEAN = CORPUS / "clean"
ISTIO_CRD_FAULTS = CORPUS / "needs-istio-crds"
GENERATED = REPO / "generated-charts"
KUBERNETES_VALIDATE = REPO / ".venv" / "bin" / "kubernetes-validate"
KUBE_VERSION = "1.31.0"  # helm and kubernetes-validate
CHECK_KUBE = "1.31"  # chartgen check --kube-version
HELM_VERSION = "4.1.4"
LAYERS = ("schema", "api", "cross", "istio", "posture")
TOOLS = ("chartgen", "kubernetes-validate", "helm")
TOOL_TITLES = {"chartgen": "chartgen check", "kubernetes-validate": "kubernetes-validate --strict",
               "helm": "helm lint --strict"}
_HEADER = re.compile(r"^#\s*([a-z][a-z-]*):\s*(.*?)\s*$")
_RULE_ID = re.compile(r"\bCG(?:-[A-Z]+)+-\d{3}\b")

if str(REPO) not in sys.path:  # run as `python bench/corpus.py` from anywhere
    sys.path.insert(0, str(REPO))


# -- corpus ------------------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One file of the corpus (or one rendered chart environment) and how it must be judged."""

    id: str  # "faulty/<fault-id>", "clean/<file>", "generated/<chart>[<env>]", "helm-create/<variant>"
    clean: bool
    text: str
    path: Path | None = None  # the file on disk (rendered cases get one in a temp dir for the CLI tools)
    layer: str = "clean"
    expect: str | None = None
    also: frozenset[str] = frozenset()
    profile: str = "default"
    namespace: str | None = None
    description: str = ""
    derived_from: str | None = None
    strict_warnings: bool = False  # clean under --profile prod: a warning is a flag too
    expect_warning: bool = False  # `severity: warning`: the input cannot prove the fault, a warning catches it
    chart: Path | None = None  # helm lint the real chart (generated charts) instead of a wrapper
    values: Path | None = None
    crds: tuple[str, ...] = ()  # CRD files chartgen check is given (--crds)

    @property
    def name(self) -> str:
        return self.id.split("/", 1)[1]


class CorpusError(Exception):
    """A malformed corpus file or a missing prerequisite (exit 2)."""


def parse_header(text: str) -> dict[str, str]:
    """The `# key: value` lines at the top of a faulty file (before the first document separator)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("---"):
            break
        m = _HEADER.match(line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def load_faults(folder: Path = FAULTY, crds: tuple[str, ...] = ()) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        h = parse_header(text)
        missing = [k for k in ("fault", "expect", "layer") if not h.get(k)]
        if missing:
            raise CorpusError(f"{path}: header lacks {', '.join(missing)}")
        if h["layer"] not in LAYERS:
            raise CorpusError(f"{path}: layer {h['layer']!r} is not one of {', '.join(LAYERS)}")
        if not _RULE_ID.fullmatch(h["expect"]):
            raise CorpusError(f"{path}: expect {h['expect']!r} is not one rule id")
        cases.append(Case(f"faulty/{path.stem}", False, text, path, layer=h["layer"], expect=h["expect"],
                          also=frozenset(_RULE_ID.findall(h.get("also", ""))), profile=h.get("profile", "default"),
                          namespace=h.get("namespace") or None, description=h["fault"],
                          derived_from=h.get("derived-from"), crds=crds,
                          expect_warning=h.get("severity") == "warning"))
    if not cases:
        raise CorpusError(f"no faulty files under {folder}")
    return cases


def load_clean_files(folder: Path = CLEAN) -> list[Case]:
    cases = [Case(f"clean/{p.stem}", True, p.read_text(encoding="utf-8"), p) for p in sorted(folder.glob("*.yaml"))]
    if not cases:
        raise CorpusError(f"no clean files under {folder}")
    return cases


def load_realworld(root: Path) -> list[Case]:
    """The real-world sets where chartgen must raise no error (bench/corpus_sets.py), one clean case each."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import corpus_sets

    try:
        sets = corpus_sets.sets(root)
    except corpus_sets.CorpusMissing as err:
        raise CorpusError(str(err)) from None
    return [Case(f"realworld/{name}", True, "\n---\n".join(p.read_text(encoding="utf-8") for p in paths),
                 paths[0] if len(paths) == 1 else None, namespace="demo") for name, paths in sets.items()]


def find_helm():
    """helm 4.1.4 as installed by `chartgen helm install`, else whatever chartgen would use."""
    from chartgen.helm import install as helm_install
    from chartgen.helm.runner import Helm, HelmNotFound
    from chartgen.helm.runner import find_helm as chartgen_find_helm

    pinned = helm_install.installed_path(HELM_VERSION)
    if pinned.is_file():
        return Helm(str(pinned))
    try:
        return chartgen_find_helm()
    except HelmNotFound as err:
        raise CorpusError(f"helm not found ({err}); run `make setup`") from None


def _parallel(fn: Callable, items: Iterable, jobs: int) -> list:
    items = list(items)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(fn, items))


def render_generated(helm, jobs: int = 4, charts_dir: Path = GENERATED) -> list[Case]:
    """Every chart under generated-charts/ for every environment, rendered now (the repo is not written)."""
    from chartgen.verify.chart import ChartTarget

    targets = [ChartTarget.load(p.parent) for p in sorted(charts_dir.glob("*/Chart.yaml"))]
    if not targets:
        raise CorpusError(f"no charts under {charts_dir}")
    jobs_list = [(t, e) for t in targets for e in t.environments]

    def one(job) -> list[Case]:
        target, env = job
        res = target.template(helm, env.name)
        if not res.ok:
            raise CorpusError(f"helm template {target.path} ({env.name}) failed: {res.message}")
        base = Case(f"generated/{target.path.name}[{env.name}]", True, res.stdout, layer="clean",
                    namespace=env.namespace, chart=target.path, values=env.values_file)
        out = [base]
        if env.name == "prod":
            out.append(Case(f"generated/{target.path.name}[prod] --profile prod", True, res.stdout, layer="clean",
                            namespace=env.namespace, profile="prod", strict_warnings=True, chart=target.path,
                            values=env.values_file))
        return out

    return [c for group in _parallel(one, jobs_list, jobs) for c in group]


HELM_CREATE_VARIANTS = {
    "defaults": [],
    "autoscaling-ingress-httproute": ["--set", "autoscaling.enabled=true,ingress.enabled=true,httpRoute.enabled=true"],
}


def render_helm_create(helm, workdir: Path) -> list[Case]:
    """`helm create`'s chart rendered now: with its defaults, and with every optional template switched on."""
    chart = workdir / "demo-app"
    res = helm.run("create", str(chart))
    if not res.ok:
        raise CorpusError(f"helm create failed: {res.message}")
    cases = []
    for variant, args in HELM_CREATE_VARIANTS.items():
        res = helm.run("template", "demo", str(chart), "-n", "demo", "--kube-version", KUBE_VERSION, *args)
        if not res.ok:
            raise CorpusError(f"helm template of the helm create chart ({variant}) failed: {res.message}")
        cases.append(Case(f"helm-create/helm{helm.version}-{variant}", True, res.stdout, namespace="demo"))
    return cases


def write_rendered(cases: list[Case], dest: Path) -> None:
    """Give every rendered case a file (kubernetes-validate and the helm lint wrapper read files)."""
    dest.mkdir(parents=True, exist_ok=True)
    for i, case in enumerate(cases):
        if case.path is None:
            slug = re.sub(r"[^A-Za-z0-9.-]+", "_", case.id).strip("_")
            case.path = dest / f"{i:03d}-{slug}.yaml"
            case.path.write_text(case.text, encoding="utf-8")


# -- tools -------------------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    flagged: bool  # faulty: caught; clean: falsely flagged
    detail: str = ""  # what the tool said (short)
    unexpected: list[str] = field(default_factory=list)  # chartgen: error rules a faulty file should not trigger
    error: str | None = None  # the tool could not judge the file


def chartgen_verdict(case: Case) -> Verdict:
    from chartgen.check.command import check_text
    from chartgen.check.model import CheckOptions, Severity

    findings = check_text(case.text, case.id, CheckOptions(kube_version=CHECK_KUBE, profile=case.profile,
                                                          crds=case.crds), case.namespace)
    threshold = Severity.WARNING if case.strict_warnings else Severity.ERROR
    failing = [f for f in findings if f.severity >= threshold]
    rules = sorted({f.rule for f in failing})
    if case.clean:
        return Verdict(bool(failing), "; ".join(f"{f.rule} {f.message}" for f in failing[:3]))
    caught = any(f.rule == case.expect for f in failing) or case.expect_warning and any(
        f.rule == case.expect and f.severity >= Severity.WARNING for f in findings)
    unexpected = [r for r in rules if r != case.expect and r not in case.also]
    return Verdict(caught, ", ".join(rules) or "no errors", unexpected)


def kubernetes_validate_verdict(case: Case) -> Verdict:
    proc = subprocess.run([str(KUBERNETES_VALIDATE), "--strict", "-k", KUBE_VERSION, "--no-warn", "--quiet",
                           str(case.path)], capture_output=True, text=True, timeout=300)
    out = (proc.stdout + proc.stderr).strip()
    first = next((ln for ln in out.splitlines() if ln.startswith("ERROR") or "Traceback" in ln), out[:200])
    return Verdict(proc.returncode != 0, first.replace(str(case.path), case.name)[:240])


WRAPPER_CHART = "apiVersion: v2\nname: {name}\ndescription: the corpus file as a static template\n" \
                "type: application\nversion: 0.1.0\n"


def helm_lint_verdict(case: Case, helm, workdir: Path) -> Verdict:
    if case.chart is not None:  # a generated chart: lint the real chart with the environment's values
        res = helm.lint(case.chart, [case.values] if case.values else [], strict=True, kube_version=KUBE_VERSION)
    else:
        chart = Path(tempfile.mkdtemp(prefix="lint-", dir=workdir)) / "corpus-file"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(WRAPPER_CHART.format(name="corpus-file"), encoding="utf-8")
        if "{{" in case.text or "}}" in case.text:  # keep helm from reading it as a template
            (chart / "files").mkdir()
            (chart / "files" / "manifest.yaml").write_text(case.text, encoding="utf-8")
            (chart / "templates" / "manifest.yaml").write_text('{{ .Files.Get "files/manifest.yaml" }}\n',
                                                              encoding="utf-8")
        else:
            (chart / "templates" / "manifest.yaml").write_text(case.text, encoding="utf-8")
        res = helm.lint(chart, [], strict=True, kube_version=KUBE_VERSION)
    said = [ln.strip() for ln in (res.stdout + res.stderr).splitlines()
            if ln.lstrip().startswith(("[ERROR]", "[WARNING]"))]
    return Verdict(not res.ok, (said[0] if said else "")[:240])


# -- running -----------------------------------------------------------------------------------------------------


@dataclass
class Run:
    tool: str
    verdicts: dict[str, Verdict]
    seconds: float


def run_tool(tool: str, cases: list[Case], helm, workdir: Path, jobs: int) -> Run:
    start = time.perf_counter()
    if tool == "chartgen":
        verdicts = {c.id: chartgen_verdict(c) for c in cases}  # in-process; the schemas are loaded once
    elif tool == "kubernetes-validate":
        # kubernetes-validate judges a file, not a profile: the "--profile prod" case is the same file again
        uniq = [c for c in cases if not c.strict_warnings]
        results = dict(zip([c.id for c in uniq], _parallel(kubernetes_validate_verdict, uniq, jobs)))
        verdicts = {c.id: results.get(c.id) or results[c.id.removesuffix(" --profile prod")] for c in cases}
    elif tool == "helm":
        uniq = [c for c in cases if not c.strict_warnings]
        results = dict(zip([c.id for c in uniq], _parallel(lambda c: helm_lint_verdict(c, helm, workdir), uniq, jobs)))
        verdicts = {c.id: results.get(c.id) or results[c.id.removesuffix(" --profile prod")] for c in cases}
    else:
        raise CorpusError(f"unknown tool {tool!r}: use {', '.join(TOOLS)}")
    return Run(tool, verdicts, time.perf_counter() - start)


def _ratio(n: int, total: int) -> str:
    return f"{n}/{total}"


def table(rows: list[list[object]], head: list[str]) -> None:
    cells = [[str(c) for c in head]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    for n, r in enumerate(cells):
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _wrapped(title: str, items: list[str]) -> None:
    if not items:
        print(f"  {title}: none")
        return
    print(f"  {title} ({len(items)}):")
    print(textwrap.fill(", ".join(items), width=116, initial_indent="    ", subsequent_indent="    ",
                        break_on_hyphens=False))


def report(faults: list[Case], cleans: list[Case], runs: list[Run], show_files: bool) -> None:
    print("\n== summary (a fault is caught by chartgen only if its expected rule is reported at error severity)")
    rows = []
    for run in runs:
        caught = sum(run.verdicts[c.id].flagged for c in faults)
        flagged = sum(run.verdicts[c.id].flagged for c in cleans)
        rows.append([TOOL_TITLES[run.tool], _ratio(caught, len(faults)), _ratio(flagged, len(cleans)),
                     f"{run.seconds:.1f} s"])
    table(rows, ["tool", "faults caught", "clean files flagged", "time"])

    print("\n== faults caught, by layer")
    groups = [(layer, [c for c in faults if c.layer == layer]) for layer in LAYERS]
    groups.append(("(from generated-charts)", [c for c in faults if c.derived_from]))
    rows = [[name] + [_ratio(sum(run.verdicts[c.id].flagged for c in group), len(group)) for run in runs]
            for name, group in groups if group]
    rows.append(["all"] + [_ratio(sum(run.verdicts[c.id].flagged for c in faults), len(faults)) for run in runs])
    table(rows, ["layer"] + [TOOL_TITLES[r.tool] for r in runs])

    print("\n== clean files flagged, by source")
    sources = [("clean/ (our realistic manifests)", [c for c in cleans if c.id.startswith("clean/")]),
               ("real-world corpus (--corpus)", [c for c in cleans if c.id.startswith("realworld/")]),
               ("helm create, rendered now", [c for c in cleans if c.id.startswith("helm-create/")]),
               ("generated-charts, every env", [c for c in cleans if c.id.startswith("generated/")
                                                and not c.strict_warnings]),
               ("generated-charts prod env, --profile prod, warnings count",
                [c for c in cleans if c.strict_warnings])]
    rows = [[name] + [_ratio(sum(run.verdicts[c.id].flagged for c in group), len(group)) for run in runs]
            for name, group in sources if group]
    table(rows, ["source"] + [TOOL_TITLES[r.tool] for r in runs])

    for run in runs:
        print(f"\n== {TOOL_TITLES[run.tool]}")
        _wrapped("faults missed", [c.name for c in faults if not run.verdicts[c.id].flagged])
        if run.tool == "chartgen":
            for c in faults:
                v = run.verdicts[c.id]
                if not v.flagged:
                    print(f"    MISSED {c.name}: expected {c.expect} at error, got {v.detail}")
                if v.unexpected:
                    print(f"    UNEXPECTED {c.name}: also reports {', '.join(v.unexpected)} at error "
                          "(a second fault in the file, or a chartgen false positive)")
        flagged = [c for c in cleans if run.verdicts[c.id].flagged]
        _wrapped("clean files flagged", [c.id for c in flagged])
        for c in flagged:
            print(f"    {c.id}: {run.verdicts[c.id].detail}")

    if show_files:
        print("\n== every file (x = caught / flagged)")
        rows = []
        for c in faults + cleans:
            rows.append([c.id, c.layer, c.expect or "-"] + ["x" if run.verdicts[c.id].flagged else "." for run in runs])
        table(rows, ["file", "layer", "expect"] + [r.tool for r in runs])


def chartgen_failures(faults: list[Case], cleans: list[Case], run: Run) -> list[str]:
    out = []
    for c in faults:
        v = run.verdicts[c.id]
        if not v.flagged:
            out.append(f"missed {c.id} ({c.expect})")
        if v.unexpected:
            out.append(f"unexpected {', '.join(v.unexpected)} in {c.id}")
    out += [f"flagged {c.id}" for c in cleans if run.verdicts[c.id].flagged]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated subset of {', '.join(TOOLS)}")
    ap.add_argument("--files", action="store_true", help="also print the verdict of every tool on every file")
    ap.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 2), help="parallel processes per tool")
    ap.add_argument("--istio-crds", type=Path, help="Istio CRD file: also judge the faults under needs-istio-crds/ "
                    "(e.g. ../shared/schemas/istio/crd-all.gen-1.30.3.yaml)")
    ap.add_argument("--corpus", type=Path, help="real-world corpus folder to add as clean cases (e.g. "
                    "../shared/realworld)")
    args = ap.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    try:
        unknown = [t for t in tools if t not in TOOLS]
        if unknown:
            raise CorpusError(f"unknown tool(s) {', '.join(unknown)}: use {', '.join(TOOLS)}")
        if "kubernetes-validate" in tools and not KUBERNETES_VALIDATE.is_file():
            raise CorpusError(f"{KUBERNETES_VALIDATE} not found; run `make setup`")
        start = time.perf_counter()
        helm = find_helm()
        faults = load_faults()
        if args.istio_crds is not None:
            if not args.istio_crds.is_file():
                raise CorpusError(f"--istio-crds {args.istio_crds}: no such file")
            faults += load_faults(ISTIO_CRD_FAULTS, (str(args.istio_crds),))
        workdir = Path(tempfile.mkdtemp(prefix="chartgen-corpus-"))
        try:
            cleans = load_clean_files() + render_helm_create(helm, workdir) + render_generated(helm, args.jobs)
            if args.corpus is not None:
                cleans += load_realworld(args.corpus)
            write_rendered(cleans, workdir / "rendered")
            print(f"# bench/corpus.py: {len(faults)} faulty files, {len(cleans)} clean cases "
                  f"({len([c for c in cleans if c.strict_warnings])} of them under --profile prod); "
                  f"helm {helm.version}, Kubernetes {KUBE_VERSION}; corpus ready in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
            runs = [run_tool(t, faults + cleans, helm, workdir, args.jobs) for t in tools]
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    except CorpusError as err:
        print(f"bench/corpus.py: {err}", file=sys.stderr)
        return 2
    report(faults, cleans, runs, args.files)
    print(f"\ntotal {time.perf_counter() - start:.1f} s")
    chartgen_run = next((r for r in runs if r.tool == "chartgen"), None)
    if chartgen_run is None:
        return 0
    failures = chartgen_failures(faults, cleans, chartgen_run)
    if failures:
        print(f"FAIL: chartgen check: {'; '.join(failures)}")
        return 1
    print(f"PASS: chartgen check catches all {len(faults)} faults and flags none of the {len(cleans)} clean cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
