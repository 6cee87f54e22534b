"""The background search worker starts, wakes and stops cleanly (no thread internals shadowed)."""

from __future__ import annotations

import threading
import time
from typing import Any

from quicknav_mcp.search.background import BackgroundIndexer


class FakeStore:
    def __init__(self) -> None:
        self.gen = 0

    def generation(self) -> int:
        return self.gen


class FakeSegments:
    def __init__(self) -> None:
        self.merges = 0

    def merge(self) -> dict[str, float]:
        self.merges += 1
        return {}

    def due(self) -> bool:
        return False


class FakeService:
    """Counts passes; each pass 'extracts' until ``pending`` runs out or it is cancelled."""

    def __init__(self, pending: int = 0, slow: float = 0.0) -> None:
        self.store = FakeStore()
        self.segments = FakeSegments()
        self.pending = pending
        self.slow = slow
        self.calls = 0
        self.ran = threading.Event()

    def index_content(self, *, max_docs: int, cancel: threading.Event) -> dict[str, Any]:
        self.calls += 1
        self.ran.set()
        if self.slow:
            cancel.wait(self.slow)
        done = min(self.pending, max_docs)
        self.pending -= done
        return {"extract": {"processed": done}, "embed": {"documents": 0}}


def test_stop_joins_the_thread_without_error() -> None:
    worker = BackgroundIndexer(FakeService(), interval=60, initial_delay=60)  # type: ignore[arg-type]
    worker.start()
    assert worker.is_alive()
    started = time.monotonic()
    assert worker.stop(timeout=5) is True
    assert not worker.is_alive()
    assert time.monotonic() - started < 1.0
    assert worker.stop() is True  # a second stop is harmless


def test_wake_runs_a_pass_until_nothing_is_left() -> None:
    service = FakeService(pending=600)
    worker = BackgroundIndexer(service, interval=60, initial_delay=60)  # type: ignore[arg-type]
    worker.start()
    service.store.gen = 1
    worker.wake()
    assert service.ran.wait(5)
    deadline = time.monotonic() + 5
    while service.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.stop(timeout=5)
    assert service.pending == 0
    assert service.calls == 4  # 256 + 256 + 88, then one empty slice ends the pass
    assert service.segments.merges == 1  # then the full-text indexes are merged, once a pass


def test_a_pass_is_cancelled_by_stop() -> None:
    service = FakeService(pending=10_000, slow=30)
    worker = BackgroundIndexer(service, interval=60, initial_delay=0)  # type: ignore[arg-type]
    worker.start()
    assert service.ran.wait(5)
    started = time.monotonic()
    assert worker.stop(timeout=5)
    assert time.monotonic() - started < 1.0
    assert service.calls == 1


def test_no_thread_subclass_overwrites_thread_internals() -> None:
    """A ``threading.Thread`` subclass that sets e.g. ``self._stop`` breaks ``join()`` (issue 7)."""
    import ast
    from pathlib import Path

    internals = set(vars(threading.Thread(target=None))) | set(dir(threading.Thread))
    repo = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in ("quicknav_mcp", "tools", "indexers", "tui"):
        for path in sorted((repo / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
                if not any(ast.unparse(base) in {"Thread", "threading.Thread"} for base in cls.bases):
                    continue
                for node in ast.walk(cls):
                    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                    for target in targets:
                        if (
                            isinstance(target, ast.Attribute)
                            and isinstance(target.value, ast.Name)
                            and target.value.id == "self"
                            and target.attr in internals
                        ):
                            offenders.append(f"{path.relative_to(repo)}:{node.lineno} {cls.name}.{target.attr}")
                    for item in cls.body:  # methods that replace Thread's own (run/start are meant to be)
                        if isinstance(item, ast.FunctionDef) and item.name in internals - {"run", "__init__"}:
                            offenders.append(f"{path.relative_to(repo)}:{item.lineno} {cls.name}.{item.name}()")
    assert not offenders, offenders


def test_a_deferred_merge_keeps_the_pass_due() -> None:
    service = FakeService()
    service.store.gen = 1
    worker = BackgroundIndexer(service, interval=60, initial_delay=60)  # type: ignore[arg-type]
    service.segments.due = lambda: True  # type: ignore[method-assign]
    worker._pass()
    assert service.segments.merges == 1
    worker._pass()  # the store has not changed, but the merge is still owed
    assert service.segments.merges == 2
    service.segments.due = lambda: False  # type: ignore[method-assign]
    worker._pass()
    worker._pass()  # merged: nothing to do until the store changes
    assert service.segments.merges == 3
