"""The demo firm's manifest: what was generated, with ground truth for tests and benchmarks.

All paths are POSIX strings relative to the generation root
(``Project Folders/21000 - 21999/21614 - PLWRX  TR L1 Upgrades/4. System Designs/...``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MANIFEST_VERSION = 1


@dataclass(slots=True)
class DesignSeries:
    """One system-design series (main drawing set, a level, a room, a schedule).

    ``current`` is what an engineer should open: the highest revision outside any archive
    folder, the AS-BUILT preferred at equal revision, the copy in ``4. System Designs``.
    ``revision`` is normalised (``Rev 1.02`` -> 102; ``None`` for an unnumbered AsBuilt).
    ``history`` lists every issue of the series under ``4. System Designs`` (archive
    included), oldest first; ``handover_copy`` is the as-built copy under
    ``Customer Handover Documents/As-Built Documents/System Designs`` if there is one.
    """

    name: str
    current: str
    revision: int | None
    as_built: bool
    history: list[str] = field(default_factory=list)
    handover_copy: str | None = None


@dataclass(slots=True)
class ProjectRecord:
    """One generated project and its ground truth."""

    code: str
    folder_name: str
    rel_path: str
    range_folder: str
    client_abbr: str
    client_name: str
    description: str
    title: str
    end_client: str | None = None
    site_address: str = ""
    stage: str = "complete"
    rooms: list[str] = field(default_factory=list)
    designs: list[DesignSeries] = field(default_factory=list)
    sales_po_current: str | None = None
    sales_po_history: list[str] = field(default_factory=list)
    change_orders: dict[int, list[str]] = field(default_factory=dict)
    file_count: int = 0

    @property
    def current_designs(self) -> dict[str, str]:
        """Series name -> path of the current design in that series."""
        return {d.name: d.current for d in self.designs}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["change_orders"] = {str(k): v for k, v in self.change_orders.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProjectRecord:
        data = dict(data)
        data["designs"] = [DesignSeries(**d) for d in data.get("designs", [])]
        data["change_orders"] = {int(k): list(v) for k, v in data.get("change_orders", {}).items()}
        return cls(**data)


@dataclass(slots=True)
class FirmManifest:
    """Parameters of a generated firm plus one :class:`ProjectRecord` per project."""

    seed: int
    projects_requested: int
    content: bool
    file_count: int
    projects: list[ProjectRecord]
    root_folder: str = "Project Folders"
    version: int = MANIFEST_VERSION

    def by_code(self, code: str) -> ProjectRecord:
        """The project with 5-digit ``code`` (KeyError if absent)."""
        for project in self.projects:
            if project.code == code:
                return project
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "seed": self.seed,
            "projects_requested": self.projects_requested,
            "content": self.content,
            "file_count": self.file_count,
            "root_folder": self.root_folder,
            "projects": [p.to_dict() for p in self.projects],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FirmManifest:
        return cls(
            seed=int(data["seed"]),
            projects_requested=int(data["projects_requested"]),
            content=bool(data["content"]),
            file_count=int(data["file_count"]),
            projects=[ProjectRecord.from_dict(p) for p in data["projects"]],
            root_folder=data.get("root_folder", "Project Folders"),
            version=int(data.get("version", MANIFEST_VERSION)),
        )
