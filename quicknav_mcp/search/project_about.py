"""What each project is about, said in a few words from its documents, searchable by words and by meaning.

A project folder says little ("GRNLF Dig Sig L2 AV Works"); its documents say it in full, again and
again: most names repeat the project's description ("17581 - Greenleaf - Digital Signage Level 2 AV
Works - CO1.pdf") and their text names the site, the rooms and the systems. Per project this module
keeps (:class:`About`):

* the **description**: the word run most of its document names share (client words, the code,
  revisions, dates and document kinds left out), else the folder description spelled out;
* its **salient terms**: words of its documents' names and text weighted by TF-IDF against the rest
  of the firm (the site, the client, the rooms and kinds of works, the equipment named);
* a few **chunk vectors** (the description; the folder description spelled out; the description with
  the most salient terms) — a request in other words ("refit of the directors' meeting room in
  Queensland") is compared with each, and a project keeps its best (max-sim).

A request is scored by both: the best chunk's cosine similarity plus a share of the summed TF-IDF
weights of its words (with the other ways of writing them: short forms, state names), normalised to
the best project. Project search embeds the request with the rooms, systems and works it names said
by their own names (search/thesaurus.py: "facelift of the directors' room" -> "refurbishment of the
boardroom"), so the chunk vectors meet it on those too. The concepts such a request names (the
thesaurus's phrases, and the words the model puts near them: thesaurus_model.py) add a share for
those a project's description names (:data:`CONCEPT_SHARE`, hybrid project search only: a request
whose words all matched names, and lexical mode, are scored as before).

Built in memory from the database on a thread (from start-up, see
:meth:`ProjectAbout.start`), again when documents, text or projects changed (at once on a small
firm, at most every :data:`REBUILD_SECONDS` on a large one), a search meanwhile served by the last
build, or without summaries before the first (as a large firm always was): ~1 s of CPU at 600
projects is no search's to pay. :meth:`ProjectAbout.wait_ready` waits for a current build.
Summaries are not persisted: every word's weight depends on the whole firm (TF-IDF over projects),
so neither a stored copy nor one project's change can be trusted without reading everything again.
A query is one small matrix-vector product and a few dictionary look-ups.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..store import Store
from .alternatives import spelled_out
from .background_build import SMALL_WAIT_S, BackgroundBuild
from .centred import CentredChunks
from .query import ParsedQuery
from .text import STOPWORDS, tokens
from .thesaurus import concept_set
from .vectors import matrix_dtype
from .versions import Versions

log = logging.getLogger(__name__)

TEXT_CHARS = 400  # of each document's extracted text: the header and first lines say what the job is
SALIENT = 24  # terms kept per project
CHUNK_TERMS = 6  # salient terms appended to the description in the third chunk
MIN_SHARE = 0.15  # a salient term is in at least this share of the project's documents
ABOUT_WEIGHT = 1.0  # the list's weight in project search's fusion
BOOST_MATCHED = 0.5  # ... when the request's words were all found by name or in documents (they decide then)
BOOST = 2.5  # a project's score grows by up to this share, with its summary's score over the best one's
LEXICAL_SHARE = 0.2  # the words' part of a project's score, next to the best chunk similarity
CONCEPT_SHARE = 0.4  # the share of the request's concepts its description names, next to both
MIN_SCORE = 0.3
QUICK_PROJECTS = 600  # up to this many projects a change is rebuilt at once; above, every REBUILD_SECONDS
SYNC_TEXTS = 200  # up to this many texts to embed are embedded in the search; more, on a thread
REBUILD_SECONDS = 120.0  # a large firm's summaries are rebuilt at most this often
MAX_NGRAM = 8
# Words of document kinds and revisions: they say what a file is, not what the project is about.
_KIND_TEXT = """rev revision revisions report sales po swms swm proposal change co variation draft asbuilt built
    signed issued final copy original template register quote quotation pdf docx xlsx handover document
    schedule invoice ifc for construction eng markup markups"""
_KIND_WORDS = frozenset(_KIND_TEXT.split())
_NOISE = re.compile(r"^(?:\d{3,}|(?:rev|r|co|v)\d+|\d+[a-z]{1,2}\d*|[a-z])$")
_LEVEL = re.compile(r"\blevel (\d{1,2})\b")
_STATES = {
    "queensland": "qld",
    "victoria": "vic",
    "tasmania": "tas",
    "nsw": "new south wales",
    "wales": "nsw",
    "act": "australian capital territory",
    "nt": "northern territory",
    "sa": "south australia",
    "wa": "western australia",
}
"""Australian states by name and by abbreviation: sites are addressed with the short form."""


@dataclass
class About:
    """One build: per project its description, salient terms and chunk vectors (rows grouped by project)."""

    ids: list[int] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    postings: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # term -> (project rows, weights)
    texts: list[str] = field(default_factory=list)  # chunk texts, a project's contiguous
    starts: Any = None  # first chunk of each project
    chunks: dict[str, Any] = field(default_factory=dict)  # model -> (n_chunks, dim) float32, normalised
    concepts: list[frozenset[str]] = field(default_factory=list)  # per project, the concepts its description names


def _stem(name: str) -> str:
    return re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)


def _plain(words: tuple[str, ...], excluded: set[str]) -> bool:
    """A run that could describe a job: two words or more, no excluded word, kind, revision or date, a
    real word at each end (one recurring word is a camera's IMG or a kind, rarely a description)."""
    if len(words) < 2 or any(w in excluded or w in _KIND_WORDS or _NOISE.match(w) for w in words):
        return False
    return len(words[0]) > 2 and not words[0].isdigit() and len(words[-1]) > 1


def description(names: list[str], excluded: set[str], folder: str = "") -> str:
    """The run of words shared by most ``names`` (weighted by its length, and by its words in the
    ``folder`` description), without ``excluded`` words, document kinds, revisions or dates; "" when
    no run recurs."""
    hint = set(folder.split())
    counts: Counter[tuple[str, ...]] = Counter()
    for name in names:
        words = [w for w in tokens(_stem(name)) if w != "and"]  # "&" / "and" are written both ways
        seen: set[tuple[str, ...]] = set()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + MAX_NGRAM) + 1):
                seen.add(tuple(words[i:j]))
        counts.update(seen)
    need = max(2, 0.05 * len(names))
    best = max(
        (
            (c * len(g) ** 2 * (1 + 2 * sum(w in hint for w in g) / len(g)), g)
            for g, c in counts.items()
            if c >= need and _plain(g, excluded)
        ),
        default=None,
    )
    return " ".join(best[1]) if best else ""


