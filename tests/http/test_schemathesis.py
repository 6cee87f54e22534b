"""Property-based checks of every documented route against /openapi.json (schemathesis, bounded).

A served gateway (``quicknav serve --http`` child) answers generated requests: never a 5xx, and
every answer matches the schema the route documents for its status. Slow, state-changing routes
(training, reindexing) are left to their own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from .core_harness import copy_db, serve

SLOW = r"^/api/v1/(ml/train|index/reindex|ingest/project-update)"


@pytest.fixture(scope="module")
def api_schema(sample_db: Path, sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaseSchema]:
    with serve(copy_db(sample_db, tmp_path_factory.mktemp("schemathesis")), sample_root) as served:
        yield schemathesis.openapi.from_url(served.base + "/openapi.json").exclude(path_regex=SLOW)


def test_routes_match_their_schema(api_schema: BaseSchema) -> None:
    # Operations are driven here rather than by schemathesis' pytest plugin (which pytest 9 breaks).
    failures: dict[str, str] = {}
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            # A generous read timeout (schemathesis' default is 10 s): the first recommendations request of a
            # process imports scikit-learn to fit its fallback model (~1.4 s idle, 7-17 s on a loaded machine).
            case.call_and_validate(
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance], timeout=60
            )

        try:
            check()
        except Exception as exc:  # (a flaky failure's own causes are in its sub-exceptions)
            causes = "; ".join(repr(e)[:300] for e in getattr(exc, "exceptions", ()))
            failures[operation.label] = f"{str(exc)[:800]} {causes}".strip()
    assert operations >= 25  # every documented route but the slow ones
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
