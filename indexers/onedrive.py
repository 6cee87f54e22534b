"""OneDrive / SharePoint drives as a source of projects and documents (Graph delta sync).

A source (``quicknav onedrive add``) is one drive, optionally one folder of it. Its projects and
documents are ordinary ``projects`` / ``documents`` rows, written with the repositories' column
lists and parsed by the same domain code as the scanner's, under a ``roots`` row whose path is the
source's location ``onedrive://<drive>/<folder>``; so search and navigation find them unchanged.
Sources themselves (add, list, remove) are in :mod:`.onedrive_sources`, re-exported here.

A sync (:func:`sync_source`):

1. pages through ``/drives/{id}/root/delta`` from the stored deltaLink (none: the whole drive),
   collecting every change before applying any, so a failure part-way (a malformed page, an
   outage past the retries) applies nothing and keeps the old deltaLink: the next sync repeats it;
2. applies the changes to the stored tree (:mod:`.onedrive_tree`); ``410 Gone`` restarts from an
   empty deltaLink and replaces the tree by the full listing, keeping each surviving item's row;
3. plans the rows the tree implies and writes only the difference: an item keeps its row (and so
   its document id) through renames and moves; rows whose item is gone are deleted;
4. links instead of copying when the OneDrive client syncs the folder into a configured root: a
   file whose drive path ends with the path of a scanned document (from its project folder down)
   is that document, so navigation opens the local file and search lists it once;
5. stores the tree and the new deltaLink, records the sync as a ``scans`` row (problems in
   ``scan_problems``), and recomputes project facts.

Items the feed describes badly (no id, no name, no parent) are recorded problems and skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from quicknav_mcp.breaker import CircuitOpen
from quicknav_mcp.domain import parse_document
from quicknav_mcp.pathkey import path_key
from quicknav_mcp.repo import projects as projects_repo
from quicknav_mcp.repo.documents import INSERT_SQL as INSERT_DOC_SQL
from quicknav_mcp.repo.documents import REL_PATH, document_values
from quicknav_mcp.repo.documents import UPDATE_SQL as UPDATE_DOC_SQL
from quicknav_mcp.store import Store
from quicknav_mcp.timestamps import now_iso

from . import project_facts, scan_rows
from .onedrive_graph import GraphClient, GraphError, ResyncRequired
from .onedrive_sources import (
    SCHEME,
    Source,
    add_source,
    get_source,
    list_sources,
    location,
    normalize_folder,
    remove_source,
    set_auth_record,
)
from .onedrive_tree import DocPlan, ItemError, Node, apply, parse_item, plan, prune

log = logging.getLogger(__name__)

BATCH_ROWS = 2000
#: A delta round longer than this many pages is treated as a broken server (a nextLink loop).
MAX_PAGES = 100_000
PROBLEM_SAMPLES = 50
_locks: dict[tuple[str, int], threading.Lock] = {}
_locks_guard = threading.Lock()
_PROBLEM_SQL = "INSERT INTO scan_problems (scan_id, path, kind, message) VALUES (?, ?, ?, ?)"


@dataclass(slots=True)
class SyncReport:
    source: str
    scan_id: int
    status: str = "running"  # done | failed | refused (the Graph breaker was open)
    full: bool = False  # a listing of the whole drive (first sync or after 410 Gone)
    resynced: bool = False  # 410 Gone was answered by a full listing
    pages: int = 0
    items: int = 0  # items in the delta feed
    added: int = 0
    updated: int = 0
    moved: int = 0
    deleted: int = 0
    linked: int = 0  # documents that are the local copy under a configured root
    projects_added: int = 0
    projects_deleted: int = 0
    problems: int = 0
    retries: int = 0
    waited: float = 0.0
    seconds: float = 0.0
    error: str | None = None
    problem_samples: list[dict[str, str]] = field(default_factory=list)
    download: dict[str, Any] | None = None  # content downloads after the sync, when they are on

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- the sync


class _Sync:
    def __init__(self, store: Store, source: Source, client: GraphClient, full: bool) -> None:
        self.store = store
        self.source = source
        self.client = client
        self.full = full or not source.delta_link
        self.t0 = time.monotonic()
        started = now_iso()
        with store.transaction() as conn:
            scan_id = scan_rows.open_row(conn, source.root_id, started, kind="onedrive")
        self.report = SyncReport(source=source.location, scan_id=scan_id, full=self.full)
        self.problems: list[tuple[int, str, str, str]] = []

    def problem(self, path: str, kind: str, message: str) -> None:
        self.report.problems += 1
        if len(self.report.problem_samples) < PROBLEM_SAMPLES:
            self.report.problem_samples.append({"path": path, "kind": kind, "message": message})
        self.problems.append((self.report.scan_id, path, kind, message))
        log.warning("onedrive %s: %s: %s", kind, path, message)

    # ---------------------------------------------------------------- fetching

    def fetch(self) -> tuple[list[Any], str]:
        """Every item of one delta round, and the deltaLink that ends it."""
        url = self.source.delta_path() if self.full else str(self.source.delta_link)
        items: list[Any] = []
        for _ in range(MAX_PAGES):
            page = self.client.get_json(url)
            self.report.pages += 1
            value = page.get("value")
            if not isinstance(value, list):
                raise GraphError(f"delta page {self.report.pages} has no 'value' list")
            items.extend(value)
            nxt, delta = page.get("@odata.nextLink"), page.get("@odata.deltaLink")
            if isinstance(delta, str) and delta:
                return items, delta
            if not isinstance(nxt, str) or not nxt:
                raise GraphError(f"delta page {self.report.pages} has neither a nextLink nor a deltaLink")
            url = nxt
        raise GraphError(f"the delta feed did not end within {MAX_PAGES:,} pages")

    # ---------------------------------------------------------------- the tree

    def load_tree(self) -> dict[str, Node]:
        rows = self.store.query(
            "SELECT item_id, parent_id, name, is_folder, is_root, size, mtime, web_url, doc_id, project_id, local, "
            "etag, ctag FROM onedrive_items WHERE source_id = ?",
            (self.source.id,),
        )
        return {
            r[0]: Node(
                r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6], r[7], r[8], r[9], bool(r[10]), r[11], r[12]
            )
            for r in rows
        }

    def changes(self, nodes: dict[str, Node], items: list[Any]) -> dict[str, Node]:
        """The tree after ``items`` (a full listing replaces it, keeping each surviving item's row)."""
        tree = {} if self.full else nodes
        for raw in items:
            try:
                item_id, node = parse_item(raw)
            except ItemError as exc:
                self.problem(_item_label(raw), "error", f"delta item skipped: {exc}")
                continue
            if node is not None and self.full and item_id in nodes:
                old = nodes[item_id]
                node.doc_id, node.project_id, node.local = old.doc_id, old.project_id, old.local
            apply(tree, item_id, node)
        prune(tree)
        return tree

    # ---------------------------------------------------------------- rows

    def write(self, tree: dict[str, Node]) -> None:
        projects, docs = plan(tree, self.source.folder)
        local_projects, local_docs = _local_index(self.store)
        root_id = self.source.root_id
        stored_projects = {r["id"]: r for r in self.store.query(projects_repo.STORED_SQL, (root_id,))}
        stored_docs = {
            r[0]: r
            for r in self.store.query(
                f"SELECT d.id, d.project_id, {REL_PATH}, d.name, d.size, d.mtime "
                "FROM documents d JOIN projects p ON p.id = d.project_id WHERE d.root_id = ?",
                (root_id,),
            )
        }

        # Which stored row each item keeps: first every item's own row, then (rows written by a sync
        # that died before it stored the tree) the row at its path. Two passes, so a new item at a
        # moved item's old path never takes the moved item's row.
        project_rows = _claim(
            [(p.item_id, p.rel_path) for p in projects],
            tree,
            "project_id",
            stored_projects,
            {r["rel_path"]: i for i, r in stored_projects.items()},
            lambda p: _match(local_projects, p.drive_path, len(p.drive_path) - 1),
            projects,
        )
        project_of: dict[str, int] = {}
        with self.store.transaction() as conn:
            # Park every stored project that moves or goes on a unique path first: a project may take
            # the path another one is leaving (renames, swaps, a deleted folder's name reused).
            new_rel = {project_rows[p.item_id][0]: p.rel_path for p in projects if not project_rows[p.item_id][1]}
            kept = {pid for pid in new_rel if pid is not None}
            parked = [(f"\0{pid}", pid) for pid, r in stored_projects.items() if new_rel.get(pid) != r["rel_path"]]
            conn.executemany("UPDATE projects SET rel_path = ? WHERE id = ?", parked)
            for p in projects:
                node = tree[p.item_id]
                pid, local = project_rows[p.item_id]
                if local:
                    node.project_id, node.local = pid, True
                    project_of[p.item_id] = pid  # type: ignore[assignment]
                    continue
                values = projects_repo.project_values(p.folder, p.folder_name, p.rel_path, p.range_folder, p.mtime)
                if pid is None:
                    pid = conn.execute(projects_repo.INSERT_SQL, (root_id, *values)).lastrowid
                    self.report.projects_added += 1
                elif tuple(stored_projects[pid][k] for k in projects_repo.WRITE_COLUMNS) != values:
                    conn.execute(projects_repo.UPDATE_SQL, (*values, pid))
                node.project_id, node.local = pid, False
                project_of[p.item_id] = pid  # type: ignore[assignment]
        gone_projects = [(i,) for i in stored_projects if i not in kept]

        doc_rows = _claim(
            [(d.item_id, d.rel_path) for d in docs if d.project_item in project_of],
            tree,
            "doc_id",
            stored_docs,
            {r[2]: i for i, r in stored_docs.items()},
            lambda d: _match(local_docs, d.drive_path, len(d.drive_path) - 1 - len(d.project_rel_path.split("/"))),
            docs,
        )
        updates: list[tuple[Any, ...]] = []
        inserts: list[tuple[Any, ...]] = []
        pending: list[tuple[DocPlan, Node]] = []
        moved_ids: list[int] = []
        for d in docs:
            if d.item_id not in doc_rows:
                continue
            node, pid = tree[d.item_id], project_of[d.project_item]
            did, local = doc_rows[d.item_id]
            node.doc_id, node.local = did, local
            if local:
                self.report.linked += 1
                continue
            if did is None:
                values = self.values(d, pid)
                if values is not None:
                    inserts.append((root_id, *values))
                    pending.append((d, node))
                    self.report.added += 1
                continue
            _, old_pid, old_rel, _, old_size, old_mtime = stored_docs[did]
            if (old_pid, old_rel, old_size, old_mtime) == (pid, d.rel_path, d.size, d.mtime):
                continue
            values = self.values(d, pid)
            if values is None:
                continue
            updates.append((*values, did))
            if old_rel != d.rel_path:
                moved_ids.append(did)
                self.report.moved += 1
            else:
                self.report.updated += 1
        kept_docs = {did for did, local in doc_rows.values() if did is not None and not local}
        gone = [(i,) for i in stored_docs if i not in kept_docs]
        self.report.deleted = len(gone)

        for chunk in _chunks(gone, BATCH_ROWS):
            with self.store.transaction() as conn:
                conn.executemany("DELETE FROM documents WHERE id = ?", chunk)
        # Renames and swaps: park every moved row on a key no path has, then write them all.
        moved = [(path_key(f"\0{did}"), did) for did in moved_ids]
        with self.store.transaction() as conn:
            conn.executemany("UPDATE documents SET path_key = ? WHERE id = ?", moved)
            conn.executemany(UPDATE_DOC_SQL, updates)
        for chunk in _chunks(inserts, BATCH_ROWS):
            with self.store.transaction() as conn:
                conn.executemany(INSERT_DOC_SQL, chunk)
        if pending:
            ids = {
                r[0]: r[1]
                for r in self.store.query(
                    f"SELECT {REL_PATH}, d.id FROM documents d JOIN projects p ON p.id = d.project_id "
                    "WHERE d.root_id = ?",
                    (root_id,),
                )
            }
            for d, node in pending:
                node.doc_id = ids.get(d.rel_path)
        with self.store.transaction() as conn:
            conn.executemany("DELETE FROM projects WHERE id = ?", gone_projects)
        self.report.projects_deleted = len(gone_projects)
        # Items that no longer stand for a row drop their stale links.
        for item_id, node in tree.items():
            if item_id not in project_rows and item_id not in doc_rows:
                node.doc_id = node.project_id = None
                node.local = False

    def values(self, d: DocPlan, pid: int) -> tuple[Any, ...] | None:
        try:
            doc = parse_document(d.folders, d.name)
        except Exception as exc:  # a parser bug on one odd name must not stop the sync
            log.exception("parse_document failed on %s", d.rel_path)
            self.problem(d.rel_path, "error", f"could not parse the name: {type(exc).__name__}: {exc}")
            return None
        return document_values(pid, d.project_rel_path, d.name, d.size, d.mtime, doc)

    def save(self, tree: dict[str, Node], delta_link: str | None, status: str, error: str | None) -> None:
        rep = self.report
        rep.status = status
        rep.error = error
        rep.retries, rep.waited = self.client.retries, round(self.client.waited, 3)
        rep.seconds = round(time.monotonic() - self.t0, 3)
        with self.store.transaction() as conn:
            if delta_link is not None:
                conn.execute("DELETE FROM onedrive_items WHERE source_id = ?", (self.source.id,))
                conn.executemany(
                    "INSERT INTO onedrive_items (source_id, item_id, parent_id, name, is_folder, is_root, size, "
                    "mtime, web_url, doc_id, project_id, local, etag, ctag) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            self.source.id,
                            n.item_id,
                            n.parent_id,
                            n.name,
                            int(n.is_folder),
                            int(n.is_root),
                            n.size,
                            n.mtime,
                            n.web_url,
                            n.doc_id,
                            n.project_id,
                            int(n.local),
                            n.etag,
                            n.ctag,
                        )
                        for n in tree.values()
                    ],
                )
            conn.execute(
                "UPDATE onedrive_sources SET delta_link = coalesce(?, delta_link), last_sync_at = ?, "
                "last_status = ?, last_error = ? WHERE id = ?",
                (delta_link, now_iso(), status, error, self.source.id),
            )
            conn.executemany(_PROBLEM_SQL, self.problems)
            conn.execute(
                "UPDATE scans SET files_seen = ?, added = ?, updated = ?, moved = ?, deleted = ?, problems = ?, "
                "seconds = ?, status = ?, finished_at = ? WHERE id = ?",
                (
                    rep.items,
                    rep.added,
                    rep.updated,
                    rep.moved,
                    rep.deleted,
                    rep.problems,
                    rep.seconds,
                    status,
                    now_iso(),
                    rep.scan_id,
                ),
            )

    def run(self) -> SyncReport:
        tree: dict[str, Node] = {}
        try:
            try:
                items, delta_link = self.fetch()
            except ResyncRequired:
                log.warning("onedrive %s: delta link expired; listing the whole drive again", self.source.location)
                self.full = self.report.full = self.report.resynced = True
                items, delta_link = self.fetch()
            self.report.items = len(items)
            tree = self.changes(self.load_tree(), items)
            self.write(tree)
            project_facts.refresh(self.store)
        except CircuitOpen as exc:
            # Graph kept failing moments ago: refuse without a request; the deltaLink stays for the next try.
            log.warning("onedrive %s: sync refused: %s", self.source.location, exc)
            self.problem(self.source.location, "error", f"sync refused: {exc}")
            self.save(tree, None, "refused", str(exc))
            return self.report
        except GraphError as exc:
            # Nothing was applied: the old deltaLink stays, so the next sync repeats this round.
            self.problem(self.source.location, "error", f"sync failed: {exc}")
            self.save(tree, None, "failed", str(exc))
            return self.report
        except BaseException as exc:
            self.save(tree, None, "failed", f"{type(exc).__name__}: {exc}")
            raise
        self.save(tree, delta_link, "done", None)
        rep = self.report
        log.info(
            "onedrive %s synced in %.2fs: %d items, +%d ~%d >%d -%d, %d linked, %d problems",
            rep.source,
            rep.seconds,
            rep.items,
            rep.added,
            rep.updated,
            rep.moved,
            rep.deleted,
            rep.linked,
            rep.problems,
        )
        return rep


