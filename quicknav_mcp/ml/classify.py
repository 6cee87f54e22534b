"""Document classification: TF-IDF character n-grams and a linear model, learned from the rule parser.

The rule parser (:func:`quicknav_mcp.domain.classify_doc_type`) types most documents from their
folders and names; whatever it cannot type is "other". This model learns the parser's labels of
the indexed firm and gives a best guess, with a confidence and the runners-up, for any name and
path, including the parser's "other" documents. Training uses scikit-learn; serving rebuilds
the TF-IDF weights and the linear scores from stored arrays with numpy alone (no pickle).
"""

from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..domain import classify_doc_type
from ..errors import InvalidInput
from .errors import InsufficientData
from .registry import ModelArtifact, ModelRegistry
from .trainer import Progress, TrainResult

if TYPE_CHECKING:
    import numpy as np

    from ..services.documents import DocumentService
    from ..services.projects import ProjectService

log = logging.getLogger(__name__)

NAME = "doc_classifier"
NGRAMS = (2, 4)
MAX_FEATURES = 30_000
MAX_DOCUMENTS = 15_000  # enough to learn every family; bounds the retrain of a 5,000-project firm
MIN_DOCUMENTS = 40
TEST_SHARE = 0.2
MAX_TEXT = 600
PREDICT_BATCH = 64  # rows of a dense vocabulary-wide matrix at a time (64 x 30,000 floats = 15 MB)
_SPLIT = re.compile(r"[\\/_\-.+()\[\],]+|\s+")


def tokens_of(path: str, text: str | None = None) -> list[str]:
    """Words of a document's folders and name (and optional text), lower-cased."""
    words = [w for w in _SPLIT.split(path.lower()) if w]
    if text:
        words.extend(w for w in _SPLIT.split(text[:MAX_TEXT].lower()) if w)
    return words


def char_ngrams(doc: str) -> list[str]:
    """Character 2-4-grams inside word boundaries (like scikit-learn's ``char_wb``)."""
    out: list[str] = []
    lo, hi = NGRAMS
    for word in doc.split():
        w = f" {word} "
        for n in range(lo, hi + 1):
            if len(w) < n:
                break
            out.extend(w[i : i + n] for i in range(len(w) - n + 1))
    return out


def _doc(path: str, text: str | None = None) -> str:
    return " ".join(tokens_of(path, text))


@dataclass
class Prediction:
    doc_type: str
    confidence: float
    top: list[tuple[str, float]]
    rule_doc_type: str
    model_version: int | None
    source: str  # "model" | "rules"
    warnings: list[str] = field(default_factory=list)


class _Linear:
    """A trained model rebuilt from its arrays: TF-IDF + softmax over linear scores."""

    def __init__(self, art: ModelArtifact) -> None:
        import numpy as np

        a = art.arrays
        self.version = art.version
        self.vocab = {str(g): i for i, g in enumerate(a["vocabulary"].tolist())}
        self.idf = a["idf"].astype(np.float64)
        self.coef = a["coef"].astype(np.float64)
        self.intercept = a["intercept"].astype(np.float64)
        self.classes = [str(c) for c in a["classes"].tolist()]
        if self.coef.shape != (len(self.classes), len(self.vocab)) or self.idf.shape != (len(self.vocab),):
            raise ValueError("array shapes do not match")

    def vectorise(self, docs: list[str]) -> np.ndarray:
        import numpy as np

        x = np.zeros((len(docs), len(self.vocab)))
        for row, doc in enumerate(docs):
            counts: dict[int, int] = {}
            for g in char_ngrams(doc):
                j = self.vocab.get(g)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if counts:
                cols = np.fromiter(counts, dtype=np.int64)
                tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))  # sublinear tf
                x[row, cols] = tf * self.idf[cols]
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return x / np.where(norms == 0, 1.0, norms)

    def proba(self, docs: list[str]) -> np.ndarray:
        import numpy as np

        scores = self.vectorise(docs) @ self.coef.T + self.intercept
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)


