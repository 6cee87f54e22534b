"""Request understanding: what is asked for (kind, ordinal, recency, level) versus where it is and
the filler around it; other ways of writing names; the re-ranking that follows from it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from quicknav_mcp.domain.doc_types import classify_doc_type
from quicknav_mcp.domain.grammar import split_glued
from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.repo import DocumentRow
from quicknav_mcp.search.alternatives import candidates, widen
from quicknav_mcp.search.coverage import COVER_FLOOR, MAX_COVER_WORDS, TEXT_SHARE, Coverage, cover_weights, cover_words
from quicknav_mcp.search.intent import Intent, where_weights
from quicknav_mcp.search.query import parse_query


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("the third change order on the Downer job", 3),
        ("3rd CO for 20692", 3),
        ("change order #3 for Spotless", 3),
        ("change order no. 3", 3),
        ("the second variation on the Volvo job", 2),
        ("change order three for Poolwerx", 3),
        ("the 15th change order on the QPS rollout", 15),
        ("CO number 12", 12),
    ],
)
def test_change_order_ordinals_and_numbers(text: str, number: int) -> None:
    pq = parse_query(text)
    assert pq.change_order == number
    assert "change_order" in pq.doc_types
    assert not {"third", "3rd", "second", "three", "15th", "change", "order"} & set(pq.terms)


def test_latest_change_order_is_recency_not_a_number() -> None:
    pq = parse_query("what's the last change order for 20692")
    assert pq.latest_change_order and pq.change_order is None and pq.wants_current
    assert pq.codes == ["20692"] and pq.terms == []


def test_asked_kind_recency_and_where_are_apart_from_filler() -> None:
    pq = parse_query("can you pull up the latest Sales and PO report on the Poolwerx training room job please")
    assert pq.doc_types == ["sales_po"] and pq.wants_current
    assert pq.terms == ["poolwerx", "training", "room"]
    assert {"pull", "up", "job"} <= set(pq.filler)
    pq = parse_query("what did we quote Neoen for the boardroom")
    assert pq.doc_types == ["proposal"] and pq.terms == ["neoen", "boardroom"]
    pq = parse_query("safe work method statement for 21614")
    assert pq.doc_types == ["swms"] and pq.terms == []


@pytest.mark.parametrize(
    ("text", "level"),
    [("current drawing of level 3 for 50 Quay St", 3), ("Poolwerx L1 design", 1), ("lvl 12 floor plan", 12)],
)
def test_levels_are_understood_and_keep_their_words(text: str, level: int) -> None:
    pq = parse_query(text)
    assert pq.level == level
    assert any(str(level) in t for t in pq.terms)


def test_requests_of_only_filler_are_refused_clearly_but_stop_words_are_searched() -> None:
    with pytest.raises(InvalidInput, match="only asks"):
        parse_query("can you find it for me")
    assert parse_query("and or").terms == ["and", "or"]
    assert parse_query("type:swms can you find it").filters == {"doc_type": ["swms"]}


def test_only_a_number_and_too_many_words_say_so() -> None:
    assert "only a number" in parse_query("42").notes[0]
    assert parse_query("17741").notes == []
    many = " ".join(f"word{i}" for i in range(40))
    assert any("first 24 words" in n for n in parse_query(many).notes)


class _Vocab:
    """The index's words with document frequencies (what widen reads of a Vocabulary)."""

    def __init__(self, df: dict[str, int]) -> None:
        self.df = df

    def snapshot(self) -> _Vocab:
        return self

    def common_fix(self, word: str) -> str | None:
        return "poolwerx" if word == "poolwrex" and self.df.get(word, 0) <= 2 else None


