"""The machine's IANA time zone, found without extra packages, and checking a zone name.

The search follows tzlocal's order, reduced to what needs no dependency: ``TZ``, then the
distribution's zone files (``/etc/timezone``, ``/etc/localtime``, ``/etc/sysconfig/clock``), then
the Windows registry. Anything that does not name a zone the tz database knows is skipped, and
the answer falls back to ``UTC``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

# Windows zone key names -> IANA names (Unicode CLDR windowsZones, territory "001"), for the zones
# of the firm's region and the most common others; an unmapped Windows zone falls back to UTC.
_WINDOWS_ZONES = {
    "AUS Eastern Standard Time": "Australia/Sydney",
    "AUS Central Standard Time": "Australia/Darwin",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "E. Australia Standard Time": "Australia/Brisbane",
    "Tasmania Standard Time": "Australia/Hobart",
    "W. Australia Standard Time": "Australia/Perth",
    "Aus Central W. Standard Time": "Australia/Eucla",
    "Lord Howe Standard Time": "Australia/Lord_Howe",
    "New Zealand Standard Time": "Pacific/Auckland",
    "Singapore Standard Time": "Asia/Singapore",
    "China Standard Time": "Asia/Shanghai",
    "Tokyo Standard Time": "Asia/Tokyo",
    "India Standard Time": "Asia/Calcutta",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Pacific Standard Time": "America/Los_Angeles",
    "UTC": "UTC",
}
_SYSCONFIG_ZONE = re.compile(r'^\s*(?:TIME)?ZONE\s*=\s*"?([^"\s]+)"?', re.MULTILINE)


def check_timezone(name: str, source: str = "time zone") -> ZoneInfo:
    """The zone for an IANA name; an unknown or malformed name is a :class:`ConfigError` naming it."""
    text = name.strip()
    try:
        if not text or text.startswith(("/", ".")) or len(text) > 64:
            raise ValueError(text)
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(
            f"unknown {source} {name[:80]!r}: use an IANA zone name such as Australia/Sydney, Australia/Adelaide or UTC"
        ) from None


def _known(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip()
    try:
        check_timezone(name)
    except ConfigError:
        return None
    return name


def zone_from_path(path: str) -> str | None:
    """``/usr/share/zoneinfo/Australia/Sydney`` (or macOS' ``/var/db/timezone/zoneinfo/...``) -> its name."""
    _, sep, tail = path.replace("\\", "/").rpartition("zoneinfo/")
    name = tail if sep else None
    if name and name.startswith(("posix/", "right/")):  # alternative copies of the same database
        name = name.split("/", 1)[1]
    return _known(name)


def _from_tz_env(value: str) -> str | None:
    value = value.strip().removeprefix(":")
    if not value:
        return None
    if value.startswith("/"):
        return zone_from_path(os.path.realpath(value)) or zone_from_path(value)
    return _known(value)  # a POSIX rule string such as "AEST-10AEDT,M10.1.0,M4.1.0/3" is no IANA name


def _from_files(etc: Path) -> str | None:
    try:
        name = _known((etc / "timezone").read_text(encoding="utf-8").split("#", 1)[0])
        if name:
            return name
    except OSError:
        pass
    localtime = etc / "localtime"
    if localtime.is_symlink():
        name = zone_from_path(os.path.realpath(localtime)) or zone_from_path(os.readlink(localtime))
        if name:
            return name
    try:
        match = _SYSCONFIG_ZONE.search((etc / "sysconfig" / "clock").read_text(encoding="utf-8"))
        if match and _known(match.group(1)):
            return match.group(1)
    except OSError:
        pass
    return None


def _from_windows() -> str | None:  # pragma: no cover - exercised on Windows only
    try:
        import winreg

        key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SYSTEM\CurrentControlSet\Control\TimeZoneInformation")
        with key:
            windows_name = winreg.QueryValueEx(key, "TimeZoneKeyName")[0]
    except OSError:
        return None
    return _known(_WINDOWS_ZONES.get(str(windows_name).strip("\x00 ")))


def machine_timezone(env: Mapping[str, str] | None = None, etc: Path = Path("/etc")) -> str:
    """The IANA name of this machine's zone, or ``UTC`` when none can be found."""
    env = os.environ if env is None else env
    name = _from_tz_env(env.get("TZ", ""))
    if name:
        return name
    return _machine_files(str(etc))


@lru_cache(maxsize=4)
def _machine_files(etc: str) -> str:
    name = _from_windows() if sys.platform == "win32" else _from_files(Path(etc))
    return name or "UTC"
