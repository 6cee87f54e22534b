"""A root's first scan: each project's facts computed while the walk goes on, not all at its end.

A scan recomputes the facts of the projects it marked (:mod:`.project_facts`) once its walk is done; on a
first scan that is every project, and nothing else runs meanwhile (at 5,000 projects ~1.6 CPU-s of
``client_names_from_documents`` plus ~1.2 s of SQL, after the last row is written). With the parse workers
started, a first scan hands them each project's ``(folder, names)`` as soon as its walk has ended and every
name of it has been handed out to parse, and writes the facts in the transaction of the batch that holds
the project's last rows. The facts are still those of the stored rows: the writer recomputes the marked
projects from what is stored (:func:`.project_facts.refresh_ids`) and only takes a result the workers
computed for the very same folder and names; anything else (a name that could not be parsed, a row
another process wrote) is computed there, and projects left marked are recomputed at the end as before.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from quicknav_mcp.domain.models import ProjectFolder

from .project_facts import Known

#: A project whose walk has ended: ``(id, folder, jobs handed out when it ended)``.
_Walked = tuple[int, ProjectFolder, int]


class FactsAhead:
    """Tracks projects from the end of their walk to the batch that stores their last rows.

    Positions count the scan's jobs (files to parse) in walk order: a project is complete once every job
    up to the count taken when its walk ended has been handed out to parse (:meth:`submit`) and, later,
    turned into rows (:meth:`ready`)."""

    def __init__(self) -> None:
        self._names: defaultdict[int, list[str]] = defaultdict(list)
        self._walked: deque[_Walked] = deque()
        # Facts being computed, in walk order: (project ids, their job positions, keys, future).
        self._computing: deque[tuple[list[int], list[int], list[Any], Future[list[Any]]]] = deque()

    def taken(self, jobs: list[Any]) -> None:
        """Note the names of ``jobs`` (handed out to parse, in walk order) by project."""
        names = self._names
        for job in jobs:
            names[job[0]].append(job[2])

    def walked(self, pid: int, folder: ProjectFolder, position: int) -> None:
        """The walk of project ``pid`` ended after ``position`` jobs."""
        self._walked.append((pid, folder, position))

    def submit(self, taken: int, compute: Callable[[list[Any]], Future[list[Any]]]) -> None:
        """Hand ``compute`` (a future of :func:`.project_facts.compute_all`) the projects whose every job is
        among the first ``taken`` handed out."""
        walked = self._walked
        ids: list[int] = []
        positions: list[int] = []
        items: list[tuple[ProjectFolder, list[str]]] = []
        while walked and walked[0][2] <= taken:
            pid, folder, position = walked.popleft()
            # Sorted as the stored names are read (ORDER BY name: UTF-8 bytes, i.e. code points).
            items.append((folder, sorted(self._names.pop(pid, ()))))
            ids.append(pid)
            positions.append(position)
        if items:
            keys = [(folder, tuple(names)) for folder, names in items]
            self._computing.append((ids, positions, keys, compute(items)))

    def ready(self, written: int, *, wait: bool = False) -> tuple[list[int], Known]:
        """Projects whose rows are all among the first ``written`` jobs' and whose facts are computed (``wait``:
        waits for them), with those facts by ``(folder, sorted names)``."""
        ids: list[int] = []
        known: Known = {}
        computing = self._computing
        while computing:
            pids, positions, keys, future = computing[0]
            if not (wait or future.done()):
                break
            cut = sum(1 for p in positions if p <= written)
            if not cut:
                break
            facts = future.result()
            ids.extend(pids[:cut])
            known.update(zip(keys[:cut], facts[:cut], strict=True))
            if cut < len(pids):  # the rest wait for their rows: kept with their facts
                rest: Future[list[Any]] = Future()
                rest.set_result(facts[cut:])
                computing[0] = (pids[cut:], positions[cut:], keys[cut:], rest)
                break
            computing.popleft()
        return ids, known


__all__ = ["FactsAhead"]
