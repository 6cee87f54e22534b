"""Semantic retrieval: the query's embedding against the in-memory vector matrices (exact KNN).

A document is found by its best vector: the one of what identifies it (name, folders, project,
family; every document has one) or the one of what it says (its extracted text, when it has
any). Each document keeps the higher of the two cosine similarities (see ``bench/bench_embed.py``
and ``bench/search_quality.py`` for how that compares with one mixed vector).

Until the model is loaded a server does not wait for it (5-8 s): :meth:`Semantic.warm_up` loads
it on a thread, and meanwhile searches answer with words only and say so in their suggestions.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any, Protocol

from ..repo.sql import in_chunks, marks
from ..repo.vectors import table_exists
from ..store import Store
from . import vectors
from .scope import Scope
from .vectors import best_per_id
from .versions import Versions

log = logging.getLogger(__name__)

VECTOR_K = 100
QUERY_VECTOR_CACHE = 512  # query text -> embedding (pagination and retyped queries embed once)
MIN_SIM_DOCS = 0.30
MIN_SIM_PROJECTS = 0.30
# The warm-up's import of torch holds the interpreter for seconds: it starts after a client's
# first requests (initialize, tools/list) have been answered.
WARM_UP_DELAY_S = 1.0
WARMING_NOTE = "semantic search is still loading its model (a few seconds after start-up): answered by words only"


class QueryEncoder(Protocol):
    """What search needs of an embedder (the one in ``indexers.embed`` is injected)."""

    name: str

    def encode(self, texts: list[str]) -> Any: ...

    def load(self) -> bool: ...

    def status(self) -> str: ...


class NoEncoder:
    """No embedding model was given: semantic retrieval is off (lexical search works as ever)."""

    name = "none"
    disabled = True
    dim = None

    def encode(self, texts: list[str]) -> Any:
        raise RuntimeError("no embedding model")

    def load(self) -> bool:
        return False

    def status(self) -> str:
        return "unavailable: no embedding model was given to search"


class Semantic:
    """Query vectors (cached) and nearest documents/projects. ``k`` is :data:`VECTOR_K`."""

    def __init__(self, store: Store, embedder: Any, versions: Versions, *, k: int = VECTOR_K) -> None:
        self.store = store
        self.embedder = embedder
        self.k = k
        self.doc_vectors = vectors.MatrixIndex(store, "vec_documents", versions)  # identity vectors
        self.content_vectors = vectors.MatrixIndex(store, "vec_doc_content", versions)
        self.project_vectors = vectors.MatrixIndex(store, "vec_projects", versions)
        self.wait_for_model = True  # False once warm_up() ran: searches never wait for the model
        self._lock = threading.Lock()
        self._query_vectors: OrderedDict[tuple[str, tuple[int, ...] | str], Any] = OrderedDict()

    def warm_up(self, *, delay: float = WARM_UP_DELAY_S) -> bool:
        """Load the model on a thread (after ``delay`` s) and stop waiting for it in searches; False
        when there is nothing to load for (no model, no sqlite-vec, no vectors yet: then the
        embedding worker loads it when it first runs)."""
        if not self.has_vectors():
            return False
        start = getattr(self.embedder, "load_in_background", None)
        if start is None:
            return False
        self.wait_for_model = False
        start(delay=delay)
        return True

    def has_vectors(self) -> bool:
        """Document vectors of this model exist (and sqlite-vec and a model are there)."""
        if not self.store.vec_available or getattr(self.embedder, "disabled", False):
            return False
        if not table_exists(self.store, "vec_documents"):
            return False
        model = self.embedder.name
        return self.store.query_one("SELECT 1 FROM embedding_state WHERE model = ? LIMIT 1", (model,)) is not None

    def ready(self, notes: list[str] | None = None) -> bool:
        """True when query vectors can be made and document vectors exist. While a warming-up
        model loads, False with a note in ``notes`` (the answer then says it used words only)."""
        if not self.has_vectors():
            return False
        if self.wait_for_model or getattr(self.embedder, "loaded", True):
            return self.embedder.load()
        if getattr(self.embedder, "loading", False) and notes is not None:
            notes.append(WARMING_NOTE)
        return False

    def note_unused(self, notes: list[str]) -> None:
        """A search asked for by meaning only that could not use vectors says why in ``notes`` (the
        answer then holds only what facts or words found): the model still loading says so already
        (:meth:`ready`), else the model's status, or no document vectors yet."""
        if WARMING_NOTE in notes:
            return
        status = str(self.embedder.status())
        if status.startswith("unavailable"):
            reason = f"semantic search is {status}"
        elif not self.has_vectors():
            reason = "semantic search has no document vectors yet (the embedding worker has not run)"
        else:
            reason = "semantic search could not embed the query"
        notes.append(f"{reason}: not answered by meaning")

    def query_vector(self, text: str) -> Any:
        """The query's embedding; the last few hundred are kept (the next page of results, a query
        typed again, search_projects after search_documents) so each is computed once (~7 ms).
        Texts the model reads alike share one (see :meth:`_cache_key`)."""
        key = self._cache_key(text)
        with self._lock:
            held = self._query_vectors.get(key)
            if held is not None:
                self._query_vectors.move_to_end(key)
                return held
        try:
            vec = self.embedder.encode([text])[0]
        except Exception as exc:
            log.warning("query embedding failed: %s", exc)
            return None
        with self._lock:
            self._query_vectors[key] = vec
            while len(self._query_vectors) > QUERY_VECTOR_CACHE:
                self._query_vectors.popitem(last=False)
        return vec

    def _cache_key(self, text: str) -> tuple[str, tuple[int, ...] | str]:
        """What the model embeds of ``text``: its token ids when the embedder gives them (then
        "Boardroom  Upgrade" and "boardroom upgrade" are one entry for an uncased model, exactly
        when their embeddings are equal; ~0.05 ms), else the text with its spaces collapsed."""
        tokenize = getattr(self.embedder, "token_ids", None)
        if tokenize is not None:
            try:
                ids = tokenize([text])
            except Exception as exc:  # the model failed to load: encode() says so
                log.debug("query tokens unavailable: %s", exc)
                ids = None
            if ids:
                return self.embedder.name, tuple(ids[0])
        return self.embedder.name, " ".join(text.split())

    def refresh_documents(self) -> None:
        """Load document vectors (both kinds) embedded since the last query."""
        self.doc_vectors.refresh(self.embedder.name)
        self.content_vectors.refresh(self.embedder.name)

    def _nearest(self, qv: Any, k: int, allowed: list[int] | None = None) -> list[tuple[int, float]]:
        """The ``k`` documents nearest to ``qv`` by their best vector (identity or content)."""
        hits = [self.doc_vectors.search(qv, k, allowed=allowed, min_sim=MIN_SIM_DOCS)]
        if len(self.content_vectors):
            hits.append(self.content_vectors.search(qv, k, allowed=allowed, min_sim=MIN_SIM_DOCS))
        return best_per_id(*hits)[:k]

    def clear(self) -> None:
        """Forget the cached query embeddings."""
        with self._lock:
            self._query_vectors.clear()

    def scope_ids(self, scope: Scope) -> list[int]:
        """Every document id in ``scope``."""
        rows = self.store.query(
            f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id WHERE 1{scope.sql()} LIMIT 200000",
            scope.params,
        )
        return [r[0] for r in rows]

    def document_hits(self, qv: Any, scope: Scope) -> list[tuple[int, float]]:
        """The ``k`` documents nearest to ``qv`` within ``scope`` (exact).

        A project scope is small: its ids come from the project index and only its rows are
        compared. Any other filter (type, extension, year, client, current...) may cover most of the
        firm, where listing its ids and gathering their rows cost more than the product itself; so
        the 10x nearest are taken firm-wide and those in scope kept. That is exact whenever at
        least ``k`` of them are in scope or the similarity floor cut the list; otherwise (a
        very selective filter) the scope's ids are listed after all. Call
        :meth:`refresh_documents` first."""
        k = self.k
        if not scope.restricted:
            return self._nearest(qv, k)
        if scope.project_ids is not None:
            return self._nearest(qv, k, self.scope_ids(scope))
        wide = k * 10
        raw = self._nearest(qv, wide)
        inside: set[int] = set()
        for chunk in in_chunks(i for i, _ in raw):
            inside.update(
                r[0]
                for r in self.store.query(
                    f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id "
                    f"WHERE d.id IN ({marks(len(chunk))}){scope.sql()}",
                    (*chunk, *scope.params),
                )
            )
        kept = [h for h in raw if h[0] in inside]
        if len(kept) >= k or len(raw) < wide:
            return kept[:k]
        return self._nearest(qv, k, self.scope_ids(scope))

    def project_hits(self, qv: Any) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """The projects nearest to ``qv``, and the documents nearest to it (for their projects)."""
        self.project_vectors.refresh(self.embedder.name)
        self.refresh_documents()
        phits = self.project_vectors.search(qv, 50, min_sim=MIN_SIM_PROJECTS)
        dhits = self._nearest(qv, 300)
        return phits, dhits
