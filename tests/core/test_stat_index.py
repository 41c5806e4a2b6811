"""The stat index (chartgen.core.stat_index) saves reading unchanged files, and never vouches for content it did not read.

Each test that expects a re-read first shows that the unchanged file is NOT read again (so the re-read after the
change is the change's doing)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from chartgen.core import input_digest, stat_index
from chartgen.core.input_digest import tree_digest
from chartgen.core.stat_index import RACY_NS, StatIndex, identity


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files input_digest reads (every call of file_sha256)."""
    seen: list[Path] = []
    real = input_digest.file_sha256

    def counting(path: Path) -> bytes:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(input_digest, "file_sha256", counting)
    return seen


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes are taken as if RACY_NS had passed since the files were written (else every file here is racy)."""
    monkeypatch.setattr(stat_index, "now_ns", lambda: time.time_ns() + 2 * RACY_NS)


def _chart(tmp_path: Path) -> Path:
    root = tmp_path / "chart"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("name: a\n")
    (root / "templates" / "cm.yaml").write_text("kind: ConfigMap\ndata: {a: '1'}\n")
    return root


def _settle() -> None:
    """Let the kernel's coarse file clock (one tick: 1-10 ms) move on, as it has for any edit made after a run."""
    time.sleep(0.05)


def test_unchanged_files_are_not_read_again(tmp_path: Path, reads: list[Path], later: None) -> None:
    root = _chart(tmp_path)
    index = StatIndex(tmp_path / "index.json")
    first = tree_digest(root, index=index)
    index.save()
    reads.clear()
    again = StatIndex(tmp_path / "index.json")  # as the next run loads it
    assert tree_digest(root, index=again) == first
    assert reads == []
    assert first == tree_digest(root)  # the digest the index gave is the content's


def test_an_edit_that_keeps_size_and_mtime_is_read(tmp_path: Path, reads: list[Path], later: None) -> None:
    root = _chart(tmp_path)
    cm = root / "templates" / "cm.yaml"
    index = StatIndex()
    before = tree_digest(root, index=index)
    reads.clear()
    assert tree_digest(root, index=index) == before and reads == []
    st = cm.stat()
    _settle()
    cm.write_text("kind: ConfigMap\ndata: {a: '2'}\n")  # same size
    os.utime(cm, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the modification time put back
    assert (cm.stat().st_size, cm.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert tree_digest(root, index=index) == tree_digest(root) != before
    assert cm in reads


def test_a_file_replaced_by_a_rename_is_read(tmp_path: Path, reads: list[Path], later: None) -> None:
    root = _chart(tmp_path)
    cm = root / "templates" / "cm.yaml"
    index = StatIndex()
    before = tree_digest(root, index=index)
    st = cm.stat()
    other = tmp_path / "new.yaml"
    other.write_text("kind: ConfigMap\ndata: {a: '3'}\n")
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, cm)
    reads.clear()
    assert tree_digest(root, index=index) == tree_digest(root) != before
    assert cm in reads


def test_a_racy_entry_is_never_trusted(tmp_path: Path) -> None:
    """An entry hashed within RACY_NS of the file's last change could hide a second write in the same tick."""
    f = tmp_path / "f"
    f.write_text("x")
    ident = identity(f.stat())
    fake = b"\x01" * 32
    index = StatIndex()
    index.remember(f, ident, fake, taken=max(ident[1], ident[2]) + RACY_NS - 1)
    assert index.lookup(f, ident) is None
    index.remember(f, ident, fake, taken=max(ident[1], ident[2]) + RACY_NS)
    assert index.lookup(f, ident) == fake  # the same entry, old enough: trusted (the rule above is what refused)


def test_a_racy_edit_is_read(tmp_path: Path, reads: list[Path]) -> None:
    """Written, hashed and written again at once (same size, mtime put back): the real clock, no settling."""
    root = _chart(tmp_path)
    cm = root / "templates" / "cm.yaml"
    index = StatIndex()
    before = tree_digest(root, index=index)
    st = cm.stat()
    cm.write_text("kind: ConfigMap\ndata: {a: '2'}\n")
    os.utime(cm, ns=(st.st_atime_ns, st.st_mtime_ns))
    reads.clear()
    assert tree_digest(root, index=index) == tree_digest(root) != before
    assert cm in reads


def test_a_file_written_while_read_is_not_remembered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     later: None) -> None:
    f = tmp_path / "f"
    f.write_text("old")
    real = input_digest.file_sha256

    def read_then_written(path: Path) -> bytes:
        digest = real(path)
        _settle()
        path.write_text("new")
        return digest

    monkeypatch.setattr(input_digest, "file_sha256", read_then_written)
    index = StatIndex()
    before = identity(f.stat())
    tree_digest(f, index=index)
    # neither the identity it had when the read began (whose content was not seen whole) nor the one it has now
    assert index.lookup(f, before) is None and index.lookup(f, identity(f.stat())) is None


