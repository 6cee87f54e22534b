"""For you: the user's recommended projects and what they are predicted to open next, with the reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from . import data
from .widgets import short

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from .app import QuickNavTUI


class ForYouPane(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static("loading…", id="foryou-body")

    def load(self) -> None:
        tui: QuickNavTUI = self.app  # type: ignore[assignment]
        tui.fetch("foryou", lambda: data.for_you(tui.qn, tui.user, tui.now_ms()), self.show)

    def show(self, d: data.ForYouData) -> None:
        rec = d.recommendations
        text = Text()
        version = f" v{rec.model_version}" if rec.model_version else ""
        text.append(f"Recommended for {d.user}", style="bold")
        text.append(f"  ({rec.algorithm_used}{version})\n", style="dim")
        for i, item in enumerate(rec.items, 1):
            text.append(f"{i}. {short(item.name, 56)}", style="bold")
            text.append(f"  {item.confidence_score:.0%}\n", style="dim")
            for reason in item.reasoning[:2]:
                text.append(f"   {short(reason, 74)}\n")
        if not rec.items:
            text.append("nothing to recommend yet\n")
        text.append("\nNext project, predicted", style="bold")
        pv = d.predictions.model_version
        text.append(f"  ({f'model v{pv}' if pv else 'heuristics'})\n", style="dim")
        for p in d.predictions.predictions:
            text.append(f"• {short(p.name or p.project_number, 56)}", style="bold")
            text.append(f"  {p.confidence_score:.0%}\n", style="dim")
            text.append(f"   {short('; '.join(p.reasoning), 74)}\n")
        if not d.predictions.predictions:
            text.append("no prediction yet: not enough history\n")
        if d.documents.predictions:
            text.append("\nNext kind of document\n", style="bold")
            for p in d.documents.predictions:
                text.append(f"• {p.doc_type} {p.confidence_score:.0%}  ", style="bold")
                text.append(f"{short('; '.join(p.reasoning), 60)}\n")
        self.query_one("#foryou-body", Static).update(text)
