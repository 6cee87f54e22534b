"""Query understanding, FTS5 expression building (fuzzed), highlights and rank fusion."""

from __future__ import annotations

import sqlite3 as std_sqlite

import pytest
import sqlean
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.search.highlight import content_snippet, highlight
from quicknav_mcp.search.query import MAX_TERMS, match_expression, parse_date_value, parse_query
from quicknav_mcp.search.ranking import rrf
from quicknav_mcp.search.text import fts_quote, tokens


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("21614", ["21614"]),
        ("PAVS20699", ["20699"]),
        ("PAVS-20692 quote", ["20692"]),
        ("Q-04974", []),
        ("PURCHASE_94566", []),
        ("17741 and 20692", ["17741", "20692"]),
    ],
)
def test_project_codes_glued_and_not_codes(text: str, codes: list[str]) -> None:
    assert parse_query(text).codes == codes


def test_family_words_and_as_built_become_filters_not_words() -> None:
    pq = parse_query("21614 as built design")
    assert pq.codes == ["21614"]
    assert pq.as_built is True
    assert "lld" in pq.doc_types
    assert pq.terms == []


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("LLD", "lld"),
        ("latest drawings", "lld"),
        ("change order", "change_order"),
        ("variation", "change_order"),
        ("PO", "purchase_order"),
        ("swms", "swms"),
        ("supplier quote", "supplier_quotes"),
        ("sales & po report", "sales_po"),
        ("commissioning results", "qa_itp"),
        ("floor plan level 3", "floor_plans"),
    ],
)
def test_doc_type_synonyms(text: str, family: str) -> None:
    assert family in parse_query(text).doc_types


@pytest.mark.parametrize(
    ("text", "rev"),
    [("rev 102", 102), ("Rev102", 102), ("rev 1.02", 102), ("REVISION 203", 203), ("rev 5", 5)],
)
def test_revision(text: str, rev: int) -> None:
    pq = parse_query(f"20692 {text}")
    assert pq.revision == rev
    assert pq.codes == ["20692"]
    assert not any(t.startswith("rev") for t in pq.terms)


@pytest.mark.parametrize(("text", "room"), [("room 12", 12), ("R12", 12), ("rm 5", 5), ("Room12 screen", 12)])
def test_room(text: str, room: int) -> None:
    assert parse_query(text).room == room


@pytest.mark.parametrize(
    ("text", "co"), [("CO5", 5), ("co 7", 7), ("change order 15", 15), ("Change+Order+15", 15), ("variation 3", 3)]
)
def test_change_order_numbers(text: str, co: int) -> None:
    pq = parse_query(text)
    assert pq.change_order == co
    assert "change_order" in pq.doc_types


def test_co_inside_words_is_not_a_change_order() -> None:
    pq = parse_query("Collab Core room")
    assert pq.change_order is None
    assert {"collab", "core"} <= set(pq.terms)


def test_phrases_filters_and_plain_words() -> None:
    pq = parse_query('"hearing loop" type:swms project:18810 ext:.PDF after:2024-03 tesira')
    assert pq.phrases == [["hearing", "loop"]]
    assert pq.filters == {"doc_type": ["swms"], "project": ["18810"], "ext": ["pdf"], "after": ["2024-03"]}
    assert pq.terms == ["tesira"]


def test_unknown_key_colon_is_text_and_bad_filter_values_are_clear_errors() -> None:
    assert "http" in parse_query("http://example").terms
    with pytest.raises(InvalidInput, match="unknown document type"):
        parse_query("type:spaceship")
    with pytest.raises(InvalidInput, match="5-digit"):
        parse_query("project:12")
    with pytest.raises(InvalidInput, match="date"):
        parse_query("after:yesterday")


def test_dates_day_first_and_periods() -> None:
    assert parse_date_value("05/03/2024") == parse_date_value("2024-03-05")
    assert parse_date_value("2024", end=True) > parse_date_value("2024-12-31")


def test_current_words_and_stopwords() -> None:
    pq = parse_query("show me the latest sales po report for poolwerx")
    assert pq.wants_current
    assert pq.terms == ["poolwerx"]
    assert "sales_po" in pq.doc_types


@pytest.mark.parametrize(
    "text",
    ['"', "*", "NEAR(", "a - b", ":", "^x", '"unbalanced', "AND OR", "NOT", "col:val", "a*b", "(x", "{a b}:c"],
)
def test_fts_syntax_is_neutralised(text: str) -> None:
    pq = parse_query(text)
    expr = match_expression([[t] for t in pq.terms], pq.phrases)
    if expr is not None:
        _fts_accepts(expr)


