"""The synthetic firm: determinism, the real-data conventions, ground truth, content, reuse."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path, PurePosixPath

import pytest

from quicknav_mcp.demo import FirmManifest, generate_firm, load_manifest, plan_firm
from quicknav_mcp.demo.firm import MARKER_NAME, write_plan

pypdf = pytest.importorskip("pypdf")
docx = pytest.importorskip("docx")

N_PROJECTS = 60
SEED = 7
ARCHIVES = {"ARCHIVE", "ARCHIVED", "Archive", "OLD DRAWINGS"}

# Every convention of the real catalogue the generator must reproduce (regexes over
# root-relative POSIX paths).
CONVENTIONS: dict[str, str] = {
    "range_folder": r"^Project Folders/\d{5} - \d{5}/\d{5} - ",
    "folder_double_space": r"^Project Folders/[^/]+/\d{5} - [A-Z][A-Z -]*?  \S[^/]*/",
    "folder_double_space_dash": r"^Project Folders/[^/]+/\d{5} - [A-Z]+  - [^/]*/",
    "folder_glued_dash": r"^Project Folders/[^/]+/\d{5} - [A-Z]+- [^/]*/",
    "archive_ARCHIVE": r"/4\. System Designs/ARCHIVE/",
    "archive_ARCHIVED": r"/4\. System Designs/ARCHIVED/",
    "archive_Archive": r"/4\. System Designs/Archive/",
    "archive_OLD_DRAWINGS": r"/4\. System Designs/OLD DRAWINGS/",
    "as_built_handover_copy": r"/[56]\. Customer Handover Documents/As-Built Documents/System Designs/[^/]+\.pdf$",
    "handover_5": r"/5\. Customer Handover Documents/",
    "handover_6": r"/6\. Customer Handover Documents/",
    "avcare_6": r"/6\. AVCare Handover/",
    "avcare_7": r"/7\. AVCare Handover/",
    "design_rev_space": r"/4\. System Designs/[^/]* - Rev 1\d\d[ .]",
    "design_rev_decimal": r"/4\. System Designs/.*Rev \d\.\d\d",
    "design_REV_upper": r"/4\. System Designs/.*REV \d{3}",
    "design_rev_tight": r"/4\. System Designs/.* Rev\d{3}",
    "design_rev_glued": r"/4\. System Designs/[^/]*\S-Rev\d{3}",
    "design_major_200s": r"/4\. System Designs/.*(?i:rev) ?2\d\d",
    "design_as_built": r"/4\. System Designs/[^/]*(AS-BUILT|AS BUILT|As Built)\.pdf$",
    "design_asbuilt_norev": r"/4\. System Designs/[^/]* - AsBuilt\.pdf$",
    "design_draft": r"/4\. System Designs/.*DRAFT\.pdf$",
    "series_per_level": r"/4\. System Designs/.* - LEVEL \d+ - ",
    "series_per_room": r"/4\. System Designs/\d{5} - R \d\d - ",
    "sales_po_current": r"/2\. BOM & Orders/Sales & Change Orders/[^/]* - Sales & PO Report[^/]*\.pdf$",
    "sales_po_old_dd.mm.yyyy": r"/Sales & Change Orders/Old/.* - Sales & PO Report.*\d\d\.\d\d\.\d{4}\.pdf$",
    "sales_po_old_dd.mm.yy": r"/Sales & Change Orders/Old/.* - Sales & PO Report.*\d\d\.\d\d\.\d\d\.pdf$",
    "sales_po_old_dd-mm-yy": r"/Sales & Change Orders/Old/.* - Sales & PO Report.*\d\d-\d\d-\d\d\.pdf$",
    "sales_po_old_dd_mm_yyyy": r"/Sales & Change Orders/Old/.* - Sales & PO Report.*\d\d_\d\d_\d{4}\.pdf$",
    "sales_po_original": r"Sales & PO Report.*ORIGINAL\.pdf$",
    "co_short": r"/Sales & Change Orders/Change Orders/.* - CO\d+\.pdf$",
    "co_long": r"/\d{5} - Change Order \d+\.pdf$",
    "co_web_export": r"\+\[Change\+Order\+\d+\]\.pdf$",
    "consultant_paren": r"/A-\d{4}_\([A-Z]\) - ",
    "consultant_bracket": r" \[[A-Z]\d?\]\.pdf$",
    "consultant_rev_dot": r"-Rev\.\d+\.pdf$",
    "consultant_rev_underscore": r"_\(Rev_[A-Z0-9]+\)\.pdf$",
    "download_duplicate": r" \([12]\)\.pdf$",
    "supplier_quote_number": r"/Supplier Quotes/.*Q-\d{5,6}",
    "purchase_order": r"/Purchase Orders/PURCHASE_\d{5}",
    "proposal_rev": r"Proposal( -)? Rev\d\.pdf$",
    "project_handover_document": r"/1\. Sales Handover/.*Project Handover Document",
    "floor_plans": r"/1\. Sales Handover/Floor Plans/",
    "swms": r"/3\. PMO/.*SWMS?",
    "qa_itp": r"/QA-ITP Reports/.+\.pdf$",
    "photo_jpg": r"\.jpg$",
    "docx": r"\.docx$",
    "txt": r"\.txt$",
    "rtf": r"\.rtf$",
}

_REV = re.compile(r"(?i)\brev\s*(?:(\d)\.(\d\d)|(\d{3}))(?!\d)")
_AS_BUILT = re.compile(r"(?i)\bas[\s-]?built\b")
_DATE = re.compile(r"Report.*?(\d\d)[._-](\d\d)[._-](\d{4}|\d\d)")


def _listing(root: Path) -> list[tuple[str, int, int, str]]:
    """(relative path, size, mtime, sha1) of every file, and dirs with their mtime."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for d in dirnames:
            st = os.stat(os.path.join(dirpath, d))
            out.append((f"{rel_dir}/{d}/", 0, int(st.st_mtime), ""))
        for f in filenames:
            path = os.path.join(dirpath, f)
            st = os.stat(path)
            digest = hashlib.sha1(Path(path).read_bytes()).hexdigest()
            out.append((f"{rel_dir}/{f}".lstrip("./"), st.st_size, int(st.st_mtime), digest))
    return sorted(out)


