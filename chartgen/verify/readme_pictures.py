"""verify's drift check of a README with traffic pictures (`readme.trafficGraph`), drawn from the renderings verify
makes anyway whenever they are provably the ones `generate` draws from.

`generate` draws the pictures (chartgen.generate.traffic_pictures.add_pictures) from `helm template` of the generated
tree written to a temporary folder, one run per environment. verify renders the chart folder once per environment
too (chartgen.verify.chart.verify_env). So the chart-level job renders the tree without the pictures (`start`) and
asks `why_not_reused`; when nothing stands in the way, the pictures are drawn from verify's own renderings once the
chart's environments are done (`finish`, called by the thread that collects the results: no pool worker waits for
another job); otherwise add_pictures renders the copy, as before. The README, and so the verdict, is the same.

The two renderings are the same when every input of `helm template` is the same:

1. the binary: verify's helm is the path add_pictures runs (`picture_helm`, i.e. `find_helm(None)`; `--helm` may
   name another), and the environment helm runs in is the same (chartgen.helm.runner.isolated_env, one process);
2. the command line, per environment of the spec, in the spec's order (`renderings` against verify's
   `TemplateCall`): release (spec.name; verify: --release or the chart name), namespace (the environment's; verify:
   --namespace), values file (the tree's values-<env>.yaml; verify: the folder's, byte-identical by 3, or none for
   both), --kube-version (spec.kubeVersion; verify: --kube-version or the spec's) and --api-versions (what the
   tree's templates test for; verify: what the folder's test for, then --api-versions), and verify renders every
   environment of the spec (no --env naming only some) and each one renders (else add_pictures runs, and reports
   the failure, as before);
3. the files helm loads: the chart folder holds every file of the tree, byte for byte, README.md aside (4), and no
   other file but chartgen's own that the tree's .helmignore lists (`OWN`: chartgen.yaml, chartgen.schema.json,
   .chartgen.lock, .chartgen/, .chartgen-staging/, tests/__snapshots__/; the .helmignore without a `!` rule).
   Anything else (a hand-written template, charts/, crds/, a file `.Files` could read, a symlinked folder, a file
   that is not a regular one, a folder os.walk cannot read) and the copy is rendered. The tree's Chart.yaml declares
   no dependencies (add_pictures drops them from its copy);
4. README.md differs (the copy has the marker, the folder the pictures): helm loads it into `.Files` only, so it
   changes a rendering only through a template that reads `.Files`. The tree's templates name `Files` only to pass
   it on (`"Files" $.Files` in a dict), and no template action can come from the chart's data through `tpl`: no
   string of values.yaml, of an environment's values file or of Chart.yaml holds `{{` (YAML escapes and line
   continuations read as YAML does; a `!!binary` scalar refused unread). Both READMEs are under 1 MiB (helm refuses
   a file above its size limit). Assumed, not checked: no template hands the whole top-level context (or a dict
   holding its Files) to a function that prints or walks maps (`toYaml $`), which reaches `.Files` without naming
   it. The templates are chartgen's own (3: the tree's, byte for byte), and its blueprints never do;
5. what neither run controls: file times (helm gives templates none) and the folder's name (helm names the chart by
   Chart.yaml). A template that draws random values or reads the clock renders differently on every run; its
   pictures are one draw either way.

Anything else, or any doubt: the copy is rendered (add_pictures), as before.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from chartgen.core.chart_layout import SNAPSHOT_DIR
from chartgen.core.errors import ChartgenError
from chartgen.generate import traffic_pictures as pictures
from chartgen.generate.filetree import FileTree
from chartgen.helm.runner import Helm
from chartgen.helm.template_reads import may_hold_action, reads_files
from chartgen.spec.loader import Spec
from chartgen.verify.target import ChartTarget, TemplateCall

# chartgen's own files in a chart folder, as its .helmignore lists them (a folder with its trailing /)
OWN = ("chartgen.yaml", "chartgen.schema.json", ".chartgen.lock", ".chartgen/", ".chartgen-staging/",
       f"{SNAPSHOT_DIR.as_posix()}/")
HELMIGNORE = ".helmignore"
MAX_README = 1 << 20


def start(target: ChartTarget, spec: Spec, tree: FileTree, helm: Helm, calls: Mapping[str, TemplateCall]) -> bool:
    """Prepare the README of the generated `tree`: True when its pictures wait for verify's renderings (`finish`),
    False when they are drawn already (add_pictures on a copy) or the README has none."""
    if not spec.defaults.value("readme.trafficGraph") or not pictures.wants_pictures(tree):
        return False
    if why_not_reused(target, spec, tree, helm, calls) is None:
        return True
    pictures.add_pictures(tree, spec)
    return False


def finish(tree: FileTree, spec: Spec, rendered: Mapping[str, str], drawn: Mapping[str, str] | None = None) -> None:
    """Draw the pictures of a tree `start` left waiting from verify's renderings (environment -> helm's output of
    the ones that rendered; `drawn`: the sections traffic_pictures.draw_one made of them already); when one is
    missing, from the copy's renderings (add_pictures reports the failure)."""
    if all(env.name in rendered for env in spec.environments):
        pictures.draw(tree, spec, rendered, drawn)
    else:
        pictures.add_pictures(tree, spec)


