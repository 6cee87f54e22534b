"""Semantic retrieval: the query's embedding against the in-memory vector matrices (exact KNN)."""

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
from .versions import Versions

log = logging.getLogger(__name__)

VECTOR_K = 100
QUERY_VECTOR_CACHE = 512  # query text -> embedding (pagination and retyped queries embed once)
MIN_SIM_DOCS = 0.30
MIN_SIM_PROJECTS = 0.30


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
        self.doc_vectors = vectors.MatrixIndex(store, "vec_documents", versions)
        self.project_vectors = vectors.MatrixIndex(store, "vec_projects", versions)
        self._lock = threading.Lock()
        self._query_vectors: OrderedDict[tuple[str, str], Any] = OrderedDict()

    def ready(self) -> bool:
        """True when query vectors can be made and document vectors exist."""
        if not self.store.vec_available or getattr(self.embedder, "disabled", False):
            return False
        if not table_exists(self.store, "vec_documents"):
            return False
        if self.store.query_one("SELECT 1 FROM embedding_state WHERE model = ? LIMIT 1", (self.embedder.name,)) is None:
            return False
        return self.embedder.load()

    def query_vector(self, text: str) -> Any:
        """The query's embedding; the last few hundred are kept (the next page of results, a query
        typed again, search_projects after search_documents) so each is computed once (~7 ms)."""
        key = (self.embedder.name, text)
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

    def refresh_documents(self) -> None:
        """Load document vectors embedded since the last query."""
        self.doc_vectors.refresh(self.embedder.name)

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
        index, k = self.doc_vectors, self.k
        if not scope.restricted:
            return index.search(qv, k, min_sim=MIN_SIM_DOCS)
        if scope.project_ids is not None:
            return index.search(qv, k, allowed=self.scope_ids(scope), min_sim=MIN_SIM_DOCS)
        wide = k * 10
        raw = index.search(qv, wide, min_sim=MIN_SIM_DOCS)
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
        return index.search(qv, k, allowed=self.scope_ids(scope), min_sim=MIN_SIM_DOCS)

    def project_hits(self, qv: Any) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """The projects nearest to ``qv``, and the documents nearest to it (for their projects)."""
        self.project_vectors.refresh(self.embedder.name)
        self.doc_vectors.refresh(self.embedder.name)
        phits = self.project_vectors.search(qv, 50, min_sim=MIN_SIM_PROJECTS)
        dhits = self.doc_vectors.search(qv, 300, min_sim=MIN_SIM_DOCS)
        return phits, dhits
