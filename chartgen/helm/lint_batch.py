"""One `helm lint --strict` process for all of a chart's environments, when it provably gives each one's verdict.

verify lints every environment (`helm lint --strict CHART -f values-ENV.yaml`): per-environment lint is not implied by
one lint plus `helm template` (missing keys under --strict, schema checks of the merged values). Each helm process
has a start-up cost on top of its work, which one process for all of a chart's environments pays once (issue 27:
fewer helm processes per chart environment). helm lints several chart folders in one process but applies one set
of values to all of them, so each environment gets a copy of the chart whose values.yaml is already what helm makes
of values.yaml plus the environment's files; linting that copy with no -f is linting the chart with the files:

- helm merges -f files over values.yaml key by key: a table over a table merges recursively, anything else replaces
  (chartutil.CoalesceTables / coalesceValues, and mergeMaps between -f files). A null in an -f file deletes a key,
  but not in every place alike (a top-level null for a key values.yaml lacks is kept by coalesceValues and dropped by
  the lint's values check): an environment file that holds a null is never batched.
- The merged file is written from YAML nodes, not values: every scalar keeps its text and whether it was plain or
  quoted, so Go's YAML reads each one exactly as it read the original (yes/on/0o17/1e3/dates resolve however Go
  resolves them, here and there alike). The written text is read back and compared node by node; any difference,
  and anything whose meaning depends on more than its text (an alias or anchor, a merge key `<<`, a key that is not
  a plain string, the same key twice), leaves the environment to its own lint.
- The copy is a folder of the same name whose entries link to the chart's own (helm reads through links), but for
  values.yaml; a chart with subcharts (charts/), a link of its own, a .helmignore that may leave values.yaml out,
  or a template that can read files (`.Files`, or `tpl` of a value that may hold `{{`: it would read the merged
  values.yaml; chartgen.helm.template_reads) is not batched.

Only a pass is taken from the batch: when the batch fails, every environment is linted on its own for its exact
messages (chartgen.verify.chart.verify_env), and an environment whose `helm template` fails is too.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chartgen.helm.runner import Helm
from chartgen.helm.template_reads import TPL, may_hold_action, reads_files

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_MAP = "tag:yaml.org,2002:map"


class _Unsure(Exception):
    """The merge cannot be proven to be helm's."""


def passing(helm: Helm, chart: Path, envs: Mapping[str, Sequence[Path]], kube_version: str,
            started: threading.Event | None = None) -> frozenset[str]:
    """The environments (name -> its -f files) that `helm lint --strict` passes, found with one helm process; an
    environment left out is one the batch could not answer for (lint it on its own). `started` is set once the
    helm process is started, or once it is known that none will be."""
    try:
        return _passing(helm, chart, envs, kube_version, started)
    finally:
        if started is not None:
            started.set()


def _passing(helm: Helm, chart: Path, envs: Mapping[str, Sequence[Path]], kube_version: str,
             started: threading.Event | None) -> frozenset[str]:
    if len(envs) < 2:
        return frozenset()
    try:
        uses_tpl = _check_chart(chart)
        base = (chart / "values.yaml").read_bytes()
        texts = {name: [p.read_bytes() for p in values] for name, values in envs.items()}
        if uses_tpl and any(may_hold_action(t.decode("utf-8", "replace"))
                            for t in (base, *(t for ts in texts.values() for t in ts))):
            raise _Unsure  # a value that `tpl` renders could read values.yaml through .Files
        base_node = _document(base, allow_null=True)
        merged = {name: merged_values(base, ts, base_node) for name, ts in texts.items()}
    except (_Unsure, OSError):
        return frozenset()
    try:
        with tempfile.TemporaryDirectory(prefix="chartgen-lint-") as tmp:
            copies = []
            for i, values in enumerate(merged.values()):
                copy = Path(tmp, str(i), chart.resolve().name)
                _link_chart(chart, copy)
                (copy / "values.yaml").write_bytes(values)
                copies.append(str(copy))
            done = helm.run("lint", *copies, "--kube-version", kube_version, "--strict", started=started)
    except OSError:  # no temporary folder, no symbolic links here: each environment is linted on its own
        return frozenset()
    return frozenset(merged) if done.ok else frozenset()


