"""The ``projects`` rows: one column list, one row type, and the SQL that reads and writes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..domain.models import ProjectFolder
from ..models import ProjectSummary
from ..store import DatabaseError, Store
from ..timestamps import NOW_SQL
from .sql import join_location, json_list, marks

COLUMNS = (
    "id",
    "code",
    "folder_name",
    "rel_path",
    "range_folder",
    "client",
    "description",
    "client_names",
    "doc_count",
    "indexed_at",
)
SELECT = ", ".join(f"p.{c}" for c in COLUMNS) + ", r.path"
FROM = "projects p JOIN roots r ON r.id = p.root_id"

# What the scanner writes for a project folder, in this order (``root_id`` on insert). The facts
# derived from its documents (client_names, doc_count) are written once the documents are.
WRITE_COLUMNS = ("code", "folder_name", "rel_path", "range_folder", "client", "description", "mtime")
INSERT_SQL = f"INSERT INTO projects (root_id, {', '.join(WRITE_COLUMNS)}) VALUES (?, {marks(len(WRITE_COLUMNS))})"
UPDATE_SQL = (
    "UPDATE projects SET " + ", ".join(f"{c} = ?" for c in WRITE_COLUMNS) + f", indexed_at = {NOW_SQL} WHERE id = ?"
)
#: The columns of ``projects`` the scan's facts pass computes (``indexers/project_facts.py``); nothing else writes them.
FACT_COLUMNS = ("doc_count", "client_names")
FACTS_UPDATE_SQL = (
    "UPDATE projects SET " + ", ".join(f"{c} = ?" for c in FACT_COLUMNS) + f", indexed_at = {NOW_SQL} WHERE id = ?"
)
STORED_SQL = f"SELECT id, {', '.join(WRITE_COLUMNS)} FROM projects WHERE root_id = ?"


def project_values(
    folder: ProjectFolder, folder_name: str, rel_path: str, range_folder: str | None, mtime: float | None
) -> tuple[Any, ...]:
    """The values of :data:`WRITE_COLUMNS` for one project folder."""
    return (folder.code, folder_name, rel_path, range_folder, folder.client, folder.description, mtime)


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """A project folder with its absolute path (a row of :data:`SELECT`)."""

    id: int
    code: str
    name: str
    path: str
    client: str | None
    client_names: tuple[str, ...]
    description: str
    range_folder: str | None
    doc_count: int
    indexed_at: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ProjectRow:
        pid, code, folder_name, rel_path, range_folder, client, description, names, doc_count, indexed_at, root = row
        return cls(
            id=pid,
            code=code,
            name=folder_name,
            path=join_location(root, rel_path),
            client=client,
            client_names=json_list(names),
            description=description or "",
            range_folder=range_folder,
            doc_count=doc_count,
            indexed_at=indexed_at,
        )

    def summary(self) -> ProjectSummary:
        return ProjectSummary(**self.summary_fields())

    def summary_fields(self) -> dict[str, Any]:
        """:meth:`summary`'s fields (for an answer that extends it, without building it first)."""
        return {
            "project_number": self.code,
            "name": self.name,
            "path": self.path,
            "client": self.client,
            "client_names": list(self.client_names),
            "description": self.description,
            "range_folder": self.range_folder,
            "doc_count": self.doc_count,
        }


class ProjectRepo:
    """Reads project rows."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def all(self) -> list[ProjectRow]:
        """Every project folder, in code then folder-name order."""
        rows = self.store.query(f"SELECT {SELECT} FROM {FROM} ORDER BY p.code, p.folder_name")
        return [ProjectRow.from_row(r) for r in rows]

    def fingerprint(self) -> tuple[Any, ...]:
        """Changes whenever a project row (or a root) is added, removed or changed: the store's change
        counter of the projects table (bumped by a trigger on every write, migration 0004), not its
        stamps, whose maximum need not move (a rename while another project's stamp is ahead of the
        clock, or in its millisecond). Stores without the counter (an older schema read-only): the
        row count, ids, counts and stamps, as before."""
        try:
            row = self.store.query_one(
                "SELECT n, (SELECT count(*) FROM roots) FROM search_versions WHERE name = 'projects'"
            )
        except DatabaseError:
            row = None
        return tuple(row) if row is not None else self._fingerprint_of_rows()

    def _fingerprint_of_rows(self) -> tuple[Any, ...]:
        return tuple(
            self.store.query_one(
                "SELECT count(*), max(id), total(doc_count), max(indexed_at), "
                "(SELECT count(*) FROM roots) FROM projects"
            )
        )

    def doc_breakdown(self, project_id: int) -> tuple[dict[str, int], dict[str, int]]:
        """Document counts of one project by type and by phase (``other`` when none), largest first."""
        types = self.store.query(
            "SELECT doc_type, count(*) n FROM documents WHERE project_id=? GROUP BY doc_type ORDER BY n DESC",
            (project_id,),
        )
        phases = self.store.query(
            "SELECT coalesce(phase, 'other') phase, count(*) n FROM documents WHERE project_id=? "
            "GROUP BY 1 ORDER BY n DESC",
            (project_id,),
        )
        return {r[0]: r[1] for r in types}, {r[0]: r[1] for r in phases}
