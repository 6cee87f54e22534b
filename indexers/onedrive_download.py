"""Download cloud-only OneDrive documents for text extraction (optional, size-capped, resumable).

A document with a locally synced copy is never downloaded: the scanner's row is the one extracted.
For the others, supported types up to ``max_bytes`` are fetched from
``/drives/{drive}/items/{id}/content`` into a cache folder (named by item, size and mtime, so a
changed item is a new file) and extracted by the same sandboxed extractor as local files. A
document whose text is already stored for the same size and mtime is skipped, and a file already in
the cache is not fetched again, so an interrupted run continues where it stopped.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quicknav_mcp.breaker import CircuitOpen
from quicknav_mcp.store import Store

from .extract import ExtractorPool
from .onedrive_graph import GraphClient, GraphError
from .onedrive_sources import Source

log = logging.getLogger(__name__)

#: The extractor's types worth fetching (xlsm and log are left to local copies).
DOWNLOAD_TYPES = frozenset({"pdf", "docx", "xlsx", "pptx", "rtf", "txt", "csv", "md"})

_TODO = """
SELECT i.item_id, d.id, d.ext, d.size, d.mtime, d.rel_path
FROM onedrive_items i JOIN documents d ON d.id = i.doc_id
LEFT JOIN document_content c ON c.doc_id = d.id
WHERE i.source_id = ? AND i.local = 0 AND i.is_folder = 0 AND d.size <= ?
  AND (c.doc_id IS NULL OR c.size != d.size OR c.mtime != d.mtime OR c.status = 'missing')
ORDER BY d.id
"""

_UPSERT = """
INSERT INTO document_content (doc_id, size, mtime, status, error, text, chars, truncated, seconds)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?)
ON CONFLICT(doc_id) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, status = excluded.status,
    error = excluded.error, text = excluded.text, chars = excluded.chars, truncated = excluded.truncated,
    seconds = excluded.seconds, extracted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
"""


@dataclass
class DownloadReport:
    downloaded: int = 0
    cached: int = 0  # already in the cache from an earlier (maybe interrupted) run
    extracted: int = 0
    failed: int = 0
    bytes: int = 0
    errors: list[str] = field(default_factory=list)


def download_content(
    store: Store, source: Source, client: GraphClient, cache_dir: Path, max_bytes: int
) -> DownloadReport:
    """Fetch and extract the source's cloud-only documents of supported types up to ``max_bytes`` each."""
    report = DownloadReport()
    if max_bytes <= 0:
        return report
    rows = [r for r in store.query(_TODO, (source.id, max_bytes)) if (r["ext"] or "").lower() in DOWNLOAD_TYPES]
    if not rows:
        return report
    folder = cache_dir / str(source.id)
    folder.mkdir(parents=True, exist_ok=True)
    with ExtractorPool(1) as pool:
        for row in rows:
            ext = row["ext"].lower()
            target = folder / f"{row['item_id']}-{row['size']}-{int(row['mtime'] or 0)}.{ext}"
            try:
                if target.exists() and target.stat().st_size == row["size"]:
                    report.cached += 1
                else:
                    report.bytes += client.download(
                        f"drives/{source.drive_id}/items/{row['item_id']}/content", target, max_bytes
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
            text = res.text if res.status == "ok" else None
            with store.transaction() as conn:
                conn.execute(
                    _UPSERT,
                    (
                        row["id"],
                        row["size"],
                        row["mtime"],
                        res.status,
                        res.error,
                        text,
                        len(text or ""),
                        int(res.truncated),
                        round(res.seconds, 4),
                        row["id"],
                    ),
                )
            report.extracted += res.status == "ok"
    return report


def cache_dir_for(store: Store) -> Path:
    """The download cache next to the database (the data dir)."""
    return Path(os.path.dirname(os.path.abspath(store.path))) / "onedrive-cache"


__all__ = ["DOWNLOAD_TYPES", "DownloadReport", "cache_dir_for", "download_content"]
