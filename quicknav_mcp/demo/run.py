"""``quicknav demo``: build (or reuse) a synthetic firm, index it, show real answers, serve it."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from ..config import Config, load_config
from ..errors import ConfigError


def _say(text: str = "") -> None:
    print(text, flush=True)


def _progress_generation(done: int, total: int) -> None:
    tty = sys.stderr.isatty()
    if total and (done == total or (tty and done % max(1, total // 50) == 0)):
        bar = "#" * int(30 * done / total)
        sys.stderr.write(f"{chr(13) if tty else ''}generating [{bar:<30}] {done:>6,}/{total:,} projects")
        if done == total or not tty:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _examples(app: Any) -> list[tuple[str, dict[str, Any], Any]]:
    """Pick example calls from what was indexed, and run them for real."""
    row = app.store.query_one(
        "SELECT p.code, p.client_names FROM projects p JOIN documents d ON d.project_id = p.id "
        "WHERE d.doc_type = 'lld' GROUP BY p.id HAVING sum(d.is_archive) > 0 AND sum(d.is_as_built) > 0 "
        "ORDER BY p.code LIMIT 1"
    ) or app.store.query_one("SELECT code, client_names FROM projects ORDER BY code LIMIT 1")
    if row is None:
        return []
    code = row["code"]
    names = json.loads(row["client_names"] or "[]")
    calls: list[tuple[str, dict[str, Any], Any]] = [
        ("navigate_project", {"project_number": code}, app.navigation.navigate(code)),
    ]
    if names:
        calls.append(("navigate_project", {"project_number": names[0]}, app.navigation.navigate(names[0])))
    calls.append(("find_documents", {"project_number": code, "doc_type": "lld"}, app.documents.find(code, "lld")))
    calls.append(
        ("find_documents", {"project_number": code, "doc_type": "sales_po"}, app.documents.find(code, "sales_po"))
    )
    co = app.store.query_one(
        "SELECT d.change_order FROM documents d JOIN projects p ON p.id = d.project_id "
        "WHERE p.code = ? AND d.change_order IS NOT NULL ORDER BY d.change_order LIMIT 1",
        (code,),
    )
    if co:
        args = {"project_number": code, "doc_type": "change_order", "change_order": co[0]}
        calls.append(("find_documents", args, app.documents.find(code, "change_order", change_order=co[0])))
    query = f"{code} as built design"
    found = app.search.search_documents(query, limit=3, include_facets=False)
    calls.append(("search_documents", {"query": query, "limit": 3}, found))
    return calls


def _quicknav_command() -> str:
    """The absolute path of this installation's ``quicknav`` script, for client configs."""
    for name in ("quicknav", "quicknav.exe"):
        candidate = Path(sys.executable).with_name(name)
        if candidate.exists():
            return str(candidate)
    return shutil.which("quicknav") or "quicknav"


def _short(result: Any) -> str:
    data = result.model_dump(exclude_none=True)
    if "score" in json.dumps(data.get("documents", [])[:1]):  # a search result: show the hits briefly
        hits = [{k: d.get(k) for k in ("name", "score", "why")} for d in data["documents"]]
        return json.dumps({"total_count": data.get("total_count"), "documents": hits}, indent=2)
    data.pop("documents", None)
    data.pop("projects", None)
    return json.dumps(data, indent=2)


