"""A row's location joins its root and path as pathlib does (the fast path must not change a path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quicknav_mcp.repo.sql import join_location


@pytest.mark.parametrize(
    ("root", "rel"),
    [
        ("/firm/Projects", "17452 - Site/4. System Designs/Design Rev 2.pdf"),
        ("/firm/Projects/", "a.pdf"),
        ("/firm//Projects", "a.pdf"),
        ("/firm", "./a.pdf"),
        ("/firm", "b/./a.pdf"),
        ("/firm", "b//a.pdf"),
        ("/firm", "b/"),
        ("/firm", "b/."),
        ("/firm", "."),
        ("/firm", ""),
        ("/", "a.pdf"),
        ("//server", "a.pdf"),
        ("relative/root", "a.pdf"),
        ("/fïrm folder/ü", "ö dir/p q.pdf"),
        ("/firm", "b/../a.pdf"),
    ],
)
def test_a_location_is_what_pathlib_gives(root: str, rel: str) -> None:
    assert join_location(root, rel) == str(Path(root) / rel)


def test_a_url_root_joins_with_one_slash() -> None:
    assert join_location("onedrive://drive/", "a/b.pdf") == "onedrive://drive/a/b.pdf"
    assert join_location("onedrive://drive", "") == "onedrive://drive"
