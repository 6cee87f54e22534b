"""The ``documents`` rows: one column list, one row type, and the SQL that reads and writes them.

The scanner writes rows with :data:`INSERT_SQL` / :data:`UPDATE_SQL` from :func:`document_values`
(:data:`WRITE_COLUMNS`);
the document service and search read them as :class:`DocumentRow` (which satisfies the domain's
``DocFacts`` protocol, so the current-revision rule runs on it directly).
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..domain.models import ParsedDocument
from ..models import DocumentInfo
from ..pathkey import path_key
from ..store import Store
from ..timestamps import restamp_sql
from .sql import in_chunks, join_location, json_list, marks, paging, to_json_list

# A document row as read, in this order (after ``id``; the project's code and name and the root follow).
COLUMNS = (
    "project_id",
    "rel_path",
    "project_rel_path",
    "name",
    "ext",
    "size",
    "mtime",
    "doc_type",
    "phase",
    "revision",
    "revision_raw",
    "revision_scheme",
    "status_tags",
    "is_as_built",
    "doc_date",
    "room",
    "change_order",
    "sheet",
    "code_in_name",
    "series_key",
    "is_archive",
    "is_handover_copy",
    "duplicate_counter",
)
# What the scanner writes for every file, in this order (``root_id`` and ``indexed_at`` apart): the
# path relative to the root is not stored (it is the project's path and this one), the name is
# generated from ``project_rel_path`` and ``name_at`` (migration 0010).
WRITE_COLUMNS = ("project_id", "project_rel_path", "path_key", "name_at", *COLUMNS[4:])
# The path relative to the root, from the project's (``p``) and the document's (``d``).
REL_PATH = "iif(p.rel_path = '', d.project_rel_path, p.rel_path || '/' || d.project_rel_path)"


def _read(column: str) -> str:
    return REL_PATH if column == "rel_path" else f"d.{column}"


# A read row: the id, the columns, then its project's code and folder name and its root.
SELECT = "d.id, " + ", ".join(_read(c) for c in COLUMNS) + ", p.code, p.folder_name, r.path"
# CROSS JOIN fixes the order (documents first): every read selects documents by id, project or
# series, and left free the planner led with projects on series lookups (~4x slower).
# The same row without its project and root (see DocumentRepo.series_peers; its rel_path is blank too).
_FACTS_SELECT = "d.id, " + ", ".join("''" if c == "rel_path" else f"d.{c}" for c in COLUMNS) + ", '', '', ''"
FROM = "documents d CROSS JOIN projects p ON p.id = d.project_id CROSS JOIN roots r ON r.id = d.root_id"

# A write's stamp differs from the row's before (the embedding worker compares them: see timestamps).
STAMP_SQL = restamp_sql("indexed_at")
INSERT_SQL = (
    f"INSERT INTO documents (root_id, {', '.join(WRITE_COLUMNS)}) VALUES (?, {marks(len(WRITE_COLUMNS))}) "
    # Another process may have indexed the same path meanwhile: take over its row.
    "ON CONFLICT (project_id, path_key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in WRITE_COLUMNS)
    + f", indexed_at = {STAMP_SQL}"
)
UPDATE_SQL = (
    "UPDATE documents SET " + ", ".join(f"{c} = ?" for c in WRITE_COLUMNS) + f", indexed_at = {STAMP_SQL} WHERE id = ?"
)


def document_values(
    project_id: int, project_rel_path: str, name: str, size: int, mtime: float, doc: ParsedDocument
) -> tuple[Any, ...]:
    """The values of :data:`WRITE_COLUMNS` for one parsed file (``project_rel_path`` ends with ``name``)."""
    rev = doc.revision
    return (
        project_id,
        project_rel_path,
        path_key(project_rel_path),
        len(project_rel_path) - len(name) + 1,
        (doc.ext or "").lstrip(".").lower(),
        size,
        mtime,
        doc.doc_type,
        doc.phase,
        rev.value if rev else None,
        rev.raw if rev else None,
        rev.scheme if rev else None,
        to_json_list(doc.status_tags) if doc.status_tags else "[]",  # most names have none: skip json.dumps
        int(doc.is_as_built),
        doc.doc_date.isoformat() if doc.doc_date else None,
        doc.room,
        doc.change_order,
        doc.sheet,
        doc.project_code,
        doc.series_key,
        int(doc.is_archive),
        int(doc.is_handover_copy),
        doc.duplicate_counter,
    )


def folders_of(project_rel_path: str, name: str) -> str:
    """The folders of a path within its project: everything before the file's ``name``."""
    return project_rel_path[: len(project_rel_path) - len(name)]


