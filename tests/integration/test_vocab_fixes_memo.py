"""A word's typo fixes are remembered by the vocabulary snapshot they were found in: asked again
(with any limit), the same fixes as working them out afresh; a new snapshot starts empty."""

from __future__ import annotations

from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.search.vocab import Vocabulary, max_edits

ENV = {"QUICKNAV_EMBED_MODEL": "none"}


def afresh(vocab: Vocabulary, word: str, limit: int) -> list[tuple[str, float]]:
    """The fixes worked out over the snapshot's words with no memo."""
    snap = vocab.snapshot()
    edits = max_edits(word)
    candidates = [w for n in range(len(word) - edits, len(word) + edits + 1) for w in snap.by_len.get(n, ())]
    found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=edits, limit=24)
    ranked = sorted(found, key=lambda f: (f[1], f[0][:1] != word[:1], -snap.df.get(f[0], 0)))
    return [(w, round(100 * (1 - d / max(len(w), len(word))), 1)) for w, d, _ in ranked[:limit]]


def test_fixes_are_remembered_per_snapshot(tmp_path: Path) -> None:
    root = tmp_path / "firm"
    generate_firm(root, projects=8, seed=7, content=False)
    with App.open(load_config(db=tmp_path / "q.db", roots=[root], env=ENV)) as app:
        app.indexing.reindex()
        vocab = Vocabulary(app.store, min_interval=0)
        snap = vocab.snapshot()
        words = sorted(w for w in snap.df if len(w) >= 6 and w.isalpha())[:12]
        slips = [w[:2] + w[3] + w[2] + w[4:] for w in words] + [w[:-1] for w in words] + ["zzqxwv", "abcd"]
        for _ in range(2):  # worked out, then remembered
            for word in slips:
                for limit in (3, 1, 2, 24):
                    assert vocab.corrections(word, limit=limit) == afresh(vocab, word, limit), word
        assert set(slips) <= set(snap.close)
        assert any(vocab.corrections(w) for w in slips)
        (root / "99999 Zzyzx Annex").mkdir()
        app.indexing.reindex()
        assert vocab.snapshot() is not snap and not vocab.snapshot().close
        assert vocab.corrections(slips[0]) == afresh(vocab, slips[0], 2)
