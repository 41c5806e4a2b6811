"""chartgen.generate.unresolved finds chartgen's conflict markers whatever the file's bytes around them."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartgen.generate.unresolved import END, MID, START, find


@pytest.mark.parametrize(("body", "line"), [
    (f"a: 1\n{START}\nb: 2\n{MID}\nb: 3\n{END}\n", 2),
    (f"a: 1\r\n{START}\r\nb: 2\r\n{MID}\r\nb: 3\r\n{END}\r\n", 2),  # a CRLF checkout
    (f"x: \udcff\n\n{START}\n{END}\n", 3),  # bytes that are not UTF-8 before the marker
    (f"{START}\nno end\n", None),
    (f"a: 1\n# {START}\n{END}\n", None),  # not a line of its own
    ("a: 1\n", None),
    ("", None),
])
def test_markers_are_found_on_their_own_lines(tmp_path: Path, body: str, line: int | None):
    (tmp_path / "values.yaml").write_bytes(body.encode("utf-8", "surrogateescape"))
    found = find(tmp_path, ["values.yaml"])
    assert [u.line for u in found] == ([] if line is None else [line])
