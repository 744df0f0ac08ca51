"""Qt-free command handlers: headless run, plugin listing."""

from __future__ import annotations

import argparse
import json
import sys

from console.logsetup import setup_logging
from console.settings import Settings, load_settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Defaults < settings.toml < flags."""
    overrides = {
        "lang": getattr(args, "lang", None),
        "operator": getattr(args, "operator", None),
        "log_level": getattr(args, "log_level", None),
        "layout": getattr(args, "layout", None),
        "fullscreen": getattr(args, "fullscreen", None),
        "large_type": getattr(args, "large_type", None),
        "db": getattr(args, "db", None),
        "console_id": getattr(args, "console", None),
        "scenario": getattr(args, "scenario", None),
        "vehicles": getattr(args, "vehicles", None),
        "seed": getattr(args, "seed", None),
        "sim_speed": getattr(args, "sim_speed", None),
        "record": getattr(args, "record", None),
    }
    feeds = getattr(args, "feed", None)
    if feeds:
        from console.feeds.config import parse_feed_arg

        overrides["feeds"] = [parse_feed_arg(f) for f in feeds]
    return load_settings().with_overrides(**overrides)


def demo_login(args: argparse.Namespace, settings: Settings) -> tuple[str, tuple[str, ...]]:
    """(name, roles) for a session signed in without a password: `--operator`/`--role`, else settings."""
    return (getattr(args, "operator", None) or settings.operator, tuple(getattr(args, "role", None) or ()))


def cmd_run(args: argparse.Namespace) -> int:
    from console.cli.store_commands import check_db_arg
    from console.runtime import run_headless

    settings = settings_from_args(args)
    check_db_arg(settings.db)
    setup_logging(settings.log_level)
    return run_headless(
        settings, args.seconds, load_plugins=not args.no_plugins, login=demo_login(args, settings)
    )


def cmd_plugins(args: argparse.Namespace) -> int:
    from console.core import Core

    settings = load_settings()
    setup_logging("CRITICAL")
    core = Core(settings)
    core.load_plugins()
    records = sorted(core.plugins.records.values(), key=lambda r: r.name)
    if args.json:
        json.dump(
            [
                {
                    "name": r.name,
                    "version": r.version,
                    "state": r.state,
                    "error": r.error,
                    "origin": r.origin,
                    "title_fa": r.manifest.title_fa if r.manifest else "",
                    "title_en": r.manifest.title_en if r.manifest else "",
                }
                for r in records
            ],
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        print()
    else:
        if not records:
            print("no plugins found")
        width = max((len(r.name) for r in records), default=4)
        for r in records:
            state = r.state if not r.error else f"{r.state}: {r.error}"
            print(f"{r.name:<{width}}  {r.version:<8}  {state}  [{r.origin}]")
    core.plugins.deactivate_all()
    return 0
