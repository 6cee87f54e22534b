"""Configuration from environment variables, overridden by command-line flags.

``QUICKNAV_DB``     database file (default: a per-user data folder)
``QUICKNAV_ROOTS``  project roots, separated by ``os.pathsep``
``QUICKNAV_USER``   the user analytics attributes activity to (default: the OS user)
``QUICKNAV_TIMEZONE`` IANA zone for analytics days and hours (default: the machine's zone)
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from .errors import ConfigError
from .localzone import check_timezone, machine_timezone

ENV_DB = "QUICKNAV_DB"
ENV_ROOTS = "QUICKNAV_ROOTS"
ENV_USER = "QUICKNAV_USER"
ENV_LOG_LEVEL = "QUICKNAV_LOG_LEVEL"
ENV_TIMEZONE = "QUICKNAV_TIMEZONE"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def default_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where QuickNav keeps its database when no path is given, per platform convention."""
    env = os.environ if env is None else env
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "QuickNav"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "QuickNav"
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "quicknav"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


@dataclass(frozen=True)
class Config:
    """Resolved settings for one process."""

    db_path: Path
    roots: tuple[Path, ...] = ()
    user: str = field(default_factory=_default_user)
    log_level: str = "INFO"
    timezone: str = field(default_factory=machine_timezone)  # IANA name: analytics days, hours, dates

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def validate_roots(roots: Sequence[str | Path]) -> tuple[Path, ...]:
    """Resolve roots; a missing or non-folder root is an error naming it (never a fallback)."""
    resolved: list[Path] = []
    for raw in roots:
        text = str(raw).strip()
        if not text:
            continue
        path = Path(text).expanduser()
        if not path.exists():
            raise ConfigError(f"project root does not exist: {path}")
        if not path.is_dir():
            raise ConfigError(f"project root is not a folder: {path}")
        path = path.resolve()
        if path not in resolved:
            resolved.append(path)
    return tuple(resolved)


def load_config(
    *,
    db: str | Path | None = None,
    roots: Sequence[str | Path] | None = None,
    user: str | None = None,
    log_level: str | None = None,
    timezone: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the configuration: explicit arguments win over environment variables."""
    env = os.environ if env is None else env
    db_text = str(db) if db is not None else env.get(ENV_DB, "").strip()
    db_path = Path(db_text).expanduser() if db_text else default_data_dir(env) / "quicknav.db"
    if roots is None:
        roots = [r for r in env.get(ENV_ROOTS, "").split(os.pathsep) if r.strip()]
    user_name = (user if user is not None else env.get(ENV_USER, "")).strip() or _default_user()
    if len(user_name) > 128 or any(ord(c) < 32 for c in user_name):
        raise ConfigError("user name must be at most 128 printable characters")
    level = (log_level or env.get(ENV_LOG_LEVEL) or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"unknown log level {level!r}")
    zone = (timezone if timezone is not None else env.get(ENV_TIMEZONE, "")).strip() or machine_timezone(env)
    check_timezone(zone, "--timezone" if timezone is not None else ENV_TIMEZONE)
    return Config(db_path=db_path, roots=validate_roots(roots), user=user_name, log_level=level, timezone=zone)
