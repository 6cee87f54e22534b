"""Document search: retrieval lists (full text, substrings, client hints, facts, vectors) fused
with reciprocal rank fusion, then re-ranked with what the firm knows about its documents
(current revision, archive, as-built, exact codes, recency, popularity, the user's projects)."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from ..repo import DocumentRepo
from ..repo.documents import DocumentFacts
from ..services.projects import ProjectService
from ..store import Store
from . import clock
from .alternatives import widen
from .candidates import CandidateTable
from .copies import copy_key, share_among_copies
from .coverage import COVER_SAMPLE, Coverage
from .current import CurrentRevisions
from .digit_parts import DigitParts
from .doc_postings import DocPostings
from .facets import document_facets, statuses
from .facts import FactRetriever
from .fuzzy import ProjectWords
from .highlight import content_snippet, highlight
from .intent import Intent, related_words
from .learned import LearnedRanker
from .lexical import FullText
from .models import FacetValue, SearchDocumentsResult
from .popularity import PopularitySource
from .query import ParsedQuery
from .ranking import RankContext, boost_bound, document_boost, rrf
from .scope import CANDIDATES, Scope
from .semantic import Semantic
from .text import token_spans, tokens
from .trigram import Substrings
from .understood import did_you_mean, interpretation
from .vocab import Vocabulary

Ranked = list[tuple[DocumentFacts, float, list[str]]]
FIRST_MORE, MORE = 6, 8
"""Candidates :meth:`DocumentSearch.best` scores past the page first, then at each step (at least):
the page is usually settled ~10-15 past its end, and each one scored needs its facts built."""


def best_first(ids: Sequence[int], fused: Mapping[int, float]) -> list[int]:
    """``ids`` by fused score, best first (ties: lowest id), as ``sorted(sorted(ids), key=fused.get,
    reverse=True)`` orders them, with one numpy sort."""
    import numpy as np

    scores = np.fromiter(map(fused.__getitem__, ids), np.float64, len(ids))
    return best_first_of(np.fromiter(ids, np.int64, len(ids)), scores)


def best_first_of(keys: Any, scores: Any) -> list[int]:
    """Document ids ``keys`` (numpy) by their ``scores``, best first (ties: lowest id), as :func:`best_first`."""
    import numpy as np

    return keys[np.lexsort((keys, -scores))].tolist()


def _best_first(t: tuple[DocumentFacts, float, list[str]]) -> tuple[float, float, int]:
    return (-t[1], -t[0].mtime, t[0].id)


def elapsed_ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


class DocumentSearch:
    """Runs one document search over already checked arguments."""

    learned: LearnedRanker | None = None  # set by the search service
    postings: DocPostings | None = None  # the full-text index in memory (project search's; set by the service)

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
        current: CurrentRevisions,
        popularity: PopularitySource,
        table: CandidateTable | None = None,
    ) -> None:
        self.store = store
        self.projects = projects
        self.vocab = vocab
        self.rows = DocumentRepo(store)
        self.fulltext = fulltext
        self.substrings = substrings
        self.words = words
        self.facts = facts
        self.semantic = semantic
        self.current = current
        self.popularity = popularity
        self.table = table if table is not None else CandidateTable(store, current.versions)
        self.table.warmers.append(current.warm)
        self.digits = DigitParts(self.table)  # parts of codes in names, from memory

    def search(
        self,
        pq: ParsedQuery,
        scope: Scope,
        notes: list[str],
        *,
        user: str | None,
        mode: str,
        limit: int,
        offset: int,
        include_facets: bool,
        t0: float,
    ) -> SearchDocumentsResult:
        corrections: dict[str, str] = {}
        lists: list[tuple[str, float, Sequence[int]]] = []
        groups = widen(self.fulltext.word_groups(pq, corrections), pq, self.vocab)
        semantic_used = False
        strong = False
        sims: dict[int, float] = {}
        hinted: set[int] = set()
        hint_words: list[str] = []
        if mode in ("hybrid", "lexical"):
            lexical, n_all = self.word_matches(groups, pq.phrases, scope)
            lists.append(("lexical", 1.0, lexical[:n_all]))
            lists.append(("some words", 0.35, lexical[n_all:]))
            strong = n_all > 0  # every word matched somewhere: vectors only refine
            join = ""
            if scope.where:
                join = "JOIN documents d ON d.id = f.rowid JOIN projects p ON p.id = d.project_id"
            terms = self.substrings.terms(pq)
            lists.append(("substring", 0.5, self.substring_matches(terms, join, scope)))
            if scope.project_ids is None:
                hinted, hint_words = self.words.hints(pq, corrections)
            if hinted:
                rest = [g for g, t in zip(groups, pq.terms, strict=True) if t not in hint_words]
                by_id = self.words.by_id()
                sub = scope.within(hinted, {by_id[i].code for i in hinted if i in by_id})
                ids = self.fulltext.documents(rest, pq.phrases, sub)[0] if (rest or pq.phrases) else []
                if not ids:
                    ids = self.project_documents(pq, scope, sub, hinted)
                lists.append(("project", 0.7, ids))
        specific = pq.revision is not None or pq.room is not None or pq.change_order is not None
        free_words = bool(pq.terms or pq.phrases)
        # A family alone ("drawings") across the whole firm is no evidence when there are words to
        # match: then it only boosts (re-ranking); within a project, or with a revision/room/CO, it is.
        lexical_found = any(ids for name, _, ids in lists if name in ("lexical", "some words", "project"))
        want_facts = (
            specific
            or not free_words
            or scope.project_ids is not None
            or mode == "semantic"
            or (pq.doc_types and not lexical_found)
        )
        structured = self.fact_documents(pq, scope, force=not free_words) if want_facts else []
        if structured:
            lists.append(("facts", 0.8 if pq.terms else 1.0, structured))
        if mode in ("hybrid", "semantic") and (pq.semantic_text or pq.text) and self.semantic.ready(notes):
            qv = self.semantic.query_vector(pq.semantic_text or pq.text)
            if qv is not None:
                self.semantic.refresh_documents()
                found = self.semantic.document_hits(qv, scope)
                weight = 1.0 if mode == "semantic" else (0.2 if strong else 0.9)
                lists.append(("semantic", weight, [i for i, _ in found]))
                sims = dict(found)
                semantic_used = True
        if mode == "semantic" and not semantic_used:
            lists = [entry for entry in lists if entry[0] == "facts"]
            if pq.semantic_text or pq.text:  # (a request with no words had nothing to embed)
                self.semantic.note_unused(notes)
        fused, sources = rrf(lists)
        if mode != "semantic":  # identical copies rank together; the current one's boost decides (copies.py)
            share_among_copies(fused, lambda ids: self.copy_keys(list(ids), scope))
        found = None
        if not scope.statuses:  # a status filter needs every candidate's rank
            found = self.best(fused, sources, scope, pq, user, sims, offset + limit, facets=include_facets)
        facets: dict[str, list[FacetValue]] = {}
        if found is not None:
            ranked, total, every = found
            if include_facets:  # counted over every candidate, ranked or not
                facets = document_facets(every.values())
        else:
            candidates = self.candidate_facts(list(fused), scope)
            self.current.mark(candidates)
            ranked = self.rerank(candidates, fused, sources, pq, user, sims)
            if self.learned is not None:  # a model trained on clicks may re-order them (learned.py)
                ranked = self.learned.rerank(ranked, fused, sources, pq, user, sims)
            if scope.statuses:
                ranked = [(d, s, w) for d, s, w in ranked if scope.statuses & set(statuses(d))]
            total = len(ranked)
            if include_facets:
                facets = document_facets(d for d, _, _ in ranked)
        hits = self.hits(ranked[offset : offset + limit], pq, corrections)
        return SearchDocumentsResult(
            query=pq.text,
            documents=hits,  # (their fields: validated here, all at once)
            total_count=total,
            offset=offset,
            limit=limit,
            search_time_ms=elapsed_ms(t0),
            facets=facets,
            suggestions=did_you_mean(pq, corrections, total, notes, self.vocab, self.projects),
            understood=interpretation(pq, corrections),
            semantic=semantic_used,
        )

    def word_matches(self, groups: list[list[str]], phrases: list[list[str]], scope: Scope) -> tuple[list[int], int]:
        """``FullText.documents``: from the in-memory postings (the same ids in the same order) when
        the scope is the whole firm and they can answer, else from FTS5."""
        if self.postings is not None and not scope.where and not scope.fts_codes:
            found = self.postings.documents(groups, phrases, CANDIDATES, every_word=False)
            if found is not None:
                return found
        return self.fulltext.documents(groups, phrases, scope)

    def substring_matches(self, terms: list[str], join: str, scope: Scope) -> list[int]:
        """``Substrings.search`` over the names: from memory (the same ids in the same order) when
        the terms are digits and the scope is the whole firm, else from the trigram FTS5 table."""
        if not scope.where:
            found = self.digits.search(terms, CANDIDATES)
            if found is not None:
                return found
        return self.substrings.search("search_docs_tri", terms, join, scope, CANDIDATES)

    def candidate_facts(self, ids: list[int], scope: Scope) -> dict[int, DocumentFacts]:
        """The facts of ``ids`` within ``scope``: from the in-memory table, else (while it is rebuilt)
        from the store."""
        found = self.table.facts(ids, scope)
        return found if found is not None else self.rows.facts_by_ids(ids, scope.sql(), scope.params)

    def copy_keys(self, ids: list[int], scope: Scope) -> Mapping[int, Hashable]:
        """The copy keys of those of ``ids`` within ``scope`` (as :meth:`candidate_facts` finds them)
        that have a copy (``copies.share_among_copies``): the table's copy groups, worked out once
        per build, else the project, name and size read from the store."""
        found = self.table.copy_groups(ids, scope)
        if found is not None:
            return found
        named: dict[Hashable, list[int]] = {}
        for i, f in self.rows.facts_by_ids(ids, scope.sql(), scope.params).items():
            named.setdefault(copy_key(f.project_id, f.name), []).append(i)
        shared = [i for same in named.values() if len(same) > 1 for i in same]
        sizes = self.rows.sizes(shared) if shared else {}  # (only names that repeat can be copies)
        return {i: (key, sizes[i]) for key, same in named.items() if len(same) > 1 for i in same if i in sizes}

    def fact_documents(self, pq: ParsedQuery, scope: Scope, *, force: bool) -> list[int]:
        """``FactRetriever.documents``: a family named across the whole firm without numbers (the
        newest "sales po report", "as built design") from the candidate table's lists, else SQL."""
        if self.facts.firm_family(pq, scope):
            ids = self.table.family_newest(pq.doc_types, self.facts.candidates, as_built=pq.as_built)
            if ids is not None:
                return ids
        elif scope.project_ids is not None and scope.only_projects():  # a project's (~22 % of the bench's queries)
            if self.facts.asks_facts(pq):
                found = self.table.facts_newest(
                    scope.project_ids,
                    self.facts.candidates,
                    numbers=(pq.revision, pq.room, pq.change_order),
                    as_built=pq.as_built,
                    doc_types=pq.doc_types,
                    related=related_words(pq.doc_types),
                )
            elif force:  # (no fact asked: the project's newest)
                found = self.table.newest_of(sorted(scope.project_ids), self.facts.candidates)
            else:
                return []
            if found is not None:
                return found
        return self.facts.documents(pq, scope, force=force)

    def project_documents(self, pq: ParsedQuery, scope: Scope, sub: Scope, hinted: set[int]) -> list[int]:
        """The documents of the projects the words named (``sub``: ``scope`` within them), as the
        fact retriever lists them; from the candidate table when only the projects restrict them."""
        plain = not scope.where and not (pq.revision is not None or pq.room is not None or pq.change_order is not None)
        if plain and (pq.doc_types or not pq.as_built):  # (as-built always names its family)
            ids = self.table.newest_of(sorted(hinted), self.facts.candidates, pq.doc_types, as_built=pq.as_built)
            if ids is not None:
                return ids
        return self.facts.documents(pq, sub, force=True)

    def rerank(
        self,
        docs: dict[int, DocumentFacts],
        fused: dict[int, float],
        sources: Mapping[int, list[str]],
        pq: ParsedQuery,
        user: str | None,
        sims: dict[int, float],
    ) -> Ranked:
        """Fused scores (normalised to the best) times :func:`~.ranking.document_boost` of each
        candidate; best first (ties: newest, then lowest id). Each with the reasons why."""
        if not docs:
            return []
        top = max(fused.get(i, 0.0) for i in docs) or 1.0
        intent = Intent(pq, docs.values(), self.words.by_id())
        coverage = self.coverage(pq, sources, lambda: best_first(list(docs), fused), lambda ids: docs)
        out = self.scored(docs.values(), fused, sources, sims, top, self.context(pq, user), intent, coverage)
        out.sort(key=_best_first)
        return out

    def best(
        self,
        fused: dict[int, float],
        sources: Mapping[int, list[str]],
        scope: Scope,
        pq: ParsedQuery,
        user: str | None,
        sims: dict[int, float],
        page_end: int,
        *,
        facets: bool = False,
    ) -> tuple[Ranked, int, dict[int, DocumentFacts]] | None:
        """The candidates that can reach the first ``page_end`` places, ranked as :meth:`rerank`
        would, and how many candidates there are; None when every candidate must be read.

        Candidates are scored best fused score first, in growing slices (:data:`FIRST_MORE`,
        :data:`MORE`), until the best one left, times the largest multiplier any candidate can get
        (:func:`~.ranking.boost_bound` times :meth:`~.intent.Intent.bound`), falls below the
        ``page_end``-th score so far: those left cannot enter the page, so the page is exactly the
        one scoring every candidate gives (a page of 10 is settled after ~20-30 of ~200-400 over the
        bench queries at 116k); a slice ends early at the first candidate that test stops at. When
        the request's intent weighs the candidates against each other
        (:attr:`~.intent.Intent.reads_candidates`), every candidate's facts are read for it, and
        each candidate's bound is that of its type in its project (:meth:`_reach_order`); a
        learned ranker reading every candidate, or a table being rebuilt, takes the whole path.
        Also returns every candidate's facts with ``is_current`` set when ``facets`` are asked for
        (else only those read)."""
        if self.learned is not None and self.learned.reorders(user):
            return None
        import numpy as np

        keys = np.fromiter(fused, np.int64, len(fused))
        mask = self.table.existing_mask(keys, scope)  # (one array of the ids serves the test and the sort)
        if mask is None:
            return None
        valid = keys[mask]
        if not len(valid):
            return [], 0, {}
        ctx = self.context(pq, user)
        bound = boost_bound(ctx)
        intent: Intent | None = Intent(pq, (), None)
        every: dict[int, DocumentFacts] | None = None
        if not intent.active:
            intent = None
        if facets or (intent is not None and intent.reads_candidates):
            every = self.table.read(valid.tolist())  # in fused order, as rerank builds it
            if facets:
                self.table.set_current(every, self.current.mark)
            if intent is not None and intent.reads_candidates:
                intent = Intent(pq, every.values(), self.words.by_id())
        if intent is not None:
            bound *= intent.bound()
        bound *= 1 + 1e-9  # the products below are taken in another order
        order = best_first_of(valid, np.fromiter(fused.values(), np.float64, len(fused))[mask])
        top = fused[order[0]] or 1.0
        # Its factor (<= 1) is part of each score below, so the bound holds.
        coverage = self.coverage(pq, sources, lambda: order, self.table.read if every is None else lambda ids: every)
        # Bounds differ between candidates only by an asked kind or place words.
        if every is not None and (pq.doc_types or (intent is not None and intent.where)):
            scan, reach = self._reach_order(order, fused, top, ctx, intent, every)
        else:
            scan, reach = order, lambda i: round(fused[i] / top * bound, 5)
        out: Ranked = []
        start, step = 0, page_end + FIRST_MORE
        while start < len(scan):
            end = min(start + step, len(scan))
            if len(out) >= page_end:
                scores = [s for _, s, _ in out]
                scores.sort(reverse=True)
                kth = scores[page_end - 1]
                # Bounds only fall along ``scan`` and ``kth`` only rises: the first candidate whose
                # bound cannot reach it ends the reading (those after it cannot either).
                cut = start
                while cut < end and reach(scan[cut]) >= kth:
                    cut += 1
                if cut == start:
                    break
                end = cut
            chunk = scan[start:end]
            start, step = end, max(MORE, start // 2)
            if every is None:
                docs = self.table.read(chunk)
                self.table.set_current(docs, self.current.mark)
            else:
                docs = {i: every[i] for i in chunk if i in every}
                if not facets:
                    self.table.set_current(docs, self.current.mark)
            out += self.scored(docs.values(), fused, sources, sims, top, ctx, intent, coverage)
        out.sort(key=_best_first)
        return out, len(valid), every if every is not None else {d.id: d for d, _, _ in out}

    @staticmethod
    def _reach_order(
        order: list[int],
        fused: Mapping[int, float],
        top: float,
        ctx: RankContext,
        intent: Intent | None,
        every: Mapping[int, DocumentFacts],
    ) -> tuple[list[int], Callable[[int], float]]:
        """The order :meth:`best` scores candidates in when every one's facts are read, and the
        bound of each one's score (rounded as a score is): its fused score times the largest
        multiplier a candidate of its type (:func:`~.ranking.boost_bound`,
        :meth:`~.intent.Intent.bound_besides_place`) in its project
        (:meth:`~.intent.Intent.place_bound`) can get; highest bound first (ties: fused order).
        The order scored in does not change the page: every candidate that can reach it is scored."""
        kinds: dict[str, float] = {}
        places: dict[int, float] = {}
        reach: dict[int, float] = {}
        for i in order:
            d = every.get(i)
            if d is None:  # (gone since: never scored)
                factor = 0.0
            else:
                kind = kinds.get(d.doc_type)
                if kind is None:
                    kind = boost_bound(ctx, d.doc_type) * (1 + 1e-9)  # the products are taken in another order
                    if intent is not None:
                        kind *= intent.bound_besides_place(d.doc_type)
                    kinds[d.doc_type] = kind
                place = places.get(d.project_id)
                if place is None:
                    place = places[d.project_id] = intent.place_bound(d.project_id) if intent is not None else 1.0
                factor = kind * place
            reach[i] = round(fused[i] / top * factor, 5)
        return sorted(order, key=reach.__getitem__, reverse=True), reach.__getitem__

    def coverage(
        self,
        pq: ParsedQuery,
        sources: Mapping[int, list[str]],
        order: Callable[[], Sequence[int]],
        read: Callable[[Sequence[int]], Mapping[int, DocumentFacts]],
    ) -> Coverage | None:
        """The request's name coverage (None when it names a kind), its word weights learnt from the
        best :data:`~.coverage.COVER_SAMPLE` candidates of ``order()`` (best fused first; ``read``
        gives their facts): the same set whichever page is asked for."""
        coverage = Coverage.of(pq, self.words.by_id(), sources)
        if coverage is not None:
            head = order()[:COVER_SAMPLE]
            found = read(head)
            coverage.learn(found[i] for i in head if i in found)
        return coverage

    def context(self, pq: ParsedQuery, user: str | None) -> RankContext:
        return RankContext.of(pq, clock.now(), self.popularity.popularity_map(), self.popularity.recent_for(user))

    @staticmethod
    def scored(
        docs: Iterable[DocumentFacts],
        fused: dict[int, float],
        sources: Mapping[int, list[str]],
        sims: dict[int, float],
        top: float,
        ctx: RankContext,
        intent: Intent | None,
        coverage: Coverage | None = None,
    ) -> Ranked:
        """Each candidate with its score and why (unsorted)."""
        out: Ranked = []
        for d in docs:
            mult, reasons = document_boost(d, ctx)
            lists = sources.get(d.id, ())  # (worked out per call: once per candidate)
            if intent is not None:
                wanted, because = intent.effect(d)
                mult *= wanted
                why = [*lists, *because, *reasons]
            else:
                why = [*lists, *reasons]
            if coverage is not None:
                covers, said = coverage.effect(d, lists)
                mult *= covers
                if said:
                    why.append(said)
            if d.id in sims:
                why = [w if w != "semantic" else f"semantic {sims[d.id]:.2f}" for w in why]
            out.append((d, round(fused.get(d.id, 0.0) / top * mult, 5), why))
        return out

    def hits(self, page: Ranked, pq: ParsedQuery, corrections: dict[str, str]) -> list[dict[str, Any]]:
        """The fields of the page's result models (whole rows are read for these only; the answer
        validates them all at once, ~1.5 µs a hit less than a model each): a snippet
        from the content when the name does not hold the words, else the name with them in bold."""
        words = set(pq.all_words) | set(corrections.values()) | set(pq.doc_type_words)
        snap = self.vocab.snapshot()
        prefixes = [t for t in pq.terms if t not in snap.df and len(t) >= 3]
        stems = tuple(prefixes)
        # Whole rows as stored now (not completed from the facts ranked: a row moved, edited or
        # re-parsed since must not show old facts beside new columns): the table's with the columns
        # it lacks while it provably matches the store at that read, else read whole.
        facts_of_page = [d for d, _, _ in page]
        found = self.table.rows_with_content(facts_of_page)
        if found is None:
            found = self.rows.with_content([d.id for d in facts_of_page])
        rows = {r.id: (r, text) for r, text in found}
        want_text = bool(pq.terms or pq.phrases)
        hits: list[dict[str, Any]] = []
        for facts, score, why in page:
            if facts.id not in rows:  # deleted since it was ranked
                continue
            d, content = rows[facts.id]
            d.is_current = facts.is_current
            spans = token_spans(d.name)
            name_tokens = {t for _, _, t in spans}
            matched_name = not words.isdisjoint(name_tokens)
            snippet = ""
            if content and want_text:
                missing = words - name_tokens - set(tokens(d.folders)) - set(tokens(d.project_name))
                if missing or not matched_name:
                    snippet = content_snippet(content, words)
                    if snippet:
                        why = [*why, "content"] if "content" not in why else why
            if not snippet:  # the name, with its words in bold when some match
                bold = matched_name or (stems and any(t.startswith(stems) for t in name_tokens))
                snippet = highlight(d.name, words, prefixes, spans) if bold else d.name
            if matched_name and "name" not in why:
                why = ["name", *why]
            fields = d.info_fields()
            fields["project_name"] = d.project_name
            fields["ext"] = d.ext
            fields["score"] = score
            fields["snippet"] = snippet
            fields["why"] = list(dict.fromkeys(why))
            hits.append(fields)
        return hits
