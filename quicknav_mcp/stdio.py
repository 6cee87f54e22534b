"""The MCP stdio transport: JSON-RPC lines on stdin and stdout, with parse errors answered.

The SDK's stdio transport drops a line it cannot parse, so a caller that sent one waits
forever. This one reads the lines itself and answers every line that is not JSON (bad UTF-8,
truncated text, 1,000-deep nesting, a lone surrogate) with a ``-32700`` error and valid JSON
that is not a JSON-RPC message with ``-32600``, then keeps serving; everything else goes to
the SDK's session unchanged.

Reading happens on a daemon thread over a private duplicate of fd 0 with ``os.read``: a
blocked read can then never hold up the process's exit (the SDK's reader thread made SIGINT
wait until stdin closed), and no buffered ``sys.stdin`` lock is held at interpreter shutdown.
While serving, fd 0 reads the null device and fd 1 writes to stderr, so a library printing to
stdout cannot corrupt the channel; both are restored on exit.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError, jsonrpc_message_adapter
from pydantic import ValidationError

from .errors import ConfigError

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 64 * 1024 * 1024  # one JSON-RPC message; a longer line is refused, not buffered
CHUNK = 64 * 1024
DRAIN_SECONDS = 1.0  # how long the last replies may take to reach stdout when the session ends


def parse_line(line: bytes) -> SessionMessage | JSONRPCError:
    """One stdin line as a message for the session, or the error reply it deserves."""
    try:
        text = line.decode("utf-8")  # strict: an encoded lone surrogate or stray byte is not JSON text
    except UnicodeDecodeError as exc:
        return _error(PARSE_ERROR, f"Parse error: the line is not UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        return SessionMessage(jsonrpc_message_adapter.validate_json(text, by_name=False))
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_input=False)
        if any(p["type"] == "json_invalid" for p in problems):
            return _error(PARSE_ERROR, f"Parse error: {problems[0]['msg']}")
        return _error(INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 message", _request_id(text))


def _request_id(text: str) -> int | str | None:
    """The id of a well-formed JSON object that is not a valid message, when it has a usable one."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    ident = value.get("id") if isinstance(value, dict) else None
    return ident if isinstance(ident, int | str) and not isinstance(ident, bool) else None


def _error(code: int, message: str, ident: int | str | None = None) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=ident, error=ErrorData(code=code, message=message))