def test_glued_and_short_forms_of_the_request() -> None:
    pq = parse_query("hearing loop for the SAAB meeting room")
    forms = {form for _, form in candidates(pq)}
    assert {"hearingloop", "mr", "meetingroom"} <= forms
    df = {"hearingloop": 1, "mr": 5, "hearing": 2, "loop": 2, "saab": 3, "meeting": 4, "room": 9}
    groups = widen([[t] for t in pq.terms], pq, _Vocab(df))
    by_term = dict(zip(pq.terms, groups, strict=True))
    assert "hearingloop" in by_term["hearing"] and "hearingloop" in by_term["loop"]
    assert "mr" in by_term["meeting"] and "meetingroom" not in by_term["meeting"]  # not indexed: not searched
    assert pq.forms["room"] == ["room", "mr"]
    pq = parse_query("HA details for 18810")
    groups = widen([[t] for t in pq.terms], pq, _Vocab({"hearing": 1, "augmentation": 1}))
    assert "hearing augmentation" in groups[0]  # a phrase alternative
    pq = parse_query("Poolwerx L1")
    groups = widen([[t] for t in pq.terms], pq, _Vocab({"level": 3, "1": 9, "lvl": 1}))
    assert {"level 1", "lvl 1"} <= set(groups[1])
    pq = parse_query("poolwrex sales po")  # a slip some file also holds: the common word is searched too
    groups = widen([[t] for t in pq.terms], pq, _Vocab({"poolwrex": 1, "poolwerx": 90}))
    assert groups == [["poolwrex", "poolwerx"]] and "also searched 'poolwerx'" in pq.notes[0]


def test_glued_names_are_classified_by_the_words_people_read_in_them() -> None:
    assert split_glued("ScopeOfWork 1") == "Scope Of Work 1"
    assert split_glued("SWMs QPS RSSigned") == "SWMs QPS RSSigned"
    assert classify_doc_type(["1. Sales Handover"], "21620 - ScopeOfWork.rtf") == "scope"
    assert classify_doc_type([], "RoomLayout.docx") == "floor_plans"
    assert classify_doc_type([], "MSQ24016_FMB2 Projectors_Statement of Work request.pdf") == "scope"
    # "Variation" in a project's title is not a change order; numbered or alone it is.
    name = "18239 - Surf Life Saving Queensland Operations Centre AV Works Variation - SWMs.pdf"
    assert classify_doc_type(["3. PMO"], name) == "swms"
    assert classify_doc_type([], "Variation 3.pdf") == "change_order"


def _doc(i: int, name: str, doc_type: str, *, code: str = "21614", co: int | None = None, **kw) -> DocumentRow:
    project = {"21614": "21614 - PLWRX  TR L1 Upgrades", "20692": "20692 - DWNR  - Project B1012"}[code]
    base = DocumentRow(
        id=i,
        project_id=int(code),
        rel_path=f"Project Folders/{project}/x/{name}",
        project_rel_path=f"x/{name}",
        name=name,
        ext="pdf",
        size=1,
        mtime=0.0,
        doc_type=doc_type,
        phase=None,
        revision=None,
        revision_raw=None,
        revision_scheme=None,
        status_tags=(),
        is_as_built=False,
        doc_date=None,
        room=None,
        change_order=co,
        sheet=None,
        code_in_name=None,
        series_key=name,
        is_archive=False,
        is_handover_copy=False,
        duplicate_counter=None,
        code=code,
        project_name=project,
        root="/r",
    )
    return replace(base, **kw)


def test_intent_weighs_kind_where_latest_and_templates() -> None:
    report = _doc(1, "21614 - Poolwerx - Training Room - Sales & PO Report.pdf", "sales_po", is_current=True)
    old = _doc(2, "21614 - Poolwerx - Sales & PO Report ORIGINAL.pdf", "sales_po")
    swms = _doc(3, "21614 Poolwerx TR L1 Upgrades (SWMS).pdf", "swms")
    template = _doc(4, "OnSold Support Services Register - Master Template 3-22.docx", "report", code="20692")
    other = _doc(5, "20692 - Spotless - Project B1012 - Sales & PO Report.pdf", "sales_po", code="20692")
    pq = parse_query("latest sales & po report for the poolwerx training room")
    intent = Intent(pq, [report, old, swms, template, other])
    m = {d.id: intent.effect(d) for d in (report, old, swms, template, other)}
    assert m[1][0] > m[5][0] > m[4][0]  # another project's report still beats a template
    assert m[1][0] > m[2][0] and m[1][0] > m[3][0]
    assert "current sales_po" in m[1][1] and any(w.startswith("where: poolwerx") for w in m[1][1])
    assert "template" in m[4][1]
    # Asked for, a template is not pushed down.
    asked = Intent(parse_query("support register master template"), [template])
    assert "template" not in asked.effect(template)[1]

    cos = [_doc(10 + n, f"20692 - CO{n}.pdf", "change_order", code="20692", co=n) for n in (1, 2, 8)]
    latest = Intent(parse_query("the latest change order for 20692"), cos)
    scores = [latest.effect(d) for d in cos]
    assert scores[2][0] > scores[0][0] and "latest CO8" in scores[2][1]


