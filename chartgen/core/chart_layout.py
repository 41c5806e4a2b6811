"""Paths inside a chart that both sides name: generate never writes them, verify reads them. A leaf."""

from __future__ import annotations

from pathlib import Path

SNAPSHOT_DIR = Path("tests") / "__snapshots__"  # the user's snapshots (chartgen snapshot --update, on request)
