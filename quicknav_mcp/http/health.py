"""``GET /health``: a deep check of what the gateway stands on. No auth (load balancers, monitors).

200 ``{status: healthy|degraded, checks: {...}}`` while the store answers; 503 with
``status: unhealthy`` when it does not (nothing else can work then). *Degraded* means QuickNav
works with less: the full-text index or sqlite-vec is missing, the embedder is absent, a
background worker died, the bus is far behind, or a circuit breaker is not closed.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..analytics.bus import subscriber_lag

if TYPE_CHECKING:
    from .edge import Edge

BUS_LAG_DEGRADED = 1000  # outbox messages behind: the rollups are not keeping up
FTS_TABLES = ("search_docs", "search_projects")


def _check(fn: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    out.setdefault("ok", True)
    out["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return out


def health_report(edge: Edge) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): runs every check; each failure is reported, none raises."""
    app = edge.app
    store = app.store
    checks: dict[str, dict[str, Any]] = {}
    checks["store"] = _check(lambda: {"ok": store.query_one("SELECT 1")[0] == 1, "path": str(store.path)})
    if not checks["store"]["ok"]:
        return 503, {"status": "unhealthy", "checks": checks}

    def fts() -> dict[str, Any]:
        counts = {t: store.query_one(f"SELECT count(*) FROM {t}")[0] for t in FTS_TABLES}
        store.query_one("SELECT rowid FROM search_projects WHERE search_projects MATCH 'health' LIMIT 1")
        return {"rows": counts}

    checks["fts"] = _check(fts)

    def vec() -> dict[str, Any]:
        if not store.vec_available:
            return {"ok": False, "error": "sqlite-vec extension not loaded: semantic search is off"}
        return {"version": store.query_one("SELECT vec_version()")[0]}

    checks["sqlite_vec"] = _check(vec)

    def embedder() -> dict[str, Any]:
        inner = app.search.embedder
        status = inner.status()
        absent = getattr(inner, "disabled", False) or status.startswith("unavailable")
        return {"ok": not absent, "loaded": bool(getattr(inner, "loaded", False)), "status": status}

    checks["embedder"] = _check(embedder)

    def workers() -> dict[str, Any]:
        alive = app.search.upkeep.worker_running
        wanted = app.config.search_background
        out: dict[str, Any] = {"search_background": alive, "search_background_enabled": wanted}
        if edge.hub is not None:
            out["websocket_hub"] = edge.hub.running
        out["ok"] = (alive or not wanted) and out.get("websocket_hub", True)
        return out

    checks["workers"] = _check(workers)

    def bus() -> dict[str, Any]:
        lag = subscriber_lag(store)
        return {"ok": max(lag.values(), default=0) < BUS_LAG_DEGRADED, "lag": lag}

    checks["bus"] = _check(bus)

    def watcher() -> dict[str, Any]:
        if app.watcher is None:
            return {"ok": True, "state": "off"}
        status = app.watcher.status()
        # A watcher that died or is backing off after a crash is the silent failure /health must show.
        return {"ok": bool(status.get("alive")) and status.get("state") != "restarting", **status}

    checks["watcher"] = _check(watcher)
    checks["breakers"] = {name: b.snapshot() for name, b in edge.breakers.items()}
    checks["breakers"]["ok"] = all(b.state == "closed" for b in edge.breakers.values())
    checks["cache"] = {"ok": True, **edge.cache.stats()}
    degraded = [name for name, c in checks.items() if not c.get("ok", True)]
    body = {"status": "degraded" if degraded else "healthy", "degraded": degraded, "checks": checks}
    return 200, body


async def health_endpoint(request: Request) -> JSONResponse:
    edge: Edge = request.app.state.edge
    status, body = await asyncio.to_thread(health_report, edge)  # SQLite reads stay off the event loop
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


health_route = Route("/health", health_endpoint, methods=["GET"], name="health")
