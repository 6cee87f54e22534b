"""A sequence model for the next project: a small GRU over each user's project sequence.

A candidate beside the gradient-boosted re-ranker, kept only when it wins offline on the same
held-out transitions. Trained with torch (imported here only, lazily, when it trains); stored as
plain arrays (the module's state_dict as numpy, no pickle) and served with numpy alone: a GRU
step over 20 projects is a few small matrix products, cheaper than loading torch to serve.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analytics.history import InteractionColumns
from ..recommend.state import DAY_MS

if TYPE_CHECKING:
    import torch

EMBED = 32
HIDDEN = 64
SEQ_LEN = 20  # projects of context, training windows and serving alike
EPOCHS = 6
TIME_BUDGET_S = 20.0  # training stops after the epoch that crosses it (a candidate: bounded retrain)
BATCH = 64
MAX_VISITS = 2000  # newest visits per user used for training: bounds a retrain of a large log
PARAMS = ("embedding.weight", "gru.weight_ih_l0", "gru.weight_hh_l0", "gru.bias_ih_l0", "gru.bias_hh_l0")
PARAMS_OUT = ("out.weight", "out.bias")


def collapse(tokens: Sequence[int]) -> list[int]:
    """A project sequence without consecutive repeats (several events on one project = one visit)."""
    out: list[int] = []
    for t in tokens:
        if not out or out[-1] != t:
            out.append(t)
    return out


def _module(n_tokens: int) -> torch.nn.Module:
    import torch
    from torch import nn

    class GRUNext(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(n_tokens, EMBED, padding_idx=0)
            self.gru = nn.GRU(EMBED, HIDDEN, batch_first=True)
            self.out = nn.Linear(HIDDEN, n_tokens)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h, _ = self.gru(self.embedding(x))
            return self.out(h)  # logits for the next project after each step

    torch.manual_seed(0)
    return GRUNext()


def fit_gru(
    sequences: Sequence[Sequence[int]],
    n_projects: int,
    *,
    seed: int = 0,
    epochs: int = EPOCHS,
    time_budget_s: float = TIME_BUDGET_S,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Train on project-index sequences (0..n_projects-1); returns the weights as numpy arrays.

    Each sequence is cut into windows of ``SEQ_LEN + 1``; every step predicts the next project
    (teacher forcing). Windows are right-padded and the padding is masked out of the loss, so a
    padded window trains exactly like a short one.
    """
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # two cores shared with serving: training must not starve it
    windows: list[list[int]] = []
    for seq in sequences:
        tokens = [j + 1 for j in collapse(seq)]  # 0 is padding
        for lo in range(0, max(0, len(tokens) - 1), SEQ_LEN):
            w = tokens[lo : lo + SEQ_LEN + 1]
            if len(w) >= 2:
                windows.append(w)
    n_tokens = n_projects + 1
    model = _module(n_tokens)
    if windows:
        data = torch.zeros((len(windows), SEQ_LEN + 1), dtype=torch.long)
        for i, w in enumerate(windows):
            data[i, : len(w)] = torch.tensor(w)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss(ignore_index=0)
        gen = torch.Generator().manual_seed(seed)
        started = time.monotonic()
        for epoch in range(epochs):
            order = torch.randperm(len(windows), generator=gen)
            for lo in range(0, len(windows), BATCH):
                batch = data[order[lo : lo + BATCH]]
                logits = model(batch[:, :-1])
                loss = loss_fn(logits.reshape(-1, n_tokens), batch[:, 1:].reshape(-1))
                opt.zero_grad()
                loss.backward()
                opt.step()
            if progress:
                progress((epoch + 1) / epochs, f"GRU epoch {epoch + 1}: loss {loss.item():.3f}")
            if time.monotonic() - started > time_budget_s:
                break
    state = model.state_dict()
    return {name: state[name].detach().cpu().numpy().astype(np.float32) for name in (*PARAMS, *PARAMS_OUT)}


