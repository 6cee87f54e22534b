"""Listing project folders ahead of the walk, on a helper thread.

A rescan that finds nothing changed spends its time listing folders and ``lstat``-ing files, and
both release the GIL: a helper thread lists the next projects (every folder, entries sorted by
name, each file's ``lstat`` cached on its ``DirEntry``) while the walk compares the current one
with the stored rows. The walk still decides everything (what is skipped, followed or a problem);
a folder the helper could not list hands the walk the same error a listing of its own would have.
A large first scan has its worker processes walk whole projects instead (:mod:`.scan_project`).
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable
from operator import attrgetter

#: Folders of one project: absolute path -> its entries sorted by name, or the listing's error.
Listing = dict[str, list[os.DirEntry[str]] | OSError]

_by_name = attrgetter("name")


class Prefetcher:
    """Lists ``folders`` (project folders, in walk order) ``ahead`` projects before the walk asks."""

    def __init__(
        self,
        folders: Iterable[str],
        scandir: Callable[[str], object],
        max_depth: int,
        ahead: int = 4,
    ) -> None:
        self._folders = list(folders)
        self._scandir = scandir
        self._max_depth = max_depth
        self._queue: queue.Queue[Listing] = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="scan-prefetch", daemon=True)
        self._thread.start()

    def next(self) -> Listing:
        """The listing of the next project folder (in the order given)."""
        while True:
            try:
                return self._queue.get(timeout=0.5)
            except queue.Empty:
                if not self._thread.is_alive():  # it died on something unexpected: say so, not hang
                    raise RuntimeError("the folder listing thread stopped") from self._error

    def close(self) -> None:
        self._stop.set()  # the helper notices within one folder or one wait for room in the queue
        self._thread.join()

    def _run(self) -> None:
        try:
            self._fill()
        except BaseException as exc:
            self._error = exc
            raise

    def _fill(self) -> None:
        for folder in self._folders:
            listing = self._list_project(folder)
            while not self._stop.is_set():
                try:
                    self._queue.put(listing, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if self._stop.is_set():
                return

    def _list_project(self, folder: str) -> Listing:
        return list_project(folder, self._scandir, self._max_depth, self._stop)


def list_project(
    folder: str, scandir: Callable[[str], object], max_depth: int, stop: threading.Event | None = None
) -> Listing:
    """Every folder of one project folder, entries sorted by name, each entry's ``lstat`` cached on it."""
    out: Listing = {}
    stack = [(folder, 0)]
    while stack and not (stop is not None and stop.is_set()):
        path, depth = stack.pop()
        try:
            with scandir(path) as it:  # type: ignore[attr-defined]
                entries = sorted(it, key=_by_name)
        except OSError as exc:
            out[path] = exc
            continue
        out[path] = entries
        subdirs = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < max_depth:
                        # Its mtime, cached on the entry, before it is listed (see scan_folders).
                        entry.stat(follow_symlinks=False)
                        subdirs.append((entry.path, depth + 1))
                else:
                    entry.stat(follow_symlinks=False)  # cached on the entry for the walk
            except OSError:
                pass  # the walk asks again and records what is wrong
        stack.extend(reversed(subdirs))
    return out


__all__ = ["Listing", "Prefetcher", "list_project"]
