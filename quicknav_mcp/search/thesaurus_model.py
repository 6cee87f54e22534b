"""Concepts a request names in words the thesaurus does not hold, found by the embedding model.

The thesaurus (thesaurus.py) knows the ways of saying a room, a system or a kind of works that it
lists; people find others ("expo centre", "scaling up", "civic chambers"). The sentence model
already relates many of them to a listed phrase, though a whole request's vector, where the
phrase is one part among filler, places and the other concept, loses that relation. So each short
word run of the request that no listed phrase covers is embedded alone and compared with every
listed phrase: a run close to one concept's phrases, and clearly closer to it than to any other
concept's, names that concept, and :func:`thesaurus.plainly` says it by its own name like a listed
phrase. Nothing is listed for it: the relation is the model's.

The phrases' vectors are made once per model and thesaurus (~400 short texts, ~1 s of CPU) by
the project search's background build when the model is already loaded then, else by the first
describing request that needs them (concurrent requests wait for that one); a request's runs are
embedded together (a few per request: only the words no phrase covered) and kept for the next request.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from . import thesaurus
from .text import FILLER, STOPWORDS

log = logging.getLogger(__name__)

MIN_SIM = 0.6
"""A run names a concept from this cosine similarity with one of its phrases."""
MARGIN = 0.06
"""... and when that is this much above the best phrase of any other concept."""
MAX_RUN = 3  # words in a run
MAX_RUNS = 24  # runs embedded per request (the longest requests: words past it are left)
_KEEP = 2048  # run vectors kept across requests
_GENERIC_TEXT = """room rooms space spaces area areas hall centre center building floor level site sites suite
    work works project projects job jobs new old big small main large one ones thing things folder folders file
    files stuff place places there here"""
_GENERIC = frozenset(thesaurus.fold(w) for w in _GENERIC_TEXT.split())
"""Words that name no concept alone (a head word, the job itself): a run needs another word."""


class ModelThesaurus:
    """The listed phrases' vectors per model, and the concepts a request's other words name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._making = threading.Lock()  # one thread embeds the phrases; others wait for its answer
        self._phrases: dict[tuple[str, int], tuple[Any, list[str]]] = {}  # (model, index id) -> (matrix, concepts)
        self._runs: OrderedDict[tuple[str, str], Any] = OrderedDict()  # (model, run) -> unit vector

    def phrases(self, embedder: Any) -> tuple[Any, list[str]]:
        """Every listed phrase's unit vector (rows) and its concept, embedded once per model."""

        runs = thesaurus._index()[0]
        key = (embedder.name, id(runs))
        held = self._phrases.get(key)
        if held is not None:
            return held
        with self._making:
            held = self._phrases.get(key)
            return held if held is not None else self._make(embedder, key, runs)

    def _make(self, embedder: Any, key: tuple[str, int], runs: dict[Any, str]) -> tuple[Any, list[str]]:
        import numpy as np

        texts: list[str] = []
        concepts: list[str] = []
        for concept, listed in thesaurus.CONCEPTS.items():
            for phrase in dict.fromkeys((concept, *listed)):
                if runs.get(tuple(thesaurus.stem(w) for w in thesaurus.words_of(phrase))) == concept:
                    texts.append(phrase)
                    concepts.append(concept)
        m = np.asarray(embedder.encode(texts), np.float32)
        m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
        with self._lock:
            self._phrases = {key: (m, concepts)}  # one model's at a time
        return m, concepts

    def warm(self, embedder: Any) -> None:
        """Embed the phrases on a thread of their own now if the model is loaded (else the first
        request that needs them does)."""
        if not getattr(embedder, "loaded", False) or getattr(embedder, "disabled", False):
            return

        def run() -> None:
            try:
                self.phrases(embedder)
            except Exception as exc:  # the first request tries again and says why
                log.debug("thesaurus phrases not warmed: %s", exc)

        threading.Thread(target=run, name="thesaurus-phrases", daemon=True).start()

    def _vectors(self, embedder: Any, texts: list[str]) -> Any:
        import numpy as np

        name = embedder.name
        with self._lock:
            todo = [t for t in dict.fromkeys(texts) if (name, t) not in self._runs]
        if todo:
            m = np.asarray(embedder.encode(todo), np.float32)
            m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-9)
            with self._lock:
                for t, v in zip(todo, m, strict=True):
                    self._runs[(name, t)] = v
                while len(self._runs) > _KEEP:
                    self._runs.popitem(last=False)
        with self._lock:
            return np.vstack([self._runs[(name, t)] for t in texts])

    def found(self, text: str, embedder: Any) -> list[tuple[str, int, int]]:
        """``(concept, start, end)`` over :func:`thesaurus.words_of` ``text``: the runs no listed phrase
        covers that the model puts near one concept's phrases (none when the model fails)."""
        import numpy as np

        words = thesaurus.words_of(text)
        covered = [False] * len(words)
        for _, i, j in thesaurus.concepts(words):
            covered[i:j] = [True] * (j - i)
        spans: list[tuple[int, int]] = []
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + MAX_RUN) + 1):
                run = words[i:j]
                if any(covered[i:j]) or any(w in FILLER for w in run):
                    break
                if run[0] in STOPWORDS or run[-1] in STOPWORDS or all(w in _GENERIC or w in STOPWORDS for w in run):
                    continue
                if any(not w.isalpha() for w in run):
                    continue
                spans.append((i, j))
        if not spans:
            return []
        spans = spans[:MAX_RUNS]
        try:
            matrix, concepts = self.phrases(embedder)
            sims = self._vectors(embedder, [" ".join(words[i:j]) for i, j in spans]) @ matrix.T
        except Exception as exc:  # the model failing leaves the listed phrases' answer
            log.warning("concepts by the model failed: %s", exc)
            return []
        order = sorted(set(concepts))
        col = {c: n for n, c in enumerate(order)}
        per = np.full((len(spans), len(order)), -1.0, np.float32)  # best phrase per concept
        idx = np.asarray([col[c] for c in concepts])
        for n in range(len(order)):
            per[:, n] = sims[:, idx == n].max(axis=1)
        candidates: list[tuple[float, int, int, str]] = []
        for s, (i, j) in enumerate(spans):
            ranked = np.argsort(-per[s])
            best, second = float(per[s, ranked[0]]), float(per[s, ranked[1]]) if len(order) > 1 else -1.0
            if best >= MIN_SIM and best - second >= MARGIN:
                candidates.append((best, i, j, order[ranked[0]]))
        out: list[tuple[str, int, int]] = []
        taken = [False] * len(words)
        for _, i, j, concept in sorted(candidates, key=lambda c: (-c[0], c[1])):
            if not any(taken[i:j]):
                taken[i:j] = [True] * (j - i)
                out.append((concept, i, j))
        return sorted(out, key=lambda c: c[1])
