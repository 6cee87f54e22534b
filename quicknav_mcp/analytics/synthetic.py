"""Deterministic synthetic usage events, for tests, benchmarks and demos.

The mix imitates an engineering firm: a few busy people and many occasional ones, a few hot
projects and a long tail, searches that sometimes find nothing, latencies with a long tail,
and activity concentrated in working hours.
"""

from __future__ import annotations

import random
from typing import Any

from .rollups import DAY_MS, HOUR_MS

TOOLS = ("navigate_project", "find_documents", "get_project", "list_project_documents", "index_status")
WORDS = (
    "poolwerx",
    "downer",
    "saab",
    "hearing loop",
    "training room",
    "level 1",
    "mtr",
    "qps",
    "gold coast",
    "as built",
    "lld",
    "change order",
    "boardroom",
    "auditorium",
    "brisbane",
    "sydney",
    "upgrade",
    "av refresh",
)
NOWHERE = ("zzz", "spaceship", "unicorn project", "tesla", "mars base")
TYPE_WEIGHTS = (
    ("project_search", 30),
    ("project_view", 25),
    ("document_search", 14),
    ("document_access", 14),
    ("tool_call", 10),
    ("user_login", 3),
    ("recommendation_click", 2),
    ("recommendation_impression", 2),
)


def project_codes(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return sorted({f"{rng.randint(17000, 23999):05d}" for _ in range(n * 2)})[:n]


def generate_events(
    n: int,
    *,
    seed: int = 7,
    start_ms: int,
    days: int = 30,
    users: int = 50,
    projects: list[str] | None = None,
    id_prefix: str | None = None,
    ordered: bool = True,
) -> list[dict[str, Any]]:
    """``n`` valid events between ``start_ms`` and ``start_ms + days``, reproducible from ``seed``.

    ``ordered`` sorts them by time, as a live stream arrives; unordered they model a backfill.
    """
    rng = random.Random(seed)
    codes = projects or project_codes(200, seed)
    user_ids = [f"user{i:03d}" for i in range(users)]
    user_w = [1 / (i + 1) for i in range(users)]
    proj_w = [1 / (i + 1) ** 0.8 for i in range(len(codes))]
    types = [t for t, _ in TYPE_WEIGHTS]
    type_w = [w for _, w in TYPE_WEIGHTS]
    hour_w = [0.2] * 7 + [2, 5, 6, 6, 5, 4, 6, 6, 5, 3, 1] + [0.4] * 6
    prefix = id_prefix if id_prefix is not None else f"s{seed}"
    out: list[dict[str, Any]] = []
    day_choices = list(range(days))
    for i in range(n):
        day = rng.choice(day_choices)
        hour = rng.choices(range(24), hour_w)[0]
        ts = start_ms + day * DAY_MS + hour * HOUR_MS + rng.randrange(HOUR_MS)
        etype = rng.choices(types, type_w)[0]
        code = rng.choices(codes, proj_w)[0]
        e: dict[str, Any] = {
            "event_id": f"{prefix}-{i}",
            "user_id": rng.choices(user_ids, user_w)[0],
            "event_type": etype,
            "timestamp": ts,
        }
        latency = round(min(3_000_000.0, rng.lognormvariate(2.3, 0.9)), 3)
        if etype == "project_search":
            if rng.random() < 0.08:
                e.update(query=rng.choice(NOWHERE), result_count=0)
            else:
                e.update(query=rng.choice(WORDS), result_count=rng.choice((1, 1, 1, 2, 3, 5)))
                if e["result_count"] == 1:
                    e["project_id"] = code
            e["response_time_ms"] = latency
        elif etype == "project_view":
            e["project_id"] = code
            if rng.random() < 0.3:
                e["query"] = rng.choice(WORDS)
        elif etype == "document_search":
            e.update(
                project_id=code,
                query=rng.choice(("lld", "change_order", "sales_po", "swms", "scope")),
                result_count=rng.choice((0, 1, 1, 2, 4)),
                response_time_ms=latency,
            )
        elif etype == "document_access":
            rev = rng.randint(100, 110)
            e.update(project_id=code, document_id=f"{code} - X/4. System Designs/{code} - LLD - Rev {rev}.pdf")
        elif etype == "tool_call":
            e.update(
                operation=rng.choice(TOOLS),
                response_time_ms=latency,
                error=rng.random() < 0.02,
                result_count=rng.randint(0, 20),
            )
        elif etype == "recommendation_click":
            e.update(project_id=code, metadata={"algorithm": "hybrid", "rank": rng.randint(1, 5)})
        elif etype == "recommendation_impression":
            e.update(metadata={"items": rng.sample(codes, 3)})
        out.append(e)
    if ordered:
        out.sort(key=lambda e: e["timestamp"])
    return out
