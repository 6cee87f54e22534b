"""Project summaries: a description from the documents' names, salient terms, chunk vectors, the boost."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from quicknav_mcp.search.alternatives import spelled_out
from quicknav_mcp.search.project_about import ProjectAbout, boost, description, salient_terms
from quicknav_mcp.search.query import parse_query


def test_description_is_the_run_most_document_names_share() -> None:
    names = [
        "17530 - Greenleaf - Workspace & Hearing Loop Projector Replacement - Proposal Rev2.pdf",
        "17530 - Greenleaf Workspace and Hearing Loop Projector Replacement - SWMs.pdf",
        "17530 - GRNLF - Workspace & Hearing Loop Projector Replacement - Sales & PO Report.pdf",
        "17530 - GRNLF 246 QUEEN ST - GROUND FLOOR - Rev 103.pdf",
        "17530 - GRNLF 246 QUEEN ST - GROUND FLOOR - Rev 104.pdf",
        "17530 - GRNLF 246 QUEEN ST - LEVEL 2 - Rev 101.pdf",
        "IMG_1230.jpg",
    ]
    excluded = {"17530", "greenleaf", "grnlf"}
    assert description(names, excluded) == "workspace hearing loop projector replacement"
    # The folder's own words decide between runs as common as each other.
    even = ["Boardroom Refit - A.pdf", "Boardroom Refit - B.pdf", "Stage Two Works - A.pdf", "Stage Two Works - B.pdf"]
    assert description(even, set(), "boardroom refit") == "boardroom refit"
    assert description(even, set(), "stage two works") == "stage two works"
    assert description(["IMG_1.jpg", "IMG_2.jpg"], set()) == ""


def test_salient_terms_weigh_what_sets_a_project_apart() -> None:
    docs = {
        1: [{"boardroom", "refurbishment", "brisbane"}, {"boardroom", "brisbane", "display"}],
        2: [{"training", "room", "display"}, {"training", "display"}],
        3: [{"auditorium", "display"}],
    }
    terms = salient_terms(docs)
    assert set(terms[1]) >= {"boardroom", "brisbane"} and "display" not in terms[1]
    assert max(terms[2], key=terms[2].get) == "training"


def test_salient_terms_do_not_depend_on_string_hashing() -> None:
    """Words of equal weight are cut at the limit alphabetically: a project's documents give their words
    as sets, whose order changes with each process's string hashing (PYTHONHASHSEED), and the terms
    feed the summaries' chunk texts, so a tie broken by that order changed search from run to run."""
    import json
    import subprocess
    import sys

    code = (
        "import json; from quicknav_mcp.search.project_about import salient_terms\n"
        "docs = {1: [set('alpha bravo charlie delta echo foxtrot golf hotel'.split())], 2: [{'kilo'}], 3: [{'lima'}]}\n"
        "print(json.dumps(list(salient_terms(docs, limit=3)[1].items())))"
    )
    runs = {
        seed: subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": seed}
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(set(runs.values())) == 1, runs
    assert [w for w, _ in json.loads(runs["1"])] == ["alpha", "bravo", "charlie"]


def test_folder_descriptions_are_spelled_out() -> None:
    assert spelled_out("Collab MR inst L2") == "collab meeting room installation level 2"
    assert spelled_out("GC BR Refurb") == "gc boardroom refurbishment"


def test_ordinal_floors_are_levels() -> None:
    assert parse_query("the conference centre on the fourth floor").level == 4
    assert parse_query("3rd storey fitout").level == 3
    assert parse_query("the third change order").level is None


class _Encoder:
    """Bag-of-words vectors over a fixed vocabulary: "meaning" a test can reason about."""

    name = "bag"
    vocab = ("boardroom", "directors", "training", "classroom", "refurbishment", "refit", "auditorium")
    same: ClassVar[dict[str, str]] = {"directors": "boardroom", "classroom": "training", "refit": "refurbishment"}

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        out = np.zeros((len(texts), len(self.vocab)), np.float32)
        for i, text in enumerate(texts):
            for w in text.lower().split():
                w = self.same.get(w, w)
                if w in self.vocab:
                    out[i, self.vocab.index(w)] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


def test_projects_are_found_by_their_summary(firm_copy: tuple[Path, Path]) -> None:
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    db, root = firm_copy
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        about = ProjectAbout(app.store, _Encoder(), app.search.versions)
        assert about.current(wait=False) is None  # built on a thread...
        assert about.wait_ready(60)
        built = about.current()  # ...which a small firm's search waits for
        assert built is not None and len(built.ids) == app.store.query_one("SELECT count(*) FROM projects")[0]
        # Every project has a description and at least one chunk to embed.
        assert all(built.descriptions) and len(built.texts) >= len(built.ids)
        row = next(i for i, d in enumerate(built.descriptions) if "boardroom" in d.split())
        pid = built.ids[row]
        # By meaning: other words for the same thing find it.
        qv = _Encoder().encode(["directors refit"])[0]
        hits = about.hits(parse_query("directors refit"), qv, "bag")
        assert pid in [h[0] for h in hits[:5]]
        # By words alone (no vector): its description words find it, best first.
        words = built.descriptions[row]
        lexical = about.hits(parse_query(words))
        assert lexical and lexical[0][0] == pid and lexical[0][1] > 0
        # A request naming a code is about that project: summaries stay out of it.
        assert about.hits(parse_query("17452 boardroom")) == []


def test_navigation_by_name_is_not_swayed_by_summaries(firm_copy: tuple[Path, Path]) -> None:
    """Words several project names share keep offering those projects as a choice: summaries only
    speak for navigation when no name matched."""
    import re
    from collections import Counter

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    db, root = firm_copy
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        names = [p.name.lower() for p in app.projects.all()]
        counts = Counter(w for n in names for w in set(re.findall(r"[a-z]{4,}", n)))
        shared = [w for w, c in counts.items() if c >= 2][:25]
        assert shared
        search = app.search.project_search
        assert search.about is not None
        assert search.wait_ready(60)  # summaries serve (they are built in the background)

        def outcome() -> list[list[tuple[str, float]]]:
            return [[(m.project.code, round(m.score, 3)) for m in app.search.project_matches(w)] for w in shared]

        with_summaries = outcome()
        search.about = None
        assert with_summaries == outcome()


def test_boost_lifts_what_the_summary_matched() -> None:
    class Row:
        def __init__(self, i: int) -> None:
            self.id = i

    a, b = Row(1), Row(2)
    ranked = [(a, 1.0, ["lexical"]), (b, 0.9, ["about"])]
    out = boost(ranked, [(2, 0.8), (1, 0.1)])
    assert out[1][1] > out[0][1] and out[1][2] == ["about"]
    assert boost(ranked, []) is ranked


def test_the_concepts_a_request_names_lift_projects_whose_description_names_them(firm_copy: tuple[Path, Path]) -> None:
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.search.thesaurus import concept_set

    db, root = firm_copy
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        about = ProjectAbout(app.store, _Encoder(), app.search.versions)
        assert about.wait_ready(60)
        built = about.current()
        assert built is not None
        # Each project's concepts are read from its description as the thesaurus reads a request.
        rows = [i for i, d in enumerate(built.descriptions) if "boardroom" in concept_set(d)]
        assert rows and all("boardroom" in built.concepts[i] for i in rows)
        # Words the summaries do not hold, said by the model as a boardroom: those projects first.
        pq = parse_query("the directors' gathering place")
        assert about.hits(pq) == []
        hits = about.hits(pq, concepts={"boardroom"})
        want = {built.ids[i] for i in rows}
        assert {h[0] for h in hits[: len(want)]} == want