def to_torch(arrays: dict[str, np.ndarray]) -> torch.nn.Module:
    """The torch module rebuilt from stored arrays (for checks and further training)."""
    import torch

    model = _module(int(arrays["embedding.weight"].shape[0]))
    model.load_state_dict({k: torch.from_numpy(np.asarray(arrays[k], np.float32)) for k in (*PARAMS, *PARAMS_OUT)})
    model.eval()
    return model


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class GRUScorer:
    """The stored GRU served with numpy: scores of every project as the next after a sequence."""

    def __init__(self, arrays: dict[str, Any]) -> None:
        self.emb = np.asarray(arrays["embedding.weight"], np.float64)
        self.w_ih = np.asarray(arrays["gru.weight_ih_l0"], np.float64)
        self.w_hh = np.asarray(arrays["gru.weight_hh_l0"], np.float64)
        self.b_ih = np.asarray(arrays["gru.bias_ih_l0"], np.float64)
        self.b_hh = np.asarray(arrays["gru.bias_hh_l0"], np.float64)
        self.out_w = np.asarray(arrays["out.weight"], np.float64)
        self.out_b = np.asarray(arrays["out.bias"], np.float64)
        self.codes: list[str] = [str(c) for c in arrays["codes"].tolist()] if "codes" in arrays else []
        self.index = {c: j for j, c in enumerate(self.codes)}
        n, hidden = self.emb.shape[0], self.w_hh.shape[1]
        if (
            self.w_ih.shape != (3 * hidden, self.emb.shape[1])
            or self.w_hh.shape != (3 * hidden, hidden)
            or self.out_w.shape != (n, hidden)
            or (self.codes and len(self.codes) != n - 1)
        ):
            raise ValueError("GRU array shapes do not match")

    def logits(self, sequence: Sequence[int]) -> np.ndarray:
        """Next-project logits (index = project index) after ``sequence`` (project indices, oldest first)."""
        hidden = self.w_hh.shape[1]
        h = np.zeros(hidden)
        for j in collapse(sequence)[-SEQ_LEN:]:
            x = self.emb[j + 1]
            gi = self.w_ih @ x + self.b_ih
            gh = self.w_hh @ h + self.b_hh
            r = _sigmoid(gi[:hidden] + gh[:hidden])
            z = _sigmoid(gi[hidden : 2 * hidden] + gh[hidden : 2 * hidden])
            n = np.tanh(gi[2 * hidden :] + r * gh[2 * hidden :])
            h = (1.0 - z) * n + z * h
        return (self.out_w @ h + self.out_b)[1:]

    def score_codes(self, sequence: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """Softmax over ``candidates`` (project numbers) after ``sequence`` (project numbers)."""
        known = [self.index[c] for c in sequence if c in self.index]
        logits = self.logits(known)
        cand = np.array([logits[self.index[c]] if c in self.index else -np.inf for c in candidates])
        if not len(cand) or not np.isfinite(cand).any():
            return np.zeros(len(candidates))
        e = np.exp(cand - cand[np.isfinite(cand)].max())
        return e / e.sum()


def user_sequences(cols: InteractionColumns, index: dict[str, int], until_ms: int) -> list[list[int]]:
    """Each user's project sequence (project indices of ``index``) from events before ``until_ms``."""
    n = int(np.searchsorted(cols.ts_ms, until_ms, side="left"))
    codes = [index.get(c, -1) for c in cols.projects]
    by_user: dict[int, list[int]] = {}
    for u, p in zip(cols.user[:n].tolist(), cols.project[:n].tolist(), strict=True):
        j = codes[p]
        seq = by_user.setdefault(u, [])
        if j >= 0 and (not seq or seq[-1] != j):
            seq.append(j)
    return [seq[-MAX_VISITS:] for seq in by_user.values()]


def train_next_project_gru(
    cols: InteractionColumns,
    *,
    window_days: int = 7,
    seed: int = 0,
    epochs: int = EPOCHS,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The GRU on the re-ranker's time split, and both measured on the same held-out transitions.

    Ranks the same candidates the re-ranker ranks (the candidate generator is shared), so the
    two HR@3 figures differ only by the ranking model.
    """
    from .train import collect, evaluate, fit, rank_of, summary

    def step(lo: float, hi: float) -> Callable[[float, str], None] | None:
        return None if progress is None else (lambda f, m: progress(lo + (hi - lo) * f, m))

    end = int(cols.ts_ms[-1])
    test_from = end - window_days * DAY_MS
    train, test, state = collect(cols, test_from_ms=test_from, seed=seed, progress=step(0.0, 0.4))
    sequences = user_sequences(cols, state.index, test_from)
    arrays = fit_gru(sequences, state.n_projects, seed=seed, epochs=epochs, progress=step(0.4, 0.9))
    arrays["codes"] = np.array(state.codes)
    scorer = GRUScorer(arrays)
    ranks = []
    for s in test:
        logits = scorer.logits(s.history)
        ranked = [s.cands[i] for i in np.argsort(-logits[s.cands], kind="stable")] if s.cands else []
        ranks.append(rank_of(ranked, s.target))
    metrics: dict[str, Any] = dict(summary(ranks))
    if progress:
        progress(0.92, "the re-ranker on the same transitions")
    rival = evaluate(fit(train, seed=seed), test)
    # What the GRU must beat: the re-ranker, or the best baseline when there is too little to fit one.
    rival_name = (
        "reranker"
        if "reranker" in rival
        else max(("last_visited", "frecency", "markov"), key=lambda k: rival[k]["hr@3"])
    )
    metrics.update({f"{rival_name}.{k}": v for k, v in rival[rival_name].items()})
    metrics["rival"] = rival_name
    metrics["beats_rival"] = bool(metrics["hr@3"] > rival[rival_name]["hr@3"])
    metrics["test_transitions"] = len(test)
    metrics["train_sequences"] = len(sequences)
    return arrays, metrics


__all__ = ["EMBED", "HIDDEN", "SEQ_LEN", "GRUScorer", "collapse", "fit_gru", "to_torch", "train_next_project_gru"]
