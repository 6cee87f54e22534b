"""Holders of a lowered switch interval whose lifetimes overlap keep each other's setting."""

from __future__ import annotations

import sys

from quicknav_mcp import switch_interval


def test_overlapping_holders_keep_the_smallest_and_restore_the_original() -> None:
    original = sys.getswitchinterval()
    build = switch_interval.hold(0.0005)  # a build starts ...
    watcher = switch_interval.hold(0.001)  # ... then the watcher
    assert abs(sys.getswitchinterval() - 0.0005) < 1e-9
    switch_interval.release(build)  # the build ends: the watcher's interval stays
    assert abs(sys.getswitchinterval() - 0.001) < 1e-9
    switch_interval.release(build)  # a second release changes nothing
    assert abs(sys.getswitchinterval() - 0.001) < 1e-9
    switch_interval.release(watcher)
    assert sys.getswitchinterval() == original


def test_lowered_restores_after_an_error() -> None:
    original = sys.getswitchinterval()
    try:
        with switch_interval.lowered(0.0002):
            assert abs(sys.getswitchinterval() - 0.0002) < 1e-9
            raise RuntimeError("build failed")
    except RuntimeError:
        pass
    assert sys.getswitchinterval() == original
