"""Concepts said in words the thesaurus does not list, found by the embedding model's relations."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from quicknav_mcp.search.thesaurus import plainly
from quicknav_mcp.search.thesaurus_model import ModelThesaurus


class _Encoder:
    """Words as axes; a few unlisted words point where a model would put them ("revamp" near the
    refurbishment phrases), one between two concepts ("hall" words alike)."""

    name = "bag"
    near: ClassVar[dict[str, str]] = {"expo": "exhibition", "titivating": "refurbishment", "salon": "hall"}

    def __init__(self) -> None:
        self.axes: dict[str, int] = {}
        self.calls = 0

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        self.calls += 1
        rows = []
        for text in texts:
            v: dict[int, float] = {}
            for w in text.lower().split():
                w = self.near.get(w, w)
                i = self.axes.setdefault(w, len(self.axes))
                v[i] = v.get(i, 0.0) + 1.0
            rows.append(v)
        out = np.zeros((len(texts), 4096), np.float32)
        for r, v in enumerate(rows):
            for i, x in v.items():
                out[r, i] = x
        return out


def test_unlisted_words_name_the_concept_the_model_puts_them_near() -> None:
    related = ModelThesaurus()
    enc = _Encoder()
    found = related.found("the titivating of the expo centre", enc)
    assert [c for c, _, _ in found] == ["refurbishment", "conference centre"]
    # Said by their own names, as the listed phrases are.
    assert plainly("the titivating of the expo centre", None, found) == "the refurbishment of the conference centre"


def test_listed_filler_and_generic_words_are_not_asked() -> None:
    related = ModelThesaurus()
    enc = _Encoder()
    related.phrases(enc)
    calls = enc.calls
    # A listed phrase, filler and head words alone: nothing to embed, nothing found.
    assert related.found("can you pull up the boardroom refurbishment job", enc) == []
    assert related.found("the big room on level 3", enc) == []
    assert enc.calls == calls
    # Runs are kept: the same request again embeds nothing.
    related.found("expo centre", enc)
    calls = enc.calls
    assert related.found("expo centre", enc)
    assert enc.calls == calls


def test_a_word_near_no_concept_or_several_names_none() -> None:
    related = ModelThesaurus()
    enc = _Encoder()
    assert related.found("galvanising", enc) == []  # near nothing
    # As near a town hall as an exhibition hall or a concert hall: too close to call.
    assert related.found("salon", enc) == []
    assert [c for c, _, _ in related.found("expo", enc)] == ["conference centre"]


def test_a_failing_model_leaves_the_listed_phrases() -> None:
    class Broken(_Encoder):
        def encode(self, texts: list[str], **_: object) -> np.ndarray:
            raise RuntimeError("model gone")

    assert ModelThesaurus().found("the titivating of the expo centre", Broken()) == []
