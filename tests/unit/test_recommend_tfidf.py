"""The content recommender's TF-IDF: scikit-learn's TfidfVectorizer's rows, computed without importing it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from quicknav_mcp.recommend.content import STOP_WORDS
from quicknav_mcp.recommend.tfidf import TOKEN, grams, tfidf

WORDS = ["room", "mtr", "upgrade", "qps", "downer", "boardroom", "level", "rev", "the", "and", "x1", "a", "b2b"]
WORDS += ["ÉCOLE", "café", "tr", "l1", "pool", "werx", "20692", "design", "poolwerx", "council", "chamber", "-", "&"]
#: (min_df, max_df, max_features): the recommender's two settings, a cut with ties, shares of the texts.
SETTINGS = [(1, 1.0, None), (2, 0.5, 50_000), (2, 0.5, 6), (1, 1.0, 3), (0.1, 0.9, 7), (1, 2, None)]


def _sklearn(texts: list[str], min_df: float, max_df: float, max_features: int | None) -> tuple[list[str], object]:
    vec = TfidfVectorizer(
        lowercase=True,
        token_pattern=TOKEN.pattern,
        stop_words=sorted(STOP_WORDS),
        ngram_range=(1, 2),
        min_df=min_df,
        max_df=max_df,
        sublinear_tf=True,
        max_features=max_features,
        dtype=np.float32,
    )
    x = vec.fit_transform(texts).tocsr()
    x.sort_indices()
    return list(vec.get_feature_names_out()), x


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join), min_size=1, max_size=30),
    st.sampled_from(SETTINGS),
)
def test_the_rows_are_scikit_learns(texts: list[str], setting: tuple) -> None:
    min_df, max_df, max_features = setting
    try:
        terms, x = _sklearn(texts, min_df, max_df, max_features)
    except ValueError:  # nothing left: both say so
        with pytest.raises(ValueError):
            tfidf(texts, stop_words=STOP_WORDS, min_df=min_df, max_df=max_df, max_features=max_features)
        return
    rows = tfidf(texts, stop_words=STOP_WORDS, min_df=min_df, max_df=max_df, max_features=max_features)
    assert rows.terms == terms  # the same features kept, ties at the cut included, in the same order
    assert rows.shape == x.shape
    assert np.array_equal(rows.indptr, x.indptr) and np.array_equal(rows.indices, x.indices)
    assert rows.data.dtype == np.float32
    np.testing.assert_allclose(rows.data, x.data, rtol=0, atol=1e-6)


def test_words_and_pairs() -> None:
    # One letter, a leading digit, a non-ASCII letter: no word, as the token pattern reads them.
    assert grams("The QPS MTR-room x 20692 rev2 Café", frozenset({"the"})) == [
        "qps",
        "mtr",
        "room",
        "rev2",
        "qps mtr",
        "mtr room",
        "room rev2",
    ]


@pytest.mark.parametrize(
    ("texts", "settings", "why"),
    [
        (["the and", "x 1 22"], {}, "empty vocabulary"),
        (["", ""], {}, "empty vocabulary"),
        (["room", "mtr"], {"min_df": 2}, "no terms remain"),
        (["room", "room"], {"min_df": 3, "max_df": 2}, "fewer documents than min_df"),
    ],
)
def test_nothing_to_weigh_is_an_error_that_says_why(texts: list[str], settings: dict, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        tfidf(texts, stop_words=STOP_WORDS, **settings)


def test_fitting_the_recommender_imports_no_scikit_learn() -> None:
    """It cost a serving process's first recommendation ~1.6 s and ~97 MB."""
    code = (
        "import sys\n"
        "from quicknav_mcp.recommend.content import fit_content\n"
        "from quicknav_mcp.services.corpus import ProjectText\n"
        "texts = {c: ProjectText(c, f'{c} - QPS MTR room {c}', 'QPS', [], 'Room upgrade', [f'{c} - Rev {r}.pdf' "
        "for r in range(3)], '') for c in ('17741', '17742', '17743')}\n"
        "assert fit_content(texts) is not None\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stderr