def test_too_long_is_cut_with_a_note_and_control_characters() -> None:
    pq = parse_query("poolwerx training room " * 500)  # 11,500 characters: cut, not refused
    assert len(pq.text) <= 1000 and pq.text.split()[-1] in {"poolwerx", "training", "room"}  # a whole word
    assert pq.terms == ["poolwerx", "training", "room"]
    assert any("cut to its first" in n for n in pq.notes)
    assert parse_query("x" * 10_000).notes
    assert parse_query("pool\x00\x07werx\x1b").terms == ["poolwerx"]
    assert parse_query("   ").empty


def test_many_quoted_phrases_are_bounded_with_a_note() -> None:
    pq = parse_query('"hearing loop" ' * 60)
    assert sum(len(p) for p in pq.phrases) <= MAX_TERMS
    assert any("quoted phrases were searched" in n for n in pq.notes)
    pq = parse_query('"hearing loop" "sales po" poolwerx')
    assert pq.phrases == [["hearing", "loop"], ["sales", "po"]] and not pq.notes


def test_mixed_scripts_are_words() -> None:
    pq = parse_query("项目 プロジェクト Café 🚀")
    assert "cafe" in pq.terms
    assert "项目" in pq.terms


def _fts_accepts(expr: str) -> None:
    conn = sqlean.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO t (a) VALUES ('poolwerx training room')")
    conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (expr,)).fetchall()


