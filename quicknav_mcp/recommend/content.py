"""Content-based similarity: TF-IDF over each project's text, cosine between projects.

The text is the folder name, the client names (repeated: a shared client is strong evidence),
the description, document names and a summary of extracted text. Fitting keeps the TF-IDF
matrix (as CSR arrays, :mod:`.tfidf`) and each project's 20 nearest neighbours; neither fitting nor
serving imports scikit-learn, and a pair is explained by its shared client and strongest shared terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..services.corpus import ProjectText
from .tfidf import grams, tfidf

NEIGHBOURS = 20
_CODE = re.compile(r"\b\d{5}\b")
_REV = re.compile(r"\brev\b|\bpdf\b|\bdocx?\b", re.I)
STOP_WORDS = frozenset(
    [
        "and",
        "the",
        "for",
        "with",
        "from",
        "rev",
        "pdf",
        "doc",
        "docx",
        "project",
        "projects",
        "document",
        "documents",
        "level",
        "system",
        "designs",
        "design",
        "report",
        "old",
        "archive",
        "final",
        "draft",
        "copy",
        "new",
    ]
)


def document_text(p: ProjectText) -> str:
    clients = " ".join([p.client or "", *p.client_names])
    docs = " ".join(p.doc_names)
    text = f"{p.name} {clients} {clients} {clients} {p.description} {p.description} {docs} {p.summary}"
    return _REV.sub(" ", _CODE.sub(" ", text))


@dataclass
class ContentModel:
    """TF-IDF rows of projects plus nearest neighbours; built by :func:`fit_content`."""

    codes: list[str]
    terms: np.ndarray  # str array, column -> term
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    nbr_idx: np.ndarray  # (P, NEIGHBOURS) int32, -1 = none
    nbr_sim: np.ndarray  # (P, NEIGHBOURS) float32
    clients: np.ndarray  # str array: "Display|alias|..." client names per project ("" when unknown)

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.codes)}
        self._term_index: dict[str, int] | None = None
        self._csc = None

    # ---- storage ------------------------------------------------------------------------------
    def arrays(self, prefix: str = "content_") -> dict[str, np.ndarray]:
        return {
            f"{prefix}codes": np.array(self.codes, dtype=str),
            f"{prefix}terms": self.terms,
            f"{prefix}data": self.data,
            f"{prefix}indices": self.indices,
            f"{prefix}indptr": self.indptr,
            f"{prefix}nbr_idx": self.nbr_idx,
            f"{prefix}nbr_sim": self.nbr_sim,
            f"{prefix}clients": self.clients,
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray], prefix: str = "content_") -> ContentModel | None:
        if f"{prefix}codes" not in a:
            return None
        return cls(
            codes=[str(c) for c in a[f"{prefix}codes"].tolist()],
            terms=a[f"{prefix}terms"],
            data=a[f"{prefix}data"],
            indices=a[f"{prefix}indices"],
            indptr=a[f"{prefix}indptr"],
            nbr_idx=a[f"{prefix}nbr_idx"],
            nbr_sim=a[f"{prefix}nbr_sim"],
            clients=a[f"{prefix}clients"],
        )

    # ---- reads ---------------------------------------------------------------------------------
    def neighbours(self, code: str) -> list[tuple[str, float]]:
        i = self.index.get(code)
        if i is None:
            return []
        return [
            (self.codes[k], float(s)) for k, s in zip(self.nbr_idx[i], self.nbr_sim[i], strict=True) if k >= 0 and s > 0
        ]

    def _row(self, i: int) -> dict[int, float]:
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return dict(zip(self.indices[lo:hi].tolist(), self.data[lo:hi].tolist(), strict=True))

    def shared_terms(self, a: str, b: str, k: int = 2) -> list[str]:
        """The terms that contribute most to the similarity of two projects."""
        ia, ib = self.index.get(a), self.index.get(b)
        if ia is None or ib is None:
            return []
        ra, rb = self._row(ia), self._row(ib)
        common = sorted(((ra[t] * rb[t], t) for t in ra.keys() & rb.keys()), reverse=True)
        # Client names are said separately ("same client ..."), not as shared work.
        client = {w for c in self._clients(ia) + self._clients(ib) for w in c.split()}
        out = [str(self.terms[t]) for _, t in common if not set(str(self.terms[t]).split()) & client]
        # Prefer a bigram over its own words ("hearing loop", not "loop" or "loop hearing" as well).
        picked: list[set[str]] = []
        names: list[str] = []
        for term in sorted(out[:6], key=lambda t: -len(t.split())):
            words = set(term.split())
            if any(words <= p for p in picked):
                continue
            picked.append(words)
            names.append(term)
        return sorted(names, key=out.index)[:k]

    def _clients(self, i: int) -> list[str]:
        return [c for c in str(self.clients[i]).lower().split("|") if c]

    def same_client(self, a: str, b: str) -> str | None:
        """The display name of a client both projects share (abbreviation or full name), if any."""
        ia, ib = self.index.get(a), self.index.get(b)
        if ia is None or ib is None:
            return None
        if set(self._clients(ia)) & set(self._clients(ib)):
            return str(self.clients[ia]).split("|")[0]
        return None

    def query_scores(self, text: str) -> dict[int, float]:
        """Project index -> summed TF-IDF weight of the query's words (and bigrams)."""
        if self._term_index is None:
            self._term_index = {str(t): i for i, t in enumerate(self.terms.tolist())}
        # Read as the projects' texts were (a word no term can be, "3d", would part the pair either side of it).
        cols = [self._term_index[g] for g in grams(text, STOP_WORDS) if g in self._term_index]
        if not cols:
            return {}
        if self._csc is None:
            from scipy.sparse import csr_matrix

            n = len(self.codes)
            csc = csr_matrix((self.data, self.indices, self.indptr), shape=(n, len(self.terms))).tocsc()
            self._csc = (csc.indptr, csc.indices, csc.data)
        indptr, rows, vals = self._csc
        out: dict[int, float] = {}
        for c in cols:
            lo, hi = indptr[c], indptr[c + 1]
            for i, v in zip(rows[lo:hi].tolist(), vals[lo:hi].tolist(), strict=True):
                out[i] = out.get(i, 0.0) + v
        return out


