"""The columns of one candidate-table build (:class:`Snapshot`) and what each build works out
once from them: the newest-first order of the rows and their copy groups (search/candidates.py
builds and serves them)."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..repo.documents import DocumentFacts
from .copies import copy_key

ABSENT = -(2**31)  # an absent revision / room / change order
AS_BUILT, ARCHIVE, HANDOVER = 1, 2, 4
SEP = "\x00"  # between a document's name, project-relative path and series key in the blob


class _Arrays(NamedTuple):
    ids: Any
    recency: Any
    words: Any
    flags: Any
    project_rows: Any  # every project's rows, newest first, end to end
    spans: dict[int, tuple[int, int]]  # project id -> where its rows are in ``project_rows``


@dataclass(slots=True)
class Snapshot:
    """One built copy of the facts; never modified once published."""

    version: tuple[object, ...]
    slot: array  # document id -> row (-1: none)
    project_id: array
    mtime: array
    size: array  # per row: the file's size in bytes
    copies: array  # per row: its copy group (-1: no copy), see copy_groups
    words: array  # per row: doc_type, phase, ext, doc_date as indexes into ``values``
    numbers: array  # per row: revision, room, change_order (``ABSENT`` when absent)
    flags: array
    tags: array  # index into ``tag_values``
    offsets: array  # row i's text is blob[offsets[i]:offsets[i + 1]]
    blob: bytearray
    values: list[str | None]
    tag_values: list[tuple[str, ...]]
    projects: dict[int, tuple[str, str, str]]  # id -> (code, folder name, root-relative path)
    ids: array  # row -> document id
    by_project: dict[int, array]  # project id -> its rows, newest first (by ``recency``)
    recency: array  # row -> its place among all rows, not archived first, then newest (ties: lowest id)
    index: dict[str | None, int]  # value -> its index in ``values``
    usable: Any = None
    """Per document id, whether its row exists and its project is known (numpy, made on first use)."""
    columns: Any = None
    """numpy views of the columns and every project's rows in one array (:meth:`arrays`, made on first use)."""
    built: dict[int, DocumentFacts] = field(default_factory=dict)
    """Facts already built from this snapshot (searches share candidates; ``is_current`` is set on
    them through ``CandidateTable.set_current``, always to the same value while the snapshot is current)."""
    marked: dict[int, DocumentFacts] = field(default_factory=dict)
    """The built facts whose ``is_current`` is set (``CandidateTable.set_current``), each with the
    very object marked: one built again after ``candidates.BUILT_MAX`` is marked again."""
    families: dict[tuple[tuple[str, ...], bool, int], list[int]] = field(default_factory=dict)
    """``CandidateTable.family_newest`` lists already worked out from this snapshot."""

    def size_bytes(self) -> int:
        arrays = (
            self.slot,
            self.project_id,
            self.mtime,
            self.size,
            self.copies,
            self.words,
            self.numbers,
            self.flags,
            self.tags,
            self.offsets,
        )
        arrays += (self.ids, self.recency, *self.by_project.values())
        made = (self.columns.project_rows.nbytes if self.columns is not None else 0) + (
            self.usable.nbytes if self.usable is not None else 0
        )  # the numpy views made on first use (the others share the arrays' memory)
        return sum(a.itemsize * len(a) for a in arrays) + len(self.blob) + made

    def existing(self, ids: Sequence[int]) -> list[int]:
        """The ``ids`` (in their order) that have a row whose project is known (a few µs for a
        search's ~200 candidates, where a Python test per id took ~75 µs)."""
        import numpy as np

        want = np.fromiter(ids, np.int64, len(ids))
        return want[self.usable_mask(want)].tolist()

    def usable_mask(self, want: Any) -> Any:
        """Whether each of the document ids ``want`` (int64 numpy) has a row whose project is known."""
        import numpy as np

        usable = self.usable
        if usable is None:
            slot = np.frombuffer(self.slot, np.int32)
            pids = np.frombuffer(self.project_id, np.int32)
            known = np.zeros(max(int(pids.max(initial=0)), max(self.projects, default=0)) + 1, bool)
            known[list(self.projects)] = True
            usable = np.zeros(len(slot) + 1, bool)  # the last slot: every id out of range
            usable[:-1] = (slot >= 0) & known[pids[np.maximum(slot, 0)]] if len(pids) else False
            self.usable = usable
        n = len(usable) - 1
        return usable[np.where((want >= 0) & (want < n), want, n)]

    def arrays(self) -> _Arrays:
        """numpy views of the columns newest_of reads, and every project's rows end to end."""
        found = self.columns
        if found is None:
            import numpy as np

            spans: dict[int, tuple[int, int]] = {}
            at = 0
            for pid, rows in self.by_project.items():
                spans[pid] = (at, at + len(rows))
                at += len(rows)
            joined = np.empty(at, np.int32)
            for pid, rows in self.by_project.items():
                a, b = spans[pid]
                joined[a:b] = np.frombuffer(rows, np.int32)
            found = self.columns = _Arrays(
                ids=np.frombuffer(self.ids, np.int32),
                recency=np.frombuffer(self.recency, np.int32),
                words=np.frombuffer(self.words, self.words.typecode),
                flags=np.frombuffer(self.flags, np.uint8),
                project_rows=joined,
                spans=spans,
            )
        return found

    def series(self, between: Callable[[], None] = lambda: None) -> list[tuple[int, str]]:
        """Every (project id, series key) pair of the documents (``between`` is called every few
        thousand documents: a build's checkpoint)."""
        blob, offsets, pids = self.blob, self.offsets, self.project_id
        pairs: set[tuple[int, str]] = set()
        for i in range(len(pids)):
            if not i & 0xFFF:
                between()
            pairs.add((pids[i], blob[offsets[i] : offsets[i + 1]].decode().split(SEP)[2]))
        return list(pairs)

    def names(self) -> Iterator[tuple[int, str]]:
        """Every (document id, name), by ascending id."""
        blob, offsets, ids = self.blob, self.offsets, self.ids
        for i in range(len(ids)):
            yield ids[i], blob[offsets[i] : offsets[i + 1]].decode().split(SEP, 1)[0]

    def name(self, doc_id: int) -> str:
        """The name of a document of this snapshot."""
        i = self.slot[doc_id]
        return self.blob[self.offsets[i] : self.offsets[i + 1]].decode().split(SEP, 1)[0]

    def occurrences(self, doc_ids: Iterable[int], part: bytes) -> list[int]:
        """How often ``part`` (ASCII) is in each document's name, overlapping ones too (the positions a
        phrase matches at), found in the names' bytes (no name decoded: an ASCII byte is never part of
        another character's UTF-8 bytes, so the counts are those in the names)."""
        slot, offsets, blob = self.slot, self.offsets, self.blob
        out: list[int] = []
        for doc_id in doc_ids:
            start = offsets[slot[doc_id]]
            end = blob.find(b"\0", start)
            n, i = 0, blob.find(part, start, end)
            while i >= 0:
                n += 1
                i = blob.find(part, i + 1, end)
            out.append(n)
        return out

    def facts(self, doc_id: int) -> DocumentFacts | None:
        slot = self.slot
        i = slot[doc_id] if 0 <= doc_id < len(slot) else -1
        if i < 0:
            return None
        pid = self.project_id[i]
        project = self.projects.get(pid)
        if project is None:
            return None
        code, folder_name, project_path = project
        name, prp, series_key = self.blob[self.offsets[i] : self.offsets[i + 1]].decode().split(SEP)
        w, values, words = 4 * i, self.values, self.words
        doc_type, phase, ext, doc_date = (
            values[words[w]],
            values[words[w + 1]],
            values[words[w + 2]],
            values[words[w + 3]],
        )
        n = 3 * i
        revision, room, change_order = self.numbers[n], self.numbers[n + 1], self.numbers[n + 2]
        flags = self.flags[i]
        return DocumentFacts(
            doc_id,
            pid,
            self.mtime[i],
            doc_type or "",
            phase,
            ext or "",
            None if revision == ABSENT else revision,
            None if room == ABSENT else room,
            None if change_order == ABSENT else change_order,
            bool(flags & AS_BUILT),
            doc_date,
            series_key,
            bool(flags & ARCHIVE),
            bool(flags & HANDOVER),
            self.tag_values[self.tags[i]],
            name,
            prp,
            f"{project_path}/{prp}" if project_path else prp,
            code,
            folder_name,
        )


