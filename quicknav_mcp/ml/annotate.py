"""The document classifier applied where people see documents: a family for what the rules call "other".

The rule parser types documents at scan time (fast, explainable); the classifier only fills in
the documents it could not type, and only when an answer shows them — never in the scanner, and
never on ``tools/list``. Answers are batched (one model call per answer) and cached per model
version, so a page of documents costs one classification of its new "other" documents.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import DocumentInfo
    from .classify import DocClassifier

UNTYPED = "other"  # the rule parser's family for a document it cannot type
CACHE_SIZE = 20_000


class DocTypeAnnotator:
    """Sets ``predicted_doc_type`` / ``predicted_confidence`` on untyped documents of an answer."""

    def __init__(self, classifier: DocClassifier) -> None:
        self.classifier = classifier
        self._cache: OrderedDict[tuple[int, str], tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def annotate(self, documents: Iterable[DocumentInfo]) -> int:
        """Fill in the model's family for the rule parser's "other" documents; returns how many."""
        untyped = [d for d in documents if d.doc_type == UNTYPED and d.predicted_doc_type is None]
        if not untyped:
            return 0  # nothing to type: no model is loaded
        paths = [d.rel_path for d in untyped]
        answer = self.classifier.predict_paths([])  # loads the active model once, or says there is none
        if answer is None:
            return 0
        version = answer[0]
        with self._lock:
            known = {p: self._cache[(version, p)] for p in paths if (version, p) in self._cache}
        missing = sorted({p for p in paths if p not in known})
        if missing:
            fresh = self.classifier.predict_paths(missing)
            if fresh is None:  # the model went away between the two calls (a reload)
                return 0
            with self._lock:
                for path, guess in zip(missing, fresh[1], strict=True):
                    known[path] = self._cache[(fresh[0], path)] = guess
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        for doc in untyped:
            doc.predicted_doc_type, doc.predicted_confidence = known[doc.rel_path]
        return len(untyped)


__all__ = ["UNTYPED", "DocTypeAnnotator"]
