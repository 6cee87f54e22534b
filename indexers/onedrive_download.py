"""Download cloud-only OneDrive documents for text extraction (optional, size-capped, resumable).

A document with a locally synced copy is never downloaded: the scanner's row is the one extracted.
For the others, supported types up to ``max_bytes`` are fetched from
``/drives/{drive}/items/{id}/content`` into a cache folder per source and extracted by the same
sandboxed extractor as local files. A document whose text is already stored for the same size and
mtime is skipped.

The cache is keyed by the item's cTag (its content version; eTag, else size and mtime, when Graph
sends none): a changed item is a new cache file and a cached one is used as is. A dropped
connection leaves a ``.part`` file that the next attempt resumes with an HTTP range validated by
the item's eTag (:meth:`~.onedrive_graph.GraphClient.download`), so a file that changed between
attempts is fetched again from the start. :func:`prune_cache` removes the files of items that
changed, were deleted or stopped being downloadable, the folders of removed sources, and then the
least recently fetched files until the cache fits ``QUICKNAV_ONEDRIVE_CACHE_MAX_BYTES``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from quicknav_mcp.breaker import CircuitOpen
from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.store import Store

from .extract import UPSERT_CONTENT, ExtractorPool, content_params
from .onedrive_graph import GraphClient, GraphError
from .onedrive_sources import Source

log = logging.getLogger(__name__)

#: The extractor's types worth fetching (xlsm and log are left to local copies).
DOWNLOAD_TYPES = frozenset({"pdf", "docx", "xlsx", "pptx", "rtf", "txt", "csv", "md"})
PART = ".part"

# Every cloud-only document of a supported size, and whether its text must be (re)extracted.
_CANDIDATES = f"""
SELECT i.item_id, i.etag, i.ctag, d.id, d.ext, d.size, d.mtime, {REL_PATH} AS rel_path,
       (c.doc_id IS NULL OR c.size != d.size OR c.mtime != d.mtime OR c.status = 'missing') AS todo
FROM onedrive_items i JOIN documents d ON d.id = i.doc_id JOIN projects p ON p.id = d.project_id
LEFT JOIN document_content c ON c.doc_id = d.id
WHERE i.source_id = ? AND i.local = 0 AND i.is_folder = 0 AND d.size <= ?
ORDER BY d.id
"""


@dataclass
class DownloadReport:
    downloaded: int = 0
    resumed: int = 0  # downloads continued from a partial file of an interrupted attempt
    cached: int = 0  # already in the cache (same content version) from an earlier run
    extracted: int = 0
    failed: int = 0
    bytes: int = 0  # fetched in this run
    pruned: int = 0  # cache files removed
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cache_name(row: Any) -> str:
    """The cache file of an item's content version: ``<item>-<version hash>.<ext>``."""
    version = row["ctag"] or row["etag"] or f"{row['size']}-{row['mtime']}"
    digest = hashlib.sha1(version.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return f"{row['item_id']}-{digest}.{(row['ext'] or '').lower()}"


def download_content(
    store: Store,
    source: Source,
    client: GraphClient,
    cache_dir: Path,
    max_bytes: int,
) -> DownloadReport:
    """Fetch and extract the source's cloud-only documents of supported types up to ``max_bytes`` each,
    then remove the source's cache files no current item needs."""
    report = DownloadReport()
    if max_bytes <= 0:
        return report
    rows = [r for r in store.query(_CANDIDATES, (source.id, max_bytes)) if (r["ext"] or "").lower() in DOWNLOAD_TYPES]
    folder = cache_dir / str(source.id)
    todo = [r for r in rows if r["todo"]]
    if todo:
        folder.mkdir(parents=True, exist_ok=True)
        _fetch_and_extract(store, source, client, folder, todo, max_bytes, report)
    # Every current downloadable item keeps its file; anything else in the folder is stale.
    report.pruned += _prune_folder(folder, {cache_name(r) for r in rows})
    return report


def _fetch_and_extract(
    store: Store,
    source: Source,
    client: GraphClient,
    folder: Path,
    rows: list[Any],
    max_bytes: int,
    report: DownloadReport,
) -> None:
    resumed_before = client.resumed
    with ExtractorPool(1) as pool:
        for row in rows:
            ext = row["ext"].lower()
            target = folder / cache_name(row)
            try:
                if target.exists() and target.stat().st_size == row["size"]:
                    report.cached += 1
                else:
                    report.bytes += client.download(
                        f"drives/{source.drive_id}/items/{row['item_id']}/content",
                        target,
                        max_bytes,
                        etag=row["etag"],
                    )
                    report.downloaded += 1
            except CircuitOpen as exc:
                # Graph keeps failing: stop here; the rest stays pending for the next sync.
                report.errors.append(str(exc))
                log.warning("onedrive downloads paused: %s", exc)
                break
            except (GraphError, OSError) as exc:
                report.failed += 1
                report.errors.append(f"{row['rel_path']}: {exc}")
                log.info("onedrive download of %s failed: %s", row["rel_path"], exc)
                continue
            res: Any = pool.extract(str(target), ext)
            with store.transaction() as conn:
                conn.execute(UPSERT_CONTENT, content_params(row, res))
            report.extracted += res.status == "ok"
    report.resumed = client.resumed - resumed_before


def _prune_folder(folder: Path, keep: set[str]) -> int:
    """Remove the files of ``folder`` that are not in ``keep`` (nor the part of one); returns how many."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name.removesuffix(PART)
        if name in keep or not entry.is_file(follow_symlinks=False):
            continue
        try:
            os.unlink(entry.path)
            removed += 1
        except OSError as exc:
            log.info("could not remove stale cache file %s: %s", entry.path, exc)
    return removed


def prune_cache(store: Store, cache_dir: Path, max_bytes: int) -> int:
    """Remove the folders of removed sources, then the least recently fetched files until the cache
    holds at most ``max_bytes``; returns how many files went. Partial downloads go last (they resume)."""
    if not cache_dir.is_dir():
        return 0
    sources = {str(r[0]) for r in store.query("SELECT id FROM onedrive_sources")}
    removed = 0
    files: list[tuple[float, bool, int, str]] = []
    for entry in os.scandir(cache_dir):
        if not entry.is_dir(follow_symlinks=False):
            continue
        if entry.name not in sources:
            removed += sum(1 for _ in Path(entry.path).rglob("*") if _.is_file())
            shutil.rmtree(entry.path, ignore_errors=True)
            continue
        for f in os.scandir(entry.path):
            if f.is_file(follow_symlinks=False):
                st = f.stat(follow_symlinks=False)
                files.append((st.st_mtime, not f.name.endswith(PART), st.st_size, f.path))
    total = sum(size for _, _, size, _ in files)
    # Finished files before partial ones, oldest first: a part is the only copy of bytes fetched.
    for _, _, size, path in sorted(files, key=lambda f: (not f[1], f[0])):
        if total <= max_bytes:
            break
        try:
            os.unlink(path)
        except OSError as exc:
            log.info("could not remove cache file %s: %s", path, exc)
            continue
        total -= size
        removed += 1
    if removed:
        log.info("onedrive cache pruned: %d file(s) removed", removed)
    return removed


def cache_dir_for(store: Store) -> Path:
    """The download cache next to the database (the data dir)."""
    return Path(os.path.dirname(os.path.abspath(store.path))) / "onedrive-cache"


__all__ = ["DOWNLOAD_TYPES", "DownloadReport", "cache_dir_for", "cache_name", "download_content", "prune_cache"]