def recency_places(ids: array, mtime: array, flags: array) -> array:
    """Each row's place in the order not archived first, then newest, then lowest id (SQL's
    ``facts.NEWEST_FIRST``; one numpy sort: ~20 ms where a Python sort with a key held the
    interpreter ~150 ms at 116k rows)."""
    import numpy as np

    n = len(ids)
    archived = np.frombuffer(flags, np.uint8)[:n] & ARCHIVE
    order = np.lexsort((np.frombuffer(ids, np.int32)[:n], -np.frombuffer(mtime, np.float64)[:n], archived))
    places = np.empty(n, np.int32)
    places[order] = np.arange(n, dtype=np.int32)
    return array("i", places.tobytes())


def copy_groups(
    by_project: dict[int, array], blob: bytearray, offsets: array, size: array, check: Callable[[], None]
) -> array:
    """Each row's copy group: rows of one project whose ``copies.copy_key`` and size are equal share
    one, numbered from 0; a row without such a copy has -1. Worked out once per build, so a search
    groups its best candidates by one lookup each (reading and lowering their names, then their
    sizes, cost it ~0.1-0.2 ms)."""
    group = array("i", [-1]) * len(size)
    count = 0
    for k, (pid, rows) in enumerate(by_project.items()):
        if not k & 0xFF:
            check()
        first: dict[tuple[tuple[int, str], int], int] = {}
        for row in rows:
            name = blob[offsets[row] : offsets[row + 1]].decode().split(SEP, 1)[0]
            seen = first.setdefault((copy_key(pid, name), size[row]), row)
            if seen != row:
                if group[seen] < 0:
                    group[seen] = count
                    count += 1
                group[row] = group[seen]
    return group
