"""``quicknav onedrive add|list|remove|sync``: OneDrive / SharePoint sources (see README)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from .config import Config


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("onedrive", help="OneDrive / SharePoint drives as sources of projects and documents")
    osub = p.add_subparsers(dest="onedrive_command", required=True)
    a = osub.add_parser("add", help="add a drive (or one folder of it) as a source")
    common(a)
    a.add_argument("--drive", required=True, help="a drive id, or `me` for the signed-in person's OneDrive")
    a.add_argument("--folder", help="only this folder of the drive (e.g. 'Project Files/Project Folders')")
    a.add_argument("--tenant", help="directory (tenant) id or domain; needed for a service sign-in")
    a.add_argument("--client-id", help="application (client) id of the firm's app registration")
    a = osub.add_parser("list", help="the sources, their last sync and sign-in kind")
    common(a)
    a.add_argument("--json", action="store_true")
    a = osub.add_parser("remove", help="forget a source with its projects and documents")
    common(a)
    a.add_argument("source", help="id, onedrive:// location or drive id")
    a = osub.add_parser("sync", help="fetch the changes of every source (or one) now")
    common(a)
    a.add_argument("source", nargs="?", help="id, onedrive:// location or drive id (default: all)")
    a.add_argument("--full", action="store_true", help="list the whole drive again (ids are kept)")
    a.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, config: Config) -> int:
    """Exit code 0, or 1 when a sync failed (its problem is printed and stored)."""
    from .app import App
    from .indexers import onedrive as od
    from .indexers.onedrive_auth import describe

    with App.open(config) as app:
        store = app.store
        command = args.onedrive_command
        if command == "add":
            source = od.add_source(store, args.drive, args.folder, tenant=args.tenant, client_id=args.client_id)
            print(f"added {source.location} (id {source.id}); run `quicknav onedrive sync` to index it")
            return 0
        if command == "remove":
            from .indexers.onedrive_download import cache_dir_for, prune_cache

            source = od.remove_source(store, args.source)
            prune_cache(store, cache_dir_for(store), config.onedrive_cache_max_bytes)  # its downloads go too
            print(f"removed {source.location}")
            return 0
        if command == "list":
            sources = od.list_sources(store)
            if args.json:
                print(
                    json.dumps([{**s.to_dict(), "sign_in": describe(_sign_in(config, s))} for s in sources], indent=2)
                )
            for s in [] if args.json else sources:
                print(
                    f"{s.id}\t{s.location}\t{s.last_status or 'never synced'}\t{s.last_sync_at or ''}\t"
                    f"{describe(_sign_in(config, s))}"
                )
            return 0
        from .indexers.onedrive_poll import sync_sources

        chosen = [od.get_source(store, args.source)] if args.source else None
        reports = sync_sources(store, config, chosen, full=args.full)
        if args.json:
            print(json.dumps([r.to_dict() for r in reports], indent=2))
        for r in [] if args.json else reports:
            print(
                f"{r.source}: {r.status}, {r.items:,} items in {r.pages} pages, +{r.added} ~{r.updated} >{r.moved} "
                f"-{r.deleted}, {r.linked} local, {r.problems} problems in {r.seconds:.1f}s"
            )
            if r.download:
                d = r.download
                print(
                    f"  content: {d['downloaded']} downloaded ({d['resumed']} resumed), {d['cached']} cached, "
                    f"{d['extracted']} extracted, {d['failed']} failed, {d['pruned']} pruned from the cache"
                )
            if r.error:
                print(f"  error: {r.error}", file=sys.stderr)
        return 1 if any(r.status != "done" for r in reports) else 0


def _sign_in(config: Config, source: Any) -> Any:
    from .indexers.onedrive_poll import sign_in

    return sign_in(config, source)
