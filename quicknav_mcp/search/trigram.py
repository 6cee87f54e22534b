"""Substring retrieval through the trigram FTS5 tables: words not in the vocabulary (part of a
name, a glued code) and 3-4 digit parts of project codes."""

from __future__ import annotations

import logging

from ..store import DatabaseError, Store
from .query import ParsedQuery
from .scope import RANK_BUDGET, Scope
from .vocab import Vocabulary

log = logging.getLogger(__name__)


class Substrings:
    """Ids from ``search_docs_tri`` / ``search_projects_tri`` holding any of a few substrings."""

    def __init__(self, store: Store, vocab: Vocabulary) -> None:
        self.store = store
        self.vocab = vocab

    def terms(self, pq: ParsedQuery) -> list[str]:
        """What to look for as substrings: unknown or digit-bearing words, then partial codes."""
        snap = self.vocab.snapshot()
        out = [t for t in pq.terms if len(t) >= 3 and (t not in snap.df or any(c.isdigit() for c in t))]
        out += [c for c in pq.partial_codes if c not in out]
        return out[:6]

    def search(self, table: str, terms: list[str], join: str, scope: Scope, limit: int) -> list[int]:
        """The ``limit`` best-ranked (BM25) rows holding any of ``terms`` (ties: lower rowid).

        A 3-4 digit part of a code is in thousands of names (every document of the projects whose
        codes hold it); BM25 would score them all. Only the newest :data:`RANK_BUDGET` matches are
        ranked (FTS5 walks rowids newest first and stops); fewer matches rank exactly."""
        if not terms:
            return []
        expr = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        sql = (  # the budget's matches ranked inside SQLite; bm25() is what rank runs, ~30% cheaper a row
            f"SELECT rowid FROM (SELECT f.rowid AS rowid, bm25({table}) AS score FROM {table} f {join} "
            f"WHERE {table} MATCH ?{scope.sql()} ORDER BY f.rowid DESC LIMIT ?) ORDER BY score, rowid LIMIT ?"
        )
        try:
            return [r[0] for r in self.store.query(sql, (expr, *scope.params, RANK_BUDGET, limit))]
        except DatabaseError as exc:
            log.warning("trigram query failed (%s) for %r", exc, expr)
            return []
