"""What each indexed project is about, as text: for content-based similarity.

Reads the project, document and extracted-text tables in three bulk queries (one per table)
instead of a query per project, so the text of 5,000 projects is ready in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..repo import ProjectRepo
from ..repo.documents import REL_PATH
from ..store import Store

MAX_DOC_NAMES = 120  # per project: enough to say what it is, bounded for huge projects
SUMMARY_DOCS = 3  # extracted text of this many documents per project
SUMMARY_CHARS = 400


@dataclass(slots=True)
class ProjectText:
    code: str
    name: str
    client: str | None
    client_names: list[str]
    description: str
    doc_names: list[str] = field(default_factory=list)
    summary: str = ""

    @property
    def display_client(self) -> str | None:
        return self.client_names[0] if self.client_names else self.client


def project_texts(store: Store) -> dict[str, ProjectText]:
    """Folder name, clients, description, document names and a summary of extracted text per code."""
    out: dict[str, ProjectText] = {}
    ids: dict[int, str] = {}
    for row in ProjectRepo(store).all():  # code, then folder-name order
        ids[row.id] = row.code
        if row.code in out:  # several folders share a code: their text is merged
            out[row.code].name += " " + row.name
            continue
        out[row.code] = ProjectText(row.code, row.name, row.client, list(row.client_names), row.description)
    for r in store.query(
        "SELECT project_id, name FROM (SELECT project_id, name, row_number() OVER "
        "(PARTITION BY project_id ORDER BY is_archive, mtime DESC, series_key, id) AS k FROM documents) WHERE k <= ?",
        (MAX_DOC_NAMES,),
    ):
        code = ids.get(r[0])
        if code:
            out[code].doc_names.append(r[1])
    for r in store.query(
        "SELECT project_id, text FROM (SELECT d.project_id, substr(c.text, 1, ?) AS text, row_number() OVER "
        "(PARTITION BY d.project_id ORDER BY d.doc_type = 'scope' DESC, d.doc_type = 'lld' DESC, d.mtime DESC) AS k "
        "FROM document_content c JOIN documents d ON d.id = c.doc_id WHERE c.status = 'ok') WHERE k <= ?",
        (SUMMARY_CHARS, SUMMARY_DOCS),
    ):
        code = ids.get(r[0])
        if code and r[1]:
            out[code].summary += " " + r[1]
    return out


def project_documents(store: Store, *, per_project: int = 200) -> dict[str, list[tuple[str, str]]]:
    """(path relative to its root, doc_type) of each project's documents, current ones first."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in store.query(
        f"SELECT code, rel_path, doc_type FROM (SELECT p.code, {REL_PATH} AS rel_path, d.doc_type, row_number() OVER "
        "(PARTITION BY d.project_id ORDER BY d.is_archive, d.revision IS NULL, d.revision DESC, d.mtime DESC, "
        "d.series_key, d.id) AS k "
        "FROM documents d JOIN projects p ON p.id = d.project_id) WHERE k <= ? ORDER BY code, k",
        (per_project,),
    ):
        out.setdefault(r[0], []).append((r[1], r[2]))
    return out
