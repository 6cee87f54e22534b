"""Repositories: the rows of the core tables (projects, documents, vectors) and the SQL that
reads and writes them, described once. Services, search and the scanner use these; none of them
repeats a column list."""

from __future__ import annotations

from .documents import DocumentRepo, DocumentRow
from .projects import ProjectRepo, ProjectRow

__all__ = ["DocumentRepo", "DocumentRow", "ProjectRepo", "ProjectRow"]
