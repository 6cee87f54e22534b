"""Project search's in-memory state: the document postings rank exactly as FTS5 does and follow the
store's changes."""

from __future__ import annotations

import random
import re
import shutil
import time
from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.search import clock as search_clock
from quicknav_mcp.search.alternatives import widen
from quicknav_mcp.search.doc_postings import _varints
from quicknav_mcp.search.query import match_expression, parse_query
from quicknav_mcp.search.scope import Scope

QUERIES = [
    "as built design",
    "meeting room upgrade",
    "level 3",
    "boardroom",
    "hearing loop",
    "sales po report",
    "floor plans",
    "upgr",
    "projector replacement brisbane",
    "commisioning report",
    "zzzz nothing",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(root, database, pristine copy of the tree): the firm generated, indexed and extracted once.

    Extraction runs a process per file type and dominates the cost, so it is done once per module.
    """
    base = tmp_path_factory.mktemp("memory")
    root, db, pristine = base / "firm", base / "q.db", base / "pristine"
    generate_firm(root, projects=12, seed=3, content=True)
    with App.open(load_config(db=db, roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False)
    shutil.copytree(root, pristine)  # copy2: the same sizes and modification times the index holds
    return root, db, pristine


@pytest.fixture()
def app(built: tuple[Path, Path, Path], tmp_path: Path):
    """A private copy of the indexed firm: the tree put back as indexed (tests rename and delete files),
    the database copied; the same reindex and extraction calls as a first build, which find nothing new."""
    root, db, pristine = built
    shutil.rmtree(root)
    shutil.copytree(pristine, root)
    shutil.copy(db, tmp_path / "q.db")
    app = App.open(load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"}))
    app.indexing.reindex()
    app.search.index_content(extract=True, embed=False)
    yield app
    app.close()


def _both(app: App, text: str, limit: int = 300) -> tuple[object, object]:
    s = app.search
    pq = parse_query(text)
    groups = widen(s.fulltext.word_groups(pq, {}), pq, s.vocab)
    memory = s.project_search.postings.documents(groups, pq.phrases, limit)
    fts = s.fulltext.documents(groups, pq.phrases, Scope(), limit=limit, every_word=True)
    return memory, fts


def test_postings_rank_documents_exactly_as_fts5(app: App) -> None:
    assert app.store.query_one("SELECT count(*) FROM document_content")[0] > 0  # content is ranked too
    assert app.search.project_search.postings.wait_ready(60)
    matched = 0
    for q in QUERIES:
        memory, fts = _both(app, q)
        assert memory == fts, q
        matched += bool(fts[0])
    assert matched >= 6
    memory, fts = _both(app, "meeting room upgrade", limit=8)  # the any-word query joins below a quarter
    assert memory == fts


def test_postings_follow_renames_and_deletes(app: App) -> None:
    postings = app.search.project_search.postings
    assert postings.wait_ready(60)
    files = sorted(p for p in Path(app.config.roots[0]).rglob("*.pdf"))
    renamed = files[0].with_name("Quokka Boardroom Handrail.pdf")
    files[0].rename(renamed)
    files[-1].unlink()
    app.indexing.reindex()
    doc_id, project_id = app.store.query_one(
        "SELECT id, project_id FROM documents WHERE name = 'Quokka Boardroom Handrail.pdf'"
    )
    assert postings.current() is None  # stale: FTS5 answers until the copy is rebuilt
    memory, fts = _both(app, "quokka handrail")
    assert memory is None and fts[0] == [doc_id]
    assert postings.wait_ready(60)
    for q in [*QUERIES, "quokka handrail", "quokka"]:
        memory, fts = _both(app, q)
        assert memory == fts, q
    assert app.search.search_projects("quokka handrail", mode="lexical").projects[0].project_number == next(
        p.code for p in app.projects.all() if p.id == project_id
    )


def test_phrases_are_left_to_fts5(app: App) -> None:
    assert app.search.project_search.postings.wait_ready(60)
    memory, fts = _both(app, '"meeting room" upgrade')
    assert memory is None and fts is not None


def test_project_postings_rank_projects_exactly_as_fts5(app: App) -> None:
    s = app.search
    postings = s.project_search.project_postings
    assert postings.wait_ready(60)
    clients = sorted({w for p in app.projects.all() for w in (p.client or "").lower().split()})
    for q in [*QUERIES, *clients[:6], "upgrade level"]:
        pq = parse_query(q)
        groups = widen(s.fulltext.word_groups(pq, {}), pq, s.vocab)
        for mode in ("and", "or"):
            expr = match_expression(groups, pq.phrases, mode=mode)
            if expr:
                assert postings.ranked(groups, pq.phrases, 200, every_word=mode == "and") == s.fulltext.projects(expr)


def test_summaries_are_built_in_the_background_and_follow_changes(app: App) -> None:
    search = app.search.project_search
    assert search.about is not None and search.wait_ready(60)
    first = search.about.current()
    assert first is not None and len(first.ids) == len(app.projects.all())
    files = sorted(Path(app.config.roots[0]).rglob("*.pdf"))
    files[0].rename(files[0].with_name("Quokka Boardroom Handrail.pdf"))
    app.indexing.reindex()
    # A small firm's search after a change waits for the build it starts (as an inline build would):
    # its answer does not depend on a thread's timing.
    app.search.search_projects("boardroom", mode="lexical")
    assert search.about.current(wait=False) is not first
    assert search.about.wait_ready(60)


def test_one_build_of_project_words_serves_every_reader(app: App) -> None:
    s = app.search
    assert s.suggester.names is s.typeahead.names is s.project_search.names is s.names
    names = s.names.index()
    assert len(names.entries) == len(app.projects.all())
    client = next(p.client for p in app.projects.all() if p.client)
    assert any(x.kind == "client" for x in s.suggest(client[:4]).suggestions)
    assert s.typeahead.search(client[:4]).projects
    assert s.search_projects(client, mode="lexical").projects
    assert s.names.index() is names  # nobody built their own copy


def test_close_stops_whole_table_reads_and_leaves_a_self_contained_file(tmp_path: Path) -> None:
    """A background build reading a whole table when the store closes stops at its next chunk, so close
    neither waits for it to finish nor leaves the write-ahead log behind."""
    import threading

    from quicknav_mcp.errors import StoreError
    from quicknav_mcp.store import Store

    store = Store(tmp_path / "s.db")
    with store.transaction() as conn:
        conn.execute("CREATE TABLE big (x INTEGER)")
        conn.executemany("INSERT INTO big VALUES (?)", ((i,) for i in range(20_000)))
    stopped: list[BaseException] = []
    reading = threading.Event()

    def build() -> None:
        try:
            with store.scan_reader() as read:
                for n, _row in enumerate(read("SELECT x FROM big")):
                    if n == 10:
                        reading.set()
                        while not store.closing:  # the rest of the build happens after close began
                            threading.Event().wait(0.01)
        except StoreError as exc:
            stopped.append(exc)

    builder = threading.Thread(target=build)
    builder.start()
    assert reading.wait(10)
    store.close()
    builder.join(10)
    assert stopped and "closing" in str(stopped[0])
    wal = tmp_path / "s.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_document_search_takes_its_words_from_the_postings_exactly_as_fts5(app: App) -> None:
    s = app.search
    ds = s.document_search
    assert ds.postings is s.project_search.postings and ds.postings.wait_ready(60)
    for or_budget in (s.fulltext.or_budget, 40):  # (40: the any-word query keeps only the rarest words)
        s.fulltext.or_budget = or_budget
        for q in [*QUERIES, "meeting room upgrade zzzz", "boardroom hearing loop level 3"]:
            pq = parse_query(q)
            groups = widen(s.fulltext.word_groups(pq, {}), pq, s.vocab)
            for limit in (200, 8):
                memory = ds.postings.documents(groups, pq.phrases, limit, every_word=False)
                assert memory == s.fulltext.documents(groups, pq.phrases, Scope(), limit=limit), (q, or_budget)
            found = ds.word_matches(groups, pq.phrases, Scope())
            assert found == s.fulltext.documents(groups, pq.phrases, Scope()), q


def test_document_answers_are_the_same_from_memory_and_from_fts5(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    s = app.search
    assert s.document_search.postings is not None and s.document_search.postings.wait_ready(60)
    # Recency boosts read the clock: seconds between the two passes (a loaded machine) moved a score's
    # fifth decimal (3.0282 / 3.02821). Both passes rank at one instant (the search's clock only: the
    # app's threads keep the real one).
    now = time.time()
    monkeypatch.setattr(search_clock, "now", lambda: now)
    texts = [*QUERIES, "meeting room upgrade zzzz", '"meeting room" upgrade']
    memory = [s.search_documents(q, mode="lexical", limit=15).model_dump(exclude={"search_time_ms"}) for q in texts]
    s.document_search.postings = None
    fts = [s.search_documents(q, mode="lexical", limit=15).model_dump(exclude={"search_time_ms"}) for q in texts]
    assert memory == fts
    assert sum(bool(m["documents"]) for m in memory) >= 8


def _digit_terms(app: App) -> list[list[str]]:
    names = [r[0] for r in app.store.query("SELECT name FROM documents")]
    parts = sorted(
        {
            m[k : k + n]
            for name in names
            for m in re.findall(r"[0-9]{3,}", name)
            for n in (3, 4, 5)
            for k in range(len(m) - n + 1)
        }
    )
    rng = random.Random(4)
    picked = rng.sample(parts, min(60, len(parts)))
    return [[p] for p in picked] + [rng.sample(parts, 2) for _ in range(10)] + [["999999"], ["111", "111"]]


def test_digit_parts_of_names_rank_exactly_as_the_trigram_table(app: App) -> None:
    s = app.search
    digits = s.document_search.digits
    assert digits.wait_ready(60)
    matched = 0
    for terms in _digit_terms(app):
        for limit in (200, 5):
            fts = s.substrings.search("search_docs_tri", terms, "", Scope(), limit)
            assert digits.search(terms, limit) == fts, terms
            matched += bool(fts)
    assert matched >= 50
    sizes = {i: _varints(bytes(sz))[0] for i, sz in app.store.query("SELECT id, sz FROM search_docs_tri_docsize")}
    lengths = digits._parts.index.length  # every name's length in trigrams, as FTS5 recorded it
    assert sizes and all(lengths[i] == n for i, n in sizes.items())
    assert digits.search(["upg"], 10) is None  # not digits: the trigram table answers


def test_digit_parts_of_up_to_four_digits_are_kept_with_every_names_count(app: App) -> None:
    """Each 3- and 4-digit part lists, ascending, the documents whose names hold it and how often
    (overlapping); a longer part is found from its trigrams alike."""
    from quicknav_mcp.search.digit_parts import KEPT_DIGITS

    digits = app.search.document_search.digits
    assert digits.wait_ready(60)
    parts = digits._parts
    names = {i: name for i, name in app.store.query("SELECT id, name FROM documents")}
    kept = sorted(parts.docs, key=lambda k: (len(k), k))
    picked = [*kept[:10], *kept[-40:], "999", "9999", "11111"]  # (3 digits first, then KEPT_DIGITS)
    assert {len(k) for k in kept} == set(range(3, KEPT_DIGITS + 1))
    picked += sorted({m[:5] for name in names.values() for m in re.findall(r"[0-9]{5,}", name)})[:10]
    for part in picked:
        want = {i: len(re.findall(f"(?={part})", name)) for i, name in names.items() if part in name}
        docs, freq = parts.postings(part)
        assert docs.tolist() == sorted(want) and freq.tolist() == [want[i] for i in sorted(want)], part
        assert docs.dtype.name == "int32" and freq.dtype.name == "float32"


def test_digit_parts_follow_renames(app: App) -> None:
    s = app.search
    digits = s.document_search.digits
    assert digits.wait_ready(60)
    files = sorted(p for p in Path(app.config.roots[0]).rglob("*.pdf"))
    files[0].rename(files[0].with_name("Plan 987654 98765.pdf"))
    app.indexing.reindex()
    assert digits.wait_ready(60)
    for terms in [["987"], ["8765"], ["98765"], ["654", "987"]]:
        fts = s.substrings.search("search_docs_tri", terms, "", Scope(), 200)
        assert fts and digits.search(terms, 200) == fts, terms


def test_an_empty_index_builds_nothing_and_logs_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A fresh database has empty full-text records: the in-memory copies decline (FTS5 answers), quietly."""
    (tmp_path / "root").mkdir()
    cfg = load_config(db=tmp_path / "empty.db", roots=[tmp_path / "root"], env={"QUICKNAV_EMBED_MODEL": "none"})
    with caplog.at_level("WARNING"), App.open(cfg) as app:
        # The copy declines and the wait says so at once (waiting out 600 s would trip the test's time limit).
        assert app.search.project_search.postings.wait_ready(600) is False
        assert app.search.document_search.digits.wait_ready(30) is False
        assert app.search.search_documents("2047", mode="lexical").documents == []
        assert app.search.search_projects("council chamber", mode="lexical").projects == []
    assert not [r for r in caplog.records if "not built" in r.getMessage()]


def test_a_large_firms_digit_parts_are_built_after_the_tables_first_build(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a search for digits asking: the first ones are then served from memory, not FTS5."""
    from quicknav_mcp.search import candidates

    app.close()
    monkeypatch.setattr(candidates, "SYNC_BUILD_MAX", 0)  # every firm counts as large
    again = App.open(load_config(db=tmp_path / "q.db", roots=[], env={"QUICKNAV_EMBED_MODEL": "none"}))
    try:
        digits = again.search.document_search.digits
        assert again.search.candidates.ready(30)
        deadline = time.monotonic() + 30
        while digits._parts is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert digits._parts is not None and digits._parts.snapshot is again.search.candidates.current()
        fts = again.search.substrings.search("search_docs_tri", ["214"], "", Scope(), 200)
        assert digits.search(["214"], 200) == fts
    finally:
        again.close()


def test_settle_waits_out_the_start_up_builds(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large firm's start-up builds run on threads (the table's, then its digit parts', and the delayed
    summaries' and postings'): after ``settle`` each serves the store and none of them runs."""
    from quicknav_mcp.search import candidates

    app.close()
    monkeypatch.setattr(candidates, "SYNC_BUILD_MAX", 0)  # every firm counts as large: all on threads
    again = App.open(load_config(db=tmp_path / "q.db", roots=[], env={"QUICKNAV_EMBED_MODEL": "none"}))
    try:
        s = again.search
        assert s.settle(60)
        digits = s.document_search.digits
        assert digits._parts is not None and digits._parts.snapshot is s.candidates.current()
        for build in (s.candidates._builds, digits._builds, s.project_search.postings._builds):
            assert not build.running
        assert s.project_search.about is not None and s.project_search.about._builds.ended > 0  # built, not pending
        assert s.project_search.postings.current() is not None
    finally:
        again.close()
