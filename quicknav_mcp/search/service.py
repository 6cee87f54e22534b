"""Hybrid search over projects and documents: lexical (BM25), substring (trigram), fuzzy
(rapidfuzz) and semantic (embeddings) candidates, fused with reciprocal rank fusion and
re-ranked with what the firm knows about its documents (current revision, archive, as-built,
exact codes, recency, popularity and the user's own recent projects).

Every public method validates its input and raises :class:`InvalidInput`/:class:`NotFound`
with a clear message; nothing from SQLite reaches the caller as an exception.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..domain import DOC_TYPES, current_by_series
from ..errors import InvalidInput, NotFound
from ..services.projects import ProjectMatch, ProjectRecord, ProjectService
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
    SearchIndexStatus,
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
from .text import STOPWORDS, tokens
from .vocab import Vocabulary

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "lexical", "semantic"]
MODES = ("hybrid", "lexical", "semantic")
MAX_LIMIT = 100
MAX_OFFSET = 10_000
CANDIDATES = 200  # per retrieval list
VECTOR_K = 100
MIN_SIM_DOCS = 0.30
MIN_SIM_PROJECTS = 0.30
DOC_WEIGHTS = "10.0, 3.0, 4.0, 2.0, 1.0"  # name, folders, project, family, content
PROJECT_WEIGHTS = "10.0, 4.0, 6.0, 3.0"  # code, name, client, description
DOC_FILTER_KEYS = ("doc_type", "project", "ext", "phase", "status", "year", "client", "after", "before")
PROJECT_FILTER_KEYS = ("project", "client", "doc_type", "year")

_DOC_COLS = (
    "d.id, d.project_id, d.rel_path, d.name, d.ext, d.size, d.mtime, d.doc_type, d.phase, d.revision, "
    "d.revision_raw, d.revision_scheme, d.status_tags, d.is_as_built, d.doc_date, d.room, d.change_order, "
    "d.series_key, d.is_archive, d.is_handover_copy, d.project_rel_path, p.code, p.folder_name, r.path AS root_path"
)


@dataclass(slots=True)
class _Doc:
    """A candidate document row (satisfies the domain's DocFacts protocol)."""

    id: int
    project_id: int
    rel_path: str
    name: str
    ext: str
    mtime: float
    doc_type: str
    phase: str | None
    revision: int | None
    revision_raw: str | None
    revision_scheme: str | None
    status_tags: tuple[str, ...]
    is_as_built: bool
    doc_date: str | None
    room: int | None
    change_order: int | None
    series_key: str
    is_archive: bool
    is_handover_copy: bool
    folders: str
    code: str
    project_name: str
    root: str
    is_current: bool = False

    @classmethod
    def from_row(cls, r: Any) -> _Doc:
        try:
            tags = tuple(json.loads(r["status_tags"] or "[]"))
        except ValueError:
            tags = ()
        name = r["name"]
        return cls(
            r["id"],
            r["project_id"],
            r["rel_path"],
            name,
            r["ext"] or "",
            r["mtime"] or 0.0,
            r["doc_type"],
            r["phase"],
            r["revision"],
            r["revision_raw"],
            r["revision_scheme"],
            tags,
            bool(r["is_as_built"]),
            r["doc_date"],
            r["room"],
            r["change_order"],
            r["series_key"],
            bool(r["is_archive"]),
            bool(r["is_handover_copy"]),
            r["project_rel_path"][: len(r["project_rel_path"]) - len(name)],
            r["code"],
            r["folder_name"],
            r["root_path"],
        )

    @property
    def year(self) -> str:
        if self.doc_date:
            return self.doc_date[:4]
        return datetime.fromtimestamp(self.mtime, UTC).strftime("%Y") if self.mtime else ""

    def statuses(self) -> list[str]:
        out = ["current" if self.is_current else ("archive" if self.is_archive else "superseded")]
        if self.is_archive and "archive" not in out:
            out.append("archive")
        if self.is_as_built:
            out.append("as_built")
        if any(t in ("DRAFT", "ENG DRAFT") for t in self.status_tags):
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

    def sql(self) -> str:
        return (" AND " + " AND ".join(self.where)) if self.where else ""

    def add(self, cond: str, *params: Any) -> None:
        self.where.append(cond)
        self.params.extend(params)
        self.restricted = True


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


class SearchService:
    """Search over the store. Thread-safe; heavy parts (the embedding model) load on first use."""

    def __init__(self, store: Store, projects: ProjectService, *, embedder: Any = None) -> None:
        self.store = store
        self.projects = projects
        if embedder is None:
            from ..indexers.embed import Embedder  # light module: torch is imported only on load()

            embedder = Embedder()
        self.embedder = embedder
        self.vocab = Vocabulary(store)
        self.signals = Signals(store)
        self.suggester = Suggester(store, projects, self.vocab)
        self.doc_vectors = vectors.MatrixIndex(store, "vec_documents")
        self.project_vectors = vectors.MatrixIndex(store, "vec_projects")
        self._tokens_lock = threading.Lock()
        self._tokens_gen: object = None
        self._project_tokens: dict[str, set[int]] = {}
        self._project_token_list: list[str] = []
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
    def _project_index(self) -> tuple[dict[int, ProjectRecord], dict[str, set[int]], list[str]]:
        """Projects by id, and which projects each word of their names/client names belongs to."""
        records = self.projects.all()
        generation = self.store.generation()
        with self._tokens_lock:
            if generation != self._tokens_gen:
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
                self._tokens_gen = generation
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
        try:
            return self.embedder.encode([text])[0]
        except Exception as exc:
            log.warning("query embedding failed: %s", exc)
            return None

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

    def _fts(
        self, table: str, weights: str, expr: str, join: str, scope_sql: str, params: list[Any], limit: int
    ) -> list[int]:
        sql = (
            f"SELECT f.rowid FROM {table} f {join} WHERE {table} MATCH ? AND f.rank MATCH 'bm25({weights})'"
            f"{scope_sql} ORDER BY f.rank LIMIT ?"
        )
        try:
            return [r[0] for r in self.store.query(sql, (expr, *params, limit))]
        except DatabaseError as exc:  # never expected (every token is quoted); never shown raw
            log.warning("full-text query failed (%s) for %r", exc, expr)
            return []

    def _lexical_docs(
        self, groups: list[list[str]], phrases: list[list[str]], scope: _Scope, limit: int = CANDIDATES
    ) -> tuple[list[int], int]:
        """BM25-ranked documents: those with every word first, then (when few) those with any.
        Also returns how many matched every word."""
        if not groups and not phrases:
            return [], 0
        join = "JOIN documents d ON d.id = f.rowid JOIN projects p ON p.id = d.project_id"
        ids = self._fts(
            "search_docs",
            DOC_WEIGHTS,
            match_expression(groups, phrases, mode="and") or "",
            join,
            scope.sql(),
            scope.params,
            limit,
        )
        n_all = len(ids)
        if len(ids) < limit // 4 and len(groups) + len(phrases) > 1:
            more = self._fts(
                "search_docs",
                DOC_WEIGHTS,
                match_expression(groups, phrases, mode="or") or "",
                join,
                scope.sql(),
                scope.params,
                limit,
            )
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
        for code in dict.fromkeys(codes):
            found = self.projects.by_code(code)
            if not found:
                raise NotFound(f"project {code} not found in the index")
            ids |= {p.id for p in found}
        typed: set[int] = set()
        for code in pq.codes:
            found = self.projects.by_code(code)
            if found:
                typed |= {p.id for p in found}
            else:
                notes.append(f"no project {code} in the index")
        if ids and typed:
            both = ids & typed
            ids = both or ids
        elif typed:
            ids = typed
        if ids:
            scope.project_ids = ids
            scope.add(f"d.project_id IN ({_marks(len(ids))})", *sorted(ids))
        types = list(merged.get("doc_type", []))
        if doc_type:
            types.append(doc_type)
        if types:
            scope.add(f"d.doc_type IN ({_marks(len(set(types)))})", *sorted(set(types)))
        if merged.get("ext"):
            scope.add(f"d.ext IN ({_marks(len(merged['ext']))})", *merged["ext"])
        if merged.get("phase"):
            scope.add(f"d.phase IN ({_marks(len(merged['phase']))})", *merged["phase"])
        if merged.get("year"):
            ys = merged["year"]
            scope.add(
                f"(substr(d.doc_date, 1, 4) IN ({_marks(len(ys))}) OR (d.doc_date IS NULL AND "
                f"strftime('%Y', d.mtime, 'unixepoch') IN ({_marks(len(ys))})))",
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
                scope.params.extend([_like(v)] * 3)
            scope.where.append("(" + " OR ".join(conds) + ")")
            scope.restricted = True
        scope.statuses = set(merged.get("status", []))
        if current_only:
            scope.statuses.add("current")
        if scope.statuses == {"current"}:
            scope.add("d.is_archive = 0")
        return scope

    def _load_docs(self, ids: Sequence[int], scope: _Scope) -> dict[int, _Doc]:
        out: dict[int, _Doc] = {}
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.store.query(
                f"SELECT {_DOC_COLS} FROM documents d JOIN projects p ON p.id = d.project_id "
                f"JOIN roots r ON r.id = d.root_id WHERE d.id IN ({_marks(len(chunk))}){scope.sql()}",
                (*chunk, *scope.params),
            )
            for r in rows:
                out[r["id"]] = _Doc.from_row(r)
        return out

    def _mark_current(self, docs: dict[int, _Doc]) -> None:
        """Set ``is_current`` with the domain's rule over each candidate's whole series."""
        if not docs:
            return
        pairs = {(d.project_id, d.series_key) for d in docs.values()}
        pids = sorted({p for p, _ in pairs})
        keys = sorted({k for _, k in pairs})
        peers: dict[tuple[int, str], list[_Doc]] = defaultdict(list)
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            rows = self.store.query(
                f"SELECT {_DOC_COLS} FROM documents d JOIN projects p ON p.id = d.project_id "
                f"JOIN roots r ON r.id = d.root_id WHERE d.project_id IN ({_marks(len(pids))}) "
                f"AND d.series_key IN ({_marks(len(chunk))})",
                (*pids, *chunk),
            )
            for r in rows:
                key = (r["project_id"], r["series_key"])
                if key in pairs:
                    peers[key].append(_Doc.from_row(r))
        current: set[int] = set()
        for group in peers.values():
            current.update(d.id for d in current_by_series(group))
        for d in docs.values():
            d.is_current = d.id in current

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
            join = "JOIN documents d ON d.id = f.rowid JOIN projects p ON p.id = d.project_id"
            lists.append(
                ("substring", 0.5, self._trigram("search_docs_tri", self._trigram_terms(pq), join, scope, CANDIDATES))
            )
            if scope.project_ids is None:
                hinted, hint_words = self._project_hints(pq, corrections)
            if hinted:
                rest = [g for g, t in zip(groups, pq.terms, strict=True) if t not in hint_words]
                sub = _Scope(list(scope.where), list(scope.params), scope.project_ids, scope.statuses, True)
                sub.add(f"d.project_id IN ({_marks(len(hinted))})", *sorted(hinted))
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
                allowed = self._scope_ids(scope) if scope.restricted else None
                hits = self.doc_vectors.search(
                    qv,
                    VECTOR_K * (3 if allowed is None and scope.restricted else 1),
                    allowed=allowed,
                    min_sim=MIN_SIM_DOCS,
                )
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
            ranked = [(d, s, w) for d, s, w in ranked if scope.statuses & set(d.statuses())]
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
            next_offset=offset_i + limit_i if offset_i + limit_i < total else None,
            search_time_ms=_ms(t0),
            facets=facets,
            suggestions=suggestions,
            understood=self._interpretation(pq, corrections),
            semantic=semantic_used,
        )

    def _scope_ids(self, scope: _Scope) -> set[int]:
        rows = self.store.query(
            f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id WHERE 1{scope.sql()} LIMIT 200000",
            scope.params,
        )
        return {r[0] for r in rows}

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
            conds.append(f"(d.doc_type IN ({_marks(len(pq.doc_types))}))")
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
            # Firm-wide family lookups: walk the (doc_type, is_archive, mtime) index, newest first.
            extra = " AND d.is_as_built = 1" if pq.as_built else ""
            sql = (
                f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id WHERE "
                f"d.doc_type IN ({_marks(len(pq.doc_types))}){extra}{scope.sql()} "
                "ORDER BY d.is_archive ASC, d.mtime DESC LIMIT ?"
            )
            return [r[0] for r in self.store.query(sql, [*pq.doc_types, *scope.params, CANDIDATES])]
        order = f"({' + '.join(conds)}) DESC, " if conds else ""
        having = f" AND ({' OR '.join(conds)})" if conds else ""
        sql = (
            f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id WHERE 1{scope.sql()}{having} "
            f"ORDER BY {order}d.is_archive ASC, d.mtime DESC LIMIT ?"
        )
        args = [*scope.params, *(params if having else []), *(params if conds else []), CANDIDATES]
        return [r[0] for r in self.store.query(sql, args)]

    def _rerank_docs(
        self,
        docs: dict[int, _Doc],
        fused: dict[int, float],
        sources: dict[int, list[str]],
        pq: ParsedQuery,
        user: str | None,
        sims: dict[int, float],
        hinted: set[int],
    ) -> list[tuple[_Doc, float, list[str]]]:
        if not docs:
            return []
        top = max(fused.get(i, 0.0) for i in docs) or 1.0
        pop = self.signals.popularity_map()
        mine = self.signals.recent_for(user)
        now = time.time()
        codes = set(pq.codes)
        out: list[tuple[_Doc, float, list[str]]] = []
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
            if pq.revision is not None:
                if d.revision == pq.revision:
                    mult *= 2.0
                    why.append(f"rev {d.revision}")
                else:
                    mult *= 0.8
            if pq.room is not None:
                if d.room == pq.room:
                    mult *= 1.7
                    why.append(f"room {d.room}")
                else:
                    mult *= 0.8
            if pq.change_order is not None:
                if d.change_order == pq.change_order:
                    mult *= 2.0
                    why.append(f"CO{d.change_order}")
                else:
                    mult *= 0.7
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

    def _doc_facets(self, docs: list[_Doc]) -> dict[str, list[FacetValue]]:
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
            for s in d.statuses():
                counters["status"][s] += 1
        out: dict[str, list[FacetValue]] = {}
        for key, counter in counters.items():
            items = counter.most_common(20)
            if key == "year":
                items = sorted(items, key=lambda kv: kv[0], reverse=True)
            out[key] = [FacetValue(value=v, count=n) for v, n in items]
        return out

    def _doc_hits(
        self, page: list[tuple[_Doc, float, list[str]]], pq: ParsedQuery, corrections: dict[str, str]
    ) -> list[DocumentHit]:
        words = set(pq.all_words) | set(corrections.values()) | set(pq.doc_type_words)
        prefixes = [t for t in pq.terms if t not in self.vocab.snapshot().df and len(t) >= 3]
        texts: dict[int, str] = {}
        if page and (pq.terms or pq.phrases):
            ids = [d.id for d, _, _ in page]
            for r in self.store.query(
                f"SELECT doc_id, text FROM document_content WHERE doc_id IN ({_marks(len(ids))}) AND text IS NOT NULL",
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
                    id=d.id,
                    path=str(Path(d.root) / d.rel_path),
                    name=d.name,
                    project_number=d.code,
                    project_name=d.project_name,
                    doc_type=d.doc_type,
                    phase=d.phase,
                    ext=d.ext,
                    revision=d.revision,
                    revision_raw=d.revision_raw,
                    is_current=d.is_current,
                    is_as_built=d.is_as_built,
                    is_archive=d.is_archive,
                    status_tags=list(d.status_tags),
                    room=d.room,
                    change_order=d.change_order,
                    doc_date=d.doc_date,
                    modified=datetime.fromtimestamp(d.mtime, UTC).isoformat(timespec="seconds") if d.mtime else "",
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
                project_number=r.code,
                name=r.name,
                path=r.path,
                client=r.client,
                client_names=list(r.client_names),
                description=r.description,
                doc_count=r.doc_count,
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
            next_offset=offset_i + limit_i if offset_i + limit_i < total else None,
            search_time_ms=_ms(t0),
            facets=facets,
            suggestions=self._suggestions(pq, corrections, total, notes),
            understood=self._interpretation(pq, corrections),
            semantic=semantic_used,
        )

    def _rank_projects(
        self, pq: ParsedQuery, flt: dict[str, list[str]], user: str | None, mode: str, *, light: bool = False
    ) -> tuple[list[tuple[ProjectRecord, float, list[str]]], dict[str, str], bool, list[str]]:
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
                doc_ids, n_all = self._lexical_docs(groups, pq.phrases, scope, limit=300)
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
        ranked: list[tuple[ProjectRecord, float, list[str]]] = []
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
            for r in self.store.query(f"SELECT id, project_id FROM documents WHERE id IN ({_marks(len(ids))})", ids)
        }
        out: list[int] = []
        seen: set[int] = set()
        for i in ids:
            pid = owner.get(i)
            if pid is not None and pid not in seen:
                seen.add(pid)
                out.append(pid)
        return out

    def _project_filter(self, flt: dict[str, list[str]], by_id: dict[int, ProjectRecord]) -> set[int] | None:
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
                f"SELECT DISTINCT project_id FROM documents WHERE doc_type IN ({_marks(len(flt['doc_type']))})",
                flt["doc_type"],
            )
            allowed &= {r[0] for r in rows}
        if flt.get("year"):
            years = set(flt["year"])
            rows = self.store.query(
                "SELECT DISTINCT project_id FROM documents WHERE coalesce(substr(doc_date, 1, 4), "
                f"strftime('%Y', mtime, 'unixepoch')) IN ({_marks(len(years))})",
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
