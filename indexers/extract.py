"""Text extraction for full-text and semantic search, in killable worker processes.

Formats: .pdf (pypdf), .docx (python-docx), .xlsx/.xlsm (openpyxl), .pptx (python-pptx),
.rtf (striprtf), .txt/.csv/.md/.log (decoded bytes). Everything else is recorded as
``unsupported`` without being opened.

Hostile or broken files cannot hang or crash indexing: each file is parsed in a separate worker
process (``spawn``), with a memory limit, a per-file time budget (the process is killed when
it runs over) and caps on bytes read, pages and characters kept. Every outcome is recorded per
document in ``document_content`` (``ok``/``empty``/``failed``/``timeout``/``too_large``/
``missing``/``unsupported``, with the reason), together with the size and mtime that were read:
a file is opened again only when its size or mtime change, so the worker resumes after a restart
and never re-reads unchanged files.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quicknav_mcp.config import ExtractLimits
from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.store import Store
from quicknav_mcp.timestamps import restamp_sql

log = logging.getLogger(__name__)

SUPPORTED = frozenset({"pdf", "docx", "xlsx", "xlsm", "pptx", "rtf", "txt", "csv", "md", "log"})
# Defaults; the configured values (QUICKNAV_EXTRACT_*, see quicknav_mcp.config) arrive as ExtractLimits.
MAX_CHARS = ExtractLimits.max_chars  # kept per document
MAX_TEXT_BYTES = 4 * 1024 * 1024  # read at most this much of a plain-text file
MAX_FILE_BYTES = ExtractLimits.max_file_bytes  # larger: too_large
MAX_PAGES = 300  # PDF pages / slides / sheets looked at
MAX_CELLS = 200_000  # spreadsheet cells looked at
TIME_BUDGET = ExtractLimits.timeout  # seconds per file
MEMORY_LIMIT = 1536 * 1024 * 1024  # address-space limit of a worker process (POSIX)
CANCEL_POLL = 0.05  # seconds between cancel checks while a worker process parses a file


class _Budget:
    """Collects text up to ``max_chars``."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def add(self, text: str | None) -> bool:
        """Add text; False once the budget is spent."""
        if not text:
            return not self.truncated
        if self.size >= self.max_chars:
            self.truncated = True
            return False
        room = self.max_chars - self.size
        if len(text) > room:
            text = text[:room]
            self.truncated = True
        self.parts.append(text)
        self.size += len(text) + 1
        return not self.truncated

    def text(self) -> str:
        return "\n".join(self.parts)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("binary data in a text file")
    for encoding in ("utf-8-sig", "utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig",):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("cp1252", errors="replace")


def _pdf(path: str, out: _Budget) -> None:
    import pypdf

    reader = pypdf.PdfReader(path, strict=False)
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise ValueError("encrypted PDF")
        except Exception as exc:
            raise ValueError(f"encrypted PDF ({exc})") from None
    meta = reader.metadata or {}
    title = meta.get("/Title") if hasattr(meta, "get") else None
    if isinstance(title, str):
        out.add(title)
    for n, page in enumerate(reader.pages):
        if n >= MAX_PAGES or not out.add(page.extract_text() or ""):
            break


def _docx(path: str, out: _Budget) -> None:
    import docx

    document = docx.Document(path)
    for para in document.paragraphs:
        if not out.add(para.text):
            return
    for table in document.tables:
        for row in table.rows:
            if not out.add(" | ".join(cell.text for cell in row.cells)):
                return


def _xlsx(path: str, out: _Budget) -> None:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = 0
    try:
        for sheet_no, sheet in enumerate(book.worksheets):
            if sheet_no >= MAX_PAGES or not out.add(f"Sheet: {sheet.title}"):
                return
            for row in sheet.iter_rows(values_only=True):
                values = [str(v) for v in row if v is not None and str(v).strip()]
                cells += len(row)
                if values and not out.add(" | ".join(values)):
                    return
                if cells > MAX_CELLS:
                    out.truncated = True
                    return
    finally:
        book.close()


