"""Home: live activity, the day's top projects and searches, latency per tool, the index and the models."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.widgets import Static

from quicknav_mcp.timestamps import iso_seconds

from . import data
from .widgets import bar, ms, short, spark

if TYPE_CHECKING:
    from quicknav_mcp.analytics.models import TopProject

    from .app import QuickNavTUI


class Panel(Static):
    """A bordered block of text with a title."""

    def __init__(self, title: str, *, id: str) -> None:
        super().__init__("loading…", id=id, classes="panel")
        self.border_title = title


class HomePane(VerticalScroll):
    """The first screen; every block is filled by one worker call."""

    def compose(self) -> ComposeResult:
        with Grid(id="home-grid"):
            yield Panel("Activity", id="home-activity")
            yield Panel("Searches, last 24 h", id="home-searches")
            yield Panel("Top projects (views), last 24 h", id="home-projects")
            yield Panel("p95 latency per tool, last 24 h", id="home-latency")
            yield Panel("Index", id="home-index")
            yield Panel("Models", id="home-models")

    def load(self) -> None:
        tui: QuickNavTUI = self.app  # type: ignore[assignment]
        tui.fetch("home", lambda: data.home(tui.qn, tui.now_ms()), self.show)

    def show(self, d: data.HomeData) -> None:
        board = d.board
        self.query_one("#home-activity", Static).update(
            Text.assemble(
                ("events per minute, last hour", "dim"),
                f"  {sum(d.per_minute):,}\n",
                (spark(d.per_minute, 60), "green"),
                "\n",
                ("events per hour, last day", "dim"),
                f"  {sum(d.per_hour):,}\n",
                (spark(d.per_hour), "cyan"),
                (f"\n{d.pending:,} events waiting for the rollups" if d.pending else "", "yellow"),
            )
        )
        m = board.metrics
        lines = [f"{m.total_searches:,} searches, {m.zero_result_searches:,} found nothing"]
        lines += [f"{m.total_users:,} people, {m.total_events:,} events, {m.total_sessions:,} sessions"]
        if board.zero_result_queries:
            lines.append("nothing found for:")
            lines += [f"  {short(q.query, 26)} ×{q.zero_results}" for q in board.zero_result_queries[:3]]
        elif board.popular_queries:
            lines.append("most searched:")
            lines += [f"  {short(q.query, 26)} ×{q.searches}" for q in board.popular_queries[:3]]
        self.query_one("#home-searches", Static).update("\n".join(lines))
        projects = [f"{p.project_number} {short(bare(p), 24):<24} {p.views:>4}" for p in board.top_projects[:6]]
        self.query_one("#home-projects", Static).update("\n".join(projects) or "no project activity")
        ops = board.performance_metrics.operations[:6]
        latency = [f"{short(o.operation, 18):<18} {ms(o.p95_ms):>8} ×{o.count:<5,}" for o in ops]
        self.query_one("#home-latency", Static).update("\n".join(latency) or "no timed calls")
        self.query_one("#home-index", Static).update(index_text(d))
        self.query_one("#home-models", Static).update(models_text(d))


def bare(p: TopProject) -> str:
    """A project's folder name without the number it starts with (shown beside it already)."""
    name = p.name or "(not indexed)"
    return name.removeprefix(p.project_number).lstrip(" -") or name


def index_text(d: data.HomeData) -> str:
    s = d.status
    lines = [f"{s.projects:,} projects, {s.documents:,} documents"]
    if s.search is not None:
        lines.append(f"text   {bar(s.search.content_processed, s.search.documents, 14)}")
        lines.append(f"embeds {bar(s.search.embeddings_done, s.search.documents, 14)}")
    lines += watcher_lines(s.watcher, time.time())
    if not s.watcher or not _live(s.watcher):
        scan = s.last_scans[0] if s.last_scans else None
        lines.append(f"last scan {_clock(scan.finished_at) if scan else 'never'}")
    return "\n".join(lines)


def _live(w: dict) -> bool:
    """In this process and running, or recorded by another process with a fresh heartbeat."""
    return bool(w.get("fresh")) if w.get("source") == "recorded" else w.get("state") != "stopped"


def watcher_lines(w: dict | None, now: float) -> list[str]:
    """ "watching <root>, heartbeat 3 s ago" and the last change, or "no watcher" (none, or gone quiet)."""
    if not w:
        return ["no watcher running"]
    if not _live(w):
        age = w.get("heartbeat_age_s")
        return [f"no watcher (last heartbeat {ago(age)} ago)" if age is not None else "no watcher (stopped)"]
    roots = [Path(r).name or r for r in w.get("watching") or []]
    where = (roots[0] + (f" +{len(roots) - 1}" if len(roots) > 1 else "")) if roots else "no root (paused)"
    age = w.get("heartbeat_age_s")
    if age is None:  # this process's watcher: its beat is a time
        beat = iso_seconds(w.get("heartbeat"))
        age = max(0.0, now - beat) if beat is not None else None
    state = "" if w.get("state") == "watching" else f" ({w.get('state')})"
    out = [f"watching {short(where, 18)}{state}, heartbeat {ago(age)} ago"]
    if w.get("last_change"):
        change = iso_seconds(w.get("last_change"))
        when = f"{ago(now - change)} ago" if change is not None else "-"
        out.append(f"last change {when}: {short(Path(w.get('last_change_path') or '').name, 22)}")
    else:
        out.append("no change since it started")
    return out


def ago(seconds: float | None) -> str:
    """``7`` -> ``7 s``, ``400`` -> ``6 min``, ``8000`` -> ``2 h``, ``200000`` -> ``2 d``."""
    if seconds is None:
        return "?"
    s = max(0, int(seconds))
    if s < 90:
        return f"{s} s"
    return f"{s // 60} min" if s < 5400 else f"{s // 3600} h" if s < 172800 else f"{s // 86400} d"


def _clock(value: str | None) -> str:
    """``2026-05-27T14:03:11Z`` -> ``05-27 14:03:11`` (short enough for a panel)."""
    if not value:
        return "-"
    return value.replace("T", " ")[5:19]


def models_text(d: data.HomeData) -> str:
    lines = [f"{m.name} v{m.version} {m.trained} {m.metric}" for m in d.models] or ["no trained model"]
    lines.append("A/B: " + ("; ".join(d.ab_tests) if d.ab_tests else "none running"))
    return "\n".join(lines)