_PIECES = [*"abcXYZ019 \"*^:-()+.,'\\/_~&#@!\n\t\x00\u00e9\u4e2d", "NEAR", "AND", "OR", "NOT", "type:", "rev ", "CO"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_fuzz_parser_never_leaks_fts_syntax(text: str) -> None:
    try:
        pq = parse_query(text)
    except InvalidInput:
        return  # a malformed explicit filter: a clear error is fine
    for t in pq.terms + [w for p in pq.phrases for w in p]:
        assert t and all(ch.isalnum() for ch in t), t
    groups = [[t, t + "*"] for t in pq.terms]
    for mode in ("and", "or"):
        expr = match_expression(groups, pq.phrases, mode=mode)
        if expr is not None:
            _fts_accepts(expr)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_fuzz_any_unicode(text: str) -> None:
    try:
        pq = parse_query(text)
    except InvalidInput:
        return
    expr = match_expression([[t] for t in pq.terms], pq.phrases)
    if expr is not None:
        _fts_accepts(expr)


def test_fts_quote_doubles_quotes() -> None:
    assert fts_quote('a"b') == '"a""b"'
    assert tokens("Rev_102+CO5 Café") == ["rev", "102", "co5", "cafe"]


def test_highlight_and_snippet() -> None:
    assert highlight("21614 - PoolWerx Training", ["poolwerx"]) == "21614 - **PoolWerx** Training"
    assert highlight("Poolwerx", [], ["pool"]) == "**Poolwerx**"
    text = "intro " * 50 + "the Biamp Tesira Forte DSP in the rack " + "outro " * 50
    snip = content_snippet(text, {"tesira", "biamp"})
    assert "**Tesira**" in snip and "**Biamp**" in snip and len(snip) < 260
    assert content_snippet(text, {"absent"}) == ""


def test_rrf_rewards_agreement_and_rank() -> None:
    scores, sources = rrf([("a", 1.0, [1, 2, 3]), ("b", 1.0, [3, 1]), ("c", 0.5, [4])])
    assert max(scores, key=scores.get) == 1
    assert sources[3] == ["a", "b"]
    assert scores[4] < scores[2]


def test_std_sqlite_is_not_needed() -> None:
    assert std_sqlite.sqlite_version  # the test above uses sqlean, as the store does


def _rrf_one_by_one(lists, k=60):
    """The fusion id by id (what ``rrf`` computes with C loops): the reference it must equal."""
    scores: dict[int, float] = {}
    sources: dict[int, list[str]] = {}
    for name, weight, ids in lists:
        seen: set[int] = set()
        for rank, item in enumerate(ids, start=k + 1):
            if item in seen:
                continue
            seen.add(item)
            if item in scores:
                scores[item] = scores[item] + weight / rank
                sources[item].append(name)
            else:
                scores[item] = weight / rank
                sources[item] = [name]
    return scores, sources


def test_rrf_equals_the_fusion_id_by_id_to_the_last_bit() -> None:
    import random

    rng = random.Random(5)
    for _ in range(300):
        lists = []
        for n in range(rng.randint(0, 5)):
            ids = [rng.randint(0, 80) for _ in range(rng.randint(0, 60))]  # repeats: only the first counts
            if rng.random() < 0.5:
                ids = list(dict.fromkeys(ids))
            lists.append((f"list{n}", rng.choice([1.0, 0.35, 0.5, 0.7, 0.8, 0.2, 1]), ids))
        scores, sources = rrf(lists)
        want, want_sources = _rrf_one_by_one(lists)
        assert list(scores.items()) == list(want.items())  # same floats, same order
        assert dict(sources) == want_sources and len(sources) == len(want_sources)
        assert all(sources.get(i) == want_sources.get(i) for i in range(-1, 82))
        assert all((i in sources) == (i in want_sources) for i in range(-1, 82))


def test_rrf_kept_shares_are_the_divisions_of_every_call() -> None:
    """The shares kept per weight (long lists grow them; int and NaN weights, and more weights than
    are kept) fuse to the same floats and order as dividing for every id."""
    import math

    from quicknav_mcp.search import ranking

    ranking._SHARES.clear()
    long = list(range(700, 0, -1))  # past the first shares kept: they grow
    for lists in (
        [("a", 0.5, long[:10]), ("b", 0.5, long), ("c", 1, long[:300]), ("d", 1.0, long[:300])],
        [("a", 0.35, [3, 1, 3, 2]), ("b", 0.35, [*long[:5], 5, 4])],
        [(f"w{n}", 0.01 * n, long[: n * 7]) for n in range(1, ranking.SHARES_KEPT + 6)],
    ):
        scores, sources = rrf(lists)
        want, want_sources = _rrf_one_by_one(lists)
        assert list(scores.items()) == list(want.items())
        assert dict(sources) == want_sources
    assert len(ranking._SHARES) <= ranking.SHARES_KEPT
    scores, _ = rrf([("n", math.nan, [1, 2])])
    assert all(math.isnan(v) for v in scores.values())
    assert len(rrf([("k", 1.0, [4, 5])], k=0)[0]) == 2 and rrf([("k", 1.0, [4])], k=0)[0][4] == 1.0


def test_ascii_text_is_tokenised_as_every_text_is() -> None:
    """``tokens``/``token_spans`` lower-case ASCII text whole: the same tokens and places as folding each."""
    import random
    import string

    from quicknav_mcp.search.text import _TOKEN, fold_token, token_spans

    rng = random.Random(3)
    alphabet = string.printable + "ÉéçÆ_+"
    ascii_ = "".join(map(chr, range(128)))  # every ASCII character (read by bytes)
    for n in range(3000):
        chars = (string.printable, alphabet, ascii_)[n % 3]
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 40)))
        assert tokens(text) == [fold_token(t) for t in _TOKEN.findall(text)], text
        assert token_spans(text) == [(m.start(), m.end(), fold_token(m.group())) for m in _TOKEN.finditer(text)]
    for text in ("a a-a_aa a", "  room Room ROOM2 room ", "", "__", "L3 l3l3 L3", "rev2 rev 2 rev2"):  # repeats
        assert token_spans(text) == [(m.start(), m.end(), fold_token(m.group())) for m in _TOKEN.finditer(text)]


def test_did_you_mean_replaces_the_first_whole_word_in_any_case() -> None:
    """``replace_word`` replaces the first whole-word match only: not inside a longer word or code,
    "_" and punctuation end a word, case does not matter, and non-ASCII letters are letters."""
    from quicknav_mcp.search.understood import replace_word

    assert replace_word("Poolwrex TR poolwrex", "poolwrex", "poolwerx") == "poolwerx TR poolwrex"
    assert replace_word("xpoolwrex poolwrex_1", "poolwrex", "poolwerx") == "xpoolwrex poolwerx_1"
    assert replace_word("poolwrex2 (POOLWREX)", "poolwrex", "poolwerx") == "poolwrex2 (poolwerx)"
    assert replace_word("Café bundal", "bundal", "bundall") == "Café bundall"
    assert replace_word("éroom room", "room", "rooms") == "éroom rooms"
    assert replace_word("no match here", "roomz", "room") == "no match here"
    assert replace_word("a.b a-b", "a.b", "x") == "x a-b"  # (the word is matched as written, not as a pattern)
