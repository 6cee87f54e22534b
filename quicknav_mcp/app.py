"""The composition root: builds config, store and services once per process.

The MCP lifespan, the HTTP facade, the CLI and the TUI all start from :class:`App`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Config, load_config
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

    @classmethod
    def open(cls, config: Config | None = None) -> App:
        """Open the store (migrating it) and build the services."""
        config = config or load_config()
        store = Store(config.db_path)
        projects = ProjectService(store)
        return cls(
            config=config,
            store=store,
            projects=projects,
            documents=DocumentService(store, projects),
            navigation=NavigationService(projects),
            indexing=IndexService(store, config.roots),
        )

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
