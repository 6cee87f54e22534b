"""Every document's search facts in memory, so a search reads its ~200 candidates without SQL.

Loading the candidates' facts row by row (``DocumentRepo.facts_by_ids``: an ``IN (...)`` over
wide rows joined to their projects) cost ~1.5-2 ms a search at 116k documents, more than the
rest of the ranking. :class:`CandidateTable` holds the same facts in compact columns (``array``
module; small values interned, names and paths in one UTF-8 blob): ~28 MB at 116k documents
(see :meth:`CandidateTable.size_bytes`; ~42 MB peak while building), built in ~0.8 s of CPU
and read in ~3-5 µs a candidate.

It is only used while it matches the store: the ``documents`` and ``projects`` change counters
it was built from must still be the current ones. When they have moved, the search reads the
candidates with SQL as before while a rebuild runs (synchronously for small firms, on a daemon
thread for large ones, at most one at a time and not more often than :data:`MIN_REBUILD_GAP_S`),
so an answer never depends on which path served it. The first build starts on a daemon thread
when the search service opens (:meth:`CandidateTable.start`): the first searches of a large firm
are served by SQL instead of waiting for a whole-table read; a small firm's searches wait for that
build (as long as an inline one took). :meth:`CandidateTable.ready` waits for a current table.
"""

from __future__ import annotations

import logging
import time
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from ..memo import remember
from ..repo.documents import DocumentFacts, DocumentRepo, DocumentRow, row_from_facts
from ..repo.sql import in_chunks, json_list, marks
from ..store import DatabaseError, Store
from .background_build import SMALL_WAIT_S, BackgroundBuild
from .candidate_snapshot import ABSENT, ARCHIVE, AS_BUILT, HANDOVER, SEP, Snapshot, copy_groups, recency_places
from .scope import Scope
from .versions import Versions

log = logging.getLogger(__name__)

SYNC_BUILD_MAX = 20_000  # documents: up to this many (≈0.1 s) the table is rebuilt inline
MIN_REBUILD_GAP_S = 10.0  # seconds between background rebuilds (a scan moves the counters constantly)
BUILT_MAX = 10_000  # built facts kept per snapshot (~6 MB); past it they are dropped and built again
CHUNK = 5_000  # rows per read while building (bounded temporaries)
FAMILIES_MAX = 256  # family lists kept per snapshot
FACTS_ROWS_MAX = 2_000  # documents of the projects facts_newest reads one by one (past it: SQL's indexes)
COUNTERS = ("documents", "projects")  # the change counters a table is built at: it matches the store while they hold
_COLUMNS = (
    "d.id, d.project_id, d.mtime, d.doc_type, d.phase, d.ext, d.revision, d.room, d.change_order, "
    "d.is_as_built, d.doc_date, d.series_key, d.is_archive, d.is_handover_copy, d.status_tags, "
    "d.name, d.project_rel_path, d.size"
)


