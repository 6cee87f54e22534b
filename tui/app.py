"""The terminal dashboard: one Textual app over the QuickNav :class:`~quicknav_mcp.app.App`.

Every service call runs in a thread worker (``fetch``) so the screen never freezes; the result is
handed back to the UI thread. Keys are in the footer, ``?`` lists them all, and the command
palette (ctrl+p) offers every action.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane

from quicknav_mcp.search.background_build import FOREGROUND

from .analytics import AnalyticsPane
from .foryou import ForYouPane
from .home import HomePane
from .live import Live, live_for
from .opener import Opener, folder_of, open_path, system_opener
from .search import Preview, SearchPane

if TYPE_CHECKING:
    from quicknav_mcp.app import App as QuickNav

log = logging.getLogger(__name__)
T = TypeVar("T")

TABS = (("home", "Home"), ("search", "Search"), ("foryou", "For you"), ("analytics", "Analytics"))
REFRESH_EVERY_S = 2.0  # live changes refresh the visible screen at most this often
DARK, LIGHT = "textual-dark", "textual-light"

CSS = """
TabPane { padding: 0; }
.panel { border: round $primary 60%; padding: 0 1; height: auto; }
#home-grid, #analytics-grid { grid-size: 2; grid-gutter: 0 1; height: auto; }
#home-activity, #an-trends, #an-heat, #an-anomalies { column-span: 2; }
#q { margin: 0; }
#search-body { height: 1fr; }
#results { width: 2fr; border: round $primary 60%; }
#facets { width: 1fr; min-width: 24; border: round $primary 60%; }
#search-status { height: 1; color: $text-muted; padding: 0 1; }
#range-bar { height: 3; }
#range-label { width: 1fr; padding: 1 1 0 1; }
#range { width: 40; }
Preview, HelpScreen { align: center middle; }
#preview, #help { width: 90%; height: 85%; border: round $accent; background: $surface; padding: 0 1; }
"""


class HelpScreen(ModalScreen[None]):
    """Every key of every screen, generated from the bindings themselves."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        text = Text()
        where = None
        for scope, key, description in self.rows:
            if scope != where:
                text.append(f"\n{scope}\n" if where else f"{scope}\n", style="bold")
                where = scope
            text.append(f"  {key:<14}", style="bold cyan")
            text.append(f"{description}\n")
        text.append("\nctrl+p opens the command palette: every action by name.", style="dim")
        with VerticalScroll(id="help"):
            yield Static(text)

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Keys (esc closes)"


