"""Project sites learnt from documents' text: address localities and labelled sites, kept when several
of a project's documents name them; hostile text gives no site and bounded work."""

from __future__ import annotations

import time

from quicknav_mcp.search.project_sites import (
    MAX_PLACE_CHARS,
    PLACES_PER_DOC,
    ProjectsById,
    learn_sites,
    place_terms,
    places_in,
    sites_of,
)

HEADER = "Paragon AV Systems\nProject: 30001 - Boardroom Upgrade\nSite address: {site}\nDate: 01/02/2025\n"


def test_an_address_gives_its_locality_however_it_is_written() -> None:
    assert places_in("Site address: Level 5, 47 Wickham Terrace, Ipswich QLD 4305") == ["Ipswich"]
    assert places_in("47 Wickham Terrace Ipswich QLD 4305") == ["Ipswich"]  # no comma: after the street type
    assert places_in("123 GEORGE STREET, GOLD COAST QLD 4217") == ["Gold Coast"]
    assert places_in("Deliver to: 5 Main Rd, Mawson Lakes SA 5095") == ["Mawson Lakes"]
    assert places_in("Campus: Glendale Campus\n") == ["Glendale Campus"]
    # A number is no place; a postcode of five digits is no Australian address.
    assert places_in("Site: 47 Ann St") == []
    assert places_in("Location: Boardroom") == []  # as often a room as a place
    assert places_in("Ipswich QLD 43051") == []


def test_a_place_several_documents_name_is_the_site_not_one_named_in_passing() -> None:
    docs = [(1, HEADER.format(site="47 Wickham Terrace, Ipswich QLD 4305")) for _ in range(4)]
    docs.append((1, "Supplier quote\nFrom: 3 Ann St, Brisbane QLD 4000"))  # one supplier's address
    docs.append((2, HEADER.format(site="9 Sandgate Rd, Mackay QLD 4740")))  # a project with one document
    docs.append((3, "no address at all"))
    assert learn_sites(docs) == {1: ("Ipswich",), 2: ("Mackay",)}


def test_the_firms_own_address_on_every_letterhead_is_nobodys_site() -> None:
    towns = ["Ipswich", "Mackay", "Cairns", "Toowoomba", "Geelong", "Perth", "Sydney", "Hobart"]
    docs = []
    for pid, town in enumerate(towns):
        for _ in range(3):
            docs.append((pid, f"Paragon AV, 1 Eagle St, Brisbane QLD 4000\nSite: 2 Ann St, {town} QLD 4000\n"))
    assert learn_sites(docs) == {pid: (town,) for pid, town in enumerate(towns)}


def test_hostile_text_gives_no_long_site_and_bounded_work() -> None:
    hostile = [
        "A " * 200_000 + "QLD 4000",  # a long run of words before a state
        ("Word " * 50 + "QLD 4000\n") * 5000,
        "Site: " + "x" * 10_000,
        "Site: \x00\x1b[31mred\x07",
        "Site: " + "Ünïcödé Strasse Ελλάδα العربية " * 20,
        "ＱＬＤ ４０００ 北京 QLD 4000",
        "\n".join(f"{i} Ann St, Town{i} QLD 4000" for i in range(10_000)),
    ]
    t0 = time.process_time()
    for text in hostile:
        places = places_in(text)
        assert len(places) <= PLACES_PER_DOC
        assert all(len(p) <= MAX_PLACE_CHARS and p.isprintable() for p in places)
    assert time.process_time() - t0 < 2.0
    assert learn_sites([(1, t) for t in hostile]) is not None


def test_projects_by_id_carry_sites_only_when_learnt() -> None:
    assert sites_of(None, 1) == ()
    assert sites_of({}, 1) == ()
    carrying = ProjectsById([], {1: ("Ipswich",)}, {1: frozenset({"ipswich"})})
    assert sites_of(carrying, 1) == ("Ipswich",)
    assert sites_of(carrying, 2) == ()


def test_a_word_naming_a_street_is_no_site() -> None:
    assert place_terms(["downer", "adelaide", "st"]) == {"downer", "st"}
    assert place_terms(["glendale", "ipswich"]) == {"glendale", "ipswich"}
    assert place_terms([]) == set()


def test_a_locality_sharing_a_word_with_street_types_is_read_whole() -> None:
    # After a comma the locality is everything up to the state, street-type words and all.
    assert places_in("11 Sir Fred Schonell Dr, St Lucia QLD 4067") == ["St Lucia"]
    assert places_in("Victoria Park Rd, Kelvin Grove QLD 4059") == ["Kelvin Grove"]
    assert places_in("1 Longueville Rd, Lane Cove NSW 2066") == ["Lane Cove"]
    # Without a comma it follows the first street type that leaves a word.
    assert places_in("22 Smith St Kelvin Grove QLD 4059") == ["Kelvin Grove"]
    # A request can name such a locality: only words that mean nothing but "street" make a street.
    assert place_terms(["kelvin", "grove", "job"]) == {"kelvin", "grove", "job"}
    assert place_terms(["lane", "cove"]) == {"lane", "cove"}
