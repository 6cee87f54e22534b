"""Document finder: the legacy ``auto`` / ``latest`` / ``all`` modes over indexed documents."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..domain import DOC_TYPE_SYNONYMS, DOC_TYPES, auto_choice, current_by_series, is_provisional, rank_key
from ..errors import InvalidInput, NotFound
from ..models import DocumentInfo, DocumentPage, FindDocumentsResult
from ..store import Store
from ..validation import bounded_int, clean_text
from .projects import ProjectService

Mode = Literal["auto", "latest", "all"]
MODES = ("auto", "latest", "all")
MAX_RESULTS = 200

_DOC_COLUMNS = (
    "d.id, d.rel_path, d.project_rel_path, d.name, d.ext, d.size, d.mtime, d.doc_type, d.phase, "
    "d.revision, d.revision_raw, d.revision_scheme, d.status_tags, d.is_as_built, d.doc_date, d.room, "
    "d.change_order, d.sheet, d.series_key, d.is_archive, d.is_handover_copy, p.code, r.path AS root_path"
)


@dataclass(slots=True)
class DocumentRecord:
    """A document row; satisfies the domain's ``DocFacts`` protocol for current-selection."""

    id: int
    path: str
    project_rel_path: str
    name: str
    project_number: str
    doc_type: str
    phase: str | None
    revision: int | None
    revision_raw: str | None
    revision_scheme: str | None
    status_tags: list[str]
    is_as_built: bool
    doc_date: str | None
    room: int | None
    change_order: int | None
    sheet: str | None
    series_key: str
    is_archive: bool
    is_handover_copy: bool
    size: int
    mtime: float

    @classmethod
    def from_row(cls, row) -> DocumentRecord:
        try:
            tags = list(json.loads(row["status_tags"] or "[]"))
        except ValueError:
            tags = []
        return cls(
            id=row["id"],
            path=str(Path(row["root_path"]) / row["rel_path"]),
            project_rel_path=row["project_rel_path"],
            name=row["name"],
            project_number=row["code"],
            doc_type=row["doc_type"],
            phase=row["phase"],
            revision=row["revision"],
            revision_raw=row["revision_raw"],
            revision_scheme=row["revision_scheme"],
            status_tags=tags,
            is_as_built=bool(row["is_as_built"]),
            doc_date=row["doc_date"],
            room=row["room"],
            change_order=row["change_order"],
            sheet=row["sheet"],
            series_key=row["series_key"],
            is_archive=bool(row["is_archive"]),
            is_handover_copy=bool(row["is_handover_copy"]),
            size=row["size"],
            mtime=row["mtime"],
        )

    def info(self, *, is_current: bool = False) -> DocumentInfo:
        return DocumentInfo(
            id=self.id,
            path=self.path,
            rel_path=self.project_rel_path,
            name=self.name,
            project_number=self.project_number,
            doc_type=self.doc_type,
            phase=self.phase,
            revision=self.revision,
            revision_raw=self.revision_raw,
            revision_scheme=self.revision_scheme,
            status_tags=self.status_tags,
            is_as_built=self.is_as_built,
            doc_date=self.doc_date,
            room=self.room,
            change_order=self.change_order,
            sheet=self.sheet,
            series_key=self.series_key,
            is_archive=self.is_archive,
            is_handover_copy=self.is_handover_copy,
            is_current=is_current,
            size=self.size,
            modified=datetime.fromtimestamp(self.mtime, UTC).isoformat(timespec="seconds"),
        )


_DIGITS = re.compile(r"(\d+)")


def _natural(d: DocumentRecord) -> list[object]:
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

    def _records(self, project_ids: list[int], where: str = "", params: tuple = ()) -> list[DocumentRecord]:
        marks = ",".join("?" * len(project_ids))
        rows = self.store.query(
            f"SELECT {_DOC_COLUMNS} FROM documents d JOIN projects p ON p.id = d.project_id "
            f"JOIN roots r ON r.id = d.root_id WHERE d.project_id IN ({marks}) {where} "
            "ORDER BY d.rel_path",
            (*project_ids, *params),
        )
        return [DocumentRecord.from_row(r) for r in rows]

    def current_ids(self, records: list[DocumentRecord]) -> set[int]:
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
        documents = [d.info(is_current=d.id in current) for d in chosen]
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

    def page(self, project_number: object, offset: int = 0, limit: int = 50) -> DocumentPage:
        """Every document of a project (all folders with the code), in path order."""
        offset = bounded_int(offset, "offset", 0, 10_000_000)
        limit = bounded_int(limit, "limit", 1, 500)
        projects = self.projects.require(project_number)
        ids = [p.id for p in projects]
        marks = ",".join("?" * len(ids))
        total = self.store.query_one(f"SELECT count(*) FROM documents WHERE project_id IN ({marks})", ids)[0]
        rows = self.store.query(
            f"SELECT {_DOC_COLUMNS} FROM documents d JOIN projects p ON p.id = d.project_id "
            f"JOIN roots r ON r.id = d.root_id WHERE d.project_id IN ({marks}) "
            "ORDER BY d.rel_path LIMIT ? OFFSET ?",
            (*ids, limit, offset),
        )
        records = [DocumentRecord.from_row(r) for r in rows]
        # "current" needs the whole series, not just this page.
        series = {d.series_key for d in records}
        current: set[int] = set()
        if series:
            smarks = ",".join("?" * len(series))
            peers = self._records(ids, f"AND d.series_key IN ({smarks})", tuple(series))
            current = self.current_ids(peers)
        nxt = offset + limit if offset + limit < total else None
        return DocumentPage(
            project_number=projects[0].code,
            documents=[d.info(is_current=d.id in current) for d in records],
            total_count=total,
            offset=offset,
            limit=limit,
            next_offset=nxt,
        )