def _encode(message: SessionMessage | JSONRPCError) -> bytes:
    wire = message.message if isinstance(message, SessionMessage) else message
    return (wire.model_dump_json(by_alias=True, exclude_unset=True) + "\n").encode("utf-8")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def iter_lines(read: Callable[[int], bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes | None]:
    """Yield the lines of a byte stream (without newlines); ``None`` stands for a line over ``max_bytes``."""
    buffer = bytearray()
    skipping = False  # inside an over-long line: discard until its newline
    while chunk := read(CHUNK):
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if skipping:
                skipping = False
            elif len(buffer) + end - start > max_bytes:
                buffer.clear()
                yield None
            else:
                buffer += chunk[start:end]
                yield bytes(buffer)
                buffer.clear()
            start = end + 1
        if not skipping:
            buffer += chunk[start:]
            if len(buffer) > max_bytes:
                buffer.clear()
                skipping = True
                yield None
    if buffer and not skipping:
        yield bytes(buffer)


def require_std_streams() -> None:
    """Fail clearly when fd 0 or 1 is closed; call before an event loop starts.

    Checked up front because the next descriptor opened (the event loop's own) would otherwise
    take the free number and be mistaken for stdin or stdout.
    """
    for fd, name in ((0, "stdin"), (1, "stdout")):
        try:
            os.fstat(fd)
        except OSError as exc:
            raise ConfigError(
                f"{name} is not open ({exc.strerror}): `quicknav serve` speaks MCP over stdin and stdout; "
                "start it from an MCP client, or use `quicknav serve --http`"
            ) from None


class _Claim:
    """Serve the wire from private duplicates of fds 0 and 1 while the standard ones point elsewhere."""

    def __init__(self) -> None:
        self.stdin = os.dup(0)
        self.stdout = os.dup(1)
        self._saved = (os.dup(0), os.dup(1))
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            os.dup2(null, 0)
        finally:
            os.close(null)
        os.dup2(2, 1)

    def release(self) -> None:
        for fd, saved in zip((0, 1), self._saved, strict=True):
            with suppress(OSError):
                os.dup2(saved, fd)
            with suppress(OSError):
                os.close(saved)
        # ``self.stdin`` stays open: the reader thread may still be blocked on it, and closing a
        # descriptor under a blocked read lets the number be reused by something else.
        with suppress(OSError):
            os.close(self.stdout)


def _reader(
    fd: int,
    token: object,
    messages: MemoryObjectSendStream[SessionMessage],
    errors: MemoryObjectSendStream[JSONRPCError],
) -> None:
    """Thread body: parse each line and hand it to the event loop (blocking while the session is busy)."""

    def read(n: int) -> bytes:
        try:
            return os.read(fd, n)
        except OSError as exc:  # a closed or broken stdin ends the session like EOF
            log.debug("stdin read failed: %s", exc)
            return b""

    try:
        for line in iter_lines(read):
            if line is None:
                item: SessionMessage | JSONRPCError = _error(
                    PARSE_ERROR, f"Parse error: the line is longer than {MAX_LINE_BYTES:,} bytes"
                )
            elif not line.strip():
                continue
            else:
                item = parse_line(line)
            if isinstance(item, JSONRPCError):
                log.warning("answered an unreadable stdin line: %s", item.error.message[:200])
                anyio.from_thread.run(errors.send, item, token=token)
            else:
                anyio.from_thread.run(messages.send, item, token=token)
        anyio.from_thread.run(messages.aclose, token=token)  # EOF: the client has gone
    except (RuntimeError, anyio.ClosedResourceError, anyio.BrokenResourceError):
        pass  # the event loop or the session finished first (a signal): nothing left to tell


async def _writer(
    fd: int, outgoing: MemoryObjectReceiveStream[Any], lock: anyio.Lock, done: anyio.Event | None = None
) -> None:
    try:
        async with outgoing:
            async for message in outgoing:
                data = _encode(message)
                async with lock:  # replies and error answers never interleave inside a line
                    # abandon_on_cancel: a client that stopped reading must not hold up shutdown.
                    await anyio.to_thread.run_sync(_write_all, fd, data, abandon_on_cancel=True)
    except OSError as exc:  # the client closed its end of stdout
        log.debug("stdout write failed: %s", exc)
    finally:
        if done is not None:
            done.set()


@asynccontextmanager
async def stdio_streams() -> AsyncIterator[
    tuple[MemoryObjectReceiveStream[SessionMessage], MemoryObjectSendStream[SessionMessage]]
]:
    """``(read_stream, write_stream)`` for ``Server.run`` over this process's stdin and stdout."""
    claim = _Claim()
    message_send, message_recv = anyio.create_memory_object_stream[SessionMessage](0)
    reply_send, reply_recv = anyio.create_memory_object_stream[SessionMessage](0)
    error_send, error_recv = anyio.create_memory_object_stream[JSONRPCError](16)
    lock = anyio.Lock()
    replies_done = anyio.Event()
    thread = threading.Thread(
        target=_reader,
        args=(claim.stdin, anyio.lowlevel.current_token(), message_send, error_send),
        name="quicknav-stdin",
        daemon=True,  # never joined: it may sit in a read until the process exits
    )
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_writer, claim.stdout, reply_recv, lock, replies_done)
            tg.start_soon(_writer, claim.stdout, error_recv, lock)
            thread.start()
            try:
                yield message_recv, reply_send
            finally:
                # Replies the session already produced still reach the client; then both writers stop.
                with anyio.move_on_after(DRAIN_SECONDS, shield=True):
                    await reply_send.aclose()
                    await replies_done.wait()
                message_recv.close()  # a reader thread blocked on a send gives up
                tg.cancel_scope.cancel()
    finally:
        claim.release()
