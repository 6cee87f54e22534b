"""OneDrive delta sync against a fake Graph drive (offline): rows, changes, resync, throttling, faults."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from quicknav_mcp.indexers import onedrive as od

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo.plan import plan_firm
from quicknav_mcp.errors import ConfigError
from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.store import Store

from ._graph import FakeCredential, FakeDrive, client_for, drive_from_plan

FOLDER = "Project Folders"


@pytest.fixture
def app(tmp_path: Path):
    with App.open(load_config(db=tmp_path / "q.db", env={})) as app:
        yield app


@pytest.fixture(scope="module")
def firm() -> Any:
    return plan_firm(projects=12, seed=11)


@pytest.fixture
def drive(firm: Any) -> FakeDrive:
    return drive_from_plan(firm.files, page_size=100)


def docs(store: Store, root_id: int) -> dict[str, tuple[int, int, int]]:
    """rel_path -> (id, project id, size) of the source's documents."""
    rows = store.query(
        f"SELECT {REL_PATH}, d.id, d.project_id, d.size FROM documents d JOIN projects p ON p.id = d.project_id "
        "WHERE d.root_id = ?",
        (root_id,),
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def sync(store: Store, source: od.Source, drive: FakeDrive, **kwargs: Any) -> od.SyncReport:
    with client_for(drive, **kwargs) as client:
        return od.sync_source(store, source.id, client)


def test_first_sync_of_10000_items(app: App) -> None:
    plan = plan_firm(projects=320, seed=5)
    drive = drive_from_plan(plan.files, limit_items=10_000)
    assert len(drive.items) >= 10_000
    source = od.add_source(app.store, "b!drive1", FOLDER)
    t0 = time.perf_counter()
    report = sync(app.store, source, drive)
    seconds = time.perf_counter() - t0
    print(f"\nfirst sync of {len(drive.items):,} items: {seconds:.2f}s ({report.pages} pages)")
    assert report.status == "done", report.error
    assert report.full and report.items == len(drive.items) and report.problems == 0
    files = [it for it in drive.items.values() if "file" in it]
    stored = docs(app.store, source.root_id)
    assert len(stored) == report.added == len(files)
    project_names = {f.rel.split("/")[2] for f in plan.files[: len(files)]}  # the drive holds the first files
    count = app.store.query_one(
        "SELECT count(*) FROM projects p JOIN roots r ON r.id = p.root_id WHERE r.id = ?", (source.root_id,)
    )[0]
    assert count == report.projects_added == len(project_names)
    # The second sync asks for changes only: one page, nothing written.
    again = sync(app.store, source, drive)
    assert (again.full, again.pages, again.items, again.added, again.deleted) == (False, 1, 0, 0, 0)
    assert docs(app.store, source.root_id) == stored


def test_rows_match_the_scanner_on_the_same_tree(tmp_path: Path, firm: Any, drive: FakeDrive) -> None:
    """The same paths on disk and on OneDrive give the same projects and parsed documents."""
    from quicknav_mcp.demo.firm import write_plan

    root = tmp_path / "firm"
    write_plan(root, firm, content=False)
    cols = (
        f"{REL_PATH}, project_rel_path, name, ext, doc_type, phase, revision, revision_scheme, status_tags, "
        "is_as_built, doc_date, room, change_order, series_key, is_archive, is_handover_copy"
    )
    with App.open(load_config(db=tmp_path / "disk.db", roots=[root / FOLDER], env={})) as disk:
        disk.indexing.reindex()
        on_disk = set(disk.store.query(f"SELECT {cols} FROM documents d JOIN projects p ON p.id = d.project_id"))
        disk_projects = set(disk.store.query("SELECT code, folder_name, rel_path, range_folder FROM projects"))
    with App.open(load_config(db=tmp_path / "cloud.db", env={})) as cloud:
        source = od.add_source(cloud.store, "b!drive1", FOLDER)
        assert sync(cloud.store, source, drive).status == "done"
        in_cloud = set(cloud.store.query(f"SELECT {cols} FROM documents d JOIN projects p ON p.id = d.project_id"))
        cloud_projects = set(cloud.store.query("SELECT code, folder_name, rel_path, range_folder FROM projects"))
    assert {tuple(r) for r in in_cloud} == {tuple(r) for r in on_disk}
    assert {tuple(r) for r in cloud_projects} == {tuple(r) for r in disk_projects}
    assert len(on_disk) > 200


def test_changes_renames_moves_and_deletes_keep_ids(app: App, firm: Any, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    assert sync(store, source, drive).status == "done"
    before = docs(store, source.root_id)
    projects = sorted({rel.split("/")[1] for rel in before})
    p1, p2 = projects[0], projects[1]
    range1 = next(rel.split("/")[0] for rel in before if rel.split("/")[1] == p1)
    range2 = next(rel.split("/")[0] for rel in before if rel.split("/")[1] == p2)
    files1 = sorted(rel for rel in before if rel.split("/")[1] == p1)
    files2 = sorted(rel for rel in before if rel.split("/")[1] == p2)
    renamed, moved, deleted, modified = files1[0], files1[1], files1[2], files1[3]

    drive.rename(drive.find(f"{FOLDER}/{renamed}"), "Renamed Drawing - Rev 105.pdf")
    drive.move(drive.find(f"{FOLDER}/{moved}"), drive.find(f"{FOLDER}/{range2}/{p2}"))
    drive.delete(drive.find(f"{FOLDER}/{deleted}"))
    drive.modify(drive.find(f"{FOLDER}/{modified}"), 424242)
    added = drive.file(f"{FOLDER}/{range2}/{p2}/4. System Designs/{p2[:5]} - NEW LEVEL - Rev 100.pdf")
    # A project folder renamed: the feed carries the folder alone, its documents follow it.
    new_p2 = p2[:5] + " - RENAMED Client Works"
    drive.rename(drive.find(f"{FOLDER}/{range2}/{p2}"), new_p2)

    report = sync(store, source, drive)
    assert report.status == "done" and not report.full
    assert report.items < 10  # changes only
    after = docs(store, source.root_id)
    dirname = renamed.rsplit("/", 1)[0]
    assert after[f"{dirname}/Renamed Drawing - Rev 105.pdf"][0] == before[renamed][0]
    new_moved = f"{range2}/{new_p2}/{moved.rsplit('/', 1)[1]}"
    assert after[new_moved][0] == before[moved][0]
    assert after[new_moved][1] == before[files2[0]][1]  # now in the other project
    assert deleted not in after and all(i != before[deleted][0] for i, _, _ in after.values())
    assert after[modified] == (before[modified][0], before[modified][1], 424242)
    for rel in files2:
        new_rel = rel.replace(f"/{p2}/", f"/{new_p2}/")
        assert after[new_rel][0] == before[rel][0], rel
    assert f"{range2}/{new_p2}/4. System Designs/{p2[:5]} - NEW LEVEL - Rev 100.pdf" in after
    assert report.deleted == 1 and report.added == 1
    row = store.query_one("SELECT folder_name FROM projects WHERE id = ?", (before[files2[0]][1],))
    assert row[0] == new_p2
    assert store.query_one("SELECT web_url FROM onedrive_items WHERE item_id = ?", (added,))[0].endswith(".pdf")

    # A whole project folder deleted: the feed names the folder only; its documents go too.
    drive.delete(drive.find(f"{FOLDER}/{range1}/{p1}"))
    report = sync(store, source, drive)
    left = docs(store, source.root_id)
    assert not [rel for rel in left if rel.split("/")[1] == p1]
    assert store.query_one("SELECT count(*) FROM projects WHERE folder_name = ?", (p1,))[0] == 0
    assert report.projects_deleted == 1


def test_410_gone_resyncs_and_keeps_ids(app: App, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    sync(store, source, drive)
    before = docs(store, source.root_id)
    gone_rel = sorted(before)[5]
    drive.delete(drive.find(f"{FOLDER}/{gone_rel}"))
    drive.expired_before = drive.seq + 1  # every delta token issued so far has expired
    report = sync(store, source, drive)
    assert report.status == "done" and report.resynced and report.full
    after = docs(store, source.root_id)
    assert gone_rel not in after
    assert all(after[rel][0] == before[rel][0] for rel in after)
    assert len(after) == len(before) - 1
    # The new delta link works again.
    drive.expired_before = 0
    assert sync(store, source, drive).full is False


def test_throttling_storm_honours_retry_after(app: App, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    drive.faults = [("status", 429, 7)] * 4 + [("status", 503, None)] + [("status", 429, 3)]
    client = client_for(drive)
    report = od.sync_source(store, source.id, client)
    assert report.status == "done"
    assert client.sleeps[:4] == [7, 7, 7, 7] and client.sleeps[5] == 3  # type: ignore[attr-defined]
    # No header: exponential backoff with jitter (the fifth retry of this request: 2**4 s, halved at most).
    assert 8 <= client.sleeps[4] <= 16  # type: ignore[attr-defined]
    assert report.retries == 6 and report.waited > 30

    # A storm longer than the retries allow: a failed sync, nothing applied, the old link kept.
    before = docs(store, source.root_id)
    link = od.get_source(store, source.id).delta_link
    drive.modify(drive.find(f"{FOLDER}/{sorted(before)[0]}"), 1)
    drive.faults = [("status", 429, 1)] * 50
    failed = sync(store, source, drive, max_retries=3)
    assert failed.status == "failed" and "429" in (failed.error or "")
    assert od.get_source(store, source.id).delta_link == link
    assert docs(store, source.root_id) == before
    drive.faults = []
    assert sync(store, source, drive).updated == 1


def test_links_to_another_host_are_refused(app: App, drive: FakeDrive) -> None:
    """A nextLink elsewhere would hand the bearer token to that host: the sync fails instead."""
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    drive.faults = [{"value": [], "@odata.nextLink": "https://evil.test/v1.0/drives/x/root/delta?skip=1"}]
    report = sync(store, source, drive)
    assert report.status == "failed" and "evil.test" in (report.error or "")
    assert not any("evil.test" in url for url in drive.requests)


def test_retry_after_is_capped(drive: FakeDrive) -> None:
    drive.faults = [("status", 429, 86_400)]
    client = client_for(drive, max_wait=30)
    client.get_json("drives/b!drive1/root/delta")
    assert client.sleeps == [30]  # type: ignore[attr-defined]


def test_malformed_pages_and_items_are_recorded(app: App, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    # One truncated page is retried; three in a row fail the sync with a recorded problem.
    drive.faults = ["junk", "junk", "notobject"]
    report = sync(store, source, drive)
    assert report.status == "failed" and report.problems == 1
    problem = store.query_one("SELECT kind, message FROM scan_problems WHERE scan_id = ?", (report.scan_id,))
    assert "JSON" in problem["message"]
    assert od.get_source(store, source.id).last_status == "failed"
    assert docs(store, source.root_id) == {}
    drive.faults = ["junk"]
    assert sync(store, source, drive).status == "done"
    # A page without 'value', and items missing what the sync needs.
    drive.faults = [{"foo": 1}]
    assert "value" in (sync(store, source, drive).error or "")
    bad_items = [{"name": "no id.pdf"}, {"id": "X1", "name": "orphan.pdf"}, {"id": "X2"}, "text"]
    drive.faults = [{"value": bad_items, "@odata.deltaLink": "https://graph.test/v1.0/drives/x/root/delta?token=0"}]
    report = sync(store, source, drive)
    assert report.status == "done" and report.problems == 4
    messages = [p["message"] for p in report.problem_samples]
    assert any("no id" in m for m in messages) and any("no parent id" in m for m in messages)
    assert any("no usable name" in m for m in messages) and any("str" in m for m in messages)


def test_expired_token_signs_in_again(app: App, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    credential = FakeCredential()
    drive.valid_tokens = {"t2"}  # t1 is refused, as an expired or revoked token is
    report = sync(store, source, drive, credential=credential)
    assert report.status == "done"
    assert credential.calls == 2
    assert credential.scopes[0] == ("https://graph.test/.default",)
    # A token past its expiry time is renewed before it is sent.
    short = FakeCredential(lifetime=60)
    drive.valid_tokens = None
    with client_for(drive, credential=short) as client:
        client.get_json("drives/b!drive1/root/delta")
        client.get_json("drives/b!drive1/root/delta")
    assert short.calls == 2
    # A credential that keeps failing: a failed sync naming the problem, not a crash.
    drive.valid_tokens = set()
    failed = sync(store, source, drive, credential=FakeCredential())
    assert failed.status == "failed" and "401" in (failed.error or "")


def test_dropped_connections_are_retried(app: App, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    drive.faults = ["drop", "drop", "drop"]
    report = sync(store, source, drive)
    assert report.status == "done" and report.retries == 3
    assert len(docs(store, source.root_id)) == sum("file" in it for it in drive.items.values())


def test_local_copy_is_linked_not_duplicated(tmp_path: Path, firm: Any, drive: FakeDrive) -> None:
    """The OneDrive client syncs the folder into a configured root: documents are the scanned rows."""
    from quicknav_mcp.demo.firm import write_plan

    local = tmp_path / "OneDrive - Firm"
    write_plan(local, firm, content=False)
    only_cloud = drive.file(f"{FOLDER}/{firm.files[0].rel.split('/', 1)[1].rsplit('/', 1)[0]}/cloud only.pdf")
    with App.open(load_config(db=tmp_path / "q.db", roots=[local / FOLDER], env={})) as app:
        app.indexing.reindex()
        scanned = app.store.query_one("SELECT count(*) FROM documents")[0]
        source = od.add_source(app.store, "b!drive1", FOLDER)
        report = sync(app.store, source, drive)
        assert report.linked == scanned and report.added == 1
        assert app.store.query_one("SELECT count(*) FROM documents")[0] == scanned + 1
        linked = app.store.query_one("SELECT count(*) FROM onedrive_items WHERE local = 1 AND doc_id IS NOT NULL")[0]
        assert linked == scanned
        code = firm.files[0].project
        assert Path(app.navigation.navigate(code).path).is_dir()  # the local folder, one project
        row = app.store.query_one(
            "SELECT r.path FROM onedrive_items i JOIN documents d ON d.id = i.doc_id JOIN roots r ON r.id = d.root_id "
            "WHERE i.item_id = ?",
            (only_cloud,),
        )
        assert row[0] == source.location


def test_sources_add_list_remove(app: App, drive: FakeDrive) -> None:
    store = app.store
    source = od.add_source(store, "me", "/Project Files\\Project Folders/", tenant="firm.example", client_id="abc-1")
    assert source.location == "onedrive://me/Project Files/Project Folders"
    assert [s.id for s in od.list_sources(store)] == [source.id]
    assert od.get_source(store, "me").id == source.id
    with pytest.raises(ConfigError, match="already a source"):
        od.add_source(store, "me", "Project Files/Project Folders")
    for bad in ("", "a b", "../x"):
        with pytest.raises(ConfigError, match="--drive"):
            od.add_source(store, bad)
    with pytest.raises(ConfigError, match="plain path"):
        od.add_source(store, "b!x", "a/../b")
    with pytest.raises(ConfigError, match="--tenant"):
        od.add_source(store, "b!x", tenant="evil tenant/..")
    other = od.add_source(store, "b!drive1", FOLDER)
    assert sync(store, other, drive).status == "done"
    assert store.query_one("SELECT count(*) FROM documents")[0] > 0
    assert "delta_link" in other.to_dict() and od.get_source(store, other.id).to_dict()["delta_link"] is True
    od.remove_source(store, other.id)
    assert store.query_one("SELECT count(*) FROM documents")[0] == 0
    assert store.query_one("SELECT count(*) FROM onedrive_items")[0] == 0
    with pytest.raises(ConfigError, match="no OneDrive source"):
        od.get_source(store, other.id)


@pytest.mark.corpus
def test_real_paths_give_the_same_rows_as_the_scanner(tmp_path: Path, real_paths: list[str]) -> None:
    """The firm's real catalogue, on disk and on OneDrive: the same projects and parsed documents."""
    from ..conftest import build_tree

    root = tmp_path / "Project Files"
    root.mkdir()
    build_tree(root, real_paths)
    drive = FakeDrive(page_size=200)
    for line in real_paths:
        drive.file(line.replace("\\", "/"))
    cols = (
        f"{REL_PATH}, project_rel_path, doc_type, phase, revision, status_tags, doc_date, room, change_order, "
        "series_key"
    )
    with App.open(load_config(db=tmp_path / "disk.db", roots=[root / FOLDER], env={})) as disk:
        disk.indexing.reindex()
        on_disk = {
            tuple(r) for r in disk.store.query(f"SELECT {cols} FROM documents d JOIN projects p ON p.id = d.project_id")
        }
    with App.open(load_config(db=tmp_path / "cloud.db", env={})) as cloud:
        source = od.add_source(cloud.store, "b!drive1", FOLDER)
        report = sync(cloud.store, source, drive)
        assert report.status == "done" and report.problems == 0
        in_cloud = {
            tuple(r)
            for r in cloud.store.query(f"SELECT {cols} FROM documents d JOIN projects p ON p.id = d.project_id")
        }
    assert len(on_disk) > 1500
    assert in_cloud == on_disk


def test_swaps_and_reused_paths_keep_the_right_ids(app: App, drive: FakeDrive) -> None:
    """Two files swap names; a new file takes a moved file's old path; a deleted project folder's
    name is reused by a new folder: each item keeps its own row, nothing collides."""
    store = app.store
    source = od.add_source(store, "b!drive1", FOLDER)
    assert sync(store, source, drive).status == "done"
    before = docs(store, source.root_id)
    by_folder: dict[str, list[str]] = {}
    for rel in sorted(before):
        by_folder.setdefault(rel.rsplit("/", 1)[0], []).append(rel)
    folder, (a, b, c, *_) = next((f, rels) for f, rels in by_folder.items() if len(rels) >= 3)
    ia, ib, ic = (drive.find(f"{FOLDER}/{r}") for r in (a, b, c))
    name_a, name_b = a.rsplit("/", 1)[1], b.rsplit("/", 1)[1]
    drive.rename(ia, "swap.tmp")
    drive.rename(ib, name_a)
    drive.rename(ia, name_b)
    other_folder = next(f for f in by_folder if f != folder and f.split("/")[1] == folder.split("/")[1])
    drive.move(ic, drive.find(f"{FOLDER}/{other_folder}"))
    newcomer = drive.file(f"{FOLDER}/{c}", size=5)
    projects = sorted({rel.split("/")[0] + "/" + rel.split("/")[1] for rel in before})
    doomed = projects[-1]
    drive.delete(drive.find(f"{FOLDER}/{doomed}"))
    reborn = drive.file(f"{FOLDER}/{doomed}/4. System Designs/{doomed.split('/')[1][:5]} - NEW - Rev 100.pdf")

    report = sync(store, source, drive)
    assert report.status == "done", report.error
    after = docs(store, source.root_id)
    assert after[a][0] == before[b][0] and after[b][0] == before[a][0]
    assert after[f"{other_folder}/{c.rsplit('/', 1)[1]}"][0] == before[c][0]
    assert after[c][0] not in {i for i, _, _ in before.values()} and after[c][2] == 5
    link = store.query_one("SELECT doc_id FROM onedrive_items WHERE item_id = ?", (newcomer,))[0]
    assert link == after[c][0]
    assert [rel for rel in after if rel.startswith(doomed + "/")] == [
        f"{doomed}/4. System Designs/{doomed.split('/')[1][:5]} - NEW - Rev 100.pdf"
    ]
    assert store.query_one("SELECT doc_id FROM onedrive_items WHERE item_id = ?", (reborn,))[0] is not None
    # Nothing is left parked on a temporary path.
    assert store.query_one("SELECT count(*) FROM projects WHERE rel_path LIKE char(0) || '%'")[0] == 0
    assert store.query_one("SELECT count(*) FROM documents WHERE path_key != path_key(project_rel_path)")[0] == 0
