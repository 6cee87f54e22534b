"""Token size of each MCP tool's typical answer on the 300-project demo firm (seed 7, with text inside).

A token is taken as 4 characters of the answer's text content, read through the real in-memory
MCP client: what an assistant pays for. Tools that take ``detail`` are measured twice, the default
answer and ``detail="full"``; resources once each. Limits: default search answers <= 1,500 tokens,
list pages <= 2,000. ``--against NAME=PYTHON`` (another checkout's interpreter, repeatable: the
code when issue 12 was filed, say) measures the same calls there in the same run and prints each
answer's size there and here with the ratio; ``--baseline FILE`` (this bench's JSON from an earlier
build) does the same from a saved run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, firm
from _compare import alternate, parse_against

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

SEARCH_LIMIT = 1_500
LIST_LIMIT = 2_000

# (label, tool, arguments, limit kind) - the typical calls an assistant makes.
CALLS: list[tuple[str, str, dict[str, Any], str]] = [
    ("search_documents as built design", "search_documents", {"query": "as built design"}, "search"),
    ("search_documents Tesira DSP", "search_documents", {"query": "Tesira DSP"}, "search"),
    ("search_documents CO5 17452", "search_documents", {"query": "CO5 17452"}, "search"),
    (
        "search_documents 17452 lld",
        "search_documents",
        {"query": "", "project_number": "17452", "doc_type": "lld"},
        "search",
    ),
    ("search_projects council chamber", "search_projects", {"query": "council chamber"}, "search"),
    ("search_projects Downer", "search_projects", {"query": "Downer"}, "search"),
    ("list_project_documents 17452", "list_project_documents", {"project_number": "17452"}, "list"),
    ("navigate_project Downer", "navigate_project", {"project_number": "Downer"}, "list"),
    ("navigate_project 17452", "navigate_project", {"project_number": "17452"}, "list"),
    ("find_documents 17452 lld", "find_documents", {"project_number": "17452", "doc_type": "lld"}, "list"),
    (
        "find_documents 17452 all",
        "find_documents",
        {"project_number": "17452", "doc_type": "lld", "mode": "all"},
        "list",
    ),
    ("get_project 17452", "get_project", {"project_number": "17452"}, "list"),
    ("suggest dow", "suggest", {"prefix": "dow"}, "list"),
    ("recommend_projects", "recommend_projects", {}, "list"),
    ("recommend_documents", "recommend_documents", {}, "list"),
    ("similar_projects 17452", "similar_projects", {"project_number": "17452"}, "list"),
    ("predict_next", "predict_next", {}, "list"),
    ("get_search_trends", "get_search_trends", {}, "list"),
    ("get_dashboard", "get_dashboard", {}, "list"),
    ("get_project_metrics 17452", "get_project_metrics", {"project_number": "17452"}, "list"),
]
RESOURCES = ["quicknav://projects", "quicknav://projects/17452", "quicknav://projects/17452/documents"]


def tokens(text: str) -> int:
    return round(len(text) / 4)


def build(projects: int, seed: int) -> tuple[Path, Path, str]:
    """The demo firm indexed with its text extracted and a usage history (cached under OUT)."""
    from quicknav_mcp.demo.usage import record_usage

    root = firm(projects, seed=seed, content=True)
    db = OUT / f"answers-{projects}-{seed}.db"
    user = "demo.engineer"
    config = load_config(db=db, roots=[root], user=user, env={"QUICKNAV_EMBED_MODEL": "none"})
    with App.open(config) as app:
        if not app.projects.all():
            app.indexing.reindex()
            app.search.index_content(extract=True, embed=False, workers=2)
            record_usage(app, users=min(24, max(6, projects // 8)), days=90, seed=seed)
    return root, db, user


async def measure(root: Path, db: Path, user: str) -> dict[str, Any]:
    from mcp import Client

    from quicknav_mcp.server import build_server

    config = load_config(db=db, roots=[root], user=user, env={"QUICKNAV_EMBED_MODEL": "none"})
    out: dict[str, Any] = {}
    async with Client(build_server(lambda: App.open(config))) as client:
        takes_detail = {t.name for t in (await client.list_tools()).tools if "detail" in t.input_schema["properties"]}

        async def size(tool: str, args: dict[str, Any]) -> int | str:
            result = await client.call_tool(tool, args)
            text = "".join(getattr(c, "text", "") for c in result.content)
            return f"error: {text[:120]}" if result.is_error else tokens(text)

        for label, tool, args, kind in CALLS:
            row: dict[str, Any] = {"tokens": await size(tool, args)}
            if tool in takes_detail:
                row["full_tokens"] = await size(tool, {**args, "detail": "full"})
            row["limit"] = SEARCH_LIMIT if kind == "search" else LIST_LIMIT
            out[label] = row
        for uri in RESOURCES:
            result = await client.read_resource(uri)
            text = "".join(getattr(c, "text", "") for c in result.contents)
            out[uri] = {"tokens": tokens(text), "limit": LIST_LIMIT}  # a page of a list, like the list tools
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7, help="the demo's seed (the firm `quicknav demo` builds)")
    ap.add_argument("--baseline", type=Path, help="this bench's JSON output from an earlier build, to compare")
    ap.add_argument("--against", action="append", default=[], help="NAME=PYTHON of another checkout")
    args = ap.parse_args()
    if args.against:  # sizes do not vary between runs: one round
        argv = ["--projects", str(args.projects), "--seed", str(args.seed)]
        firm(args.projects, seed=args.seed, content=True)  # generated once, shared by the checkouts
        emit("answer_size", alternate(__file__, argv, parse_against(args.against), 1))
        return
    root, db, user = build(args.projects, args.seed)
    with tempfile.TemporaryDirectory() as tmp:  # the calls are tracked: a copy keeps every run's usage data the same
        copy = Path(tmp) / db.name
        shutil.copy(db, copy)
        answers = asyncio.run(measure(root, copy, user))
    if args.baseline:
        before = json.loads(args.baseline.read_text())["answers"]
        for label, row in answers.items():
            old = before.get(label, {}).get("tokens")
            if isinstance(old, int) and isinstance(row["tokens"], int):
                row["before_tokens"], row["ratio"] = old, round(old / max(row["tokens"], 1), 2)
    over = [k for k, v in answers.items() if isinstance(v.get("tokens"), int) and v["tokens"] > v.get("limit", 1e9)]
    emit("answer_size", {"projects": args.projects, "seed": args.seed, "answers": answers, "over_limit": over})


if __name__ == "__main__":
    main()
