"""The drive's tree as the delta feed describes it, and the project/document rows it implies (pure).

Graph's delta items carry an id, a name and their parent's id, but (on OneDrive for Business and
SharePoint) no path, and a renamed or moved folder is sent alone, without its descendants. So the
sync keeps the whole tree (:class:`Node` by item id), applies each change to it, and rebuilds paths
from parent ids: a folder rename moves everything below it without a single child in the feed.

:func:`plan` then finds project folders and their documents exactly as the filesystem scanner does
(same folder grammar, same depth, same skipped names), so a OneDrive tree and the same tree on disk
give the same projects and documents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from quicknav_mcp.domain import parse_project_folder, parse_range_folder
from quicknav_mcp.domain.models import ProjectFolder
from quicknav_mcp.timestamps import iso_seconds

from .filesystem import MAX_DEPTH

_SKIP_NAMES = frozenset({"thumbs.db", "desktop.ini"})


@dataclass(slots=True)
class Node:
    """One drive item, and the row it became (``doc_id`` / ``project_id``; ``local``: a scanned row)."""

    item_id: str
    parent_id: str | None
    name: str
    is_folder: bool
    is_root: bool = False
    size: int = 0
    mtime: float = 0.0
    web_url: str | None = None
    doc_id: int | None = None
    project_id: int | None = None
    local: bool = False
    etag: str | None = None  # changes with any edit, rename or move
    ctag: str | None = None  # changes with the content only (files)


@dataclass(frozen=True, slots=True)
class ProjectPlan:
    item_id: str
    rel_path: str  # relative to the source folder
    drive_path: tuple[str, ...]  # from the drive root
    folder: ProjectFolder
    folder_name: str
    range_folder: str | None
    mtime: float | None


@dataclass(frozen=True, slots=True)
class DocPlan:
    item_id: str
    project_item: str
    rel_path: str
    project_rel_path: str
    folders: tuple[str, ...]  # between the project folder and the file
    name: str
    size: int
    mtime: float
    drive_path: tuple[str, ...]


class ItemError(ValueError):
    """A delta item missing a field the sync needs (recorded as a problem, the item skipped)."""


def skipped(name: str) -> bool:
    """Hidden entries, Office lock files and Windows shell litter (as the scanner skips them)."""
    return name.startswith((".", "~$")) or name.lower() in _SKIP_NAMES


def _epoch(text: Any) -> float:
    return iso_seconds(text) or 0.0


def parse_item(raw: Any) -> tuple[str, Node | None]:
    """``(item id, node)`` of one delta item; the node is None for a deletion.

    Raises :class:`ItemError` naming what is missing.
    """
    if not isinstance(raw, dict):
        raise ItemError(f"a delta item is a {type(raw).__name__}, not an object")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise ItemError("a delta item has no id")
    if "deleted" in raw:
        return item_id, None
    is_root = "root" in raw
    name = raw.get("name")
    parent = raw.get("parentReference") or {}
    parent_id = parent.get("id") if isinstance(parent, dict) else None
    if not is_root:
        if not isinstance(name, str) or not name or "/" in name:
            raise ItemError(f"item {item_id} has no usable name")
        if not isinstance(parent_id, str) or not parent_id:
            raise ItemError(f"item {item_id} ({name}) has no parent id")
    fs_info = raw.get("fileSystemInfo") if isinstance(raw.get("fileSystemInfo"), dict) else {}
    size = raw.get("size")
    return item_id, Node(
        item_id=item_id,
        parent_id=None if is_root else parent_id,
        name="" if is_root else name,
        is_folder=is_root or "folder" in raw or ("package" in raw and "file" not in raw),
        is_root=is_root,
        size=size if isinstance(size, int) and size >= 0 else 0,
        mtime=_epoch(fs_info.get("lastModifiedDateTime") or raw.get("lastModifiedDateTime")),
        web_url=raw.get("webUrl") if isinstance(raw.get("webUrl"), str) else None,
        etag=_tag(raw.get("eTag")),
        ctag=_tag(raw.get("cTag")),
    )


def _tag(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 500 else None


def apply(nodes: dict[str, Node], item_id: str, node: Node | None) -> None:
    """Apply one change: a deletion removes the item (its descendants fall out of :func:`plan`),
    anything else replaces it, keeping the row it is linked to."""
    old = nodes.pop(item_id, None)
    if node is None:
        return
    if old is not None:
        node.doc_id, node.project_id, node.local = old.doc_id, old.project_id, old.local
    nodes[item_id] = node


def prune(nodes: dict[str, Node]) -> int:
    """Drop items no longer reachable from the drive root (under a deleted folder: the feed reports
    only the folder); returns how many. Run after a whole delta round, when parents are known."""
    children: dict[str | None, list[str]] = defaultdict(list)
    roots = []
    for node in nodes.values():
        if node.is_root:
            roots.append(node.item_id)
        else:
            children[node.parent_id].append(node.item_id)
    keep = set(roots)
    stack = list(roots)
    while stack:
        for child in children[stack.pop()]:
            if child not in keep:
                keep.add(child)
                stack.append(child)
    gone = [i for i in nodes if i not in keep]
    for i in gone:
        del nodes[i]
    return len(gone)


def scope_path(folder: str) -> tuple[str, ...]:
    """The source folder as path components ('' = the whole drive)."""
    return tuple(p for p in folder.split("/") if p)


def plan(nodes: dict[str, Node], folder: str) -> tuple[list[ProjectPlan], list[DocPlan]]:
    """The projects and documents under ``folder`` of the drive (items not reachable from the drive
    root, e.g. under a deleted folder, are left out)."""
    children: dict[str | None, list[Node]] = defaultdict(list)
    root: Node | None = None
    for node in nodes.values():
        if node.is_root:
            root = node
        else:
            children[node.parent_id].append(node)
    if root is None:
        return [], []
    # Down to the source folder (names compare case-insensitively, as OneDrive does).
    start, path = root, ()
    for part in scope_path(folder):
        nxt = next((c for c in children[start.item_id] if c.is_folder and c.name.casefold() == part.casefold()), None)
        if nxt is None:
            return [], []
        start, path = nxt, (*path, nxt.name)

    projects: list[ProjectPlan] = []
    docs: list[DocPlan] = []

    def add_project(node: Node, rel: tuple[str, ...], drive: tuple[str, ...], range_folder: str | None) -> None:
        folder_parsed = parse_project_folder(node.name) if node.name else None
        assert folder_parsed is not None
        projects.append(
            ProjectPlan(node.item_id, "/".join(rel), drive, folder_parsed, node.name, range_folder, node.mtime or None)
        )
        stack: list[tuple[Node, tuple[str, ...]]] = [(node, ())]
        while stack:
            here, inner = stack.pop()
            for child in children[here.item_id]:
                if skipped(child.name):
                    continue
                sub = (*inner, child.name)
                if child.is_folder:
                    stack.append((child, sub))
                    continue
                docs.append(
                    DocPlan(
                        child.item_id,
                        node.item_id,
                        "/".join((*rel, *sub)),
                        "/".join(sub),
                        inner,
                        child.name,
                        child.size,
                        child.mtime,
                        (*drive, *sub),
                    )
                )

    own = parse_project_folder(start.name) if start.name else None
    if own is not None and parse_range_folder(start.name) is None:
        parent = nodes.get(start.parent_id or "")
        rng = parent.name if parent is not None and parse_range_folder(parent.name) else None
        add_project(start, (), path, rng)
        return projects, docs
    stack: list[tuple[Node, tuple[str, ...], int]] = [(start, (), 0)]
    while stack:
        here, rel, depth = stack.pop()
        rng = here.name if here.name and parse_range_folder(here.name) is not None else None
        for child in children[here.item_id]:
            if not child.is_folder or skipped(child.name):
                continue
            sub = (*rel, child.name)
            # '21000 - 21999' also looks like '<code> - <rest>': ranges are never projects.
            if parse_range_folder(child.name) is None and parse_project_folder(child.name) is not None:
                add_project(child, sub, (*path, *sub), rng)
            elif depth + 1 < MAX_DEPTH:
                stack.append((child, sub, depth + 1))
    return projects, docs


__all__ = [
    "DocPlan",
    "ItemError",
    "Node",
    "ProjectPlan",
    "apply",
    "parse_item",
    "plan",
    "prune",
    "scope_path",
    "skipped",
]