def test_intent_levels_and_nothing_asked() -> None:
    l3 = _doc(1, "20865 - CPQST 50 QUAY ST - LEVEL 3 - Rev 107.pdf", "lld")
    l4 = _doc(2, "20865 - CPQST 50 QUAY ST - LEVEL 4 - Rev 104.pdf", "lld")
    cable = _doc(3, "20865 - 50 QUAY STREET - AV CABLE SCHEDULE - Rev 1.06.pdf", "other")
    intent = Intent(parse_query("current drawing of level 3 for 50 Quay St"), [l3, l4, cable])
    e = [intent.effect(d)[0] for d in (l3, l4, cable)]
    assert e[0] > e[1] and e[0] > e[2]
    assert Intent(parse_query("poolwerx"), [l3]).effect(l3) == (1.0, [])


def test_documents_filed_under_a_related_name_count_as_the_asked_kind() -> None:
    swms = _doc(1, "21614 - Poolwerx Training Room - SWMs.pdf", "swms")
    sds = _doc(2, "New Dunlop Carpet Tile Adhesive SDS.pdf", "other")
    co = _doc(3, "21614 - Poolwerx Training Room - CO1.pdf", "change_order", co=1)
    supplier = _doc(4, "ATDEC RFQ - 21614 Poolwerx.pdf", "supplier_quotes")
    intent = Intent(parse_query("SWMS for the Poolwerx training room"), [swms, sds, co])
    e = {d.id: intent.effect(d) for d in (swms, sds, co)}
    assert e[2][0] > e[3][0] and "related: swms" in e[2][1]
    # The bounded ranking stops at Intent.bound(): no candidate, related ones included, may pass it.
    assert max(m for m, _ in e.values()) <= intent.bound()
    current = Intent(parse_query("latest SWMS for the Poolwerx training room"), [swms, sds])
    assert max(current.effect(d)[0] for d in (swms, sds)) <= current.bound()
    # A client's request for quote is the scope; a supplier's quotation request stays what it is.
    rfq = _doc(5, "MSQ21594_Function Rm Expansion_RFQ.pdf", "other")
    scope = Intent(parse_query("scope of works for 21614"), [rfq, supplier])
    assert "related: scope" in scope.effect(rfq)[1] and "related: scope" not in scope.effect(supplier)[1]
    # Not asked for, a safety data sheet is just another document.
    assert not any(w.startswith("related") for w in Intent(parse_query("poolwerx design"), [sds]).effect(sds)[1])


def test_place_words_count_by_their_rarity_among_the_candidate_projects() -> None:
    # "room" is in every candidate project, "level" in two, "function" in one: it says most about where.
    w = where_weights(["function", "room", "level"], [["room", "level"], ["room", "level"], ["function", "room"]], 3)
    assert w["function"] > w["level"] > w["room"] > 0
    assert w["function"] / (w["function"] + w["room"] + w["level"]) > 1 / 3


def test_request_verbs_are_filler_only_beside_an_asked_kind() -> None:
    pq = parse_query("the proposal we sent for MSQ23701 RFQ - Conference Centre & Level 4 Renovation")
    assert pq.doc_types == ["proposal"] and "sent" in pq.filler and "sent" not in pq.terms
    pq = parse_query("which supplier quotations came in for Function Room & Level 1 Refurbishment")
    assert "came" in pq.filler and pq.terms[:2] == ["function", "room"]
    assert parse_query("sent items poolwerx").terms[0] == "sent"  # no kind asked: a word to search


