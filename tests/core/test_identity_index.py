"""chartgen/core/identity_index.py: a value derived from a file is remembered by the file's identity; it must never be
returned for a file whose content may have changed, and a damaged index must only cost the slower way."""

from __future__ import annotations

import datetime
import os
import threading
from pathlib import Path

import pytest

from chartgen.core.file_identity import RACY_NS, identity_of, now_ns
from chartgen.core.identity_index import IdentityIndex

LATER = 2 * RACY_NS  # "read" this long after the file was written: old enough for the racy rule


def remember(index: IdentityIndex, path: Path, value: object, *, at: int | None = None) -> None:
    """What a caller does: identity before reading, read, derive, add."""
    before = identity_of(str(path))
    index.add(str(path), str(path), before, now_ns() + LATER if at is None else at, value)


def fresh(index: IdentityIndex) -> IdentityIndex:
    """The same index file as a new process reads it."""
    return IdentityIndex(index.path, index.root, index.kind)


@pytest.fixture
def setup(tmp_path):
    src = tmp_path / "lib" / "a.yaml"
    src.parent.mkdir()
    src.write_text("x: 1\n")
    return IdentityIndex(str(tmp_path / "cache" / "index.marshal"), str(src.parent), dict), src


def test_an_unchanged_file_gets_the_remembered_value_in_a_new_process(setup):
    index, src = setup
    remember(index, src, {"x": 1})
    index.save()
    hit = fresh(index).lookup(str(src), str(src))
    assert hit == ({"x": 1}, identity_of(str(src)))


def test_an_edit_that_keeps_size_and_modification_time_is_a_miss(setup):
    index, src = setup
    remember(index, src, {"x": 1})
    index.save()
    st = src.stat()
    src.write_text("x: 2\n")  # same size
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))  # modification time put back: the change time still moves
    assert src.stat().st_size == st.st_size and src.stat().st_mtime_ns == st.st_mtime_ns
    assert fresh(index).lookup(str(src), str(src)) is None


def test_a_replaced_or_removed_file_is_a_miss(setup):
    index, src = setup
    remember(index, src, {"x": 1})
    index.save()
    other = src.with_name("b.yaml")
    other.write_text("x: 9\n")
    os.replace(other, src)
    assert fresh(index).lookup(str(src), str(src)) is None
    src.unlink()
    assert fresh(index).lookup(str(src), str(src)) is None


def test_a_young_file_is_not_remembered(setup):
    """The racy rule: a file written within RACY_NS of the moment it was read could change again unseen."""
    index, src = setup
    remember(index, src, {"x": 1}, at=now_ns())
    index.save()
    assert not Path(index.path).exists()
    assert fresh(index).lookup(str(src), str(src)) is None


def test_a_file_changed_while_it_was_read_is_not_remembered(setup):
    index, src = setup
    before = identity_of(str(src))
    src.write_text("x: 22\n")  # written between the identity and the add
    index.add(str(src), str(src), before, now_ns() + LATER, {"x": 1})
    index.save()
    assert fresh(index).lookup(str(src), str(src)) is None


@pytest.mark.parametrize("value", [{"when": datetime.date(2026, 1, 1)}, {"nan": float("nan")}, [1, 2]],
                         ids=["a date marshal cannot carry", "NaN (never equal to itself)", "another type"])
def test_a_value_marshal_does_not_carry_unchanged_is_not_remembered(setup, value):
    index, src = setup
    remember(index, src, value)
    index.save()
    assert fresh(index).lookup(str(src), str(src)) is None


def test_a_value_derived_from_no_file_is_remembered_by_name(tmp_path):
    index = IdentityIndex(str(tmp_path / "i.marshal"), "root", dict)
    index.add("when:x", None, None, now_ns(), {"v": 1})
    index.save()
    assert fresh(index).lookup("when:x", None) == ({"v": 1}, None)
    assert fresh(index).lookup("when:x", str(tmp_path / "i.marshal")) is None  # a file's lookup needs an identity


@pytest.mark.parametrize("content", [b"", b"garbage", b"\xe9\x01\x02", None], ids=["empty", "text", "bad marshal",
                                                                                   "foreign"])
def test_a_damaged_or_foreign_index_is_an_empty_one(setup, content):
    import marshal

    index, src = setup
    remember(index, src, {"x": 1})
    index.save()
    path = Path(index.path)
    if content is None:  # a valid file of another library folder
        path.write_bytes(marshal.dumps((1, "/another/root", marshal.loads(path.read_bytes())[2])))
    else:
        path.write_bytes(content)
    assert fresh(index).lookup(str(src), str(src)) is None
    again = fresh(index)
    remember(again, src, {"x": 1})
    again.save()  # and it is rewritten whole
    assert fresh(index).lookup(str(src), str(src)) == ({"x": 1}, identity_of(str(src)))


def test_an_entry_of_another_shape_is_a_miss(setup):
    import marshal

    index, src = setup
    Path(index.path).parent.mkdir(parents=True)
    Path(index.path).write_bytes(marshal.dumps((1, index.root, {str(src): "not an entry"})))
    assert fresh(index).lookup(str(src), str(src)) is None


def test_saving_keeps_earlier_entries_and_leaves_no_temp_file(tmp_path):
    files = []
    for name in ("a", "b"):
        f = tmp_path / f"{name}.yaml"
        f.write_text(name)
        files.append(f)
    index = IdentityIndex(str(tmp_path / "c" / "i.marshal"), str(tmp_path), dict)
    remember(index, files[0], {"n": "a"})
    index.save()
    second = fresh(index)
    remember(second, files[1], {"n": "b"})
    second.save()
    third = fresh(index)
    assert third.lookup(str(files[0]), str(files[0]))[0] == {"n": "a"}  # type: ignore[index]
    assert third.lookup(str(files[1]), str(files[1]))[0] == {"n": "b"}  # type: ignore[index]
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["i.marshal"]


def test_concurrent_saves_leave_a_whole_index(tmp_path):
    src = tmp_path / "a.yaml"
    src.write_text("a")
    indexes = [IdentityIndex(str(tmp_path / "c" / "i.marshal"), str(tmp_path), dict) for _ in range(8)]
    for i, index in enumerate(indexes):
        remember(index, src, {"writer": i})
    threads = [threading.Thread(target=index.save) for index in indexes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    value, _ = fresh(indexes[0]).lookup(str(src), str(src))  # type: ignore[misc]
    assert value in [{"writer": i} for i in range(8)]
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["i.marshal"]


def test_an_unwritable_index_folder_only_costs_time(tmp_path, setup):
    _, src = setup
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    index = IdentityIndex(str(blocker / "i.marshal"), str(src.parent), dict)
    remember(index, src, {"x": 1})
    index.save()  # does not raise
    assert fresh(index).lookup(str(src), str(src)) is None
