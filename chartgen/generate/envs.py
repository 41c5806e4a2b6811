"""Environments: regenerate the values-<env>.yaml files, and add an environment to chartgen.yaml.

Both go through the writer, so a file the user edited is never overwritten. `add_environment` edits chartgen.yaml
as text (appending a block under `environments:`), so the user's comments and layout survive, then re-parses the
result and checks that it means exactly the old spec plus the new environment before writing anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from chartgen.core.errors import ChartgenError
from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.generate.writer import Plan

if TYPE_CHECKING:
    from chartgen.spec.loader import Spec

VALUES_FILE = lazy_pattern(r"^values-(?P<env>[^/]+)\.yaml$")
ENV_NAME = lazy_pattern(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_TOP_KEY = lazy_pattern(r"^environments\s*:(?P<rest>.*)$")


def _spec_dir(chart: Path) -> Path:
    return chart.parent if chart.name == "chartgen.yaml" else chart


def values_selector(env_names: list[str] | None) -> Callable[[str], bool]:
    """The values-<env>.yaml files of these environments; None: every values-<env>.yaml (also stale ones)."""
    if env_names is None:
        return lambda rel: bool(VALUES_FILE.match(rel))
    wanted = {f"values-{e}.yaml" for e in env_names}
    return lambda rel: rel in wanted


@dataclass
class ValuesResult:
    chart: Path
    plan: Plan | None  # None with check=True
    stale: list[str]  # check=True: files that differ from the spec
    values_yaml_stale: bool  # values.yaml itself is out of date (the per-env files are diffs against it)
    sizes: list[str] = field(default_factory=list)  # effective replicas/HPA per environment (sizing.py)


def regenerate_values(chart: Path, envs: list[str] | None = None, *, check: bool = False,
                      force: bool = False) -> ValuesResult:
    """(Re)write only the values-<env>.yaml files of `chart` from its chartgen.yaml (or, with check, compare)."""
    from chartgen.generate.engine import generate
    from chartgen.generate.transaction import recover_interrupted
    from chartgen.generate.writer import drift, write_subset
    from chartgen.spec.loader import load_spec

    chart = _spec_dir(chart)
    recover_interrupted(chart)  # before anything is read: values.yaml below must be the finished chart's
    spec = load_spec(chart)
    names = [e.name for e in spec.environments]
    for env in envs or []:
        if env not in names:
            raise ChartgenError(str(chart / "chartgen.yaml"), "--env",
                                f"unknown environment {env!r}; allowed: {', '.join(names)}")
    tree = generate(spec)
    select = values_selector(list(dict.fromkeys(envs)) if envs else None)
    values_yaml = chart / "values.yaml"
    values_stale = not values_yaml.is_file() or values_yaml.read_text(encoding="utf-8") != tree["values.yaml"]
    if check:
        return ValuesResult(chart, None, drift(tree, chart, select=select), values_stale)
    from chartgen.generate.sizing import effective_sizes

    return ValuesResult(chart, write_subset(tree, chart, select, force=force), [], values_stale,
                        effective_sizes(spec, envs))


# ---------------------------------------------------------------------------------------------- env add


@dataclass
class AddResult:
    chart: Path
    name: str
    profile: str | None
    namespace: str
    plan: Plan
    notes: list[str] = field(default_factory=list)


def add_environment(chart: Path, name: str, source: str, namespace: str | None = None, *,
                    force: bool = False) -> AddResult:
    """Add environment `name` to chart's chartgen.yaml as a copy of `source`, then regenerate the chart."""
    from chartgen.generate.engine import generate
    from chartgen.generate.transaction import recover_interrupted
    from chartgen.generate.writer import write
    from chartgen.spec.blueprints import BlueprintLibrary
    from chartgen.spec.loader import DEFAULT_ENVIRONMENTS, SPEC_FILE, load_spec, parse_spec_text

    chart = _spec_dir(chart)
    recover_interrupted(chart)  # an interrupted run may have been about to rewrite chartgen.yaml
    spec_path = chart / SPEC_FILE
    where = str(spec_path)
    library = BlueprintLibrary.default()
    spec = load_spec(spec_path, library)  # the current spec must be valid before we touch it
    text = spec_path.read_text(encoding="utf-8")
    _check_new_name(spec, name, source, library.profile_names(), where)
    body = _env_body(spec, source, namespace or name)
    raw_envs = spec.raw.get("environments")
    new_text = _insert_environment(text, name, body, None if raw_envs is not None else list(DEFAULT_ENVIRONMENTS),
                                   where)
    new_spec = parse_spec_text(new_text, where, library)  # validates everything; raises before any write

    # The textual edit must mean exactly: the old spec plus the new environment.
    expected = dict(spec.raw)
    expected["environments"] = dict(raw_envs if raw_envs is not None
                                    else {e: {} for e in DEFAULT_ENVIRONMENTS}, **{name: body})
    if new_spec.raw != expected:
        raise ChartgenError(where, "environments", "could not add the environment to this file's layout; "
                                                   "add it by hand")

    tree = generate(new_spec, library)
    tree.add(SPEC_FILE, new_text)
    result = write(tree, chart, force=force, expect={SPEC_FILE: text})
    return AddResult(chart, name, spec.environment(source).profile, body["namespace"], result,
                     _node_port_notes(name, source, body))


