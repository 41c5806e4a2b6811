"""`.chartgen-check.yaml`: what a project tells `chartgen check` once instead of on every command line.

Found upward from the first input (like ruff's pyproject lookup), or given with `--config PATH`:

    disable: [CG-P-009]                  # rules off
    severity: {CG-X-006: error}          # severity overrides: error, warning or info
    external:                            # objects that exist elsewhere (not in the checked input)
      - {kind: Gateway, namespace: istio-system, name: public}
      - {kind: Secret, name: tls-cert}
      - {kind: Pod, namespace: kube-system, selector: {component: etcd}}   # pods made by others
    ignore:                              # per-path suppression (globs relative to this file)
      - {path: "legacy/**", rules: [CG-P-002], reason: "images pinned by the deploy tool"}
    crds: [crds/]                        # CRD files or folders for custom resources (relative to this file)

A mistake in the file is exit 2 with one line: `FILE:LINE: FIELD: what is allowed`.
"""

from __future__ import annotations

import fnmatch
from dataclasses import field
from pathlib import Path

import yaml

from chartgen.check.config_file import CONFIG_NAME, find_config  # noqa: F401 (re-exported)
from chartgen.check.model import ExternalObject, Severity
from chartgen.core.record import Record, record

SEVERITIES = ("error", "warning", "info")


class ConfigError(Exception):
    """A config file mistake: str() is the one line to print."""


@record
class PathIgnore(Record):
    pattern: str  # glob, relative to the config file's folder
    rules: frozenset[str]
    reason: str

    def matches(self, file: str, base: Path) -> bool:
        try:
            rel = Path(file).resolve().relative_to(base)
        except ValueError:
            return False
        text = rel.as_posix()
        return fnmatch.fnmatch(text, self.pattern) or fnmatch.fnmatch(text, self.pattern.rstrip("/") + "/*")


