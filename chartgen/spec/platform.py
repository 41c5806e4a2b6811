"""Checks of the platform settings (issue 25) that their schemas cannot make: NetworkPolicy CIDRs and egress,
postStart, a Deployment's claim, the migration hook Job. Each one is what the API server refuses, or a setting
that would silently do nothing."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from chartgen.spec.container import PRESTOP_SLEEP, check_env, kube_minor
from chartgen.spec.report import Report
from chartgen.spec.settings import CATALOG

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def check_platform(raw: Mapping[str, Any], kube: str, report: Report) -> None:
    check_network_policy(raw, report)
    check_post_start(raw, kube, report)
    check_persistence(raw, report)
    check_migration(raw, report)
    if CATALOG.get(raw, "tests.image.tag") == "latest":
        report("tests.image.tag", "'latest' is mutable and not allowed; pin a version (e.g. 1.36.1)")


def check_network_policy(raw: Mapping[str, Any], report: Report) -> None:
    """ipBlocks are CIDRs, each except a strict subset of its cidr (ValidateIPBlock); egress rules need
    restrictEgress (without it the policy has no Egress type and the rules would do nothing)."""
    for key in ("networkPolicy.allowFrom", "networkPolicy.metricsFrom"):
        for i, peer in enumerate(CATALOG.get(raw, key)):
            _check_ip_block(peer, f"{key}[{i}]", report)
    rules = CATALOG.get(raw, "networkPolicy.egress")
    for i, egress in enumerate(rules):
        for j, peer in enumerate(egress.get("to") or []):
            _check_ip_block(peer, f"networkPolicy.egress[{i}].to[{j}]", report)
        for j, port in enumerate(egress.get("ports") or []):
            if port.get("endPort") is not None and not isinstance(port.get("port"), int):
                report(f"networkPolicy.egress[{i}].ports[{j}].endPort", "endPort needs a numeric port")
            elif port.get("endPort") is not None and port["endPort"] < port["port"]:
                report(f"networkPolicy.egress[{i}].ports[{j}].endPort", f"allowed: at least port ({port['port']})")
    if rules and not CATALOG.get(raw, "networkPolicy.restrictEgress"):
        report("networkPolicy.egress", "egress rules take effect only while egress is restricted; allowed: set "
                                       "networkPolicy.restrictEgress: true, or drop the rules")


def _check_ip_block(peer: Mapping[str, Any], path: str, report: Report) -> None:
    block = peer.get("ipBlock")
    if block is None:
        return
    if len(peer) > 1:
        report(f"{path}.ipBlock", "an ipBlock stands alone in a peer; allowed: ipBlock, or pod/namespace selectors")
    cidr = _network(block.get("cidr"))
    if cidr is None:
        report(f"{path}.ipBlock.cidr", f"{block.get('cidr')!r} is not a CIDR (e.g. 10.0.0.0/8)")
        return
    for i, text in enumerate(block.get("except") or []):
        inner = _network(text)
        if inner is None or not _strictly_inside(inner, cidr):
            report(f"{path}.ipBlock.except[{i}]", f"{text!r} is not a CIDR strictly inside {cidr}")


def _strictly_inside(inner: Network, outer: Network) -> bool:
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner != outer and inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner != outer and inner.subnet_of(outer)
    return False


def _network(text: Any) -> Network | None:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


def check_post_start(raw: Mapping[str, Any], kube: str, report: Report) -> None:
    post_start = CATALOG.get(raw, "postStart") or {}
    if "sleep" in post_start and kube_minor(kube) < PRESTOP_SLEEP:
        report("postStart.sleep", f"the sleep action needs Kubernetes >= 1.30; kubeVersion is {kube}: use "
                                  "{exec: {command: [sleep, '5']}} instead")


def check_persistence(raw: Mapping[str, Any], report: Report) -> None:
    """An existing claim brings its own size, class and modes: setting them as well would be silently ignored."""
    persistence = raw.get("persistence") or {}
    if not CATALOG.get(raw, "persistence.existingClaim"):
        return
    for key in ("size", "storageClass", "accessModes"):
        if key in persistence:
            report(f"persistence.{key}", "an existing claim keeps its own; allowed: persistence.existingClaim alone, "
                                         "or drop existingClaim to have the chart create the claim")


def check_migration(raw: Mapping[str, Any], report: Report) -> None:
    if CATALOG.get(raw, "migration.enabled") and not CATALOG.get(raw, "migration.command"):
        report("migration.command", "the migration Job needs a command, e.g. [./manage.py, migrate]")
    check_env(CATALOG.get(raw, "migration.env"), "migration.env", report)
