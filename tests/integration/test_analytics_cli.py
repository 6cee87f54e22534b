"""The analytics CLI commands: rebuild, forget, compact, import-legacy."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from quicknav_mcp.analytics import AnalyticsService, AnalyticsSettings
from quicknav_mcp.analytics.synthetic import generate_events
from quicknav_mcp.cli import main
from quicknav_mcp.store import Store

DAY = 86_400_000


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "q.db"
    store = Store(path)
    svc = AnalyticsService(store, user="me", settings=AnalyticsSettings(maintenance_interval=0))
    start = (int(time.time() * 1000) // DAY - 400) * DAY
    events = generate_events(3000, seed=1, start_ms=start, days=400, users=5)
    for i in range(0, len(events), 1000):
        svc.track_events(events[i : i + 1000])
    assert svc.wait_for_rollups(10)
    svc.close()
    store.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rebuild_forget_and_compact(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analytics", "rebuild", "--db", str(db))
    assert code == 0 and json.loads(out)["events_replayed"] == 3000
    code, out, err = run(capsys, "analytics", "forget", "user001", "--db", str(db))
    report = json.loads(out)
    assert code == 0 and report["events_deleted"] > 0 and "user001" not in out + err
    code, out, _ = run(capsys, "analytics", "compact", "--days", "30", "--db", str(db))
    assert code == 0 and json.loads(out)["deleted"] > 0
    store = Store(db)
    assert store.query_one("SELECT count(*) FROM events WHERE user_id = 'user001'")[0] == 0
    assert store.query_one("SELECT min(ts_ms) FROM events")[0] >= (time.time() * 1000 - 31 * DAY)
    store.close()
    code, _, err = run(capsys, "analytics", "compact", "--days", "0", "--db", str(db))
    assert code == 2 and "--days must be 1 or more" in err


def test_import_legacy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "q.db"
    path = tmp_path / "userdata.json"
    path.write_text(
        json.dumps(
            {
                "preferences": {"theme": "dark"},
                "history": [
                    {"action": "navigate", "project_code": "17741", "status": "success", "path": "/x"},
                    {"action": "navigate", "project_code": "qps", "status": "select", "paths": ["/a", "/b"]},
                ],
            }
        )
    )
    code, out, _ = run(capsys, "import-legacy", str(path), "--db", str(db), "--user", "dana")
    assert code == 0 and "2 events imported" in out and "1 preferences" in out
    code, out, _ = run(capsys, "import-legacy", str(path), "--db", str(db), "--user", "dana", "--json")
    assert code == 0 and json.loads(out)["duplicates"] == 2
    path.write_text('{"history": [')
    code, _, err = run(capsys, "import-legacy", str(path), "--db", str(db))
    assert code == 2 and "corrupt" in err and path.read_text() == '{"history": ['