def fit_content(texts: dict[str, ProjectText]) -> ContentModel | None:
    """TF-IDF (words and bigrams, sublinear tf) and every project's nearest neighbours."""
    if len(texts) < 2:
        return None
    from scipy.sparse import csr_matrix

    codes = sorted(texts)
    docs = [document_text(texts[c]) for c in codes]
    try:
        rows = tfidf(
            docs,
            stop_words=STOP_WORDS,
            min_df=2 if len(codes) >= 20 else 1,
            max_df=0.5 if len(codes) >= 20 else 1.0,
            max_features=50_000,
        )
    except ValueError:  # no usable words at all
        return None
    x = csr_matrix((rows.data, rows.indices, rows.indptr), shape=rows.shape)
    n = x.shape[0]
    k = min(NEIGHBOURS, n - 1)  # at least 1: two projects or more
    nbr_idx = np.full((n, NEIGHBOURS), -1, np.int32)
    nbr_sim = np.zeros((n, NEIGHBOURS), np.float32)
    xt = x.T.tocsc()
    for lo in range(0, n, 512):  # blocks keep the dense similarity slab small at 5,000 projects
        block = (x[lo : lo + 512] @ xt).toarray()
        here = np.arange(block.shape[0])
        block[here, lo + here] = -1.0  # not your own neighbour
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(top, np.argsort(-np.take_along_axis(block, top, axis=1), axis=1), axis=1)
        sims = np.take_along_axis(block, order, axis=1)
        keep = sims > 0  # most similar first: the neighbours kept are a prefix of each row
        nbr_idx[lo : lo + len(here), :k] = np.where(keep, order, -1)
        nbr_sim[lo : lo + len(here), :k] = np.where(keep, sims, 0.0)
    clients = np.array(
        [
            "|".join(dict.fromkeys(n for n in (texts[c].display_client, texts[c].client, *texts[c].client_names) if n))
            for c in codes
        ],
        dtype=str,
    )
    return ContentModel(
        codes=codes,
        terms=np.array(rows.terms, dtype=str),
        data=rows.data,
        indices=rows.indices,
        indptr=rows.indptr,
        nbr_idx=nbr_idx,
        nbr_sim=nbr_sim,
        clients=clients,
    )