def _check_chart(chart: Path) -> bool:
    """Whether a template calls `tpl`; _Unsure for a chart whose linked copy could lint differently: subcharts, a
    symbolic link of its own, no values.yaml, or a template that reads files."""
    uses_tpl = False
    for folder, dirs, names in os.walk(chart):
        top = os.path.samefile(folder, chart)
        for d in dirs:
            if os.path.islink(os.path.join(folder, d)) or (top and d == "charts"):
                raise _Unsure  # a linked folder, or subcharts (their values are coalesced with globals)
        for n in names:
            full = os.path.join(folder, n)
            if os.path.islink(full) or not os.path.isfile(full):
                raise _Unsure
        if os.path.relpath(folder, chart).split(os.sep)[0] == "templates":
            for n in names:
                text = Path(folder, n).read_bytes().decode("utf-8", "replace")
                if reads_files(text):
                    raise _Unsure  # .Files.Get "values.yaml" would read the merged copy
                uses_tpl = uses_tpl or TPL.search(text) is not None
    if not (chart / "values.yaml").is_file() or _may_ignore_values(chart):
        raise _Unsure
    return uses_tpl


def _may_ignore_values(chart: Path) -> bool:
    """Whether .helmignore may leave values.yaml out (then helm would read the environment's files, but not the
    merged copy): any pattern that matches the name, any negation."""
    try:
        lines = (chart / ".helmignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return False
    for line in lines:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        if pattern.startswith("!") or fnmatch.fnmatchcase("values.yaml", pattern.strip("/")):
            return True
    return False


def _link_chart(chart: Path, dest: Path) -> None:
    """`dest`: the chart's top-level files and folders as symbolic links (helm reads through them, as it does
    through any link in a chart folder), values.yaml left to the caller. Links, not copies: creating a folder costs
    ~1 ms on some file systems, a link ~20 us."""
    dest.mkdir(parents=True)
    for entry in os.scandir(chart):
        if entry.name != "values.yaml":
            os.symlink(os.path.abspath(entry.path), dest / entry.name)


# --- the merge -----------------------------------------------------------------------------------------------------


def merged_values(base: bytes, overrides: Sequence[bytes], base_node: MappingNode | None = None) -> bytes:
    """values.yaml (`base`, read as `base_node` when given) with the -f files applied in order, as helm applies them,
    as YAML text whose every scalar reads as it did in its own file; _Unsure when that cannot be proven."""
    if not overrides:
        return base
    node = base_node if base_node is not None else _document(base, allow_null=True)
    for text in overrides:
        node = _merge(node, _document(text, allow_null=False))
    out = yaml.serialize(node, Dumper=_DUMPER, width=1 << 30, allow_unicode=True, encoding="utf-8")
    if not _same(_document(out, allow_null=True), node):
        raise _Unsure
    return out


def _document(text: bytes, *, allow_null: bool) -> MappingNode:
    try:
        node = yaml.compose(text.decode("utf-8"), Loader=_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError):
        raise _Unsure from None
    if node is None:  # an empty file: no values
        return MappingNode(_MAP, [])
    if not isinstance(node, MappingNode):
        raise _Unsure
    _plain_tree(node, allow_null, set())
    return node


def _plain_tree(node: Node, allow_null: bool, seen: set[int]) -> None:
    """_Unsure for an alias (a node met twice), a merge key, a key that is not a string, a key given twice, or (unless
    allowed) a null."""
    if id(node) in seen:
        raise _Unsure
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        if node.tag == _NULL and not allow_null:
            raise _Unsure
        return
    if isinstance(node, SequenceNode):
        for item in node.value:
            _plain_tree(item, allow_null, seen)
        return
    keys: set[str] = set()
    for key, value in node.value:
        if not isinstance(key, ScalarNode) or key.tag != _STR or key.value in keys:
            raise _Unsure
        keys.add(key.value)
        _plain_tree(value, allow_null, seen)


def _merge(base: MappingNode, over: MappingNode) -> MappingNode:
    """`over` applied to `base`: a table over a table merges, anything else replaces (helm's rule without nulls)."""
    index = {k.value: i for i, (k, _) in enumerate(base.value)}
    pairs = list(base.value)
    for key, value in over.value:
        i = index.get(key.value)
        if i is None:
            index[key.value] = len(pairs)
            pairs.append((key, value))
        elif isinstance(pairs[i][1], MappingNode) and isinstance(value, MappingNode):
            pairs[i] = (pairs[i][0], _merge(pairs[i][1], value))
        else:
            pairs[i] = (pairs[i][0], value)
    return MappingNode(base.tag, pairs, flow_style=base.flow_style)


def _same(a: Node, b: Node) -> bool:
    """The same tree for Go's YAML: kinds, tags, key order, and each scalar's text and plainness."""
    if type(a) is not type(b) or a.tag != b.tag:
        return False
    if isinstance(a, ScalarNode) and isinstance(b, ScalarNode):
        return a.value == b.value and (a.style in (None, "")) == (b.style in (None, ""))
    if len(a.value) != len(b.value):
        return False
    if isinstance(a, SequenceNode):
        return all(_same(x, y) for x, y in zip(a.value, b.value, strict=True))
    return all(_same(ka, kb) and _same(va, vb) for (ka, va), (kb, vb) in zip(a.value, b.value, strict=True))
