"""The composition root: builds config, store and services once per process.

The MCP lifespan, the HTTP facade, the CLI and the TUI all start from :class:`App`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .analytics import AnalyticsService, AnalyticsSettings
from .analytics.popularity import Popularity
from .config import Config, load_config
from .heap import limit_arenas
from .indexers.embed import Embedder
from .ml.service import MLService
from .search.service import SearchService
from .services.documents import DocumentService
from .services.indexing import IndexService
from .services.navigation import NavigationService
from .services.projects import ProjectService
from .store import Store

if TYPE_CHECKING:
    from .indexers.onedrive_poll import OneDrivePoller
    from .indexers.watch import WatchSupervisor
    from .predict.next_action import PredictService
    from .recommend.live import LiveUsage
    from .recommend.service import RecommendService


@dataclass
class App:
    """Everything one process needs, wired together."""

    config: Config
    store: Store
    projects: ProjectService
    documents: DocumentService
    navigation: NavigationService
    indexing: IndexService
    analytics: AnalyticsService
    search: SearchService
    ml: MLService
    watcher: WatchSupervisor | None = None
    watch_store: Store | None = None
    onedrive_poller: OneDrivePoller | None = None

    @classmethod
    def open(cls, config: Config | None = None, *, readonly: bool = False, warm: bool = True) -> App:
        """Open the store (migrating it) and build the services.

        ``readonly``: every connection is read-only (a dashboard beside a running server): nothing is
        migrated, folded or tracked, and the write lock is never taken. ``warm``: start building search's
        in-memory tables at once (a server); a one-shot command that may not search passes False."""
        config = config or load_config()
        # Before any thread allocates: each would get a malloc arena of its own (8 per core), where what
        # a finished build or model call freed stays resident (~60-100 MB at 116k documents).
        limit_arenas()
        store = Store(config.db_path, readonly=readonly)
        projects = ProjectService(store)
        # The model loads on first use; usage figures come from analytics' rollups.
        search = SearchService(
            store,
            projects,
            embedder=_embedder(config),
            popularity=Popularity(store),
            extract_limits=config.extract_limits,
            warm=warm,
        )
        analytics_settings = AnalyticsSettings(
            retention_days=config.analytics_retention_days, tracking=config.analytics_tracking
        )
        documents = DocumentService(store, projects)
        return cls(
            config=config,
            store=store,
            projects=projects,
            documents=documents,
            navigation=NavigationService(projects, search=search),
            indexing=IndexService(store, config.roots, content=search),
            analytics=AnalyticsService(
                store, user=config.user, settings=analytics_settings, timezone=config.timezone, readonly=readonly
            ),
            search=search,
            ml=MLService(store, projects, documents, tz=config.tz),
        )

    def __post_init__(self) -> None:
        from .ml.ltr import SearchRanker, SearchRankerTrainable
        from .predict.trainable import NextProjectGRUTrainable, NextProjectTrainable
        from .recommend.trainable import RecommenderTrainable

        # Built lazily (they load numpy); a retrain reloads them only if they exist.
        self.ml.register(RecommenderTrainable(self.store, lambda: self._loaded("recommend")))
        self.ml.register(NextProjectTrainable(self.store, lambda: self._loaded("predict")))
        self.ml.register(NextProjectGRUTrainable(self.store, lambda: self._loaded("predict")))
        # Document search's learned ranker: served from the registry (A/B variants too), trained on sessions.
        ranker = SearchRanker(self.ml.registry, self.ml.abtests, record=self.analytics.tracker.record)
        ranker.default_user = self.config.user
        self.search.learned.source = ranker
        self.ml.register(SearchRankerTrainable(self.store, self.search, on_reload=ranker.reload))

    def _loaded(self, name: str) -> None:
        service = self.__dict__.get(name)
        if service is not None:
            service.reload()

    @cached_property
    def usage(self) -> LiveUsage:
        """The live usage state recommendations and predictions share (folded in on each call)."""
        from .recommend.live import LiveUsage

        return LiveUsage(self.store.path, readonly=self.store.readonly)

    @cached_property
    def recommend(self) -> RecommendService:
        from .recommend.service import RecommendService

        return RecommendService(
            self.store,
            self.projects,
            self.documents,
            self.analytics,
            self.ml,
            live=self.usage,
            default_user=self.config.user,
        )

    @cached_property
    def predict(self) -> PredictService:
        from .predict.next_action import PredictService

        return PredictService(
            self.store, self.projects, self.usage, self.analytics, self.ml, default_user=self.config.user
        )

    def start_watching(self, on_changes: Any = None) -> WatchSupervisor:
        """Follow changes under the configured roots on a supervised thread (``serve``, ``quicknav watch``)."""
        from .indexers.watch import Watcher, WatchSupervisor

        if self.watcher is None:
            cfg = self.config
            # Its own connection: a write the watcher waits on (another process holding the lock)
            # or makes never holds up the lookups this process serves on the main one (WAL: readers
            # never wait for a writer).
            self.watch_store = Store(self.store.path)
            watcher = Watcher(
                self.watch_store,
                cfg.roots,
                poll=cfg.watch_poll,
                poll_ms=cfg.watch_poll_ms,
                reconcile_minutes=cfg.reconcile_minutes,
                on_changes=on_changes,
                after_changes=self.search.notify,  # extraction and embedding of what changed, ahead of the backlog
            )
            self.watcher = WatchSupervisor(watcher).start()
            self.indexing.watcher = self.watcher
        return self.watcher

    def start_onedrive_poll(self) -> bool:
        """`serve`: sync the OneDrive sources every ``onedrive_poll_seconds`` (False: off or no source)."""
        from .indexers.onedrive_graph import graph_breaker
        from .indexers.onedrive_poll import OneDrivePoller

        if self.onedrive_poller is None:
            self.onedrive_poller = OneDrivePoller(self.store, self.config, on_sync=lambda _report: self.search.notify())
            self.indexing.breakers["onedrive"] = graph_breaker()  # its state shows in index_status
        return self.onedrive_poller.start()

    def close(self) -> None:
        """Stop the workers, write every tracked event, checkpoint the WAL; each step runs even if one fails."""
        try:
            # Every worker is asked to stop first, so the waits below overlap rather than add up; the
            # background indexer before the embedder, so the model call it loses reads as a stop.
            if self.watcher is not None:
                self.watcher.request_stop()
            self.search.request_stop()
            interrupt = getattr(self.search.embedder, "interrupt", None)
            if interrupt is not None:  # a model call under way ends while the workers below stop
                interrupt()
            if self.watcher is not None:
                self.watcher.stop()  # first to wait for: no scan may start on a store being closed
            if self.watch_store is not None:
                self.watch_store.close()
            if self.onedrive_poller is not None:
                self.onedrive_poller.stop()
            if "usage" in self.__dict__:
                self.usage.close()  # the live usage state recommendations and predictions share
            self.search.close()  # stops the background extraction/embedding worker, if started
            closer = getattr(self.search.embedder, "close", None)
            if closer is not None:  # no model call may still run on its threads when the process exits
                closer()
        finally:
            try:
                self.analytics.close()  # flushes tracked events and stops its threads
            finally:
                self.store.close()  # last: checkpoints the WAL

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _embedder(config: Config) -> Embedder:
    # A light object: torch is imported only when the model loads.
    return Embedder(
        config.embed_model,
        threads=config.embed_threads,
        workers=config.embed_workers,
        precision=config.embed_precision,
    )