@dataclass(slots=True)
class DocumentRow:
    """One document with its project's code and name and its root (a row of :data:`SELECT`).

    ``is_current`` is not stored: whoever applies the current-revision rule sets it.
    """

    id: int
    project_id: int
    rel_path: str
    project_rel_path: str
    name: str
    ext: str
    size: int
    mtime: float
    doc_type: str
    phase: str | None
    revision: int | None
    revision_raw: str | None
    revision_scheme: str | None
    status_tags: tuple[str, ...]
    is_as_built: bool
    doc_date: str | None
    room: int | None
    change_order: int | None
    sheet: str | None
    code_in_name: str | None
    series_key: str
    is_archive: bool
    is_handover_copy: bool
    duplicate_counter: int | None
    code: str
    project_name: str
    root: str
    is_current: bool = False

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> DocumentRow:
        """From a row of :data:`SELECT` (by position: about twice as fast as by name)."""
        v = list(row)
        v[_TAGS] = json_list(v[_TAGS])
        for i in _FLAGS:
            v[i] = bool(v[i])
        return cls(*v)

    @property
    def path(self) -> str:
        return join_location(self.root, self.rel_path)

    @property
    def folders(self) -> str:
        """The folders between the project folder and the file (``4. System Designs/ARCHIVE/``)."""
        return folders_of(self.project_rel_path, self.name)

    @property
    def year(self) -> str:
        """The year of the date in its name, else of its modification time (UTC)."""
        return document_year(self.doc_date, self.mtime)

    @property
    def modified(self) -> str:
        return datetime.fromtimestamp(self.mtime, UTC).isoformat(timespec="seconds") if self.mtime else ""

    def info_fields(self) -> dict[str, Any]:
        """The fields of :class:`DocumentInfo` (result models built on it add their own)."""
        return {
            "id": self.id,
            "path": self.path,
            "rel_path": self.project_rel_path,
            "name": self.name,
            "project_number": self.code,
            "doc_type": self.doc_type,
            "phase": self.phase,
            "revision": self.revision,
            "revision_raw": self.revision_raw,
            "revision_scheme": self.revision_scheme,
            "status_tags": list(self.status_tags),
            "is_as_built": self.is_as_built,
            "doc_date": self.doc_date,
            "room": self.room,
            "change_order": self.change_order,
            "sheet": self.sheet,
            "series_key": self.series_key,
            "is_archive": self.is_archive,
            "is_handover_copy": self.is_handover_copy,
            "is_current": self.is_current,
            "size": self.size,
            "modified": self.modified,
        }

    def info(self) -> DocumentInfo:
        return DocumentInfo(**self.info_fields())


# 1 January (UTC) of 1970..2199 as Unix times: a year is a bisect, not a time.gmtime call.
_YEAR_STARTS = [calendar.timegm((y, 1, 1, 0, 0, 0)) for y in range(1970, 2200)]


def document_year(doc_date: str | None, mtime: float) -> str:
    """The year of the date in a document's name, else of its modification time (UTC)."""
    if doc_date:
        return doc_date[:4]
    if not mtime:
        return ""
    i = bisect.bisect_right(_YEAR_STARTS, mtime) - 1
    if 0 <= i < len(_YEAR_STARTS) - 1:
        return str(1970 + i)
    return datetime.fromtimestamp(mtime, UTC).strftime("%Y")  # before 1970 or after 2199


# What ranking, status filters and facets read of a search candidate (see DocumentFacts).
FACT_COLUMNS = (
    "id",
    "project_id",
    "mtime",
    "doc_type",
    "phase",
    "ext",
    "revision",
    "room",
    "change_order",
    "is_as_built",
    "doc_date",
    "series_key",
    "is_archive",
    "is_handover_copy",
    "status_tags",
    "name",
    "project_rel_path",
    "rel_path",
)
_FACTS_OF_CANDIDATE = ", ".join(_read(c) for c in FACT_COLUMNS) + ", p.code, p.folder_name"


