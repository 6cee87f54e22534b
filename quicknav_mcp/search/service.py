"""Hybrid search over projects and documents: lexical (BM25), substring (trigram), fuzzy
(rapidfuzz) and semantic (embeddings) candidates, fused with reciprocal rank fusion and
re-ranked with what the firm knows about its documents (current revision, archive, as-built,
exact codes, recency, popularity and the user's own recent projects).

Every public method validates its input and raises :class:`InvalidInput`/:class:`NotFound`
with a clear message; nothing from SQLite reaches the caller as an exception.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..domain import DOC_TYPES, current_by_series
from ..errors import InvalidInput, NotFound
from ..models import SearchIndexStatus
from ..repo import DocumentRepo, DocumentRow, ProjectRow
from ..repo.sql import like_pattern, marks
from ..services.projects import ProjectMatch, ProjectService
from ..store import DatabaseError, Store
from ..validation import bounded_int, clean_text, project_code
from . import vectors
from .highlight import content_snippet, highlight
from .models import (
    DocumentHit,
    FacetValue,
    ProjectHit,
    QueryInterpretation,
    SearchDocumentsResult,
    SearchProjectsResult,
    SuggestResult,
)
from .query import (
    FILTER_KEYS,
    ParsedQuery,
    clean_query,
    match_expression,
    normalise_filter,
    parse_date_value,
    parse_query,
)
from .ranking import Signals, rrf
from .suggest import Suggester
from .text import STOPWORDS, fts_quote, tokens
from .versions import Versions
from .vocab import Vocabulary

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "lexical", "semantic"]
MODES = ("hybrid", "lexical", "semantic")
MAX_LIMIT = 100
MAX_OFFSET = 10_000
CANDIDATES = 200  # per retrieval list
VECTOR_K = 100
# A firm-wide "any of the words" query ranks every document holding any of them with BM25 (~0.6 µs
# each): 60,000 rows for "office replacement level 3" at 116k documents. It only backs up an
# all-words query that found little, so it keeps the rarest words whose document frequencies add
# up to at most this many postings, and is skipped when even the rarest word is more common.
OR_POSTINGS_BUDGET = 8_000
# Project-scoped full-text queries restrict inside FTS5 on the `code` column (migration 0004) when
# the scope has at most this many projects (an OR of 100 codes costs ~3-5 ms; more is cheaper as a join).
MAX_FTS_CODES = 120
CURRENT_CACHE_MAX = 400_000  # (project, series) -> current document id entries kept
QUERY_VECTOR_CACHE = 512  # query text -> embedding (pagination and retyped queries embed once)
MIN_SIM_DOCS = 0.30
MIN_SIM_PROJECTS = 0.30
DOC_WEIGHTS = "10.0, 3.0, 4.0, 2.0, 1.0"  # name, folders, project, family, content
DOC_WEIGHTS_CODE = DOC_WEIGHTS + ", 0.0"  # ... and code (0004): a filter only, never a score
PROJECT_WEIGHTS = "10.0, 4.0, 6.0, 3.0"  # code, name, client, description
DOC_FILTER_KEYS = ("doc_type", "project", "ext", "phase", "status", "year", "client", "after", "before")
PROJECT_FILTER_KEYS = ("project", "client", "doc_type", "year")


def _statuses(d: DocumentRow) -> list[str]:
    """The status facet values of a candidate (``is_current`` set)."""
    out = ["current" if d.is_current else ("archive" if d.is_archive else "superseded")]
    if d.is_archive and "archive" not in out:
        out.append("archive")
    if d.is_as_built:
        out.append("as_built")
    if any(t in ("DRAFT", "ENG DRAFT") for t in d.status_tags):
        out.append("draft")
    return out


@dataclass
class _Scope:
    """SQL conditions over ``d`` (documents) and ``p`` (projects), plus post-filters."""

    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    project_ids: set[int] | None = None
    statuses: set[str] = field(default_factory=set)
    restricted: bool = False
    uses_projects: bool = False  # a condition reads ``p`` (projects): queries must join it
    fts_codes: set[str] | None = None  # project codes full-text queries may restrict to inside FTS5

    def sql(self) -> str:
        return (" AND " + " AND ".join(self.where)) if self.where else ""

    def add(self, cond: str, *params: Any) -> None:
        self.where.append(cond)
        self.params.extend(params)
        self.restricted = True


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


class SearchService:
    """Search over the store. Thread-safe; heavy parts (the embedding model) load on first use."""

    def __init__(self, store: Store, projects: ProjectService, *, embedder: Any = None) -> None:
        self.store = store
        self.projects = projects
        self.rows = DocumentRepo(store)
        if embedder is None:
            from ..indexers.embed import Embedder  # light module: torch is imported only on load()

            embedder = Embedder()
        self.embedder = embedder
        self.versions = Versions(store)
        self.vocab = Vocabulary(store, versions=self.versions)
        self.signals = Signals(store)
        self.suggester = Suggester(store, projects, self.vocab)
        self.doc_vectors = vectors.MatrixIndex(store, "vec_documents", self.versions)
        self.project_vectors = vectors.MatrixIndex(store, "vec_projects", self.versions)
        self._tokens_lock = threading.Lock()
        self._tokens_records: object = None
        self._by_id: dict[int, ProjectRow] = {}
        self._project_tokens: dict[str, set[int]] = {}
        self._project_token_list: list[str] = []
        # (project id, series key) -> id of the series' current document (0: none), valid for one
        # value of the documents change counter.
        self._current_lock = threading.Lock()
        self._current_version: object = None
        self._current: dict[tuple[int, str], int] = {}
        self._qv_lock = threading.Lock()
        self._query_vectors: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._code_column: bool | None = None
        self._background: Any = None
        self._closed = False

    # ------------------------------------------------------------------ validation helpers
    @staticmethod
    def _limit(limit: object, hi: int = MAX_LIMIT) -> int:
        return bounded_int(limit, "limit", 1, hi)

    @staticmethod
    def _offset(offset: object) -> int:
        return bounded_int(offset, "offset", 0, MAX_OFFSET)

    @staticmethod
    def _user(user_id: object) -> str | None:
        if user_id is None:
            return None
        text = clean_text(user_id, "user_id", max_len=128, allow_empty=True)
        return text or None

    @staticmethod
    def _mode(mode: object) -> str:
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}")
        return str(mode)

    @staticmethod
    def _filters(filters: object, allowed: Sequence[str]) -> dict[str, list[str]]:
        if filters is None:
            return {}
        if not isinstance(filters, dict):
            raise InvalidInput('filters must be an object like {"doc_type": "lld", "ext": ["pdf"]}')
        if len(filters) > 20:
            raise InvalidInput("too many filters (at most 20)")
        out: dict[str, list[str]] = {}
        for raw_key, raw in filters.items():
            key = FILTER_KEYS.get(str(raw_key).lower().strip(), str(raw_key).lower().strip())
            if key == "project_number":
                key = "project"
            if key not in allowed:
                raise InvalidInput(f"unknown filter {str(raw_key)[:30]!r}; use: {', '.join(allowed)}")
            if raw is None:
                continue
            values = raw if isinstance(raw, list) else [raw]
            if len(values) > 50:
                raise InvalidInput(f"filter {key} has too many values (at most 50)")
            texts = []
            for v in values:
                if isinstance(v, bool) or not isinstance(v, str | int):
                    raise InvalidInput(f"filter {key} values must be text")
                texts.append(str(v))
            vals = normalise_filter(key, texts)
            if vals:
                out.setdefault(key, [])
                out[key] += [v for v in vals if v not in out[key]]
        return out

    # ------------------------------------------------------------------ caches
    def _project_index(self) -> tuple[dict[int, ProjectRow], dict[str, set[int]], list[str]]:
        """Projects by id, and which projects each word of their names/client names belongs to.

        Rebuilt when the project service reloads its records (a new list), not on every commit:
        analytics writes would otherwise rebuild it on almost every query."""
        records = self.projects.all()
        with self._tokens_lock:
            if records is not self._tokens_records:
                by_token: dict[str, set[int]] = defaultdict(set)
                for rec in records:
                    # Client abbreviations and names only: folder words (cities, "upgrade") are too
                    # common to point at a project on their own.
                    for text in (rec.client or "", *rec.client_names):
                        for tok in tokens(text):
                            if len(tok) >= 2 and not tok.isdigit():
                                by_token[tok].add(rec.id)
                self._project_tokens = dict(by_token)
                self._project_token_list = [t for t in by_token if len(t) >= 4]
                self._tokens_records = records
                self._by_id = {r.id: r for r in records}
        return self._by_id, self._project_tokens, self._project_token_list

    def _semantic_ready(self) -> bool:
        """True when query vectors can be made and document vectors exist."""
        if not self.store.vec_available or getattr(self.embedder, "disabled", False):
            return False
        if not vectors.table_exists(self.store, "vec_documents"):
            return False
        if self.store.query_one("SELECT 1 FROM embedding_state WHERE model = ? LIMIT 1", (self.embedder.name,)) is None:
            return False
        return self.embedder.load()

    def _query_vector(self, text: str) -> Any:
        """The query's embedding; the last few hundred are kept (the next page of results, a query
        typed again, search_projects after search_documents) so each is computed once (~7 ms)."""
        key = (self.embedder.name, text)
        with self._qv_lock:
            held = self._query_vectors.get(key)
            if held is not None:
                self._query_vectors.move_to_end(key)
                return held
        try:
            vec = self.embedder.encode([text])[0]
        except Exception as exc:
            log.warning("query embedding failed: %s", exc)
            return None
        with self._qv_lock:
            self._query_vectors[key] = vec
            while len(self._query_vectors) > QUERY_VECTOR_CACHE:
                self._query_vectors.popitem(last=False)
        return vec

    def clear_caches(self, *, query_vectors: bool = True, current: bool = True) -> None:
        """Forget cached query embeddings and/or current revisions (benchmarks, tests)."""
        if query_vectors:
            with self._qv_lock:
                self._query_vectors.clear()
        if current:
            with self._current_lock:
                self._current = {}
                self._current_version = None

    # ------------------------------------------------------------------ lexical pieces
    def _groups(self, pq: ParsedQuery, corrections: dict[str, str]) -> list[list[str]]:
        """For every plain word: the word and its alternatives (typo fixes, singular/plural, prefix)."""
        snap = self.vocab.snapshot()
        groups: list[list[str]] = []
        for n, term in enumerate(pq.terms):
            alts = [term]
            if term not in snap.df:
                fixes = self.vocab.corrections(term)
                if fixes:
                    corrections[term] = fixes[0][0]
                    alts += [w for w, _ in fixes]
                last = n == len(pq.terms) - 1
                if len(term) >= 3 and (last or not fixes) and not term.isdigit():
                    alts.append(term + "*")  # a word being typed, or a stem of indexed words
            if len(term) >= 4 and not term.isdigit():
                for variant in (term + "s", term[:-1] if term.endswith("s") else None, term + "es"):
                    if variant and variant in snap.df:
                        alts.append(variant)
            groups.append(alts)
        return groups

    def _has_code_column(self) -> bool:
        """Whether ``search_docs`` has the ``code`` column of migration 0004 (an older schema opened
        read-only has not: then scopes are applied by the join alone)."""
        if self._code_column is None:
            try:
                cols = self.store.query("SELECT name FROM pragma_table_info('search_docs')")
                self._code_column = any(r[0] == "code" for r in cols)
            except DatabaseError:
                self._code_column = False
        return bool(self._code_column)

    def _fts(
        self, table: str, weights: str, expr: str, join: str, scope_sql: str, params: list[Any], limit: int
    ) -> list[int]:
        """Row ids ranked by BM25 (ties: lower rowid first). ``bm25()`` in ORDER BY rather than
        ``rank MATCH``: the same order, ~35% less time per ranked row."""
        sql = (
            f"SELECT f.rowid FROM {table} f {join} WHERE {table} MATCH ?{scope_sql} "
            f"ORDER BY bm25({table}, {weights}), f.rowid LIMIT ?"
        )
        try:
            return [r[0] for r in self.store.query(sql, (expr, *params, limit))]
        except DatabaseError as exc:  # never expected (every token is quoted); never shown raw
            log.warning("full-text query failed (%s) for %r", exc, expr)
            return []

    def _fts_docs(self, expr: str, scope: _Scope, limit: int) -> list[int]:
        """Documents matching ``expr`` within ``scope``, best first.

        A project scope is applied inside FTS5 (``{code}: (...) AND (...)``, weight 0) so only its
        rows are ranked; the SQL conditions still apply (exact project ids, other filters). The
        join to documents/projects is made only when a condition needs it."""
        weights = DOC_WEIGHTS
        match = expr
        if self._has_code_column():
            weights = DOC_WEIGHTS_CODE
            codes = scope.fts_codes
            if codes and len(codes) <= MAX_FTS_CODES:
                match = "{code} : (" + " OR ".join(fts_quote(c) for c in sorted(codes)) + ") AND (" + expr + ")"
        scope_sql = scope.sql()
        join = ""
        if scope_sql:
            join = "JOIN documents d ON d.id = f.rowid"
            if scope.uses_projects:
                join += " JOIN projects p ON p.id = d.project_id"
        return self._fts("search_docs", weights, match, join, scope_sql, scope.params, limit)

    def _group_df(self, group: list[str]) -> int:
        """Documents (and projects) holding any alternative of one query word: the postings an
        any-word query reads for it. Prefixes sum the words they expand to."""
        snap = self.vocab.snapshot()
        total = 0
        for tok in group:
            if not tok.endswith("*"):
                total += snap.df.get(tok, 0)
                continue
            core = tok[:-1]
            words = snap.sorted_words
            i = bisect.bisect_left(words, core)
            n = 0
            while i < len(words) and words[i].startswith(core):
                total += snap.df[words[i]]
                i += 1
                n += 1
                if n > 2000:
                    return 1 << 40
        return total

    def _affordable(
        self, groups: list[list[str]], phrases: list[list[str]], budget: int
    ) -> tuple[list[list[str]], list[list[str]]]:
        """The rarest words and phrases whose postings add up to at most ``budget`` (query order kept)."""
        snap = self.vocab.snapshot()
        items: list[tuple[int, int, int]] = [(self._group_df(g), 0, i) for i, g in enumerate(groups)]
        items += [(min((snap.df.get(t, 0) for t in ph), default=0), 1, i) for i, ph in enumerate(phrases)]
        items.sort()
        keep: set[tuple[int, int]] = set()
        total = 0
        for df, kind, i in items:
            if total + df > budget:
                break
            total += df
            keep.add((kind, i))
        return (
            [g for i, g in enumerate(groups) if (0, i) in keep],
            [ph for i, ph in enumerate(phrases) if (1, i) in keep],
        )

    def _lexical_docs(
        self,
        groups: list[list[str]],
        phrases: list[list[str]],
        scope: _Scope,
        limit: int = CANDIDATES,
        *,
        every_word: bool = False,
    ) -> tuple[list[int], int]:
        """BM25-ranked documents: those with every word first, then (when few) those with any
        (the rarest words within OR_POSTINGS_BUDGET firm-wide, unless ``every_word``). Also returns
        how many matched every word."""
        if not groups and not phrases:
            return [], 0
        ids = self._fts_docs(match_expression(groups, phrases, mode="and") or "", scope, limit)
        n_all = len(ids)
        if len(ids) < limit // 4 and len(groups) + len(phrases) > 1:
            any_groups, any_phrases = groups, phrases
            scoped = bool(scope.fts_codes) and len(scope.fts_codes) <= MAX_FTS_CODES and self._has_code_column()
            if not scoped and not every_word:  # firm-wide: rank what the budget allows
                any_groups, any_phrases = self._affordable(groups, phrases, OR_POSTINGS_BUDGET)
            expr = match_expression(any_groups, any_phrases, mode="or")
            if expr:
                more = self._fts_docs(expr, scope, limit)
                seen = set(ids)
                ids += [i for i in more if i not in seen]
        return ids, n_all

    def _trigram_terms(self, pq: ParsedQuery) -> list[str]:
        snap = self.vocab.snapshot()
        out = [t for t in pq.terms if len(t) >= 3 and (t not in snap.df or any(c.isdigit() for c in t))]
        out += [c for c in pq.partial_codes if c not in out]
        return out[:6]

    def _trigram(self, table: str, terms: list[str], join: str, scope: _Scope, limit: int) -> list[int]:
        if not terms:
            return []
        expr = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        sql = f"SELECT f.rowid FROM {table} f {join} WHERE {table} MATCH ?{scope.sql()} ORDER BY f.rank LIMIT ?"
        try:
            return [r[0] for r in self.store.query(sql, (expr, *scope.params, limit))]
        except DatabaseError as exc:
            log.warning("trigram query failed (%s) for %r", exc, expr)
            return []

    def _project_hints(self, pq: ParsedQuery, corrections: dict[str, str]) -> tuple[set[int], list[str]]:
        """Projects that some query words identify (client names, site words), and those words."""
        by_id, by_token, token_list = self._project_index()
        if not by_id:
            return set(), []
        cap = max(3, len(by_id) // 50)
        hinted: set[int] = set()
        used: list[str] = []
        snap = self.vocab.snapshot()
        for term in pq.terms:
            if term in STOPWORDS or len(term) < 3 or term.isdigit():
                continue
            ids = by_token.get(term)
            if ids is None and term not in snap.project_df and len(term) >= 4 and token_list:
                from rapidfuzz import fuzz, process

                best = process.extractOne(term, token_list, scorer=fuzz.ratio, score_cutoff=80)
                if best is not None:
                    ids = by_token.get(best[0])
                    corrections.setdefault(term, best[0])
            if ids and len(ids) <= cap:
                hinted |= ids
                used.append(term)
        return hinted, used

    # ------------------------------------------------------------------ scope
    def _doc_scope(
        self,
        pq: ParsedQuery,
        filters: dict[str, list[str]],
        project_number: str | None,
        doc_type: str | None,
        current_only: bool,
        notes: list[str],
    ) -> _Scope:
        scope = _Scope()
        merged: dict[str, list[str]] = {k: list(v) for k, v in pq.filters.items()}
        for k, v in filters.items():
            merged.setdefault(k, [])
            merged[k] += [x for x in v if x not in merged[k]]
        codes = list(merged.get("project", []))
        if project_number:
            codes.append(project_number)
        ids: set[int] = set()
        code_of: dict[int, str] = {}
        for code in dict.fromkeys(codes):
            found = self.projects.by_code(code)
            if not found:
                raise NotFound(f"project {code} not found in the index")
            ids |= {p.id for p in found}
            code_of.update((p.id, p.code) for p in found)
        typed: set[int] = set()
        for code in pq.codes:
            found = self.projects.by_code(code)
            if found:
                typed |= {p.id for p in found}
                code_of.update((p.id, p.code) for p in found)
            else:
                notes.append(f"no project {code} in the index")
        if ids and typed:
            both = ids & typed
            ids = both or ids
        elif typed:
            ids = typed
        if ids:
            scope.project_ids = ids
            scope.fts_codes = {code_of[i] for i in ids}
            scope.add(f"d.project_id IN ({marks(len(ids))})", *sorted(ids))
        types = list(merged.get("doc_type", []))
        if doc_type:
            types.append(doc_type)
        if types:
            scope.add(f"d.doc_type IN ({marks(len(set(types)))})", *sorted(set(types)))
        if merged.get("ext"):
            scope.add(f"d.ext IN ({marks(len(merged['ext']))})", *merged["ext"])
        if merged.get("phase"):
            scope.add(f"d.phase IN ({marks(len(merged['phase']))})", *merged["phase"])
        if merged.get("year"):
            ys = merged["year"]
            scope.add(
                f"(substr(d.doc_date, 1, 4) IN ({marks(len(ys))}) OR (d.doc_date IS NULL AND "
                f"strftime('%Y', d.mtime, 'unixepoch') IN ({marks(len(ys))})))",
                *ys,
                *ys,
            )
        for v in merged.get("after", []):
            scope.add("d.mtime >= ?", parse_date_value(v))
        for v in merged.get("before", []):
            scope.add("d.mtime <= ?", parse_date_value(v, end=True))
        if merged.get("client"):
            conds = []
            for v in merged["client"]:
                conds.append(
                    "(p.client LIKE ? ESCAPE '\\' OR p.client_names LIKE ? ESCAPE '\\' "
                    "OR p.folder_name LIKE ? ESCAPE '\\')"
                )
                scope.params.extend([like_pattern(v)] * 3)
            scope.where.append("(" + " OR ".join(conds) + ")")
            scope.restricted = True
            scope.uses_projects = True
        scope.statuses = set(merged.get("status", []))
        if current_only:
            scope.statuses.add("current")
        if scope.statuses == {"current"}:
            scope.add("d.is_archive = 0")
        return scope

    def _load_docs(self, ids: Sequence[int], scope: _Scope) -> dict[int, DocumentRow]:
        """Candidate rows by id (one query per 900), only the columns ranking and hits use; the
        scope's conditions drop candidates from lists that ignore them (vectors, substrings)."""
        return self.rows.by_ids(ids, scope.sql(), scope.params)

    def _mark_current(self, docs: dict[int, DocumentRow]) -> None:
        """Set ``is_current`` with the domain's rule over each candidate's whole series.

        The current document of each (project, series) is cached until the ``documents`` change
        counter moves (any insert, update or delete of a document); only series not seen since
        are read, with their peers fetched by (project, series) pairs through the series index."""
        if not docs:
            return
        version = self.versions.get("documents")
        with self._current_lock:
            if version != self._current_version:
                self._current = {}
                self._current_version = version
            cache = self._current
            pairs = {(d.project_id, d.series_key) for d in docs.values()}
            missing = [key for key in pairs if key not in cache]
        found = self._current_of(missing) if missing else {}
        if found:
            with self._current_lock:
                if self._current is cache:
                    if len(cache) + len(found) > CURRENT_CACHE_MAX:
                        cache.clear()
                    cache.update(found)
        for d in docs.values():
            key = (d.project_id, d.series_key)
            d.is_current = found.get(key, cache.get(key)) == d.id

    def _current_of(self, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """The current document id of each (project, series) pair (0 when all are archived)."""
        peers: dict[tuple[int, str], list[DocumentRow]] = defaultdict(list)
        for d in self.rows.series_peers(pairs):
            peers[(d.project_id, d.series_key)].append(d)
        out = dict.fromkeys(pairs, 0)
        for key, group in peers.items():
            best = current_by_series(group)
            if best:
                out[key] = best[0].id
        return out

    # ------------------------------------------------------------------ documents
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
        limit_i, offset_i = self._limit(limit), self._offset(offset)
        mode = self._mode(mode)
        user = self._user(user_id)
        if not isinstance(current_only, bool):
            raise InvalidInput("current_only must be true or false")
        code = project_code(project_number) if project_number not in (None, "") else None
        dtype = None
        if doc_type not in (None, ""):
            from ..services.documents import normalise_doc_type

            dtype = normalise_doc_type(doc_type)
        flt = self._filters(filters, DOC_FILTER_KEYS)
        pq = parse_query(query)
        notes: list[str] = []
        scope = self._doc_scope(pq, flt, code, dtype, current_only, notes)
        if pq.empty and not scope.restricted and not scope.statuses:
            raise InvalidInput("query is empty: give words, a project number, a document type or filters")
        corrections: dict[str, str] = {}
        lists: list[tuple[str, float, Sequence[int]]] = []
        groups = self._groups(pq, corrections)
        semantic_used = False
        strong = False
        sims: dict[int, float] = {}
        use_lex = mode in ("hybrid", "lexical")
        hinted: set[int] = set()
        hint_words: list[str] = []
        if use_lex:
            lexical, n_all = self._lexical_docs(groups, pq.phrases, scope)
            lists.append(("lexical", 1.0, lexical[:n_all]))
            lists.append(("some words", 0.35, lexical[n_all:]))
            strong = n_all > 0  # every word matched somewhere: vectors only refine
            join = ""
            if scope.where:
                join = "JOIN documents d ON d.id = f.rowid JOIN projects p ON p.id = d.project_id"
            lists.append(
                ("substring", 0.5, self._trigram("search_docs_tri", self._trigram_terms(pq), join, scope, CANDIDATES))
            )
            if scope.project_ids is None:
                hinted, hint_words = self._project_hints(pq, corrections)
            if hinted:
                rest = [g for g, t in zip(groups, pq.terms, strict=True) if t not in hint_words]
                sub = _Scope(list(scope.where), list(scope.params), scope.project_ids, scope.statuses, True)
                sub.uses_projects = scope.uses_projects
                sub.add(f"d.project_id IN ({marks(len(hinted))})", *sorted(hinted))
                by_id = self._project_index()[0]
                sub.fts_codes = {by_id[i].code for i in hinted if i in by_id}
                ids = self._lexical_docs(rest, pq.phrases, sub)[0] if (rest or pq.phrases) else []
                if not ids:
                    ids = self._structured(pq, sub, force=True)
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
        structured = self._structured(pq, scope, force=not free_words) if want_facts else []
        if structured:
            lists.append(("facts", 0.8 if pq.terms else 1.0, structured))
        if mode in ("hybrid", "semantic") and (pq.semantic_text or pq.text) and self._semantic_ready():
            qv = self._query_vector(pq.semantic_text or pq.text)
            if qv is not None:
                self.doc_vectors.refresh(self.embedder.name)
                hits = self._vector_hits(qv, scope)
                weight = 1.0 if mode == "semantic" else (0.2 if strong else 0.9)
                lists.append(("semantic", weight, [i for i, _ in hits]))
                sims = dict(hits)
                semantic_used = True
        if mode == "semantic" and not semantic_used:
            lists = [entry for entry in lists if entry[0] == "facts"]
        fused, sources = rrf(lists)
        docs = self._load_docs(list(fused), scope)
        self._mark_current(docs)
        ranked = self._rerank_docs(docs, fused, sources, pq, user, sims, hinted)
        if scope.statuses:
            ranked = [(d, s, w) for d, s, w in ranked if scope.statuses & set(_statuses(d))]
        total = len(ranked)
        facets = self._doc_facets([d for d, _, _ in ranked]) if include_facets else {}
        page = ranked[offset_i : offset_i + limit_i]
        hits = self._doc_hits(page, pq, corrections)
        suggestions = self._suggestions(pq, corrections, total, notes)
        return SearchDocumentsResult(
            query=pq.text,
            documents=hits,
            total_count=total,
            offset=offset_i,
            limit=limit_i,
            search_time_ms=_ms(t0),
            facets=facets,
            suggestions=suggestions,
            understood=self._interpretation(pq, corrections),
            semantic=semantic_used,
        )

    def _scope_ids(self, scope: _Scope) -> list[int]:
        rows = self.store.query(
            f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id WHERE 1{scope.sql()} LIMIT 200000",
            scope.params,
        )
        return [r[0] for r in rows]

    def _vector_hits(self, qv: Any, scope: _Scope) -> list[tuple[int, float]]:
        """The ``VECTOR_K`` documents nearest to ``qv`` within ``scope`` (exact).

        A project scope is small: its ids come from the project index and only its rows are
        compared. Any other filter (type, extension, year, client, current...) may cover most of the
        firm, where listing its ids and gathering their rows cost more than the product itself; so
        the 10x nearest are taken firm-wide and those in scope kept. That is exact whenever at
        least ``VECTOR_K`` of them are in scope or the similarity floor cut the list; otherwise (a
        very selective filter) the scope's ids are listed after all."""
        index = self.doc_vectors
        if not scope.restricted:
            return index.search(qv, VECTOR_K, min_sim=MIN_SIM_DOCS)
        if scope.project_ids is not None:
            return index.search(qv, VECTOR_K, allowed=self._scope_ids(scope), min_sim=MIN_SIM_DOCS)
        wide = VECTOR_K * 10
        raw = index.search(qv, wide, min_sim=MIN_SIM_DOCS)
        inside: set[int] = set()
        for start in range(0, len(raw), 900):
            chunk = [i for i, _ in raw[start : start + 900]]
            inside.update(
                r[0]
                for r in self.store.query(
                    f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id "
                    f"WHERE d.id IN ({marks(len(chunk))}){scope.sql()}",
                    (*chunk, *scope.params),
                )
            )
        kept = [h for h in raw if h[0] in inside]
        if len(kept) >= VECTOR_K or len(raw) < wide:
            return kept[:VECTOR_K]
        return index.search(qv, VECTOR_K, allowed=self._scope_ids(scope), min_sim=MIN_SIM_DOCS)

    def _structured(self, pq: ParsedQuery, scope: _Scope, *, force: bool = False) -> list[int]:
        """Documents matching the understood facts (revision, room, change order, as-built,
        family), most facts first; with ``force`` also plain recency within the scope."""
        conds: list[str] = []
        params: list[Any] = []
        if pq.revision is not None:
            conds.append("(d.revision = ?)")
            params.append(pq.revision)
        if pq.room is not None:
            conds.append("(d.room = ?)")
            params.append(pq.room)
        if pq.change_order is not None:
            conds.append("(d.change_order = ?)")
            params.append(pq.change_order)
        if pq.as_built:
            conds.append("(d.is_as_built = 1)")
        if pq.doc_types:
            conds.append(f"(d.doc_type IN ({marks(len(pq.doc_types))}))")
            params.extend(pq.doc_types)
        if not conds and not (force and scope.restricted):
            return []
        if (
            pq.doc_types
            and scope.project_ids is None
            and pq.revision is None
            and pq.room is None
            and pq.change_order is None
        ):
            return self._family_newest(pq.doc_types, pq.as_built, scope)
        if conds and scope.project_ids is None and scope.fts_codes is None:
            # Firm-wide ("CO5", "rev 102" without a project): the ranking below sorts every document
            # holding any of the facts (a full scan, 20-35 ms at 116k). When at least a page of
            # candidates holds all of them, those are exactly its first rows.
            every = self._all_facts_newest(conds, params, scope)
            if len(every) >= CANDIDATES:
                return every
        order = f"({' + '.join(conds)}) DESC, " if conds else ""
        having = f" AND ({' OR '.join(conds)})" if conds else ""
        sql = (
            f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id WHERE 1{scope.sql()}{having} "
            f"ORDER BY {order}d.is_archive ASC, d.mtime DESC LIMIT ?"
        )
        args = [*scope.params, *(params if having else []), *(params if conds else []), CANDIDATES]
        return [r[0] for r in self.store.query(sql, args)]

    def _all_facts_newest(self, conds: list[str], params: list[Any], scope: _Scope) -> list[int]:
        """Documents holding every fact, not archived first then newest, through the fact indexes
        of migration 0004 (one walk per archived state: mixed sort directions cannot use an index)."""
        join = " JOIN projects p ON p.id = d.project_id" if scope.uses_projects else ""
        out: list[int] = []
        for archived in (0, 1):
            out += [
                r[0]
                for r in self.store.query(
                    f"SELECT d.id FROM documents d{join} WHERE d.is_archive = ? AND {' AND '.join(conds)}"
                    f"{scope.sql()} ORDER BY d.mtime DESC, d.id LIMIT ?",
                    [archived, *params, *scope.params, CANDIDATES - len(out)],
                )
            ]
            if len(out) >= CANDIDATES:
                break
        return out

    def _family_newest(self, doc_types: list[str], as_built: bool, scope: _Scope) -> list[int]:
        """Firm-wide family lookups, not archived first then newest: ``ORDER BY is_archive ASC,
        mtime DESC`` over ``doc_type IN (...)`` cannot walk the (doc_type, is_archive, mtime) index
        (mixed directions, several types) and sorted every row of the family (20 ms for lld at
        116k documents); one query per (type, archived) walks it newest first and stops at the
        limit (0.1 ms)."""
        extra = " AND d.is_as_built = 1" if as_built else ""
        join = " JOIN projects p ON p.id = d.project_id" if scope.uses_projects else ""
        if scope.fts_codes is not None:
            # Within a few projects (a client's): read their documents through the project index
            # and sort those (+doc_type keeps the planner off the firm-wide family index).
            sql = (
                f"SELECT d.id FROM documents d{join} WHERE +d.doc_type IN ({marks(len(doc_types))}){extra}"
                f"{scope.sql()} ORDER BY d.is_archive ASC, d.mtime DESC, d.id LIMIT ?"
            )
            return [r[0] for r in self.store.query(sql, [*doc_types, *scope.params, CANDIDATES])]
        out: list[int] = []
        for archived in (0, 1):
            rows: list[Any] = []
            for doc_type in doc_types:
                rows += self.store.query(
                    f"SELECT d.id, d.mtime FROM documents d{join} WHERE d.doc_type = ? AND d.is_archive = ?"
                    f"{extra}{scope.sql()} ORDER BY d.mtime DESC, d.id LIMIT ?",
                    [doc_type, archived, *scope.params, CANDIDATES - len(out)],
                )
            rows.sort(key=lambda r: (-(r[1] or 0.0), r[0]))
            out += [r[0] for r in rows][: CANDIDATES - len(out)]
            if len(out) >= CANDIDATES:
                break
        return out

    def _rerank_docs(
        self,
        docs: dict[int, DocumentRow],
        fused: dict[int, float],
        sources: dict[int, list[str]],
        pq: ParsedQuery,
        user: str | None,
        sims: dict[int, float],
        hinted: set[int],
    ) -> list[tuple[DocumentRow, float, list[str]]]:
        if not docs:
            return []
        top = max(fused.get(i, 0.0) for i in docs) or 1.0
        pop = self.signals.popularity_map()
        mine = self.signals.recent_for(user)
        now = time.time()
        codes = set(pq.codes)
        out: list[tuple[DocumentRow, float, list[str]]] = []
        for d in docs.values():
            base = fused.get(d.id, 0.0) / top
            why = [s for s in sources.get(d.id, [])]
            mult = 1.0
            if d.code in codes:
                mult *= 1.5
                why.append(f"code {d.code}")
            if pq.doc_types:
                if d.doc_type in pq.doc_types:
                    mult *= 1.6
                    why.append(f"type {d.doc_type}")
                else:
                    mult *= 0.75
            for wanted, have, boost, penalty, label in (
                (pq.revision, d.revision, 2.0, 0.8, "rev {}"),
                (pq.room, d.room, 1.7, 0.8, "room {}"),
                (pq.change_order, d.change_order, 2.0, 0.7, "CO{}"),
            ):
                if wanted is None:
                    continue
                if have == wanted:
                    mult *= boost
                    why.append(label.format(have))
                else:
                    mult *= penalty
            if pq.as_built:
                if d.is_as_built:
                    mult *= 1.5
                    why.append("as-built")
            elif d.is_as_built:
                mult *= 1.05
            explicit_rev = pq.revision is not None
            if d.is_current:
                mult *= 1.3 if not explicit_rev else 1.0
                why.append("current")
            elif (not explicit_rev and d.revision is not None) or d.is_handover_copy:
                mult *= 0.85
                why.append("superseded" if not d.is_handover_copy else "handover copy")
            if d.is_archive and not pq.wants_archive and not explicit_rev:
                mult *= 0.6
                why.append("archive")
            if any(t in ("DRAFT", "ENG DRAFT") for t in d.status_tags):
                mult *= 0.9
            age_days = max(0.0, (now - d.mtime) / 86400) if d.mtime else 3650
            mult *= 1.0 + 0.1 * math.exp(-age_days / 365)
            p = pop.get(d.code, 0.0)
            if p:
                mult *= 1.0 + 0.1 * p
                if p > 0.5:
                    why.append("popular")
            m = mine.get(d.code, 0.0)
            if m:
                mult *= 1.0 + 0.15 * m
                why.append("your recent project")
            if d.id in sims:
                why = [w if w != "semantic" else f"semantic {sims[d.id]:.2f}" for w in why]
            out.append((d, round(base * mult, 5), why))
        out.sort(key=lambda t: (-t[1], -t[0].mtime, t[0].id))
        return out

    def _doc_facets(self, docs: list[DocumentRow]) -> dict[str, list[FacetValue]]:
        counters: dict[str, Counter[str]] = {
            k: Counter() for k in ("doc_type", "phase", "project", "extension", "year", "status")
        }
        for d in docs:
            counters["doc_type"][d.doc_type] += 1
            counters["phase"][d.phase or "other"] += 1
            counters["project"][d.code] += 1
            counters["extension"][d.ext or "(none)"] += 1
            if d.year:
                counters["year"][d.year] += 1
            for s in _statuses(d):
                counters["status"][s] += 1
        out: dict[str, list[FacetValue]] = {}
        for key, counter in counters.items():
            items = counter.most_common(20)
            if key == "year":
                items = sorted(items, key=lambda kv: kv[0], reverse=True)
            out[key] = [FacetValue(value=v, count=n) for v, n in items]
        return out

    def _doc_hits(
        self, page: list[tuple[DocumentRow, float, list[str]]], pq: ParsedQuery, corrections: dict[str, str]
    ) -> list[DocumentHit]:
        words = set(pq.all_words) | set(corrections.values()) | set(pq.doc_type_words)
        prefixes = [t for t in pq.terms if t not in self.vocab.snapshot().df and len(t) >= 3]
        texts: dict[int, str] = {}
        if page and (pq.terms or pq.phrases):
            ids = [d.id for d, _, _ in page]
            for r in self.store.query(
                f"SELECT doc_id, text FROM document_content WHERE doc_id IN ({marks(len(ids))}) AND text IS NOT NULL",
                ids,
            ):
                texts[r[0]] = r[1]
        hits: list[DocumentHit] = []
        for d, score, why in page:
            name_tokens = set(tokens(d.name))
            matched_name = bool(words & name_tokens)
            snippet = ""
            content = texts.get(d.id)
            missing = words - name_tokens - set(tokens(d.folders)) - set(tokens(d.project_name))
            if content and (missing or not matched_name):
                snippet = content_snippet(content, words)
                if snippet:
                    why = [*why, "content"] if "content" not in why else why
            if not snippet:
                snippet = highlight(d.name, words, prefixes)
            if matched_name and "name" not in why:
                why = ["name", *why]
            hits.append(
                DocumentHit(
                    **d.info_fields(),
                    project_name=d.project_name,
                    ext=d.ext,
                    score=score,
                    snippet=snippet,
                    why=list(dict.fromkeys(why)),
                )
            )
        return hits

    # ------------------------------------------------------------------ projects
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
        limit_i, offset_i = self._limit(limit), self._offset(offset)
        mode = self._mode(mode)
        user = self._user(user_id)
        flt = self._filters(filters, PROJECT_FILTER_KEYS)
        pq = parse_query(query)
        for k, v in pq.filters.items():
            if k not in PROJECT_FILTER_KEYS:
                raise InvalidInput(f"filter {k}: does not apply to projects; use: {', '.join(PROJECT_FILTER_KEYS)}")
            flt.setdefault(k, [])
            flt[k] += [x for x in v if x not in flt[k]]
        if pq.empty and not flt:
            raise InvalidInput("query is empty: give a project number, client or words")
        ranked, corrections, semantic_used, notes = self._rank_projects(pq, flt, user, mode)
        total = len(ranked)
        facets: dict[str, list[FacetValue]] = {}
        if include_facets:
            clients: Counter[str] = Counter(r.client or "(none)" for r, _, _ in ranked)
            ranges: Counter[str] = Counter(r.range_folder or "(none)" for r, _, _ in ranked)
            facets = {
                "client": [FacetValue(value=v, count=n) for v, n in clients.most_common(20)],
                "range": [FacetValue(value=v, count=n) for v, n in sorted(ranges.items(), reverse=True)[:20]],
            }
        words = set(pq.all_words) | set(corrections.values())
        prefixes = [t for t in pq.terms if len(t) >= 3]
        hits = [
            ProjectHit(
                **r.summary().model_dump(),
                score=score,
                why=why,
                highlight=highlight(r.name, words | set(pq.codes), prefixes),
            )
            for r, score, why in ranked[offset_i : offset_i + limit_i]
        ]
        return SearchProjectsResult(
            query=pq.text,
            projects=hits,
            total_count=total,
            offset=offset_i,
            limit=limit_i,
            search_time_ms=_ms(t0),
            facets=facets,
            suggestions=self._suggestions(pq, corrections, total, notes),
            understood=self._interpretation(pq, corrections),
            semantic=semantic_used,
        )

    def _rank_projects(
        self, pq: ParsedQuery, flt: dict[str, list[str]], user: str | None, mode: str, *, light: bool = False
    ) -> tuple[list[tuple[ProjectRow, float, list[str]]], dict[str, str], bool, list[str]]:
        by_id, _, _ = self._project_index()
        corrections: dict[str, str] = {}
        notes: list[str] = []
        lists: list[tuple[str, float, Sequence[int]]] = []
        codes = set(pq.codes) | set(flt.get("project", []))
        exact = [r.id for r in by_id.values() if r.code in codes]
        for c in pq.codes:
            if not any(r.code == c for r in by_id.values()):
                notes.append(f"no project {c} in the index")
        if exact:
            lists.append(("code", 3.0, exact))
        groups = self._groups(pq, corrections)
        scope = _Scope()
        semantic_used = False
        strong = False
        if mode in ("hybrid", "lexical"):
            expr_and = match_expression(groups, pq.phrases, mode="and")
            if expr_and:
                ids = self._fts("search_projects", PROJECT_WEIGHTS, expr_and, "", "", [], CANDIDATES)
                lists.append(("lexical", 1.0, ids))
                strong = bool(ids) and len(ids) < len(by_id)
                if len(ids) < 10 and len(groups) + len(pq.phrases) > 1:
                    more = self._fts(
                        "search_projects",
                        PROJECT_WEIGHTS,
                        match_expression(groups, pq.phrases, mode="or") or "",
                        "",
                        "",
                        [],
                        CANDIDATES,
                    )
                    lists.append(("some words", 0.35, [i for i in more if i not in set(ids)]))
            tri = self._trigram_terms(pq)
            if tri:
                lists.append(("substring", 0.7, self._trigram("search_projects_tri", tri, "", scope, 100)))
            words = " ".join(pq.terms + [w for p in pq.phrases for w in p])
            if words:
                fuzzy = [m for m in self.projects.search(words, limit=50) if m.score >= 80]
                lists.append(("fuzzy", 1.0, [m.project.id for m in fuzzy]))
            found_by_name = any(ids for name, _, ids in lists if name in ("lexical", "fuzzy", "code"))
            # navigate_project (light): words inside documents only when names found nothing.
            if (groups or pq.phrases) and not (light and found_by_name):
                # Every word in the any-word fallback: which projects hold documents with most of the
                # words is this list's whole point (the budget changed 6% of top-10 project lists).
                doc_ids, n_all = self._lexical_docs(groups, pq.phrases, scope, limit=300, every_word=True)
                strong = strong or n_all > 0
                has_lexical = any(name == "lexical" and ids for name, _, ids in lists)
                lists.append(("documents", 0.6 if has_lexical else 1.0, self._projects_of(doc_ids[:n_all])))
                lists.append(("documents (some words)", 0.2, self._projects_of(doc_ids[n_all:])))
            if pq.doc_types or pq.revision is not None or pq.room is not None or pq.change_order is not None:
                lists.append(("facts", 0.4, self._projects_of(self._structured(pq, scope))))
        if mode in ("hybrid", "semantic") and (pq.semantic_text or pq.text) and self._semantic_ready():
            qv = self._query_vector(pq.semantic_text or pq.text)
            if qv is not None:
                self.project_vectors.refresh(self.embedder.name)
                self.doc_vectors.refresh(self.embedder.name)
                phits = self.project_vectors.search(qv, 50, min_sim=MIN_SIM_PROJECTS)
                dhits = self.doc_vectors.search(qv, 300, min_sim=MIN_SIM_DOCS)
                w = 1.0 if mode == "semantic" else (0.15 if strong else 0.8)
                lists.append(("semantic", w, [i for i, _ in phits]))
                lists.append(("semantic documents", 0.7 * w, self._projects_of([i for i, _ in dhits])))
                semantic_used = True
        fused, sources = rrf(lists)
        allowed = self._project_filter(flt, by_id)
        pop = self.signals.popularity_map()
        mine = self.signals.recent_for(user)
        ranked: list[tuple[ProjectRow, float, list[str]]] = []
        top = max(fused.values(), default=1.0) or 1.0
        for pid, s in fused.items():
            rec = by_id.get(pid)
            if rec is None or (allowed is not None and pid not in allowed):
                continue
            mult = 1.0
            why = list(sources.get(pid, []))
            if rec.code in codes:
                mult *= 3.0
                why.insert(0, f"code {rec.code}")
            name_tokens = set(tokens(" ".join((rec.name, rec.client or "", *rec.client_names))))
            wanted = [corrections.get(t, t) for t in pq.terms]
            if wanted:
                covered = sum(
                    1 for t in wanted if t in name_tokens or any(n.startswith(t) for n in name_tokens if len(t) >= 3)
                )
                mult *= 1.0 + 0.8 * (covered / len(wanted)) ** 2
                if covered == len(wanted):
                    why.append("all words in name")
            p = pop.get(rec.code, 0.0)
            if p:
                mult *= 1.0 + 0.1 * p
            m = mine.get(rec.code, 0.0)
            if m:
                mult *= 1.0 + 0.15 * m
                why.append("your recent project")
            mult *= 1.0 + 0.05 * (int(rec.code) % 100000) / 100000  # newer codes first on ties
            ranked.append((rec, round(s / top * mult, 5), list(dict.fromkeys(why))))
        if not ranked and allowed:
            ranked = [(by_id[i], 0.01, ["filter"]) for i in sorted(allowed, key=lambda i: by_id[i].code)]
        ranked.sort(key=lambda t: (-t[1], t[0].code))
        return ranked, corrections, semantic_used, notes

    def _projects_of(self, doc_ids: Sequence[int]) -> list[int]:
        """Projects of ranked documents, in order of their best document."""
        if not doc_ids:
            return []
        ids = list(doc_ids)[:500]
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

    def _project_filter(self, flt: dict[str, list[str]], by_id: dict[int, ProjectRow]) -> set[int] | None:
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

    def project_matches(self, text: str, limit: int = 11) -> list[ProjectMatch]:
        """For ``navigate_project``: ranked projects with scores on a 0-100 scale (best = 100)."""
        try:
            pq = parse_query(text)
        except InvalidInput:
            return []
        if pq.empty:
            return []
        ranked, _, _, _ = self._rank_projects(pq, {}, None, "lexical", light=True)
        if not ranked:
            return []
        top = ranked[0][1] or 1.0
        return [
            ProjectMatch(rec, round(100.0 * s / top, 2), ", ".join(why[:3]) or "search")
            for rec, s, why in ranked[:limit]
        ]

    # ------------------------------------------------------------------ suggestions
    def _suggestions(self, pq: ParsedQuery, corrections: dict[str, str], total: int, notes: list[str]) -> list[str]:
        out: list[str] = list(notes)
        if corrections:
            fixed = pq.text
            for wrong, right in corrections.items():
                fixed = _replace_word(fixed, wrong, right)
            if fixed.lower() != pq.text.lower():
                out.append(f"did you mean: {fixed}")
        if total < 3 and pq.terms:
            if total == 0:
                for m in self.projects.search(" ".join(pq.terms), limit=3):
                    out.append(f"project {m.project.name}")
            for term in pq.terms:
                if term not in corrections and term not in self.vocab.snapshot().df:
                    for fix, _ in self.vocab.corrections(term, limit=1):
                        out.append(f"did you mean: {_replace_word(pq.text, term, fix)}")
        return list(dict.fromkeys(out))[:6]

    @staticmethod
    def _interpretation(pq: ParsedQuery, corrections: dict[str, str]) -> QueryInterpretation:
        return QueryInterpretation(
            terms=pq.terms,
            phrases=[" ".join(p) for p in pq.phrases],
            project_codes=pq.codes,
            partial_codes=pq.partial_codes,
            doc_types=pq.doc_types,
            revision=pq.revision,
            room=pq.room,
            change_order=pq.change_order,
            as_built=pq.as_built,
            wants_current=pq.wants_current,
            filters=pq.filters,
            corrections=corrections,
        )

    def suggest(self, prefix: object, limit: object = 10) -> SuggestResult:
        """Autocomplete for a partly typed query."""
        t0 = time.perf_counter()
        text = clean_query(prefix, allow_empty=True)
        n = bounded_int(limit, "limit", 1, 50)
        if len(text) > 200:
            raise InvalidInput("prefix is too long (at most 200 characters)")
        if not text:
            raise InvalidInput("prefix is empty: type the start of a code, project, client or word")
        self.suggester.popularity = self.signals.popularity_map()
        return SuggestResult(prefix=text, suggestions=self.suggester.suggest(text, n), search_time_ms=_ms(t0))

    # ------------------------------------------------------------------ index upkeep
    def index_status(self) -> SearchIndexStatus:
        docs = self.store.query_one("SELECT count(*) FROM documents")[0]
        by_status = {r[0]: r[1] for r in self.store.query("SELECT status, count(*) FROM document_content GROUP BY 1")}
        pending = self.store.query_one(
            "SELECT count(*) FROM documents d LEFT JOIN document_content c ON c.doc_id = d.id "
            "WHERE c.doc_id IS NULL OR c.size != d.size OR c.mtime != d.mtime"
        )[0]
        failures = self.store.query(
            "SELECT d.rel_path, c.status, c.error FROM document_content c JOIN documents d ON d.id = c.doc_id "
            "WHERE c.status IN ('failed', 'timeout', 'too_large') ORDER BY c.extracted_at DESC LIMIT 10"
        )
        model = self.embedder.name
        done = self.store.query_one("SELECT count(*) FROM embedding_state WHERE model = ?", (model,))[0]
        pdone = self.store.query_one("SELECT count(*) FROM project_embedding_state WHERE model = ?", (model,))[0]
        status = self.embedder.status()
        if not self.store.vec_available:
            status = "unavailable: sqlite-vec extension not loaded"
        return SearchIndexStatus(
            documents=docs,
            content_processed=sum(by_status.values()),
            content_pending=pending,
            content_ok=by_status.get("ok", 0),
            content_failed=sum(by_status.get(k, 0) for k in ("failed", "timeout", "too_large")),
            content_by_status=by_status,
            recent_failures=[{"path": r[0], "status": r[1], "error": r[2] or ""} for r in failures],
            embeddings_done=done,
            embeddings_pending=max(0, docs - done),
            project_embeddings_done=pdone,
            semantic_available=self.store.vec_available and not status.startswith("unavailable"),
            semantic_status=status,
            model=model,
            vectors_available=self.store.vec_available,
            worker_running=bool(self._background is not None and self._background.is_alive()),
        )

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
        from ..indexers.embed import EmbedWorker
        from ..indexers.extract import ContentWorker

        report: dict[str, Any] = {}
        if extract:
            r = ContentWorker(self.store, workers=workers).run(
                max_docs=max_docs,
                cancel=cancel,
                progress=(lambda d, t: progress("extract", d, t)) if progress else None,
            )
            report["extract"] = {
                "processed": r.processed,
                "by_status": r.by_status,
                "seconds": r.seconds,
                "status": r.status,
            }
        if embed:
            e = EmbedWorker(self.store, self.embedder).run(
                max_docs=max_docs,
                require_content=require_content and extract,
                cancel=cancel,
                progress=(lambda d, t: progress("embed", d, t)) if progress else None,
            )
            report["embed"] = {
                "documents": e.documents,
                "projects": e.projects,
                "seconds": e.seconds,
                "docs_per_s": round(e.docs_per_s, 1),
                "status": e.status,
                "unchanged": e.skipped_unchanged,
            }
        return report

    def start_background(self, *, interval: float = 30.0) -> None:
        """Start the background worker (extraction, then embeddings) if not running."""
        from .background import BackgroundIndexer

        if self._closed:
            return
        if self._background is None or not self._background.is_alive():
            self._background = BackgroundIndexer(self, interval=interval)
            self._background.start()

    def notify(self) -> None:
        """Something was re-indexed: wake the background worker (if running)."""
        if self._background is not None:
            self._background.wake()

    def close(self) -> None:
        self._closed = True
        if self._background is not None:
            self._background.stop()
            self._background = None


def _replace_word(text: str, wrong: str, right: str) -> str:
    import re

    return re.sub(rf"(?i)(?<![^\W_]){re.escape(wrong)}(?![^\W_])", right, text, count=1)


__all__ = ["DOC_TYPES", "SearchService"]
