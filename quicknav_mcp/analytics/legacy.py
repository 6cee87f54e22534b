"""Reading the old server's ``~/.quicknav_userdata.json`` as events and preferences.

The file is ``{"preferences": {...}, "history": [...]}`` with history newest first; entries
carry ``action``, ``project_code``, ``status`` and ``path``/``paths``/``message``, sometimes a
timestamp. The file is only read: a corrupt one is reported, never reset or rewritten.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from .events import PROJECT_LIKE, EventError, parse_time
from .models import ItemProblem

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PREF_BYTES = 16 * 1024
_TIME_KEYS = ("timestamp", "time", "ts", "datetime", "date", "when", "created_at")


def read_userdata(path: Path) -> tuple[dict[str, Any], list[Any], float]:
    """``(preferences, history, file mtime)``, or :class:`InvalidInput` saying what is wrong."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file")
    if stat.st_size > MAX_FILE_BYTES:
        raise InvalidInput(f"{path} is {stat.st_size:,} bytes; a legacy user-data file is far smaller")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}); left untouched") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path} is corrupt: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
            "the file was left untouched and nothing was imported"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} is not a QuickNav user-data file (expected an object with history/preferences)")
    history = data.get("history", [])
    prefs = data.get("preferences", {})
    if history is None:
        history = []
    if prefs is None:
        prefs = {}
    if not isinstance(history, list):
        raise InvalidInput(f"{path}: history must be a list, got {type(history).__name__}; nothing was imported")
    if not isinstance(prefs, dict):
        raise InvalidInput(f"{path}: preferences must be an object, got {type(prefs).__name__}; nothing was imported")
    return prefs, history, stat.st_mtime


def _entry_time(entry: dict[str, Any], zone: tzinfo) -> int | None:
    for key in _TIME_KEYS:
        if entry.get(key) is not None:
            # The old app wrote datetime.now().isoformat(): local wall time without an offset.
            return parse_time(entry[key], key, zone)
    return None


def history_events(
    history: list[Any], user: str, mtime: float, zone: tzinfo = UTC
) -> tuple[list[tuple[int, dict[str, Any]]], list[ItemProblem]]:
    """Events for the history entries (with their indexes in the file), and the bad entries.

    Ids are derived from the user, the entry's content and how many identical entries are older
    than it, so importing the same (or a grown) file again adds nothing twice. Entries without a
    time get one second apart before the file's modification time, newest first, and are marked.
    Times without an offset are wall time in ``zone``.
    """
    events: list[tuple[int, dict[str, Any]]] = []
    problems: list[ItemProblem] = []
    occurrences: dict[str, int] = {}
    base_ms = int(mtime * 1000)
    for index in range(len(history) - 1, -1, -1):  # oldest first, so occurrence numbers are stable
        entry = history[index]
        if not isinstance(entry, dict):
            reason = f"history entry must be an object, got {type(entry).__name__}"
            problems.append(ItemProblem(index=index, reason=reason))
            continue
        canonical = json.dumps(entry, sort_keys=True, default=str)
        n = occurrences.get(canonical, 0)
        occurrences[canonical] = n + 1
        event_id = "legacy-" + hashlib.blake2b(f"{user}\0{canonical}\0{n}".encode(), digest_size=16).hexdigest()
        try:
            ts = _entry_time(entry, zone)
        except EventError as exc:
            problems.append(ItemProblem(index=index, event_id=event_id, reason=str(exc)))
            continue
        code = entry.get("project_code", entry.get("project_number", entry.get("query")))
        if isinstance(code, int) and not isinstance(code, bool):
            code = f"{code:05d}"
        if not isinstance(code, str) or not code.strip():
            problems.append(ItemProblem(index=index, event_id=event_id, reason="history entry has no project_code"))
            continue
        code = code.strip()
        status = str(entry.get("status") or "").lower()
        action = str(entry.get("action") or "navigate")[:40]
        paths = entry.get("paths") if isinstance(entry.get("paths"), list) else []
        count = 1 if status == "success" else len(paths) if status == "select" else 0
        meta: dict[str, Any] = {"legacy_action": action, "status": status or None}
        if ts is None:
            ts = base_ms - index * 1000
            meta["synthetic_time"] = True
        event: dict[str, Any] = {
            "event_id": event_id,
            "user_id": user,
            "timestamp": ts,
            "result_count": count,
            "metadata": meta,
        }
        if "doc" in action.lower() and PROJECT_LIKE.match(code):
            event.update(event_type="document_search", project_id=code, query=str(entry.get("doc_type") or action))
        elif PROJECT_LIKE.match(code) and status == "success":
            event.update(event_type="project_view", project_id=code)
        else:
            event.update(event_type="project_search", query=code)
        events.append((index, event))
    return events, problems


def preference_rows(prefs: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """``(key, JSON value)`` pairs to store, and the preferences that could not be."""
    rows: list[tuple[str, str]] = []
    problems: list[str] = []
    for key, value in prefs.items():
        key_text = str(key).strip()
        if not key_text or len(key_text) > 128:
            problems.append(f"preference key {key_text[:40]!r} is empty or longer than 128 characters")
            continue
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text.encode()) > MAX_PREF_BYTES:
            problems.append(f"preference {key_text!r} is larger than {MAX_PREF_BYTES} bytes; skipped")
            continue
        rows.append((key_text, text))
    return rows, problems
