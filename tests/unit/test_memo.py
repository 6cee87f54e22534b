from quicknav_mcp.memo import remember


def test_remember_keeps_the_value_and_starts_over_when_full() -> None:
    memo: dict[str, int] = {}
    assert remember(memo, "a", 1, 2) == 1
    assert remember(memo, "b", 2, 2) == 2
    assert memo == {"a": 1, "b": 2}
    assert remember(memo, "c", 3, 2) == 3  # full: emptied first, so it never holds more than the limit
    assert memo == {"c": 3}
    remember(memo, "c", 4, 2)
    assert memo == {"c": 4}
