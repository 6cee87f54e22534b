"""The trade thesaurus: concepts found in texts whatever words name them."""

from __future__ import annotations

from quicknav_mcp.search.thesaurus import CONCEPTS, concept_set, concepts, fold, plainly, words_of


def test_other_words_name_the_same_concept() -> None:
    assert concept_set("Boardroom Refurbishment") == concept_set("facelift of the directors' room")
    assert concept_set("Conference Centre Level 4 Renovation") == {"conference centre", "renovation"}
    assert concept_set("convention hall remodel") == {"conference centre", "renovation"}
    assert concept_set("video calling suites: swap out") == {"video conference", "replacement"}
    assert concept_set("quarterly invoice for Downer") == set()


def test_longest_run_wins_and_runs_do_not_overlap() -> None:
    words = words_of("security control room replacement")
    assert concepts(words) == [("security operations centre", 0, 3), ("replacement", 3, 4)]
    # "control room" alone is another concept than the security one.
    assert concept_set("control room upgrade") == {"control room", "upgrade"}


def test_plurals_fold_but_not_every_final_s() -> None:
    assert words_of("Council Chambers") == ["council", "chamber"]
    assert fold("rooms") == "room" and fold("glass") == "glass" and fold("bus") == "bus"
    assert concept_set("Video Conference Rooms") == {"video conference"}


def test_each_run_names_one_concept() -> None:
    seen: dict[tuple[str, ...], str] = {}
    for concept, phrases in CONCEPTS.items():
        for phrase in (concept, *phrases):
            run = tuple(words_of(phrase))
            assert seen.setdefault(run, concept) == concept, (phrase, seen[run], concept)


def test_a_team_room_is_no_video_conference_room() -> None:
    assert "video conference" not in concept_set("project team room")
    assert concept_set("Microsoft Teams Rooms rollout") == {"video conference", "rollout"}


def test_plainly_says_each_concept_by_its_own_name() -> None:
    from quicknav_mcp.search.thesaurus import plainly

    assert plainly("facelift of the directors' room in Queensland") == "refurbishment of the boardroom in Queensland"
    # Nothing said in other words: the very same request (its vector is the one already cached).
    same = "Boardroom refurbishment, level 3"
    assert plainly(same) is same
    assert plainly("invoice 17452") == "invoice 17452"


def test_plainly_leaves_words_that_only_look_like_a_concept() -> None:
    from quicknav_mcp.search.thesaurus import plainly

    for text in ("AV works at James St campus", "building management system", "anechoic chamber", "data entry"):
        assert plainly(text) is text  # no concept said another way: not folded, not rewritten


def test_words_match_phrases_by_their_stems() -> None:
    from quicknav_mcp.search.thesaurus import stem

    assert stem("lecturing") == stem("lecture") == stem("lectured")
    assert stem("fitting") == "fit" and stem("install") == "install" and stem("doing") == "do"
    assert concept_set("campus lecturing space") == {"lecture theatre"}
    assert concept_set("fitted out") == {"fitout"}


def test_a_rooms_own_word_before_a_shared_head_names_that_room() -> None:
    # No phrase says "councillors room"; "councillor" is the council chamber's alone, "room" is many rooms'.
    assert concept_set("councillors' room upgrade") == {"council chamber", "upgrade"}
    # A broad word ("data") or one after the head names nothing.
    assert concept_set("data room") == set()
    assert concept_set("room councillors") == set()
    # The head word of a phrase of its own stays that phrase's.
    assert concept_set("director control room") == {"control room"}


def test_plainly_finds_concepts_in_the_request_as_written() -> None:
    from quicknav_mcp.search.thesaurus import plainly

    # "put in" and "supply and install" hold stop words the model's words have lost.
    assert plainly("the party room we put in", "party room put") == "function room installation"
    assert plainly("supply and install of a party room", "supply install party room") == "installation function room"
    said = "boardroom refurbishment"
    assert plainly("the boardroom refurbishment", said) is said


def test_plainly_keeps_words_in_place_beside_letters_case_folding_would_change() -> None:
    # İ, ı, ſ and the Kelvin sign fold to ASCII letters under case-insensitive matching; the words
    # around a concept must stay the ones written, none doubled or lost.
    for town in ("İstanbul", "Kısıklı", "ſt Kilda", "\u212aew"):
        text = f"{town} office facelift of the directors room"
        out = plainly(text)
        assert "refurbishment" in out and "boardroom" in out
        assert out.split().count("office") == 1, out
        assert plainly(text, text).split().count("office") == 1
