"""Full-text retrieval (FTS5, BM25) over documents and projects, with typo fixes, plural and
prefix alternatives for every query word."""

from __future__ import annotations

import bisect
import logging
from typing import Any

from ..store import DatabaseError, Store
from .query import ParsedQuery, match_expression
from .scope import CANDIDATES, RANK_BUDGET, Scope
from .text import fts_quote
from .vocab import Vocabulary

log = logging.getLogger(__name__)

DOC_WEIGHTS = "10.0, 3.0, 4.0, 2.0, 1.0"  # name, folders, project, family, content
DOC_WEIGHTS_CODE = DOC_WEIGHTS + ", 0.0"  # ... and code (0004): a filter only, never a score
PROJECT_WEIGHTS = "10.0, 4.0, 6.0, 3.0"  # code, name, client, description
# A firm-wide "any of the words" query ranks every document holding any of them with BM25 (~0.6 µs
# each): 60,000 rows for "office replacement level 3" at 116k documents. It only backs up an
# all-words query that found little, so it keeps the rarest words whose document frequencies add
# up to at most this many postings, and is skipped when even the rarest word is more common.
OR_POSTINGS_BUDGET = 8_000
# Project-scoped full-text queries restrict inside FTS5 on the `code` column (migration 0004) when
# the scope has at most this many projects (an OR of 100 codes costs ~3-5 ms; more is cheaper as a join).
MAX_FTS_CODES = 120