def test_a_name_saying_the_request_words_with_its_kind_is_what_is_asked() -> None:
    details = _doc(1, "Fixed HA design details.pdf", "other")
    design = _doc(2, "21614 - POOLWERX HEARING LOOP - Rev 102.pdf", "lld", is_current=True)
    intent = Intent(parse_query("HA design details for the Poolwerx hearing loop"), [details, design])
    mult, why = intent.effect(details)
    assert "named: ha design details" in why and mult > intent.effect(design)[0]
    assert mult <= intent.bound()
    # The kind's own words alone ("system design drawing") say nothing more than the kind.
    assert not Intent(parse_query("current system design drawing for poolwerx"), [details]).said


def _weighed(pq, docs, sources=None) -> dict[int, tuple[float, list[str]]]:
    cov = Coverage.of(pq, {}, sources or {})
    assert cov is not None
    cov.learn(sorted(docs, key=lambda d: d.id))  # every score 1.0: the best are the lowest ids
    effects = {d.id: cov.effect(d) for d in docs}
    return {i: (round(mult, 5), [said] if said else []) for i, (mult, said) in effects.items()}


def test_a_request_naming_no_kind_weighs_how_much_of_it_each_name_covers() -> None:
    # "rollout" and "schedule" are in one name, "mr" in most, "upgrades" in the project's name (all).
    rollout = _doc(1, "21614 - QPS ROLLOUT - Schedule draft V1.pdf", "other")
    handbooks = [_doc(10 + i, f"21614-MR-R{i}-QPS-QLD-HB.pdf", "other") for i in range(4)]
    pq = parse_query("the MR upgrades rollout schedule for QPS")
    assert cover_words(pq) == ["mr", "upgrades", "rollout", "schedule", "qps"]
    e = _weighed(pq, [rollout, *handbooks])
    assert "covers: upgrades rollout schedule qps" in e[1][1] and "covers: mr upgrades qps" in e[10][1]
    assert e[1][0] > 2 * e[10][0] and e[1][0] <= 1.0
    # Matched on every word, a candidate's text holds what its name lacks: at half weight.
    read = _doc(2, "Notes.pdf", "other")
    full = _weighed(pq, [rollout, read, *handbooks], sources={2: ["lexical"], 1: ["some words"]})
    assert full[2][0] == pytest.approx(COVER_FLOOR + (1 - COVER_FLOOR) * TEXT_SHARE)
    assert full[2][0] < full[1][0] and full[2][1] == ["covers: upgrades"]
    # Alone, or with nothing told apart, a candidate keeps its score.
    assert _weighed(pq, [rollout])[1] == (1.0, [])


def test_cover_words_only_for_requests_of_two_words_or_more_naming_no_kind() -> None:
    assert cover_words(parse_query("rollout")) == []
    assert cover_words(parse_query("17741 R5")) == []
    assert cover_words(parse_query("42 17")) == []  # numbers are retrieval's, not names' words
    assert cover_words(parse_query("rollout schedule for 17741")) == ["rollout", "schedule"]
    assert cover_words(parse_query("latest rollout design for QPS")) == []  # a kind: intent weighs where
    assert Coverage.of(parse_query("rollout"), {}, {}) is None


def test_cover_weights_count_rare_words_more_and_words_all_or_none_hold_nothing() -> None:
    w = cover_weights(["rollout", "mr", "qps", "zzz"], [["rollout", "mr", "qps"], ["mr", "qps"], ["qps"], ["qps"]], 4)
    assert w["rollout"] > w["mr"] > 0 and w["qps"] == 0 and w["zzz"] == 0


def test_cover_words_stay_bounded_for_long_and_mixed_script_requests() -> None:
    long = parse_query(" ".join(f"word{i}" for i in range(200)) * 3)
    assert len(cover_words(long)) == MAX_COVER_WORDS
    mixed = parse_query("會議室 rollout スケジュール for QPS")
    words = cover_words(mixed)
    assert "rollout" in words and "qps" in words and len(words) >= 3
    doc = _doc(1, "21614 - QPS ROLLOUT - 會議室.pdf", "other")
    other = _doc(2, "21614 - QPS notes.pdf", "other")
    e = _weighed(mixed, [doc, other])
    assert e[1][0] > e[2][0]


