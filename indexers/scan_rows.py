"""Rows of the ``scans`` table: which process writes a running one, and runs whose process is gone.

Every scan, watcher session and OneDrive sync opens its row with :func:`open_row`. The row records
its writer (``owner`` = ``host:pid:start``, the start being the process's start time where the OS
tells it, so a reused pid is not mistaken for the writer), and opening it first marks
``interrupted`` every ``running`` row whose writer on this host is gone (killed, crashed, power
cut): otherwise such a row would say ``running`` forever. Rows of other hosts (a database on a
share) and rows written before owners were recorded are left alone: nobody here can tell.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from typing import Any

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted"


def _start_token(pid: int) -> str | None:
    """When process ``pid`` started, as an opaque token; None when unknown or the process is gone.

    Linux: field 22 of ``/proc/<pid>/stat`` (clock ticks since boot); a zombie counts as gone.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the name may hold spaces and parentheses
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def owner() -> str:
    """This process as a ``scans.owner`` value (computed per call: a forked child is another owner)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_token(pid) or ''}"


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OSError:
        return True
    if os.path.isdir("/proc"):
        return _start_token(pid) is not None  # a zombie (killed, not yet reaped) is gone
    return True


def alive(row_owner: str | None) -> bool | None:
    """Whether the process that wrote a row still runs; None when this host cannot tell."""
    if not row_owner:
        return None
    parts = row_owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname():
        return None
    try:
        pid = int(parts[1])
    except ValueError:
        return None
    if not _pid_alive(pid):
        return False
    started = parts[2]
    if started and os.path.isdir("/proc"):
        return _start_token(pid) == started  # a different start: the pid was reused
    return True


def mark_interrupted(conn: Any) -> int:
    """Mark ``interrupted`` the running rows whose writer is gone; returns how many."""
    rows = conn.execute("SELECT id, owner FROM scans WHERE status = 'running' AND owner IS NOT NULL").fetchall()
    dead = [(row[0],) for row in rows if alive(row[1]) is False]
    if dead:
        conn.executemany(f"UPDATE scans SET status = '{INTERRUPTED}' WHERE id = ?", dead)
        log.warning(
            "%d scan(s) left running by a process that is gone marked interrupted", len(dead), extra={"ids": dead}
        )
    return len(dead)


def open_row(conn: Any, root_id: int, started_at: str, kind: str = "scan") -> int:
    """Insert a ``running`` row of ``kind`` (scan | watch | onedrive) owned by this process; returns its id."""
    mark_interrupted(conn)
    cur = conn.execute(
        "INSERT INTO scans (root_id, started_at, kind, owner) VALUES (?, ?, ?, ?)",
        (root_id, started_at, kind, owner()),
    )
    return int(cur.lastrowid)


__all__ = ["INTERRUPTED", "alive", "mark_interrupted", "open_row", "owner"]