def _check_new_name(spec: Spec, name: str, source: str, profiles: list[str], where: str) -> None:
    env_path = f"environments.{name}"
    names = [e.name for e in spec.environments]
    if name in names:
        raise ChartgenError(where, env_path, "already exists; choose another name (or edit it in chartgen.yaml)")
    if not ENV_NAME.match(name) or len(name) > 63:
        raise ChartgenError(where, env_path, f"{name!r} is not a valid environment name: lowercase letters, "
                                             "digits and '-', starting with a letter")
    if source not in names:
        raise ChartgenError(where, "--from", f"unknown environment {source!r}; allowed: {', '.join(names)}")
    if spec.environment(source).profile is None and name in profiles:
        raise ChartgenError(where, env_path, f"would inherit the {name!r} profile from its name, but {source!r} "
                                             "uses no profile; choose another name")


def _env_body(spec: Spec, source: str, namespace: str) -> dict[str, Any]:
    """The new environment's mapping: the source's profile, the namespace, then the source's overrides."""
    src_raw = dict((spec.raw.get("environments") or {}).get(source) or {})
    body: dict[str, Any] = {}
    profile = spec.environment(source).profile
    if profile is not None:
        body["profile"] = profile
    body["namespace"] = namespace
    body.update({k: v for k, v in src_raw.items() if k not in ("profile", "namespace")})
    return body


def _node_port_notes(name: str, source: str, body: Mapping[str, Any]) -> list[str]:
    node_ports = [p["nodePort"] for p in (body.get("service") or {}).get("ports") or []
                  if isinstance(p, dict) and p.get("nodePort") is not None]
    if not node_ports:
        return []
    return [f"{name} copies nodePort {', '.join(map(str, node_ports))} from {source}; node ports are "
            f"cluster-wide, so change it in chartgen.yaml if both run in one cluster"]


def _insert_environment(text: str, name: str, body: dict[str, Any], defaults: list[str] | None,
                        where: str) -> str:
    """chartgen.yaml text with `name: body` appended to the `environments:` block.

    `defaults`: the spec has no environments key, so create the block, listing these (implicit) environments.
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if _TOP_KEY.match(line)), None)
    if start is None:
        if defaults is None:
            raise ChartgenError(where, "environments", "cannot find the environments: block; add it by hand")
        block = ["environments:\n"] + [f"  {d}: {{}}\n" for d in defaults] + _env_block(name, body, 2)
        return "".join(lines) + "".join(block)
    _open_block(lines, start, where)
    end, insert = _block_end(lines, start)
    return "".join(lines[:insert] + _env_block(name, body, _indent(lines[start + 1:end])) + lines[insert:])


def _open_block(lines: list[str], start: int, where: str) -> None:
    """`environments: {}` (or null) becomes `environments:`; a non-empty flow mapping cannot be edited."""
    rest = _TOP_KEY.match(lines[start]).group("rest")  # type: ignore[union-attr]
    value = rest.split(" #", 1)[0].strip()
    if value in ("{}", "null", "~"):
        lines[start] = "environments:" + rest.replace(value, "", 1).rstrip() + "\n"
    elif value:
        raise ChartgenError(where, "environments", "is written in flow style ({...}); write it as a block "
                                                   "mapping, or add the environment by hand")


def _block_end(lines: list[str], start: int) -> tuple[int, int]:
    """(end of the environments block, where to insert): the block runs to the next column-0 line that is not a
    comment or blank; column-0 comments and blank lines just above the next top-level key belong to that key."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#"):
        end += 1
    insert = end
    while insert > start + 1 and (not lines[insert - 1].strip() or lines[insert - 1].startswith("#")):
        insert -= 1
    return end, insert


def _indent(block: list[str]) -> int:
    """The file's own indentation of environment names (2 when the block is empty)."""
    for line in block:
        stripped = line.lstrip(" ")
        if stripped.strip() and not stripped.startswith("#"):
            return len(line) - len(stripped)
    return 2


class _BlockDumper(yaml.SafeDumper):
    """Indents list items under their key (`ports:\n  - name: http`), as chartgen.yaml files are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _env_block(name: str, body: dict[str, Any], indent: int) -> list[str]:
    pad = " " * indent
    out = [f"{pad}{name}:\n"]
    dumped = yaml.dump(body, Dumper=_BlockDumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                       width=10_000, indent=2)
    out.extend(f"{pad}  {line}\n" if line else "\n" for line in dumped.rstrip("\n").split("\n"))
    return out
