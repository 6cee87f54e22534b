"""A gradient-boosted tree ensemble stored as arrays and evaluated with numpy.

scikit-learn fits it (``GradientBoostingClassifier``); its trees cannot be stored without pickle,
so the fitted trees' arrays (feature, threshold, children, leaf values) are padded into one
matrix each and evaluated here. The result equals ``decision_function`` exactly (trees compare
float32 features, as scikit-learn does), and loading never runs stored code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ArrayGBM:
    feature: np.ndarray  # (T, N) int32; -2 at leaves
    threshold: np.ndarray  # (T, N) float64
    left: np.ndarray  # (T, N) int32; -1 at leaves
    right: np.ndarray  # (T, N) int32
    value: np.ndarray  # (T, N) float64 leaf values
    init: float
    learning_rate: float
    depth: int

    @classmethod
    def from_sklearn(cls, clf: object, x_sample: np.ndarray) -> ArrayGBM:
        trees = [est[0].tree_ for est in clf.estimators_]  # type: ignore[attr-defined]
        t, n = len(trees), max(tr.node_count for tr in trees)
        feature = np.full((t, n), -2, np.int32)
        threshold = np.zeros((t, n))
        left = np.full((t, n), -1, np.int32)
        right = np.full((t, n), -1, np.int32)
        value = np.zeros((t, n))
        for i, tr in enumerate(trees):
            m = tr.node_count
            feature[i, :m] = tr.feature
            threshold[i, :m] = tr.threshold
            left[i, :m] = tr.children_left
            right[i, :m] = tr.children_right
            value[i, :m] = tr.value[:, 0, 0]
        lr = float(clf.learning_rate)  # type: ignore[attr-defined]
        depth = max(int(tr.max_depth) for tr in trees)
        model = cls(feature, threshold, left, right, value, 0.0, lr, depth)
        # The initial raw score (log-odds of the prior): whatever the trees do not explain.
        raw = clf.decision_function(x_sample[:1])  # type: ignore[attr-defined]
        model.init = float(raw[0] - model.decision(x_sample[:1])[0])
        return model

    def decision(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32).astype(np.float64)
        n = x.shape[0]
        t = self.feature.shape[0]
        if n == 0 or t == 0:
            return np.full(n, self.init)
        trees = np.arange(t)[:, None]
        rows = np.arange(n)[None, :]
        node = np.zeros((t, n), np.int64)
        for _ in range(self.depth):
            f = self.feature[trees, node]
            leaf = f < 0
            go_left = x[rows, np.maximum(f, 0)] <= self.threshold[trees, node]
            nxt = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(leaf, node, nxt)
        return self.init + self.learning_rate * self.value[trees, node].sum(axis=0)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision(x)))

    def arrays(self, prefix: str = "gbm_") -> dict[str, np.ndarray]:
        return {
            f"{prefix}feature": self.feature,
            f"{prefix}threshold": self.threshold,
            f"{prefix}left": self.left,
            f"{prefix}right": self.right,
            f"{prefix}value": self.value,
            f"{prefix}scalars": np.array([self.init, self.learning_rate, self.depth], np.float64),
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], prefix: str = "gbm_") -> ArrayGBM | None:
        if f"{prefix}feature" not in a:
            return None
        init, lr, depth = a[f"{prefix}scalars"].tolist()
        return cls(
            a[f"{prefix}feature"],
            a[f"{prefix}threshold"],
            a[f"{prefix}left"],
            a[f"{prefix}right"],
            a[f"{prefix}value"],
            float(init),
            float(lr),
            int(depth),
        )
