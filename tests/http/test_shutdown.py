"""SIGTERM on the gateway: every event a REST call acknowledged is stored, the WAL is checkpointed, exit 0."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from pathlib import Path

from .core_harness import copy_db, serve


def test_sigterm_keeps_every_acknowledged_event_and_exits_zero(
    sample_db: Path, sample_root: Path, tmp_path: Path
) -> None:
    db = copy_db(sample_db, tmp_path)
    with serve(db, sample_root) as served, served.client() as c:
        acknowledged = 0
        for i in range(30):
            r = c.post("/api/v1/analytics/events", json={"event_type": "project_view", "project_id": "20865"})
            acknowledged += r.json()["successful_items"]
            if i == 9:
                batch = [{"event_type": "project_search", "query": f"q{n}", "result_count": n} for n in range(50)]
                acknowledged += c.post("/api/v1/analytics/events", json={"events": batch}).json()["successful_items"]
        served.proc.send_signal(signal.SIGTERM)
        try:
            code = served.proc.wait(30)
        except subprocess.TimeoutExpired:
            served.proc.kill()
            raise
    assert code == 0, "".join(served.lines)[-2000:]
    assert acknowledged == 80
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM events WHERE user_id = 'dana'").fetchone()[0]
    assert stored == acknowledged
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    assert "Traceback" not in "".join(served.lines)