def test_place_words_and_name_coverage_read_a_project_the_same_way() -> None:
    # One rule for "does this candidate's project hold the word": folded, at a word's start.
    from quicknav_mcp.search.intent import project_words, spaced_words, word_forms, words_held

    cafe = _doc(1, "Café Royal fitout SWMS.pdf", "swms")
    board = _doc(2, "20692 Boardroom SWMS.pdf", "swms", code="20692")
    pq = parse_query("swms for the cafe royal fitout room")
    forms = word_forms(pq, ["cafe", "royal", "room"])
    assert words_held(forms, spaced_words(cafe.project_rel_path) + project_words(cafe, None)) == ["cafe", "royal"]
    assert words_held(forms, spaced_words(board.project_rel_path) + project_words(board, None)) == []
    intent = Intent(pq, [cafe, board])
    assert any(w == "where: cafe royal fitout" for w in intent.effect(cafe)[1])
    cov = Coverage.of(parse_query("cafe royal fitout notes"), {}, {})
    assert cov is not None and cov.covered(cafe) == ["cafe", "royal", "fitout"]


def test_a_project_s_words_are_those_of_the_projects_and_sites_asked_with() -> None:
    """``project_words`` keeps each project's text for one ``ProjectsById``: a new one (its sites
    learnt again) gives the new text, the old one still its own, another folder name its own."""
    from dataclasses import replace

    from quicknav_mcp.repo import ProjectRow
    from quicknav_mcp.search.intent import project_words
    from quicknav_mcp.search.project_sites import ProjectsById

    row = ProjectRow(21614, "21614", "21614 - PLWRX  TR L1 Upgrades", "/p", "PLWRX", ("Poolwerx",), "", None, 1, None)
    doc = _doc(1, "TR notes.pdf", "other")
    before = ProjectsById([row], {21614: ("Bundall",)})
    after = ProjectsById([row], {21614: ("Southport",)})
    for _ in range(2):  # (asked again: the kept text)
        assert "bundall" in project_words(doc, before) and "southport" not in project_words(doc, before)
        assert "southport" in project_words(doc, after) and "bundall" not in project_words(doc, after)
    # Each ProjectsById keeps its own texts: they go with the projects and sites they were made from.
    assert before.word_texts == {(21614, doc.project_name): project_words(doc, before)}
    assert after.word_texts == {(21614, doc.project_name): project_words(doc, after)}
    moved = replace(doc, project_name="21614 - PLWRX  Cafe Royal")
    assert "cafe royal" in project_words(moved, after) and "cafe" not in project_words(doc, after)
    assert project_words(doc, {21614: row}) == project_words(doc, ProjectsById([row]))  # no sites: the same words


def test_coverage_of_a_candidate_is_the_same_given_its_lists() -> None:
    """``Coverage.effect`` given the lists that had a candidate (as the scoring reads them once)
    weighs it as reading them from the fused sources does."""
    pq = parse_query("cafe royal fitout notes")
    names = ("Cafe Royal fitout notes.pdf", "Royal notes.pdf", "x.pdf")
    docs = [_doc(i, name, "other") for i, name in enumerate(names, start=1)]
    sources = {1: ["lexical"], 2: ["some words"], 3: ["lexical", "substring"]}
    cov = Coverage.of(pq, {}, sources)
    assert cov is not None
    cov.learn(docs)
    for d in docs:
        assert cov.effect(d, sources[d.id]) == cov.effect(d)


