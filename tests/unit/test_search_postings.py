"""The in-memory postings rank as plain exhaustive BM25 does: every match scored with FTS5's formula,
best first, ties by lower id, the newest ``budget`` matches only when there are more."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from quicknav_mcp.search.doc_postings import K1, B, DocPostings, _Index


def _index(rng: random.Random, size: int, terms: int) -> _Index:
    """Random postings over ``size`` document ids (some ids unused), small integer frequencies
    (often equal, so ties are common)."""
    length = np.array([rng.randint(1, 12) if rng.random() < 0.9 else 0 for _ in range(size)], np.float64)
    postings: dict[str, dict[int, float]] = {}
    for n in range(terms):
        share = rng.choice([0.02, 0.1, 0.4, 0.9])
        held = [d for d in range(size) if length[d] and rng.random() < share]
        postings[f"w{n}"] = {d: float(rng.choice([1, 1, 2, 3, 10])) for d in held}
    return _built(postings, length)


def _built(postings: dict[str, dict[int, float]], length: np.ndarray) -> _Index:
    """A copy of these postings (term -> document -> frequency) over rows of these lengths (0: unused)."""
    names = sorted(postings)
    offsets, docs, freq = [0], [], []
    for t in names:
        docs += sorted(postings[t])
        freq += [postings[t][d] for d in sorted(postings[t])]
        offsets.append(len(docs))
    live = int((length > 0).sum())
    return _Index(
        key=(),
        terms=names,
        slot={t: i for i, t in enumerate(names)},
        offsets=np.array(offsets, np.int64),
        docs=np.array(docs, np.int32),
        freq=np.array(freq, np.float32),
        length=length,
        rows=live,
        avgdl=float(length.sum()) / live,
    )


def _exhaustive(index: _Index, groups: list[list[str]], limit: int, every_word: bool, budget: int | None) -> list[int]:
    """Every matching document scored one by one (the phrases in expression order), fully sorted."""
    held = [[dict(zip(*(a.tolist() for a in index.postings(t)), strict=True)) for t in g] for g in groups]
    ids = range(len(index.length))
    test = all if every_word else any
    matched = [d for d in ids if test(any(d in p for p in g) for g in held)]
    if budget is not None and len(matched) > budget:
        matched = matched[-budget:]
    scored = []
    for d in matched:
        norm = K1 * (1 - B + B * index.length[d] / index.avgdl)
        score = 0.0
        for g in held:
            for p in g:
                idf = math.log((index.rows - len(p) + 0.5) / (len(p) + 0.5))
                idf = idf if idf > 0.0 else 1e-6
                f = p.get(d, 0.0)
                if p:
                    score += idf * ((f * (K1 + 1.0)) / (f + norm))
        scored.append((-score, d))
    scored.sort()
    return [d for _, d in scored[:limit]]


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("ways", ["as set", "marked, spread", "merged, looked up"])
def test_top_k_equals_exhaustive_scoring(seed: int, ways: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way of finding the matches (merged or marked unions) and their frequencies (binary
    search or spread over a row array) gives the exhaustive answer."""
    from quicknav_mcp.search import postings_rank

    if ways == "marked, spread":
        monkeypatch.setattr(postings_rank, "MERGE_MAX", 0)
        monkeypatch.setattr(postings_rank, "SEARCH_RATIO", 1 << 30)
    elif ways == "merged, looked up":
        monkeypatch.setattr(postings_rank, "MERGE_MAX", 1 << 30)
        monkeypatch.setattr(postings_rank, "SEARCH_RATIO", 0)
    rng = random.Random(seed)
    index = _index(rng, rng.choice([50, 300, 1500]), 8)
    for _ in range(10):
        groups = [rng.sample(index.terms, rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
        lists = [[index.postings(t) for t in g] for g in groups]
        every_word = rng.random() < 0.5
        limit = rng.choice([1, 5, 20, 200])
        budget = rng.choice([None, None, 10, 100])
        got = DocPostings._ranked(index, lists, limit, every_word=every_word, budget=budget)
        assert got == _exhaustive(index, groups, limit, every_word, budget), (groups, every_word, limit, budget)


def test_ties_at_the_cut_keep_the_lowest_ids() -> None:
    size = 100
    index = _Index(
        key=(),
        terms=["a"],
        slot={"a": 0},
        offsets=np.array([0, size], np.int64),
        docs=np.arange(size, dtype=np.int32),
        freq=np.ones(size, np.float32),
        length=np.full(size, 4.0),
        rows=size * 4,
        avgdl=4.0,
    )
    lists = [[index.postings("a")]]
    assert DocPostings._ranked(index, lists, 7, every_word=True, budget=None) == list(range(7))
    assert DocPostings._ranked(index, lists, 7, every_word=True, budget=20) == list(range(80, 87))


def test_reused_work_arrays_give_the_answers_of_fresh_ones() -> None:
    """Rankings over indexes of different sizes, one after another and from several threads, share
    the kept work arrays: each answer is the exhaustive one, the kept ``dense`` arrays are all zeros
    afterwards, and no more than ``SCRATCH_KEPT`` sets are kept."""
    import threading

    from quicknav_mcp.search.postings_rank import SCRATCH_KEPT, SCRATCH_SIZES, Scratch

    rng = random.Random(99)
    indexes = [_index(rng, size, 6) for size in (40, 700, 40, 1200)]
    cases = []
    for index in indexes:
        for _ in range(6):
            groups = [rng.sample(index.terms, rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
            every_word = rng.random() < 0.5
            cases.append((index, groups, every_word, _exhaustive(index, groups, 20, every_word, None)))
    failures: list[object] = []

    def run(order: list[int]) -> None:
        for k in order:
            index, groups, every_word, expect = cases[k]
            lists = [[index.postings(t) for t in g] for g in groups]
            got = DocPostings._ranked(index, lists, 20, every_word=every_word, budget=None)
            if got != expect:
                failures.append((groups, every_word))

    threads = [threading.Thread(target=run, args=(rng.sample(range(len(cases)), len(cases)),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run(list(range(len(cases))))
    assert not failures
    kept = [s for sets in Scratch._pool.values() for s in sets]
    assert len(kept) >= 1 and all(len(sets) <= SCRATCH_KEPT for sets in Scratch._pool.values())
    assert len(Scratch._pool) <= SCRATCH_SIZES
    assert all(not s.dense.any() for s in kept)


@pytest.mark.parametrize("seed", range(6))
def test_a_prefix_holds_every_document_of_its_words_with_their_summed_frequencies(seed: int) -> None:
    """``core*`` stands for every indexed word starting with ``core`` (summed per document), on the
    reused work arrays: asked twice in a row and between other rankings, the same answer."""
    rng = random.Random(seed)
    index = _index(rng, rng.choice([60, 900]), 14)  # w0..w13: "w1*" is w1 and w10..w13
    for core in ("w", "w1", "w3", "w13", "x"):
        expect: dict[int, float] = {}
        for n, term in enumerate(index.terms):
            if term.startswith(core):
                docs, freq = index._one(n)
                for d, f in zip(docs.tolist(), freq.tolist(), strict=True):
                    expect[d] = expect.get(d, 0.0) + f
        for _ in range(2):
            docs, freq = index.postings(core + "*")
            assert docs.tolist() == sorted(expect)
            assert freq.tolist() == [expect[d] for d in sorted(expect)]
            lists = [[index.postings(t) for t in rng.sample(index.terms, 2)]]
            DocPostings._ranked(index, lists, 5, every_word=False, budget=None)


def test_indexes_of_two_sizes_each_reuse_their_own_work_arrays() -> None:
    from quicknav_mcp.search.postings_rank import Scratch

    Scratch._pool.clear()
    big, small = Scratch.take(5000), Scratch.take(40)
    big.give_back()
    small.give_back()
    assert Scratch.take(5000) is big  # a small index's search did not throw the large arrays away
    assert Scratch.take(40) is small


def test_no_groups_or_an_empty_group_match_nothing() -> None:
    from quicknav_mcp.search.postings_rank import Scratch, _any_matched, _matched

    scratch = Scratch.take(10)
    try:
        held = [(np.array([1, 4], np.int32), np.ones(2))]
        assert len(_matched([], scratch)) == 0
        assert len(_any_matched([], scratch, None)) == 0
        assert len(_matched([held, []], scratch)) == 0
        assert list(_any_matched([held, []], scratch, None)) == [1, 4]
    finally:
        scratch.give_back()


@pytest.mark.parametrize("budget", [1, 7, 40, 130, 400])
def test_any_word_budget_reads_spans_of_the_newest_ids_until_enough(budget: int) -> None:
    """The newest ``budget`` matches of any word, found span by span from the newest id: with words
    only old documents hold, a newest span holding none, and sparse words that take several spans,
    the same ranking as scoring every match."""
    size = 3000
    held = {
        "a": list(range(0, size, 97)),  # sparse over every id
        "b": list(range(2900, 2990)),  # the newest ids only
        "c": list(range(0, 31)),  # the oldest only
        "d": [5, 1700, 2999],
    }
    postings = {t: {d: float(1 + (d * 7 + n) % 4) for d in held[t]} for n, t in enumerate(sorted(held))}
    index = _built(postings, np.array([1.0 + d % 9 for d in range(size)]))
    for groups in (["a", "b", "c"], ["c", "a"], ["a"], ["d", "c"], ["c"], ["d", "a", "b"]):
        gs = [[t] for t in groups]
        got = DocPostings._ranked(index, index.lists(gs), 50, every_word=False, budget=budget)
        assert got == _exhaustive(index, gs, 50, False, budget), (groups, budget)


def test_a_word_in_two_groups_is_scored_in_each() -> None:
    """A phrase two groups share (an abbreviation of two words) is the same postings, counted once per group."""
    rng = random.Random(5)
    index = _index(rng, 400, 5)
    groups = [["w0", "w1"], ["w2", "w1"], ["w3"]]
    lists = index.lists(groups)
    assert lists[0][1] is lists[1][1]
    for every_word in (True, False):
        for budget in (None, 30):
            got = DocPostings._ranked(index, lists, 25, every_word=every_word, budget=budget)
            assert got == _exhaustive(index, groups, 25, every_word, budget)


def test_a_share_is_the_written_formula_to_the_last_bit() -> None:
    """The in-place share gives the very floats of ``idf * ((f * (k1 + 1)) / (f + norm))``, so
    either scoring walk sums the same values."""
    from quicknav_mcp.search.postings_rank import _share

    rng = np.random.default_rng(7)
    f = rng.integers(0, 40, 5000).astype(np.float64)
    norm = K1 * (1 - B + B * rng.uniform(0.01, 30.0, 5000) / 7.3)
    idf = 3.7172843
    written = idf * ((f * (K1 + 1.0)) / (f + norm))
    assert _share(f.copy(), norm.copy(), idf).tobytes() == written.tobytes()


@pytest.mark.parametrize("budget", [None, 5, 60])
def test_one_phrase_of_any_word_scores_as_on_the_row_array(budget: int | None) -> None:
    """One phrase alone: its share is each match's score, the very floats of adding it on the zeroed
    row array (as several phrases are scored), and the row array is left untouched."""
    from quicknav_mcp.search.postings_rank import Scratch, _any_matched, _any_scores, _idf, _share

    index = _index(random.Random(11), 400, 6)
    scratch = Scratch(len(index.length))
    for t in index.terms:
        docs, freq = index.postings(t)
        lists = [[(docs, freq)], [(docs[:0], freq[:0])]]  # (an empty phrase adds nothing)
        matched = _any_matched(lists, scratch, budget)
        dense = np.zeros(len(index.length), np.float64)
        dense[docs] += _share(freq.astype(np.float64), index.norm[docs], _idf(index, len(docs)))
        got = _any_scores(index, lists, matched, scratch.dense)
        assert got.tobytes() == dense[matched].tobytes() and not scratch.dense.any()