def fit_classifier(documents: list[tuple[str, str, str]], progress: Progress, *, split_seed: int = 11) -> TrainResult:
    """Fit on ``(project, path inside the project, doc_type)`` rows; evaluate on held-out projects."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    t0 = time.perf_counter()
    docs = [d for d in documents if d[2] != "other"]
    if len(docs) < MIN_DOCUMENTS:
        raise InsufficientData(f"{NAME}: {len(docs)} typed documents are indexed; at least {MIN_DOCUMENTS} needed")
    # Hold out whole projects: the same series in train and test would flatter the accuracy.
    codes = sorted({c for c, _, _ in docs})
    random.Random(split_seed).shuffle(codes)
    test_codes = set(codes[: max(1, int(len(codes) * TEST_SHARE))])
    train = [d for d in docs if d[0] not in test_codes]
    test = [d for d in docs if d[0] in test_codes]
    labels = sorted({t for _, _, t in train})
    if len(labels) < 2 or not test:
        raise InsufficientData(f"{NAME}: need at least two document types over two or more projects")
    progress(0.45, f"fitting on {len(train)} documents, {len(labels)} types")
    vec = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, max_features=MAX_FEATURES, dtype=np.float64)
    x_train = vec.fit_transform([_doc(p) for _, p, _ in train])
    y_train = [t for _, _, t in train]
    clf = LogisticRegression(C=10.0, max_iter=300)
    clf.fit(x_train, y_train)
    progress(0.85, "evaluating on held-out projects")
    vocabulary = np.array(sorted(vec.vocabulary_, key=vec.vocabulary_.get))
    arrays = {
        "vocabulary": vocabulary,
        "idf": vec.idf_.astype(np.float32),
        "coef": clf.coef_.astype(np.float32),
        "intercept": clf.intercept_.astype(np.float32),
        "classes": np.array(clf.classes_),
    }
    if len(clf.classes_) == 2:  # binary: one row of weights; store both sides for softmax
        arrays["coef"] = np.vstack([-clf.coef_[0], clf.coef_[0]]).astype(np.float32) / 2
        arrays["intercept"] = np.array([-clf.intercept_[0], clf.intercept_[0]], dtype=np.float32) / 2
    # Score with the numpy path that serves, so the reported accuracy is the served model's.
    served = _Linear(
        ModelArtifact(NAME, 0, "candidate", {}, {k: np.asarray(v) for k, v in arrays.items()}, {}, "", None)
    )
    y_test = [t for _, _, t in test]
    predicted = [served.classes[i] for i in served.proba([_doc(p) for _, p, _ in test]).argmax(axis=1)]
    # From the file name alone (no folders): how well it types a file found out of place.
    name_probs = served.proba([_doc(p.rsplit("/", 1)[-1]) for _, p, _ in test])
    names_only = [served.classes[i] for i in name_probs.argmax(axis=1)]
    metrics = {
        "accuracy": round(float(accuracy_score(y_test, predicted)), 4),
        "macro_f1": round(float(f1_score(y_test, predicted, average="macro", zero_division=0)), 4),
        "name_only_accuracy": round(float(accuracy_score(y_test, names_only)), 4),
        "train_documents": len(train),
        "test_documents": len(test),
        "test_projects": len(test_codes),
        "classes": len(labels),
        "features": len(vocabulary),
        "train_seconds": round(time.perf_counter() - t0, 2),
    }
    params = {"ngrams": list(NGRAMS), "analyzer": "char_wb", "sublinear_tf": True, "C": 10.0, "labels": labels}
    progress(1.0, f"accuracy {metrics['accuracy']:.3f} on {len(test)} held-out documents")
    return TrainResult(params=params, arrays=arrays, metrics=metrics, trained_on=None)


class DocClassifier:
    """The ``doc_classifier`` Trainable and its serving side."""

    name = NAME
    metric = "accuracy"

    def __init__(self, registry: ModelRegistry, projects: ProjectService, documents: DocumentService) -> None:
        self.registry = registry
        self.projects = projects
        self.documents = documents
        self._model: _Linear | None = None
        self._warnings: list[str] = []
        self._loaded = False

    # ---- training --------------------------------------------------------------------------
    def labelled_documents(self, progress: Progress | None = None) -> list[tuple[str, str, str]]:
        """``(project, path inside the project, parser's doc_type)`` of indexed documents, capped."""
        codes = sorted({p.code for p in self.projects.all()})
        random.Random(7).shuffle(codes)  # a cap then samples projects evenly, not the oldest ones
        out: list[tuple[str, str, str]] = []
        for i, code in enumerate(codes):
            offset: int | None = 0
            while offset is not None and len(out) < MAX_DOCUMENTS:
                page = self.documents.page(code, offset, 500)
                out.extend((code, d.rel_path, d.doc_type) for d in page.documents)
                offset = page.next_offset
            if progress and i % 50 == 0:
                progress(0.4 * i / max(1, len(codes)), f"reading documents ({len(out)})")
            if len(out) >= MAX_DOCUMENTS:
                break
        return out

    def train(self, progress: Progress) -> TrainResult:
        docs = self.labelled_documents(progress)
        return fit_classifier(docs, progress)

    def reload(self) -> None:
        self._model, self._warnings, self._loaded = None, [], False

    # ---- serving ---------------------------------------------------------------------------
    def _load(self) -> tuple[_Linear | None, list[str]]:
        if not self._loaded:
            art, warnings = self.registry.load_with_warnings(NAME)
            model = None
            if art is not None:
                warnings = [*art.warnings, *warnings] if art.warnings else warnings
                try:
                    model = _Linear(art)
                except (KeyError, ValueError) as exc:
                    warnings.append(f"{NAME} version {art.version} is unusable ({exc}); using the rule parser")
            self._model, self._warnings, self._loaded = model, warnings, True
        return self._model, list(self._warnings)

    def classify(self, name: str, path: str | None = None, text: str | None = None) -> Prediction:
        """Type one document from its name (and the folders of ``path``, and some of its text)."""
        name, folders = _check_input(name, path, text)
        rule = classify_doc_type(folders, name)
        model, warnings = self._load()
        if model is None:
            if not warnings:
                warnings = [f"no {NAME} model is trained yet (train_models); the rule parser answered"]
            elif not any("rule parser" in w for w in warnings):
                warnings.append("the rule parser answered")
            return Prediction(rule, 1.0 if rule != "other" else 0.0, [(rule, 1.0)], rule, None, "rules", warnings)
        probs = model.proba([_doc("/".join([*folders, name]), text)])[0]
        order = probs.argsort()[::-1][:3]
        top = [(model.classes[i], round(float(probs[i]), 4)) for i in order]
        return Prediction(top[0][0], top[0][1], top, rule, model.version, "model", warnings)

    def predict_paths(self, paths: list[str]) -> tuple[int, list[tuple[str, float]]] | None:
        """(model version, best family and its confidence per path) — None when no model is active.

        ``paths`` are relative to the project folder (its folders count, as in training). Scored
        in small batches: the dense vectors are vocabulary-wide.
        """
        model, _ = self._load()
        if model is None:
            return None
        out: list[tuple[str, float]] = []
        for lo in range(0, len(paths), PREDICT_BATCH):
            probs = model.proba([_doc(p) for p in paths[lo : lo + PREDICT_BATCH]])
            best = probs.argmax(axis=1)
            out.extend((model.classes[int(i)], round(float(probs[k, i]), 4)) for k, i in enumerate(best))
        return model.version, out


def _check_input(name: object, path: object, text: object) -> tuple[str, list[str]]:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name must be a document file name such as 'Floor Plan L2 Rev 3.pdf'")
    if len(name) > 255:
        raise InvalidInput(f"name is {len(name)} characters; a file name has at most 255")
    if path is not None and (not isinstance(path, str) or len(path) > 1024):
        raise InvalidInput("path must be the document's folder path (up to 1024 characters)")
    if text is not None and not isinstance(text, str):
        raise InvalidInput("text must be a string")
    folders = [p for p in re.split(r"[\\/]", path or "") if p.strip()]
    if folders and folders[-1] == name.strip():  # a full path was given: its folders are the rest
        folders = folders[:-1]
    return name.strip(), folders


__all__ = ["NAME", "DocClassifier", "Prediction", "char_ngrams"]
