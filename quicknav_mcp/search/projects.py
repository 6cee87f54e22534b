"""Project search: codes (also partial or glued), client abbreviations and fuller names, folder
words, words inside their documents, facts and meaning, fused and re-ranked."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from ..repo import ProjectRow
from ..repo.sql import marks
from ..services.projects import ProjectMatch, ProjectService
from ..store import Store
from .alternatives import widen
from .candidates import CandidateTable
from .doc_postings import DocPostings, counters
from .documents import elapsed_ms
from .facets import project_facets
from .facts import FactRetriever
from .fuzzy import ProjectWords
from .highlight import highlight
from .lexical import PROJECT_WEIGHTS, FullText
from .models import FacetValue, ProjectHit, SearchProjectsResult
from .popularity import PopularitySource
from .project_about import ABOUT_WEIGHT, ProjectAbout, boost
from .project_names import NamedProject, ProjectNames
from .project_sites import ProjectsById, ProjectSites, place_terms, sites_of
from .project_vectors import ProjectMeaning
from .query import ParsedQuery, match_expression
from .ranking import rrf
from .scope import CANDIDATES, Scope
from .semantic import Semantic
from .text import tokens
from .thesaurus import concept_set, plainly
from .thesaurus_model import ModelThesaurus
from .trigram import Substrings
from .understood import did_you_mean, interpretation
from .vocab import Vocabulary

log = logging.getLogger(__name__)
Ranked = list[tuple[ProjectRow, float, list[str]]]


def name_tokens(rec: ProjectRow) -> tuple[frozenset[str], str]:
    """A project's words as :class:`.project_names.NamedProject` holds them (for a row of another list)."""
    words = tokens(" ".join((rec.name, rec.client or "", *rec.client_names)))
    return frozenset(words), "".join(" " + w for w in words)


def newer_first(rec: ProjectRow) -> float:
    """A project's share of its score that puts newer codes first on ties."""
    return 1.0 + 0.05 * (int(rec.code) % 100000) / 100000


class _Coverage:
    """How many of a request's words (typo fixes applied) a project's name covers, read once per
    request and asked per candidate; a project's site counts as its name for the place words."""

    __slots__ = ("n_wanted", "named", "placed", "site_words", "starts", "wanted", "whole")

    def __init__(
        self,
        pq: ParsedQuery,
        corrections: dict[str, str],
        named: Mapping[int, NamedProject],
        by_id: dict[int, ProjectRow],
    ) -> None:
        self.wanted = [corrections.get(t, t) for t in pq.terms]
        self.whole = [t for t in self.wanted if len(t) < 3]  # too short for a prefix test: a whole word only
        self.starts = [(t, " " + t) for t in self.wanted if len(t) >= 3]
        self.n_wanted = len(self.wanted)
        self.named = named
        self.site_words: Mapping[int, frozenset[str]] = by_id.site_words if isinstance(by_id, ProjectsById) else {}
        at_place = place_terms(self.wanted)
        self.placed = [t for t in self.wanted if t in at_place]  # the words a site can cover

    def of(self, pid: int, rec: ProjectRow) -> tuple[int, int]:
        """The words the project covers (its site's included), and how many of them only its site does."""
        e = self.named.get(pid)
        words, joined = (e.word_set, e.joined) if e is not None and e.row is rec else name_tokens(rec)
        # " word" in " tok1 tok2 ...": some token starts with the word (tokens hold no spaces).
        covered = 0
        for t in self.whole:
            if t in words:
                covered += 1
        for t, st in self.starts:
            if t in words or st in joined:
                covered += 1
        n_wanted = self.n_wanted
        if covered < n_wanted and self.placed:
            sw = self.site_words.get(pid)
            if sw:
                at_site = 0
                for t in self.placed:
                    if t in sw and t not in words:
                        at_site += 1
                if at_site:
                    return min(n_wanted, covered + at_site), at_site
        return covered, 0


WARM_DELAY_S = 1.0  # after start-up, before the in-memory state is built (a short-lived session never pays)