def _pptx(path: str, out: _Budget) -> None:
    import pptx

    deck = pptx.Presentation(path)
    for n, slide in enumerate(deck.slides):
        if n >= MAX_PAGES:
            out.truncated = True
            return
        for shape in slide.shapes:
            if getattr(shape, "has_text_frame", False) and shape.has_text_frame and not out.add(shape.text_frame.text):
                return
            if getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    if not out.add(" | ".join(c.text for c in row.cells)):
                        return


def _rtf(path: str, out: _Budget) -> None:
    from striprtf.striprtf import rtf_to_text

    with open(path, "rb") as fh:
        data = fh.read(MAX_TEXT_BYTES)
    out.add(rtf_to_text(data.decode("cp1252", errors="replace"), errors="ignore"))


def _plain(path: str, out: _Budget) -> None:
    with open(path, "rb") as fh:
        data = fh.read(min(MAX_TEXT_BYTES, out.max_chars * 4))
        if fh.read(1):
            out.truncated = True
    out.add(_decode(data))


_EXTRACTORS: dict[str, Callable[[str, _Budget], None]] = {
    "pdf": _pdf,
    "docx": _docx,
    "xlsx": _xlsx,
    "xlsm": _xlsx,
    "pptx": _pptx,
    "rtf": _rtf,
    "txt": _plain,
    "csv": _plain,
    "md": _plain,
    "log": _plain,
}


def extract_file(path: str, ext: str, max_chars: int = MAX_CHARS) -> tuple[str, bool]:
    """Text of one file (in this process): ``(text, truncated)``. Raises on any parse error."""
    fn = _EXTRACTORS.get(ext.lower())
    if fn is None:
        raise ValueError(f"unsupported file type .{ext}")
    out = _Budget(max_chars)
    fn(path, out)
    text = out.text().replace("\x00", " ")
    return text, out.truncated


# --------------------------------------------------------------------------- worker processes


def _limit_resources() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except Exception:  # not POSIX, or not permitted: the time budget still applies
        pass
    with contextlib.suppress(Exception):
        os.nice(5)


def _child_main(conn: Any) -> None:
    """Worker process loop: receive ``(path, ext, max_chars)``, answer ``(status, text, truncated, error)``."""
    import warnings

    logging.disable(logging.CRITICAL)  # parsers log noise about broken files; results say it
    warnings.simplefilter("ignore")
    _limit_resources()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        path, ext, max_chars = job
        try:
            text, truncated = extract_file(path, ext, max_chars)
            conn.send(("ok" if text.strip() else "empty", text, truncated, None))
        except MemoryError:
            conn.send(("failed", None, False, "out of memory while parsing"))
        except BaseException as exc:  # any parser failure is a per-file result
            conn.send(("failed", None, False, f"{type(exc).__name__}: {exc}"[:500]))


@dataclass
class ExtractResult:
    status: str
    text: str | None = None
    truncated: bool = False
    error: str | None = None
    seconds: float = 0.0