def run_demo(
    *,
    root: Path,
    db: Path,
    projects: int,
    seed: int,
    content: bool,
    serve: bool,
    host: str,
    port: int,
    user: str | None,
) -> int:
    """Generate/reuse the firm at ``root``, index it into ``db``, print examples, then serve."""
    from ..app import App
    from ..console import ProgressBar
    from .firm import generate_firm

    started = time.monotonic()
    _say(f"QuickNav demo: a synthetic firm of {projects} projects (seed {seed}) in {root}")
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is a file, not a folder; choose an empty folder with --dir")
    try:
        root.mkdir(parents=True, exist_ok=True)
        generate_firm(root, projects=projects, seed=seed, content=content, progress=_progress_generation)
    except FileExistsError as exc:
        raise ConfigError(f"{exc}; choose an empty folder with --dir") from None
    except OSError as exc:
        raise ConfigError(f"cannot build the demo firm in {root}: {exc.strerror or exc}") from None
    config: Config = load_config(db=db, roots=[root], user=user)
    with App.open(config) as app:
        bar = ProgressBar()
        reports = app.indexing.reindex(progress=bar)
        bar.done()
        for r in reports:
            _say(
                f"indexed {r.get('files_seen', 0):,} files: {r.get('added', 0):,} new, {r.get('updated', 0):,} "
                f"changed, {r.get('deleted', 0):,} removed, {r.get('unchanged', 0):,} unchanged "
                f"in {r.get('seconds', 0) or 0:.1f}s"
            )
        # Text inside documents is extracted now (quick, and search needs it); embeddings are
        # slower and are made in the background while the server runs.
        extracted = app.search.index_content(embed=False, workers=2).get("extract", {})
        counts = extracted.get("by_status", {})
        others = ", ".join(f"{n:,} {k}" for k, n in sorted(counts.items()) if k != "ok")
        _say(
            f"extracted text from {counts.get('ok', 0):,} new or changed documents"
            f"{f' ({others})' if others else ''} in {extracted.get('seconds', 0) or 0:.1f}s"
        )
        status = app.indexing.status()
        _say(f"database {config.db_path}: {status.projects:,} projects, {status.documents:,} documents")
        _say()
        _say("Example calls (real answers from this index):")
        for tool, args, result in _examples(app):
            _say(f"\n> {tool}({json.dumps(args)})")
            _say(_short(result))
        from .usage import demo_usage

        _say()
        demo_usage(app, seed=seed, say=_say)  # usage history, trained models, a recommendation and a prediction
    url = f"http://{host}:{port}/mcp"
    snippet = {
        "mcpServers": {
            "quicknav": {"url": url},
            "quicknav-stdio": {
                "command": _quicknav_command(),
                "args": ["serve"],
                "env": {"QUICKNAV_DB": str(config.db_path), "QUICKNAV_ROOTS": str(root)},
            },
        }
    }
    from ..http.hosts import check_bind
    from .gateway import show_gateway_examples

    check_bind(host, config, None, None)  # the same rule as serve --http: beyond loopback only with a secret

    show_gateway_examples(config, _example_code(config), host, port, _say)
    _say("\nConnect an MCP client (e.g. Claude Desktop's claude_desktop_config.json):")
    _say(json.dumps(snippet, indent=2))
    _say(f"\nThe terminal dashboard on this firm (in another terminal; q quits):\n  {_tui_command(config)}")
    _say(f"\nready in {time.monotonic() - started:.1f}s")
    if not serve:
        return 0
    from ..lifecycle import exit_now, serve_http
    from ..server import build_server

    _say(f"\nServing MCP at {url} and the gateway at http://{host}:{port}/api/v1 - press Ctrl+C to stop")

    def open_app() -> App:
        app = App.open(config)
        app.search.start_background()  # embeds documents for semantic search while serving
        return app

    from ..http.app import build_http_app

    server = build_server(open_app)
    serve_http(server, host=host, port=port, app=build_http_app(server, config, host=host))
    exit_now(0)  # the App is closed and everything is written: skip the slow interpreter teardown


def _tui_command(config: Config) -> str:
    """``quicknav tui`` with this demo's database and user, ready to paste."""
    user = f" --user {shlex.quote(config.user)}" if config.user else ""
    return f"{shlex.quote(_quicknav_command())} tui --db {shlex.quote(str(config.db_path))}{user}"


def _example_code(config: Config) -> str:
    """A project number from the index, for the examples."""
    from ..app import App

    with App.open(config) as app:
        hits = app.search.search_projects("hearing loop", limit=1).projects or app.search.search_projects("a").projects
    return hits[0].project_number if hits else "20865"
