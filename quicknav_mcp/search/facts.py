"""Retrieval by understood facts: revision, room, change order, as-built and family, newest first,
through the fact indexes of migration 0004."""

from __future__ import annotations

from typing import Any

from ..repo.sql import marks
from ..store import Store
from .intent import related_like
from .query import ParsedQuery
from .scope import CANDIDATES, Scope

#: Documents listed newest first: not archived first, then newest, then lowest id (ties of mtime are
#: common: copied folders, restores, syncs). The candidate table's order
#: (``candidate_snapshot.recency_places``) is the same, so a list is the same whether the table or SQL
#: answers it.
NEWEST_FIRST = "d.is_archive ASC, d.mtime DESC, d.id"


class FactRetriever:
    """Document ids matching the facts a query names. ``candidates``: ids per list (:data:`CANDIDATES`)."""

    def __init__(self, store: Store, *, candidates: int = CANDIDATES) -> None:
        self.store = store
        self.candidates = candidates

    def documents(self, pq: ParsedQuery, scope: Scope, *, force: bool = False) -> list[int]:
        """Documents matching the understood facts (revision, room, change order, as-built,
        family), most facts first; with ``force`` also plain recency within the scope."""
        limit = self.candidates
        conds: list[str] = []
        params: list[Any] = []
        if pq.revision is not None:
            conds.append("(d.revision = ?)")
            params.append(pq.revision)
        if pq.room is not None:
            conds.append("(d.room = ?)")
            params.append(pq.room)
        if pq.change_order is not None:
            conds.append("(d.change_order = ?)")
            params.append(pq.change_order)
        if pq.as_built:
            conds.append("(d.is_as_built = 1)")
        if pq.doc_types:
            # Within a project, also what is filed as "other" under a related name (intent.RELATED_NAMES).
            likes = related_like(pq.doc_types) if scope.project_ids is not None else []
            related = "".join(" OR (d.doc_type = 'other' AND d.name LIKE ?)" for _ in likes)
            conds.append(f"(d.doc_type IN ({marks(len(pq.doc_types))}){related})")
            params.extend([*pq.doc_types, *likes])
        if not self.asks_facts(pq) and not (force and scope.restricted):
            return []
        if _family_only(pq, scope):
            return self._family_newest(pq.doc_types, pq.as_built, scope)
        if conds and scope.project_ids is None and scope.fts_codes is None:
            # Firm-wide ("CO5", "rev 102" without a project): the ranking below sorts every document
            # holding any of the facts (a full scan, 20-35 ms at 116k). When at least a page of
            # candidates holds all of them, those are exactly its first rows.
            every = self._all_facts_newest(conds, params, scope)
            if len(every) >= limit:
                return every
        order = f"({' + '.join(conds)}) DESC, " if conds else ""
        having = f" AND ({' OR '.join(conds)})" if conds else ""
        sql = (
            f"SELECT d.id FROM documents d JOIN projects p ON p.id = d.project_id WHERE 1{scope.sql()}{having} "
            f"ORDER BY {order}{NEWEST_FIRST} LIMIT ?"
        )
        args = [*scope.params, *(params if having else []), *(params if conds else []), limit]
        return [r[0] for r in self.store.query(sql, args)]

    @staticmethod
    def asks_facts(pq: ParsedQuery) -> bool:
        """Whether the request names a fact :meth:`documents` filters on (without one it lists
        documents only with ``force``: the scope's newest)."""
        return bool(
            pq.revision is not None or pq.room is not None or pq.change_order is not None or pq.as_built or pq.doc_types
        )

    @staticmethod
    def firm_family(pq: ParsedQuery, scope: Scope) -> bool:
        """Whether :meth:`documents` answers with the newest documents of distinct families across
        the whole firm, scope-free: :meth:`_family_newest` with nothing but ``doc_types`` and
        ``as_built``, which a snapshot of the documents table can list instead (``family_newest``).
        (Repeated types would read their rows twice here; a snapshot lists each row once.)"""
        return (
            _family_only(pq, scope)
            and not scope.where
            and not scope.uses_projects
            and scope.fts_codes is None
            and len(set(pq.doc_types)) == len(pq.doc_types)
        )

    def _all_facts_newest(self, conds: list[str], params: list[Any], scope: Scope) -> list[int]:
        """Documents holding every fact, not archived first then newest, through the fact indexes
        of migration 0004 (one walk per archived state: mixed sort directions cannot use an index)."""
        limit = self.candidates
        join = " JOIN projects p ON p.id = d.project_id" if scope.uses_projects else ""
        out: list[int] = []
        for archived in (0, 1):
            out += [
                r[0]
                for r in self.store.query(
                    f"SELECT d.id FROM documents d{join} WHERE d.is_archive = ? AND {' AND '.join(conds)}"
                    f"{scope.sql()} ORDER BY d.mtime DESC, d.id LIMIT ?",
                    [archived, *params, *scope.params, limit - len(out)],
                )
            ]
            if len(out) >= limit:
                break
        return out

    def _family_newest(self, doc_types: list[str], as_built: bool, scope: Scope) -> list[int]:
        """Firm-wide family lookups, not archived first then newest: ``ORDER BY is_archive ASC,
        mtime DESC`` over ``doc_type IN (...)`` cannot walk the (doc_type, is_archive, mtime) index
        (mixed directions, several types) and sorted every row of the family (20 ms for lld at
        116k documents); one query per (type, archived) walks it newest first and stops at the
        limit (0.1 ms)."""
        limit = self.candidates
        extra = " AND d.is_as_built = 1" if as_built else ""
        join = " JOIN projects p ON p.id = d.project_id" if scope.uses_projects else ""
        if scope.fts_codes is not None:
            # Within a few projects (a client's): read their documents through the project index
            # and sort those (+doc_type keeps the planner off the firm-wide family index).
            sql = (
                f"SELECT d.id FROM documents d{join} WHERE +d.doc_type IN ({marks(len(doc_types))}){extra}"
                f"{scope.sql()} ORDER BY {NEWEST_FIRST} LIMIT ?"
            )
            return [r[0] for r in self.store.query(sql, [*doc_types, *scope.params, limit])]
        out: list[int] = []
        for archived in (0, 1):
            rows: list[Any] = []
            for doc_type in doc_types:
                rows += self.store.query(
                    f"SELECT d.id, d.mtime FROM documents d{join} WHERE d.doc_type = ? AND d.is_archive = ?"
                    f"{extra}{scope.sql()} ORDER BY d.mtime DESC, d.id LIMIT ?",
                    [doc_type, archived, *scope.params, limit - len(out)],
                )
            rows.sort(key=lambda r: (-(r[1] or 0.0), r[0]))
            out += [r[0] for r in rows][: limit - len(out)]
            if len(out) >= limit:
                break
        return out


def _family_only(pq: ParsedQuery, scope: Scope) -> bool:
    """A family named without a project or numbers: :meth:`FactRetriever.documents` lists it newest first."""
    return (
        bool(pq.doc_types)
        and scope.project_ids is None
        and pq.revision is None
        and pq.room is None
        and pq.change_order is None
    )
