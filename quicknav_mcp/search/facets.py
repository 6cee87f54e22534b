"""Facet counts of a result list (documents: family, phase, project, extension, year, status;
projects: client and range folder)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..repo import DocumentRow, ProjectRow
from ..repo.documents import DocumentFacts
from .models import FacetValue

DOC_FACETS = ("doc_type", "phase", "project", "extension", "year", "status")
TOP = 20  # values kept per facet


def statuses(d: DocumentRow | DocumentFacts) -> list[str]:
    """The status values of a candidate whose ``is_current`` is set (the ``status`` filter too)."""
    out = ["current" if d.is_current else ("archive" if d.is_archive else "superseded")]
    if d.is_archive and "archive" not in out:
        out.append("archive")
    if d.is_as_built:
        out.append("as_built")
    if any(t in ("DRAFT", "ENG DRAFT") for t in d.status_tags):
        out.append("draft")
    return out


def document_facets(docs: Iterable[DocumentRow | DocumentFacts]) -> dict[str, list[FacetValue]]:
    counters: dict[str, Counter[str]] = {k: Counter() for k in DOC_FACETS}
    for d in docs:
        counters["doc_type"][d.doc_type] += 1
        counters["phase"][d.phase or "other"] += 1
        counters["project"][d.code] += 1
        counters["extension"][d.ext or "(none)"] += 1
        if d.year:
            counters["year"][d.year] += 1
        for s in statuses(d):
            counters["status"][s] += 1
    out: dict[str, list[FacetValue]] = {}
    for key, counter in counters.items():
        # ties by value: the same facets whichever order the candidates were counted in
        items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        if key == "year":
            items = sorted(items, key=lambda kv: kv[0], reverse=True)
        out[key] = [FacetValue(value=v, count=n) for v, n in items]
    return out


def project_facets(projects: Iterable[ProjectRow]) -> dict[str, list[FacetValue]]:
    listed = list(projects)
    clients: Counter[str] = Counter(r.client or "(none)" for r in listed)
    ranges: Counter[str] = Counter(r.range_folder or "(none)" for r in listed)
    return {
        "client": [FacetValue(value=v, count=n) for v, n in clients.most_common(TOP)],
        "range": [FacetValue(value=v, count=n) for v, n in sorted(ranges.items(), reverse=True)[:TOP]],
    }