def test_a_form_test_of_raw_names_holds_what_their_words_hold() -> None:
    """``FormTest`` skips tokenising a name whose lower case lacks a form's first word: the same
    words as ``words_held`` of the spaced words."""
    import random

    from quicknav_mcp.search.intent import FormTest, spaced_words, word_forms, words_held

    pq = parse_query("mr upgrade cafe level 3 boardroom")
    words = ["mr", "upgrade", "cafe", "level", "boardroom", "3"]
    pq.forms = {"mr": ["mr", "meeting room", "meetingroom"], "level": ["level", "l3", "level 3"], "boardroom": ["br"]}
    test = FormTest(word_forms(pq, words))
    rng = random.Random(11)
    parts = [
        "MR",
        "Meeting",
        "Room",
        "upgrades",
        "Café",
        "CAFE",
        "lvl",
        "Level",
        "3",
        "L3",
        "board",
        "Boardroom",
        "x",
        "-",
        "/",
        "_",
        "(1)",
        "meetingroom",
        "Up-grade",
    ]
    parts.append(" ")
    for _ in range(3000):
        names = ["".join(rng.choice(parts) for _ in range(rng.randint(0, 8))) for _ in range(rng.randint(0, 4))]
        for name in names:
            held = words_held(test.forms, spaced_words(name))
            assert test.held_by(name) == held, name
            assert test.held_by(name, {"mr"}) == [w for w in held if w != "mr"], name


_BOUND_NAMES = [
    ("21614 - Poolwerx - Training Room - Sales & PO Report.pdf", "sales_po"),
    ("21614 Poolwerx TR L1 Upgrades (SWMS).pdf", "swms"),
    ("New Dunlop Carpet Tile Adhesive SDS.pdf", "other"),
    ("Downer supplier quote ATDEC RFQ.pdf", "supplier_quotes"),
    ("Downer swms job safety analysis.pdf", "other"),
    ("OnSold Support Services Register - Master Template 3-22.docx", "report"),
    ("20692 - DWNR - LEVEL 3 - Rev 107.pdf", "lld"),
    ("20692 - DWNR - LEVEL 4 - Rev 104 ORIGINAL.pdf", "lld"),
    ("Queensland training room variation CO2.pdf", "change_order"),
    ("Operations variation CO7.pdf", "change_order"),
    ("HA design details Queensland.pdf", "other"),
    ("Poolwerx as built drawing.pdf", "lld"),
]
_BOUND_QUERIES = [
    "Downer supplier quote",
    "Queensland swms",
    "Operations variation",
    "latest SWMS for the Poolwerx training room",
    "current drawing of level 3 for Downer",
    "the latest change order on the Downer job",
    "HA design details for the Poolwerx hearing loop",
    "Poolwerx as built rev 104",
    "21614 sales po report",
    "master template register Downer",
]


def test_the_bound_of_each_candidate_is_never_below_its_score() -> None:
    """What the bounded ranking (documents.py ``best``) reads of a candidate's type and project
    bounds the multiplier it gets: for random candidates under requests with place words, kinds,
    levels, the latest change order and the current; and it is never above the bound of all."""
    import random

    from quicknav_mcp.search.ranking import RankContext, boost_bound, document_boost

    rng = random.Random(7)
    for trial in range(300):
        text = rng.choice(_BOUND_QUERIES)
        pq = parse_query(text)
        docs = []
        for i in range(rng.randint(1, 12)):
            name, kind = rng.choice(_BOUND_NAMES)
            rev = rng.choice([None, 1, 104, 107])
            docs.append(
                _doc(
                    i,
                    name,
                    rng.choice([kind, kind, "other", "swms", "change_order"]),
                    code=rng.choice(["21614", "20692"]),
                    co=rng.choice([None, 2, 7]),
                    is_current=rng.random() < 0.5,
                    revision=rev,
                    is_archive=rng.random() < 0.2,
                    is_as_built=rng.random() < 0.3,
                    room=rng.choice([None, 104]),
                    mtime=rng.choice([0.0, 1_780_000_000.0 - rng.random() * 1e8]),
                    project_rel_path=rng.choice(["x/", "old/", "Original/"]) + name,
                )
            )
        intent = Intent(pq, docs)
        ctx = RankContext.of(pq, 1_780_000_000.0, {"21614": rng.random()}, {"20692": rng.random()})
        for d in docs:
            real = document_boost(d, ctx)[0] * intent.effect(d)[0]
            each = boost_bound(ctx, d.doc_type) * intent.bound_besides_place(d.doc_type)
            each *= intent.place_bound(d.project_id)
            assert real <= each * (1 + 1e-9), (trial, text, d.name, d.doc_type)
            assert each <= boost_bound(ctx) * intent.bound() * (1 + 1e-9)
