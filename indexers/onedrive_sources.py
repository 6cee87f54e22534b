"""OneDrive sources: which drives (and folders) are indexed, and who signs in to them.

A source is a row of ``onedrive_sources`` tied to a ``roots`` row whose path is its location
(``onedrive://<drive>/<folder>``); removing the source removes that root, and with it (by cascade)
every project, document and mirrored item of the drive.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import quote

from quicknav_mcp.errors import ConfigError
from quicknav_mcp.store import Store

from . import project_facts

SCHEME = "onedrive://"
_DRIVE_ID = re.compile(r"^(me|[A-Za-z0-9!_.\-]{1,200})$")


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    root_id: int
    drive_id: str
    folder: str
    tenant: str | None
    client_id: str | None
    delta_link: str | None
    last_sync_at: str | None
    last_status: str | None
    last_error: str | None
    auth_record: str | None

    @property
    def location(self) -> str:
        return location(self.drive_id, self.folder)

    def delta_path(self) -> str:
        drive = "me/drive" if self.drive_id == "me" else f"drives/{quote(self.drive_id, safe='!')}"
        return f"{drive}/root/delta"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["location"] = self.location
        data["delta_link"] = bool(self.delta_link)  # a bearer of access, never printed whole
        data["auth_record"] = bool(self.auth_record)
        return data


# --------------------------------------------------------------------------- sources


def normalize_folder(folder: str | None) -> str:
    """A drive folder as ``a/b`` (``\\`` and surrounding slashes accepted); '' = the whole drive."""
    text = (folder or "").replace("\\", "/").strip().strip("/")
    parts = [p for p in text.split("/") if p]
    if any(p in (".", "..") for p in parts) or any(ord(c) < 32 for c in text):
        raise ConfigError(f"OneDrive folder {folder!r} must be a plain path inside the drive")
    return "/".join(parts)


def location(drive_id: str, folder: str) -> str:
    return f"{SCHEME}{drive_id}/{folder}".rstrip("/")


def _source(row: Any) -> Source:
    return Source(*(row[f.name] for f in fields(Source)))


_SOURCE_SQL = (
    "SELECT id, root_id, drive_id, folder, tenant, client_id, delta_link, last_sync_at, last_status, last_error, "
    "auth_record FROM onedrive_sources"
)


def add_source(
    store: Store, drive_id: str, folder: str | None = None, *, tenant: str | None = None, client_id: str | None = None
) -> Source:
    """Register a drive (``me`` or a drive id) and folder; an existing one is an error naming it."""
    drive_id = (drive_id or "").strip()
    if not _DRIVE_ID.match(drive_id):
        raise ConfigError(f"--drive must be 'me' or a drive id (letters, digits, ! _ . -), got {drive_id[:60]!r}")
    path = normalize_folder(folder)
    for name, value in (("--tenant", tenant), ("--client-id", client_id)):
        if value is not None and not re.fullmatch(r"[A-Za-z0-9.\-]{1,100}", value):
            raise ConfigError(f"{name} must be an id or a domain name, got {value[:60]!r}")
    loc = location(drive_id, path)
    with store.transaction() as conn:
        if conn.execute(
            "SELECT 1 FROM onedrive_sources WHERE drive_id = ? AND folder = ?", (drive_id, path)
        ).fetchone():
            raise ConfigError(f"{loc} is already a source")
        conn.execute("INSERT OR IGNORE INTO roots (path) VALUES (?)", (loc,))
        root_id = conn.execute("SELECT id FROM roots WHERE path = ?", (loc,)).fetchone()[0]
        conn.execute(
            "INSERT INTO onedrive_sources (root_id, drive_id, folder, tenant, client_id) VALUES (?, ?, ?, ?, ?)",
            (root_id, drive_id, path, tenant, client_id),
        )
    return get_source(store, loc)


def list_sources(store: Store) -> list[Source]:
    return [_source(r) for r in store.query(_SOURCE_SQL + " ORDER BY id")]


def get_source(store: Store, ref: str | int) -> Source:
    """A source by id, location (``onedrive://…``) or drive id (when that drive has one source)."""
    text = str(ref).strip()
    if text.isdigit():
        rows = store.query(_SOURCE_SQL + " WHERE id = ?", (int(text),))
    else:
        rows = [r for r in store.query(_SOURCE_SQL) if text in (location(r["drive_id"], r["folder"]), r["drive_id"])]
    if not rows:
        raise ConfigError(f"no OneDrive source {text[:80]!r}; see `quicknav onedrive list`")
    if len(rows) > 1:
        raise ConfigError(f"{text[:80]!r} names {len(rows)} sources; use the id or the onedrive:// location")
    return _source(rows[0])


def set_auth_record(store: Store, source_id: int, record: str) -> None:
    """Remember who signed in to a source by device code (no secret: see the migration)."""
    with store.transaction() as conn:
        conn.execute("UPDATE onedrive_sources SET auth_record = ? WHERE id = ?", (record, source_id))


def remove_source(store: Store, ref: str | int) -> Source:
    """Forget a source with its projects and documents (the cascade from its root)."""
    source = get_source(store, ref)
    with store.transaction() as conn:
        conn.execute("DELETE FROM roots WHERE id = ?", (source.root_id,))
    project_facts.refresh(store)
    return source


__all__ = [
    "SCHEME",
    "Source",
    "add_source",
    "get_source",
    "list_sources",
    "location",
    "normalize_folder",
    "remove_source",
    "set_auth_record",
]
