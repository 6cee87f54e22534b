"""The brief form of answer models: empty and detail-only fields left out, required ones kept,
the original untouched, and every brief answer valid against its model's schema."""

from __future__ import annotations

import jsonschema
import pytest
from pydantic import BaseModel

import quicknav_mcp.analytics.models  # noqa: F401  (its answers join the schema check below)
from quicknav_mcp import models
from quicknav_mcp.models import Answer, DocumentInfo, DocumentPage, FindDocumentsResult, NavigateResult, shaped
from quicknav_mcp.search.models import (
    BRIEF_SNIPPET,
    DocumentHit,
    ProjectHit,
    SearchDocumentsResult,
    SearchProjectsResult,
    short_snippet,
)


def _doc(i: int, folder: str = "/firm/20692 - PLWRX Pool") -> DocumentInfo:
    rel = f"4. System Designs/20692 - DESIGN {i} - Rev 10{i}.pdf"
    return DocumentInfo(
        id=i,
        path=f"{folder}/{rel}",
        rel_path=rel,
        name=rel.rsplit("/", 1)[1],
        project_number="20692",
        doc_type="lld",
        phase="system_designs",
        revision=100 + i,
        revision_raw=f"Rev 10{i}",
        series_key=f"20692 design {i}",
        is_current=i == 1,
        size=1234,
        modified="2025-01-01T00:00:00+00:00",
    )


def _all_answers() -> list[type[BaseModel]]:
    found, todo = [], [Answer]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


@pytest.mark.parametrize("model", _all_answers(), ids=lambda m: m.__name__)
def test_fields_a_brief_answer_leaves_out_are_optional(model: type[Answer]) -> None:
    required = {name for name, f in model.model_fields.items() if f.is_required()}
    assert not model.BRIEF_OMIT & required, "a brief answer would break the output schema"
    assert set(model.model_fields) >= model.BRIEF_OMIT


def test_brief_document_keeps_what_identifies_it_and_drops_empties() -> None:
    doc = _doc(2)
    data = doc.brief().model_dump(mode="json")
    assert data == {
        "id": 2,
        "path": doc.path,
        "name": doc.name,
        "project_number": "20692",
        "doc_type": "lld",
        "revision": 102,
        "is_current": False,  # kept even when false: superseded is worth saying
    }
    assert doc.model_dump()["series_key"] == "20692 design 2"  # the original is still full
    jsonschema.validate(data, DocumentInfo.model_json_schema())


def test_search_hit_snippet_only_when_it_adds_to_the_name() -> None:
    base = _doc(1).model_dump()
    named = DocumentHit(**base, score=1.5, snippet=f"**20692** - {base['name'][8:]}", project_name="x", ext="pdf")
    inside = DocumentHit(**base, score=1.0, snippet="…Biamp **Tesira** Forte…", why=["content"])
    answer = SearchDocumentsResult(
        total_count=2, offset=0, limit=10, query="q", documents=[named, inside], search_time_ms=1.0, facets={}
    )
    data = shaped(answer, "brief").model_dump(mode="json")
    assert "snippet" not in data["documents"][0] and data["documents"][1]["snippet"].startswith("…Biamp")
    assert not {"project_name", "ext", "facets", "understood", "semantic", "suggestions"} & (
        data["documents"][0].keys() | data.keys()
    )
    assert "next_offset" not in data and data["total_count"] == 2
    jsonschema.validate(data, SearchDocumentsResult.model_json_schema())
    assert shaped(answer, "full").model_dump(mode="json")["documents"][0]["project_name"] == "x"


def test_document_page_gives_the_folder_once() -> None:
    page = DocumentPage(project_number="20692", documents=[_doc(1), _doc(2)], total_count=2, offset=0, limit=50)
    data = page.brief().model_dump(mode="json")
    assert data["folder"] == "/firm/20692 - PLWRX Pool"
    assert [data["folder"] + "/" + d["rel_path"] for d in data["documents"]] == [d.path for d in page.documents]
    assert not {"path", "name", "project_number"} & data["documents"][0].keys()
    jsonschema.validate(data, DocumentPage.model_json_schema())
    # Two folders with one code: no common folder, so absolute paths.
    mixed = DocumentPage(
        project_number="20692",
        documents=[_doc(1), _doc(2, "/firm/20692 - PLWRX Old")],
        total_count=2,
        offset=0,
        limit=5,
    )
    data = mixed.brief().model_dump(mode="json")
    assert "folder" not in data and [d["path"] for d in data["documents"]] == [d.path for d in mixed.documents]


def test_legacy_shapes_state_each_path_once() -> None:
    found = FindDocumentsResult(status="select", paths=[_doc(1).path, _doc(2).path], documents=[_doc(1), _doc(2)])
    data = found.brief().model_dump(mode="json")
    assert data["paths"] == [d.path for d in found.documents]
    assert all("path" not in d and "project_number" not in d and "id" in d for d in data["documents"])
    project = models.ProjectSummary(
        project_number="20692", name="20692 - PLWRX Pool", path="/firm/20692 - PLWRX Pool", client="PLWRX"
    )
    nav = NavigateResult(status="success", path=project.path, projects=[project]).brief().model_dump(mode="json")
    assert nav == {
        "status": "success",
        "path": project.path,
        "projects": [{"project_number": "20692", "name": project.name, "doc_count": 0}],
    }
    hit = ProjectHit(**project.model_dump(), score=1.0, highlight="**20692**")
    assert SearchProjectsResult(
        total_count=1, offset=0, limit=10, query="q", projects=[hit], search_time_ms=1.0
    ).brief().model_dump()["projects"][0].keys() == {"project_number", "name", "path", "doc_count", "score"}


@pytest.mark.parametrize(
    "text",
    [
        "…processor - Crestron TSW-1070 touch panel - Biamp **Tesira** Forte AVB VT **DSP** - Biamp Parle TCM-XA "
        'ceiling microphone x2 - Samsung QM98C 98" display Control: Crestron CP4N processor,…',
        "Biamp **Tesira** Datasheet Biamp Tesira Datasheet Paragon AV Systems - Paragon Audio Visual Integration Pty "
        "Ltd Document: Biamp Tesira Forte AVB VT DSP datasheet Project: 17488 - Security…",
        "x" * 300 + " **hit** " + "y " * 100,
        "words " * 15 + "**a long bold phrase that the cut falls inside of because it goes on and on and on**",
    ],
)
def test_brief_snippets_are_short_around_the_first_match(text: str) -> None:
    short = short_snippet(text)
    assert len(short) <= BRIEF_SNIPPET + 4 and short.count("**") % 2 == 0
    first = text[text.find("**") :].split("**")[1]
    assert f"**{first[:20]}" in short  # the first match is in it
    assert short.endswith("…") and (short.startswith("…") or text.startswith(short[:10]))
    assert short_snippet("short **one**") == "short **one**"
