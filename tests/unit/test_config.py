"""Configuration: env vars, flag overrides, and clear errors for bad roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quicknav_mcp.config import default_data_dir, load_config
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
