"""The composition root: builds config, store and services once per process.

The MCP lifespan, the HTTP facade, the CLI and the TUI all start from :class:`App`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .analytics import AnalyticsService, AnalyticsSettings
from .analytics.popularity import Popularity
from .config import Config, load_config
from .indexers.embed import Embedder
from .search.service import SearchService
from .services.documents import DocumentService
from .services.indexing import IndexService
from .services.navigation import NavigationService
from .services.projects import ProjectService
from .store import Store


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

    @classmethod
    def open(cls, config: Config | None = None) -> App:
        """Open the store (migrating it) and build the services."""
        config = config or load_config()
        store = Store(config.db_path)
        projects = ProjectService(store)
        # The model loads on first use; usage figures come from analytics' rollups.
        search = SearchService(
            store,
            projects,
            embedder=_embedder(config),
            popularity=Popularity(store),
            extract_limits=config.extract_limits,
        )
        analytics_settings = AnalyticsSettings(
            retention_days=config.analytics_retention_days, tracking=config.analytics_tracking
        )
        return cls(
            config=config,
            store=store,
            projects=projects,
            documents=DocumentService(store, projects),
            navigation=NavigationService(projects, search=search),
            indexing=IndexService(store, config.roots, content=search),
            analytics=AnalyticsService(store, user=config.user, settings=analytics_settings, timezone=config.timezone),
            search=search,
        )

    def close(self) -> None:
        self.search.close()  # stops the background extraction/embedding worker, if started
        self.analytics.close()  # first: it flushes tracked events and stops its threads
        self.store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _embedder(config: Config) -> Embedder:
    # A light object: torch is imported only when the model loads.
    return Embedder(config.embed_model, threads=config.embed_threads)
