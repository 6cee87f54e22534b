"""The ``quicknav`` command: index, serve, demo, and project/document lookups.

Lookups print the legacy ``SUCCESS:`` / ``SELECT:`` / ``ERROR:`` lines (or JSON with ``--json``).
Exit codes: 0 success or selection, 1 nothing found, 2 bad input or configuration.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import cli_onedrive
from .config import Config, default_data_dir, load_config, resolve_log_level
from .console import ProgressBar, step_printer
from .errors import ConfigError, InvalidInput, QuickNavError, StoreError

log = logging.getLogger("quicknav_mcp.cli")

# Listed here for --help; the export service checks them (and names the choices) itself.
EXPORT_TABLES = ("events", "projects", "documents")
EXPORT_FORMATS = ("csv", "json", "ndjson")

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (env QUICKNAV_DB)")
    parser.add_argument(
        "--root", action="append", dest="roots", metavar="DIR", help="project root; repeatable (env QUICKNAV_ROOTS)"
    )
    parser.add_argument("--user", help="user name for analytics (env QUICKNAV_USER)")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR (env QUICKNAV_LOG_LEVEL)")
    parser.add_argument("--timezone", help="IANA zone for analytics days and hours (env QUICKNAV_TIMEZONE)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quicknav", description="QuickNav MCP: projects and current documents")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="scan the project roots into the database")
    _common(p)
    p.add_argument("--force", action="store_true", help="re-read every file; accept mass deletions refused as suspect")
    p.add_argument(
        "--quick",
        action="store_true",
        help="list again only folders changed since the last complete scan (misses files edited in place)",
    )
    p.add_argument("--json", action="store_true", help="print the scan reports as JSON")
    p.add_argument(
        "--content",
        action="store_true",
        help="also extract text and compute embeddings for search (otherwise `serve` does it in the background)",
    )
    _embed_model_flag(p)
    p.add_argument(
        "--extract-timeout", type=float, help="seconds one file may take to parse (env QUICKNAV_EXTRACT_TIMEOUT)"
    )

    p = sub.add_parser("search", help="hybrid search over documents (or projects with --projects)")
    _common(p)
    p.add_argument("query", nargs="*", help="words, codes, families (as built, CO5), rev 102, room 12, type:lld ...")
    p.add_argument("--project", help="only this 5-digit project")
    p.add_argument("--type", dest="doc_type", help="only this document family (lld, change_order, ...)")
    p.add_argument("--projects", action="store_true", help="search project folders instead of documents")
    p.add_argument("--current", action="store_true", help="only current documents")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--mode", choices=("hybrid", "lexical", "semantic"), default="hybrid")
    p.add_argument("--json", action="store_true")
    _embed_model_flag(p)

    p = sub.add_parser("serve", help="run the MCP server (stdio by default)")
    _common(p)
    p.add_argument("--http", action="store_true", help="serve MCP at /mcp and the REST gateway over HTTP")
    p.add_argument("--host", default="127.0.0.1", help="beyond loopback only with QUICKNAV_JWT_SECRET set")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--no-watch", action="store_true", help="do not follow file changes live (env QUICKNAV_WATCH=0)")
    p.add_argument("--ssl-certfile", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")

    p = sub.add_parser("token", help="mint a bearer token for the HTTP gateway (signed with QUICKNAV_JWT_SECRET)")
    p.add_argument("--user", required=True, help="the user the token acts for (its sub claim)")
    p.add_argument("--days", type=float, default=30, help="valid this many days (default 30)")
    p.add_argument("--admin", action="store_true", help="may read and write other users' data")
    p.set_defaults(log_level=None)

    p = sub.add_parser("watch", help="follow changes under the roots and index them live (one JSON line per change)")
    _common(p)

    p = sub.add_parser("demo", help="generate a synthetic firm, index it and serve it over HTTP")
    _common(p)
    p.add_argument("--projects", type=int, default=300, help="how many projects to generate (default 300)")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same firm)")
    p.add_argument("--dir", help="where to build the firm (default: a folder in the data dir)")
    p.add_argument("--no-content", action="store_true", help="tiny placeholder files (fast, for benchmarks)")
    p.add_argument("--no-serve", action="store_true", help="stop after indexing and the example calls")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)

    p = sub.add_parser("project", help="find a project folder by code or search words")
    _common(p)
    p.add_argument("query", nargs="+", help="5-digit code or search words")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("doc", help="find a project's current document(s)")
    _common(p)
    p.add_argument("code", help="5-digit project number")
    p.add_argument("--type", default="lld", dest="doc_type", help="document family (default lld)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--latest", action="store_const", const="latest", dest="mode", help="current of every series")
    group.add_argument("--all", action="store_const", const="all", dest="mode", help="every document")
    p.add_argument("--room", type=int)
    p.add_argument("--co", type=int, dest="change_order", help="change-order number")
    p.add_argument("--include-archive", action="store_true")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("status", help="what is indexed (the same answer as the index_status tool)")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON (the default; accepted for symmetry)")

    p = sub.add_parser("analytics", help="maintain the analytics event log and rollups")
    asub = p.add_subparsers(dest="analytics_command", required=True)
    a = asub.add_parser("rebuild", help="recompute every rollup from the event log")
    _common(a)
    a = asub.add_parser("forget", help="delete a user's events, personal rollups and preferences")
    _common(a)
    a.add_argument("user_id", metavar="USER", help="the user id to forget")
    a = asub.add_parser("compact", help="delete raw events older than the retention age (rollups stay)")
    _common(a)
    a.add_argument("--days", type=int, help="keep this many days (default QUICKNAV_ANALYTICS_RETENTION_DAYS or 365)")

    p = sub.add_parser("db", help="inspect the database file")
    dsub = p.add_subparsers(dest="db_command", required=True)
    d = dsub.add_parser("info", help="tables, row counts, sizes, schema version and WAL state")
    _common(d)
    d.add_argument("--json", action="store_true")

    p = sub.add_parser("export", help="stream a table as CSV, JSON or NDJSON (times also in local time)")
    _common(p)
    p.add_argument("table", metavar="TABLE", help=f"one of {', '.join(EXPORT_TABLES)}")
    p.add_argument(
        "--format", default="csv", metavar="FORMAT", help=f"one of {', '.join(EXPORT_FORMATS)} (default csv)"
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default: standard output)")

    p = sub.add_parser("import-legacy", help="import the old server's ~/.quicknav_userdata.json")
    _common(p)
    p.add_argument("path", metavar="PATH", help="the legacy user-data JSON file")
    p.add_argument("--json", action="store_true", help="print the full import report as JSON")

    p = sub.add_parser("tui", help="the terminal dashboard: activity, search, recommendations, analytics")
    _common(p)
    p.add_argument("--light", action="store_true", help="start with the light theme (t toggles)")

    cli_onedrive.add_parser(sub, _common)
    return parser


def _config(args: argparse.Namespace, **overrides: Any) -> Config:
    return load_config(
        db=overrides.get("db", args.db),
        roots=overrides.get("roots", args.roots),
        user=args.user,
        log_level=args.log_level,
        timezone=args.timezone,
        **{name: getattr(args, name, None) for name in _SETTING_FLAGS},
    )


# Config fields some commands take as flags (see config.SETTINGS); absent on the others.
_SETTING_FLAGS = ("embed_model", "extract_timeout")


def _embed_model_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--embed-model", help="embedding model package or folder; none = off (env QUICKNAV_EMBED_MODEL)"
    )


def _existing(config: Config) -> Config:
    """Lookups read an index; a mistyped --db must not silently create an empty one."""
    if not config.db_path.exists():
        raise ConfigError(
            f"no QuickNav database at {config.db_path}: check --db, or run `quicknav index --root DIR` first"
        )
    return config


def _legacy_line(result: Any) -> tuple[str, int]:
    if result.status == "success":
        return f"SUCCESS:{result.path}", EXIT_OK
    if result.status == "select":
        return "SELECT:" + "|".join(result.paths or []), EXIT_OK
    return f"ERROR:{result.message}", EXIT_NOT_FOUND


def _print_result(result: Any, as_json: bool) -> int:
    line, code = _legacy_line(result)
    if code == EXIT_NOT_FOUND and result.message and _is_input_error(result.message):
        code = EXIT_BAD_INPUT
    if as_json:
        print(result.model_dump_json(indent=2))
    else:
        print(line)
    return code


def _is_input_error(message: str) -> bool:
    return any(w in message for w in ("must be", "is empty", "too long", "unknown doc_type"))


def cmd_index(args: argparse.Namespace) -> int:
    from .app import App

    with App.open(_config(args), warm=False) as app:
        bar = ProgressBar()
        reports, content = app.indexing.refresh(
            progress=bar,
            force=args.force,
            quick=args.quick,
            content=args.content,
            content_progress=step_printer(),
        )
        bar.done()
        for key, value in (content or {}).items():
            print(f"{key}: {json.dumps(value)}", file=sys.stderr)
    if args.json:
        print(json.dumps(reports, indent=2, default=str))
    else:
        for r in reports:
            print(
                f"{r.get('root')}: {r.get('files_seen', 0):,} files, +{r.get('added', 0)} ~{r.get('updated', 0)} "
                f">{r.get('moved', 0)} -{r.get('deleted', 0)}, {r.get('problems', 0)} problems "
                f"in {r.get('seconds', 0) or 0:.1f}s"
            )
            for problem in r.get("problem_samples", [])[:5]:
                print(f"  {problem['kind']}: {problem['path']}: {problem['message']}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import App
    from .lifecycle import exit_now, serve_http, serve_stdio
    from .server import build_server

    config = _config(args)

    def open_app() -> App:
        app = App.open(config)
        if config.embed_preload:
            app.search.semantic.warm_up()
        if config.search_background:
            app.search.start_background()  # extracts text and embeds new/changed documents
        if watching:
            app.start_watching()
        app.start_onedrive_poll()
        return app

    watching = config.watch and not args.no_watch and bool(config.roots)
    if not args.http:
        from .stdio import require_std_streams

        # Before anything opens a file: a closed stdin's descriptor 0 would go to the database.
        require_std_streams()
    server = build_server(open_app)
    if watching or (config.embed_preload and config.db_path.exists()):
        # The App opens lazily on the first request; watching starts now, without delaying serving, and
        # the model's load (when there are vectors to search) a second later, after a client's first requests.
        opener = threading.Timer(0.0 if watching else 1.0, server.holder.get)
        opener.name, opener.daemon = "quicknav-open", True
        opener.start()
    if args.http:
        from .http.app import build_http_app
        from .http.hosts import check_bind

        ssl = check_bind(args.host, config, args.ssl_certfile, args.ssl_keyfile)
        scheme = "https" if ssl else "http"
        base = f"{scheme}://{args.host}:{args.port}"
        log.info("serving MCP and the gateway", extra={"mcp": f"{base}/mcp", "docs": f"{base}/docs"})
        app = build_http_app(server, config, host=args.host)
        serve_http(server, host=args.host, port=args.port, app=app, ssl=ssl)
    else:
        serve_stdio(server)
    exit_now(EXIT_OK)  # the App is closed and everything is written: skip the slow interpreter teardown


def _interrupt(_sig: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def cmd_watch(args: argparse.Namespace) -> int:
    from .app import App
    from .indexers.watch import FileChange
    from .lifecycle import ignore_late_signals

    config = _existing(_config(args))

    def show(root: Path, changes: list[FileChange], report: Any) -> None:
        for change in changes:
            line = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "change": change.kind}
            line |= {"path": change.path, "root": str(root), "scan": report.scan_id}
            print(json.dumps(line), flush=True)

    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop ends it like Ctrl+C
    with App.open(config, warm=False) as app:
        supervisor = app.start_watching(on_changes=show)
        try:
            while supervisor.is_alive():
                supervisor.join(1.0)
        except KeyboardInterrupt:
            log.info("stopping the watcher")
        finally:
            ignore_late_signals()
    return EXIT_OK


def cmd_token(args: argparse.Namespace) -> int:
    from .config import ENV_JWT_SECRET
    from .http.auth import mint

    config = load_config(user=args.user)
    if not config.jwt_secrets:
        raise ConfigError(f"set {ENV_JWT_SECRET} (the server's secret) to mint a token")
    if not 0 < args.days <= 3650:
        raise InvalidInput("--days must be more than 0 and at most 3650")
    print(mint(config.jwt_secrets[0], config.user, days=args.days, admin=args.admin))
    return EXIT_OK


def cmd_project(args: argparse.Namespace) -> int:
    from .app import App

    with App.open(_existing(_config(args)), warm=False) as app:
        return _print_result(app.navigation.navigate(" ".join(args.query)), args.json)


def cmd_doc(args: argparse.Namespace) -> int:
    from .app import App

    with App.open(_existing(_config(args)), warm=False) as app:
        result = app.documents.find(
            args.code, args.doc_type, args.mode or "auto", args.room, args.change_order, args.include_archive
        )
        return _print_result(result, args.json)


def cmd_status(args: argparse.Namespace) -> int:
    from .app import App

    with App.open(_existing(_config(args)), warm=False) as app:
        print(app.indexing.status().model_dump_json(indent=2))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo.run import run_demo

    if not 1 <= args.projects <= 50_000:
        raise InvalidInput("--projects must be between 1 and 50000")
    data = default_data_dir()
    root = Path(args.dir).expanduser() if args.dir else data / f"demo-firm-{args.projects}-{args.seed}"
    db = args.db or str(root.parent / f"{root.name}.db")
    return run_demo(
        root=root,
        db=Path(db),
        projects=args.projects,
        seed=args.seed,
        content=not args.no_content,
        serve=not args.no_serve,
        host=args.host,
        port=args.port,
        user=args.user,
    )


def cmd_analytics(args: argparse.Namespace) -> int:
    from .app import App

    with App.open(_config(args), warm=False) as app:
        if args.analytics_command == "rebuild":
            app.analytics.wait_for_rollups(timeout=60)
            out = app.analytics.rebuild()
        elif args.analytics_command == "forget":
            out = app.analytics.forget(args.user_id)
        else:
            if args.days is not None and args.days < 1:
                raise InvalidInput("--days must be 1 or more")
            app.analytics.wait_for_rollups(timeout=60)
            out = app.analytics.compact(args.days)
    print(json.dumps(out, indent=2, default=str))
    return EXIT_OK


def cmd_import_legacy(args: argparse.Namespace) -> int:
    from .app import App

    with App.open(_config(args), warm=False) as app:
        result = app.analytics.import_legacy(args.path)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(
            f"{result.path}: {result.imported} events imported, {result.duplicates} already there, "
            f"{result.failed} bad entries; {result.preferences_imported} preferences"
        )
        for problem in result.errors[:20]:
            print(f"  entry {problem.index}: {problem.reason}", file=sys.stderr)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    from .app import App

    query = " ".join(args.query)
    with App.open(_existing(_config(args))) as app:
        if args.projects:
            result: Any = app.search.search_projects(query, limit=args.limit, mode=args.mode)
            rows = [f"{p.score:8.4f}  {p.path}  [{', '.join(p.why)}]" for p in result.projects]
        else:
            result = app.search.search_documents(
                query, args.project, args.doc_type, None, args.limit, 0, args.current, None, mode=args.mode
            )
            rows = [
                f"{d.score:8.4f}  {d.path}{'  (current)' if d.is_current else ''}  [{', '.join(d.why)}]"
                for d in result.documents
            ]
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print("\n".join(rows) if rows else "no results")
        for s in result.suggestions:
            print(f"  {s}", file=sys.stderr)
        print(f"{result.total_count} results in {result.search_time_ms:.1f} ms", file=sys.stderr)
    return EXIT_OK if result.total_count else EXIT_NOT_FOUND


def cmd_db(args: argparse.Namespace) -> int:
    from .services.dbtools import DbTools

    with DbTools.open(_existing(_config(args)).db_path) as tools:
        info = tools.info()
    if args.json:
        print(info.model_dump_json(indent=2))
        return EXIT_OK
    print(
        f"{info.path}: schema {info.schema_version} (this QuickNav: {info.schema_version_expected}), SQLite "
        f"{info.sqlite_version}"
    )
    print(
        f"{info.file_bytes:,} bytes in {info.page_count:,} pages of {info.page_size:,} ({info.freelist_count:,} "
        f"free); journal {info.journal_mode}, WAL {info.wal_bytes:,} bytes ({info.wal_frames:,} frames)"
    )
    width = max((len(t.name) for t in info.tables), default=5)
    print(f"{'table':<{width}}  {'kind':<6} {'rows':>12} {'bytes':>14}")
    for t in info.tables:
        rows = "?" if t.rows is None else f"{t.rows:,}"
        size = "?" if t.bytes is None else f"{t.bytes:,}"
        print(f"{t.name:<{width}}  {t.kind:<6} {rows:>12} {size:>14}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .services.dbtools import DbTools

    config = _existing(_config(args))
    with DbTools.open(config.db_path) as tools:
        if args.output:
            report = tools.export_to(args.table, args.format, args.output, tzinfo=config.tz)
            print(f"{report.rows:,} {report.table} rows written to {report.output}", file=sys.stderr)
        else:
            try:
                tools.export(args.table, args.format, sys.stdout, tzinfo=config.tz)
            except BrokenPipeError:  # `quicknav export ... | head`: the reader has what it wanted
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return EXIT_OK


def cmd_tui(args: argparse.Namespace) -> int:
    from .tui import run

    return run(_existing(_config(args)), light=args.light)


COMMANDS = {
    "index": cmd_index,
    "search": cmd_search,
    "serve": cmd_serve,
    "watch": cmd_watch,
    "token": cmd_token,
    "demo": cmd_demo,
    "project": cmd_project,
    "doc": cmd_doc,
    "status": cmd_status,
    "analytics": cmd_analytics,
    "import-legacy": cmd_import_legacy,
    "db": cmd_db,
    "export": cmd_export,
    "onedrive": lambda args: cli_onedrive.run(args, _config(args)),
    "tui": cmd_tui,
}


def main(argv: Sequence[str] | None = None) -> int:
    from .logs import setup_logging

    args = build_parser().parse_args(argv)
    try:
        default = "INFO" if args.command in ("serve", "watch") else "WARNING"
        setup_logging(resolve_log_level(args.log_level, default))
        return COMMANDS[args.command](args)
    except (ConfigError, InvalidInput, StoreError) as exc:
        print(f"ERROR:{exc}", file=sys.stdout if args.command in {"project", "doc"} else sys.stderr)
        return EXIT_BAD_INPUT
    except QuickNavError as exc:
        print(f"ERROR:{exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