class QuickNavTUI(App[int]):
    """``quicknav tui``: Home, Search, For you and Analytics over one QuickNav App."""

    TITLE = "QuickNav"
    CSS = CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show_tab('home')", "Home"),
        Binding("2", "show_tab('search')", "Search"),
        Binding("3", "show_tab('foryou')", "For you"),
        Binding("4", "show_tab('analytics')", "Analytics"),
        Binding("slash", "focus_search", "Find", key_display="/"),
        Binding("ctrl+f", "focus_search", "Find", show=False, priority=True),
        Binding("r", "refresh", "Refresh"),
        Binding("t", "toggle_theme", "Theme"),
        Binding("question_mark", "help", "Keys", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        qn: QuickNav,
        *,
        user: str | None = None,
        clock: Callable[[], int] | None = None,
        live: Live | None = None,
        opener: Opener | None = None,
        copier: Callable[[str], None] | None = None,
        theme: str = DARK,
    ) -> None:
        super().__init__()
        self.qn = qn
        self.user = user or qn.config.user
        self._clock = clock or (lambda: int(time.time() * 1000))
        self.live = live if live is not None else live_for(qn)
        self.opener = opener or system_opener()
        self._copier = copier
        self.theme = theme
        self.sub_title = f"{qn.config.db_path.name} · {self.user} · {'read-only, ' if qn.store.readonly else ''}"
        self.sub_title += f"live: {self.live.mode}"
        self._loaded: set[str] = set()
        self._last_refresh = 0.0
        self._refresh_pending = False
        self.first_paint_s: float | None = None
        self.timings: dict[str, list[float]] = {}  # ms from fetch to shown, per group (the benchmark reads it)
        self._started = time.perf_counter()

    def now_ms(self) -> int:
        return self._clock()

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="home", id="tabs"):
            with TabPane("Home", id="home"):
                yield HomePane(id="home-pane")
            with TabPane("Search", id="search"):
                yield SearchPane(id="search-pane")
            with TabPane("For you", id="foryou"):
                yield ForYouPane(id="foryou-pane")
            with TabPane("Analytics", id="analytics"):
                yield AnalyticsPane(id="analytics-pane")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._load("home")
        self.live.start(self._changed_elsewhere)

    def on_unmount(self) -> None:
        self.live.stop()

    # ---- data ----------------------------------------------------------------------------------
    def fetch(self, group: str, call: Callable[[], T], show: Callable[[T], None]) -> None:
        """Run ``call`` on a worker thread (a newer fetch of the same group cancels an older one)
        and hand its result to ``show`` on the UI thread; a failure is shown, not raised."""

        started = time.perf_counter()

        def work() -> None:
            try:
                with FOREGROUND.call():  # the in-memory copies' builds give way to what the screen waits for
                    result = call()
            except Exception as exc:
                log.debug("%s failed", group, exc_info=True)
                self.call_from_thread(self.notify, f"{group}: {exc}", severity="error", timeout=8)
                return
            self.call_from_thread(self._deliver, group, show, result, started)

        self.run_worker(work, group=group, exclusive=True, thread=True, exit_on_error=False)

    def _deliver(self, group: str, show: Callable[[Any], None], result: Any, started: float) -> None:
        show(result)
        self.timings.setdefault(group, []).append((time.perf_counter() - started) * 1000)
        if group == "home" and self.first_paint_s is None:
            self.first_paint_s = time.perf_counter() - self._started

    def _pane(self, tab: str) -> Any:
        return self.query_one(f"#{tab}-pane")

    def _load(self, tab: str) -> None:
        self._loaded.add(tab)
        pane = self._pane(tab)
        if hasattr(pane, "load"):
            pane.load()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id or ""
        if tab not in self._loaded:
            self._load(tab)

    def _changed_elsewhere(self) -> None:
        """From the live thread: the database moved on; refresh the visible screen (throttled)."""
        with suppress(RuntimeError):  # the app is closing
            self.call_from_thread(self._live_refresh)

    def _live_refresh(self) -> None:
        wait = REFRESH_EVERY_S - (time.monotonic() - self._last_refresh)
        if wait > 0:
            if not self._refresh_pending:
                self._refresh_pending = True
                self.set_timer(wait, self._live_refresh_now)
            return
        self._live_refresh_now()

    def _live_refresh_now(self) -> None:
        self._refresh_pending = False
        self._last_refresh = time.monotonic()
        active = self.query_one(TabbedContent).active
        if active in ("home", "analytics", "foryou"):
            self._load(active)
        self._loaded = {active}  # other screens reload when shown

    # ---- actions -------------------------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        # Focus left inside the hidden pane would move to its next widget and switch straight back.
        self.set_focus(None)
        self.query_one(TabbedContent).active = tab
        if tab == "search":
            box = self.query_one("#q", Input)
            box.focus()
            box.select_all()  # typing replaces the last query
        else:
            self._pane(tab).focus()

    def action_focus_search(self) -> None:
        if isinstance(self.screen, ModalScreen):
            self.pop_screen()
        self.action_show_tab("search")

    def action_refresh(self) -> None:
        active = self.query_one(TabbedContent).active
        if active == "search":
            self._pane("search").run_search()
        else:
            self._load(active)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_rows()))

    async def action_quit(self) -> None:
        self.exit(0)

    def open_folder(self, path: str) -> None:
        self._open(folder_of(path) if path else "")

    def open_file(self, path: str) -> None:
        self._open(path)

    def _open(self, path: str) -> None:
        problem = open_path(path, self.opener)
        if problem:
            self.notify(problem, severity="warning")
        else:
            self.notify(f"opening {path}")

    def copy_path(self, path: str) -> None:
        if not path:
            self.notify("nothing selected", severity="warning")
            return
        (self._copier or self.copy_to_clipboard)(path)
        self.notify(f"copied {path}")

    def _search_action(self, name: str) -> Callable[[], None]:
        def run() -> None:
            if isinstance(self.screen, Preview):
                getattr(self.screen, f"action_{name}")()
            else:
                getattr(self._pane("search"), f"action_{name}")()

        return run

    def _analytics_action(self, name: str) -> Callable[[], None]:
        def run() -> None:
            self.action_show_tab("analytics")
            getattr(self._pane("analytics"), f"action_{name}")()

        return run

    # ---- keys and commands -----------------------------------------------------------------------
    def key_rows(self) -> list[tuple[str, str, str]]:
        """(screen, key, what it does) for every binding, for the help screen (and its test)."""
        more = [
            Binding("tab", "", "Move between the search box, the results and the facets"),
            Binding("space", "", "Narrow the results by the highlighted facet"),
        ]
        scopes: list[tuple[str, Iterable[Any]]] = [
            ("Everywhere", self.BINDINGS),
            ("Search", [*SearchPane.BINDINGS, *more]),
            ("Preview", Preview.BINDINGS),
            ("Analytics", AnalyticsPane.BINDINGS),
        ]
        rows = []
        for scope, bindings in scopes:
            for b in bindings:
                if not isinstance(b, Binding):
                    continue
                key = b.key_display or b.key.replace("question_mark", "?").replace("slash", "/")
                rows.append((scope, key.replace(",", " "), b.description or b.action))
        return rows

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for tab, title in TABS:
            yield SystemCommand(f"Show {title}", f"Switch to the {title} screen", lambda t=tab: self.action_show_tab(t))
        yield SystemCommand("Find", "Focus the search box", self.action_focus_search)
        yield SystemCommand("Refresh", "Reload the visible screen", self.action_refresh)
        yield SystemCommand("Toggle light/dark", "Switch between the light and dark themes", self.action_toggle_theme)
        yield SystemCommand("Keys", "List every key", self.action_help)
        yield SystemCommand("Open folder", "Open the selected result's folder", self._search_action("open_folder"))
        yield SystemCommand("Open file", "Open the selected document", self._search_action("open_file"))
        yield SystemCommand("Copy path", "Copy the selected result's path", self._search_action("copy_path"))
        yield SystemCommand("Preview", "Preview the selected result", self._search_action("preview"))
        yield SystemCommand("Shorter range", "Analytics over a shorter period", self._analytics_action("shorter"))
        yield SystemCommand("Longer range", "Analytics over a longer period", self._analytics_action("longer"))
        yield SystemCommand("Edit range", "Type an analytics date range", self._analytics_action("edit_range"))
