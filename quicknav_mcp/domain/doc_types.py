"""Document families: the legacy ``doc_type`` values plus the families the real folders show."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from .grammar import CHANGE_ORDER_FAMILY_IN_NAME, split_glued
from .names import extract_project_code, parse_sheet
from .revisions import parse_revision
from .tags import status_tags
from .text import lower_ascii, word_test

DOC_TYPES: dict[str, str] = {
    "lld": "System designs (low-level design drawings) in 4. System Designs and their as-built handover copies",
    "hld": "High-level / concept designs and schematics",
    "change_order": "Change orders (CO5, Change Order 7, variations)",
    "sales_po": "Sales & PO reports",
    "floor_plans": "Floor plans and room layouts",
    "scope": "Scope of works",
    "qa_itp": "QA / inspection and test plan reports",
    "swms": "Safe work method statements",
    "supplier_quotes": "Supplier quotes",
    "photos": "Site photos and images",
    "handover": "Project handover documents",
    "purchase_order": "Customer and supplier purchase orders",
    "proposal": "Proposals and customer support proposals",
    "invoice": "Invoices",
    "manual": "Manuals, user guides, datasheets and specifications",
    "report": "Other reports (job status, audits, schedules)",
    "cad": "CAD files and consultant drawings (sheet-numbered)",
    "other": "Anything else",
}

DOC_TYPE_SYNONYMS: dict[str, str] = {
    "lld": "lld",
    "low level design": "lld",
    "design": "lld",
    "designs": "lld",
    "system design": "lld",
    "system designs": "lld",
    "drawing": "lld",
    "drawings": "lld",
    "schematic drawing": "lld",
    "as built": "lld",
    "asbuilt": "lld",
    "as-built": "lld",
    "as builts": "lld",
    "hld": "hld",
    "high level design": "hld",
    "concept": "hld",
    "concept design": "hld",
    "schematic": "hld",
    "co": "change_order",
    "cos": "change_order",
    "change order": "change_order",
    "change orders": "change_order",
    "variation": "change_order",
    "variations": "change_order",
    "sales po": "sales_po",
    "sales & po": "sales_po",
    "sales and po": "sales_po",
    "sales & po report": "sales_po",
    "sales report": "sales_po",
    "floor plan": "floor_plans",
    "floor plans": "floor_plans",
    "floorplan": "floor_plans",
    "layout": "floor_plans",
    "scope": "scope",
    "scope of works": "scope",
    "sow": "scope",
    "qa": "qa_itp",
    "itp": "qa_itp",
    "qa itp": "qa_itp",
    "qa-itp": "qa_itp",
    "test report": "qa_itp",
    "swms": "swms",
    "swm": "swms",
    "safe work method": "swms",
    "safety": "swms",
    "quote": "supplier_quotes",
    "quotes": "supplier_quotes",
    "supplier quote": "supplier_quotes",
    "supplier quotes": "supplier_quotes",
    "photo": "photos",
    "photos": "photos",
    "picture": "photos",
    "image": "photos",
    "handover": "handover",
    "handover document": "handover",
    "project handover": "handover",
    "po": "purchase_order",
    "purchase order": "purchase_order",
    "purchase orders": "purchase_order",
    "proposal": "proposal",
    "proposals": "proposal",
    "invoice": "invoice",
    "invoices": "invoice",
    "manual": "manual",
    "manuals": "manual",
    "datasheet": "manual",
    "data sheet": "manual",
    "user guide": "manual",
    "spec": "manual",
    "specification": "manual",
    "report": "report",
    "cad": "cad",
    "dwg": "cad",
    "other": "other",
}

_PHOTO_EXT = frozenset({"jpg", "jpeg", "png", "heic", "gif", "bmp", "tif", "tiff", "webp"})
_CAD_EXT = frozenset({"dwg", "dxf", "vsd", "vsdx", "skp", "rvt"})
_SALES_PO = re.compile(r"\bSALES\s*(?:&|AND)?\s*PO\b", re.I)
_PURCHASE_NAME = re.compile(r"^(?:PURCHASE|PO[\s_\-]?\d|PO[A-Z]{2,5}\d)|\bPURCHASE\s+ORDER\b", re.I)
_HLD = re.compile(r"\bHLD\b|HIGH[\s\-]LEVEL|\bCONCEPT\b|\bSCHEMATICS?\b", re.I)
_FLOOR = re.compile(r"FLOOR\s*PLANS?|\bLAYOUTS?\b|\bGA\s+PLAN", re.I)
_QA = re.compile(r"\bQA\b|\bITP\b|QA[\s\-]?FT|COMMISSIONING", re.I)
_SWMS = re.compile(r"\bSWMS?\b|SAFE\s+WORK\s+METHOD", re.I)
_QUOTE = re.compile(r"\bQUOTE|\bQ-\d{4,}|\bQUOTATION", re.I)
_SCOPE = re.compile(r"\bSCOPE\b|\bSOW\b|(?<![A-Za-z])STATEMENT OF WORKS?\b", re.I)
_HANDOVER = re.compile(r"HANDOVER\s+DOCUMENT", re.I)
_PROPOSAL = re.compile(r"\bPROPOSAL\b", re.I)
_INVOICE = re.compile(r"INVOICE|\bINV\s?\d|^INV", re.I)
_MANUAL = re.compile(r"MANUAL|USER\s+GUIDE|DATA\s*SHEET|SPEC(?:IFICATION)?\s*SHEET|\bSPECIFICATION|BROCHURE", re.I)
_MANUAL_WORDS = ("manual", "guide", "sheet", "specification", "brochure")  # one is in every _MANUAL match
_REPORT = re.compile(r"\bREPORT\b|\bAUDIT\b|\bSCHEDULE\b|\bREGISTER\b", re.I)
_REFERENCE_FOLDER = re.compile(r"^(?:DOCUMENTS?|ENG\s+INFO|REFERENCE|DATASHEETS?|MANUALS?|3D\s+FILES|VCMU.*)$", re.I)


class _FolderFlags(NamedTuple):
    """What the folders between project and file say about the family (the same for every file in them)."""

    photo: bool
    change_orders: bool
    in_designs: bool
    reference: bool
    floor_plan: bool
    floor_or_layout: bool
    qa: bool
    swms: bool
    purchase: bool
    quotes: bool
    scope: bool
    handover: bool
    invoice: bool
    manual: bool


def _has(folders_l: Sequence[str], *needles: str) -> bool:
    return any(any(n in f for n in needles) for f in folders_l)


@lru_cache(maxsize=4096)
def _folder_flags(folders: tuple[str, ...]) -> _FolderFlags:
    # Cached: a scan classifies every file of a folder with the same folders.
    folders_l = [f.lower() for f in folders]
    return _FolderFlags(
        photo=_has(folders_l, "photo"),
        change_orders=any(f.strip() in {"change orders", "all cos", "variations"} for f in folders_l),
        in_designs=any("system design" in f for f in folders_l),
        reference=any(_REFERENCE_FOLDER.match(f.strip()) for f in folders),
        floor_plan=_has(folders_l, "floor plan"),
        floor_or_layout=_has(folders_l, "floor plan", "layout"),
        qa=_has(folders_l, "qa-itp", "qa itp", "itp", "commissioning"),
        swms=_has(folders_l, "swm"),
        purchase=_has(folders_l, "purchase order"),
        quotes=_has(folders_l, "supplier quote", "quotes"),
        scope=_has(folders_l, "scope"),
        handover=_has(folders_l, "sales handover document"),
        invoice=_has(folders_l, "invoice"),
        manual=_has(folders_l, "manual", "datasheet"),
    )


def classify_doc_type(folders: Sequence[str], filename: str) -> str:
    """The document family from its folders (between project and file) and its name."""
    stem, _, ext = filename.rpartition(".")
    if not stem:
        stem, ext = filename, ""
    stem = split_glued(stem)  # ScopeOfWork, RoomLayout: the family words people read in them
    ext = ext.lower()
    flags = _folder_flags(tuple(folders))
    if ext in _PHOTO_EXT or flags.photo:
        return "photos"
    # A pattern is searched only when the name holds a word every match of it holds (see ``word_test``).
    low = lower_ascii(stem)
    has = word_test(low)
    if has("sales") and _SALES_PO.search(stem.replace("_", " ").replace("+", " ")):
        return "sales_po"
    purchase_named = (has("purchase") or low.startswith("po")) and bool(_PURCHASE_NAME.search(stem))
    if not purchase_named and (
        flags.change_orders
        or (
            (has("change") or has("co") or has("variation"))
            and CHANGE_ORDER_FAMILY_IN_NAME.search(stem.replace("_", " ").replace("+", " "))
        )
    ):
        return "change_order"
    hld = (has("hld") or has("high") or has("concept") or has("schematic")) and bool(_HLD.search(stem))
    in_designs = flags.in_designs
    if in_designs and not flags.reference and ext == "pdf":
        if hld:
            return "hld"
        if extract_project_code(stem) or parse_revision(stem) or "AS-BUILT" in status_tags(stem):
            return "lld"
    if ext in _CAD_EXT:
        return "cad"
    if hld and not flags.floor_plan:
        return "hld"
    if flags.floor_or_layout or ((has("floor") or has("layout") or has("plan")) and _FLOOR.search(stem)):
        return "floor_plans"
    if flags.qa or ((has("qa") or has("itp") or has("commissioning")) and _QA.search(stem)):
        return "qa_itp"
    if flags.swms or ((has("swm") or has("safe")) and _SWMS.search(stem)):
        return "swms"
    if purchase_named or flags.purchase:
        return "purchase_order"
    if flags.quotes or ((has("quot") or has("q-")) and _QUOTE.search(stem)):
        return "supplier_quotes"
    if flags.scope or ((has("scope") or has("sow") or has("statement")) and _SCOPE.search(stem)):
        return "scope"
    if flags.handover or (has("handover") and _HANDOVER.search(stem)):
        return "handover"
    if has("proposal") and _PROPOSAL.search(stem):
        return "proposal"
    if flags.invoice or (has("inv") and _INVOICE.search(stem)):
        return "invoice"
    if flags.manual or (any(map(has, _MANUAL_WORDS)) and _MANUAL.search(stem)):
        return "manual"
    if in_designs and parse_sheet(stem):
        return "cad"
    if (has("report") or has("audit") or has("schedule") or has("register")) and _REPORT.search(stem):
        return "report"
    return "other"