def sync_source(store: Store, source: Source | str | int, client: GraphClient, *, full: bool = False) -> SyncReport:
    """Bring one source up to date through ``client``; ``full`` lists the whole drive again.

    Graph failures end as a ``failed`` report (recorded in ``scans``), never an exception.
    """
    src = source if isinstance(source, Source) else get_source(store, source)
    key = (str(store.path.resolve()), src.id)
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    # A poll and a `sync` command in one process wait for each other; the later one re-reads the
    # source, so it resumes from the deltaLink the earlier one stored.
    with lock:
        return _Sync(store, get_source(store, src.id), client, full).run()


# --------------------------------------------------------------------------- helpers


def _item_label(raw: Any) -> str:
    if isinstance(raw, dict):
        return str(raw.get("name") or raw.get("id") or "?")[:200]
    return "?"


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_Index = dict[str, list[tuple[tuple[str, ...], int]]]


def _local_index(store: Store) -> tuple[_Index, _Index]:
    """Scanned (not OneDrive) projects and documents by case-folded name: ``(path parts, id)``."""
    projects: _Index = defaultdict(list)
    docs: _Index = defaultdict(list)
    for pid, root, rel in store.query(
        "SELECT p.id, r.path, p.rel_path FROM projects p JOIN roots r ON r.id = p.root_id WHERE r.path NOT LIKE ?",
        (SCHEME + "%",),
    ):
        parts = _parts(root, rel)
        projects[parts[-1]].append((parts, pid))
    if projects:
        for did, root, rel in store.query(
            f"SELECT d.id, r.path, {REL_PATH} FROM documents d JOIN projects p ON p.id = d.project_id "
            "JOIN roots r ON r.id = d.root_id WHERE r.path NOT LIKE ?",
            (SCHEME + "%",),
        ):
            parts = _parts(root, rel)
            docs[parts[-1]].append((parts, did))
    return projects, docs


