"""Misspelt words' close vocabulary words are remembered for the project list they were found in:
asked again, the same matches without a new fuzzy pass; a changed list starts afresh."""

from __future__ import annotations

from pathlib import Path

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm

ENV = {"QUICKNAV_EMBED_MODEL": "none"}


def test_fuzzy_matches_are_remembered_per_project_list(tmp_path: Path) -> None:
    root = tmp_path / "firm"
    generate_firm(root, projects=6, seed=7, content=False)
    with App.open(load_config(db=tmp_path / "q.db", roots=[root], env=ENV)) as app:
        app.indexing.reindex()
        projects = app.projects
        name = max(projects.all(), key=lambda r: len(r.name)).name
        word = max((w for w in name.lower().split() if w.isalpha() and len(w) >= 6), key=len)
        typo = word[:2] + word[3] + word[2] + word[4:]  # one slip
        first = projects.search(typo)
        assert first and all(m.why == "fuzzy" for m in first)
        vocab, memo = projects._similar
        assert vocab is projects._vocab and typo in memo
        assert projects.search(typo) == first  # answered from the memo
        assert projects._similar[1] is memo
        # A new project list: the memo of the old one is not read.
        (root / "99999 Zzyzx Annex").mkdir()
        app.indexing.reindex()
        assert projects.search(typo) == first
        assert projects._similar[0] is projects._vocab is not vocab