class ProjectSearch:
    """Runs one project search over already checked arguments."""

    meaning: ProjectMeaning | None = None  # set by the search service
    table: CandidateTable | None = None  # every document's project in memory (set by the search service)
    about: ProjectAbout | None = None  # project summaries (set by the search service)
    names: ProjectNames | None = None  # the projects' folded words, shared (set by the search service)
    sites: ProjectSites | None = None  # where each project is, learnt from its documents (set by the search service)

    def __init__(
        self,
        store: Store,
        projects: ProjectService,
        vocab: Vocabulary,
        *,
        fulltext: FullText,
        substrings: Substrings,
        words: ProjectWords,
        facts: FactRetriever,
        semantic: Semantic,
        popularity: PopularitySource,
    ) -> None:
        self.store = store
        self.projects = projects
        self.vocab = vocab
        self.fulltext = fulltext
        self.substrings = substrings
        self.words = words
        self.facts = facts
        self.semantic = semantic
        self.related = ModelThesaurus()  # concepts in words the thesaurus does not list
        self.popularity = popularity
        # The any-word document query from memory (same answer as FTS5's, ~20x cheaper at 116k documents).
        self.postings = DocPostings(store, vocab.versions, fulltext)
        # ... and the project full-text query (search_projects) likewise.
        self.project_postings = DocPostings(
            store, vocab.versions, fulltext, table="search_projects", weights=PROJECT_WEIGHTS, owner="projects"
        )
        self._warm: threading.Timer | None = None
        self._warm_claimed = False  # the start-up's builds were started (by the timer or a wait): once
        self._warm_lock = threading.Lock()
        self._indexed: object = None  # the project list the two caches below were built from
        self._by_code: dict[str, list[int]] = {}
        self._position: dict[int, int] = {}  # order of the project list (exact codes keep it)
        self._newer: dict[str, float] = {}  # each code's :func:`newer_first`

    # ------------------------------------------------------------------ in-memory state
    def start(self, delay: float = WARM_DELAY_S) -> None:
        """Build the project summaries and the full-text postings in the background, ``delay`` seconds
        from now (a search before then starts them itself; until they serve, searches answer without
        summaries and from FTS5)."""
        if self._warm is None:
            self._warm = threading.Timer(delay, self._warm_up)
            self._warm.daemon = True
            self._warm.start()

    def _claim_warm_up(self) -> bool:
        """True for the one caller (the timer, or :meth:`wait_ready` before it fires) that starts the builds."""
        with self._warm_lock:
            claimed, self._warm_claimed = self._warm_claimed, True
            return not claimed

    def _warm_up(self) -> None:
        if self._claim_warm_up():
            self._build_all()

    def _build_all(self) -> None:
        try:
            # The counters are read on a connection of this thread's own: searches on the shared one
            # never see a background query between theirs.
            with self.store.scan_reader() as read:
                key = counters(read)
            if key is None:
                return
            if self.sites is not None:
                self.sites.current(wait=False)
            if self.about is not None:
                self.about.start(key)
            if self.semantic is not None:
                self.related.warm(self.semantic.embedder)
            self.postings.start(key)
            self.project_postings.start(key)
        except Exception as exc:  # e.g. the store closed meanwhile: the first search starts them instead
            log.debug("in-memory project search state not started: %s", exc)

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Wait until the summaries and the postings of the current index serve (tests, benchmarks);
        whether they do within ``timeout`` seconds (postings too large to copy never do: FTS5 serves)."""
        deadline = time.monotonic() + timeout
        if self._warm is not None:  # the delayed start-up's builds are among those waited for
            if self._claim_warm_up():  # not fired yet: started here and now, not after its delay
                self._warm.cancel()
                self._build_all()
            else:  # fired: it is starting them (it only starts builds, so this is short)
                self._warm.join(timeout)
        ok = self.about.wait_ready(max(0.0, deadline - time.monotonic())) if self.about is not None else True
        if self.sites is not None:
            ok = self.sites.wait_ready(max(0.0, deadline - time.monotonic())) and ok
        for postings in (self.postings, self.project_postings):
            ok = postings.wait_ready(max(0.0, deadline - time.monotonic())) and ok
        return ok

    def close(self) -> None:
        """Stop the delayed start and the builds of the summaries and postings."""
        if self._warm is not None:
            self._warm.cancel()
        if self.about is not None:
            self.about.close()
        self.postings.close()
        self.project_postings.close()

    # ------------------------------------------------------------------ searching
    def search(
        self,
        pq: ParsedQuery,
        flt: dict[str, list[str]],
        *,
        user: str | None,
        mode: str,
        limit: int,
        offset: int,
        include_facets: bool,
        t0: float,
    ) -> SearchProjectsResult:
        ranked, corrections, semantic_used, notes = self.rank(pq, flt, user, mode, shown=offset + limit)
        total = len(ranked)
        facets: dict[str, list[FacetValue]] = project_facets(r for r, _, _ in ranked) if include_facets else {}
        words = set(pq.all_words) | set(corrections.values())
        prefixes = [t for t in pq.terms if len(t) >= 3]
        hits = [
            ProjectHit(
                **r.summary_fields(),
                score=score,
                why=why,
                highlight=highlight(r.name, words | set(pq.codes), prefixes),
            )
            for r, score, why in ranked[offset : offset + limit]
        ]
        return SearchProjectsResult(
            query=pq.text,
            projects=hits,
            total_count=total,
            offset=offset,
            limit=limit,
            search_time_ms=elapsed_ms(t0),
            facets=facets,
            suggestions=did_you_mean(pq, corrections, total, notes, self.vocab, self.projects),
            understood=interpretation(pq, corrections),
            semantic=semantic_used,
        )

    def matches(self, pq: ParsedQuery, limit: int) -> list[ProjectMatch]:
        """For ``navigate_project``: ranked projects with scores on a 0-100 scale (best = 100)."""
        ranked, _, _, _ = self.rank(pq, {}, None, "lexical", light=True, shown=limit)
        if not ranked:
            return []
        top = ranked[0][1] or 1.0
        return [
            ProjectMatch(rec, round(100.0 * s / top, 2), ", ".join(why[:3]) or "search")
            for rec, s, why in ranked[:limit]
        ]

    def rank(
        self,
        pq: ParsedQuery,
        flt: dict[str, list[str]],
        user: str | None,
        mode: str,
        *,
        light: bool = False,
        shown: int | None = None,
    ) -> tuple[Ranked, dict[str, str], bool, list[str]]:
        """Projects best first with why, the typo fixes used, whether vectors took part, and notes.
        ``light`` (navigation): words inside documents only when names found nothing. ``shown``: only
        the first this many rows get their reasons (the rest an empty list)."""
        by_id = self.words.by_id()
        corrections: dict[str, str] = {}
        notes: list[str] = []
        lists: list[tuple[str, float, Sequence[int]]] = []
        codes = set(pq.codes) | set(flt.get("project", []))
        by_code = self.code_index(by_id)
        exact = sorted((i for c in codes for i in by_code.get(c, ())), key=self._position.__getitem__)
        for c in pq.codes:
            if c not in by_code:
                notes.append(f"no project {c} in the index")
        if exact:
            lists.append(("code", 3.0, exact))
        groups = widen(self.fulltext.word_groups(pq, corrections), pq, self.vocab)
        scope = Scope()
        semantic_used = False
        strong = False
        found_by_name = False
        if mode in ("hybrid", "lexical"):
            expr_and = match_expression(groups, pq.phrases, mode="and")
            if expr_and:
                ids = self.project_postings.ranked(groups, pq.phrases, CANDIDATES, every_word=True)
                if ids is None:
                    ids = self.fulltext.projects(expr_and, CANDIDATES)
                lists.append(("lexical", 1.0, ids))
                strong = bool(ids) and len(ids) < len(by_id)
                if len(ids) < 10 and len(groups) + len(pq.phrases) > 1:
                    more = self.project_postings.ranked(groups, pq.phrases, CANDIDATES, every_word=False)
                    if more is None:
                        more = self.fulltext.projects(match_expression(groups, pq.phrases, mode="or") or "", CANDIDATES)
                    held = set(ids)
                    lists.append(("some words", 0.35, [i for i in more if i not in held]))
            tri = self.substrings.terms(pq)
            if tri:
                lists.append(("substring", 0.7, self.substrings.search("search_projects_tri", tri, "", scope, 100)))
            words = " ".join(pq.terms + [w for p in pq.phrases for w in p])
            if words:
                lists.append(("fuzzy", 1.0, self.words.by_name(words)))
            found_by_name = any(ids for name, _, ids in lists if name in ("lexical", "fuzzy", "code"))
            if (groups or pq.phrases) and not (light and found_by_name):
                # Every word in the any-word fallback: which projects hold documents with most of the
                # words is this list's whole point (the budget changed 6% of top-10 project lists).
                found = self.postings.documents(groups, pq.phrases, 300)
                if found is None:  # not in memory (yet), or not answerable alike there
                    found = self.fulltext.documents(groups, pq.phrases, scope, limit=300, every_word=True)
                doc_ids, n_all = found
                strong = strong or n_all > 0
                has_lexical = any(name == "lexical" and ids for name, _, ids in lists)
                lists.append(("documents", 0.6 if has_lexical else 1.0, self.projects_of(doc_ids[:n_all])))
                lists.append(("documents (some words)", 0.2, self.projects_of(doc_ids[n_all:])))
            if self.sites is not None:
                # Projects whose site (learnt from their documents' text) the request names whole.
                said = place_terms([corrections.get(t, t) for t in pq.terms]) | place_terms(pq.terms)
                sited = self.sites.named(said)
                if sited:
                    lists.append(("site", 1.0, sorted(sited, key=lambda i: self._position.get(i, 0))))
            if pq.doc_types or pq.revision is not None or pq.room is not None or pq.change_order is not None:
                lists.append(("facts", 0.4, self.projects_of(self.facts.documents(pq, scope))))
        qv = None
        asked: set[str] | None = None  # the concepts a describing request names (thesaurus, model)
        if mode in ("hybrid", "semantic") and (pq.semantic_text or pq.text) and self.semantic.ready(notes):
            text = pq.semantic_text or pq.text
            if mode == "hybrid" and not strong:
                # A description of a job: its concepts said by their own names (thesaurus.py), "facelift"
                # read as "refurbishment", found in the request as written ("put in" holds a stop word).
                # Not a request whose words all matched names (a partial name such as "exec" stays as
                # typed), nor vector mode, which ranks by the words as written.
                # Words no listed phrase holds: the concepts the model puts them nearest (thesaurus_model.py).
                more = self.related.found(pq.text, self.semantic.embedder)
                asked = concept_set(pq.text) | {c for c, _, _ in more}
                text = plainly(pq.text, text, more)
            qv = self.semantic.query_vector(text)
            if qv is not None:
                phits, dhits = self.semantic.project_hits(qv)
                w = 1.0 if mode == "semantic" else (0.15 if strong else 0.8)
                lists.append(("semantic", w, [i for i, _ in phits]))
                lists.append(("semantic documents", 0.7 * w, self.projects_of([i for i, _ in dhits])))
                if self.meaning is not None:  # what each project is about, from its documents (project_vectors.py)
                    lists.append(("meaning", w, [i for i, _ in self.meaning.hits(qv, self.semantic.embedder.name)]))
                semantic_used = True
        if mode == "semantic" and not semantic_used and (pq.semantic_text or pq.text):
            self.semantic.note_unused(notes)
        # What each project is about, from its documents (project_about.py): a list, and a boost below.
        # Navigation asks it only when names found nothing: a name match must keep offering its choices.
        consult = self.about is not None and not (light and found_by_name)
        # Centred similarities sharpen a description's match; a request whose words all matched names
        # is no description, and sharpened noise would reorder its projects (centred.py).
        sharp = mode == "hybrid" and not strong
        about = self.about.hits(pq, qv, self.semantic.embedder.name, sharp=sharp, concepts=asked) if consult else []
        lists.append(("about", ABOUT_WEIGHT, [i for i, _ in about]))
        fused, sources = rrf(lists)
        allowed = self.allowed(flt, by_id)
        scored, reasons = self.rerank(fused, sources, by_id, allowed, pq, codes, corrections, user)
        ranked = boost(scored, about, strong)
        if not ranked and allowed:
            ranked = [(by_id[i], 0.01, ["filter"]) for i in sorted(allowed, key=lambda i: by_id[i].code)]
        ranked.sort(key=lambda t: (-t[1], t[0].code))
        if scored:
            # Reasons for the rows shown only (all rows without ``shown``).
            ranked[:shown] = [(rec, s, reasons(rec)) for rec, s, _ in ranked[:shown]]
        return ranked, corrections, semantic_used, notes

    def rerank(
        self,
        fused: dict[int, float],
        sources: Mapping[int, list[str]],
        by_id: dict[int, ProjectRow],
        allowed: set[int] | None,
        pq: ParsedQuery,
        codes: set[str],
        corrections: dict[str, str],
        user: str | None,
    ) -> tuple[Ranked, Callable[[ProjectRow], list[str]]]:
        """Fused scores (normalised to the best) times exact codes, name coverage, popularity and
        the user's recent projects (unsorted, the reasons left empty), and what gives a row's reasons:
        a search shows them for its page only, and a common word fuses hundreds of projects."""
        pop = self.popularity.popularity_map()
        mine = self.popularity.recent_for(user)
        ranked: Ranked = []
        top = max(fused.values(), default=1.0) or 1.0
        cover = _Coverage(pq, corrections, self.names.index().by_id if self.names is not None else {}, by_id)
        coverage, n_wanted = cover.of, cover.n_wanted
        newer = self._newer
        for pid, s in fused.items():
            rec = by_id.get(pid)
            if rec is None or (allowed is not None and pid not in allowed):
                continue
            # The multiplications in a fixed order: the same scores (and ties) as ever.
            mult = 3.0 if rec.code in codes else 1.0
            if n_wanted:
                mult *= 1.0 + 0.8 * (coverage(pid, rec)[0] / n_wanted) ** 2
            p = pop.get(rec.code, 0.0)
            if p:
                mult *= 1.0 + 0.1 * p
            m = mine.get(rec.code, 0.0)
            if m:
                mult *= 1.0 + 0.15 * m
            tie = newer.get(rec.code)
            mult *= tie if tie is not None else newer_first(rec)
            ranked.append((rec, round(s / top * mult, 5), []))

        def reasons(rec: ProjectRow) -> list[str]:
            why = list(sources.get(rec.id, []))
            if rec.code in codes:
                why.insert(0, f"code {rec.code}")
            if n_wanted:
                covered, at_site = coverage(rec.id, rec)
                if at_site:
                    why = [w for w in why if w != "site"]  # the list's name: said with the site instead
                    why.append("site: " + ", ".join(sites_of(by_id, rec.id)))
                if covered == n_wanted:
                    why.append("all words in name" + (" or site" if at_site else ""))
            if mine.get(rec.code, 0.0):
                why.append("your recent project")
            return list(dict.fromkeys(why))

        return ranked, reasons

    def code_index(self, by_id: dict[int, ProjectRow]) -> dict[str, list[int]]:
        """Project ids by code, rebuilt with the project list (``by_id`` is a new dict then)."""
        if self._indexed is not by_id:
            by_code: dict[str, list[int]] = {}
            for pid, rec in by_id.items():
                by_code.setdefault(rec.code, []).append(pid)
            self._position = {pid: n for n, pid in enumerate(by_id)}
            self._newer = {rec.code: newer_first(rec) for rec in by_id.values()}
            self._by_code, self._indexed = by_code, by_id
        return self._by_code

    def projects_of(self, doc_ids: Sequence[int]) -> list[int]:
        """Projects of ranked documents, in order of their best document."""
        if not doc_ids:
            return []
        ids = list(doc_ids)[:500]
        owner = self.table.owners(ids) if self.table is not None else None
        if owner is None:  # no table, or it is being rebuilt
            owner = {
                r[0]: r[1]
                for r in self.store.query(f"SELECT id, project_id FROM documents WHERE id IN ({marks(len(ids))})", ids)
            }
        out: list[int] = []
        seen: set[int] = set()
        for i in ids:
            pid = owner.get(i)
            if pid is not None and pid not in seen:
                seen.add(pid)
                out.append(pid)
        return out

    def allowed(self, flt: dict[str, list[str]], by_id: dict[int, ProjectRow]) -> set[int] | None:
        """The projects the filters let through (None: no filter)."""
        if not flt:
            return None
        allowed = set(by_id)
        if flt.get("project"):
            allowed &= {i for i, r in by_id.items() if r.code in flt["project"]}
        if flt.get("client"):
            needles = [v.lower() for v in flt["client"]]
            allowed &= {
                i
                for i, r in by_id.items()
                if any(n in " ".join((r.name, r.client or "", *r.client_names)).lower() for n in needles)
            }
        if flt.get("doc_type"):
            rows = self.store.query(
                f"SELECT DISTINCT project_id FROM documents WHERE doc_type IN ({marks(len(flt['doc_type']))})",
                flt["doc_type"],
            )
            allowed &= {r[0] for r in rows}
        if flt.get("year"):
            years = set(flt["year"])
            rows = self.store.query(
                "SELECT DISTINCT project_id FROM documents WHERE coalesce(substr(doc_date, 1, 4), "
                f"strftime('%Y', mtime, 'unixepoch')) IN ({marks(len(years))})",
                sorted(years),
            )
            allowed &= {r[0] for r in rows}
        return allowed
