"""Listing project folders ahead of the walk, on a helper thread.

A rescan that finds nothing changed spends its time listing folders and ``lstat``-ing files, and
both release the GIL: a helper thread lists the next projects (every folder, entries sorted by
name, each file's ``lstat`` cached on its ``DirEntry``) while the walk compares the current one
with the stored rows. The walk still decides everything (what is skipped, followed or a problem);
a folder the helper could not list hands the walk the same error a listing of its own would have.
A large first scan, whose worker processes are started before its walk, has them list the folders
instead (:class:`PoolPrefetcher`, below).
"""

from __future__ import annotations

import os
import queue
import stat
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from operator import attrgetter
from typing import Any

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


# --------------------------------------------------------------------------- listed in worker processes
# A first scan with worker processes has them list the project folders too: listing is ~500,000 system
# calls for the 116k-file firm, each releasing and taking back the interpreter lock, and beside the walk,
# the writer and the result threads the listing thread waited for the lock at almost every one of them.
# A worker lists a few projects at a time and sends back plain tuples; the walk reads them through
# :class:`ListedEntry`, which answers as the ``DirEntry`` would have (a call that failed in the worker is
# made again by the walk, as a ``DirEntry`` whose cached call failed would).

#: One entry as sent: ``(name, is_dir, is_symlink, st_mode, st_size, st_mtime)``, None for what failed (every
#: ``lstat`` field when it did).
Packed = tuple[str, bool | None, bool | None, int | None, int | None, float | None]


class ListedEntry:
    """A folder entry listed in a worker process, read as an ``os.DirEntry`` (what the walk calls of one).

    Its ``lstat`` fields are its own attributes (``stat(follow_symlinks=False)`` returns the entry itself):
    one object per entry instead of two, as the walk reads only ``st_mode``, ``st_size`` and ``st_mtime``."""

    __slots__ = ("_dir", "_link", "_lstat", "name", "path", "st_mode", "st_mtime", "st_size")

    def __init__(self, prefix: str, packed: Packed) -> None:
        """``prefix``: the listed folder's path ending with a separator, as ``DirEntry.path`` joins it."""
        self.name, self._dir, self._link, self.st_mode, self.st_size, self.st_mtime = packed
        self.path = prefix + self.name
        self._lstat: os.stat_result | None = None  # the walk's own lstat when the worker's failed

    def is_dir(self, *, follow_symlinks: bool = True) -> bool:
        if follow_symlinks and self.is_symlink():
            try:
                return stat.S_ISDIR(os.stat(self.path).st_mode)
            except FileNotFoundError:
                return False
        if self._dir is None:
            self._dir = stat.S_ISDIR(self.stat(follow_symlinks=False).st_mode)
        return self._dir

    def is_symlink(self) -> bool:
        if self._link is None:
            self._link = stat.S_ISLNK(self.stat(follow_symlinks=False).st_mode)
        return self._link

    def stat(self, *, follow_symlinks: bool = True) -> Any:
        if follow_symlinks and self.is_symlink():
            return os.stat(self.path)
        if self.st_mode is not None:
            return self
        if self._lstat is None:
            self._lstat = os.lstat(self.path)
        return self._lstat


def _pack(entry: os.DirEntry[str]) -> Packed:
    """What a worker sends of a listed entry (its cached calls; None for one that failed)."""
    try:
        is_dir: bool | None = entry.is_dir(follow_symlinks=False)
    except OSError:
        is_dir = None
    try:
        is_link: bool | None = entry.is_symlink()
    except OSError:
        is_link = None
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return entry.name, is_dir, is_link, None, None, None
    return entry.name, is_dir, is_link, st.st_mode, st.st_size, st.st_mtime


def list_packed(folders: list[str], max_depth: int) -> list[dict[str, list[Packed] | OSError]]:
    """Each project folder's listing (:func:`list_project`) as plain tuples (runs in a worker)."""
    from . import scan_base  # the walk's scandir (tests replace it)

    return [
        {
            path: entries if isinstance(entries, OSError) else [_pack(e) for e in entries]  # type: ignore[misc]
            for path, entries in list_project(folder, scan_base._scandir, max_depth).items()
        }
        for folder in folders
    ]


def _entries(path: str, packed: list[Packed] | OSError) -> list[ListedEntry] | OSError:
    """A folder's listing as sent, read back (its entries' paths joined as ``os.scandir(path)`` joins them)."""
    if isinstance(packed, OSError):
        return packed
    prefix = path if path.endswith(os.sep) else path + os.sep
    return [ListedEntry(prefix, p) for p in packed]


class PoolPrefetcher:
    """Lists ``folders`` (project folders, in walk order) in worker processes, ``ahead`` projects before the
    walk asks, ``chunk`` projects a task (the same interface as :class:`Prefetcher`)."""

    def __init__(
        self,
        folders: Iterable[str],
        submit: Callable[[list[str], int], Future[list[dict[str, Any]]]],
        max_depth: int,
        chunk: int = 8,
        ahead: int = 96,
    ) -> None:
        self._folders = list(folders)
        self._submit = submit
        self._max_depth = max_depth
        self._chunk = chunk
        self._ahead = ahead
        self._sent = 0  # folders handed to the workers
        self._futures: deque[Future[list[dict[str, Any]]]] = deque()
        self._ready: deque[dict[str, Any]] = deque()
        self._fill()

    def _fill(self) -> None:
        # Tasks queue behind the batches of names to parse: enough are kept in flight that the walk rarely waits.
        while self._sent < len(self._folders) and len(self._futures) * self._chunk < self._ahead:
            part = self._folders[self._sent : self._sent + self._chunk]
            self._sent += len(part)
            self._futures.append(self._submit(part, self._max_depth))

    def next(self) -> Listing:
        """The listing of the next project folder (in the order given)."""
        if not self._ready:
            self._ready.extend(self._futures.popleft().result())
            self._fill()
        return {path: _entries(path, packed) for path, packed in self._ready.popleft().items()}

    def close(self) -> None:
        for future in self._futures:
            future.cancel()
        self._futures.clear()


__all__ = ["ListedEntry", "Listing", "PoolPrefetcher", "Prefetcher", "list_packed", "list_project"]