def _files(root: Path) -> list[str]:
    return sorted(
        (Path(dp) / f).relative_to(root).as_posix() for dp, _, fs in os.walk(root / "Project Folders") for f in fs
    )


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FirmManifest]:
    root = tmp_path_factory.mktemp("firm_a")
    calls: list[tuple[int, int]] = []
    manifest = generate_firm(
        root, projects=N_PROJECTS, seed=SEED, content=True, progress=lambda d, t: calls.append((d, t))
    )
    assert calls[-1] == (N_PROJECTS, N_PROJECTS) and len(calls) == N_PROJECTS
    return root, manifest


def test_same_seed_gives_identical_tree_and_manifest(firm, tmp_path: Path) -> None:
    root, manifest = firm
    again = generate_firm(tmp_path, projects=N_PROJECTS, seed=SEED, content=True)
    assert again.to_dict() == manifest.to_dict()
    assert _listing(tmp_path / "Project Folders") == _listing(root / "Project Folders")


def test_different_seed_differs(firm, tmp_path: Path) -> None:
    root, manifest = firm
    other = generate_firm(tmp_path, projects=N_PROJECTS, seed=SEED + 1, content=False)
    assert [p.folder_name for p in other.projects] != [p.folder_name for p in manifest.projects]
    assert set(_files(tmp_path)) != set(_files(root))


def test_every_real_data_convention_appears(firm) -> None:
    root, manifest = firm
    rels = _files(root)
    assert len(rels) == manifest.file_count == sum(p.file_count for p in manifest.projects)
    missing = [name for name, pattern in CONVENTIONS.items() if not any(re.search(pattern, r) for r in rels)]
    assert not missing, f"conventions not generated: {missing}"
    ranges = {r.split("/")[1] for r in rels}
    assert len(ranges) >= 3
    for rng_folder in ranges:
        start, end = (int(x) for x in rng_folder.split(" - "))
        assert start % 1000 == 0 and end == start + 999
    for project in manifest.projects:
        assert project.rel_path == f"Project Folders/{project.range_folder}/{project.folder_name}"
        assert int(project.code) // 1000 * 1000 == int(project.range_folder[:5])
    # abbreviations in folder names, fuller client names in document names
    assert any(
        p.client_abbr in p.folder_name
        and p.client_name not in p.folder_name
        and any(p.client_name in r.rsplit("/", 1)[-1] for r in rels if r.startswith(p.rel_path + "/"))
        for p in manifest.projects
    )
    # "CO" inside a word or PURCHASE_ numbers must not be counted as change orders
    po_with_cos = [r for r in rels if re.search(r"/PURCHASE_\d{5} CO", r)]
    gt_cos = {path for p in manifest.projects for paths in p.change_orders.values() for path in paths}
    assert not set(po_with_cos) & gt_cos


