"""The composition root: builds config, store and services once per process.

The MCP lifespan, the HTTP facade, the CLI and the TUI all start from :class:`App`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .analytics import AnalyticsService
from .config import Config, load_config
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
        search = SearchService(store, projects)
        return cls(
            config=config,
            store=store,
            projects=projects,
            documents=DocumentService(store, projects),
            navigation=NavigationService(projects, search=search),
            indexing=IndexService(store, config.roots),
            analytics=AnalyticsService(store, user=config.user),
            search=search,
        )

    def close(self) -> None:
        """Stop the workers, write every tracked event, checkpoint the WAL; each step runs even if one fails."""
        try:
            self.search.close()  # stops the background extraction/embedding worker, if started
        finally:
            try:
                self.analytics.close()  # flushes tracked events and stops its threads
            finally:
                self.store.close()  # last: checkpoints the WAL

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
