"""Opening a folder or file with the operating system, and copying a path.

The TUI takes an ``opener`` so tests (and any embedding) can see what would be opened without
launching anything; the default hands the path to ``xdg-open`` / ``open`` / ``os.startfile``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

Opener = Callable[[str], None]


def system_opener(platform: str = sys.platform) -> Opener:
    """The platform's "open with the default application" for a path."""
    if platform.startswith("win"):
        return os.startfile  # type: ignore[attr-defined,no-any-return]  # Windows only
    command = "open" if platform == "darwin" else "xdg-open"

    def launch(path: str) -> None:
        # Detached and silent: the viewer outlives neither our terminal nor scribbles on it.
        subprocess.Popen(
            [command, path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    return launch


def folder_of(path: str) -> str:
    """The folder to open for a document (the path itself when it is a folder)."""
    p = Path(path)
    return str(p if p.is_dir() else p.parent)


def open_path(path: str, opener: Opener) -> str | None:
    """Open ``path``; return a problem to show, or None when it was handed to the opener."""
    if not path:
        return "nothing selected"
    if not Path(path).exists():
        return f"{path} is not there any more (moved or deleted since it was indexed?)"
    try:
        opener(path)
    except (OSError, ValueError) as exc:
        return f"cannot open {path}: {exc}"
    return None
