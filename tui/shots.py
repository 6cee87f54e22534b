"""Screenshots of every screen: plain text for snapshot tests, SVG for the README.

``python -m quicknav_mcp.tui.shots --db DEMO.db --out docs/`` writes ``docs/tui-<screen>.svg``
from a database (the demo firm's), with the clock frozen at ``--now`` so the pictures are stable.
"""

from __future__ import annotations

import argparse
import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

SCREENS = ("home", "search", "preview", "foryou", "analytics", "help")
DEMO_QUERY = "system design"
DEMO_NOW = "2026-05-27T15:00:00+00:00"  # a Wednesday afternoon: the frozen clock of tests and screenshots
DEMO_USER = "user003"


def build_demo(db: Path, root: Path, *, projects: int = 30, now_ms: int | None = None) -> Path:
    """The demo firm (``quicknav demo``'s generator) indexed into ``db`` with its text, a usage history
    ending at ``now_ms``, an hour of timed tool calls before it and trained models: every screen has data."""
    from quicknav_mcp.app import App as QuickNav
    from quicknav_mcp.config import load_config
    from quicknav_mcp.demo.firm import generate_firm
    from quicknav_mcp.demo.usage import record_usage

    now = now_ms if now_ms is not None else int(datetime.fromisoformat(DEMO_NOW).timestamp() * 1000)
    root.mkdir(parents=True, exist_ok=True)
    generate_firm(root, projects=projects, seed=7, content=True)
    with QuickNav.open(load_config(db=db, roots=[root], env={}, embed_model="none")) as qn:
        qn.indexing.reindex()
        qn.search.index_content(embed=False, workers=1)
        record_usage(qn, users=8, days=45, seed=7, end_ms=now - 3_600_000)
        codes = sorted({p.code for p in qn.projects.all()})
        calls = []
        for i in range(90):  # the last hour: searches (a few find nothing) and project lookups, with timings
            tool, kind = (("search_documents", "document_search"), ("navigate_project", "project_view"))[i % 2]
            if i % 5 == 4:
                tool, kind = "find_documents", "tool_call"
            searching = kind == "document_search"
            calls.append(
                {
                    "event_id": f"demo-call-{i}",
                    "event_type": kind,
                    "operation": tool,
                    "user_id": f"user00{i % 5}",
                    "project_id": codes[(i * 7) % len(codes)],
                    "query": ("lld", "as built", "floor plan", "zzqx")[i % 4] if searching else None,
                    "result_count": (0 if i % 8 == 6 else 5) if searching else None,
                    "response_time_ms": 4.0 + (i * 37) % 90,
                    "timestamp": datetime.fromtimestamp((now - 3_590_000 + i * 39_000) / 1000, UTC).isoformat(),
                }
            )
        qn.analytics.track_events(calls)
        qn.analytics.wait_for_rollups(60)
        qn.ml.train(["recommender", "next_project"], wait=True)
    return db


def screen_text(app: App) -> str:
    """What the terminal shows now, as text (the SVG screenshot's characters without the styling)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, force_terminal=True)
    console.print(app.screen._compositor.render_update(full=True))
    return "\n".join(line.rstrip() for line in console.export_text(styles=False).splitlines())


async def settle(app: App, pilot: Pilot) -> None:
    """Wait until every worker has delivered and the screen has repainted."""
    for _ in range(50):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        if not any(w.is_running for w in app.workers):
            return


async def visit(app: App, pilot: Pilot, screen: str) -> None:
    """Bring ``screen`` up the way a person would, with keys."""
    keys = {"home": ["1"], "foryou": ["3"], "analytics": ["4"], "help": ["question_mark"]}
    if app.screen is not app.screen_stack[0]:
        await pilot.press("escape")  # close a preview or the help first
    await pilot.press("escape")  # out of the search box, so keys are not typed into it
    if screen in ("search", "preview"):
        from .search import DEBOUNCE_S

        await pilot.press("slash")  # the box, its text selected: typing replaces it
        await pilot.press(*DEMO_QUERY)
        await asyncio.sleep(DEBOUNCE_S + 0.05)  # past the typing pause: the full search
        await settle(app, pilot)
        if screen == "preview":
            await pilot.press("enter")  # into the results
            pane = app.query_one("#search-pane")
            documents = [i for i, h in enumerate(pane.hits) if h.kind == "document"]
            await pilot.press(*["down"] * (documents[0] if documents else 0), "enter")
    else:
        await pilot.press(*keys[screen])
    await settle(app, pilot)


def main(argv: list[str] | None = None) -> int:
    from quicknav_mcp.app import App as QuickNav
    from quicknav_mcp.config import load_config

    from .app import DARK, LIGHT, QuickNavTUI

    parser = argparse.ArgumentParser(description="write an SVG screenshot of every dashboard screen")
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--user", help="whose For you screen (default: the configured user)")
    parser.add_argument("--now", help="freeze the clock at this ISO time (default: now)")
    parser.add_argument("--size", default="100x32", help="terminal COLUMNSxROWS")
    parser.add_argument("--light", action="store_true")
    args = parser.parse_args(argv)
    cols, rows = (int(x) for x in args.size.split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    now = int(datetime.fromisoformat(args.now).timestamp() * 1000) if args.now else None

    async def shoot() -> None:
        with QuickNav.open(load_config(db=args.db, user=args.user), readonly=True) as qn:
            tui = QuickNavTUI(
                qn, clock=(lambda: now) if now else None, opener=lambda _p: None, theme=LIGHT if args.light else DARK
            )
            async with tui.run_test(size=(cols, rows)) as pilot:
                await settle(tui, pilot)
                for screen in SCREENS:
                    await visit(tui, pilot, screen)
                    path = out / f"tui-{screen}.svg"
                    path.write_text(tui.export_screenshot(title=f"quicknav tui: {screen}"), encoding="utf-8")
                    print(path)

    asyncio.run(shoot())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
