"""The fast paths of search (migration 0004 and the caches) give the same answers as the slow ones.

Each test compares a fast path with the plain query or rule it replaces, on a generated firm:
project scopes applied inside FTS5, firm-wide family/fact lookups through indexes, the cached
current revision of each series, the any-word budget, vector search under filters, the query
vector cache, and caches that ignore commits unrelated to search.
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.domain import current_by_series
from quicknav_mcp.repo import DocumentRepo
from quicknav_mcp.repo.documents import DocumentFacts, document_year
from quicknav_mcp.search import lexical, semantic
from quicknav_mcp.search.current import CurrentRevisions
from quicknav_mcp.search.facts import FactRetriever
from quicknav_mcp.search.query import match_expression, parse_query
from quicknav_mcp.search.ranking import RankContext, document_boost
from quicknav_mcp.search.scope import CANDIDATES, Scope, document_scope
from quicknav_mcp.search.service import SearchService
from quicknav_mcp.search.versions import Versions
from quicknav_mcp.store import Store
from tests.conftest import open_names_firm

PROJECT = "Project Folders/21000 - 21999/21614 - PLWRX  TR L1 Upgrades"


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory):
    app = open_names_firm(tmp_path_factory.mktemp("speed"), 30, 5)
    yield app
    app.close()


def _service(app: App) -> SearchService:
    from quicknav_mcp.indexers.embed import Embedder

    return SearchService(app.store, app.projects, embedder=Embedder("none"))


def test_migration_adds_code_column_counters_and_fact_indexes(firm) -> None:
    store = firm.store
    assert store.query_one("PRAGMA user_version")[0] >= 4
    project = firm.projects.all()[0]
    rows = store.query(
        "SELECT f.rowid FROM search_docs f WHERE search_docs MATCH ?", ("{code} : " + f'"{project.code}"',)
    )
    ids = {r[0] for r in store.query("SELECT id FROM documents WHERE project_id = ?", (project.id,))}
    assert {r[0] for r in rows} == ids and ids
    names = {r[0] for r in store.query("SELECT name FROM search_versions")}
    assert names == {"documents", "content", "projects", "embeddings"}
    indexes = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"search_documents_change_order", "search_documents_revision", "search_documents_room"} <= indexes


def test_project_scope_inside_fts_same_rows_and_scores(firm) -> None:
    """`{code}: (...) AND (...)` with the code column weighted 0 = BM25 over everything, then a join."""
    store = firm.store
    projects = firm.projects.all()[:4]
    codes = " OR ".join(f'"{p.code}"' for p in projects)
    pids = [p.id for p in projects]
    weights = lexical.DOC_WEIGHTS_CODE
    for words in ('"design"', '"sales" OR "report" OR "room"', '"as" AND "built"'):
        scoped = store.query(
            f"SELECT f.rowid, bm25(search_docs, {weights}) FROM search_docs f WHERE search_docs MATCH ? ORDER BY 2, 1",
            ("{code} : (" + codes + f") AND ({words})",),
        )
        joined = store.query(
            f"SELECT f.rowid, bm25(search_docs, {weights}) FROM search_docs f JOIN documents d ON d.id = f.rowid "
            f"WHERE search_docs MATCH ? AND d.project_id IN ({','.join('?' * len(pids))}) ORDER BY 2, 1",
            (words, *pids),
        )
        assert scoped, words
        assert [r[0] for r in scoped] == [r[0] for r in joined]
        assert [round(r[1], 9) for r in scoped] == [round(r[1], 9) for r in joined]


def test_project_scoped_search_matches_the_join_path(firm) -> None:
    s = _service(firm)
    p = firm.projects.all()[2]
    fast = s.search_documents(f"{p.code} design report", mode="lexical", limit=50)
    plain = _service(firm)
    plain.fulltext.max_codes = 0  # never restrict inside FTS5: the old join path
    slow = plain.search_documents(f"{p.code} design report", mode="lexical", limit=50)
    assert fast.documents and [d.id for d in fast.documents] == [d.id for d in slow.documents]
    assert fast.total_count == slow.total_count


def _old_structured(s: SearchService, pq, limit: int) -> list[tuple[int, int, float]]:
    """The single sorted query the fast paths replace: (archived, -mtime, facts) of its rows."""
    conds, params = [], []
    for col, value in (("revision", pq.revision), ("room", pq.room), ("change_order", pq.change_order)):
        if value is not None:
            conds.append(f"(d.{col} = ?)")
            params.append(value)
    if pq.as_built:
        conds.append("(d.is_as_built = 1)")
    if pq.doc_types:
        conds.append(f"(d.doc_type IN ({','.join('?' * len(pq.doc_types))}))")
        params.extend(pq.doc_types)
    if pq.doc_types and pq.revision is None and pq.room is None and pq.change_order is None:
        extra = " AND d.is_as_built = 1" if pq.as_built else ""
        rows = s.store.query(
            f"SELECT d.id, d.is_archive, d.mtime FROM documents d WHERE d.doc_type IN "
            f"({','.join('?' * len(pq.doc_types))}){extra} ORDER BY d.is_archive ASC, d.mtime DESC LIMIT ?",
            [*pq.doc_types, limit],
        )
    else:
        rows = s.store.query(
            f"SELECT d.id, d.is_archive, d.mtime FROM documents d WHERE ({' OR '.join(conds)}) "
            f"ORDER BY ({' + '.join(conds)}) DESC, d.is_archive ASC, d.mtime DESC LIMIT ?",
            [*params, *params, limit],
        )
    return [(r[0], r[1], r[2]) for r in rows]


@pytest.mark.parametrize("limit", [5, 200])
@pytest.mark.parametrize("text", ["as built", "swms", "sales po report drawings", "CO2", "rev 102", "CO1 variation"])
def test_firm_wide_facts_match_the_full_sort(firm, text: str, limit: int) -> None:
    s = _service(firm)
    pq = parse_query(text)
    fast = FactRetriever(s.store, candidates=limit).documents(pq, Scope())
    old = _old_structured(s, pq, limit)
    assert old, text
    assert fast == [i for i, _, _ in old]  # ties too (lower id first, as the sort left them)


def test_cached_current_revisions_match_the_domain_rule(firm) -> None:
    s = _service(firm)
    rows = DocumentRepo(s.store).for_projects([p.id for p in firm.projects.all()])
    docs = {d.id: d for d in rows}
    series: dict[tuple[int, str], list] = defaultdict(list)
    for d in docs.values():
        series[(d.project_id, d.series_key)].append(d)
    want = {d.id for group in series.values() for d in current_by_series(group)}
    half = dict(list(docs.items())[: len(docs) // 2])
    current = CurrentRevisions(DocumentRepo(s.store), Versions(s.store))
    current.mark(half)  # fills part of the cache
    current.mark(docs)  # the rest, and cached answers for the first half
    assert {i for i, d in docs.items() if d.is_current} == want
    assert 0 < len(want) < len(docs)


def _write(root: Path, rel: str, text: str = "x") -> Path:
    path = root / PROJECT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_current_revision_follows_a_new_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _write(root, "4. System Designs/21614 - POOLWERX TRAINING ROOM - Rev 101.pdf")
    _write(root, "3. PMO/Site notes.txt")
    with App.open(load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        scan_root(app.store, root)
        first = app.search.search_documents("poolwerx training room", mode="lexical")
        assert [(d.name, d.is_current) for d in first.documents][:1] == [
            ("21614 - POOLWERX TRAINING ROOM - Rev 101.pdf", True)
        ]
        before = app.search.versions.get("documents")
        _write(root, "4. System Designs/21614 - POOLWERX TRAINING ROOM - Rev 102.pdf")
        scan_root(app.store, root)
        assert app.search.versions.get("documents") != before
        now = {d.name: d.is_current for d in app.search.search_documents("poolwerx training room").documents}
        assert now["21614 - POOLWERX TRAINING ROOM - Rev 102.pdf"] is True
        assert now["21614 - POOLWERX TRAINING ROOM - Rev 101.pdf"] is False


def test_counters_ignore_unrelated_commits(tmp_path: Path) -> None:
    root = tmp_path / "root"
    notes = _write(root, "3. PMO/Site notes.txt", "Loading dock access")
    store = Store(tmp_path / "q.db")
    try:
        scan_root(store, root)
        versions = Versions(store)
        v0, g0 = versions.get(), store.generation()
        with store.transaction() as conn:  # e.g. analytics events: not an input of search caches
            conn.execute("INSERT INTO search_meta (key, value) VALUES ('unrelated', '1')")
        assert store.generation() != g0
        assert versions.get() == v0
        future = time.time() + 10
        os.utime(notes, (future, future))
        scan_root(store, root)  # a changed file: documents (and projects) counters move
        v1 = versions.get()
        assert v1[0] > v0[0]
        from quicknav_mcp.indexers.extract import ContentWorker

        ContentWorker(store).run()
        assert versions.get("content")[0] > v1[1]
    finally:
        store.close()


def test_vocabulary_is_not_rebuilt_by_unrelated_commits(firm) -> None:
    from quicknav_mcp.search.vocab import Vocabulary

    vocab = Vocabulary(firm.store, min_interval=0)
    snap = vocab.snapshot()
    with firm.store.transaction() as conn:
        conn.execute(
            "INSERT INTO search_meta (key, value) VALUES ('unrelated', '2') "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        )
    assert vocab.snapshot() is snap


def test_any_word_budget_keeps_the_rarest_words(firm) -> None:
    s = _service(firm)
    fts = s.fulltext
    snap = s.vocab.snapshot()
    groups = [["design"], ["report"], ["poolwerx"], ["zzqxw"]]
    dfs = {g[0]: fts.group_df(g) for g in groups}
    assert dfs["zzqxw"] == 0 and dfs["design"] == snap.df["design"]
    assert fts.group_df(["desig*"]) >= snap.df["design"]
    rare = sorted(dfs, key=dfs.get)
    budget = dfs[rare[0]] + dfs[rare[1]] + dfs[rare[2]]
    kept, _ = fts.affordable(groups, [], budget)
    assert [g[0] for g in kept] == [g[0] for g in groups if g[0] in rare[:3]]  # query order kept
    assert fts.affordable(groups, [], 10**12)[0] == groups
    # With a budget every word fits in, the any-word fallback is the plain OR over all words.
    fts.or_budget = 10**12
    words = [["poolwerx"], ["zzqxw"], ["design"]]
    ids, n_all = fts.documents(words, [], Scope())
    assert n_all == 0
    plain = fts.match_documents(match_expression(words, [], mode="or") or "", Scope(), CANDIDATES)
    assert ids == plain and ids
    # With none, only an all-words query runs (nothing with every word here).
    fts.or_budget = 0
    assert fts.documents(words, [], Scope()) == ([], 0)
    # Project search always uses every word.
    assert fts.documents(words, [], Scope(), every_word=True)[0] == plain


def test_vector_hits_are_exact_under_filters(firm) -> None:
    np = pytest.importorskip("numpy")
    s = _service(firm)
    ids = [r[0] for r in s.store.query("SELECT id FROM documents ORDER BY id")]
    rng = np.random.default_rng(3)
    matrix = rng.normal(size=(len(ids), 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    s.doc_vectors.replace(ids, matrix, "test")
    q = matrix[7] + 0.1
    p = firm.projects.all()[1]

    def brute(scope: Scope, k: int) -> list[int]:
        allowed = set(s.semantic.scope_ids(scope))
        sims = sorted(((float(matrix[n] @ q), i) for n, i in enumerate(ids) if i in allowed), reverse=True)
        return [i for sim, i in sims[:k] if sim >= semantic.MIN_SIM_DOCS]

    def scope_of(text: str, filters: dict, current_only: bool = False) -> Scope:
        return document_scope(s.projects, parse_query(text), filters, None, None, current_only, [])

    scopes = {
        "project": scope_of(p.code, {}),
        "ext": scope_of("x", {"ext": ["pdf"]}),
        "current": scope_of("x", {}, True),
        "rare type": scope_of("x", {"doc_type": ["invoice"]}),
    }
    for k in (3, 100):
        s.semantic.k = k
        for name, scope in scopes.items():
            got = [i for i, _ in s.semantic.document_hits(q, scope)]
            assert got == brute(scope, k), (name, k)


def test_query_vectors_are_cached(firm) -> None:
    class Counting:
        name = "counting"
        disabled = False

        def __init__(self) -> None:
            self.calls = 0

        def encode(self, texts: list[str]):
            self.calls += 1
            return [[float(len(t))] for t in texts]

    emb = Counting()
    s = SearchService(firm.store, firm.projects, embedder=emb)
    assert s.semantic.query_vector("hearing loop") == [12.0]
    assert s.semantic.query_vector("hearing loop") == [12.0]
    assert emb.calls == 1
    s.clear_caches(current=False)
    s.semantic.query_vector("hearing loop")
    assert emb.calls == 2


def test_query_vectors_are_shared_by_texts_the_model_reads_alike(firm) -> None:
    class Tokenizing:
        """An uncased model: its token ids fold case and spaces, so do its embeddings."""

        name = "tokenizing"
        disabled = False

        def __init__(self) -> None:
            self.texts: list[str] = []

        def token_ids(self, texts: list[str]) -> list[list[int]]:
            return [[sum(map(ord, w)) for w in t.lower().split()] for t in texts]

        def encode(self, texts: list[str]):
            self.texts += texts
            return [[float(sum(map(sum, self.token_ids([t]))))] for t in texts]

    emb = Tokenizing()
    s = SearchService(firm.store, firm.projects, embedder=emb)
    first = s.semantic.query_vector("Hearing  Loop")
    assert s.semantic.query_vector(" hearing loop ") == first
    assert emb.texts == ["Hearing  Loop"]  # embedded once
    assert s.semantic.query_vector("hearing loops") != first
    assert len(emb.texts) == 2

    class TextOnly:
        """No token ids (a sentence-transformers model): texts differing only in spaces share one."""

        name = "text-only"
        disabled = False
        calls = 0

        def encode(self, texts: list[str]):
            TextOnly.calls += 1
            return [[1.0] for _ in texts]

    s = SearchService(firm.store, firm.projects, embedder=TextOnly())
    s.semantic.query_vector("hearing  loop ")
    s.semantic.query_vector("hearing loop")
    assert TextOnly.calls == 1
    s.semantic.query_vector("Hearing loop")  # case may matter to such a model
    assert TextOnly.calls == 2


def _old_suggest(sug, prefix: str, limit: int) -> list[tuple[str, str]]:
    """The lookup as it was before precomputed keys and a partial sort (reference)."""
    from quicknav_mcp.search.suggest import KIND_ORDER
    from quicknav_mcp.search.text import tokens

    index = sug.index()
    keys, entries = index.keys, index.entries
    key = " ".join(tokens(prefix))
    found: dict[int, float] = {}
    import bisect

    i = bisect.bisect_left(keys, (key, -1))
    scanned = 0
    while i < len(keys) and keys[i][0].startswith(key) and scanned < 5000:
        idx = keys[i][1]
        whole = keys[i][0] == " ".join(tokens(entries[idx].text))
        found[idx] = max(found.get(idx, 0.0), 2.0 if whole else 1.0)
        i += 1
        scanned += 1
    ranked = sorted(
        found.items(),
        key=lambda kv: (
            -kv[1],
            KIND_ORDER[entries[kv[0]].kind],
            -entries[kv[0]].weight,
            entries[kv[0]].text,
        ),
    )
    out, seen = [], set()
    for idx, _ in ranked:
        e = entries[idx]
        if (e.kind, e.text.lower()) in seen:
            continue
        seen.add((e.kind, e.text.lower()))
        out.append((e.kind, e.text))
        if len(out) >= limit:
            break
    return out


def test_suggest_fast_path_matches_the_full_sort(firm) -> None:
    s = _service(firm)
    sug = s.suggester
    prefixes = ["1", "2", "15", "20", "p", "ro", "pool", "de", "a", "me"]
    prefixes += [p.code[:3] for p in firm.projects.all()[:5]]
    for prefix in prefixes:
        for limit in (1, 5, 10, 50):
            want = _old_suggest(sug, prefix, limit)
            got = [(x.kind, x.text) for x in sug.suggest(prefix, limit) if x.kind != "word"]
            assert got[: len(want)] == want, (prefix, limit)


def test_suggest_index_ignores_unrelated_commits(firm) -> None:
    s = _service(firm)
    s.suggest("1", 5)
    lookup = s.suggester.index()
    with firm.store.transaction() as conn:
        conn.execute(
            "INSERT INTO search_meta (key, value) VALUES ('unrelated', '3') "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        )
    s.suggest("1", 5)
    assert s.suggester.index() is lookup
    s.suggester.min_interval = 0  # past the interval, other commits (frequent queries) count again
    s.suggest("1", 5)
    assert s.suggester.index() is not lookup


def test_one_off_queries_are_never_suggested_to_everyone(tmp_path: Path, sample_root: Path) -> None:
    """A query becomes a suggestion only once it has been searched (with results) several times."""
    import time as _time

    with App.open(load_config(db=tmp_path / "q.db", roots=[sample_root], env={})) as app:
        app.indexing.reindex()
        sug = app.search.suggester
        sug.min_interval = 0
        today = int(_time.time() // 86400)
        with app.store.transaction() as conn:
            conn.execute(
                "INSERT INTO an_query_day (query, day, searches, zero_results, clicks, last_ms) "
                "VALUES ('zebra private thing', ?, 1, 0, 0, 0), ('zebra crossing plan', ?, 3, 0, 0, 0)",
                (today, today),
            )
        texts = [x.text for x in sug.suggest("zebra", 10) if x.kind == "query"]
        assert texts == ["zebra crossing plan"]


# ---------------------------------------------------------------- rank budget, candidate facts, counters


def _exact_ranking(store: Store, expr: str, rowids: set[int] | None = None) -> list[int]:
    """BM25 order over every match (ties: lower rowid), optionally only over ``rowids``."""
    rows = store.query(
        f"SELECT f.rowid, bm25(search_docs, {lexical.DOC_WEIGHTS_CODE}) FROM search_docs f "
        "WHERE search_docs MATCH ? ORDER BY 2, 1",
        (expr,),
    )
    return [r[0] for r in rows if rowids is None or r[0] in rowids]


def test_rank_budget_ranks_exactly_when_it_holds_every_match(firm) -> None:
    s = _service(firm)
    expr = '"design" OR "report" OR "room"'
    everything = _exact_ranking(s.store, expr)
    assert len(everything) > 50
    fts = s.fulltext
    fts.rank_budget = len(everything)
    budgeted = fts.match_documents(expr, Scope(), 40, at_most=len(everything) + 1)
    plain = fts.match_documents(expr, Scope(), 40)
    assert budgeted == plain == everything[:40]


def test_rank_budget_ranks_the_newest_matches(firm) -> None:
    s = _service(firm)
    expr = '"design" OR "report" OR "room"'
    everything = _exact_ranking(s.store, expr)
    fts = s.fulltext
    fts.rank_budget = 30
    newest = set(sorted(everything)[-30:])
    got = fts.match_documents(expr, Scope(), 10, at_most=len(everything))
    assert got == _exact_ranking(s.store, expr, newest)[:10]
    # Within a few projects (a scope inside FTS5) every match is ranked, whatever the estimate.
    p = firm.projects.all()[0]
    scope = document_scope(s.projects, parse_query(p.code), {}, None, None, False, [])
    assert fts.match_documents(expr, scope, 10, at_most=10**9) == fts.match_documents(expr, scope, 10)


def test_matches_at_most_bounds_the_real_count(firm) -> None:
    s = _service(firm)
    fts = s.fulltext
    for text in ("training room level", "room", "room sales po report", "zzqxw training"):
        pq = parse_query(text)
        groups = fts.word_groups(pq, {})
        for every in (True, False):
            expr = match_expression(groups, pq.phrases, mode="and" if every else "or")
            assert expr, text
            n = s.store.query_one("SELECT count(*) FROM search_docs WHERE search_docs MATCH ?", (expr,))[0]
            assert n <= fts.matches_at_most(groups, pq.phrases, every_word=every), (text, every)


def test_candidate_facts_match_whole_rows(firm) -> None:
    repo = DocumentRepo(firm.store)
    ids = [r[0] for r in firm.store.query("SELECT id FROM documents ORDER BY id")]
    rows = repo.by_ids(ids)
    facts = repo.facts_by_ids(ids)
    assert set(facts) == set(rows) and facts
    for i, f in facts.items():
        d = rows[i]
        for name in DocumentFacts.__slots__:
            assert getattr(f, name) == getattr(d, name), (i, name)
        assert f.year == d.year
    p = firm.projects.all()[0]
    scoped = repo.facts_by_ids(ids, " AND d.project_id = ?", [p.id])
    assert set(scoped) == {i for i, d in rows.items() if d.project_id == p.id}


@pytest.mark.parametrize("mtime", [0.0, 1.0, 946684799.0, 946684800.0, 1709251199.5, 1709251200.0, 4102444800.0])
def test_document_year_is_the_utc_year(mtime: float) -> None:
    want = str(time.gmtime(mtime).tm_year) if mtime else ""
    assert document_year(None, mtime) == want
    assert document_year("2019-05-01", mtime) == "2019"


def test_page_hits_carry_whole_rows(firm) -> None:
    s = _service(firm)
    res = s.search_documents("design report", mode="lexical", limit=10)
    assert res.documents
    rows = DocumentRepo(s.store).by_ids([d.id for d in res.documents])
    for hit in res.documents:
        want = rows[hit.id].info_fields()
        got = hit.model_dump()
        for key, value in want.items():
            if key != "is_current":
                assert got[key] == value, key


def test_boost_reads_facts_and_rows_alike(firm) -> None:
    repo = DocumentRepo(firm.store)
    ids = [r[0] for r in firm.store.query("SELECT id FROM documents ORDER BY id LIMIT 300")]
    rows, facts = repo.by_ids(ids), repo.facts_by_ids(ids)
    for text in ("as built design rev 102", "CO2 report", "archive room 3 drawings", "design"):
        pq = parse_query(text)
        ctx = RankContext.of(pq, time.time(), {rows[ids[0]].code: 0.9}, {rows[ids[1]].code: 0.5})
        for i in ids:
            rows[i].is_current = facts[i].is_current = i % 3 == 0
            assert document_boost(rows[i], ctx) == document_boost(facts[i], ctx)


def _statements(store: Store, query: str, s: SearchService) -> list[str]:
    """The statements one lexical search runs on this thread (not the background builds')."""
    seen: list[str] = []
    me = threading.get_ident()
    # Set and cleared under the store's lock: ``set_trace_callback`` takes the connection's mutex while holding
    # the GIL, and a background build's statement holds that mutex while its trace call waits for the GIL (a
    # deadlock, seen once in CI); under the lock no statement of the store's is under way.
    with store._lock:
        store.conn.set_trace_callback(lambda sql: seen.append(sql) if threading.get_ident() == me else None)
    try:
        s.search_documents(query, mode="lexical")
    finally:
        with store._lock:
            store.conn.set_trace_callback(None)
    return seen


def test_one_search_reads_the_change_counters_once(firm) -> None:
    s = _service(firm)
    s.settle(60)  # the start-up builds done: only the search's own statements are traced
    s.search_documents("design report", mode="lexical")  # warm caches
    seen = _statements(s.store, "design report sales", s)
    # The counters were read by the first search: the store's generation says they have not moved.
    # (The page's rows carry them, read in their own statement: the proof the table matches the store.)
    assert sum(sql.startswith("SELECT name, n FROM search_versions") for sql in seen) == 0
    assert sum("FROM search_versions" in sql for sql in seen) == 1
    assert sum(sql == "PRAGMA data_version" for sql in seen) == 1  # pinned for the whole search
    with s.store.transaction() as c:  # an analytics event, say: the counters are read again
        c.execute("INSERT OR REPLACE INTO search_meta (key, value) VALUES ('unrelated', '2')")
    seen = _statements(s.store, "design report sales", s)
    assert sum(sql.startswith("SELECT name, n FROM search_versions") for sql in seen) == 1
    versions = Versions(s.store)
    with versions.pinned():
        first = versions.get()
        with s.store.transaction() as c:
            c.execute("UPDATE search_versions SET n = n + 1 WHERE name = 'documents'")
        assert versions.get() == first  # pinned for the whole search
    assert versions.get() != first
