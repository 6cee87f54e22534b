"""Analytics over a date range: trends, top projects, users and queries, the hour-of-week heatmap,
and anomalies with their explanations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Input, Static

from . import data
from .home import Panel, bare
from .widgets import heatmap, short, spark

if TYPE_CHECKING:
    from .app import QuickNavTUI


class AnalyticsPane(VerticalScroll):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left_square_bracket", "shorter", "Shorter range", key_display="["),
        Binding("right_square_bracket", "longer", "Longer range", key_display="]"),
        Binding("e", "edit_range", "Edit range"),
        Binding("escape", "leave_box", "Leave the range box", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.preset = 1  # index into data.RANGES: 30 days
        self.custom: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="range-bar"):
            yield Static("", id="range-label")
            yield Input(placeholder="YYYY-MM-DD/YYYY-MM-DD, then enter", id="range")
        with Grid(id="analytics-grid"):
            yield Panel("Trends", id="an-trends")
            yield Panel("Hour of week (local time)", id="an-heat")
            yield Panel("Top projects", id="an-projects")
            yield Panel("Top people", id="an-users")
            yield Panel("Top queries", id="an-queries")
            yield Panel("Anomalies", id="an-anomalies")

    def window(self) -> tuple[str, str]:
        tui: QuickNavTUI = self.app  # type: ignore[assignment]
        if self.custom is not None:
            return self.custom
        return data.range_of(data.RANGES[self.preset][1], tui.now_ms())

    def load(self) -> None:
        tui: QuickNavTUI = self.app  # type: ignore[assignment]
        start, end = self.window()
        name = "custom" if self.custom else f"last {data.RANGES[self.preset][0]}"
        self.query_one("#range-label", Static).update(f"{name}: {start[:10]} → {end[:10]}")
        tui.fetch("analytics", lambda: data.analytics(tui.qn, start, end), self.show)
        tui.fetch("anomalies", lambda: data.anomalies(tui.qn, start, end, tui.now_ms()), self.show_anomalies)

    def show(self, d: data.AnalyticsData) -> None:
        t = d.trends
        events = [p.events for p in t.series]
        searches = [p.searches for p in t.series]
        zero = [p.zero_results for p in t.series]
        self.query_one("#an-trends", Static).update(
            Text.assemble(
                (f"events per {t.granularity}", "dim"),
                f"  {sum(events):,}\n",
                (spark(events, 70), "green"),
                "\n",
                ("searches", "dim"),
                f"  {sum(searches):,}   ",
                ("found nothing", "dim"),
                f"  {sum(zero):,}\n",
                (spark(searches, 70), "cyan"),
            )
        )
        self.query_one("#an-heat", Static).update(heatmap(d.heatmap, data.WEEKDAYS))
        projects = [
            f"{p.project_number} {short(bare(p), 18):<18} {p.views:>4}v {p.unique_users:>2}u"
            for p in d.board.top_projects[:6]
        ]
        self.query_one("#an-projects", Static).update("\n".join(projects) or "no project activity")
        users = [f"{short(str(r.get('user')), 24):<24} {int(r.get('events') or 0):>7,}" for r in d.users.rows[:6]]
        self.query_one("#an-users", Static).update("\n".join(users) or "nobody")
        queries = [f"{short(q.query, 22):<22} {q.searches:>5} {q.click_through_rate:>4.0%}" for q in t.popular_queries]
        zero_q = [f"{short(q.query, 22):<22} {q.zero_results:>5} none" for q in t.zero_result_queries[:3]]
        self.query_one("#an-queries", Static).update("\n".join(queries[:5] + zero_q) or "no searches")

    def show_anomalies(self, a: Any) -> None:
        text = Text(f"{a.summary}\n", style="dim")
        for item in a.anomalies[:5]:
            text.append(f"• {item.day} ", style="bold")
            text.append(f"{short(item.explanation, 140)}\n")
        self.query_one("#an-anomalies", Static).update(text)

    # ---- actions -------------------------------------------------------------------------------
    def action_shorter(self) -> None:
        self.custom = None
        self.preset = max(0, self.preset - 1)
        self.load()

    def action_longer(self) -> None:
        self.custom = None
        self.preset = min(len(data.RANGES) - 1, self.preset + 1)
        self.load()

    def action_leave_box(self) -> None:
        self.focus()

    def action_edit_range(self) -> None:
        self.query_one("#range", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        start, sep, end = event.value.strip().partition("/")
        if not sep or not start or not end:
            self.app.notify("a range is START/END, like 2026-01-01/2026-03-31", severity="error")
            return
        self.custom = (start.strip(), end.strip())
        self.load()
        self.focus()
