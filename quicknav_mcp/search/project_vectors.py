"""What each project is about, as one vector built from its documents' vectors.

A project's own vector (``vec_projects``) embeds its folder name, clients and description: a
few abbreviated words ("GC BR Refurb"). Its documents say far more — scopes, proposals,
designs, handover text — and each already has a vector (name, folders and extracted text). The
*project meaning* vector is their family-weighted mean, normalised: a description in other words
("refit of the directors' meeting room") lands near the projects whose documents talk about that,
though no word is shared. It complements the project's own vector (a separate list of project
search); blending the two into one measured worse on paraphrased descriptions (MRR 0.56 -> 0.45
as the own vector's share grew from 0 to 2, demo firms 7 and 8).

Built in memory from the document matrix search already holds (no table, no extra embedding),
again only when the embeddings change; a query is one small matrix-vector product.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..store import Store
from .versions import Versions

if TYPE_CHECKING:
    from .vectors import MatrixIndex

# Families whose text says what the job is; templates, photos and datasheets say little.
WEIGHTS = {"scope": 3.0, "proposal": 3.0, "lld": 2.0, "hld": 2.0, "handover": 1.5, "sales_po": 1.5}
LOW = {"manual": 0.3, "photos": 0.3, "other": 0.5, "invoice": 0.5}
MIN_SIM = 0.25
_BLOCK = 8192  # document rows summed at a time


def _matrix(index: MatrixIndex) -> tuple[Any, Any]:
    # The matrix index's arrays, read without copying (they are replaced, never mutated, on refresh).
    return index._matrix, index._ids_array


class ProjectMeaning:
    """Project vectors from document vectors; nearest projects to a query vector."""

    def __init__(self, store: Store, documents: MatrixIndex, versions: Versions) -> None:
        self.store = store
        self.documents = documents
        self.versions = versions
        self._lock = threading.Lock()
        self._key: object = None
        self._matrix: Any = None
        self._ids: Any = None

    def refresh(self, model: str) -> None:
        """Rebuild the project vectors when the embeddings changed since the last build."""
        self.documents.refresh(model)
        key = (model, self.versions.get("embeddings", "documents"))
        if key == self._key:
            return
        import numpy as np

        from .vector_index import as_float32

        with self._lock:
            if key == self._key:
                return
            doc_matrix, doc_ids = _matrix(self.documents)
            if doc_matrix is None or doc_ids is None:
                self._matrix, self._ids, self._key = None, None, key
                return
            rows, weight, pids = self._owners(doc_ids)
            # Documents grouped by project, summed per group (reduceat: ~10x faster than add.at), a
            # block of rows at a time: the whole two-byte matrix upcast and weighted at once took
            # ~270 MB for a moment at 116k documents.
            order = np.flatnonzero(rows >= 0)
            order = order[np.argsort(rows[order], kind="stable")]
            sums = np.zeros((len(pids), doc_matrix.shape[1]), np.float32)
            for lo in range(0, len(order), _BLOCK):
                part = order[lo : lo + _BLOCK]
                grouped = rows[part]
                starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
                block = as_float32(doc_matrix[part]) * weight[part, None]
                sums[grouped[starts]] += np.add.reduceat(block, starts, axis=0)  # groups unique in a block
            sums = _normalise(sums)
            self._matrix = sums
            self._ids = np.asarray(pids, np.int64)
            self._key = key

    def _owners(self, doc_ids: Any) -> tuple[Any, Any, list[int]]:
        """For each of ``doc_ids``: its project's row (-1 when unknown) and its family weight;
        and the project ids, one per row."""
        import numpy as np

        ids_l: list[int] = []
        projects_l: list[int] = []
        weights_l: list[float] = []
        with self.store.scan_reader() as rows_read:
            for doc_id, project_id, doc_type in rows_read("SELECT id, project_id, doc_type FROM documents ORDER BY id"):
                ids_l.append(doc_id)
                projects_l.append(project_id)
                weights_l.append(_weight(doc_type))
        ids, projects = np.asarray(ids_l, np.int64), np.asarray(projects_l, np.int64)
        weights = np.asarray(weights_l, np.float32)
        del ids_l, projects_l, weights_l
        pids = np.unique(projects)
        at = np.searchsorted(ids, doc_ids)
        found = at < len(ids)
        found[found] = ids[at[found]] == doc_ids[found]
        rows = np.full(len(doc_ids), -1, np.int64)
        rows[found] = np.searchsorted(pids, projects[at[found]])
        weight = np.full(len(doc_ids), _weight("other"), np.float32)
        weight[found] = weights[at[found]]
        return rows, weight, pids.tolist()

    def hits(self, query: Any, model: str, k: int = 50) -> list[tuple[int, float]]:
        """``(project id, cosine similarity)`` of the ``k`` projects nearest to ``query``."""
        import numpy as np

        self.refresh(model)
        matrix, ids = self._matrix, self._ids
        if matrix is None or ids is None or not len(ids):
            return []
        sims = matrix @ np.asarray(query, np.float32).reshape(-1)
        n = min(k, len(sims))
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top])]
        return [(int(ids[i]), float(sims[i])) for i in top if sims[i] >= MIN_SIM]


def _weight(doc_type: str) -> float:
    return WEIGHTS.get(doc_type, LOW.get(doc_type, 1.0))


def _normalise(m: Any) -> Any:
    import numpy as np

    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1.0, norms)
