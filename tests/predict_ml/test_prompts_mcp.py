"""Prompts and argument completion through the real MCP client."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mcp import Client
from mcp.types import PromptReference, ResourceTemplateReference

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(sample_db: Path, sample_root: Path, tmp_path: Path):
    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    application = App.open(load_config(db=db, roots=[sample_root], user="tester", env={}))
    yield application
    application.close()


def _text(result) -> str:
    return "\n".join(m.content.text for m in result.messages)


async def test_prompts_and_completion(app: App) -> None:
    codes = sorted({p.code for p in app.projects.all()})
    code = codes[0]
    now = datetime.now(UTC)
    events = [
        {
            "user_id": "alice",
            "event_type": "project_view",
            "project_id": code,
            "timestamp": (now - timedelta(days=d, hours=1)).isoformat(),
        }
        for d in range(1, 6)
    ]
    assert not app.analytics.track_events(events).errors
    app.analytics.wait_for_rollups()
    server = build_server(lambda: app, close_on_exit=False)
    async with Client(server) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert set(prompts) >= {"project_briefing", "what_next", "weekly_report"}
        assert [a.name for a in prompts["project_briefing"].arguments] == ["project_number"]
        assert prompts["project_briefing"].arguments[0].required

        brief = _text(await client.get_prompt("project_briefing", {"project_number": code}))
        detail = app.projects.detail(code)[0]
        assert f"project {code}" in brief and detail.name in brief
        for part in ("## What the project is", "## Current designs", "## Latest Sales & PO", "## Change orders"):
            assert part in brief
        assert "## Recent activity" in brief and "alice (5 events)" in brief
        assert "## Similar projects" in brief

        nxt = _text(await client.get_prompt("what_next", {"user": "alice"}))
        assert "alice" in nxt and "## Recommended projects" in nxt and "## Likely next projects" in nxt

        report = _text(await client.get_prompt("weekly_report", {}))
        assert "## The week in numbers" in report and "## Unusual days" in report

        with pytest.raises(Exception, match="project 99999 not found"):
            await client.get_prompt("project_briefing", {"project_number": "99999"})
        with pytest.raises(Exception, match="5-digit project number"):
            await client.get_prompt("project_briefing", {"project_number": "abc"})
        with pytest.raises(Exception, match="not a date"):
            await client.get_prompt("weekly_report", {"start": "last tuesday"})

        # Completion: project numbers on prompts and on the resource templates.
        done = await client.complete(
            PromptReference(type="ref/prompt", name="project_briefing"), {"name": "project_number", "value": code[:2]}
        )
        assert code in done.completion.values and all(v.startswith(code[:2]) for v in done.completion.values)
        template = ResourceTemplateReference(type="ref/resource", uri="quicknav://projects/{number}")
        all_codes = await client.complete(template, {"name": "number", "value": ""})
        assert all_codes.completion.values == codes
        by_name = await client.complete(template, {"name": "number", "value": detail.name.split(" - ")[-1][:8]})
        assert code in by_name.completion.values
        docs = ResourceTemplateReference(type="ref/resource", uri="quicknav://projects/{number}/documents")
        assert (await client.complete(docs, {"name": "number", "value": code})).completion.values == [code]
        users = await client.complete(
            PromptReference(type="ref/prompt", name="what_next"), {"name": "user", "value": "al"}
        )
        assert users.completion.values == ["alice"]
        weeks = await client.complete(
            PromptReference(type="ref/prompt", name="weekly_report"), {"name": "start", "value": ""}
        )
        assert len(weeks.completion.values) == 12 and all(
            datetime.fromisoformat(w).weekday() == 0 for w in weeks.completion.values
        )
