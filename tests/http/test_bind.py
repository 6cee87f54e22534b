"""Where the gateway may listen: loopback without a secret, beyond it only with one; TLS handed to uvicorn."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from quicknav_mcp.config import load_config
from quicknav_mcp.errors import ConfigError
from quicknav_mcp.http.hosts import check_bind, is_loopback

from .core_harness import SECRET, copy_db, serve


def test_loopback_names() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.10", "example.com", "::"))


def test_beyond_loopback_needs_a_secret_and_warns_without_tls(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    open_config = load_config(db=tmp_path / "x.db", env={})
    with pytest.raises(ConfigError, match="QUICKNAV_JWT_SECRET"):
        check_bind("0.0.0.0", open_config, None, None)
    assert check_bind("127.0.0.1", open_config, None, None) is None
    secured = load_config(db=tmp_path / "x.db", env={"QUICKNAV_JWT_SECRET": SECRET})
    with caplog.at_level(logging.WARNING, logger="quicknav_mcp.http.hosts"):
        assert check_bind("192.0.2.10", secured, None, None) is None
    assert "without TLS" in caplog.text
    with pytest.raises(ConfigError, match="go together"):
        check_bind("127.0.0.1", secured, str(tmp_path / "cert.pem"), None)
    with pytest.raises(ConfigError, match="not found"):
        check_bind("127.0.0.1", secured, str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))


def test_short_secrets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="shorter than 32"):
        load_config(db=tmp_path / "x.db", env={"QUICKNAV_JWT_SECRET": f"{SECRET},short"})


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")
def test_serves_https_with_the_given_certificate(sample_db: Path, sample_root: Path, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    args = ("--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    with serve(copy_db(sample_db, tmp_path), sample_root, *args, scheme="https") as served:
        with httpx.Client(base_url=served.base, verify=False, timeout=30) as c:
            assert c.get("/api/v1/index/status").status_code == 200
        with pytest.raises(httpx.HTTPError):  # plain HTTP on the TLS port gets no answer
            httpx.get(served.base.replace("https", "http") + "/api/v1/index/status", timeout=5)