@pytest.mark.parametrize("content", ["", "{", "[]", '{"format": 1, "entries": {"/x": [1, 2]}}',
                                     '{"format": 99, "entries": {}}'])
def test_a_damaged_index_is_an_empty_one(tmp_path: Path, content: str, later: None) -> None:
    root = _chart(tmp_path)
    path = tmp_path / "index.json"
    path.write_text(content)
    index = StatIndex(path)
    assert tree_digest(root, index=index) == tree_digest(root)
    index.save()
    assert StatIndex(path).lookup(root / "Chart.yaml", identity((root / "Chart.yaml").stat())) is not None


def test_a_foreign_digest_in_the_index_is_what_it_claims_only_for_its_identity(tmp_path: Path, later: None
                                                                               ) -> None:
    """An entry whose identity is not the file's (another inode, another size) is not used."""
    f = tmp_path / "f"
    f.write_text("abc")
    ident = identity(f.stat())
    index = StatIndex()
    index.remember(f, (ident[0] + 1, *ident[1:]), b"\x02" * 32, taken=time.time_ns() + 2 * RACY_NS)
    assert tree_digest(f, index=index) == tree_digest(f)


# --- whole trees ------------------------------------------------------------------------------------------------


def _tree_key(root: Path) -> str:
    return os.path.abspath(root) + "\0"


def test_an_unchanged_tree_is_answered_from_its_record_without_reading_a_files_row(tmp_path: Path,
                                                                                reads: list[Path],
                                                                                later: None) -> None:
    root = _chart(tmp_path)
    index = StatIndex(tmp_path / "index.json")
    first = tree_digest(root, index=index)
    index.save()
    assert first == tree_digest(root)
    again = StatIndex(tmp_path / "index.json")
    reads.clear()
    assert tree_digest(root, index=again) == first
    assert reads == [] and again._entries is None  # the per-file rows were not even loaded


@pytest.mark.parametrize("change", ["added", "removed", "renamed", "edited in place", "mode"])
def test_a_tree_whose_listing_changed_is_walked_file_by_file(tmp_path: Path, later: None, change: str) -> None:
    root = _chart(tmp_path)
    index = StatIndex(tmp_path / "index.json")
    before = tree_digest(root, index=index)
    index.save()
    _settle()
    cm = root / "templates" / "cm.yaml"
    if change == "added":
        (root / "templates" / "new.yaml").write_text("x: 1\n")
    elif change == "removed":
        cm.unlink()
    elif change == "renamed":
        cm.rename(root / "templates" / "cm2.yaml")
    elif change == "edited in place":
        st = cm.stat()
        cm.write_text("kind: ConfigMap\ndata: {a: '2'}\n")  # same size
        os.utime(cm, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the modification time put back
    else:
        cm.chmod(0o600)
    again = StatIndex(tmp_path / "index.json")
    assert tree_digest(root, index=again) == tree_digest(root) != before
    assert again._entries is not None  # the record did not answer


def test_a_racy_tree_record_is_never_trusted(tmp_path: Path) -> None:
    """The real clock: the record's walk began within RACY_NS of its files' last change."""
    root = _chart(tmp_path)
    index = StatIndex(tmp_path / "index.json")
    tree_digest(root, index=index)
    assert index.tree(_tree_key(root)) is not None  # recorded, but young
    index.save()
    again = StatIndex(tmp_path / "index.json")
    tree_digest(root, index=again)
    assert again._entries is not None


def test_a_tree_with_a_file_written_while_read_is_not_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               later: None) -> None:
    root = _chart(tmp_path)
    real = input_digest.file_sha256

    def read_then_written(path: Path) -> bytes:
        digest = real(path)
        if path.name == "cm.yaml":
            _settle()
            path.write_text("kind: ConfigMap\ndata: {a: '3'}\n")
        return digest

    monkeypatch.setattr(input_digest, "file_sha256", read_then_written)
    index = StatIndex()
    tree_digest(root, index=index)
    assert index.tree(_tree_key(root)) is None


def test_a_tree_recorded_by_another_process_is_answered_from_its_record(tmp_path: Path, reads: list[Path],
                                                                         later: None) -> None:
    """The record's listing digest is spelled the same by every process (no hash seed, no interning in it)."""
    import subprocess
    import sys

    root = _chart(tmp_path)
    script = ("import sys, time; from pathlib import Path; from chartgen.core import stat_index as s; "
              "from chartgen.core.input_digest import tree_digest; "
              "s.now_ns = lambda: time.time_ns() + 2 * s.RACY_NS; "
              "i = s.StatIndex(Path(sys.argv[1])); print(tree_digest(Path(sys.argv[2]), index=i)); i.save()")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "index.json"), str(root)],
                          capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    again = StatIndex(tmp_path / "index.json")
    assert tree_digest(root, index=again) == done.stdout.strip()
    assert reads == [] and again._entries is None
