"""Where a document search looks: SQL conditions over ``d`` (documents) and ``p`` (projects)
built from the filters, the project argument and the codes typed in the query."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFound
from ..repo.sql import like_pattern, marks
from ..services.projects import ProjectService
from .query import ParsedQuery, parse_date_value

CANDIDATES = 200  # ids per retrieval list
# BM25 scores every row a MATCH finds, whatever the LIMIT (~1 µs a row for one word, several for
# a few words with alternatives). Past this many matches only the most recently indexed this-many
# are ranked (FTS5 walks its rowids newest first and stops; the scores are sorted in Python), which
# bounds the work of a pathological query. It is a bound, not a speed-up: rowid order is walk order,
# not relevance, and at 1,000 the top answer changed for 15% of 216 queries over the 116k-document
# demo firm (2% at 5,000, for ~no time saved), so it sits above what ordinary firm-wide words match.
RANK_BUDGET = 20_000


def _in_projects(n: int) -> str:
    return f"d.project_id IN ({marks(n)})"


@dataclass
class Scope:
    """SQL conditions over ``d`` (documents) and ``p`` (projects), plus post-filters."""

    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    project_ids: set[int] | None = None
    statuses: set[str] = field(default_factory=set)
    restricted: bool = False
    uses_projects: bool = False  # a condition reads ``p`` (projects): queries must join it
    fts_codes: set[str] | None = None  # project codes full-text queries may restrict to inside FTS5

    def sql(self) -> str:
        return (" AND " + " AND ".join(self.where)) if self.where else ""

    def only_projects(self) -> bool:
        """Whether the one condition is that documents are of ``project_ids`` (as ``document_scope``
        and :meth:`within` word it): in-memory lists that know each document's project can answer."""
        ids = self.project_ids
        return ids is not None and self.where == [_in_projects(len(ids))] and self.params == sorted(ids)

    def add(self, cond: str, *params: Any) -> None:
        self.where.append(cond)
        self.params.extend(params)
        self.restricted = True

    def within(self, project_ids: set[int], codes: set[str]) -> Scope:
        """This scope narrowed to some projects (``codes``: theirs, for FTS5)."""
        sub = Scope(list(self.where), list(self.params), self.project_ids, self.statuses, True)
        sub.uses_projects = self.uses_projects
        sub.add(_in_projects(len(project_ids)), *sorted(project_ids))
        sub.fts_codes = codes
        return sub


def document_scope(
    projects: ProjectService,
    pq: ParsedQuery,
    filters: dict[str, list[str]],
    project_number: str | None,
    doc_type: str | None,
    current_only: bool,
    notes: list[str],
) -> Scope:
    """The scope of a document search; codes typed in the query that match nothing go to ``notes``."""
    scope = Scope()
    merged: dict[str, list[str]] = {k: list(v) for k, v in pq.filters.items()}
    for k, v in filters.items():
        merged.setdefault(k, [])
        merged[k] += [x for x in v if x not in merged[k]]
    codes = list(merged.get("project", []))
    if project_number:
        codes.append(project_number)
    ids: set[int] = set()
    code_of: dict[int, str] = {}
    for code in dict.fromkeys(codes):
        found = projects.by_code(code)
        if not found:
            raise NotFound(f"project {code} not found in the index")
        ids |= {p.id for p in found}
        code_of.update((p.id, p.code) for p in found)
    typed: set[int] = set()
    for code in pq.codes:
        found = projects.by_code(code)
        if found:
            typed |= {p.id for p in found}
            code_of.update((p.id, p.code) for p in found)
        else:
            notes.append(f"no project {code} in the index")
    if ids and typed:
        both = ids & typed
        ids = both or ids
    elif typed:
        ids = typed
    if ids:
        scope.project_ids = ids
        scope.fts_codes = {code_of[i] for i in ids}
        scope.add(_in_projects(len(ids)), *sorted(ids))
    types = list(merged.get("doc_type", []))
    if doc_type:
        types.append(doc_type)
    if types:
        scope.add(f"d.doc_type IN ({marks(len(set(types)))})", *sorted(set(types)))
    if merged.get("ext"):
        scope.add(f"d.ext IN ({marks(len(merged['ext']))})", *merged["ext"])
    if merged.get("phase"):
        scope.add(f"d.phase IN ({marks(len(merged['phase']))})", *merged["phase"])
    if merged.get("year"):
        ys = merged["year"]
        scope.add(
            f"(substr(d.doc_date, 1, 4) IN ({marks(len(ys))}) OR (d.doc_date IS NULL AND "
            f"strftime('%Y', d.mtime, 'unixepoch') IN ({marks(len(ys))})))",
            *ys,
            *ys,
        )
    for v in merged.get("after", []):
        scope.add("d.mtime >= ?", parse_date_value(v))
    for v in merged.get("before", []):
        scope.add("d.mtime <= ?", parse_date_value(v, end=True))
    if merged.get("client"):
        conds = []
        for v in merged["client"]:
            conds.append(
                "(p.client LIKE ? ESCAPE '\\' OR p.client_names LIKE ? ESCAPE '\\' OR p.folder_name LIKE ? ESCAPE '\\')"
            )
            scope.params.extend([like_pattern(v)] * 3)
        scope.where.append("(" + " OR ".join(conds) + ")")
        scope.restricted = True
        scope.uses_projects = True
    scope.statuses = set(merged.get("status", []))
    if current_only:
        scope.statuses.add("current")
    if scope.statuses == {"current"}:
        scope.add("d.is_archive = 0")
    return scope