def _claim(
    keys: list[tuple[str, str]],
    tree: dict[str, Node],
    link: str,
    stored: dict[int, Any],
    by_rel: dict[str, int],
    local: Callable[[Any], int | None],
    plans: list[Any],
) -> dict[str, tuple[int | None, bool]]:
    """``item id -> (row id or None for a new row, whether it is a scanned local row)`` for the
    planned items ``keys`` (``(item id, rel_path)``); ``link`` is the node field of their row."""
    by_item = {p.item_id: p for p in plans}
    out: dict[str, tuple[int | None, bool]] = {}
    taken: set[int] = set()
    rest: list[tuple[str, str]] = []
    for item_id, rel in keys:
        found = local(by_item[item_id])
        if found is not None:
            out[item_id] = (found, True)
            continue
        node = tree[item_id]
        own = getattr(node, link)
        if own is not None and not node.local and own in stored and own not in taken:
            taken.add(own)
            out[item_id] = (own, False)
        else:
            rest.append((item_id, rel))
    for item_id, rel in rest:
        row = by_rel.get(rel)
        if row is not None and row not in taken:
            taken.add(row)
            out[item_id] = (row, False)
        else:
            out[item_id] = (None, False)
    return out


def _parts(root: str, rel: str) -> tuple[str, ...]:
    text = f"{root}/{rel}".replace("\\", "/")
    return tuple(p.casefold() for p in text.split("/") if p)


def _match(index: _Index, drive_path: tuple[str, ...], project_at: int) -> int | None:
    """The id of the scanned row whose path ends with ``drive_path`` from the project folder
    (index ``project_at``) down: the same file synced by the OneDrive client into a local root."""
    if not index or not drive_path:
        return None
    tail = tuple(p.casefold() for p in drive_path[max(project_at, 0) :])
    for parts, row_id in index.get(tail[-1], ()):
        if parts[-len(tail) :] == tail:
            return row_id
    return None


__all__ = [
    "SCHEME",
    "Source",
    "SyncReport",
    "add_source",
    "get_source",
    "list_sources",
    "location",
    "normalize_folder",
    "remove_source",
    "set_auth_record",
    "sync_source",
]