class _Worker:
    """One worker process and its pipe; replaced after a timeout or crash."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.proc: Any = None
        self.conn: Any = None

    def _start(self) -> None:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_child_main, args=(child,), daemon=True, name="quicknav-extract")
        proc.start()
        child.close()
        self.proc, self.conn = proc, parent

    def kill(self) -> None:
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.join(5)
            except Exception:
                pass
            with contextlib.suppress(Exception):
                self.conn.close()
        self.proc, self.conn = None, None

    def stop(self) -> None:
        if self.proc is not None and self.proc.is_alive():
            try:
                self.conn.send(None)
                self.proc.join(2)
            except Exception:
                pass
        self.kill()

    def run(
        self, path: str, ext: str, max_chars: int, timeout: float, cancel: threading.Event | None = None
    ) -> ExtractResult:
        if self.proc is None or not self.proc.is_alive():
            self.kill()
            self._start()
        t0 = time.perf_counter()
        try:
            self.conn.send((path, ext, max_chars))
            if not self._wait(timeout, cancel):
                self.kill()
                if cancel is not None and cancel.is_set():  # shutting down: the file stays pending
                    return ExtractResult("cancelled", seconds=time.perf_counter() - t0)
                return ExtractResult("timeout", error=f"gave up after {timeout:g}s", seconds=timeout)
            status, text, truncated, error = self.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            code = self.proc.exitcode if self.proc is not None else None
            self.kill()
            return ExtractResult(
                "failed",
                error=f"parser process died (exit code {code}): {type(exc).__name__}",
                seconds=time.perf_counter() - t0,
            )
        return ExtractResult(status, text, truncated, error, time.perf_counter() - t0)

    def _wait(self, timeout: float, cancel: threading.Event | None) -> bool:
        """Wait for the answer in short slices so a cancel (shutdown) need not sit out the time budget."""
        if cancel is None:
            return bool(self.conn.poll(timeout))
        deadline = time.monotonic() + timeout
        while not cancel.is_set():
            if self.conn.poll(max(0.0, min(CANCEL_POLL, deadline - time.monotonic()))):
                return True
            if time.monotonic() >= deadline:
                return False
        return False


class ExtractorPool:
    """A few extraction processes, each used by one job at a time, killed when a file overruns."""

    def __init__(
        self,
        workers: int = 1,
        *,
        timeout: float = TIME_BUDGET,
        max_chars: int = MAX_CHARS,
        cancel: threading.Event | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_chars = max_chars
        self.cancel = cancel
        self.size = max(1, workers)
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(self.size):
            self._idle.put(_Worker(self._ctx))
        self._closed = False

    def extract(self, path: str, ext: str) -> ExtractResult:
        worker = self._idle.get()
        try:
            return worker.run(path, ext, self.max_chars, self.timeout, self.cancel)
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                break

    def __enter__(self) -> ExtractorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- the worker over the store


@dataclass
class ExtractReport:
    processed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    status: str = "done"


_PENDING = f"""
SELECT d.id, {REL_PATH} AS rel_path, d.ext, d.size, d.mtime, r.path AS root
FROM documents d JOIN projects p ON p.id = d.project_id JOIN roots r ON r.id = d.root_id
LEFT JOIN document_content c ON c.doc_id = d.id
WHERE c.doc_id IS NULL OR c.size != d.size OR c.mtime != d.mtime
ORDER BY d.indexed_at DESC  -- what the file watcher just indexed goes ahead of the backlog
LIMIT ?
"""

UPSERT_CONTENT = f"""
INSERT INTO document_content (doc_id, size, mtime, status, error, text, chars, truncated, seconds)
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM documents WHERE id = ?)
ON CONFLICT(doc_id) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, status = excluded.status,
    error = excluded.error, text = excluded.text, chars = excluded.chars, truncated = excluded.truncated,
    seconds = excluded.seconds, extracted_at = {restamp_sql("extracted_at")}