def why_not_reused(target: ChartTarget, spec: Spec, tree: FileTree, helm: Helm,
                   calls: Mapping[str, TemplateCall]) -> str | None:
    """Why verify's rendering of an environment may differ from add_pictures' one (None: it is the same; see the
    module's conditions). `calls`: verify's `helm template` per environment it renders."""
    if os.linesep != "\n":
        return "add_pictures writes its copy with other line endings"
    try:
        if pictures.picture_helm().path != helm.path:
            return "verify runs another helm binary"
    except ChartgenError:
        return "no helm binary for the pictures"
    if pictures.has_dependencies(tree):
        return "the chart has dependencies (the pictures leave them out)"
    for r in pictures.renderings(tree, spec):
        want = TemplateCall(r.release, r.namespace, (target.path / r.values,) if r.values else (), r.kube_version,
                            r.api_versions)
        if calls.get(r.env) != want:
            return f"verify renders environment {r.env} otherwise, or not at all"
    return _other_files(target.path, tree) or _readme_reachable(tree, spec)


def _other_files(root: Path, tree: FileTree) -> str | None:
    """Why helm may load other files from the folder than from the copy (README.md aside)."""
    ignored = {line.strip() for line in tree[HELMIGNORE].splitlines()} if HELMIGNORE in tree else set()
    if any(line.startswith("!") for line in ignored):
        return f"{HELMIGNORE} has a ! rule"
    own = {p for p in OWN if p in ignored}
    seen: set[str] = set()
    try:
        for rel, path in _files(root, own):
            if rel in own:
                continue
            if rel not in tree:
                return f"{rel} is no file of the generated chart"
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):
                return f"{rel} is not a regular file"
            seen.add(rel)
            if rel == pictures.README:
                if st.st_size > MAX_README or len(tree[pictures.README].encode("utf-8")) > MAX_README:
                    return f"{pictures.README} is large"
                continue
            data = tree[rel].encode("utf-8")
            if st.st_size != len(data) or path.read_bytes() != data:
                return f"{rel} differs from the generated one"
    except OSError as exc:
        return f"cannot read the chart folder: {exc}"
    missing = set(tree.paths()) - seen
    return f"{min(missing)} is missing" if missing else None


def _files(root: Path, own: set[str]) -> Iterator[tuple[str, Path]]:
    """Every file below root (chart-relative path, path), chartgen's `own` folders left out; OSError on a symlinked
    or unreadable folder."""
    def fail(exc: OSError) -> None:
        raise exc

    for folder, dirnames, filenames in os.walk(root, onerror=fail):
        base = Path(folder)
        rel = base.relative_to(root).as_posix()
        prefix = "" if rel == "." else f"{rel}/"
        for d in list(dirnames):
            if (base / d).is_symlink():
                raise OSError(f"{prefix}{d} is a symlinked folder")
            if f"{prefix}{d}/" in own:
                dirnames.remove(d)
        for name in filenames:
            yield prefix + name, base / name


def _readme_reachable(tree: FileTree, spec: Spec) -> str | None:
    """Why a template may read README.md (through .Files), whose copy differs from the folder's."""
    for rel, text in tree:
        if rel.startswith("templates/") and reads_files(text):
            return f"{rel} reads .Files"
    data = ["values.yaml", "Chart.yaml", *(f"values-{env.name}.yaml" for env in spec.environments)]
    for rel in data:
        if rel in tree and may_hold_action(tree[rel]):
            return f"{rel} holds a template action that tpl could run"
    return None
