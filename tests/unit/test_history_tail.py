"""The in-process tail of the event log: complete answers only, whatever order writers hand over in."""

from __future__ import annotations

from quicknav_mcp.analytics.events import EventRow
from quicknav_mcp.analytics.history import Tail


def row(i: int, kind: str = "project_view", project: str | None = "17001") -> EventRow:
    return EventRow(f"e{i}", "ann", None, kind, project, None, None, None, None, None, 0, 0, None, 1000 + i, 1000 + i)


def test_contiguous_batches_are_handed_over_and_other_events_move_the_cursor() -> None:
    tail = Tail()
    assert tail.after(0) == ([], 0)  # nothing stored by this process
    tail.appended(1, [row(1), row(2, "tool_call", None)], 2)
    tail.appended(3, [row(3)], 3)
    handed = tail.after(0)
    assert handed is not None and [i.seq for i in handed[0]] == [1, 3] and handed[1] == 3
    assert tail.after(1) is not None and [i.seq for i in tail.after(1)[0]] == [3]  # type: ignore[index]
    assert tail.after(3) == ([], 3)


def test_holes_and_out_of_order_hand_overs_send_the_reader_to_the_log() -> None:
    tail = Tail()
    tail.appended(1, [row(1)], 1)
    tail.appended(5, [row(5)], 5)  # 2-4 were written by another connection: the buffer restarts at 5
    assert tail.after(1) is None
    assert tail.after(4) is not None and [i.seq for i in tail.after(4)[0]] == [5]  # type: ignore[index]
    late = Tail()
    late.appended(3, [row(3)], 3)  # batch 3 committed after batch 1-2 but handed over first
    late.appended(1, [row(1), row(2)], 2)
    handed = late.after(0)
    assert handed is not None and handed[1] == 2  # what it holds, up to 2 ...
    assert late.after(2) is None  # ... and 3 is read from the log, never skipped
    unknown = Tail()
    unknown.appended(1, None, 4)  # rows not known one by one (duplicates in the batch)
    assert unknown.after(0) is None
