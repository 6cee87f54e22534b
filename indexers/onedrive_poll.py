"""Running OneDrive syncs: a Graph client per source from the configuration, and the serving-time poller.

The poller is one daemon thread: every ``QUICKNAV_ONEDRIVE_POLL_SECONDS`` it syncs each source in
turn (one failing source never stops the others; its failure is in its ``scans`` row). It keeps one
credential per source, so a person's device-code sign-in and the token cache are used for the whole
process, not re-created per poll. It never signs anyone in interactively: a source whose person has
not signed in yet (``quicknav onedrive sync`` once) fails with a recorded problem instead of blocking.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from quicknav_mcp.config import Config
from quicknav_mcp.errors import ConfigError
from quicknav_mcp.store import Store

from .onedrive import Source, SyncReport, list_sources, set_auth_record, sync_source
from .onedrive_auth import SignIn, is_service, make_credential, sign_in_person
from .onedrive_download import cache_dir_for, download_content, prune_cache
from .onedrive_graph import GraphClient, graph_breaker, graph_scope

log = logging.getLogger(__name__)

CredentialFactory = Callable[[Source], Any]


def sign_in(config: Config, source: Source) -> SignIn:
    return SignIn(tenant=source.tenant, client_id=source.client_id, authority=config.onedrive_authority)


def credential_for(config: Config, source: Source, store: Store, *, interactive: bool) -> Any:
    """The source's credential. Interactively, a person not signed in yet signs in now (device code)
    and who they are is kept for later processes; otherwise they get an error instead of a prompt."""
    cred = make_credential(sign_in(config, source), record=source.auth_record, interactive=interactive)
    if interactive and not source.auth_record and not is_service():
        try:
            record = sign_in_person(cred, graph_scope(config.onedrive_graph_url))
        except Exception as exc:  # azure-identity's own errors: declined, timed out, no network
            raise ConfigError(f"OneDrive sign-in for {source.location} failed: {type(exc).__name__}: {exc}") from exc
        set_auth_record(store, source.id, record)
    return cred


def sync_sources(
    store: Store,
    config: Config,
    sources: list[Source] | None = None,
    *,
    full: bool = False,
    credential: CredentialFactory | None = None,
    transport: Any = None,
) -> list[SyncReport]:
    """Sync ``sources`` (all by default) through Graph at the configured base URL."""
    reports = []
    for source in list_sources(store) if sources is None else sources:
        cred = credential(source) if credential else credential_for(config, source, store, interactive=True)
        with GraphClient(
            cred, base_url=config.onedrive_graph_url, transport=transport, breaker=graph_breaker()
        ) as client:
            report = sync_source(store, source, client, full=full)
            reports.append(report)
            if config.onedrive_download_max_bytes > 0 and report.status == "done":
                got = download_content(store, source, client, cache_dir_for(store), config.onedrive_download_max_bytes)
                report.download = got.to_dict()
                if got.downloaded or got.failed:
                    log.info(
                        "onedrive %s: %d downloaded (%d resumed), %d failed",
                        source.location,
                        got.downloaded,
                        got.resumed,
                        got.failed,
                    )
    prune_cache(store, cache_dir_for(store), config.onedrive_cache_max_bytes)
    return reports


class OneDrivePoller:
    """Syncs every source every ``interval`` seconds on a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        credential: CredentialFactory | None = None,
        transport: Any = None,
        on_sync: Callable[[SyncReport], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.interval = config.onedrive_poll_seconds
        self.transport = transport
        self.on_sync = on_sync
        self._credential = credential
        self._credentials: dict[int, Any] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.polls = 0

    def _cred(self, source: Source) -> Any:
        if source.id not in self._credentials:
            if self._credential is not None:
                self._credentials[source.id] = self._credential(source)
            else:
                # Never a prompt from a server: a person signs in with `quicknav onedrive sync` first.
                self._credentials[source.id] = credential_for(self.config, source, self.store, interactive=False)
        return self._credentials[source.id]

    def poll_once(self) -> list[SyncReport]:
        reports = []
        for source in list_sources(self.store):
            if self._stop.is_set():
                break
            if self._credential is None and not source.auth_record and not is_service():
                # A server cannot show a device code to anyone: the person signs in from a terminal.
                log.warning("onedrive %s: nobody signed in yet; run `quicknav onedrive sync` once", source.location)
                continue
            try:
                reports += sync_sources(
                    self.store, self.config, [source], credential=self._cred, transport=self.transport
                )
            except Exception:  # a broken source (bad certificate path, ...) must not stop the others
                log.exception("onedrive sync of %s failed", source.location)
                continue
            if self.on_sync is not None:
                self.on_sync(reports[-1])
        self.polls += 1
        return reports

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self.interval)

    def start(self) -> bool:
        """Start polling; False (nothing started) when polling is off or there is no source."""
        if self.interval <= 0 or not list_sources(self.store):
            return False
        self._thread = threading.Thread(target=self._run, name="onedrive-poll", daemon=True)
        self._thread.start()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


__all__ = ["OneDrivePoller", "credential_for", "sign_in", "sync_sources"]