def _rev(name: str) -> int | None:
    m = _REV.search(name)
    if not m:
        return None
    if m.group(1):
        return int(m.group(1)) * 100 + int(m.group(2))
    return int(m.group(3))


def check_ground_truth(manifest: FirmManifest, mtimes: dict[str, int]) -> None:
    """The manifest's ground truth obeys the rules an engineer would apply to the names."""
    designs = 0
    for p in manifest.projects:
        designs_dir = f"{p.rel_path}/4. System Designs"
        for series in p.designs:
            designs += 1
            cur = PurePosixPath(series.current)
            assert str(cur.parent) == designs_dir, series.current
            assert series.current in series.history
            live = [h for h in series.history if str(PurePosixPath(h).parent) == designs_dir]
            for h in series.history:
                if h not in live:
                    assert PurePosixPath(h).parent.name in ARCHIVES, h
            cur_key = (_rev(cur.name) or 0, bool(_AS_BUILT.search(cur.name)))
            assert series.revision == _rev(cur.name)
            assert series.as_built == bool(_AS_BUILT.search(cur.name))
            for h in live:
                name = PurePosixPath(h).name
                if _rev(cur.name) is None:
                    assert h == series.current  # an unnumbered AsBuilt stands alone
                else:
                    assert (_rev(name) or 0, bool(_AS_BUILT.search(name))) <= cur_key, (h, series.current)
            times = [mtimes[h] for h in series.history]
            assert times == sorted(times) and len(set(times)) == len(times), "older revisions must be older"
            assert mtimes[series.current] == max(times)
            if series.handover_copy:
                assert PurePosixPath(series.handover_copy).name == cur.name
                assert "Customer Handover Documents/As-Built Documents/System Designs/" in series.handover_copy
                assert series.as_built
        if p.sales_po_current:
            cur = PurePosixPath(p.sales_po_current)
            assert "Sales & PO Report" in cur.name or "SALES PO" in cur.name
            for old in p.sales_po_history:
                assert mtimes[old] < mtimes[p.sales_po_current]
            m = _DATE.search(cur.name)
            if m:
                assert cur.parent.name == "Sales & Change Orders"
                day, month, year = m.groups()
                key = (int(year) % 100, int(month), int(day))
                for old in p.sales_po_history:
                    mo = _DATE.search(PurePosixPath(old).name)
                    if mo:
                        d, mth, y = mo.groups()
                        assert (int(y) % 100, int(mth), int(d)) < key, (old, p.sales_po_current)
            elif "ORIGINAL" in cur.name:
                assert not any(_DATE.search(h) for h in p.sales_po_history)
        for number, paths in p.change_orders.items():
            assert paths
            for path in paths:
                name = PurePosixPath(path).name
                pattern = (
                    rf"(?<![A-Za-z])CO{number}(?!\d)|Change Order {number}\b"
                    rf"|Change\+Order\+{number}\]|^{p.code}-{number} "
                )
                assert re.search(pattern, name), (number, name)
    assert designs >= len(manifest.projects) // 2


def test_ground_truth_on_disk(firm) -> None:
    root, manifest = firm
    mtimes = {
        (Path(dp) / f).relative_to(root).as_posix(): int(os.stat(Path(dp) / f).st_mtime)
        for dp, _, fs in os.walk(root / "Project Folders")
        for f in fs
    }
    check_ground_truth(manifest, mtimes)
    for p in manifest.projects:
        for path in [
            *(d.current for d in p.designs),
            p.sales_po_current,
            *(c for paths in p.change_orders.values() for c in paths),
        ]:
            if path:
                assert (root / path).is_file(), path
    assert any(len(p.designs) > 1 for p in manifest.projects)
    assert any(any(d.as_built for d in p.designs) for p in manifest.projects)
    assert any(p.change_orders for p in manifest.projects)


