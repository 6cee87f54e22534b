"""Hybrid search over projects and documents: lexical (BM25), substring (trigram), fuzzy
(rapidfuzz) and semantic (embeddings) candidates, fused with reciprocal rank fusion and
re-ranked with what the firm knows about its documents.

:class:`SearchService` is the facade the front doors call: it checks the arguments and hands
over to the pieces, one module each (:mod:`.arguments`, :mod:`.scope`, :mod:`.lexical`,
:mod:`.trigram`, :mod:`.fuzzy`, :mod:`.semantic`, :mod:`.facts`, :mod:`.current`,
:mod:`.documents`, :mod:`.projects`, :mod:`.suggest`, :mod:`.upkeep`).

Every public method validates its input and raises :class:`InvalidInput`/:class:`NotFound`
with a clear message; nothing from SQLite reaches the caller as an exception.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from ..config import ExtractLimits
from ..domain import DOC_TYPES
from ..errors import InvalidInput
from ..models import SearchIndexStatus
from ..repo import DocumentRepo
from ..services.projects import ProjectMatch, ProjectService
from ..store import Store
from ..validation import bounded_int
from . import arguments as args
from .candidates import CandidateTable
from .current import CurrentRevisions
from .documents import DocumentSearch, elapsed_ms
from .excerpt import Excerpts
from .facts import FactRetriever
from .fuzzy import ProjectWords
from .learned import LearnedRanker
from .lexical import FullText
from .models import SearchDocumentsResult, SearchProjectsResult, SuggestResult
from .popularity import NoPopularity, PopularitySource
from .project_about import ProjectAbout
from .project_names import ProjectNames
from .project_sites import ProjectSites
from .project_vectors import ProjectMeaning
from .projects import ProjectSearch
from .query import clean_query, parse_query
from .scope import document_scope
from .segments import SegmentMerger
from .semantic import NoEncoder, QueryEncoder, Semantic
from .suggest import Suggester
from .trigram import Substrings
from .typeahead import Typeahead
from .upkeep import Upkeep
from .versions import Versions
from .vocab import Vocabulary

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "lexical", "semantic"]


class SearchService:
    """Search over the store. Thread-safe; heavy parts (the embedding model) load on first use."""

    def __init__(
        self,
        store: Store,
        projects: ProjectService,
        *,
        embedder: QueryEncoder | None = None,
        popularity: PopularitySource | None = None,
        extract_limits: ExtractLimits | None = None,
        warm: bool = True,
    ) -> None:
        """``embedder``: the embedding model (``indexers.embed.Embedder``, which loads lazily);
        without one, semantic retrieval is off. ``popularity``: usage figures (analytics'
        ``Popularity``); without them nothing is boosted for use and no queries are suggested.
        ``extract_limits``: the configured extraction caps (None: the extractor's defaults).
        ``warm``: start the in-memory tables' builds now (else the first search starts them)."""
        self.store = store
        self.projects = projects
        embedder = embedder if embedder is not None else NoEncoder()
        self.embedder = embedder
        self.versions = Versions(store)
        self.vocab = Vocabulary(store, versions=self.versions)
        self.popularity: PopularitySource = popularity or NoPopularity()
        self.names = ProjectNames(projects)  # the projects' folded words, one build shared by all readers
        self.suggester = Suggester(store, projects, self.vocab, self.popularity, names=self.names)
        self.fulltext = FullText(store, self.vocab)
        self.substrings = Substrings(store, self.vocab)
        self.words = ProjectWords(projects, self.vocab)
        self.sites = self.words.sites = ProjectSites(store, self.versions)  # where each project is, from its text
        self.facts = FactRetriever(store)
        self.semantic = Semantic(store, embedder, self.versions)
        self.doc_vectors = self.semantic.doc_vectors
        self.project_vectors = self.semantic.project_vectors
        self.current = CurrentRevisions(DocumentRepo(store), self.versions)
        pieces: dict[str, Any] = {
            "fulltext": self.fulltext,
            "substrings": self.substrings,
            "words": self.words,
            "facts": self.facts,
            "semantic": self.semantic,
            "popularity": self.popularity,
        }
        self.candidates = CandidateTable(store, self.versions)
        self.document_search = DocumentSearch(
            store, projects, self.vocab, current=self.current, table=self.candidates, **pieces
        )
        if warm:
            self.candidates.start()  # built on a thread: a large firm's searches use SQL meanwhile
        self.learned = self.document_search.learned = LearnedRanker(self.popularity)  # its model: App wires one
        self.project_search = ProjectSearch(store, projects, self.vocab, **pieces)
        self.project_search.meaning = ProjectMeaning(store, self.doc_vectors, self.versions)
        self.project_search.table = self.candidates
        self.project_search.about = ProjectAbout(store, embedder, self.versions)
        self.project_search.names = self.names
        self.project_search.sites = self.sites
        self.document_search.postings = self.project_search.postings  # one copy of the postings serves both
        if warm:
            self.project_search.start()  # summaries and postings, in the background
        self.upkeep = Upkeep(store, embedder, extract_limits)
        self.segments = SegmentMerger(store, self.versions)
        self.typeahead = Typeahead(store, projects, self.vocab, self.popularity, names=self.names)  # per keystroke
        self.excerpts = Excerpts(store)  # a document's text for previews

    # ------------------------------------------------------------------ searches
    def search_documents(
        self,
        query: object = "",
        project_number: object = None,
        doc_type: object = None,
        filters: object = None,
        limit: object = 20,
        offset: object = 0,
        current_only: object = False,
        user_id: object = None,
        *,
        mode: str = "hybrid",
        include_facets: bool = True,
    ) -> SearchDocumentsResult:
        """Find documents anywhere (or in one project) by words, codes, families, revisions,
        rooms, change orders, content and meaning."""
        t0 = time.perf_counter()
        limit_i, offset_i = args.limit_arg(limit), args.offset_arg(offset)
        mode = args.mode_arg(mode)
        user = args.user_arg(user_id)
        current = args.flag_arg(current_only, "current_only")
        code = args.project_arg(project_number)
        dtype = args.doc_type_arg(doc_type)
        flt = args.filters_arg(filters, args.DOC_FILTER_KEYS)
        pq = parse_query(query)
        notes: list[str] = []
        with self.versions.pinned():  # (the scope's project lookups read the pinned generation too)
            scope = document_scope(self.projects, pq, flt, code, dtype, current, notes)
            if pq.empty and not scope.restricted and not scope.statuses:
                raise InvalidInput("query is empty: give words, a project number, a document type or filters")
            return self.document_search.search(
                pq,
                scope,
                notes,
                user=user,
                mode=mode,
                limit=limit_i,
                offset=offset_i,
                include_facets=include_facets,
                t0=t0,
            )

    def search_projects(
        self,
        query: object,
        limit: object = 20,
        offset: object = 0,
        filters: object = None,
        user_id: object = None,
        *,
        mode: str = "hybrid",
        include_facets: bool = True,
    ) -> SearchProjectsResult:
        """Find project folders by code (also partial or glued), client abbreviation or full name,
        words of the folder name, words inside their documents, and meaning."""
        t0 = time.perf_counter()
        limit_i, offset_i = args.limit_arg(limit), args.offset_arg(offset)
        mode = args.mode_arg(mode)
        user = args.user_arg(user_id)
        flt = args.filters_arg(filters, args.PROJECT_FILTER_KEYS)
        pq = parse_query(query)
        flt = args.project_filters(flt, pq)
        if pq.empty and not flt:
            raise InvalidInput("query is empty: give a project number, client or words")
        with self.versions.pinned():
            return self.project_search.search(
                pq, flt, user=user, mode=mode, limit=limit_i, offset=offset_i, include_facets=include_facets, t0=t0
            )

    def project_matches(self, text: str, limit: int = 11) -> list[ProjectMatch]:
        """For ``navigate_project``: ranked projects with scores on a 0-100 scale (best = 100)."""
        try:
            pq = parse_query(text)
        except InvalidInput:
            return []
        if pq.empty:
            return []
        with self.versions.pinned():
            return self.project_search.matches(pq, limit)

    def suggest(self, prefix: object, limit: object = 10) -> SuggestResult:
        """Autocomplete for a partly typed query."""
        t0 = time.perf_counter()
        text = clean_query(prefix, allow_empty=True)
        n = bounded_int(limit, "limit", 1, 50)
        if len(text) > 200:
            raise InvalidInput("prefix is too long (at most 200 characters)")
        if not text:
            raise InvalidInput("prefix is empty: type the start of a code, project, client or word")
        return SuggestResult(prefix=text, suggestions=self.suggester.suggest(text, n), search_time_ms=elapsed_ms(t0))

    def clear_caches(self, *, query_vectors: bool = True, current: bool = True) -> None:
        """Forget cached query embeddings and/or current revisions (benchmarks, tests)."""
        if query_vectors:
            self.semantic.clear()
        if current:
            self.current.clear()

    def settle(self, timeout: float = 600.0) -> bool:
        """Wait until what is built in the background after start-up (the candidate table and its digit
        parts, the postings, the project summaries and sites, the thesaurus phrases' vectors when the
        model is loaded) serves the current store and none of those builds runs: benchmarks time the
        steady state after these one-off builds. Whether all did within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        left = lambda: max(0.0, deadline - time.monotonic())  # noqa: E731
        ok = self.candidates.ready(left())
        ok = self.project_search.wait_ready(left()) and ok
        ok = self.document_search.digits.wait_ready(left()) and ok
        if left() > 0 and getattr(self.embedder, "loaded", False) and not getattr(self.embedder, "disabled", False):
            try:
                self.project_search.related.phrases(self.embedder)  # made by the start-up's thread, or here
            except RuntimeError as exc:  # the model closed meanwhile (shutting down)
                log.debug("thesaurus phrases not settled: %s", exc)
                ok = False
        return ok

    # ------------------------------------------------------------------ index upkeep
    def index_status(self) -> SearchIndexStatus:
        return self.upkeep.status()

    def index_content(
        self,
        *,
        extract: bool = True,
        embed: bool = True,
        workers: int = 1,
        max_docs: int | None = None,
        require_content: bool = True,
        cancel: threading.Event | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Run extraction then embedding over whatever is pending (synchronously)."""
        return self.upkeep.index_content(
            extract=extract,
            embed=embed,
            workers=workers,
            max_docs=max_docs,
            require_content=require_content,
            cancel=cancel,
            progress=progress,
        )

    def start_background(self, *, interval: float = 30.0) -> None:
        """Start the background worker (extraction, then embeddings) if not running."""
        self.upkeep.start_background(self, interval=interval)

    def notify(self) -> None:
        """Something was re-indexed: wake the background worker (if running)."""
        self.upkeep.notify()

    def request_stop(self) -> None:
        """Ask the background worker to stop without waiting (:meth:`close` then waits for less)."""
        self.upkeep.request_stop()

    def close(self) -> None:
        """Stop the background worker and every in-memory copy's build (none may run on a closed store)."""
        self.upkeep.close()
        self.typeahead.close()
        self.project_search.close()
        self.sites.close()
        self.document_search.digits.close()
        self.candidates.close()
        for matrix in (self.doc_vectors, self.semantic.content_vectors, self.project_vectors):
            matrix.close()


__all__ = ["DOC_TYPES", "SearchService"]
