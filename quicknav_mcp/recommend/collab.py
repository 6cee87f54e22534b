"""Collaborative filtering: an implicit user × project matrix → TruncatedSVD factors.

Cells are the users' decayed, type-weighted interactions (a document opened counts more than a
search; last month counts more than last year), log-scaled and row-normalised. Serving folds a
user in by projecting their current row onto the item factors (``x V``), so a new event moves
their answer at once without a retrain; user-based neighbours compare those folded vectors with
the stored user factors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .signals import user_view
from .state import UsageState

USER_NEIGHBOURS = 20


def user_row(own: dict[int, float], n: int, proj_map: np.ndarray) -> np.ndarray | None:
    """A user's normalised row in the model's project order (``proj_map``: state index → model index)."""
    x = np.zeros(n, np.float32)
    for j, w in own.items():
        if j < proj_map.shape[0] and proj_map[j] >= 0:
            x[proj_map[j]] += np.log1p(w)
    norm = float(np.linalg.norm(x))
    return x / norm if norm > 0 else None


@dataclass
class CollabModel:
    codes: list[str]
    item: np.ndarray  # (P, k) item factors (V)
    users: list[str]
    user_f: np.ndarray  # (U, k) unit-length user factors
    rows_ptr: np.ndarray  # CSR of the training matrix, for user-based neighbours
    rows_idx: np.ndarray
    rows_val: np.ndarray

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.codes)}
        self.user_index = {u: i for i, u in enumerate(self.users)}
        norms = np.linalg.norm(self.item, axis=1, keepdims=True)
        self.item_unit = self.item / np.where(norms > 0, norms, 1.0)

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "collab_codes": np.array(self.codes, dtype=str),
            "collab_item": self.item.astype(np.float32),
            "collab_users": np.array(self.users, dtype=str),
            "collab_user_f": self.user_f.astype(np.float32),
            "collab_rows_ptr": self.rows_ptr,
            "collab_rows_idx": self.rows_idx,
            "collab_rows_val": self.rows_val,
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> CollabModel | None:
        if "collab_codes" not in a:
            return None
        return cls(
            codes=[str(c) for c in a["collab_codes"].tolist()],
            item=a["collab_item"],
            users=[str(u) for u in a["collab_users"].tolist()],
            user_f=a["collab_user_f"],
            rows_ptr=a["collab_rows_ptr"],
            rows_idx=a["collab_rows_idx"],
            rows_val=a["collab_rows_val"],
        )

    def scores(self, x: np.ndarray, *, exclude_user: str | None = None) -> np.ndarray:
        """Item-based (projection onto the factors) plus user-based neighbour scores, in model order."""
        u = x @ self.item  # fold-in
        item_based = self.item @ u
        out = np.maximum(item_based, 0)
        norm = float(np.linalg.norm(u))
        if norm > 0 and len(self.users):
            sims = self.user_f @ (u / norm)
            if exclude_user is not None and exclude_user in self.user_index:
                sims[self.user_index[exclude_user]] = -1.0
            k = min(USER_NEIGHBOURS, len(sims))
            top = np.argpartition(-sims, k - 1)[:k]
            user_based = np.zeros_like(out)
            for v in top:
                s = float(sims[v])
                if s <= 0:
                    continue
                lo, hi = self.rows_ptr[v], self.rows_ptr[v + 1]
                user_based[self.rows_idx[lo:hi]] += s * self.rows_val[lo:hi]
            peak_i, peak_u = float(out.max(initial=0)), float(user_based.max(initial=0))
            if peak_i > 0:
                out = out / peak_i
            if peak_u > 0:
                out = out + user_based / peak_u
        return out

    def closest(self, candidates: list[int], target: int) -> tuple[int, float] | None:
        """Which of ``candidates`` (model indexes) is most like ``target`` in factor space."""
        if not candidates:
            return None
        sims = self.item_unit[candidates] @ self.item_unit[target]
        k = int(np.argmax(sims))
        return candidates[k], float(sims[k])


def fit_collab(state: UsageState, at_ms: int, *, components: int = 48, seed: int = 0) -> CollabModel | None:
    """Factor the users' decayed interaction matrix as of ``at_ms``."""
    from scipy.sparse import csr_matrix

    users = [u for u, log in state.users.items() if log.cut(at_ms) > 0]
    n = state.n_projects
    if len(users) < 2 or n < 3:
        return None
    ptr, idx, val = [0], [], []
    for u in users:
        own = user_view(state, u, at_ms).own
        items = sorted(own.items())
        row = np.log1p(np.array([w for _, w in items], np.float32))
        norm = float(np.linalg.norm(row))
        idx.extend(j for j, _ in items)
        val.extend((row / norm if norm > 0 else row).tolist())
        ptr.append(len(idx))
    x = csr_matrix((np.array(val, np.float32), np.array(idx, np.int32), np.array(ptr, np.int64)), shape=(len(users), n))
    k = max(1, min(components, min(x.shape) - 1))
    from sklearn.decomposition import TruncatedSVD

    svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=5, random_state=seed)
    uf = svd.fit_transform(x)
    norms = np.linalg.norm(uf, axis=1, keepdims=True)
    uf = uf / np.where(norms > 0, norms, 1.0)
    return CollabModel(
        codes=list(state.codes[:n]),
        item=svd.components_.T.astype(np.float32),
        users=users,
        user_f=uf.astype(np.float32),
        rows_ptr=x.indptr.astype(np.int64),
        rows_idx=x.indices.astype(np.int32),
        rows_val=x.data.astype(np.float32),
    )