@record
class CheckConfig(Record):
    path: Path | None = None
    disable: frozenset[str] = frozenset()
    severity: tuple[tuple[str, Severity], ...] = ()
    external: tuple[ExternalObject, ...] = ()
    ignore: tuple[PathIgnore, ...] = ()
    crds: tuple[str, ...] = ()
    rule_lines: dict[str, tuple[int, str]] = field(default_factory=dict)  # rule id -> (line, field) for messages

    @property
    def base(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    def ignored(self, file: str | None, rule: str) -> bool:
        return file is not None and any(rule in i.rules and i.matches(file, self.base) for i in self.ignore)


def load_config(path: Path) -> CheckConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file ({err.strerror})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", -1) + 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {getattr(err, 'problem', err)}") from None
    return _Parser(path).config(root)


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.rule_lines: dict[str, tuple[int, str]] = {}

    def fail(self, node: yaml.Node | None, where: str, allowed: str) -> ConfigError:
        line = node.start_mark.line + 1 if node is not None else 1
        return ConfigError(f"{self.path}:{line}: {where}: {allowed}")

    def config(self, root: yaml.Node | None) -> CheckConfig:
        if root is None:
            return CheckConfig(self.path)
        items = self.mapping(root, "(top level)")
        known = {"disable", "severity", "external", "ignore", "crds"}
        for key, (knode, _) in items.items():
            if key not in known:
                raise self.fail(knode, key, f"unknown key; allowed: {', '.join(sorted(known))}")
        get = lambda k: items[k][1] if k in items else None  # noqa: E731
        return CheckConfig(
            self.path,
            disable=frozenset(self.rule_ids(get("disable"), "disable")),
            severity=self.severities(get("severity")),
            external=tuple(self.external(get("external"))),
            ignore=tuple(self.ignores(get("ignore"))),
            crds=tuple(str((self.path.parent / p).resolve()) for p in self.strings(get("crds"), "crds")),
            rule_lines=self.rule_lines,
        )

    def mapping(self, node: yaml.Node, where: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, "must be a mapping")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                raise self.fail(k, where, "keys must be strings")
            out[str(k.value)] = (k, v)
        return out

    def strings(self, node: yaml.Node | None, where: str) -> list[str]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, where, "must be a list of strings")
        out = []
        for i, item in enumerate(node.value):
            if not isinstance(item, yaml.ScalarNode) or item.tag != "tag:yaml.org,2002:str" or not item.value:
                raise self.fail(item, f"{where}[{i}]", "must be a non-empty string")
            out.append(str(item.value))
        return out

    def scalar(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value):
            raise self.fail(node, where, "must be a non-empty string")
        return str(node.value)

    def rule_ids(self, node: yaml.Node | None, where: str) -> list[str]:
        ids = self.strings(node, where)
        for i, rid in enumerate(ids):
            self.rule_lines.setdefault(rid, (node.value[i].start_mark.line + 1, f"{where}[{i}]"))  # type: ignore[union-attr]
        return ids

    def severities(self, node: yaml.Node | None) -> tuple[tuple[str, Severity], ...]:
        if node is None:
            return ()
        out = []
        for rid, (knode, vnode) in self.mapping(node, "severity").items():
            value = self.scalar(vnode, f"severity.{rid}").lower()
            if value not in SEVERITIES:
                raise self.fail(vnode, f"severity.{rid}", f"{value!r} is not one of {', '.join(SEVERITIES)}")
            self.rule_lines.setdefault(rid, (knode.start_mark.line + 1, f"severity.{rid}"))
            out.append((rid, Severity.parse(value)))
        return tuple(out)

    def external(self, node: yaml.Node | None) -> list[ExternalObject]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "external", "must be a list of {kind, name, namespace, selector}")
        out = []
        for i, item in enumerate(node.value):
            where = f"external[{i}]"
            m = self.mapping(item, where)
            for key, (knode, _) in m.items():
                if key not in ("kind", "name", "namespace", "selector"):
                    raise self.fail(knode, f"{where}.{key}", "unknown key; allowed: kind, name, namespace, selector")
            if "kind" not in m:
                raise self.fail(item, f"{where}.kind", "is required (e.g. Gateway, Service, Secret, Pod)")
            kind = self.scalar(m["kind"][1], f"{where}.kind")
            selector: tuple[tuple[str, str], ...] = ()
            if "selector" in m:
                pairs = self.mapping(m["selector"][1], f"{where}.selector")
                selector = tuple((k, self.scalar(v, f"{where}.selector.{k}")) for k, (_, v) in pairs.items())
            if kind != "Pod" and "name" not in m:
                raise self.fail(item, f"{where}.name", f"is required for kind {kind} (only Pod uses a selector)")
            if kind == "Pod" and not selector:
                raise self.fail(item, f"{where}.selector", "is required for kind Pod (the labels of those pods)")
            out.append(ExternalObject(
                kind,
                self.scalar(m["name"][1], f"{where}.name") if "name" in m else None,
                self.scalar(m["namespace"][1], f"{where}.namespace") if "namespace" in m else None,
                selector))
        return out

    def ignores(self, node: yaml.Node | None) -> list[PathIgnore]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "ignore", "must be a list of {path, rules, reason}")
        out = []
        for i, item in enumerate(node.value):
            where = f"ignore[{i}]"
            m = self.mapping(item, where)
            for key in ("path", "rules", "reason"):
                if key not in m:
                    raise self.fail(item, f"{where}.{key}", "is required (path glob, rule ids, and why)")
            for key, (knode, _) in m.items():
                if key not in ("path", "rules", "reason"):
                    raise self.fail(knode, f"{where}.{key}", "unknown key; allowed: path, rules, reason")
            out.append(PathIgnore(self.scalar(m["path"][1], f"{where}.path"),
                                  frozenset(self.rule_ids(m["rules"][1], f"{where}.rules")),
                                  self.scalar(m["reason"][1], f"{where}.reason")))
        return out
