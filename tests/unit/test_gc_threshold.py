"""Holders of a raised collector threshold whose lifetimes overlap keep each other's setting."""

from __future__ import annotations

import gc

import pytest

from quicknav_mcp import gc_threshold


def test_overlapping_holders_keep_the_largest_and_restore_the_original() -> None:
    original = gc.get_threshold()
    first = gc_threshold.hold(50_000)  # a scan starts ...
    second = gc_threshold.hold(20_000)  # ... then another
    assert gc.get_threshold() == (50_000, *original[1:])
    gc_threshold.release(first)  # the first ends: the other's threshold stays
    assert gc.get_threshold() == (max(20_000, original[0]), *original[1:])
    gc_threshold.release(first)  # a second release changes nothing
    assert gc.get_threshold()[0] == max(20_000, original[0])
    gc_threshold.release(second)
    assert gc.get_threshold() == original


def test_raised_restores_after_an_error() -> None:
    original = gc.get_threshold()
    with pytest.raises(RuntimeError), gc_threshold.raised(30_000):
        assert gc.get_threshold()[0] == 30_000
        raise RuntimeError("scan failed")
    assert gc.get_threshold() == original


def test_a_hold_does_not_turn_on_collection_the_process_turned_off() -> None:
    original = gc.get_threshold()
    gc.set_threshold(0, *original[1:])
    try:
        with gc_threshold.raised(50_000):
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*original)
