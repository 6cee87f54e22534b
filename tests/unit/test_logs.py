"""Everything a QuickNav process writes to stderr is one JSON object per line."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

from quicknav_mcp.logs import JsonFormatter

CHILD = textwrap.dedent(
    """
    import logging, threading, warnings
    from quicknav_mcp.logs import setup_logging

    setup_logging("INFO")
    logging.getLogger("uvicorn.error").info("Uvicorn running on %s", "http://127.0.0.1:1")
    logging.getLogger("quicknav_mcp.x").info("with fields", extra={"url": "http://x/mcp", "n": 3})
    warnings.warn("something is deprecated", DeprecationWarning, stacklevel=1)
    thread = threading.Thread(target=lambda: 1 / 0, name="doomed")
    thread.start()
    thread.join()
    """
)


def test_logs_warnings_and_thread_crashes_are_json_lines() -> None:
    out = subprocess.run(
        [sys.executable, "-W", "always", "-c", CHILD], capture_output=True, text=True, timeout=60, check=True
    )
    records = [json.loads(line) for line in out.stderr.splitlines() if line.strip()]
    assert [r["logger"] for r in records] == ["uvicorn.error", "quicknav_mcp.x", "py.warnings", "quicknav_mcp"]
    assert records[1]["url"] == "http://x/mcp" and records[1]["n"] == 3
    assert "something is deprecated" in records[2]["msg"]
    assert records[3]["msg"] == "uncaught exception in thread doomed"
    assert "ZeroDivisionError" in records[3]["exc"]


def test_uvicorn_access_lines_carry_their_fields() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "h11_impl.py", 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/mcp", "1.1", 200), None,
    )  # fmt: skip
    record.color_message = "\x1b[1mPOST\x1b[0m"  # uvicorn's coloured copy is left out
    out = json.loads(JsonFormatter().format(record))
    assert out["msg"] == '127.0.0.1:5000 - "POST /mcp HTTP/1.1" 200'
    assert (out["method"], out["path"], out["status"], out["client"]) == ("POST", "/mcp", 200, "127.0.0.1:5000")
    assert "color_message" not in out
