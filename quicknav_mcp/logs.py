"""Structured logging to stderr (stdout is the MCP stdio channel): every line is one JSON object.

Everything that would otherwise print its own lines goes through the same handler: uvicorn's
server and access loggers (they propagate here; see :mod:`quicknav_mcp.lifecycle`), Python
warnings, and uncaught exceptions in threads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import time


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    # color_message: uvicorn's ANSI-coloured copy of the message, for its own console formatter.
    _RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in self._RESERVED and not key.startswith("_"):
                out[key] = value
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            # uvicorn's access line as fields too: client, method, path, HTTP version, status.
            out.update(zip(("client", "method", "path", "http", "status"), record.args, strict=True))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup_logging(level: str = "INFO") -> None:
    """Send all logs to stderr as JSON lines; idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_quicknav", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._quicknav = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_exception


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    exc_info = (args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)
    logging.getLogger("quicknav_mcp").error("uncaught exception in thread %s", name, exc_info=exc_info)


def user_hash(user_id: str) -> str:
    """A stable pseudonym for logs: user ids never appear in clear."""
    return hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
