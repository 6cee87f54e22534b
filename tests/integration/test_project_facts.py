"""Project facts (document count, fuller client names) follow every change to a project's documents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from quicknav_mcp.indexers import project_facts
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.domain import parse_project_folder
from quicknav_mcp.store import Store


@pytest.fixture
def indexed(sample_root: Path, tmp_path: Path):
    root = tmp_path / "share"
    shutil.copytree(sample_root, root)
    store = Store(tmp_path / "q.db")
    scan_root(store, root)
    yield store, root
    store.close()


def _facts(store: Store) -> dict[str, tuple[int, list[str]]]:
    return {r[0]: (r[1], json.loads(r[2])) for r in store.query("SELECT code, doc_count, client_names FROM projects")}


def _truth(store: Store) -> dict[str, tuple[int, list[str]]]:
    """The facts computed from scratch from the stored documents."""
    out = {}
    for pid, code, folder_name in store.query("SELECT id, code, folder_name FROM projects"):
        names = sorted(r[0] for r in store.query("SELECT name FROM documents WHERE project_id = ?", (pid,)))
        folder = parse_project_folder(folder_name)
        assert folder is not None
        out[code] = project_facts.compute(folder, names)
    return out


def test_a_scan_leaves_every_project_computed(indexed: tuple[Store, Path]) -> None:
    store, _ = indexed
    assert project_facts.pending(store) == 0
    facts = _facts(store)
    assert facts == _truth(store)
    assert "Spotless" in facts["20692"][1] and facts["20692"][0] > 0


def test_changes_made_by_any_writer_mark_the_projects_they_touch(indexed: tuple[Store, Path]) -> None:
    store, _ = indexed
    ids = {code: pid for code, pid in store.query("SELECT code, id FROM projects")}
    with store.transaction() as conn:
        # A document of 20692 moved into 21614, and 20865 loses one: three projects change.
        doc = conn.execute("SELECT id FROM documents WHERE project_id = ? LIMIT 1", (ids["20692"],)).fetchone()[0]
        conn.execute("UPDATE documents SET project_id = ? WHERE id = ?", (ids["21614"], doc))
        conn.execute(
            "DELETE FROM documents WHERE id = (SELECT min(id) FROM documents WHERE project_id = ?)", (ids["20865"],)
        )
        # A rewrite that leaves the name and project alone marks nothing (the scanner rewrites every column).
        conn.execute("UPDATE documents SET size = size + 1, mtime = mtime + 1 WHERE project_id = ?", (ids["17741"],))
    marked = {r[0] for r in store.query("SELECT project_id FROM project_facts_dirty")}
    assert marked == {ids["20692"], ids["21614"], ids["20865"]}
    assert _facts(store) != _truth(store)
    assert project_facts.refresh(store) == 3
    assert project_facts.pending(store) == 0
    assert _facts(store) == _truth(store)


def test_a_renamed_folder_marks_its_project_and_a_deleted_one_leaves_no_mark(indexed: tuple[Store, Path]) -> None:
    store, _ = indexed
    with store.transaction() as conn:
        conn.execute(
            "UPDATE projects SET folder_name = ?, client = ? WHERE code = '20692'",
            ("20692 - Spotless - Project B1012", "Spotless"),
        )
        conn.execute("DELETE FROM projects WHERE code = '20865'")  # its documents go with it (cascade)
    assert project_facts.refresh(store) >= 1
    assert project_facts.pending(store) == 0
    facts = _facts(store)
    assert "20865" not in facts
    assert facts == _truth(store)
    # "Spotless" is in the folder name now, so it is no longer a fuller name worth adding.
    assert "Spotless" not in facts["20692"][1]


def test_a_recompute_that_fails_half_way_keeps_every_mark(
    indexed: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = indexed
    with store.transaction() as conn:
        conn.execute("UPDATE projects SET doc_count = 0, client_names = '[]'")
        conn.execute("INSERT INTO project_facts_dirty (project_id) SELECT id FROM projects")
    calls = 0
    real = project_facts.client_names_from_documents

    def dies_on_the_third(folder, names):  # what a kill in the middle of a batch looks like to the database
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return real(folder, names)

    monkeypatch.setattr(project_facts, "client_names_from_documents", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        project_facts.refresh(store)
    assert project_facts.pending(store) == 4  # the batch rolled back: no project lost its mark
    monkeypatch.undo()
    assert project_facts.refresh(store, batch=3) == 4
    assert _facts(store) == _truth(store)


def test_the_next_scan_repairs_facts_left_uncomputed(indexed: tuple[Store, Path]) -> None:
    store, root = indexed
    expected = _facts(store)
    with store.transaction() as conn:  # as a scan killed after writing documents leaves them
        conn.execute("UPDATE projects SET doc_count = 0, client_names = '[]'")
        conn.execute("INSERT INTO project_facts_dirty (project_id) SELECT id FROM projects")
    report = scan_root(store, root)
    assert report.added == report.updated == report.deleted == 0
    assert _facts(store) == expected


def test_facts_computed_ahead_are_taken_only_for_the_names_stored(indexed: tuple[Store, Path]) -> None:
    """refresh_ids (a first scan's writer) takes a fact computed ahead only where the folder and the stored
    names are the ones it was computed from; it recomputes the other projects it was given and leaves the rest."""
    store, _ = indexed
    rows = {code: (pid, name) for pid, code, name in store.query("SELECT id, code, folder_name FROM projects")}
    truth = _truth(store)
    (a, a_name), (b, b_name), (c, _) = rows["20692"], rows["21614"], rows["20865"]
    d_code = next(code for code in rows if code not in ("20692", "21614", "20865"))
    d = rows[d_code][0]

    def names(pid: int) -> list[str]:
        return sorted(r[0] for r in store.query("SELECT name FROM documents WHERE project_id = ?", (pid,)))

    folder_a, folder_b = parse_project_folder(a_name), parse_project_folder(b_name)
    assert folder_a is not None and folder_b is not None
    digest = project_facts.names_digest
    known = {
        a: project_facts.Ahead(
            folder_a, a_name, digest(names(a)), (len(names(a)), ["Ahead"])
        ),  # the stored names: taken as computed
        b: project_facts.Ahead(folder_b, b_name, digest(["not", "stored"]), (2, ["Stale"])),  # other names: recomputed
        c: project_facts.Ahead(folder_a, a_name, digest(names(c)), (9, ["Other folder"])),  # another folder: recomputed
    }
    with store.transaction() as conn:
        conn.execute("UPDATE projects SET doc_count = 0, client_names = '[]' WHERE id IN (?, ?, ?, ?)", (a, b, c, d))
        conn.execute("DELETE FROM project_facts_dirty")
        conn.executemany("INSERT INTO project_facts_dirty (project_id) VALUES (?)", [(a,), (b,), (d,)])
        project_facts.refresh_ids(conn, known)
    facts = _facts(store)
    assert facts["20692"] == (len(names(a)), ["Ahead"])
    assert facts["21614"] == truth["21614"]
    assert facts["20865"] == truth["20865"]
    assert facts[d_code] == (0, [])  # not given: left alone, still marked
    assert project_facts.pending(store) == 1


def test_a_folder_parsed_ahead_is_not_parsed_again_whatever_its_spacing(
    indexed: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer takes the folder parsed from the name as found when it is the stored name, also for a
    name with runs of spaces (stored as found; the parsed folder's own name is squashed)."""
    store, _ = indexed
    pid, name = next(
        (r[0], r[1]) for r in store.query("SELECT id, folder_name FROM projects") if "  " in r[1]
    )  # e.g. "21614 - PLWRX  TR L1 Upgrades"
    folder = parse_project_folder(name)
    assert folder is not None and folder.name != name
    names = sorted(r[0] for r in store.query("SELECT name FROM documents WHERE project_id = ?", (pid,)))
    known = {pid: project_facts.Ahead(folder, name, project_facts.names_digest(names), (len(names), ["Ahead"]))}

    def no_parse(_: str) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(project_facts, "parse_project_folder", no_parse)
    with store.transaction() as conn:
        project_facts.refresh_ids(conn, known)
    assert _facts(store)[folder.code] == (len(names), ["Ahead"])
