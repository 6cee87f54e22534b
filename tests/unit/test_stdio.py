"""The stdio transport's line reader and parser (the process-level behaviour is in test_lifecycle)."""

from __future__ import annotations

import io

import pytest
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCRequest

from quicknav_mcp.stdio import iter_lines, parse_line


def lines_of(data: bytes, chunk: int, max_bytes: int = 1000) -> list[bytes | None]:
    stream = io.BytesIO(data)
    return list(iter_lines(lambda _n: stream.read(chunk), max_bytes))


@pytest.mark.parametrize("chunk", [1, 3, 7, 64 * 1024])
def test_lines_are_split_across_any_chunking(chunk: int) -> None:
    data = b'{"a": 1}\n\n{"b": 2}\r\nlast line without newline'
    assert lines_of(data, chunk) == [b'{"a": 1}', b"", b'{"b": 2}\r', b"last line without newline"]


@pytest.mark.parametrize("chunk", [1, 5, 64 * 1024])
def test_an_over_long_line_is_reported_once_and_skipped(chunk: int) -> None:
    data = b"short\n" + b"x" * 50 + b"\nafter\n" + b"y" * 50
    assert lines_of(data, chunk, max_bytes=20) == [b"short", None, b"after", None]


def test_a_valid_request_goes_to_the_session() -> None:
    out = parse_line(b'{"jsonrpc": "2.0", "id": 5, "method": "ping"}')
    assert isinstance(out, SessionMessage)
    assert isinstance(out.message, JSONRPCRequest) and out.message.id == 5


@pytest.mark.parametrize(
    "line",
    [
        b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": ' + b"[" * 1000 + b"]" * 1000 + b"}}",
        b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "\\udc00"}}',
        b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"x": "\xed\xb0\x80"}}',
        b'{"jsonrpc": "2.0", "id": 1, "meth',
        b"\xff\xfe",
        b"ping",
    ],
)
def test_unparseable_lines_get_a_parse_error_without_an_id(line: bytes) -> None:
    out = parse_line(line)
    assert isinstance(out, JSONRPCError)
    assert out.id is None and out.error.code == -32700
    assert out.error.message.startswith("Parse error")
    assert '"id":null' in out.model_dump_json(by_alias=True, exclude_unset=True)


@pytest.mark.parametrize(
    ("line", "ident"),
    [(b'{"id": 9, "x": 1}', 9), (b'{"id": "a", "method": 3}', "a"), (b'{"id": true}', None), (b"[1, 2]", None)],
)
def test_json_that_is_no_message_is_an_invalid_request(line: bytes, ident: object) -> None:
    out = parse_line(line)
    assert isinstance(out, JSONRPCError)
    assert out.error.code == -32600 and out.id == ident
