"""``quicknav tui`` from the command line, and the opener it hands paths to."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from quicknav_mcp.tui import opener
from quicknav_mcp.tui.opener import folder_of, open_path, system_opener

QUICKNAV = [sys.executable, "-m", "quicknav_mcp.cli"]


def test_tui_on_a_missing_database_is_a_clean_error(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    r = subprocess.run([*QUICKNAV, "tui", "--db", str(missing)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no QuickNav database" in r.stderr and "Traceback" not in r.stderr
    assert not missing.exists()  # never creates an empty index


def test_tui_is_a_listed_command() -> None:
    r = subprocess.run([*QUICKNAV, "tui", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--db" in r.stdout and "--user" in r.stdout and "--light" in r.stdout


def test_system_opener_picks_the_platform_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[list[str]] = []

    class Recorder:
        def __init__(self, args: list[str], **_kw: object) -> None:
            launched.append(args)

    monkeypatch.setattr(opener.subprocess, "Popen", Recorder)
    system_opener("linux")(str(tmp_path))
    system_opener("darwin")(str(tmp_path))
    assert launched == [["xdg-open", str(tmp_path)], ["open", str(tmp_path)]]


def test_open_path_reports_problems_instead_of_raising(tmp_path: Path) -> None:
    doc = tmp_path / "a.pdf"
    doc.write_bytes(b"%PDF")
    seen: list[str] = []
    assert open_path(str(doc), seen.append) is None and seen == [str(doc)]
    assert "not there" in (open_path(str(tmp_path / "gone.pdf"), seen.append) or "")
    assert open_path("", seen.append) == "nothing selected"

    def broken(_path: str) -> None:
        raise OSError("no application for .pdf")

    assert "no application" in (open_path(str(doc), broken) or "")
    assert folder_of(str(doc)) == str(tmp_path) and folder_of(str(tmp_path)) == str(tmp_path)
