"""Streets are written short in requests and folder names and in full in site addresses."""

from __future__ import annotations

from quicknav_mcp.search.alternatives import candidates, spelled_out
from quicknav_mcp.search.query import parse_query


def forms(text: str) -> set[tuple[tuple[str, ...], str]]:
    return set(candidates(parse_query(text)))


def test_short_street_words_have_their_long_forms_and_back() -> None:
    assert (("rd",), "road") in forms("Glendale Logan Rd design")
    assert (("st",), "street") in forms("Downer Adelaide St")
    assert (("tce",), "terrace") in forms("Wickham Tce sales po")
    assert (("street",), "st") in forms("50 Quay Street cable schedule")
    assert (("avenue",), "ave") in forms("Marine Avenue")


def test_folder_descriptions_spell_streets_out() -> None:
    assert spelled_out("CPQST 50 Quay St BNE") == "cpqst 50 quay street bne"