class CandidateTable:
    """The in-memory facts of every document, current with the store's change counters."""

    def __init__(self, store: Store, versions: Versions) -> None:
        self.store = store
        self.versions = versions
        self.rows = DocumentRepo(store)
        self._snapshot: Snapshot | None = None
        self._builds = BackgroundBuild("quicknav-candidates", "candidate table", closing=lambda: store.closing)
        self._small: bool | None = None  # the last build held at most SYNC_BUILD_MAX documents (None: none yet)
        self.warmers: list[Callable[[list[tuple[int, str]], Callable[[], None]], None]] = []
        """Given every (project, series) pair after the first build of a large firm, on its thread
        (the current revision of each is worked out before the searches that would wait for it), and
        the build's checkpoint to call between chunks."""

    def facts(self, ids: Sequence[int], scope: Scope) -> dict[int, DocumentFacts] | None:
        """The facts of the ``ids`` that exist and meet ``scope``'s conditions (by id), or None
        when the table does not match the store right now (then read them with SQL)."""
        found = self.existing(ids, scope)
        return None if found is None else self.read(found)

    def existing(self, ids: Sequence[int], scope: Scope) -> list[int] | None:
        """The ``ids`` (in their order) of documents that exist and meet ``scope``'s conditions,
        without building their facts; None when the table does not match the store."""
        return self._existing_in(self.current(), ids, scope)

    def existing_mask(self, keys: Any, scope: Scope) -> Any:
        """Which of the document ids ``keys`` (int64 numpy) :meth:`existing` keeps (a bool array), for
        a caller holding its ids as an array already; None when the table does not match the store."""
        return self._mask_in(self.current(), keys, scope)

    def _existing_in(self, snap: Snapshot | None, ids: Sequence[int], scope: Scope) -> list[int] | None:
        import numpy as np

        keys = np.fromiter(ids, np.int64, len(ids))
        mask = self._mask_in(snap, keys, scope)
        return None if mask is None else keys[mask].tolist()

    def _mask_in(self, snap: Snapshot | None, keys: Any, scope: Scope) -> Any:
        if snap is None:
            return None
        mask = snap.usable_mask(keys)
        if scope.project_ids is not None and scope.only_projects():  # (the table knows each one's project)
            slot, project_id, inside = snap.slot, snap.project_id, scope.project_ids
            ids = keys.tolist()
            for at in mask.nonzero()[0].tolist():
                mask[at] = project_id[slot[ids[at]]] in inside
        elif scope.where and len(keys):  # the scope's SQL conditions, checked on the ids alone
            join = " CROSS JOIN projects p ON p.id = d.project_id" if scope.uses_projects else ""
            keep: set[int] = set()
            for chunk in in_chunks(keys.tolist()):
                keep.update(
                    r[0]
                    for r in self.store.query(
                        f"SELECT d.id FROM documents d{join} WHERE d.id IN ({marks(len(chunk))}){scope.sql()}",
                        (*chunk, *scope.params),
                    )
                )
            mask &= [i in keep for i in keys.tolist()]
        return mask

    def newest_of(
        self, project_ids: Iterable[int], limit: int, doc_types: Sequence[str] = (), *, as_built: bool = False
    ) -> list[int] | None:
        """The ``limit`` documents of these projects (of ``doc_types`` and as-built when asked) not
        archived first, then newest (ties: lowest id), as ``FactRetriever.documents`` orders a scope
        of projects; None when the table does not match the store. A client's projects hold a few
        thousand documents: SQL read each one's row to sort them (1-4 ms at 116k), the columns here
        sort them in a fraction (numpy: ~50 µs where a Python sort of the rows took ~0.2 ms)."""
        snap = self.current()
        if snap is None:
            return None
        import numpy as np

        cols = snap.arrays()
        spans, joined = cols.spans, cols.project_rows
        plain = not (doc_types or as_built)
        parts = []
        for pid in project_ids:
            span = spans.get(pid)
            if span is not None:  # (each project's own newest ``limit`` are all a plain list can take)
                parts.append(joined[span[0] : min(span[1], span[0] + limit)] if plain else joined[span[0] : span[1]])
        rows = np.concatenate(parts) if parts else np.empty(0, np.int32)
        if not plain:
            keep = np.ones(len(rows), bool)
            if doc_types:
                kinds = cols.words[4 * rows]
                family = np.zeros(len(rows), bool)
                for t in set(doc_types):  # (np.isin's set-up costs ~60 µs: more than a few compares)
                    if t in snap.index:
                        family |= kinds == snap.index[t]
                keep &= family
            if as_built:
                keep &= (cols.flags[rows] & AS_BUILT) != 0
            rows = rows[keep]
        places = cols.recency[rows]
        if len(rows) > limit:  # the newest ``limit`` (places are distinct)
            pick = np.argpartition(places, limit)[:limit]
            rows, places = rows[pick], places[pick]
        return cols.ids[rows[np.argsort(places)]].tolist()

    def facts_newest(
        self,
        project_ids: Iterable[int],
        limit: int,
        *,
        numbers: tuple[int | None, int | None, int | None] = (None, None, None),
        as_built: bool = False,
        doc_types: Sequence[str] = (),
        related: Sequence[str] = (),
    ) -> list[int] | None:
        """The ``limit`` documents of these projects holding any of the facts given, as
        ``FactRetriever.documents`` lists them within a scope of projects; None when the table does
        not match the store or the projects hold more than :data:`FACTS_ROWS_MAX` documents. The
        facts: the revision, room and change order of ``numbers`` (None: not asked), as-built, and
        a family of ``doc_types`` or filed as "other" with one of the ``related`` words (lower-case
        ASCII) in its name (as SQL's ``LIKE``: only ASCII letters fold). Most facts held first,
        those lacking an asked number last (SQL's sum is NULL); then not archived first, newest
        (ties: lowest id). A project's ~20-200 rows, one by one: ~10-40 µs where SQL took ~150-400."""
        snap = self.current()
        if snap is None:
            return None
        chosen = [rows for pid in set(project_ids) if (rows := snap.by_project.get(pid)) is not None]
        if sum(map(len, chosen)) > FACTS_ROWS_MAX:
            return None
        # Each project's rows are newest first already; several are merged into that order.
        rows = chosen[0] if len(chosen) == 1 else sorted((r for c in chosen for r in c), key=snap.recency.__getitem__)
        asked = [(k, want) for k, want in enumerate(numbers) if want is not None]
        nums, flags, words, index = snap.numbers, snap.flags, snap.words, snap.index
        kinds = {index[t] for t in doc_types if t in index}
        other = index.get("other") if related else None
        names = [w.encode() for w in related]
        blob, offsets = snap.blob, snap.offsets
        keyed: list[tuple[int, int]] = []
        for row in rows:
            held, unknown = 0, False
            for k, want in asked:
                have = nums[3 * row + k]
                if have == want:
                    held += 1
                elif have == ABSENT:
                    unknown = True
            if as_built and flags[row] & AS_BUILT:
                held += 1
            if doc_types:
                kind = words[4 * row]
                if kind in kinds or (
                    kind == other
                    and any(w in blob[offsets[row] : blob.find(b"\0", offsets[row])].lower() for w in names)
                ):  # (bytes.lower folds ASCII letters only)
                    held += 1
            if held:
                keyed.append((1 if unknown else -held, row))
        keyed.sort(key=itemgetter(0))  # (stable: newest first within each count)
        ids = snap.ids
        return [ids[row] for _, row in keyed[:limit]]

    def family_newest(self, doc_types: Sequence[str], limit: int, *, as_built: bool = False) -> list[int] | None:
        """The ``limit`` documents of the whole firm of ``doc_types`` (distinct; as-built when asked)
        not archived first, then newest (ties: lowest id), as ``FactRetriever`` lists a family named
        without a project or numbers; None when the table does not match the store. Worked out once
        per build and family (SQL walked each type's index twice a search: 0.6-1.2 ms at 116k)."""
        snap = self.current()
        if snap is None:
            return None
        key = (tuple(doc_types), as_built, limit)
        found = snap.families.get(key)
        if found is None:
            import numpy as np

            cols = snap.arrays()
            kinds = [snap.index[t] for t in doc_types if t in snap.index]
            keep = np.isin(cols.words[0::4], kinds)  # (each row's doc_type: the first of its four words)
            if as_built:
                keep &= (cols.flags & AS_BUILT) != 0
            rows = np.flatnonzero(keep)
            places = cols.recency[rows]
            if len(rows) > limit:  # the newest ``limit`` (places are distinct)
                pick = np.argpartition(places, limit)[:limit]
                rows, places = rows[pick], places[pick]
            found = remember(snap.families, key, cols.ids[rows[np.argsort(places)]].tolist(), FAMILIES_MAX)
        return list(found)

    def copy_groups(self, ids: Sequence[int], scope: Scope) -> dict[int, int] | None:
        """The copy group of each of ``ids`` that exists, meets ``scope`` (as :meth:`facts` finds
        them) and has a copy: another document of its project whose ``copies.copy_key`` and size
        are its own (groups are equal exactly when those are; worked out once per build, see
        :func:`.candidate_snapshot.copy_groups`). None when the table does not match the store."""
        snap = self.current()
        if snap is None:
            return None
        if scope.where:
            found = self._existing_in(snap, ids, scope)
            if found is None:
                return None
        else:  # (a search's ~60 ids: tested here, one by one, in less than numpy's set-up)
            found = ids
        # The same snapshot the ids were checked against: a rebuild published meanwhile may lack them.
        slot, project_id, copies, projects = snap.slot, snap.project_id, snap.copies, snap.projects
        n = len(slot)
        out: dict[int, int] = {}
        for i in found:
            row = slot[i] if 0 <= i < n else -1
            if row >= 0 and copies[row] >= 0 and project_id[row] in projects:  # (what ``existing`` keeps)
                out[i] = copies[row]
        return out

    def owners(self, ids: Sequence[int]) -> dict[int, int] | None:
        """The project id of each of ``ids`` that exists, or None when the table is not current."""
        snap = self.current()
        if snap is None:
            return None
        slot, project_id, n = snap.slot, snap.project_id, len(snap.slot)
        return {i: project_id[slot[i]] for i in ids if 0 <= i < n and slot[i] >= 0}

    def read(self, ids: Sequence[int]) -> dict[int, DocumentFacts]:
        """The facts of ``ids`` (as :meth:`existing` returned them) from the latest table."""
        snap = self._snapshot
        out: dict[int, DocumentFacts] = {}
        if snap is None:
            return out
        built = snap.built
        for i in ids:
            d = built.get(i)
            if d is None:
                d = snap.facts(i)
                if d is None:
                    continue
                if len(built) >= BUILT_MAX:
                    built.clear()
                    snap.marked.clear()
                built[i] = d
            out[i] = d
        return out

    def rows_with_content(self, page: Sequence[DocumentFacts]) -> list[tuple[DocumentRow, str | None]] | None:
        """``DocumentRepo.with_content`` of the ``page``'s documents (each ``is_current`` as on its
        facts), from the table and the columns it lacks (``DocumentRepo.rest_with_content``), read in
        one statement with the :data:`COUNTERS`: the table's columns are taken only when those are
        the ones it was built at, so they are the rows as stored at that very read (the rule
        :meth:`current` judges a table by). None when they are not: read the rows whole."""
        snap = self._snapshot
        also = self.versions.columns(*COUNTERS)
        if snap is None or also is None or not page:
            return None
        rest = self.rows.rest_with_content([f.id for f in page], also)
        if not rest or rest[0][-len(COUNTERS) :] != snap.version:
            return None
        found = {r[0]: r for r in rest}
        built = snap.built
        out: list[tuple[DocumentRow, str | None]] = []
        for f in page:
            r = found.get(f.id)
            if r is None:  # (deleted: as with_content, left out)
                continue
            d = f if built.get(f.id) is f else snap.facts(f.id)  # (facts of another build: this one's)
            if d is None:
                return None
            row = row_from_facts(d, r[1:7], r[7])
            row.is_current = f.is_current
            out.append((row, r[8]))
        return out

    def set_current(
        self, docs: Mapping[int, DocumentFacts], mark: Callable[[Mapping[int, DocumentFacts]], None]
    ) -> None:
        """Set ``is_current`` on ``docs`` (facts :meth:`read` gave) with ``mark`` (the current-revision
        rule, ``CurrentRevisions.mark``), once per built fact while the table matches the store:
        the rule's answer for a document moves only with the ``documents`` counter, which
        rebuilds the table (a search marks ~30 candidates: ~50-100 µs of lookups, every time)."""
        snap = self._snapshot
        if snap is None or snap.version != self.versions.get(*COUNTERS):
            mark(docs)
            return
        done = snap.marked
        todo = {i: d for i, d in docs.items() if done.get(i) is not d}
        if todo:
            mark(todo)
            done.update(todo)

    def start(self) -> None:
        """Start building the table on a daemon thread unless it matches the store or a build runs
        (at start-up: the first searches then need not read the whole table)."""
        version = self.versions.get(*COUNTERS)
        snap = self._snapshot
        if snap is not None and snap.version == version:
            return
        if self._builds.claim() == "claimed":
            self._background(version)

    def ready(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (None: as long as it takes) until the table matches the
        store, starting a build if none runs; whether it does."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._current(wait=False, gap=False) is None or self._builds.running:
            left = None if deadline is None else deadline - time.monotonic()
            if (left is not None and left <= 0) or self._builds.closed:
                return False
            self._builds.wait(0.05 if left is None else min(left, 0.05))
        return True

    def current(self) -> Snapshot | None:
        """The snapshot if it matches the counters; otherwise start a rebuild and return None
        (a small firm rebuilds inline, or waits for the build running, and gets the new one)."""
        return self._current(wait=True, gap=True)

    def _current(self, *, wait: bool, gap: bool) -> Snapshot | None:
        version = self.versions.get(*COUNTERS)
        snap = self._snapshot
        if snap is not None and snap.version == version:
            return snap
        if self.store.conn.in_transaction:
            # Counters read inside a write transaction may be uncommitted, while a build reads committed
            # rows: a table labelled so would pass for current after the commit. SQL serves this call.
            return None
        if self._small is None:  # nothing built yet: judge the size by the highest id (one index probe)
            try:
                row = self.store.query_one("SELECT max(id) FROM documents")
            except DatabaseError:  # no documents table to read: the build will fail alike, SQL serves
                row = None
            self._small = row is None or (row[0] or 0) <= SYNC_BUILD_MAX
        small = self._small
        claim = self._builds.claim(after=self._builds.began + MIN_REBUILD_GAP_S if gap and not small else -1e9)
        if claim == "refused":
            return None
        if claim == "running":
            if not (wait and small):
                return None
            # A small firm's build takes what an inline one took: answer from it (SQL if it stalls).
            if not self._builds.wait(SMALL_WAIT_S):
                return None
        elif small:
            self._builds.run(lambda: self._build(version))
        else:
            self._background(version)
            return None
        fresh = self._snapshot
        return fresh if fresh is not None and fresh.version == version else None

    def _background(self, version: tuple[object, ...]) -> None:
        """Run the claimed build on a thread (the first one also works out the current revisions)."""
        first = self._snapshot is None
        self._builds.spawn(lambda: self._build(version, first))

    def size_bytes(self) -> int:
        """Memory held by the columns (the interned values and project names apart)."""
        snap = self._snapshot
        return snap.size_bytes() if snap is not None else 0

    def clear(self) -> None:
        self._snapshot = None
        self._builds.allow_now()

    def close(self) -> None:
        """Start no further build and stop the running one (at its next chunk of rows)."""
        self._builds.close()

    def _build(self, version: tuple[object, ...], warm: bool = False) -> None:
        """Read the table (a failure is logged by the builder: SQL serves meanwhile)."""
        snap = self._read(version)
        if self.versions.get(*COUNTERS) == version:  # nothing moved while reading
            self._snapshot = snap
        self._small = len(snap.project_id) <= SYNC_BUILD_MAX
        if warm and not self._small and self._snapshot is snap and self.warmers:
            pairs = snap.series(self._builds.check)
            for warmer in self.warmers:
                self._builds.check()
                warmer(pairs, self._builds.check)

    def _read(self, version: tuple[object, ...]) -> Snapshot:
        # Its own connection (store.scan_reader): read through the store's, every row's pages
        # took ~180 MB of resident memory at 116k documents.
        with self.store.scan_reader() as read:
            return self._read_with(lambda sql, params: list(read(sql, params)), version)

    def _read_with(self, query: Callable[[str, Sequence[Any]], list[Any]], version: tuple[object, ...]) -> Snapshot:
        t0 = time.perf_counter()
        projects = {
            r[0]: (r[1], r[2], r[3] or "") for r in query("SELECT id, code, folder_name, rel_path FROM projects", ())
        }
        slot = array("i")
        project_id, mtime, size = array("i"), array("d"), array("q")
        words, numbers = array("I"), array("i")
        flags, tags, offsets = array("B"), array("H"), array("Q", [0])
        ids = array("i")
        by_project: dict[int, array] = {}
        blob = bytearray()  # grown in place: no list of 116k small bytes objects to join
        index: dict[str | None, int] = {None: 0}
        values: list[str | None] = [None]
        tag_index: dict[str, int] = {"[]": 0}
        tag_values: list[tuple[str, ...]] = [()]
        last = 0
        while True:
            self._builds.check()  # closing: stop between chunks
            rows = query(f"SELECT {_COLUMNS} FROM documents d WHERE d.id > ? ORDER BY d.id LIMIT ?", (last, CHUNK))
            for r in rows:
                if not len(ids) & 0x1FF:
                    self._builds.check()  # a checkpoint every few ms: the foreground, closing
                doc_id = r[0]
                if doc_id >= len(slot):
                    slot.extend([-1] * (doc_id + 1 - len(slot)))
                row = len(project_id)
                slot[doc_id] = row
                ids.append(doc_id)
                rows_of = by_project.get(r[1])
                if rows_of is None:
                    rows_of = by_project[r[1]] = array("i")
                rows_of.append(row)
                project_id.append(r[1])
                mtime.append(r[2] or 0.0)
                size.append(r[17])
                for v in (r[3], r[4], r[5], r[10]):
                    k = index.get(v)
                    if k is None:
                        k = index[v] = len(values)
                        values.append(v)
                    words.append(k)
                numbers.extend(ABSENT if v is None else v for v in (r[6], r[7], r[8]))
                flags.append((AS_BUILT if r[9] else 0) | (ARCHIVE if r[12] else 0) | (HANDOVER if r[13] else 0))
                raw = r[14] or "[]"
                t = tag_index.get(raw)
                if t is None:
                    t = tag_index[raw] = len(tag_values)
                    tag_values.append(tuple(json_list(raw)))
                tags.append(t)
                blob += f"{r[15]}{SEP}{r[16]}{SEP}{r[11]}".encode()
                offsets.append(len(blob))
            if len(rows) < CHUNK:
                break
            last = rows[-1][0]
        recency = recency_places(ids, mtime, flags)
        for k, (pid, rows_of) in enumerate(by_project.items()):
            if not k & 0xFF:
                self._builds.check()
            by_project[pid] = array("i", sorted(rows_of, key=recency.__getitem__))
        copies = copy_groups(by_project, blob, offsets, size, self._builds.check)
        snap = Snapshot(
            version,
            slot,
            project_id,
            mtime,
            size,
            copies,
            words,
            numbers,
            flags,
            tags,
            offsets,
            blob,
            values,
            tag_values,
            projects,
            ids,
            by_project,
            recency,
            index,
        )
        log.debug(
            "candidate table: %d documents, %.1f MB, %.2f s",
            len(project_id),
            snap.size_bytes() / 1e6,
            time.perf_counter() - t0,
        )
        return snap
