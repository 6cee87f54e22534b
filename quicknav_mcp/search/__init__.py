"""Hybrid search: query understanding, lexical/fuzzy/vector retrieval, fusion, facets, highlights.

Importing this package is cheap: the embedding model (torch) loads only when first needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .service import SearchService

__all__ = ["SearchService"]


def __getattr__(name: str):  # lazy: `from quicknav_mcp.search import SearchService`
    if name == "SearchService":
        from .service import SearchService

        return SearchService
    raise AttributeError(name)