def test_ground_truth_rules_hold_for_a_larger_plan() -> None:
    plan = plan_firm(300, seed=11)
    check_ground_truth(plan.manifest, {f.rel: f.mtime for f in plan.files})
    rels = [f.rel for f in plan.files]
    assert len(rels) == len({r.lower() for r in rels}), "no case-insensitive duplicates"
    assert all(f.family for f in plan.files)


def test_documents_contain_client_full_name_and_equipment(firm) -> None:
    root, manifest = firm
    checked = {"pdf": 0, "docx": 0, "txt": 0}
    for p in manifest.projects[:25]:
        needles = [p.client_name, p.code]
        for d in p.designs[:1]:
            text = "\n".join(page.extract_text() for page in pypdf.PdfReader(root / d.current).pages)
            assert all(n in text for n in needles)
            assert re.search(r"Crestron|Biamp|Samsung|Logitech|Lenovo|Poly|Neat|Epson|Shure", text)
            checked["pdf"] += 1
        if p.sales_po_current:
            text = pypdf.PdfReader(root / p.sales_po_current).pages[0].extract_text()
            assert p.client_name in text
        project_dir = root / p.rel_path
        for path in sorted(project_dir.rglob("*.docx"))[:2]:
            text = "\n".join(par.text for par in docx.Document(path).paragraphs)
            assert p.client_name in text, path
            checked["docx"] += 1
        for path in sorted(project_dir.rglob("*.txt"))[:1]:
            assert p.client_name in path.read_text(encoding="utf-8") or p.code in path.read_text(encoding="utf-8")
            checked["txt"] += 1
    assert all(checked.values()), checked


def test_second_run_reuses_the_tree_without_rewriting(firm) -> None:
    root, manifest = firm
    before = {
        p: (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        for p in (root / "Project Folders").rglob("*")
        for st in [p.stat()]
    }
    marker_before = (root / MARKER_NAME).stat().st_mtime_ns
    calls: list[tuple[int, int]] = []
    again = generate_firm(
        root, projects=N_PROJECTS, seed=SEED, content=True, progress=lambda d, t: calls.append((d, t))
    )
    assert again.to_dict() == manifest.to_dict()
    assert calls == [(N_PROJECTS, N_PROJECTS)]
    after = {p: (st.st_mtime_ns, st.st_ctime_ns, st.st_ino) for p in before for st in [p.stat()]}
    assert after == before
    assert (root / MARKER_NAME).stat().st_mtime_ns == marker_before
    assert load_manifest(root).to_dict() == manifest.to_dict()


def test_manifest_round_trips_through_json(firm) -> None:
    _, manifest = firm
    data = json.loads(json.dumps(manifest.to_dict()))
    back = FirmManifest.from_dict(data)
    assert back == manifest
    project = next(p for p in back.projects if p.change_orders)
    assert all(isinstance(k, int) for k in project.change_orders)
    assert back.by_code(project.code) is project
    assert project.current_designs == {d.name: d.current for d in project.designs}


def test_other_parameters_replace_our_tree_but_never_a_foreign_one(tmp_path: Path) -> None:
    root = tmp_path / "ours"
    generate_firm(root, projects=12, seed=3, content=False)
    manifest = generate_firm(root, projects=10, seed=4, content=False)
    assert _files(root) == sorted(f.rel for f in plan_firm(10, seed=4).files)
    assert load_manifest(root).seed == 4 and manifest.projects_requested == 10
    small = next(iter((root / "Project Folders").rglob("*.pdf")))
    assert small.read_bytes().startswith(b"%PDF") and small.stat().st_size < 2000

    foreign = tmp_path / "foreign"
    (foreign / "Project Folders" / "12345 - Real Job").mkdir(parents=True)
    with pytest.raises(FileExistsError):
        generate_firm(foreign, projects=5, seed=1, content=False)
    assert (foreign / "Project Folders" / "12345 - Real Job").is_dir()


def test_threaded_writer_writes_the_same_tree(tmp_path: Path) -> None:
    plan = plan_firm(8, seed=5)
    write_plan(tmp_path / "one", plan, content=True, workers=1)
    write_plan(tmp_path / "three", plan, content=True, workers=3)
    assert _listing(tmp_path / "one") == _listing(tmp_path / "three")
    assert len(_files(tmp_path / "one")) == len(plan.files)
