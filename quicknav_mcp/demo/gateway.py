"""The demo's HTTP gateway examples: a few ``curl`` calls with their real answers from the demo's index."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

from ..config import Config

# (method, path, JSON body or None): a search, the legacy navigate, an event, a recommendation.
EXAMPLES: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
    ("POST", "/api/v1/projects/search", {"query": "hearing loop", "limit": 3}),
    ("POST", "/legacy/navigate_project", {"project_number": "{code}"}),
    ("POST", "/api/v1/analytics/events", {"event_type": "project_view", "project_id": "{code}"}),
    ("POST", "/api/v1/recommendations/projects", {"recommendation_type": "projects", "limit": 3}),
    ("GET", "/api/v1/index/status", None),
)


def curl_line(base: str, method: str, path: str, body: dict[str, Any] | None) -> str:
    parts = ["curl", "-s"]
    if method != "GET":
        parts += ["-X", method, "-H", "Content-Type: application/json", "-d", json.dumps(body or {})]
    return " ".join(shlex.quote(p) for p in parts) + " " + shlex.quote(base + path)


def show_gateway_examples(config: Config, code: str, host: str, port: int, say: Callable[[str], None]) -> None:
    """Call the gateway in-process (the same app ``serve --http`` runs) and print each call as curl with its answer."""
    from starlette.testclient import TestClient

    from ..app import App
    from ..http.app import build_http_app
    from ..server import build_server

    base = f"http://{host}:{port}"
    app = build_http_app(build_server(lambda: App.open(config)), config, host=host)
    say(f"\nThe HTTP gateway (REST + MCP in one server; API docs at {base}/docs):")
    # Called in-process over loopback (the Host guard admits it whatever --host says); printed with the real URL.
    with TestClient(app, base_url=f"http://127.0.0.1:{port}") as client:
        for method, path, template in EXAMPLES:
            body = json.loads(json.dumps(template).replace("{code}", code)) if template is not None else None
            answer = client.request(method, path, json=body)
            text = json.dumps(answer.json())
            say(f"\n$ {curl_line(base, method, path, body)}")
            say(f"HTTP {answer.status_code}: {text[:400]}{' ...' if len(text) > 400 else ''}")
