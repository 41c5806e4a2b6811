"""The HTML of `chartgen graph` in a real headless browser (Debian's chromium): the page draws every kind of node.

Not part of `make test` (chromium is a large system package): .ci/run installs chromium when it is absent and runs
this folder as its own step (`make browser-test`). Without a browser the test fails; it never skips.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from chartgen.check.loader import load_paths
from chartgen.check.model import ManifestIndex
from chartgen.graph.build import build_graph
from chartgen.graph.svg import FILL, to_html

FIXTURE = Path(__file__).parents[1] / "fixtures" / "graph" / "shop.yaml"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def _browser() -> str:
    found = os.environ.get("CHARTGEN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("no chromium: install it (apt-get install -y chromium) or set CHARTGEN_CHROMIUM; .ci/run does")
    return found


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _pixels(png: bytes) -> Counter[tuple[int, int, int]]:
    """Colour counts of an 8-bit RGB/RGBA, non-interlaced PNG (what chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        data = png[pos + 8:pos + 8 + length]
        header, idat = (data, idat) if kind == b"IHDR" else (header, idat + data if kind == b"IDAT" else idat)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    prev, counts, i = bytearray(stride), Counter[tuple[int, int, int]](), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            c = prev[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + (0, a, prev[x], (a + prev[x]) // 2, _paeth(a, prev[x], c))[kind]) & 0xFF
        counts.update(zip(line[0::bpp], line[1::bpp], line[2::bpp], strict=True))
        prev = line
    return counts


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def test_the_page_draws_every_kind_of_node(tmp_path: Path) -> None:
    graph = build_graph(ManifestIndex(load_paths([str(FIXTURE)])))
    page = tmp_path / "graph.html"
    page.write_text(to_html(graph, "Traffic of shop"), encoding="utf-8")
    shot = tmp_path / "graph.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    proc = subprocess.run([_browser(), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                           "--window-size=1200,800", page.as_uri()], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    keep = os.environ.get("CHARTGEN_SCREENSHOTS")  # CI keeps the picture for a human to look at
    if keep:
        shutil.copy(shot, Path(keep) / "graph-shop.png")
    counts = _pixels(shot.read_bytes())
    for kind, (fill, _) in FILL.items():  # each box colour covers at least a small box's area
        assert counts[_rgb(fill)] > 2000, (kind, counts.most_common(8))
