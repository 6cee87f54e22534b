"""Project meaning vectors: built from the project's documents' vectors, searched by a query vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from quicknav_mcp.search.project_vectors import ProjectMeaning


def test_projects_are_found_by_what_their_documents_say(firm_copy: tuple[Path, Path]) -> None:
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    db, root = firm_copy
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        docs = app.store.query("SELECT d.id, d.project_id, d.doc_type FROM documents d ORDER BY d.id")
        pids = sorted({p for _, p, _ in docs})
        a, b = pids[0], pids[1]
        dim = 16
        rng = np.random.default_rng(0)
        axis = np.eye(dim, dtype=np.float32)
        ids, rows = [], []
        for doc_id, pid, dtype in docs:
            if pid == a:
                vec = axis[0] if dtype != "photos" else axis[5]
            elif pid == b:
                vec = axis[1]
            else:
                vec = axis[2 + doc_id % 3]
            noisy = vec + 0.05 * rng.standard_normal(dim).astype(np.float32)
            ids.append(doc_id)
            rows.append(noisy / np.linalg.norm(noisy))
        search = app.search
        search.doc_vectors.replace(ids, np.vstack(rows), "test-model")
        meaning = ProjectMeaning(app.store, search.doc_vectors, search.versions)
        hits = meaning.hits(axis[0], "test-model", k=5)
        assert hits[0][0] == a and hits[0][1] > 0.5
        assert meaning.hits(axis[1], "test-model", k=5)[0][0] == b
        # Nothing near an unrelated direction clears the similarity floor.
        assert meaning.hits(axis[9], "test-model") == []
