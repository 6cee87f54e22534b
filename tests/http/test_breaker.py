"""The circuit breaker's transitions, and the embedder's query encoding behind it."""

from __future__ import annotations

import contextlib
import threading

import pytest

from quicknav_mcp.http.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, CircuitOpen, GuardedEncoder


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def boom() -> None:
    raise OSError("disk gone")


def test_opens_after_threshold_then_fails_fast() -> None:
    clock = Clock()
    b = CircuitBreaker("x", failure_threshold=3, reset_timeout=10, clock=clock)
    calls = []
    for _ in range(3):
        with pytest.raises(OSError):
            b.call(lambda: (calls.append(1), boom()))
    assert b.state == OPEN
    with pytest.raises(CircuitOpen, match="'x' is open") as info:
        b.call(lambda: calls.append(1))
    assert len(calls) == 3  # the fourth call was never attempted
    assert info.value.retry_in == pytest.approx(10)
    assert b.snapshot()["opened_count"] == 1
    assert "disk gone" in b.snapshot()["last_error"]


def test_success_resets_the_count_of_failures() -> None:
    b = CircuitBreaker("x", failure_threshold=2, clock=Clock())
    with pytest.raises(OSError):
        b.call(boom)
    assert b.call(lambda: 7) == 7
    with pytest.raises(OSError):
        b.call(boom)
    assert b.state == CLOSED


def test_half_open_trial_success_closes_failure_reopens() -> None:
    clock = Clock()
    b = CircuitBreaker("x", failure_threshold=1, reset_timeout=5, clock=clock)
    with pytest.raises(OSError):
        b.call(boom)
    assert b.state == OPEN
    clock.now += 4.9
    assert b.state == OPEN
    clock.now += 0.2
    assert b.state == HALF_OPEN
    with pytest.raises(OSError):
        b.call(boom)  # the trial failed: open again, for a full pause
    assert b.state == OPEN
    clock.now += 5
    assert b.state == HALF_OPEN
    assert b.call(lambda: "ok") == "ok"
    assert b.state == CLOSED
    assert b.snapshot()["opened_count"] == 2


def test_half_open_admits_only_the_trial_calls() -> None:
    clock = Clock()
    b = CircuitBreaker("x", failure_threshold=1, reset_timeout=1, half_open_max=1, clock=clock)
    with pytest.raises(OSError):
        b.call(boom)
    clock.now += 1
    b.before()  # the one trial, still in flight
    with pytest.raises(CircuitOpen):
        b.before()
    b.success()
    assert b.state == CLOSED


def test_thread_safe_counting() -> None:
    b = CircuitBreaker("x", failure_threshold=400, clock=Clock())

    def hammer() -> None:
        for _ in range(100):
            with contextlib.suppress(OSError, CircuitOpen):
                b.call(boom)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert b.state == OPEN and b.snapshot()["opened_count"] == 1


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker("x", failure_threshold=0)


class FlakyEncoder:
    name = "flaky"

    def __init__(self) -> None:
        self.fail = True
        self.calls = 0

    def encode(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.fail:
            raise RuntimeError("model crashed")
        return [[1.0, 0.0] for _ in texts]

    def load(self) -> bool:
        return True


def test_guarded_encoder_inside_search_semantic(tmp_path) -> None:
    """Search's query embedding goes through the breaker; failures become 'no vector', then fail fast."""
    from quicknav_mcp.http.breaker import guard_embedder
    from quicknav_mcp.search.semantic import Semantic
    from quicknav_mcp.search.versions import Versions
    from quicknav_mcp.store import Store

    store = Store(tmp_path / "q.db")
    try:
        inner = FlakyEncoder()

        class Facade:
            semantic = Semantic(store, inner, Versions(store))

        clock = Clock()
        breaker = guard_embedder(Facade, CircuitBreaker("embedder", failure_threshold=2, reset_timeout=3, clock=clock))
        assert guard_embedder(Facade, CircuitBreaker("other")) is breaker  # idempotent
        assert isinstance(Facade.semantic.embedder, GuardedEncoder)
        assert Facade.semantic.embedder.name == "flaky"  # everything but encode passes through
        assert Facade.semantic.query_vector("a") is None
        assert Facade.semantic.query_vector("b") is None
        assert breaker.state == OPEN
        assert Facade.semantic.query_vector("c") is None
        assert inner.calls == 2  # the third query did not reach the model
        inner.fail = False
        clock.now += 3
        assert Facade.semantic.query_vector("d") == [1.0, 0.0]
        assert breaker.state == CLOSED
    finally:
        store.close()
