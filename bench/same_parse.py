"""What the name parser says, as lines to compare between two checkouts (a parser speed-up must not change it).

Every name of the cached firm tree, the real corpus (``$QUICKNAV_CORPUS``) and a set of generated variants
of them (case, separators, dates, revisions, change orders, rooms, conflict copies, non-ASCII letters and
digits that Unicode case folding or ``\\d`` treat specially) is parsed with ``parse_document``; one line per
name holds every field and the row a scan stores for it, plus the helpers that other parts call on names
(``classify_doc_type``, ``series_key``, ``split_glued``, ``fold``, ``words_view``). Run it in both checkouts
and compare:

    .venv/bin/python bench/same_parse.py --out /tmp/new.txt
    /work/wt/base/.venv/bin/python bench/same_parse.py --out /tmp/base.txt
    .venv/bin/python bench/same_parse.py --compare /tmp/base.txt /tmp/new.txt
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT

from quicknav_mcp.domain import classify_doc_type, parse_document, series_key
from quicknav_mcp.domain.grammar import split_glued
from quicknav_mcp.domain.text import fold, words_view
from quicknav_mcp.repo.documents import document_values

Name = tuple[tuple[str, ...], str]

#: Pieces spliced into names: each one is a form some parser reads (or a near miss of one).
PIECES = (
    " Rev 101",
    "_REV102",
    "-Rev203",
    " Rev 1.02",
    " Rev2",
    " Revision 3",
    " (Rev_I)",
    " Rev.5",
    "_(A)",
    " [C1]",
    " V2",
    " v1.2.3",
    " REV B",
    " 05.06.2025",
    " 23.09.22",
    " 31-Jan-2025",
    " 12_03_2024",
    " 20240325",
    " 2024-03-25",
    " 1 sept 23",
    " 31.02.2024",
    " CO5",
    " Change Order 7",
    " Change+Order+15",
    " Change Order No. 3",
    " Variation 2",
    " VARIATIONS",
    " Room 05",
    " Room12",
    " R 12 -",
    " R1 -",
    "R2D2",
    " A-1101",
    " SAAB-DU-006",
    " REV-101",
    " AS BUILT",
    " As-Built",
    " ENG DRAFT",
    " DRAFT",
    " rpsigned",
    " DESIGNED",
    " FINAL",
    " TEMPLATE",
    " (1)",
    " (12)",
    " - Copy",
    " - Copy (2)",
    "-DESKTOP-ABC1234",
    "-LAPTOP-9F2K1QX-2",
    " (Jo's conflicted copy 2024-05-01)",
    " Q-12345",
    " PO 23456",
    " INV34567",
    " PAVS20699",
    " 123456",
    " ScopeOfWork",
    " RoomLayout",
    " HLD",
    " High-Level",
    " Floor Plans",
    " QA-FT",
    " SWMS",
    " Quotation",
    " Statement of Works",
    " Handover Document",
    " Proposal",
    " Invoice",
    " User Guide",
    " Datasheet",
    " Audit",
    " Sales & PO",
    " SALES AND PO",
    " Purchase Order",
    " PO12",
    " POABC1",
    # Text that Unicode rules read differently from ASCII rules.
    " ſigned",
    " dra\u017ft",
    " \u212aelvin",
    " Revıew",
    " R\u0131ev 101",
    " caf\u00e9",
    " \u0661\u0662\u0663\u0664\u0665",
    " \uff11\uff12\uff13\uff14\uff15",
    " 0\u0665.06.2025",
    " \u00c9TAGE 3",
    "\u00a0Rev\u00a0101",
    "\u2013 ",
    " \t ",
    "__",
    "++",
    "..",
    "",
)

FOLDERS = (
    (),
    ("4. System Designs",),
    ("4. System Designs", "Archive"),
    ("1. Sales Handover", "Floor Plans"),
    ("2. BOM & Orders", "Change Orders"),
    ("5. Customer Handover Documents", "As Built Documents"),
    ("3. PMO", "SWMS", "Old Drawings"),
    ("Photos",),
    ("4. System Designs", "Datasheets"),
    ("zz_Superseded",),
    ("Supplier Quotes", "Invoices"),
    ("Room 05 Townsville",),
)


def firm_names(tree: Path) -> Iterator[Name]:
    """``(folders between project and file, name)`` of every file of a firm tree (range/project/...)."""
    base = tree / "Project Folders"
    for dirpath, dirs, files in os.walk(base):
        dirs.sort()
        parts = Path(dirpath).relative_to(base).parts
        if len(parts) >= 2:
            for name in sorted(files):
                yield tuple(parts[2:]), name


def corpus_names(corpus: Path) -> Iterator[Name]:
    for line in corpus.read_text(encoding="utf-8").splitlines():
        parts = line.split("/")
        if len(parts) >= 4:
            yield tuple(parts[3:-1]), parts[-1]
            yield tuple(parts[2:-1]), parts[-1]  # the project folder read as a folder too


def variants(names: list[Name], count: int, seed: int = 7) -> Iterator[Name]:
    """Names with pieces spliced in, case changed and separators swapped (deterministic)."""
    rng = random.Random(seed)
    for _ in range(count):
        folders, name = rng.choice(names)
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        for _ in range(rng.randint(1, 3)):
            cut = rng.randint(0, len(stem))
            stem = stem[:cut] + rng.choice(PIECES) + stem[cut:]
        roll = rng.random()
        if roll < 0.1:
            stem = stem.upper()
        elif roll < 0.2:
            stem = stem.lower()
        elif roll < 0.3:
            stem = stem.replace(" ", "_")
        elif roll < 0.35:
            stem = stem.replace(" ", "+")
        ext = rng.choice((ext, ext.upper(), "pdf", "DWG", "jpg", "", "docx"))
        if rng.random() < 0.3:
            folders = rng.choice(FOLDERS)
        yield folders, f"{stem}.{ext}" if ext else stem
        if rng.random() < 0.02:
            yield folders, stem  # no extension at all
            yield folders, "." + stem  # a dot first


def line_of(folders: tuple[str, ...], name: str) -> str:
    """Every field of the parse, the stored row and the helpers, as one JSON line."""
    try:
        doc = parse_document(folders, name)
    except Exception as exc:  # the same failure on both sides is the same answer
        return json.dumps([folders, name, f"error {type(exc).__name__}: {exc}"], ensure_ascii=False)
    fields = {k: getattr(doc, k) for k in doc.__slots__}
    fields["revision"] = [doc.revision.value, doc.revision.raw, doc.revision.scheme] if doc.revision else None
    fields["doc_date"] = doc.doc_date.isoformat() if doc.doc_date else None
    row = document_values(1, "/".join((*folders, name)), name, 0, 0.0, doc)
    helpers = [
        classify_doc_type(folders, name),
        series_key(doc.stem),
        split_glued(doc.stem),
        fold(doc.stem),
        words_view(doc.stem),
    ]
    return json.dumps([folders, name, fields, row, helpers], ensure_ascii=False, sort_keys=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path)
    ap.add_argument("--tree", type=Path, default=OUT / "firm-5000-11-m")
    ap.add_argument("--variants", type=int, default=150_000)
    args = ap.parse_args()
    if args.compare:
        a, b = (p.read_text(encoding="utf-8").splitlines() for p in args.compare)
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
        print(json.dumps({"lines": [len(a), len(b)], "differ": len(diff), "first": diff[:5]}))
        for i in diff[:5]:
            print(a[i], b[i], sep="\n", file=sys.stderr)
        raise SystemExit(1 if diff or len(a) != len(b) else 0)
    names = list(firm_names(args.tree)) if args.tree.is_dir() else []
    corpus = os.environ.get("QUICKNAV_CORPUS")
    if corpus and Path(corpus).is_file():
        names += corpus_names(Path(corpus))
    names += list(variants(names, args.variants))
    with args.out.open("w", encoding="utf-8") as out:
        for folders, name in names:
            out.write(line_of(folders, name) + "\n")
    print(json.dumps({"names": len(names), "out": str(args.out)}))


if __name__ == "__main__":
    main()