@dataclass(slots=True)
class DocumentFacts:
    """A search candidate: the facts ranking, status filters and facets read (the fields keep
    :class:`DocumentRow`'s names), without its root; the name and paths are what the request's
    intent (search/intent.py) and the learned ranker's features (search/features.py) read. ``is_current`` is set by
    whoever applies the current-revision rule."""

    id: int
    project_id: int
    mtime: float
    doc_type: str
    phase: str | None
    ext: str
    revision: int | None
    room: int | None
    change_order: int | None
    is_as_built: bool
    doc_date: str | None
    series_key: str
    is_archive: bool
    is_handover_copy: bool
    status_tags: tuple[str, ...]
    name: str
    project_rel_path: str
    rel_path: str
    code: str
    project_name: str
    is_current: bool = False

    @property
    def folders(self) -> str:
        """The folders between the project folder and the file (as :attr:`DocumentRow.folders`)."""
        return folders_of(self.project_rel_path, self.name)

    @property
    def year(self) -> str:
        return document_year(self.doc_date, self.mtime)


# The columns of a row that a search candidate's facts (DocumentFacts) lack, besides the root.
REST_COLUMNS = ("size", "revision_raw", "revision_scheme", "sheet", "code_in_name", "duplicate_counter")
_REST = ", ".join(f"d.{c}" for c in REST_COLUMNS)


def row_from_facts(f: DocumentFacts, rest: Sequence[Any], root: str) -> DocumentRow:
    """The row of a candidate's facts with the values of :data:`REST_COLUMNS` (in that order) and its
    root's path, as :meth:`DocumentRepo.by_ids` would read it when facts and rest were read together;
    ``is_current`` comes from the facts."""
    size, revision_raw, revision_scheme, sheet, code_in_name, duplicate_counter = rest
    return DocumentRow(
        f.id,
        f.project_id,
        f.rel_path,
        f.project_rel_path,
        f.name,
        f.ext,
        size,
        f.mtime,
        f.doc_type,
        f.phase,
        f.revision,
        revision_raw,
        revision_scheme,
        f.status_tags,
        f.is_as_built,
        f.doc_date,
        f.room,
        f.change_order,
        sheet,
        code_in_name,
        f.series_key,
        f.is_archive,
        f.is_handover_copy,
        duplicate_counter,
        f.code,
        f.project_name,
        root,
        f.is_current,
    )


_POS = {c: n for n, c in enumerate(("id", *COLUMNS))}
_TAGS = _POS["status_tags"]
_FLAGS = (_POS["is_as_built"], _POS["is_archive"], _POS["is_handover_copy"])


