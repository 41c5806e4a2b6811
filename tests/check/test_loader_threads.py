"""The manifest reader is used by several verify threads at once (one check per rendering): its shared tables and its
one scalar constructor must not mix their reads (a race once failed a benchmark run with KeyError: ScalarNode)."""

from __future__ import annotations

import threading
import time

from chartgen.check import loader


def test_reads_in_several_threads_give_each_its_own_documents(monkeypatch):
    real = type(loader._constructor).construct_scalar

    def slow(self, node):  # type: ignore[no-untyped-def]
        time.sleep(0.0005)  # inside construct_object: another thread could reset the constructor's state now
        return real(self, node)

    monkeypatch.setattr(type(loader._constructor), "construct_scalar", slow)
    texts = {i: "".join(f"key{i}x{j}: v{i}x{j}\nn{i}x{j}: {i * 1000 + j}\n" for j in range(40)) for i in range(8)}
    got: dict[int, object] = {}
    errors: list[BaseException] = []

    def read(i: int) -> None:
        try:
            got[i] = loader.load_text("apiVersion: v1\nkind: ConfigMap\ndata:\n" + "".join(
                "  " + line + "\n" for line in texts[i].splitlines()), f"t{i}")[0].obj
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(8):
        data = got[i]["data"]  # type: ignore[index]
        assert data == {**{f"key{i}x{j}": f"v{i}x{j}" for j in range(40)},
                        **{f"n{i}x{j}": i * 1000 + j for j in range(40)}}
