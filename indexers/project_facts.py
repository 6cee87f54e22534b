"""Project facts derived from documents: how many a project holds and the fuller client names in them.

The facts are computed in Python (:func:`~quicknav_mcp.domain.client_names_from_documents`), so
triggers cannot maintain them. Triggers (migration 0005) mark a project in ``project_facts_dirty``
in the same transaction as any change that can alter its facts: a document added, deleted,
renamed or moved to another project, or the project folder added or renamed. :func:`refresh`
recomputes the marked projects and clears their marks in the transaction that writes the facts,
so a process killed at any moment leaves every project either marked or with its facts computed.
The scanner calls it at the start of a scan (repairing whatever a killed scan left) and at its end;
any other writer of documents (a file watcher, say) calls it after its writes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

from quicknav_mcp.domain import client_names_from_documents, parse_project_folder
from quicknav_mcp.domain.models import ProjectFolder
from quicknav_mcp.repo.bulk import update_project_facts
from quicknav_mcp.repo.projects import FACT_COLUMNS
from quicknav_mcp.repo.sql import marks
from quicknav_mcp.store import Connection, Store

log = logging.getLogger(__name__)

#: Projects recomputed per transaction: short enough that other writers never wait long.
BATCH_PROJECTS = 500


def pending(store: Store) -> int:
    """How many projects wait for their facts to be recomputed."""
    row = store.query_one("SELECT count(*) FROM project_facts_dirty")
    return int(row[0]) if row else 0


def compute(folder: ProjectFolder, names: list[str]) -> tuple[int, list[str]]:
    """The facts of one project from its folder and the names of its documents."""
    # Names arrive sorted, so the result does not depend on the order rows were written in
    # (a re-run after a crash writes them in a different order than a clean index).
    try:
        clients = client_names_from_documents(folder, names)
    except Exception:  # a parser bug on one odd project must not stop the others
        log.exception("client_names_from_documents failed for project %s", folder.code)
        clients = []
    return len(names), clients


#: Facts of many projects at once (in order): a scan with worker processes passes theirs.
ComputeMany = Callable[[list[tuple[ProjectFolder, list[str]]]], list[tuple[int, list[str]]]]


def compute_all(items: list[tuple[ProjectFolder, list[str]]]) -> list[tuple[int, list[str]]]:
    """:func:`compute` of each ``(folder, names)``."""
    return [compute(folder, names) for folder, names in items]


class Ahead(NamedTuple):
    """A project's facts computed ahead (by a first scan's workers) and what they were computed from."""

    folder: ProjectFolder  # parsed from folder_name
    folder_name: str  # the folder's name as found (and stored; the parsed folder's own name is squashed)
    digest: bytes  # names_digest of the names
    facts: tuple[int, list[str]]


#: Facts computed ahead, by project id.
Known = dict[int, Ahead]


def names_digest(names: list[str]) -> bytes:
    """A digest of a project's sorted document names (what its facts were computed from)."""
    return hashlib.blake2b("\0".join(names).encode(), digest_size=16).digest()  # no name holds a NUL


def refresh_ids(conn: Connection, known: Known) -> None:
    """Recompute the projects of ``known`` and clear their marks (inside the caller's transaction), taking the
    facts in ``known`` where the folder and the stored names are the ones they were computed from."""
    if known:
        _refresh_batch(conn, list(known), known=known)


def refresh(store: Store, *, batch: int = BATCH_PROJECTS, compute_many: ComputeMany = compute_all) -> int:
    """Recompute the facts of every marked project; return how many were recomputed."""
    done = 0
    while True:
        with store.transaction() as conn:
            ids = [r[0] for r in conn.execute("SELECT project_id FROM project_facts_dirty LIMIT ?", (batch,))]
            if not ids:
                return done
            _refresh_batch(conn, ids, compute_many)
        done += len(ids)


def _refresh_batch(
    conn: Connection, ids: list[int], compute_many: ComputeMany = compute_all, *, known: Known | None = None
) -> None:
    """Recompute ``ids`` and clear their marks (inside the caller's transaction); facts in ``known`` are taken
    where they were computed from the stored folder and names."""
    where = marks(len(ids))
    projects = {
        r["id"]: r
        for r in conn.execute(
            f"SELECT id, code, folder_name, client, description, doc_count, client_names FROM projects "
            f"WHERE id IN ({where})",
            ids,
        )
    }
    names: dict[int, list[str]] = defaultdict(list)
    for pid, name in conn.execute(f"SELECT project_id, name FROM documents WHERE project_id IN ({where})", ids):
        names[pid].append(name)
    for got in names.values():  # sorted here, not by the query (its sorter cost more than this)
        got.sort()  # as ORDER BY name would: UTF-8 bytes, i.e. code points
    updates: list[tuple[Any, ...]] = []
    rewrite: list[int] = []  # projects whose client names changed: their search rows are rewritten
    items = [(_folder(row, known), names[pid]) for pid, row in projects.items()]
    if known is None:
        facts = compute_many(items)
    else:
        facts = [_taken(known.get(pid), folder, got) for pid, (folder, got) in zip(projects, items, strict=True)]
    for (pid, row), (count, clients) in zip(projects.items(), facts, strict=True):
        encoded = json.dumps(clients)
        if (count, encoded) != (row["doc_count"], row["client_names"]):
            updates.append((count, encoded, pid))
            if encoded != row["client_names"]:
                rewrite.append(pid)
    # Unchanged facts are not rewritten: every projects update bumps the search caches' counter.
    update_project_facts(conn, updates, rewrite)
    # Marks of projects deleted meanwhile go too.
    conn.execute(f"DELETE FROM project_facts_dirty WHERE project_id IN ({where})", ids)


def _taken(ahead: Ahead | None, folder: ProjectFolder, names: list[str]) -> tuple[int, list[str]]:
    """The facts computed ahead when they were computed from ``folder`` and ``names``, else computed here."""
    if ahead is not None and ahead.folder == folder and ahead.digest == names_digest(names):
        return ahead.facts
    return compute(folder, names)


def _folder(row: Any, known: Known | None = None) -> ProjectFolder:
    """The parsed folder of a stored project (as the scanner parsed it when it stored the row): the one in
    ``known`` when it was parsed from the stored name (parsing is deterministic: the same folder)."""
    ahead = known.get(row["id"]) if known else None
    if ahead is not None and ahead.folder_name == row["folder_name"]:
        return ahead.folder
    folder = parse_project_folder(row["folder_name"])
    if folder is None:  # written by something other than the scanner: use the stored parts
        folder = ProjectFolder(row["code"], row["folder_name"], row["client"], row["description"] or "")
    return folder


__all__ = [
    "BATCH_PROJECTS",
    "FACT_COLUMNS",
    "Ahead",
    "Known",
    "compute",
    "names_digest",
    "pending",
    "refresh",
    "refresh_ids",
]
