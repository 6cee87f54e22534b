"""Folder listings a quick rescan may trust: each project's folders with the mtime they had when listed.

Adding, removing or renaming an entry changes its folder's mtime; editing a file in place changes only
the file's. So a folder whose mtime is the one recorded when the last complete scan listed it still
holds the names indexed from it, and a quick rescan (``scan_root(quick=True)``) stats the folder
instead of listing it and stat-ing every file in it; a project whose every folder is unchanged is not
walked at all, and its stored rows are counted instead of read (:func:`unchanged`). What a quick rescan
does not see, by design: files edited in place (new size or mtime, same name) in folders that did not
change otherwise, and symbolic links whose target changed. The file watcher sees those as they happen; a
full rescan (the default) sees everything.

A folder's mtime is taken before it is listed (a change after that gives it a newer mtime), and a
folder changed within :data:`RACY_SECONDS` of the scan's start is recorded without one (a change in
the same mtime tick would go unseen), so it is listed again next time.
"""

from __future__ import annotations

import json
import os
import stat
import zlib
from typing import Any

#: Folders modified this close to the scan's start (or after it) are not trusted next time.
RACY_SECONDS = 2.0

#: One project's folders: path within the project ('' = the project folder) -> mtime, or None for a
#: folder that must be listed next time (changed too recently, or its mtime could not be read). Every
#: folder the walk visited is in it: a quick rescan finds a trusted folder's subfolders here.
Tree = dict[str, float | None]


def encode(tree: Tree) -> bytes:
    return zlib.compress(json.dumps(sorted(tree.items()), separators=(",", ":")).encode(), 1)


def decode(blob: bytes) -> Tree:
    return dict(json.loads(zlib.decompress(blob)))


def load(store: Any, root_id: int) -> dict[int, Tree]:
    """The recorded trees of the root's projects, by project id (a record that cannot be read is left
    out: that project's folders are all listed again)."""
    rows = store.query(
        "SELECT f.project_id, f.folders FROM scan_folders f JOIN projects p ON p.id = f.project_id WHERE p.root_id = ?",
        (root_id,),
    )
    out: dict[int, Tree] = {}
    for pid, blob in rows:
        try:
            out[pid] = decode(blob)
        except (zlib.error, ValueError, TypeError):
            continue
    return out


def children(tree: Tree) -> dict[str, list[str]]:
    """Each recorded folder's recorded subfolders (names, sorted as a listing is)."""
    out: dict[str, list[str]] = {}
    for path in tree:
        if path:
            parent, _, name = path.rpartition("/")
            out.setdefault(parent, []).append(name)
    for names in out.values():
        names.sort()
    return out


def unchanged(tree: Tree, abs_path: str, mtime: float | None, racy: float) -> bool:
    """Whether every folder of a project is as the last complete scan listed it (stat-ed here, stopping at
    the first that is not; ``mtime`` is the project folder's own, taken by discovery): then its stored rows
    are its files, and a quick rescan need not visit it. ``racy`` is this scan's limit (see RACY_SECONDS):
    a folder at or past it would be recorded without an mtime, so the project is walked as before."""
    own = tree.get("")
    if own is None or own != mtime or own >= racy:
        return False
    prefix = abs_path + os.sep
    for path, recorded in tree.items():
        if not path:
            continue
        if recorded is None or recorded >= racy:
            return False
        try:
            st = os.stat(prefix + path.replace("/", os.sep), follow_symlinks=False)
        except OSError:
            return False
        if st.st_mtime != recorded or not stat.S_ISDIR(st.st_mode):
            return False
    return True


def save(conn: Any, trees: dict[int, Tree]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO scan_folders (project_id, folders) VALUES (?, ?)",
        [(pid, encode(tree)) for pid, tree in trees.items()],
    )


__all__ = ["RACY_SECONDS", "Tree", "children", "decode", "encode", "load", "save", "unchanged"]
