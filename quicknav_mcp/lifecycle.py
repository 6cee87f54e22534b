"""Running the MCP server until it should stop, then shutting down without losing anything.

A server stops when its stdio client leaves (stdin closes), on SIGINT (Ctrl+C) or on SIGTERM
(a service manager). Every way out takes the same path: stop serving, then close the
:class:`~quicknav_mcp.app.App` (background workers stop, every tracked analytics event is
written, the WAL is checkpointed) and return normally so the process exits 0.

The SDK alone does not do this: over stdio SIGTERM kills the process outright and SIGINT waits
for stdin to close, and uvicorn re-raises the signal it handled, so ``serve --http`` ended with
exit -15 after a graceful shutdown.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from collections.abc import Generator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import anyio
import anyio.abc
import uvicorn

from .stdio import require_std_streams

if TYPE_CHECKING:
    from .server import QuickNavServer

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
HTTP_GRACE_SECONDS = 1.0  # open HTTP requests and event streams get this long before they are cut


def serve_stdio(server: QuickNavServer) -> None:
    """Serve one client over stdin/stdout until it leaves or a stop signal arrives; then close."""
    require_std_streams()
    try:
        anyio.run(_serve_stdio, server)
    except KeyboardInterrupt:  # Ctrl+C in the instant the event loop's own handler was not in place
        log.info("received SIGINT; shutting down")
    finally:
        ignore_late_signals()
        server.holder.close()  # normally already closed by the lifespan; this covers a failed start


async def _serve_stdio(server: QuickNavServer) -> None:
    async with anyio.create_task_group() as tg:
        serving = anyio.CancelScope()
        await tg.start(_stop_on_signals, serving)  # handlers are in place before serving starts
        with serving:
            await server.run_stdio_async()  # its lifespan closes the App on the way out
        if serving.cancel_called:
            log.info("stopped by signal; shut down cleanly")
        else:
            log.info("client disconnected; shut down cleanly")
        tg.cancel_scope.cancel()


async def _stop_on_signals(
    serving: anyio.CancelScope, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    # Keeps receiving after the first signal, so a second one cannot interrupt the close.
    try:
        with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
            task_status.started()
            async for signum in signals:
                name = signal.Signals(signum).name
                if serving.cancel_called:
                    log.info("received %s while shutting down; still finishing", name)
                else:
                    log.info("received %s; shutting down", name)
                    serving.cancel()
    except NotImplementedError:  # Windows event loops: Ctrl+C stays a KeyboardInterrupt there
        log.debug("stop signals cannot be handled on this platform's event loop")
        task_status.started()


def serve_http(
    server: QuickNavServer, *, host: str, port: int, app: Any = None, ssl: dict[str, str] | None = None
) -> None:
    """Serve ``app`` (default: MCP streamable HTTP at ``/mcp``) until SIGINT/SIGTERM; then close.

    ``ssl`` holds uvicorn's ``ssl_certfile``/``ssl_keyfile`` when serving HTTPS.
    """
    config = uvicorn.Config(
        server.streamable_http_app(host=host) if app is None else app,
        host=host,
        port=port,
        **(ssl or {}),
        log_config=None,  # uvicorn's loggers propagate to our JSON handler instead of printing plain lines
        lifespan="on",
        timeout_graceful_shutdown=HTTP_GRACE_SECONDS,
    )
    try:
        _Uvicorn(config).run()
    finally:
        server.holder.close()  # normally already closed by the lifespan; this covers a failed start


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, except that a handled SIGINT/SIGTERM ends with a normal return."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # uvicorn's own version re-raises the signal after shutting down (exit -15, or a
        # KeyboardInterrupt traceback); the shutdown has already happened, so this does not.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)
        try:
            yield
        finally:
            ignore_late_signals()

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        # A second Ctrl+C would make uvicorn skip the lifespan shutdown and cancel it mid-way;
        # the shutdown is short and bounded (HTTP_GRACE_SECONDS, then closing), so let it finish.
        if self.should_exit:
            log.info("received %s while shutting down; still finishing", signal.Signals(sig).name)
            return
        log.info("received %s; shutting down", signal.Signals(sig).name)
        self.handle_exit(sig, frame)


def ignore_late_signals() -> None:
    """From here on the process is finishing its shutdown: a further SIGINT/SIGTERM is noted, not obeyed.

    Without this, a second Ctrl+C landing just after serving stopped would interrupt the close
    (or print a KeyboardInterrupt traceback). The handlers stay for the rest of the process.
    """
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            signal.signal(sig, _late_signal)


def _late_signal(sig: int, _frame: FrameType | None) -> None:
    log.info("received %s while shutting down; still finishing", signal.Signals(sig).name)


def exit_now(code: int) -> NoReturn:
    """End a server process that has shut down, skipping the interpreter's teardown.

    Call only after the App is closed: everything durable is written by then. Freeing the
    ~800 modules the MCP SDK loads takes about a second on a busy machine, which would
    otherwise sit between "shut down cleanly" and the process actually exiting.
    """
    try:
        atexit._run_exitfuncs()  # what a normal exit would still run (e.g. logging.shutdown)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):
                stream.flush()
        os._exit(code)
