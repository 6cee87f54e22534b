"""A bounded response cache: TTL + LRU, entries tagged so a change drops exactly what it affects.

Keys come from (route, user, body) via :func:`cache_key`. Tags name what an answer was built
from: ``index`` (projects, documents, embeddings), ``events`` (every analytics figure) and
``user:<id>`` (one user's recommendations). ``watch`` maps a tag to a cheap version function
(the search change counters of :mod:`quicknav_mcp.search.versions` for ``index``, the rollups'
bus cursor for ``events``); each lookup compares them and drops the tag's entries when one
moved, whoever wrote the change (this process, ``quicknav index`` in another one). The
gateway's event feed also drops ``events`` and the users' tags as events arrive.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

INDEX = "index"
EVENTS = "events"


_UNSEEN = object()


def user_tag(user: str) -> str:
    return f"user:{user}"


def cache_key(route: str, user: str | None, body: Any) -> str:
    """A stable key: the same route, user and (canonical JSON) body give the same key."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return f"{route}|{user or ''}|{digest}"


@dataclass(slots=True)
class _Entry:
    value: Any
    tags: frozenset[str]
    expires: float
    size: int


def _size_of(value: Any) -> int:
    if isinstance(value, bytes | str):
        return len(value)
    try:
        return len(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return 1024  # an opaque object: a fixed guess keeps the bound meaningful


class ResponseCache:
    """Thread-safe; bounded by entry count and by total size (bytes of the cached answers)."""

    def __init__(
        self,
        *,
        ttl: float = 30.0,
        max_entries: int = 2048,
        max_bytes: int = 32 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
        watch: Mapping[str, Callable[[], object]] | None = None,
    ) -> None:
        if ttl < 0 or max_entries < 1 or max_bytes < 1:
            raise ValueError("ttl must be >= 0, max_entries and max_bytes >= 1")
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        self._watch = dict(watch or {})
        self._seen: dict[str, object] = {}
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._by_tag: dict[str, set[str]] = {}
        self._bytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self.invalidations = 0

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, key: str) -> Any | None:
        """The cached value, or None (absent, expired or invalidated)."""
        if not self.enabled:
            return None
        self.check_versions()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires <= self._clock():
                self._drop(key)
                entry = None
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.value

    def put(self, key: str, value: Any, tags: Iterable[str] = ()) -> None:
        if not self.enabled:
            return
        size = _size_of(value)
        if size > self.max_bytes // 4:  # one huge answer must not flush everything else
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            entry = _Entry(value, frozenset(tags), self._clock() + self.ttl, size)
            self._entries[key] = entry
            self._bytes += size
            for tag in entry.tags:
                self._by_tag.setdefault(tag, set()).add(key)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                oldest = next(iter(self._entries))
                self._drop(oldest)
                self.evictions += 1

    def get_or_compute(self, key: str, compute: Callable[[], Any], tags: Iterable[str] = ()) -> tuple[Any, bool]:
        """(value, from_cache): the cached value, else ``compute()`` stored under ``tags``."""
        held = self.get(key)
        if held is not None:
            return held, True
        value = compute()
        self.put(key, value, tags)
        return value, False

    def invalidate(self, tag: str) -> int:
        """Drop every entry carrying ``tag``; returns how many."""
        with self._lock:
            keys = self._by_tag.pop(tag, set())
            for key in list(keys):
                self._drop(key)
            if keys:
                self.invalidations += 1
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_tag.clear()
            self._bytes = 0

    def check_versions(self) -> list[str]:
        """Drop the entries of every watched tag whose version moved; returns those tags."""
        moved: list[str] = []
        for tag, version_of in self._watch.items():
            try:
                version = version_of()
            except Exception:  # the store is closing: nothing to compare, keep serving
                continue
            seen = self._seen.get(tag, _UNSEEN)
            if version == seen:
                continue
            self._seen[tag] = version
            if seen is not _UNSEEN:
                self.invalidate(tag)
                moved.append(tag)
        return moved

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._bytes -= entry.size
        for tag in entry.tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            total = self.hits + self.misses
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "hits": self.hits,
                "misses": self.misses,
                "hit_ratio": round(self.hits / total, 4) if total else 0.0,
                "evictions": self.evictions,
                "invalidations": self.invalidations,
                "ttl_s": self.ttl,
                "max_entries": self.max_entries,
            }
