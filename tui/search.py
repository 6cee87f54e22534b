"""Search: results as you type (projects and documents), facets to narrow, a preview on Enter."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from . import data
from .widgets import short

if TYPE_CHECKING:
    from quicknav_mcp.models import DocumentInfo
    from quicknav_mcp.search.excerpt import Excerpt

    from .app import QuickNavTUI

DEBOUNCE_S = 0.25  # a pause this long in typing starts the full search (each keystroke gets the type-ahead)
MIN_CHARS = 2  # one letter matches half the firm: wait for a second (digits search at once)
FACETS = ("doc_type", "project", "phase", "year", "status", "ext")
FACET_KEY = {"extension": "ext"}  # the facet's name in results -> the filter that narrows by it


class Hit:
    """One row of the result list: a project folder or a document."""

    def __init__(self, kind: str, path: str, title: str, detail: Any = None) -> None:
        self.kind = kind
        self.path = path
        self.title = title
        self.detail = detail


class SearchPane(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "preview", "Preview", show=False),
        Binding("escape", "leave_box", "Leave the search box", show=False),
        Binding("o", "open_folder", "Open folder"),
        Binding("x", "open_file", "Open file"),
        Binding("c", "copy_path", "Copy path"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hits: list[Hit] = []
        self._timer: Timer | None = None
        self._facets: dict[str, list[str]] = {}
        self.last: data.SearchData | None = None
        self.keystroke_ms: list[float] = []  # typed -> type-ahead results shown, for the benchmark
        self.full_ms: list[float] = []  # full search started -> shown, for the benchmark
        self.pause_s = DEBOUNCE_S
        self._typed: float | None = None
        self._full_started: float | None = None
        self._searching = False
        self._queued = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ search projects and documents: 17741, poolwerx, lld rev 102, as built…", id="q")
        with Horizontal(id="search-body"):
            yield OptionList(id="results")
            yield SelectionList[str](id="facets")
        yield Static("", id="search-status")

    def on_mount(self) -> None:
        self.query_one("#facets", SelectionList).border_title = "Narrow (space)"
        self.query_one("#results", OptionList).border_title = "Results (enter: preview)"

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "q":
            return
        event.stop()
        self._facets = {}
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        query = text.strip()
        if len(query) < MIN_CHARS and not query.isdigit():
            self.show(data.SearchData(query, None, None))
            return
        self._typed = time.perf_counter()
        # Every keystroke: the quick answer, on a worker that the next keystroke's supersedes (its
        # answer, if it still arrives, is for an older text and is dropped by `show`).
        tui: QuickNavTUI = self.app  # type: ignore[assignment]
        tui.fetch("typeahead", lambda: data.typeahead(tui.qn, text), self.show)
        self._timer = self.set_timer(self.pause_s, self.run_search)  # a pause: the full search

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.last is None or self.last.typeahead is not None:  # Enter does not wait for the pause
            if self._timer is not None:
                self._timer.stop()
            self.run_search()
        results = self.query_one("#results", OptionList)
        if results.option_count:
            results.focus()
            results.highlighted = 0

    def run_search(self) -> None:
        tui: QuickNavTUI = self.app  # type: ignore[assignment]
        query = self.query_one("#q", Input).value.strip()
        if len(query) < MIN_CHARS and not query.isdigit():
            self.show(data.SearchData(query, None, None))
            return
        if self._searching:
            # One search at a time: a thread cannot be cancelled, and a stale one would hold the
            # store while the newest waits. The newest text is searched when this one is done.
            self._queued = True
            return
        self._searching = True
        self._full_started = time.perf_counter()
        filters = {k: list(v) for k, v in self._facets.items() if v}
        tui.fetch("search", lambda: data.search(tui.qn, query, filters, tui.user), self._searched)

    def _searched(self, d: data.SearchData) -> None:
        self._searching = False
        if self._full_started is not None:
            self.full_ms.append((time.perf_counter() - self._full_started) * 1000)
        if self._queued:
            self._queued = False
            self.run_search()
        self.show(d)

    def show(self, d: data.SearchData) -> None:
        if d.query != self.query_one("#q", Input).value.strip():
            return  # typed on since: a newer search is coming
        if d.typeahead is not None and self.last is not None and self.last.query == d.query and self.last.documents:
            return  # the full search of this text already arrived (a type-ahead is never better)
        self.last = d
        self.hits = []
        quick = d.typeahead
        if quick is not None:
            self.hits += [Hit("project", p.path, p.name, p) for p in quick.projects]
            self.hits += [Hit("document", h.path, h.name, h) for h in quick.documents]
        if d.projects is not None:
            self.hits += [Hit("project", p.path, p.name, p) for p in d.projects.projects]
        if d.documents is not None:
            self.hits += [Hit("document", h.path, h.name, h) for h in d.documents.documents]
        results = self.query_one("#results", OptionList)
        results.clear_options()
        results.add_options([Option(_label(h)) for h in self.hits])
        if self.hits:
            results.highlighted = 0
        self._show_facets(d)
        status = self.query_one("#search-status", Static)
        if d.error:
            status.update(Text(d.error, style="red"))
        elif quick is not None:
            more = "+" if quick.bounded else ""
            status.update(
                f"{len(quick.projects)} projects, {len(quick.documents)}{more} documents starting with what is typed "
                f"({quick.search_time_ms:.0f} ms); pause or Enter for the full search"
            )
        elif d.documents is not None:
            took = d.documents.search_time_ms + (d.projects.search_time_ms if d.projects else 0)
            found = d.documents.total_count
            notes = f"  did you mean: {', '.join(d.documents.suggestions[:2])}" if d.documents.suggestions else ""
            status.update(f"{found:,} documents in {took:.0f} ms{notes}")
        elif d.query:
            status.update("keep typing…")
        else:
            status.update("type to search; Tab moves to the results and the facets")
        if quick is not None and self._typed is not None:
            self.keystroke_ms.append((time.perf_counter() - self._typed) * 1000)
            self._typed = None

    def _show_facets(self, d: data.SearchData) -> None:
        facets = self.query_one("#facets", SelectionList)
        chosen = {(k, v) for k, vs in self._facets.items() for v in vs}
        facets.clear_options()
        if d.documents is None:
            return
        items = []
        for name, values in d.documents.facets.items():
            key = FACET_KEY.get(name, name)
            if key not in FACETS:
                continue
            for fv in values[:6]:
                label = f"{key}:{short(fv.value, 16)} {fv.count}"
                items.append((label, f"{key}\t{fv.value}", (key, fv.value) in chosen))
        facets.add_options(items)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        chosen: dict[str, list[str]] = {}
        for value in event.selection_list.selected:
            key, _, val = str(value).partition("\t")
            chosen.setdefault(key, []).append(val)
        if chosen != self._facets:
            self._facets = chosen
            self.run_search()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_preview()

    # ---- actions -------------------------------------------------------------------------------
    def selected(self) -> Hit | None:
        index = self.query_one("#results", OptionList).highlighted
        return self.hits[index] if index is not None and 0 <= index < len(self.hits) else None

    def action_leave_box(self) -> None:
        """Out of the search box, so the screen keys (1-4, q, ...) work again."""
        results = self.query_one("#results", OptionList)
        if self.query_one("#q", Input).has_focus:
            results.focus()

    def action_preview(self) -> None:
        hit = self.selected()
        if hit is None:
            self.app.notify("search for something, then pick a result", severity="warning")
            return
        tui: QuickNavTUI = self.app  # type: ignore[assignment]
        if hit.kind == "document":
            doc = hit.detail
            query = self.query_one("#q", Input).value
            tui.fetch(
                "preview",
                lambda: data.preview(tui.qn, doc.id, query),
                lambda p: tui.push_screen(Preview(hit, p.history, p.excerpt)),
            )
        else:
            tui.push_screen(Preview(hit, []))

    def action_open_folder(self) -> None:
        hit = self.selected()
        self.app.open_folder(hit.path if hit else "")  # type: ignore[attr-defined]

    def action_open_file(self) -> None:
        hit = self.selected()
        self.app.open_file(hit.path if hit else "")  # type: ignore[attr-defined]

    def action_copy_path(self) -> None:
        hit = self.selected()
        self.app.copy_path(hit.path if hit else "")  # type: ignore[attr-defined]


def _label(hit: Hit) -> Text:
    if hit.kind == "project":
        return Text.assemble(("P ", "bold magenta"), (hit.title, "bold"))
    d = hit.detail
    mark = ("● ", "green") if d.is_current else ("  ", "")
    rev = f" rev {d.revision_raw or d.revision}" if d.revision is not None else ""
    return Text.assemble(("D ", "cyan"), mark, hit.title, (f"  {d.project_number} {d.doc_type}{rev}", "dim"))


def bold_marked(marked: str) -> Text:
    """``a **b** c`` -> ``a b c`` with ``b`` in bold (the excerpt's highlighted words)."""
    out = Text()
    for i, part in enumerate(marked.split("**")):
        out.append(part, style="bold yellow" if i % 2 else "")
    return out


class Preview(ModalScreen[None]):
    """A result's metadata, the revision history of its series (current marked) and an excerpt of its text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("o", "open_folder", "Open folder"),
        Binding("x", "open_file", "Open file"),
        Binding("c", "copy_path", "Copy path"),
    ]

    def __init__(self, hit: Hit, history: list[DocumentInfo], excerpt: Excerpt | None = None) -> None:
        super().__init__()
        self.hit = hit
        self.history = history
        self.excerpt = excerpt

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="preview"):
            yield Static(self._body(), id="preview-body")

    def on_mount(self) -> None:
        self.query_one("#preview").border_title = short(self.hit.title, 70)
        self.query_one("#preview").border_subtitle = "o folder · x file · c copy path · esc close"

    def _body(self) -> Text:
        h = self.hit
        text = Text()
        if h.kind == "project":
            p = h.detail
            text.append(f"project {p.project_number}  {p.name}\n", style="bold")
            text.append(f"client {p.client or '-'}  documents {p.doc_count:,}\n")
            text.append(f"{p.path}\n", style="dim")
            if p.why:
                text.append(f"why: {', '.join(p.why)}\n")
            return text
        d = h.detail
        text.append(f"{d.name}\n", style="bold")
        text.append(f"project {d.project_number} {short(d.project_name, 40)}\n")
        rev = d.revision_raw or (str(d.revision) if d.revision is not None else "-")
        tags = ", ".join(d.status_tags) or "-"
        text.append(f"type {d.doc_type}  revision {rev}  status {tags}  phase {d.phase or '-'}\n")
        text.append(f"modified {d.modified[:16].replace('T', ' ')}  size {d.size:,} bytes")
        text.append("  CURRENT\n" if d.is_current else "  superseded\n", style="green" if d.is_current else "yellow")
        text.append(f"{d.path}\n", style="dim")
        if d.why:
            text.append(f"why: {', '.join(d.why)}\n")
        if self.history:
            text.append("\nrevision history of this series\n", style="bold")
            for r in self.history:
                mark = "● " if r.is_current else "  "
                where = " (archive)" if r.is_archive else ""
                label = r.revision_raw or (str(r.revision) if r.revision is not None else "-")
                line = f"{mark}{label:<8} {r.modified[:10]}  {short(r.name, 36)}{where}\n"
                text.append(line, style="green" if r.id == d.id else "")
        ex = self.excerpt
        if ex is not None and ex.found:
            text.append(f"\ntext ({ex.kind})\n", style="bold")
            text.append_text(bold_marked(ex.text))
            text.append("\n")
            if ex.note:
                text.append(f"({ex.note})\n", style="dim")
        elif ex is not None:
            text.append("\ntext\n", style="bold")
            text.append(f"no text to show: {ex.note}\n", style="yellow")
        return text

    def action_open_folder(self) -> None:
        self.app.open_folder(self.hit.path)  # type: ignore[attr-defined]

    def action_open_file(self) -> None:
        self.app.open_file(self.hit.path)  # type: ignore[attr-defined]

    def action_copy_path(self) -> None:
        self.app.copy_path(self.hit.path)  # type: ignore[attr-defined]
