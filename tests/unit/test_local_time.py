"""Local time: the zone offsets and bucket arithmetic analytics uses, checked against zoneinfo;
finding the machine's zone; and the QUICKNAV_TIMEZONE setting."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from quicknav_mcp.analytics.localtime import DAY_MS, HOUR_MS, local_time
from quicknav_mcp.analytics.timerange import bucket_label, parse_range, period_range
from quicknav_mcp.config import load_config
from quicknav_mcp.errors import ConfigError
from quicknav_mcp.localzone import check_timezone, machine_timezone, zone_from_path

ZONES = ("Australia/Sydney", "Australia/Adelaide", "Australia/Lord_Howe", "Asia/Kathmandu", "America/New_York", "UTC")
EPOCH = date(1970, 1, 1)


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


@pytest.mark.parametrize("name", ZONES)
def test_offsets_days_and_hours_match_zoneinfo(name: str) -> None:
    tz, zone = local_time(name), ZoneInfo(name)
    rnd = random.Random(name)
    # Random instants 2000-2040, plus every minute around the 2026 transitions.
    points = [rnd.randrange(946_684_800_000, 2_208_988_800_000) for _ in range(3000)]
    for edge in (ms("2026-04-04T15:00:00+00:00"), ms("2026-10-03T15:00:00+00:00")):
        points += range(edge - 3 * HOUR_MS, edge + 3 * HOUR_MS, 60_000)
    for t in points:
        local = datetime.fromtimestamp(t / 1000, zone)
        assert tz.day(t) == (local.date() - EPOCH).days
        assert tz.hour(t) % 24 == local.hour
        assert tz.hour(t) // 24 == tz.day(t)


@pytest.mark.parametrize(
    ("name", "day", "hours"),
    [
        ("Australia/Sydney", "2026-04-05", 25),  # DST ends: 03:00 AEDT -> 02:00 AEST
        ("Australia/Sydney", "2026-10-04", 23),  # DST starts: 02:00 AEST -> 03:00 AEDT
        ("Australia/Adelaide", "2026-04-05", 25),
        ("Australia/Adelaide", "2026-10-04", 23),
        ("Australia/Lord_Howe", "2026-04-05", 24.5),  # a half-hour DST shift
        ("Australia/Sydney", "2026-06-01", 24),
    ],
)
def test_local_days_have_their_real_length(name: str, day: str, hours: float) -> None:
    tz = local_time(name)
    n = (date.fromisoformat(day) - EPOCH).days
    assert (tz.day_start(n + 1) - tz.day_start(n)) / HOUR_MS == hours
    rng = parse_range(day, day, tz=tz)
    assert (rng.end_ms - rng.start_ms) / HOUR_MS == hours
    assert rng.days == (n, n + 1)


def test_instant_of_wall_times_in_gaps_and_repeats() -> None:
    tz = local_time("Australia/Sydney")
    # 2026-10-04 02:30 does not exist: it names the transition (16:00 UTC the day before).
    assert tz.instant(ms("2026-10-04T02:30:00+00:00")) == ms("2026-10-03T16:00:00+00:00")
    # 2026-04-05 02:30 happens twice: the first one (AEDT, +11:00).
    assert tz.instant(ms("2026-04-05T02:30:00+00:00")) == ms("2026-04-05T02:30:00+11:00")
    assert bucket_label(ms("2026-04-05T02:00:00+00:00") // HOUR_MS, "hour", tz) == "2026-04-05T02:00:00.000+11:00"
    assert bucket_label(ms("2026-04-05T12:00:00+00:00") // HOUR_MS, "hour", tz) == "2026-04-05T12:00:00.000+10:00"


def test_wall_sql_is_exact_in_sqlite() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE e (t INTEGER)")
    lo, hi = ms("2025-09-01T00:00:00+00:00"), ms("2026-05-01T00:00:00+00:00")
    rnd = random.Random(1)
    points = [lo, hi, *(rnd.randrange(lo, hi) for _ in range(2000))]
    conn.executemany("INSERT INTO e VALUES (?)", [(t,) for t in points])
    for name in ("Australia/Adelaide", "Australia/Sydney", "Europe/London", "UTC"):
        tz, zone = local_time(name), ZoneInfo(name)
        expr = tz.wall_sql("t", lo, hi)
        assert ("CASE" in expr) == (name != "UTC")  # every one of these changes offset in the span
        for t, day, hour in conn.execute(f"SELECT t, {expr} / {DAY_MS}, {expr} / {HOUR_MS} % 24 FROM e"):
            local = datetime.fromtimestamp(t / 1000, zone)
            assert (day, hour) == ((local.date() - EPOCH).days, local.hour)


def test_dates_without_offset_are_local_midnight() -> None:
    tz = local_time("Australia/Adelaide")
    rng = parse_range("2026-01-10", "2026-01-10", tz=tz)
    assert rng.start_ms == ms("2026-01-10T00:00:00+10:30")
    assert rng.end_ms == ms("2026-01-11T00:00:00+10:30")
    assert rng.out()["start"] == "2026-01-10T00:00:00.000+10:30" and rng.out()["timezone"] == "Australia/Adelaide"
    naive = parse_range("2026-07-01T09:00", "2026-07-01T17:30", tz=tz)
    assert naive.start_ms == ms("2026-07-01T09:00:00+09:30")
    assert parse_range("2026-07-01T09:00:00Z", "1h", now=ms("2026-07-02T00:00:00+00:00"), tz=tz).start_ms == ms(
        "2026-07-01T09:00:00+00:00"
    )


def test_named_periods_are_local() -> None:
    tz = local_time("Australia/Sydney")
    now = ms("2026-04-05T10:00:00+10:00")  # the 25-hour day
    today = period_range("today", now, tz)
    assert (today.start_ms, today.end_ms) == (ms("2026-04-05T00:00:00+11:00"), ms("2026-04-06T00:00:00+10:00"))
    week = period_range("last_7_days", now, tz)
    assert week.start_ms == ms("2026-03-30T00:00:00+11:00")
    month = period_range("this_month", ms("2026-04-01T00:30:00+11:00"), tz)  # still March in UTC
    assert month.start_ms == ms("2026-04-01T00:00:00+11:00")
    last = period_range("last_month", ms("2026-04-01T00:30:00+11:00"), tz)
    assert (last.start_ms, last.end_ms) == (ms("2026-03-01T00:00:00+11:00"), ms("2026-04-01T00:00:00+11:00"))


def test_machine_zone_from_tz_and_zone_files(tmp_path: Path) -> None:
    assert machine_timezone({"TZ": "Australia/Adelaide"}, etc=tmp_path) == "Australia/Adelaide"
    assert machine_timezone({"TZ": ":/usr/share/zoneinfo/Australia/Perth"}, etc=tmp_path) == "Australia/Perth"
    assert zone_from_path("/var/db/timezone/zoneinfo/Australia/Hobart") == "Australia/Hobart"
    assert zone_from_path("/usr/share/zoneinfo/posix/Australia/Darwin") == "Australia/Darwin"
    assert zone_from_path("/usr/share/zoneinfo/Nowhere/Special") is None
    # A POSIX rule string is not an IANA name: the zone files decide.
    link = tmp_path / "a"
    link.mkdir()
    (link / "localtime").symlink_to("/usr/share/zoneinfo/Australia/Brisbane")
    assert machine_timezone({"TZ": "AEST-10AEDT,M10.1.0,M4.1.0/3"}, etc=link) == "Australia/Brisbane"
    deb = tmp_path / "b"
    deb.mkdir()
    (deb / "timezone").write_text("Australia/Adelaide\n")
    assert machine_timezone({}, etc=deb) == "Australia/Adelaide"
    rhel = tmp_path / "c"
    (rhel / "sysconfig").mkdir(parents=True)
    (rhel / "sysconfig" / "clock").write_text('ZONE="Australia/Melbourne"\nUTC=true\n')
    assert machine_timezone({}, etc=rhel) == "Australia/Melbourne"
    assert machine_timezone({}, etc=tmp_path / "empty") == "UTC"


def test_timezone_setting_env_flag_and_errors(tmp_path: Path) -> None:
    cfg = load_config(db=tmp_path / "q.db", env={"QUICKNAV_TIMEZONE": "Australia/Adelaide"})
    assert cfg.timezone == "Australia/Adelaide" and cfg.tz == ZoneInfo("Australia/Adelaide")
    flag = load_config(db=tmp_path / "q.db", timezone="Australia/Sydney", env={"QUICKNAV_TIMEZONE": "UTC"})
    assert flag.timezone == "Australia/Sydney"
    assert load_config(db=tmp_path / "q.db", env={"TZ": "Australia/Perth"}).timezone == "Australia/Perth"
    with pytest.raises(ConfigError, match=r"unknown QUICKNAV_TIMEZONE 'Australia/Narnia'"):
        load_config(db=tmp_path / "q.db", env={"QUICKNAV_TIMEZONE": "Australia/Narnia"})
    with pytest.raises(ConfigError, match=r"unknown --timezone '\.\./etc/passwd'"):
        load_config(db=tmp_path / "q.db", timezone="../etc/passwd", env={})
    for bad in ("Australia", "/etc/localtime", "x" * 100):
        with pytest.raises(ConfigError, match="IANA zone name"):
            check_timezone(bad)