class DocumentRepo:
    """Reads document rows. ``where`` fragments use the aliases ``d`` (documents), ``p``
    (projects) and ``r`` (roots) and start with ``AND``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def for_projects(
        self,
        project_ids: Sequence[int],
        where: str = "",
        params: Sequence[Any] = (),
        *,
        page: tuple[int, int] | None = None,
    ) -> list[DocumentRow]:
        """Documents of these projects in path order; ``page`` = (limit, offset)."""
        inside = f"d.project_id IN ({marks(len(project_ids))})"
        sql = f"SELECT {SELECT} FROM {FROM} WHERE {inside} {where} ORDER BY {REL_PATH}"
        args: tuple[Any, ...] = (*project_ids, *params)
        if page is not None:
            clause, bounds = paging(*page)
            sql += clause
            args += bounds
        return [DocumentRow.from_row(r) for r in self.store.query(sql, args)]

    def count_for_projects(self, project_ids: Sequence[int]) -> int:
        row = self.store.query_one(
            f"SELECT count(*) FROM documents WHERE project_id IN ({marks(len(project_ids))})", tuple(project_ids)
        )
        return int(row[0])

    def by_ids(self, ids: Iterable[int], where: str = "", params: Sequence[Any] = ()) -> dict[int, DocumentRow]:
        """Rows by id (one query per chunk), only those that also meet ``where``."""
        out: dict[int, DocumentRow] = {}
        for chunk in in_chunks(ids):
            rows = self.store.query(
                f"SELECT {SELECT} FROM {FROM} WHERE d.id IN ({marks(len(chunk))}){where}", (*chunk, *params)
            )
            for r in rows:
                out[r[0]] = DocumentRow.from_row(r)
        return out

    def sizes(self, ids: Sequence[int]) -> dict[int, int]:
        """Sizes in bytes by id (one query per chunk)."""
        out: dict[int, int] = {}
        for chunk in in_chunks(ids):
            for r in self.store.query(f"SELECT id, size FROM documents WHERE id IN ({marks(len(chunk))})", chunk):
                out[r[0]] = r[1]
        return out

    def facts_by_ids(self, ids: Sequence[int], where: str = "", params: Sequence[Any] = ()) -> dict[int, DocumentFacts]:
        """Search candidates by id (one query per chunk), only those that also meet ``where``:
        the few columns ranking reads, not whole rows (a search loads ~200 to show 10)."""
        out: dict[int, DocumentFacts] = {}
        for chunk in in_chunks(ids):
            for r in self.store.query(
                f"SELECT {_FACTS_OF_CANDIDATE} FROM documents d CROSS JOIN projects p ON p.id = d.project_id "
                f"WHERE d.id IN ({marks(len(chunk))}){where}",
                (*chunk, *params),
            ):
                tags = r[14]
                out[r[0]] = DocumentFacts(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    bool(r[9]),
                    r[10],
                    r[11],
                    bool(r[12]),
                    bool(r[13]),
                    json_list(tags) if tags and tags != "[]" else (),
                    r[15],
                    r[16],
                    r[17],
                    r[18],
                    r[19],
                )
        return out

    def with_content(self, ids: Sequence[int]) -> list[tuple[DocumentRow, str | None]]:
        """Rows by id in the order given, each with its extracted text (None without), in one query."""
        if not ids:
            return []
        rows = self.store.query_tuples(  # (plain tuples: sliced without a copy of each row first)
            f"SELECT {SELECT}, c.text FROM {FROM} LEFT JOIN document_content c ON c.doc_id = d.id "
            f"WHERE d.id IN ({marks(len(ids))})",
            tuple(ids),
        )
        found = {r[0]: (DocumentRow.from_row(r[:-1]), r[-1]) for r in rows}
        return [found[i] for i in ids if i in found]

    def rest_with_content(self, ids: Sequence[int], also: str) -> list[tuple[Any, ...]]:
        """For each of ``ids`` that exists (any order): its id, the columns of :data:`REST_COLUMNS`,
        its root's path, its extracted text (None without), then the values of the SQL expressions
        ``also`` (read in the same statement). With :func:`row_from_facts` these complete the facts
        a search candidate already holds into the rows :meth:`with_content` reads whole."""
        if not ids:
            return []
        return self.store.query_tuples(
            f"SELECT d.id, {_REST}, r.path, c.text, {also} FROM documents d CROSS JOIN roots r ON r.id = d.root_id "
            f"LEFT JOIN document_content c ON c.doc_id = d.id WHERE d.id IN ({marks(len(ids))})",
            tuple(ids),
        )

    def series_peers(self, pairs: Sequence[tuple[int, str]]) -> list[DocumentRow]:
        """Every document of these (project id, series key) pairs, through the series index.

        For the current-revision rule, which needs only the document's own facts: the rows skip
        the project and root joins (``code``, ``project_name`` and ``root`` are blank), which
        kept this hot query as cheap as it was before the row model was shared."""
        out: list[DocumentRow] = []
        for start in range(0, len(pairs), 400):
            chunk = pairs[start : start + 400]
            rows = self.store.query(
                f"SELECT {_FACTS_SELECT} FROM documents d WHERE (d.project_id, d.series_key) IN "
                f"(VALUES {','.join('(?, ?)' for _ in chunk)})",
                [v for pair in chunk for v in pair],
            )
            out += [DocumentRow.from_row(r) for r in rows]
        return out
