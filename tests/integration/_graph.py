"""A fake Microsoft Graph drive for the OneDrive sync tests (served through ``httpx.MockTransport``).

It keeps items like OneDrive does (id, name, parent id, folder/file facets), numbers every change,
and answers ``/drives/{id}/root/delta`` the way Graph does: a full listing in pages ending with a
deltaLink, then only items changed since that link (latest state; ``deleted`` facets for removals;
a renamed folder alone, without its children). Faults are queued per request: status codes with
``Retry-After``, malformed bodies, dropped connections; tokens can be revoked.

Files carry an eTag (bumped by any change) and a cTag (bumped by content changes). Their content is
served from a separate download host that honours ``Range`` / ``If-Range`` like Graph's
pre-authenticated URLs, and can drop the connection part-way through (``cuts``).
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

BASE = "https://graph.test/v1.0"
DOWNLOAD_HOST = "https://download.test"


@dataclass
class Token:
    token: str
    expires_on: int


class FakeCredential:
    """azure-identity's ``get_token`` shape: hands out ``t1``, ``t2``, ... and counts the calls."""

    def __init__(self, lifetime: int = 3600) -> None:
        self.calls = 0
        self.lifetime = lifetime
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Token:
        self.calls += 1
        self.scopes.append(scopes)
        return Token(f"t{self.calls}", int(time.time()) + self.lifetime)


