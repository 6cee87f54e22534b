"""Reconciling a walk with the stored rows: project folders added, renamed or gone; files moved or deleted."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from quicknav_mcp.repo import projects as projects_repo
from quicknav_mcp.repo.bulk import insert_projects
from quicknav_mcp.repo.documents import REL_PATH, STAMP_SQL, document_values
from quicknav_mcp.repo.documents import UPDATE_SQL as UPDATE_DOC_SQL

from . import scan_folders
from .scan_base import _ID, _MTIME, _PID, _REL, _SIZE, Found, Project, _chunks, _safe, _under, log
from .scan_walk import ScanWalker

MASS_VANISH_MIN = 20  # fewer vanished projects than this are ordinary housekeeping
#: A root's projects with how many documents each holds (counted in the documents' project index).
_COUNTS_SQL = (
    "SELECT p.rel_path, p.id, (SELECT count(*) FROM documents d WHERE d.project_id = p.id) "
    "FROM projects p WHERE p.root_id = ?"
)


class ScanReconciler(ScanWalker):
    """Stored rows in, decisions out: what was added, renamed, moved, deleted or kept."""

    def _load_documents(self, found: list[Found]) -> None:
        # Rows as _REL, _ID, _PID, _SIZE, _MTIME; the name, needed only for moves, is the path's end.
        sql = (
            f"SELECT {REL_PATH}, d.id, d.project_id, d.size, d.mtime "
            "FROM documents d JOIN projects p ON p.id = d.project_id WHERE d.root_id = ?"
        )
        skipped = self.unchanged
        # With most projects unchanged, the others' rows are read by project (one index range each).
        if self.only is None and (not skipped or len(skipped) * 2 < self.projects_total):
            rows = self.store.query_tuples(sql, (self.root_id,))
            if skipped:
                rows = [r for r in rows if r[_PID] not in skipped]
        else:
            # Touched projects, and vanished ones (deleted, or renamed: their rows are re-keyed and walked),
            # but not those a quick rescan found unchanged.
            here = {item[0] for item in found}
            pids = [
                r["id"]
                for r in self.store.query(projects_repo.STORED_SQL, (self.root_id,))
                if r["id"] not in skipped and (self._touched(r["rel_path"]) or r["rel_path"] not in here)
            ]
            rows = []
            for chunk in _chunks(pids, 500):
                marks = ", ".join("?" for _ in chunk)
                rows.extend(self.store.query_tuples(f"{sql} AND d.project_id IN ({marks})", (self.root_id, *chunk)))
        self.existing.update({r[_REL]: r for r in rows})
        self.loaded = rows
        self.stored_rows = len(rows) + sum(n for _, n in skipped.values())

    def _find_unchanged(self, found: list[Found]) -> None:
        """Quick rescans: note the projects found where they were stored whose every recorded folder still
        has its recorded mtime (:func:`.scan_folders.unchanged`). Nothing in them was added, removed,
        renamed or moved since the last complete scan, so they hold their stored rows: those are counted
        (one index lookup per project), not loaded, compared or walked."""
        if not self.trusted:
            return
        stored = {rel: (pid, n) for rel, pid, n in self.store.query_tuples(_COUNTS_SQL, (self.root_id,))}
        racy = self.wall_t0 - scan_folders.RACY_SECONDS
        for rel, abs_path, _, _, mtime in found:
            hit = stored.get(rel)
            tree = self.trusted.get(hit[0]) if hit is not None else None
            if tree is not None and scan_folders.unchanged(tree, abs_path, mtime, racy):
                self.unchanged[hit[0]] = (tree, hit[1])

    def _sync_projects(self, found: list[Found]) -> None:
        """Insert new project folders, keep ids of renamed ones, note vanished ones."""
        stored = {r["rel_path"]: r for r in self.store.query(projects_repo.STORED_SQL, (self.root_id,))}
        seen: set[str] = set()
        new: list[Found] = []
        changed: list[tuple[Any, ...]] = []
        for item in found:
            rel, abs_path, folder, rng, mtime = item
            row = stored.get(rel)
            if row is None:
                new.append(item)
                continue
            seen.add(rel)
            self.projects[row["id"]] = Project(row["id"], rel, abs_path, folder, rng, mtime)
            fields = projects_repo.project_values(folder, os.path.basename(abs_path), rel, rng, mtime)
            if fields != tuple(row[k] for k in projects_repo.WRITE_COLUMNS):
                changed.append((*fields, row["id"]))
        self._guard_mass_vanish(stored, seen, bool(found))
        vanished = [r for rel, r in stored.items() if rel not in seen and not _under(rel, self.unreadable)]
        kept = [r for rel, r in stored.items() if rel not in seen and _under(rel, self.unreadable)]
        if kept:
            log.info("%d project folder(s) under unreadable folders kept", len(kept))
        new_by_code: dict[str, list[Any]] = defaultdict(list)
        for item in new:
            new_by_code[item[2].code].append(item)
        gone_by_code: dict[str, list[Any]] = defaultdict(list)
        for r in vanished:
            gone_by_code[r["code"]].append(r)

        renamed: list[tuple[Any, Any]] = []
        for code, items in new_by_code.items():
            gone = gone_by_code.get(code, [])
            if len(items) == 1 and len(gone) == 1:
                renamed.append((items[0], gone[0]))
        renamed_ids = {old["id"] for _, old in renamed}
        self.vanished_projects = [r["id"] for r in vanished if r["id"] not in renamed_ids]
        renamed_new = {id(item) for item, _ in renamed}

        # Stored document paths of the renamed projects, collected in one pass over the rows.
        paths_of: dict[int, list[str]] = defaultdict(list)
        if renamed:
            for path, row in self.existing.items():
                if row[_PID] in renamed_ids:
                    paths_of[row[_PID]].append(path)

        with self.store.transaction() as conn:
            conn.executemany(projects_repo.UPDATE_SQL, changed)
            for item, old in renamed:
                self._rename_project(conn, item, old, paths_of[old["id"]])
            added = [item for item in new if id(item) not in renamed_new]
            rows = [
                (self.root_id, *projects_repo.project_values(folder, os.path.basename(abs_path), rel, rng, mtime))
                for rel, abs_path, folder, rng, mtime in added
            ]
            # A root's first scan adds every project: their search rows are written at once (migration 0014).
            for pid, (rel, abs_path, folder, rng, mtime) in zip(insert_projects(conn, rows), added, strict=True):
                self.projects[pid] = Project(pid, rel, abs_path, folder, rng, mtime)
                self.fresh.add(pid)
            self.report.projects_added += len(added)
        self.report.projects_seen = len(found)

    def _rename_project(self, conn: Any, item: Any, old: Any, old_paths: list[str]) -> None:
        """Keep the project's id; its documents (paths relative to it, ids kept) are counted as moved."""
        rel, abs_path, folder, rng, mtime = item
        pid, old_rel = old["id"], old["rel_path"]
        values = projects_repo.project_values(folder, os.path.basename(abs_path), rel, rng, mtime)
        conn.execute(projects_repo.UPDATE_SQL, (*values, pid))
        # Their paths relative to the root changed with the project's: marked re-indexed (and counted as a change).
        moved = conn.execute(f"UPDATE documents SET indexed_at = {STAMP_SQL} WHERE project_id = ?", (pid,)).rowcount
        # Re-key the stored rows so the walk finds them at their new paths.
        cut = len(old_rel)
        for old_path in old_paths:
            self.existing[rel + old_path[cut:]] = self.existing.pop(old_path)
        self.projects[pid] = Project(pid, rel, abs_path, folder, rng, mtime)
        self.fresh.add(pid)
        self.report.moved += moved
        self.report.projects_renamed += 1
        log.info("project %s moved from %s to %s", folder.code, _safe(old_rel), _safe(rel))

    def _guard_mass_vanish(self, stored: dict[str, Any], seen: set[str], found_any: bool) -> None:
        """An unmounted share or a moved root looks like every project was deleted. Deleting
        would throw away ids, extracted text and embeddings, so when a root suddenly lists no
        projects, or most of them vanish at once, keep the rows and say so (``force`` accepts it)."""
        missing = [rel for rel in stored if rel not in seen and not _under(rel, self.unreadable)]
        if not missing or self.force:
            return
        if found_any and not (len(missing) >= MASS_VANISH_MIN and len(missing) * 2 > len(stored)):
            return
        self._problem(
            "",
            "suspect",
            f"{len(missing)} of {len(stored)} project folders are missing: the share may be unmounted or the "
            "root moved, so nothing under them was deleted; rescan with force=True to accept the deletions",
        )
        for rel in missing:
            self.unreadable.append(rel)

    def _reconcile(self) -> None:
        """Pair vanished rows with deferred new files (moves); delete the rest."""
        report = self.report
        missing: dict[tuple[str, int, float], list[tuple[str, Any]]] = {}
        kept = 0
        for rel in sorted(self.existing):
            row = self.existing[rel]
            if _under(rel, self.unreadable):
                kept += 1
                continue
            missing.setdefault((rel.rpartition("/")[2], row[_SIZE], row[_MTIME]), []).append((rel, row))
        report.kept = kept

        moves: list[tuple[Any, ...]] = []
        inserts: list[tuple[Any, ...]] = []
        self.deferred.sort(key=lambda d: d[5])
        for proj, folders, name, size, mtime, rel, rel_pp in self.deferred:
            doc = self._parse(folders, name, rel)
            if doc is None:
                continue
            candidates = missing.get((name, size, mtime))
            values = document_values(proj.id, rel_pp, name, size, mtime, doc)
            if candidates:
                _, row = candidates.pop(0)
                moves.append((*values, row[_ID]))
                report.moved += 1
            else:
                inserts.append((self.root_id, *values))
                report.added += 1
        deletes: list[tuple[int]] = []
        for rows in missing.values():
            for _, row in rows:
                deletes.append((row[_ID],))
        report.deleted += len(deletes)
        self.existing.clear()
        self.deferred.clear()

        # Moves first (their new paths are free), then deletes, then vanished projects.
        self._write_chunks(UPDATE_DOC_SQL, moves)
        self._write_chunks(None, inserts)
        self._write_chunks("DELETE FROM documents WHERE id = ?", deletes)
        if self.vanished_projects:
            with self.store.transaction() as conn:
                for chunk in _chunks(self.vanished_projects, 500):
                    marks = ", ".join("?" for _ in chunk)
                    # Rows another scan inserted meanwhile go with the cascade; count them too.
                    report.deleted += conn.execute(
                        f"SELECT count(*) FROM documents WHERE project_id IN ({marks})", chunk
                    ).fetchone()[0]
                    conn.execute(f"DELETE FROM projects WHERE id IN ({marks})", chunk)
            report.projects_deleted = len(self.vanished_projects)