def salient_terms(per_project: dict[int, list[set[str]]], limit: int = SALIENT) -> dict[int, dict[str, float]]:
    """Per project, its words by TF-IDF: the share of its documents holding the word times the word's
    inverse project frequency across the firm (digits, stop words and document kinds left out)."""
    return _salient({pid: (Counter(w for d in docs for w in d), len(docs)) for pid, docs in per_project.items()}, limit)


def _salient(
    counts: dict[int, tuple[Counter[str], int]], limit: int = SALIENT, between: Callable[[], None] = lambda: None
) -> dict[int, dict[str, float]]:
    """:func:`salient_terms` from each project's documents per word (in the order first seen) and its
    number of documents: what a build keeps while it reads, instead of every document's set of words.
    ``between`` is called every few projects (a build's checkpoint)."""
    df: Counter[str] = Counter()
    for k, (c, _) in enumerate(counts.values()):
        if not k & 0x3F:
            between()
        df.update(c.keys())
    n = max(len(counts), 1)
    out: dict[int, dict[str, float]] = {}
    for k, (pid, (c, ndocs)) in enumerate(counts.items()):
        if not k & 0x3F:
            between()
        scored = {
            w: (k / ndocs) * math.log(n / df[w])
            for w, k in c.items()
            if k / ndocs >= MIN_SHARE
            and len(w) > 1
            and w not in STOPWORDS
            and w not in _KIND_WORDS
            and not _NOISE.match(w)
        }
        # Equal weights alphabetically: the words arrive in set order, which changes with every process's
        # string hashing, and a tie at the cut would change the summaries from one run to the next.
        out[pid] = dict(sorted(((w, v) for w, v in scored.items() if v > 0), key=lambda kv: (-kv[1], kv[0]))[:limit])
    return out