class FullText:
    """BM25-ranked ids from ``search_docs`` / ``search_projects``.

    ``max_codes``, ``or_budget`` and ``rank_budget`` are :data:`MAX_FTS_CODES`,
    :data:`OR_POSTINGS_BUDGET` and :data:`RANK_BUDGET` (settable, e.g. to compare a fast path with
    the plain query it replaces)."""

    def __init__(
        self,
        store: Store,
        vocab: Vocabulary,
        *,
        max_codes: int = MAX_FTS_CODES,
        or_budget: int = OR_POSTINGS_BUDGET,
        rank_budget: int = RANK_BUDGET,
    ) -> None:
        self.store = store
        self.vocab = vocab
        self.max_codes = max_codes
        self.or_budget = or_budget
        self.rank_budget = rank_budget
        self._code_column: bool | None = None

    def word_groups(self, pq: ParsedQuery, corrections: dict[str, str]) -> list[list[str]]:
        """For every plain word: the word and its alternatives (typo fixes, singular/plural, prefix);
        typo fixes are recorded in ``corrections``."""
        snap = self.vocab.snapshot()
        groups: list[list[str]] = []
        for n, term in enumerate(pq.terms):
            alts = [term]
            if term not in snap.df:
                fixes = self.vocab.corrections(term)
                if fixes:
                    corrections[term] = fixes[0][0]
                    alts += [w for w, _ in fixes]
                last = n == len(pq.terms) - 1
                if len(term) >= 3 and (last or not fixes) and not term.isdigit():
                    alts.append(term + "*")  # a word being typed, or a stem of indexed words
            if len(term) >= 4 and not term.isdigit():
                for variant in (term + "s", term[:-1] if term.endswith("s") else None, term + "es"):
                    if variant and variant in snap.df:
                        alts.append(variant)
            groups.append(alts)
        return groups

    def has_code_column(self) -> bool:
        """Whether ``search_docs`` has the ``code`` column of migration 0004 (an older schema opened
        read-only has not: then scopes are applied by the join alone)."""
        if self._code_column is None:
            try:
                cols = self.store.query("SELECT name FROM pragma_table_info('search_docs')")
                self._code_column = any(r[0] == "code" for r in cols)
            except DatabaseError:
                self._code_column = False
        return bool(self._code_column)

    def ranked(
        self,
        table: str,
        weights: str,
        expr: str,
        join: str,
        scope_sql: str,
        params: list[Any],
        limit: int,
        *,
        budget: int | None = None,
    ) -> list[int]:
        """Row ids ranked by BM25 (ties: lower rowid first). ``bm25()`` in ORDER BY rather than
        ``rank MATCH``: the same order, ~35% less time per ranked row. With a ``budget``, only
        the newest ``budget`` matches are scored (see :data:`RANK_BUDGET`)."""
        where = f"FROM {table} f {join} WHERE {table} MATCH ?{scope_sql}"
        if budget is None:
            sql = f"SELECT f.rowid {where} ORDER BY bm25({table}, {weights}), f.rowid LIMIT ?"
            args: tuple[Any, ...] = (expr, *params, limit)
        else:  # the newest ``budget`` matches, ranked inside SQLite (not thousands of rows to Python)
            sql = (
                f"SELECT rowid FROM (SELECT f.rowid AS rowid, bm25({table}, {weights}) AS score {where} "
                "ORDER BY f.rowid DESC LIMIT ?) ORDER BY score, rowid LIMIT ?"
            )
            args = (expr, *params, budget, limit)
        try:
            return [r[0] for r in self.store.query(sql, args)]
        except DatabaseError as exc:  # never expected (every token is quoted); never shown raw
            log.warning("full-text query failed (%s) for %r", exc, expr)
            return []

    def matches_at_most(self, groups: list[list[str]], phrases: list[list[str]], *, every_word: bool) -> int:
        """An upper bound of the rows a query matches, from the vocabulary's document frequencies:
        the rarest word's (all words) or the sum of them (any word)."""
        snap = self.vocab.snapshot()
        counts = [self.group_df(g) for g in groups]
        counts += [min((snap.df.get(t, 0) for t in ph), default=0) for ph in phrases]
        if not counts:
            return 0
        return min(counts) if every_word else sum(counts)

    def projects(self, expr: str, limit: int = CANDIDATES) -> list[int]:
        """Projects matching ``expr``, best first."""
        return self.ranked("search_projects", PROJECT_WEIGHTS, expr, "", "", [], limit)

    def scoped(self, scope: Scope) -> bool:
        """Whether ``scope``'s projects are restricted inside FTS5 (few enough, and the column exists)."""
        codes = scope.fts_codes
        return bool(codes) and len(codes) <= self.max_codes and self.has_code_column()

    def match_documents(self, expr: str, scope: Scope, limit: int, *, at_most: int = 0) -> list[int]:
        """Documents matching ``expr`` within ``scope``, best first.

        A project scope is applied inside FTS5 (``{code}: (...) AND (...)``, weight 0) so only its
        rows are ranked; the SQL conditions still apply (exact project ids, other filters). The
        join to documents/projects is made only when a condition needs it. ``at_most``: an upper
        bound of the matches; past the rank budget (and not within a few projects) only the
        newest matches are ranked."""
        weights = DOC_WEIGHTS
        match = expr
        scoped = False
        if self.has_code_column():
            weights = DOC_WEIGHTS_CODE
            codes = scope.fts_codes
            if codes and len(codes) <= self.max_codes:
                match = "{code} : (" + " OR ".join(fts_quote(c) for c in sorted(codes)) + ") AND (" + expr + ")"
                scoped = True
        scope_sql = scope.sql()
        join = ""
        if scope_sql:
            join = "JOIN documents d ON d.id = f.rowid"
            if scope.uses_projects:
                join += " JOIN projects p ON p.id = d.project_id"
        budget = self.rank_budget if not scoped and at_most > self.rank_budget else None
        return self.ranked("search_docs", weights, match, join, scope_sql, scope.params, limit, budget=budget)

    def group_df(self, group: list[str]) -> int:
        """Documents (and projects) holding any alternative of one query word: the postings an
        any-word query reads for it. Prefixes sum the words they expand to."""
        snap = self.vocab.snapshot()
        total = 0
        for tok in group:
            if not tok.endswith("*"):
                total += snap.df.get(tok, 0)
                continue
            core = tok[:-1]
            words = snap.sorted_words
            i = bisect.bisect_left(words, core)
            n = 0
            while i < len(words) and words[i].startswith(core):
                total += snap.df[words[i]]
                i += 1
                n += 1
                if n > 2000:
                    return 1 << 40
        return total

    def affordable(
        self, groups: list[list[str]], phrases: list[list[str]], budget: int
    ) -> tuple[list[list[str]], list[list[str]]]:
        """The rarest words and phrases whose postings add up to at most ``budget`` (query order kept)."""
        snap = self.vocab.snapshot()
        items: list[tuple[int, int, int]] = [(self.group_df(g), 0, i) for i, g in enumerate(groups)]
        items += [(min((snap.df.get(t, 0) for t in ph), default=0), 1, i) for i, ph in enumerate(phrases)]
        items.sort()
        keep: set[tuple[int, int]] = set()
        total = 0
        for df, kind, i in items:
            if total + df > budget:
                break
            total += df
            keep.add((kind, i))
        return (
            [g for i, g in enumerate(groups) if (0, i) in keep],
            [ph for i, ph in enumerate(phrases) if (1, i) in keep],
        )

    def documents(
        self,
        groups: list[list[str]],
        phrases: list[list[str]],
        scope: Scope,
        limit: int = CANDIDATES,
        *,
        every_word: bool = False,
    ) -> tuple[list[int], int]:
        """BM25-ranked documents: those with every word first, then (when few) those with any
        (the rarest words within ``or_budget`` firm-wide, unless ``every_word``). Also returns
        how many matched every word."""
        if not groups and not phrases:
            return [], 0
        every = self.matches_at_most(groups, phrases, every_word=True)
        ids = self.match_documents(match_expression(groups, phrases, mode="and") or "", scope, limit, at_most=every)
        n_all = len(ids)
        if len(ids) < limit // 4 and len(groups) + len(phrases) > 1:
            any_groups, any_phrases = groups, phrases
            if not self.scoped(scope) and not every_word:  # firm-wide: rank what the budget allows
                any_groups, any_phrases = self.affordable(groups, phrases, self.or_budget)
            expr = match_expression(any_groups, any_phrases, mode="or")
            if expr:
                at_most = self.matches_at_most(any_groups, any_phrases, every_word=False)
                more = self.match_documents(expr, scope, limit, at_most=at_most)
                seen = set(ids)
                ids += [i for i in more if i not in seen]
        return ids, n_all
