"""Reasoning: sentences that name the evidence behind each recommended project."""

from __future__ import annotations

from .collab import CollabModel
from .content import ContentModel
from .context import describe_age, plural
from .hybrid import Ranked
from .signals import TEAM_WINDOW_MS, UserView
from .state import DAY_MS, UsageState

ALGORITHM = {
    "own": "frecency",
    "collab": "collaborative",
    "content": "content",
    "popularity": "popularity",
    "team": "team",
    "current": "context",
    "query": "context",
    "recent": "cold_start",
}


def similar_sentence(content: ContentModel, anchor: str, code: str) -> str | None:
    """ "similar to 21614: same client Poolwerx, both hearing loop work"."""
    client = content.same_client(anchor, code)
    terms = content.shared_terms(anchor, code)
    bits = []
    if client:
        bits.append(f"same client {client}")
    if terms:
        bits.append("both " + " and ".join(terms) + " work")
    return f"similar to {anchor}: {', '.join(bits)}" if bits else None


class Explainer:
    def __init__(self, state: UsageState, content: ContentModel | None, collab: CollabModel | None) -> None:
        self.state = state
        self.content = content
        self.collab = collab

    def explain(
        self,
        view: UserView,
        item: Ranked,
        *,
        current: int | None = None,
        query: str | None = None,
        neighbours: dict[str, int] | None = None,
    ) -> list[str]:
        state, j = self.state, item.index
        code = state.codes[j]
        out: list[str] = []
        if not view.known:
            out.append("You have no history yet, so this is one of the firm's most active projects right now")
        for name, _part in sorted(item.parts.items(), key=lambda kv: -kv[1]):
            if _part <= 0.01 and out:
                continue
            sentence = self._sentence(name, view, j, code, current, query, neighbours or {})
            if sentence and sentence not in out:
                out.append(sentence)
            if len(out) >= 3:
                break
        return out or ["ranked by overall activity"]

    def _sentence(
        self,
        name: str,
        view: UserView,
        j: int,
        code: str,
        current: int | None,
        query: str | None,
        neighbours: dict[str, int],
    ) -> str | None:
        state = self.state
        if name == "own":
            docs, events = view.week_docs.get(j, 0), view.week_events.get(j, 0)
            if docs:
                return f"you opened {plural(docs, 'document')} here this week"
            if events:
                return f"you worked on it {plural(events, 'time')} this week"
            if j in view.last_ms:
                return f"you last worked on it {describe_age(view.at_ms - view.last_ms[j])} ago"
        if name == "collab" and self.collab is not None:
            mine = [
                self.collab.index[state.codes[i]]
                for i in view.sequence[:10]
                if state.codes[i] in self.collab.index and i != j
            ]
            target = self.collab.index.get(code)
            if mine and target is not None:
                best = self.collab.closest(mine, target)
                if best is not None and best[1] > 0:
                    return f"people who work on {self.collab.codes[best[0]]} also open this"
            return "people with work like yours open this"
        if name == "content" and self.content is not None:
            for i in sorted(view.own, key=lambda i: -view.own[i])[:10]:
                anchor = state.codes[i]
                if anchor != code and any(c == code for c, _ in self.content.neighbours(anchor)):
                    sentence = similar_sentence(self.content, anchor, code)
                    if sentence:
                        return sentence
        if name == "team":
            since = view.at_ms - TEAM_WINDOW_MS
            users = state.project_users.get(j, {})
            n = sum(1 for u in neighbours if users.get(u, 0) >= since)
            if n:
                return f"{plural(n, 'person')} you share projects with worked on it in the last 3 weeks".replace(
                    "persons", "people"
                )
        if name == "popularity":
            n = state.active_users(j, view.at_ms - 30 * DAY_MS, view.at_ms)
            if n:
                return f"busy across the firm: {plural(n, 'person')} worked on it in the last 30 days".replace(
                    "persons", "people"
                )
        if name == "recent":
            last = int(state.last_activity()[j])
            if last:
                return f"recently active: last opened {describe_age(max(0, view.at_ms - last))} ago"
        if name == "current" and current is not None:
            cur = state.codes[current]
            n = int(state.transitions.get(current, {}).get(j, 0))
            if n:
                return f"people often go from {cur} to this next ({plural(n, 'time')})"
            if self.content is not None:
                return similar_sentence(self.content, cur, code)
        if name == "query" and query:
            return f"matches “{query}”"
        return None