class ProjectAbout:
    """Builds the summaries and finds the projects a request describes."""

    def __init__(self, store: Store, embedder: Any, versions: Versions) -> None:
        self.store = store
        self.embedder = embedder
        self.versions = versions
        self._lock = threading.Lock()
        self._about: About | None = None
        self._key: object = None  # the versions the last build read
        self._built_at = -1e9
        # One build (or chunk embedding) at a time: two searches must not start two.
        self._builds = BackgroundBuild("project-about", "project summaries", closing=lambda: store.closing)
        self._vectors: dict[tuple[str, str], Any] = {}  # (model, chunk text) -> vector, kept across builds
        self._centred = CentredChunks()  # what all summaries share taken out (centred.py)

    # ------------------------------------------------------------------ building
    def current(self, key: object = None, *, wait: bool = True) -> About | None:
        """The latest build (None before the first); starts a new one on a thread when its inputs changed
        (``key``: the counters, if the caller has read them) and, on a small firm, waits for it (``wait``)."""
        key = key if key is not None else self.versions.get("documents", "content", "projects")
        if key == self._key:
            return self._about
        about = self._about
        size = len(about.ids) if about is not None else self.store.query_one("SELECT count(*) FROM projects")[0]
        small = size <= QUICK_PROJECTS
        self._in_background(lambda: self._swap(self.build(), key), 0.0 if small else REBUILD_SECONDS)
        # A small firm's build takes what an inline one took: answer from it, so an answer does not depend
        # on a thread's timing (a large firm, or a build that stalls, answers with the last one).
        if wait and small and self._builds.wait(SMALL_WAIT_S) and self._key == key:
            return self._about
        return about

    def start(self, key: object = None) -> None:
        """Build the summaries now, on a thread, unless they are current (the server's start-up)."""
        self.current(key, wait=False)

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Wait until a build of the current documents, text and projects serves (starting one, however
        recent the last, if needed); whether one does within ``timeout`` seconds."""

        def restart() -> None:
            self._built_at = -1e9  # waited for: not held back by the rebuild interval
            self.current(wait=False)

        return self._builds.wait_until(
            lambda: self.versions.get("documents", "content", "projects") == self._key, restart, timeout
        )

    def close(self) -> None:
        """Start no further build and stop the running one."""
        self._builds.close()

    def _swap(self, about: About, key: object) -> None:
        with self._lock:
            self._about, self._key, self._built_at = about, key, time.monotonic()

    def _in_background(self, work: Any, every: float) -> None:
        """Run ``work`` on a thread unless one runs or the last summaries were made less than ``every``
        s ago (a failure is logged; the last build keeps serving)."""
        self._builds.start(work, after=self._built_at + every)

    def build(self) -> About:
        """Read every project's documents and make the summaries (vectors come later, see :meth:`vectors`)."""
        names: dict[int, list[str]] = defaultdict(list)
        # Per project, its documents per word and its number of documents, counted as rows arrive: a set
        # of words per document (116k at once) took ~100 MB at its peak, left fragmented after.
        words: dict[int, Counter[str]] = defaultdict(Counter)
        docs: Counter[int] = Counter()
        # Every document once, on a reader of its own: searches do not wait on the store's lock meanwhile.
        with self.store.scan_reader() as read:
            projects = list(read("SELECT id, code, description, client, client_names FROM projects ORDER BY id"))
            rows = read(
                "SELECT d.project_id, d.name, coalesce(substr(c.text, 1, ?), '') FROM documents d "
                "LEFT JOIN document_content c ON c.doc_id = d.id",
                (TEXT_CHARS,),
            )
            for i, (pid, name, text) in enumerate(rows):
                if not i & 0xFF:
                    self._builds.check()  # a checkpoint every few ms: the foreground, closing
                names[pid].append(name)
                words[pid].update(set(tokens(f"{_stem(name)} {text}")))
                docs[pid] += 1
        salient = _salient({pid: (c, docs[pid]) for pid, c in words.items()}, between=self._builds.check)
        del words
        about = About()
        starts: list[int] = []
        postings: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for row, (pid, code, folder_desc, client, client_names) in enumerate(projects):
            if not row & 0x3F:
                self._builds.check()
            try:
                fuller = list(json.loads(client_names or "[]"))
            except ValueError:
                fuller = []
            excluded = {code, *tokens(" ".join([client or "", *fuller]))}
            folder = spelled_out(folder_desc or "")
            desc = description(names.get(pid, []), excluded, folder)
            terms = salient.get(pid, {})
            extra = [w for w in terms if w not in desc.split()][:CHUNK_TERMS]
            own = [t for t in dict.fromkeys((desc, folder, f"{desc or folder} {' '.join(extra)}".strip())) if t]
            about.ids.append(pid)
            about.descriptions.append(desc or folder)
            about.concepts.append(frozenset(concept_set(f"{desc} {folder}")))
            starts.append(len(about.texts))
            about.texts += own or [code]
            # A description word always counts, however common in the firm: it is what the job is.
            weights = dict(terms)
            top = max(terms.values(), default=1.0)
            for w in set(desc.split()) | set(folder.split()):
                if w not in STOPWORDS and not _NOISE.match(w):
                    weights[w] = max(weights.get(w, 0.0), 0.5 * top)
            for m in _LEVEL.finditer(f"{desc} {folder}"):  # the floor, as the parser reads it (ParsedQuery.level)
                weights[f"level:{int(m.group(1))}"] = top
            if "ground floor" in desc or "ground floor" in folder:
                weights["level:0"] = top
            for w, v in weights.items():
                postings[w][0].append(row)
                postings[w][1].append(v)
        import numpy as np

        about.postings = {w: (np.asarray(r, np.int64), np.asarray(v, np.float32)) for w, (r, v) in postings.items()}
        about.starts = np.asarray(starts, np.int64)
        return about

    def vectors(self, about: About, model: str) -> Any:
        """The chunk vectors of ``about`` for ``model``: embedded now on a small firm, else on a thread
        (None meanwhile). Texts embedded once are kept, so a rebuild embeds only what changed."""
        held = about.chunks.get(model)
        if held is not None:
            return held
        if sum((model, t) not in self._vectors for t in about.texts) <= SYNC_TEXTS:
            # Inside the search: a query's encoding, not a background call queued behind the worker's batch.
            try:
                about.chunks[model] = self._embed(model, about.texts, background=False)
            except Exception as exc:  # the model failed or is closing: the answer ranks by words alone
                log.warning("project descriptions not embedded (%s): words only", type(exc).__name__)
                return None
            return about.chunks[model]
        self._in_background(lambda: about.chunks.__setitem__(model, self._embed(model, about.texts)), 0.0)
        return None

    def _embed(self, model: str, texts: list[str], *, background: bool = True) -> Any:
        import numpy as np

        from .vector_index import to_storage

        todo = sorted({t for t in texts if (model, t) not in self._vectors})
        for i in range(0, len(todo), 256):
            batch = todo[i : i + 256]
            # Background calls: short ones that let a waiting query's encoding go first.
            vecs = np.asarray(self.embedder.encode(batch, background=background), np.float32)
            self._vectors.update(((model, t), v) for t, v in zip(batch, vecs, strict=True))
        if not texts:
            return None
        # Only this build's texts stay: a rebuild reweighs terms and changes chunks, which would pile up.
        keep = set(texts)
        self._vectors = {k: v for k, v in self._vectors.items() if k[0] != model or k[1] in keep}
        m = np.vstack([self._vectors[(model, t)] for t in texts]).astype(np.float32)
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        return to_storage(m / np.where(norms == 0, 1.0, norms), matrix_dtype())  # two bytes a coordinate

    # ------------------------------------------------------------------ searching
    def hits(
        self,
        pq: ParsedQuery,
        query_vector: Any = None,
        model: str = "",
        k: int = 50,
        *,
        sharp: bool = True,
        concepts: set[str] | None = None,
    ) -> list[tuple[int, float]]:
        """``(project id, score)`` of the ``k`` projects the request describes best (best first);
        ``sharp``: scored by the centred similarity (see centred.py), else by the plain one."""
        import numpy as np

        if pq.codes:  # a request naming a project's code is about that project
            return []
        about = self.current()
        if about is None or not about.ids:
            return []
        n = len(about.ids)
        score = np.zeros(n, np.float32)
        lexical = self._lexical(about, pq, n)
        if lexical is not None:
            score += LEXICAL_SHARE * lexical
        if concepts and CONCEPT_SHARE:
            score += CONCEPT_SHARE * np.asarray([len(concepts & c) for c in about.concepts], np.float32) / len(concepts)
        chunks = self.vectors(about, model) if query_vector is not None else None
        floor = 1e-6  # words alone: any match
        plain = score
        if chunks is not None:
            # Scored by the centred similarity, kept by the plain one (see centred.py).
            best, centred = self._centred.best(chunks, query_vector, about.starts, centre=sharp)
            plain, score = score + best, score + centred
            floor = MIN_SCORE
        if not plain.any():
            return []
        m = min(k, n)
        top = np.argpartition(-score, m - 1)[:m] if m < n else np.arange(n)
        top = top[np.argsort(-score[top], kind="stable")]
        return [(about.ids[i], float(score[i])) for i in top if plain[i] >= floor and score[i] > 0]

    def _lexical(self, about: About, pq: ParsedQuery, n: int) -> Any:
        """Summed TF-IDF weights of the request's words (each word by its best form), over the best."""
        import numpy as np

        total = None
        floor = [f"level:{pq.level}"] if pq.level is not None else []
        for word in dict.fromkeys([*pq.all_words, *floor]):
            best = None
            for form in _forms(word, pq):
                hit = about.postings.get(form)
                if hit is None:
                    continue
                col = np.zeros(n, np.float32)
                col[hit[0]] = hit[1]
                best = col if best is None else np.maximum(best, col)
            if best is not None:
                total = best if total is None else total + best
        if total is None or not total.max():
            return None
        return total / total.max()

    def description_of(self, project_id: int) -> str | None:
        """The description of the last build (None before one or for an unknown project)."""
        about = self._about
        if about is None:
            return None
        try:
            return about.descriptions[about.ids.index(project_id)]
        except ValueError:
            return None


def _forms(word: str, pq: ParsedQuery) -> list[str]:
    """A request word and the other ways of writing it (short forms the parser listed, state names)."""
    out = [word, *(f for f in pq.forms.get(word, ()) if " " not in f)]
    state = _STATES.get(word)
    if state is not None:
        out += state.split()
    return out


Ranked = list[tuple[Any, float, list[str]]]


def boost(ranked: Ranked, hits: list[tuple[int, float]], matched: bool = False) -> Ranked:
    """``ranked`` (rows with an ``id``, scores rounded to 5 places) with each score grown by how well
    its summary matched the request (squared share of the best summary's score): what a project is
    about counts beyond its rank in one list; less when every word of the request was ``matched`` by
    the word lists (a site address, a client: the words themselves say where). Unchanged without hits."""
    if not hits:
        return ranked
    weight = BOOST_MATCHED if matched else BOOST
    best = hits[0][1] or 1.0
    score = {pid: s / best for pid, s in hits}
    out = []
    for row in ranked:
        rec, s, why = row
        share = score.get(rec.id)
        # Without a share the score stays (it is rounded already): most rows, when a common word fused hundreds.
        out.append((rec, round(s * (1.0 + weight * share * share), 5), why) if share else row)
    return out
