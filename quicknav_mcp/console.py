"""Terminal output for commands run by a person: progress on stderr, never on stdout.

stdout stays clean for the command's answer (JSON, legacy lines) and, under ``serve``, for the
MCP stdio channel.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO


class ProgressBar:
    """A one-line scan progress display on stderr.

    On a terminal it redraws one line ten times a second; redirected to a file or a pipe it
    writes a plain line every two seconds, so logs stay readable.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._last = 0.0
        self._tty = self._stream.isatty()

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        final = getattr(progress, "phase", "") == "done"
        if not final and now - self._last < (0.1 if self._tty else 2.0):
            return
        self._last = now
        seen = getattr(progress, "files_seen", 0)
        done = getattr(progress, "projects_seen", 0)
        total = getattr(progress, "projects_total", 0) or 0
        project = getattr(progress, "current_project", "") or ""
        if total:
            bar = "#" * int(30 * min(done, total) / total)
            text = f"indexing [{bar:<30}] {done:>6,}/{total:,} projects {seen:>9,} files {project:<5}"
        else:
            text = f"indexing... {seen:>9,} files {project}"
        self._stream.write(("\r" if self._tty else "") + text + ("" if self._tty else "\n"))
        self._stream.flush()

    def done(self) -> None:
        """End the redrawn line (a no-op when not on a terminal)."""
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()


def step_printer(stream: TextIO | None = None) -> Callable[[str, int, int], None]:
    """A ``(what, done, total)`` callback that prints one line per step (content extraction, embeddings)."""
    out = stream or sys.stderr

    def step(what: str, done: int, total: int) -> None:
        print(f"{what}: {done:,}/{total:,}", file=out)

    return step
