"""`python main.py snapshot`: run the console offscreen for N seconds and save a PNG of a view.

Views are registered in VIEWS: name -> function(window, args) returning the QWidget to grab.
`window` is the whole main window; later rooms add "charts", "map", "alarms", "plugin:NAME".
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from console.cli.commands import settings_from_args
from console.cli.parser import CliError
from console.core import Core
from console.logsetup import setup_logging
from widgets.app import async_with_console, create_app, prepare_environment, run_qasync

log = logging.getLogger("rasad.snapshot")


def _view_window(window, args):
    return window


def _view_charts(window, args):
    from widgets.chart_panel import snapshot_view

    return snapshot_view(window, args)


VIEWS: dict[str, Callable] = {"window": _view_window, "charts": _view_charts}


def resolve_view(name: str) -> Callable:
    if name in VIEWS:
        return VIEWS[name]
    prefix = name.split(":", 1)[0] + ":"
    if prefix in VIEWS:
        return VIEWS[prefix]
    raise CliError(f"unknown view {name!r}; known views: {', '.join(sorted(VIEWS))}")


def save_png(widget, out: Path) -> tuple[int, int]:
    pixmap = widget.grab()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(out), "PNG"):
        raise CliError(f"cannot write {out}")
    return pixmap.width(), pixmap.height()


def cmd_snapshot(args: argparse.Namespace) -> int:
    view = resolve_view(args.view)
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise CliError(f"--out must be a .png file, not {out.name!r}")
    settings = settings_from_args(args)
    setup_logging(settings.log_level if args.log_level else "WARNING")
    prepare_environment(offscreen=True)
    app = create_app(settings)
    core = Core(settings, load_plugins=not args.no_plugins)
    width, height = args.size

    async def body(window) -> int:
        window.resize(width, height)
        window.show()
        target = view(window, args)
        if target is not window:
            target.resize(width, height)
            target.show()
        await asyncio.sleep(args.seconds)
        await asyncio.sleep(0.05)  # let pending paints run on the loop (never processEvents() inside a task)
        w, h = save_png(target, out)
        print(f"wrote {out} ({w}x{h})")
        return 0

    return run_qasync(app, lambda: async_with_console(core, body))