"""


def content_params(row: Any, res: ExtractResult) -> tuple[Any, ...]:
    """The parameters of ``UPSERT_CONTENT`` for one extraction of the document ``row`` (id, size, mtime)."""
    text = res.text if res.status == "ok" else None
    return (
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
    )


def _inside(path: str, root: str) -> bool:
    try:
        real = os.path.realpath(path)
        base = os.path.realpath(root)
    except OSError:
        return False
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


class ContentWorker:
    """Extracts the text of new and changed documents into ``document_content``."""

    def __init__(
        self,
        store: Store,
        *,
        workers: int = 1,
        timeout: float = TIME_BUDGET,
        max_chars: int = MAX_CHARS,
        max_file_bytes: int = MAX_FILE_BYTES,
        limits: ExtractLimits | None = None,
        batch_size: int = 32,
    ) -> None:
        """``limits`` (the configured caps) wins over ``timeout``/``max_chars``/``max_file_bytes``."""
        self.store = store
        self.workers = max(1, workers)
        self.timeout = limits.timeout if limits else timeout
        self.max_chars = limits.max_chars if limits else max_chars
        self.max_file_bytes = limits.max_file_bytes if limits else max_file_bytes
        self.batch_size = batch_size

    def pending(self) -> int:
        row = self.store.query_one(
            "SELECT count(*) FROM documents d LEFT JOIN document_content c ON c.doc_id = d.id "
            "WHERE c.doc_id IS NULL OR c.size != d.size OR c.mtime != d.mtime"
        )
        return int(row[0]) if row else 0

    def _one(self, pool: ExtractorPool, row: Any) -> tuple[Any, ExtractResult]:
        ext = (row["ext"] or "").lower()
        path = str(Path(row["root"]) / row["rel_path"])
        if ext not in SUPPORTED:
            return row, ExtractResult("unsupported")
        if not _inside(path, row["root"]):
            return row, ExtractResult("failed", error="path resolves outside its project root")
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return row, ExtractResult("missing", error="file not found (re-index to update)")
        except OSError as exc:
            return row, ExtractResult("failed", error=f"cannot read: {exc.strerror}")
        if st.st_size > self.max_file_bytes:
            cap = self.max_file_bytes
            return row, ExtractResult("too_large", error=f"{st.st_size:,} bytes is over the {cap:,} cap")
        return row, pool.extract(path, ext)

    def run(
        self,
        *,
        max_docs: int | None = None,
        cancel: threading.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ExtractReport:
        """Process pending documents until none are left (or ``max_docs``/``cancel``)."""
        report = ExtractReport()
        t0 = time.perf_counter()
        total = self.pending()
        seen: set[int] = set()
        pool: ExtractorPool | None = None
        try:
            while not (cancel is not None and cancel.is_set()):
                want = self.batch_size
                if max_docs is not None:
                    want = min(want, max_docs - report.processed)
                    if want <= 0:
                        break
                rows = [r for r in self.store.query(_PENDING, (want,)) if r["id"] not in seen]
                if not rows:
                    break
                needs_pool = any((r["ext"] or "").lower() in SUPPORTED for r in rows)
                if needs_pool and pool is None:
                    pool = ExtractorPool(self.workers, timeout=self.timeout, max_chars=self.max_chars, cancel=cancel)
                current = pool

                def one(row: Any, p: Any = current) -> tuple[Any, ExtractResult]:
                    # Checked per file, so a shutdown does not wait for the rest of the batch.
                    if cancel is not None and cancel.is_set():
                        return row, ExtractResult("cancelled")
                    return self._one(p, row)

                if needs_pool and self.workers > 1:
                    with ThreadPoolExecutor(self.workers) as ex:
                        results = list(ex.map(one, rows))
                else:
                    results = [one(r) for r in rows]
                results = [(row, res) for row, res in results if res.status != "cancelled"]  # stay pending
                self._write(results)
                for row, res in results:
                    seen.add(row["id"])
                    report.by_status[res.status] = report.by_status.get(res.status, 0) + 1
                    if res.status in ("failed", "timeout"):
                        log.info("extraction %s for %s: %s", res.status, row["rel_path"], res.error)
                report.processed += len(results)
                if progress is not None:
                    progress(report.processed, total)
            if cancel is not None and cancel.is_set():
                report.status = "cancelled"
        finally:
            if pool is not None:
                pool.close()
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    def _write(self, results: list[tuple[Any, ExtractResult]]) -> None:
        params = [content_params(row, res) for row, res in results]
        with self.store.transaction() as conn:
            conn.executemany(UPSERT_CONTENT, params)
