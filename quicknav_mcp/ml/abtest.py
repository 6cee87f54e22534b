"""A/B tests between versions of one model.

A user's variant is a pure function of (test name, user id): the SHA-256 of both, read as a
number in [0, 1), falls into one variant's share. So it is stable across calls, processes and
restarts, and needs no table of assignments. Results come from the event log
(:mod:`quicknav_mcp.analytics.feedback`): impressions and clicks per variant, CTR with Wilson
95 % intervals, and a two-proportion z-test for the verdict.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..analytics import feedback
from ..errors import InvalidInput, NotFound
from ..store import Store
from .registry import ModelRegistry, check_name, now_iso

METRICS = ("ctr", "hit_rate")
MIN_IMPRESSIONS = 100  # per variant, before any verdict
ALPHA = 0.05
_TEST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class Assignment:
    """Which version of a model a user is served, and under which test."""

    test: str
    version: int


@dataclass(frozen=True)
class ABTest:
    name: str
    model: str
    variants: dict[int, float]  # version -> share, shares sum to 1
    metric: str
    status: str
    created_at: str
    stopped_at: str | None
    outcome: dict[str, Any] | None


def bucket(test: str, user: str) -> float:
    """A stable number in [0, 1) for (test, user)."""
    digest = hashlib.sha256(f"{test}\0{user}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(test: str, user: str, variants: dict[int, float]) -> int:
    """The version ``user`` gets in ``test``: cumulative shares in version order."""
    x = bucket(test, user)
    total = 0.0
    ordered = sorted(variants.items())
    for version, share in ordered:
        total += share
        if x < total:
            return version
    return ordered[-1][0]  # rounding: shares sum to 1 within 1e-9


def check_variants(raw: object) -> dict[int, float]:
    """``{version: share}`` → validated ints and floats; the errors name the field."""
    if not isinstance(raw, dict) or len(raw) < 2:
        raise InvalidInput(
            'variants must be an object of at least two {"version": share} pairs, e.g. {"3": 0.5, "4": 0.5}'
        )
    out: dict[int, float] = {}
    for key, share in raw.items():
        text = str(key).strip()
        if isinstance(key, bool) or not text.isdigit() or int(text) < 1:
            raise InvalidInput(f"variants: {key!r} is not a model version number")
        if isinstance(share, bool) or not isinstance(share, int | float) or not math.isfinite(share):
            raise InvalidInput(f"variants[{text}]: share must be a number between 0 and 1, got {share!r}")
        if not 0 < share < 1:
            raise InvalidInput(f"variants[{text}]: share must be between 0 and 1 (exclusive), got {share}")
        out[int(text)] = float(share)
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise InvalidInput(f"variants: shares must sum to 1, they sum to {total:g}")
    return out


def two_proportion_p(s1: int, n1: int, s2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (s1 + s2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (s1 / n1 - s2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


class ABTests:
    """Create, serve, measure and stop A/B tests."""

    def __init__(self, store: Store, registry: ModelRegistry) -> None:
        self.store = store
        self.registry = registry
        self._running: dict[str, ABTest] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    # ---- serving ---------------------------------------------------------------------------
    def variant_for(self, user: str | None, model: str) -> Assignment | None:
        """The version ``user`` should be served of ``model``, when a test on it is running."""
        if not user:
            return None
        test = self._running_tests().get(model)
        if test is None:
            return None
        return Assignment(test=test.name, version=assign(test.name, user, test.variants))

    def _running_tests(self) -> dict[str, ABTest]:
        # Re-read at most every 2 s: serving asks on every request; tests change rarely.
        now = time.monotonic()
        if now - self._loaded_at > _CACHE_SECONDS:
            with self._lock:
                rows = self.store.query("SELECT * FROM ml_ab_tests WHERE status = 'running'")
                self._running = {t.model: t for t in map(_row_to_test, rows)}
                self._loaded_at = now
        return self._running

    def _invalidate(self) -> None:
        self._loaded_at = 0.0

    # ---- managing --------------------------------------------------------------------------
    def create(self, name: str, model: str, variants: object, metric: str = "ctr") -> ABTest:
        if not isinstance(name, str) or not _TEST_NAME.match(name.strip()):
            raise InvalidInput("name must be 1-64 letters, digits, _ . - (starting with a letter or digit)")
        name = name.strip()
        model = check_name(model, "model")
        if metric not in METRICS:
            raise InvalidInput(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
        shares = check_variants(variants)
        for version in shares:
            if not self.registry.exists(model, version):
                if not self.registry.exists(model):
                    raise NotFound(f"model {model!r} is not in the registry")
                raise NotFound(
                    f"variants: model {model!r} has no version {version}; versions: {self.registry.versions(model)}"
                )
        if self.store.query_one("SELECT 1 FROM ml_ab_tests WHERE name = ?", (name,)):
            raise InvalidInput(f"name: an A/B test called {name!r} already exists")
        running = self.store.query_one("SELECT name FROM ml_ab_tests WHERE model = ? AND status = 'running'", (model,))
        if running:
            raise InvalidInput(f"model: {model!r} is already in the running test {running[0]!r}; stop it first")
        with self.store.transaction() as c:
            c.execute(
                "INSERT INTO ml_ab_tests(name, model, variants, metric, status, created_at) VALUES (?,?,?,?,?,?)",
                (name, model, json.dumps({str(v): s for v, s in sorted(shares.items())}), metric, "running", now_iso()),
            )
        self._invalidate()
        return self.get(name)

    def get(self, name: str) -> ABTest:
        row = self.store.query_one("SELECT * FROM ml_ab_tests WHERE name = ?", (name,))
        if row is None:
            known = [r[0] for r in self.store.query("SELECT name FROM ml_ab_tests ORDER BY created_at DESC LIMIT 10")]
            hint = f"; tests: {', '.join(known)}" if known else "; there are no A/B tests"
            raise NotFound(f"name: no A/B test called {name!r}{hint}")
        return _row_to_test(row)

    def list(self) -> list[ABTest]:
        return [_row_to_test(r) for r in self.store.query("SELECT * FROM ml_ab_tests ORDER BY created_at")]

    def results(self, name: str) -> dict[str, Any]:
        """Impressions, clicks, CTR (95 % interval) and hit rate per variant, and a verdict."""
        test = self.get(name)
        shown = feedback.impressions(self.store, test.model, ab_test=test.name)
        groups = feedback.tally(self.store, shown, key="variant")
        variants = []
        for version, share in sorted(test.variants.items()):
            t = groups.get(version, feedback.Tally())
            variants.append(
                {
                    "version": version,
                    "share": share,
                    "users": len(t.users),
                    "impressions": t.impressions,
                    "clicks": t.clicks,
                    "ctr": t.ctr,
                    "ctr_ci95": feedback.wilson(t.clicks, t.impressions),
                    "hits": t.hits,
                    "hit_rate": t.hit_rate,
                    "hit_rate_ci95": feedback.wilson(t.hits, t.impressions),
                }
            )
        verdict, winner, p_value = _verdict(variants, test.metric)
        return {"test": test, "variants": variants, "verdict": verdict, "winner": winner, "p_value": p_value}

    def stop(self, name: str, promote: bool = False) -> dict[str, Any]:
        """Stop a running test, keeping its final results; ``promote`` activates a significant winner."""
        test = self.get(name)
        if test.status != "running":
            raise InvalidInput(f"name: A/B test {name!r} was already stopped at {test.stopped_at}")
        res = self.results(name)
        promoted = None
        note = ""
        if promote:
            if res["winner"] is None:
                note = "no version was promoted: the test found no significant winner"
            else:
                self.registry.promote(test.model, res["winner"])
                promoted = res["winner"]
                note = f"version {promoted} of {test.model} is now active"
        outcome = {
            "verdict": res["verdict"],
            "winner": res["winner"],
            "p_value": res["p_value"],
            "variants": res["variants"],
            "promoted": promoted,
        }
        with self.store.transaction() as c:
            c.execute(
                "UPDATE ml_ab_tests SET status = 'stopped', stopped_at = ?, outcome = ? WHERE name = ?",
                (now_iso(), json.dumps(outcome), name),
            )
        self._invalidate()
        res["test"] = self.get(name)
        res["promoted"] = promoted
        res["note"] = note
        return res


def _verdict(variants: list[dict[str, Any]], metric: str) -> tuple[str, int | None, float | None]:
    successes = "clicks" if metric == "ctr" else "hits"
    small = [v for v in variants if v["impressions"] < MIN_IMPRESSIONS]
    if small:
        names = ", ".join(f"version {v['version']} ({v['impressions']})" for v in small)
        return f"not enough data yet: each variant needs {MIN_IMPRESSIONS} impressions; {names}", None, None
    ranked = sorted(variants, key=lambda v: v[successes] / v["impressions"], reverse=True)
    best, runner = ranked[0], ranked[1]
    p = two_proportion_p(best[successes], best["impressions"], runner[successes], runner["impressions"])
    rate_b = best[successes] / best["impressions"]
    rate_r = runner[successes] / runner["impressions"]
    if p is not None and p < ALPHA and rate_b > rate_r:
        return (
            f"version {best['version']} wins on {metric}: {rate_b:.2%} vs {rate_r:.2%} "
            f"for version {runner['version']} (p = {p:.3g})",
            best["version"],
            p,
        )
    return (
        f"no significant difference on {metric} yet: {rate_b:.2%} vs {rate_r:.2%} (p = {p:.3g}, needs < {ALPHA})",
        None,
        p,
    )


def _row_to_test(row: Any) -> ABTest:
    return ABTest(
        name=row["name"],
        model=row["model"],
        variants={int(k): float(v) for k, v in json.loads(row["variants"]).items()},
        metric=row["metric"],
        status=row["status"],
        created_at=row["created_at"],
        stopped_at=row["stopped_at"],
        outcome=json.loads(row["outcome"]) if row["outcome"] else None,
    )
