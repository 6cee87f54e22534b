"""The Graph circuit breaker: a storm of failures opens it, syncs are then refused, it half-opens after the pause."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quicknav_mcp.indexers import onedrive as od
from quicknav_mcp.indexers.onedrive_graph import graph_breaker

from quicknav_mcp.app import App
from quicknav_mcp.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from quicknav_mcp.config import load_config
from quicknav_mcp.demo.plan import plan_firm
from quicknav_mcp.http import breaker as http_breaker

from ._graph import FakeDrive, client_for, drive_from_plan

FOLDER = "Project Folders"


@pytest.fixture
def app(tmp_path: Path):
    with App.open(load_config(db=tmp_path / "q.db", env={})) as app:
        yield app


@pytest.fixture
def drive() -> FakeDrive:
    return drive_from_plan(plan_firm(projects=4, seed=5).files, page_size=100)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failure_storm_opens_the_breaker_and_syncs_are_refused_until_it_half_opens(app: App, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    clock = Clock()
    breaker = CircuitBreaker("onedrive", failure_threshold=2, reset_timeout=60, clock=clock)

    def sync(**kwargs: Any) -> od.SyncReport:
        with client_for(drive, breaker=breaker, max_retries=1, **kwargs) as client:
            return od.sync_source(store, source.id, client)

    drive.faults = [("status", 503, None)] * 2 + ["drop"] * 2 + [("status", 503, None)] * 50
    assert sync().status == "failed"  # gives up after one retry: one failed request
    assert breaker.state == CLOSED
    assert sync().status == "failed"  # two in a row: open
    assert breaker.state == OPEN and breaker.snapshot()["consecutive_failures"] == 0
    left = len(drive.faults)
    refused = sync()
    assert refused.status == "refused" and "open" in (refused.error or "")
    assert len(drive.faults) == left  # no request reached Graph
    assert od.get_source(store, source.id).delta_link is None
    problems = store.query("SELECT message FROM scan_problems WHERE message LIKE 'sync refused%'")
    assert problems

    clock.now += 61  # the cool-down is over: one trial request; it fails, so the breaker opens again
    assert breaker.state == HALF_OPEN
    assert sync().status == "failed" and breaker.state == OPEN and breaker.opened_count == 2

    clock.now += 61
    drive.faults = []
    done = sync()
    assert done.status == "done" and done.added > 0
    assert breaker.state == CLOSED


def test_graph_answers_that_are_not_outages_do_not_trip_it(app: App, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    breaker = CircuitBreaker("onedrive", failure_threshold=1, reset_timeout=60, clock=Clock())
    drive.faults = [("status", 403, None)]
    with client_for(drive, breaker=breaker) as client:
        assert od.sync_source(store, source.id, client).status == "failed"
    assert breaker.state == CLOSED  # Graph answered; the request was the problem


def test_one_breaker_per_process_shared_with_the_gateway_module() -> None:
    assert graph_breaker() is graph_breaker()
    assert graph_breaker().name == "onedrive"
    assert http_breaker.CircuitBreaker is CircuitBreaker  # re-exported, one class


def test_index_status_shows_the_graph_breaker_once_polling_is_set_up(app: App) -> None:
    assert app.indexing.status().breakers is None
    app.start_onedrive_poll()  # no source: nothing polls, but the breaker is now reported
    breakers = app.indexing.status().breakers
    assert breakers is not None and breakers["onedrive"]["state"] == graph_breaker().state
