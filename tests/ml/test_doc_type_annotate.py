"""The document classifier on documents people see: a model's family for what the rules call "other"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.domain import classify_doc_type
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio
# Misspelt or bare names the rules cannot type, in the folders such documents live in, and what
# the firm's own typed documents teach about them.
ODD = {
    "3. PMO/Cable install SWMZ.pdf": "swms",
    "2. BOM & Orders/Salse PO 2025.pdf": "sales_po",
    "4. System Designs/xx-zz.pdf": "lld",
}
ODD_NAMES = [rel.rsplit("/", 1)[1] for rel in ODD]


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    return result.structured_content


def _odd_documents(app: App) -> str:
    """Put oddly named files in one project's folders; returns the project number."""
    project = sorted(app.projects.all(), key=lambda r: r.code)[0]
    for rel in ODD:
        (Path(project.path) / rel).parent.mkdir(parents=True, exist_ok=True)
        (Path(project.path) / rel).write_bytes(b"x")
    return project.code


async def test_untyped_documents_get_the_classifiers_family(firm_copy: tuple[Path, Path]) -> None:
    db, root = firm_copy
    for rel in ODD:  # the rules cannot type these
        assert classify_doc_type(rel.split("/")[:-1], rel.rsplit("/", 1)[1]) == "other", rel
    with App.open(load_config(db=db, roots=[root], user="tester", env={})) as app:
        code = _odd_documents(app)
        app.indexing.reindex()
        server = build_server(lambda: app, close_on_exit=False)
        async with Client(server) as client:
            page = await call(client, "list_project_documents", project_number=code, limit=500, detail="full")
            odd = [d for d in page["documents"] if d["name"] in ODD_NAMES]
            assert len(odd) == 3 and all(d["doc_type"] == "other" for d in odd)
            assert all(d["predicted_doc_type"] is None for d in page["documents"])  # no model yet: no guess

            run, _ = app.ml.train(["doc_classifier"], wait=True)
            assert run.outcomes[0].status == "promoted", run.outcomes[0].message

            page = await call(client, "list_project_documents", project_number=code, limit=500, detail="full")
            docs = page["documents"]
            odd = {d["name"]: d for d in docs if d["name"] in ODD_NAMES}
            for d in odd.values():
                assert d["doc_type"] == "other"  # the rules' answer stays; the guess is beside it
                assert d["predicted_doc_type"] not in (None, "other")
                assert 0 < d["predicted_confidence"] <= 1
            # Folders and misspelt words count, as in training.
            assert {d["rel_path"]: d["predicted_doc_type"] for d in odd.values()} == ODD
            assert all(d["predicted_doc_type"] is None for d in docs if d["doc_type"] != "other")

            hits = await call(client, "search_documents", query="xx-zz", project_number=code)
            hit = next(d for d in hits["documents"] if d["name"] == ODD_NAMES[2])
            assert hit["predicted_doc_type"] == odd[ODD_NAMES[2]]["predicted_doc_type"]
            assert hit["predicted_confidence"] == odd[ODD_NAMES[2]]["predicted_confidence"]
        # Batched and cached per model version: a second look classifies nothing again.
        calls: list[int] = []
        real = app.ml.classifier.predict_paths
        app.ml.classifier.predict_paths = lambda paths: calls.append(len(paths)) or real(paths)  # type: ignore[method-assign]
        shown = app.documents.page(code, 0, 500).documents
        untyped = sum(d.doc_type == "other" for d in shown)
        assert untyped >= 3 and app.ml.doc_types.annotate(shown) == untyped and [c for c in calls if c] == []
