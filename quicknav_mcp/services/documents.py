"""Document finder: the legacy ``auto`` / ``latest`` / ``all`` modes over indexed documents."""

from __future__ import annotations

import re
from typing import Literal

from ..domain import DOC_TYPE_SYNONYMS, DOC_TYPES, auto_choice, current_by_series, is_provisional, rank_key
from ..errors import InvalidInput, NotFound
from ..models import DocumentInfo, DocumentPage, FindDocumentsResult
from ..repo import DocumentRepo, DocumentRow
from ..repo.sql import marks
from ..store import Store
from ..validation import bounded_int, clean_text
from .projects import ProjectService

Mode = Literal["auto", "latest", "all"]
MODES = ("auto", "latest", "all")
MAX_RESULTS = 200

_DIGITS = re.compile(r"(\d+)")


def _natural(d: DocumentRow) -> list[object]:
    return [int(t) if t.isdigit() else t.lower() for t in _DIGITS.split(d.name)]


def normalise_doc_type(value: object) -> str:
    """Accept a legacy doc_type or a familiar synonym ("design", "CO", "as built")."""
    text = clean_text(value, "doc_type", max_len=40).lower()
    if text in DOC_TYPES:
        return text
    key = text.replace("_", " ").replace("-", " ")
    for candidate in (text, key):
        if candidate in DOC_TYPE_SYNONYMS:
            return DOC_TYPE_SYNONYMS[candidate]
    known = ", ".join(sorted(DOC_TYPES))
    raise InvalidInput(f"unknown doc_type {text[:40]!r}; use one of: {known}")


class DocumentService:
    """Reads documents of a project and decides which are current."""

    def __init__(self, store: Store, projects: ProjectService) -> None:
        self.store = store
        self.projects = projects
        self.rows = DocumentRepo(store)

    def _records(self, project_ids: list[int], where: str = "", params: tuple = ()) -> list[DocumentRow]:
        return self.rows.for_projects(project_ids, where, params)

    def current_ids(self, records: list[DocumentRow]) -> set[int]:
        """Ids of the current document of every series (outside archives)."""
        return {d.id for d in current_by_series(records)}

    def find(
        self,
        project_number: object,
        doc_type: object = "lld",
        mode: object = "auto",
        room: int | None = None,
        change_order: int | None = None,
        include_archive: bool = False,
    ) -> FindDocumentsResult:
        """The legacy finder. Never raises for bad input: returns ``status="error"``."""
        try:
            return self._find(project_number, doc_type, mode, room, change_order, include_archive)
        except (InvalidInput, NotFound) as exc:
            return FindDocumentsResult(status="error", message=str(exc))

    def _find(self, project_number, doc_type, mode, room, change_order, include_archive) -> FindDocumentsResult:
        dtype = normalise_doc_type(doc_type)
        mode_text = clean_text(mode, "mode", max_len=10).lower()
        if mode_text not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}, got {mode_text!r}")
        if room is not None:
            room = bounded_int(room, "room", 0, 9999)
        if change_order is not None:
            change_order = bounded_int(change_order, "change_order", 0, 9999)
        if not isinstance(include_archive, bool):
            raise InvalidInput("include_archive must be true or false")
        projects = self.projects.require(project_number)  # validates the code
        code = projects[0].code
        where = "AND d.doc_type = ?"
        params: tuple = (dtype,)
        if room is not None:
            where += " AND d.room = ?"
            params += (room,)
        if change_order is not None:
            where += " AND d.change_order = ?"
            params += (change_order,)
        records = self._records([p.id for p in projects], where, params)
        current = self.current_ids(records)
        if mode_text == "all":
            chosen = [d for d in records if include_archive or not d.is_archive]
            chosen.sort(key=rank_key, reverse=True)
        elif mode_text == "latest":
            # Every series' current document, in natural name order (LEVEL 1, LEVEL 3, LEVEL 30);
            # drafts and templates last, since they are never what is being asked for.
            chosen = sorted(
                current_by_series(records, include_archive=include_archive),
                key=lambda d: (is_provisional(d), _natural(d)),
            )
        else:
            chosen = auto_choice(records, include_archive=include_archive)
        series_total = len({d.series_key for d in records if include_archive or not d.is_archive})
        chosen = chosen[:MAX_RESULTS]
        for d in records:
            d.is_current = d.id in current
        documents = [d.info() for d in chosen]
        base = FindDocumentsResult(status="error", project_number=code, mode=mode_text, documents=documents)
        if not chosen:
            what = f"{dtype} documents"
            if room is not None:
                what += f" for room {room}"
            if change_order is not None:
                what += f" for change order {change_order}"
            archived = sum(d.is_archive for d in records)
            if archived and not include_archive:
                base.message = (
                    f"no {what} outside archive folders in project {code}; {archived} archived "
                    "(set include_archive to see them)"
                )
            else:
                base.message = f"no {what} found in project {code}"
            return base
        if len(chosen) == 1:
            base.status = "success"
            base.path = chosen[0].path
        else:
            base.status = "select"
            base.paths = [d.path for d in chosen]
            base.message = f"{len(chosen)} {dtype} documents in project {code}; choose one"
            if mode_text == "auto" and series_total > len(chosen):
                base.message += (
                    f" (the {len(chosen)} most current of {series_total} series; "
                    "use mode=latest for all, or filter by room)"
                )
        return base

    def history(self, document_id: int) -> list[DocumentInfo]:
        """Every document of ``document_id``'s series (its revisions and copies), newest revision first,
        with the current one marked; empty when the document is not in the index."""
        found = self.rows.by_ids([document_id])
        if document_id not in found:
            return []
        doc = found[document_id]
        peers = self._records([doc.project_id], "AND d.series_key = ?", (doc.series_key,))
        current = self.current_ids(peers)
        for d in peers:
            d.is_current = d.id in current
        peers.sort(key=lambda d: (d.revision is None, -(d.revision or 0), d.is_archive, _natural(d)))
        return [d.info() for d in peers]

    def page(self, project_number: object, offset: int = 0, limit: int = 50) -> DocumentPage:
        """Every document of a project (all folders with the code), in path order."""
        offset = bounded_int(offset, "offset", 0, 10_000_000)
        limit = bounded_int(limit, "limit", 1, 500)
        projects = self.projects.require(project_number)
        ids = [p.id for p in projects]
        total = self.rows.count_for_projects(ids)
        records = self.rows.for_projects(ids, page=(limit, offset))
        # "current" needs the whole series, not just this page.
        series = {d.series_key for d in records}
        current: set[int] = set()
        if series:
            peers = self._records(ids, f"AND d.series_key IN ({marks(len(series))})", tuple(series))
            current = self.current_ids(peers)
        for d in records:
            d.is_current = d.id in current
        return DocumentPage(
            project_number=projects[0].code,
            documents=[d.info() for d in records],
            total_count=total,
            offset=offset,
            limit=limit,
        )