@dataclass
class FakeDrive:
    drive_id: str = "b!drive1"
    page_size: int = 500
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)  # item id -> sequence of its last change
    deleted: dict[str, int] = field(default_factory=dict)
    seq: int = 0
    expired_before: int = 0  # delta tokens older than this answer 410 Gone
    valid_tokens: set[str] | None = None  # None: any bearer token is accepted
    content: dict[str, bytes] = field(default_factory=dict)  # item id -> the bytes its /content serves
    downloads: list[str] = field(default_factory=list)  # item ids fetched through /content
    faults: list[Any] = field(default_factory=list)  # int status, ("status", code, retry_after), "junk", "drop"
    requests: list[str] = field(default_factory=list)
    cuts: list[int] = field(default_factory=list)  # next downloads drop the connection after this many bytes
    served: list[tuple[str, int, int]] = field(default_factory=list)  # (item id, first byte, bytes sent)
    versions: dict[str, int] = field(default_factory=dict)  # item id -> content version (its cTag)
    _next_id: int = 0
    _folders: dict[tuple[str, str], str] = field(default_factory=dict)  # (parent id, name) -> folder id

    def __post_init__(self) -> None:
        self.root_id = self._add({"name": "root", "root": {}, "folder": {"childCount": 0}})

    # ------------------------------------------------------------ building the drive

    def _add(self, item: dict[str, Any]) -> str:
        self._next_id += 1
        item_id = f"I{self._next_id:06d}"
        item["id"] = item_id
        self.items[item_id] = item
        self._touch(item_id)
        return item_id

    def _touch(self, item_id: str, *, content: bool = False) -> None:
        self.seq += 1
        self.changed[item_id] = self.seq
        item = self.items[item_id]
        if "file" in item:
            version = self.versions.get(item_id, 0) + content
            self.versions[item_id] = version
            item["cTag"] = f'"c:{{{item_id}}},{version}"'
            item["eTag"] = f'"{{{item_id}}},{self.seq}"'

    def folder(self, parent: str, name: str) -> str:
        known = self._folders.get((parent, name))
        if known is not None and known in self.items:
            return known
        self._folders[(parent, name)] = self._add(
            {"name": name, "folder": {"childCount": 0}, "parentReference": {"id": parent}}
        )
        return self._folders[(parent, name)]

    def path_folder(self, path: str) -> str:
        here = self.root_id
        for part in (p for p in path.split("/") if p):
            here = self.folder(here, part)
        return here

    def file(self, path: str, size: int = 1000, mtime: int = 1_700_000_000, data: bytes | None = None) -> str:
        """A file item; with ``data`` its size is that of the bytes, served at ``/items/{id}/content``."""
        folder, _, name = path.rpartition("/")
        parent = self.path_folder(folder)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))
        if data is not None:
            size = len(data)
        item_id = self._add(
            {
                "name": name,
                "file": {"mimeType": "application/octet-stream"},
                "size": size,
                "parentReference": {"id": parent},
                "fileSystemInfo": {"lastModifiedDateTime": stamp},
                "webUrl": f"https://firm.sharepoint.test/{path}",
            }
        )
        if data is not None:
            self.content[item_id] = data
        return item_id

    def find(self, path: str) -> str:
        here = self.root_id
        for part in path.split("/"):
            here = next(
                i
                for i, it in self.items.items()
                if it.get("parentReference", {}).get("id") == here and it["name"] == part
            )
        return here

    def rename(self, item_id: str, name: str) -> None:
        self._folders = {k: v for k, v in self._folders.items() if v != item_id}
        self.items[item_id]["name"] = name
        self._touch(item_id)

    def move(self, item_id: str, new_parent: str) -> None:
        self._folders = {k: v for k, v in self._folders.items() if v != item_id}
        self.items[item_id]["parentReference"] = {"id": new_parent}
        self._touch(item_id)

    def modify(self, item_id: str, size: int) -> None:
        self.items[item_id]["size"] = size
        self._touch(item_id, content=True)

    def rewrite(self, item_id: str, data: bytes) -> None:
        """New content (a new cTag, size and modification time), as a save from Word would."""
        item = self.items[item_id]
        stamp = item["fileSystemInfo"]["lastModifiedDateTime"]
        mtime = int(calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))) + 60
        item["fileSystemInfo"] = {"lastModifiedDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))}
        item["size"] = len(data)
        self.content[item_id] = data
        self._touch(item_id, content=True)

    def delete(self, item_id: str) -> None:
        """Delete an item and everything under it (the feed reports only the item itself)."""
        doomed = [item_id]
        for i in doomed:
            doomed += [j for j, it in self.items.items() if it.get("parentReference", {}).get("id") == i]
        for i in doomed:
            self.items.pop(i, None)
            self.changed.pop(i, None)
        self.seq += 1
        self.deleted[item_id] = self.seq

    # ------------------------------------------------------------ serving

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if str(request.url).startswith(DOWNLOAD_HOST):
            if "authorization" in request.headers:  # the bearer token must not follow the redirect
                return httpx.Response(400, text="token sent to the download host")
            return self._serve_content(request, str(request.url).rsplit("/", 1)[1])
        auth = request.headers.get("authorization", "")
        if self.valid_tokens is not None and auth.removeprefix("Bearer ") not in self.valid_tokens:
            return httpx.Response(401, json={"error": {"code": "InvalidAuthenticationToken", "message": "expired"}})
        if self.faults:
            fault = self.faults.pop(0)
            if fault == "drop":
                raise httpx.RemoteProtocolError("server disconnected without sending a response", request=request)
            if fault == "junk":
                return httpx.Response(
                    200, content=b'{"value": [{"id": "I0', headers={"content-type": "application/json"}
                )
            if fault == "notobject":
                return httpx.Response(200, json=[1, 2, 3])
            if isinstance(fault, tuple):
                _, code, retry_after = fault
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return httpx.Response(code, headers=headers, json={"error": {"code": "throttled", "message": "slow"}})
            if isinstance(fault, dict):
                return httpx.Response(200, json=fault)
        url = urlsplit(str(request.url))
        if url.path.endswith("/content"):
            # Graph answers with a redirect to a pre-authenticated URL on another host.
            item_id = url.path.split("/")[-2]
            if item_id not in self.content:
                return httpx.Response(404, json={"error": {"code": "itemNotFound", "message": item_id}})
            self.downloads.append(item_id)
            return httpx.Response(302, headers={"Location": f"{DOWNLOAD_HOST}/{item_id}"})
        if not url.path.endswith("/root/delta"):
            return httpx.Response(404, json={"error": {"code": "itemNotFound", "message": url.path}})
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if "token" in query:
            since = int(query["token"])
            if since < self.expired_before:
                return httpx.Response(410, json={"error": {"code": "resyncRequired", "message": "gone"}})
            ids = sorted((i for i, s in self.changed.items() if s > since), key=self.changed.__getitem__)
            value = [self.items[i] for i in ids]
            value += [{"id": i, "deleted": {"state": "deleted"}} for i, s in self.deleted.items() if s > since]
            snap, skip = self.seq, 0
        else:
            snap = int(query.get("snap", self.seq))
            skip = int(query.get("skip", 0))
            value = self.listing()
        page = value[skip : skip + self.page_size]
        body: dict[str, Any] = {"value": page}
        base = f"{BASE}{url.path.removeprefix('/v1.0')}"
        if skip + self.page_size < len(value):
            more = f"{base}?skip={skip + self.page_size}&snap={snap}"
            if "token" in query:
                more += f"&token={query['token']}"
            body["@odata.nextLink"] = more
        else:
            body["@odata.deltaLink"] = f"{base}?token={snap}"
        return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": "application/json"})

    def _serve_content(self, request: httpx.Request, item_id: str) -> httpx.Response:
        data = self.content[item_id]
        etag = self.items[item_id]["eTag"]
        headers = {"ETag": etag}
        status, start = 200, 0
        wanted = request.headers.get("range", "")
        # If-Range: the range only while the file is still the version the client has part of.
        if wanted.startswith("bytes=") and request.headers.get("if-range", etag) == etag:
            start = int(wanted.removeprefix("bytes=").split("-", 1)[0])
            if start >= len(data):
                return httpx.Response(416, headers={"Content-Range": f"bytes */{len(data)}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        if self.cuts:
            sent = min(self.cuts.pop(0), len(body))
            self.served.append((item_id, start, sent))

            def cut() -> Any:
                yield body[:sent]
                raise httpx.ReadError("connection reset by peer in the middle of the download")

            return httpx.Response(status, headers=headers, content=cut())
        self.served.append((item_id, start, len(body)))
        return httpx.Response(status, headers=headers, content=body)

    def listing(self) -> list[dict[str, Any]]:
        """Every item, parents before children (as Graph lists a drive)."""
        return sorted(self.items.values(), key=lambda it: it["id"])


def _parent(item: dict[str, Any]) -> str | None:
    return item.get("parentReference", {}).get("id")


def drive_from_plan(files: list[Any], limit_items: int | None = None, **kwargs: Any) -> FakeDrive:
    """A fake drive holding the demo firm's files (``PlannedFile``) under their relative paths."""
    drive = FakeDrive(**kwargs)
    for f in files:
        drive.file(f.rel, size=1000 + len(f.rel), mtime=f.mtime)
        if limit_items is not None and len(drive.items) >= limit_items:
            break
    return drive


def client_for(drive: FakeDrive, credential: Any | None = None, **kwargs: Any) -> Any:
    from quicknav_mcp.indexers.onedrive_graph import GraphClient

    sleeps: list[float] = []
    client = GraphClient(
        credential or FakeCredential(), base_url=BASE, transport=drive.transport(), sleep=sleeps.append, **kwargs
    )
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


SleepLog = Callable[[float], None]
