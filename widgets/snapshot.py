"""`python main.py snapshot`: run the console offscreen for N seconds and save a PNG of a view.

Views are registered in VIEWS: name -> function(window, args) returning the QWidget to grab.
`window` is the whole main window; later rooms add "charts", "map", "alarms", "plugin:NAME".
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from console import i18n
from console.cli.commands import demo_login, settings_from_args
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


def _view_login(window, args):
    from widgets.login import LoginDialog

    dialog = LoginDialog(window.core.services["session"], window, name="sara")
    dialog.password.setText("********")
    dialog.error.setText(i18n.tr("login.failed"))
    return dialog


def _view_handover(window, args):
    from widgets.login import HandoverDialog

    dialog = HandoverDialog(window.core.services["session"], window)
    dialog.name.setText("ali")
    dialog.note.setPlainText("پمپ ۳ ایستگاه پردیسان در تعمیر است؛ هشدار سطح آب رودخانه تأیید شد.")
    return dialog


def _view_feeds(window, args):
    """The feed-health panel on its own, at the snapshot size."""
    from widgets.feed_health import FeedHealthWidget

    widget = FeedHealthWidget(window.core)
    window._snapshot_keep = widget  # keep it alive until the shot is taken
    return widget


def _view_map(window, args):
    """The live map (centre of the wall) alone, with its layer panel and details: docks closed."""
    for dock in window.docks.values():
        dock.hide()
    return window.central


def _view_alarms(window, args):
    """The alarm room at work: the banner, a tall alarm list (every state) and the map with the alarms.

    The embedded simulator plays 30× faster for this view (`settings` below), so `--seconds 20` shows
    ten minutes of a scenario; alarm times are the data's, the status-bar clock is the wall's.
    Nobody sits at an offscreen console, so 1.5 s before the shot a demonstration operator
    named "snapshot" (journaled under that name, note and reason saying so) does what an operator
    does first: acknowledges the top two rows of the list and shelves the third.
    """
    from PySide6.QtCore import Qt, QTimer

    for key in ("departments", "charts", "feeds"):
        window.docks[key].hide()
    window.resizeDocks([window.docks["alarms"]], [int(args.size[1] * 0.48)], Qt.Vertical)
    alarms = window.docks["alarms"].widget()
    if hasattr(alarms, "state_box"):
        alarms.state_box.setCurrentIndex(max(0, alarms.state_box.findData("all")))
        QTimer.singleShot(int(max(0.0, args.seconds - 1.5) * 1000), lambda: _demonstrate(alarms))
    return window


def _demonstrate(alarm_list) -> None:
    from console.model import Operator, Role
    from widgets.alarm_model import ALARM_ROLE

    engine = alarm_list.engine
    who = Operator(name="snapshot", roles=frozenset({Role.SUPERVISOR}))
    alarm_list.refresh()
    top = [alarm_list.proxy.index(r, 0).data(ALARM_ROLE) for r in range(min(3, alarm_list.proxy.rowCount()))]
    for a in top[:2]:
        if a.unacked:
            engine.ack(a.id, who, "snapshot: demonstration acknowledgement")
    if len(top) > 2 and not top[2].hidden:
        engine.shelve(top[2].id, who, "snapshot: demonstration", 600)


_view_alarms.settings = {"sim_speed": 30.0}


def _view_plugin(window, args):
    """One department's panel on its own (`--view plugin:NAME`), lifted out of the departments dock."""
    name = args.view.split(":", 1)[1]
    host = window.core.plugins
    rec = host.records.get(name)
    if rec is None:
        known = ", ".join(sorted(host.records)) or "none"
        raise CliError(f"no plugin named {name!r}; discovered plugins: {known}")
    tabs = window.dock_widget("departments")
    for owner, widget in tabs._pages.values():
        if getattr(owner, "plugin", None) == name or owner is rec:
            widget.setParent(None)
            window._snapshot_keep = widget
            return widget
    raise CliError(f"plugin {name!r} has no panel ({rec.state}{': ' + rec.error if rec.error else ''})")


VIEWS: dict[str, Callable] = {
    "window": _view_window,
    "feeds": _view_feeds,
    "map": _view_map,
    "alarms": _view_alarms,
    "plugin:": _view_plugin,
    "login": _view_login,
    "handover": _view_handover,
    "charts": _view_charts,
}


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


async def _grab_outside_task(widget, out: Path) -> tuple[int, int]:
    """grab() may run a nested Qt event loop (QtWebEngine does); under qasync that must not happen
    inside a running asyncio task, so the grab runs from the Qt event loop and the task awaits it."""
    from PySide6.QtCore import QTimer

    done = asyncio.get_running_loop().create_future()

    def grab() -> None:
        try:
            done.set_result(save_png(widget, out))
        except Exception as exc:
            done.set_exception(exc)

    QTimer.singleShot(0, grab)
    return await done


def cmd_snapshot(args: argparse.Namespace) -> int:
    view = resolve_view(args.view)
    out = Path(args.out)
    if out.suffix.lower() != ".png":
        raise CliError(f"--out must be a .png file, not {out.name!r}")
    settings = settings_from_args(args)
    scratch = None
    if not getattr(args, "db", None):
        # A snapshot is a rendering, not a shift: unless --db names a database, it runs on a
        # throw-away one so its alarms and demo actions never land in the console's real journal.
        scratch = tempfile.TemporaryDirectory(prefix="rasad-snapshot-")
        settings = settings.with_overrides(db=f"sqlite:///{Path(scratch.name) / 'snapshot.db'}")
    overrides = getattr(view, "settings", None)  # a view may ask for settings (e.g. simulator speed)
    if overrides:
        settings = settings.with_overrides(**overrides)
    setup_logging(settings.log_level if args.log_level else "WARNING")
    prepare_environment(offscreen=True)
    app = create_app(settings)
    core = Core(settings, load_plugins=not args.no_plugins)
    session = core.services.get("session")
    if session is not None:  # nobody to type a password offscreen: a marked demo session
        session.auto_login = demo_login(args, settings)
    width, height = args.size

    async def body(window) -> int:
        window.resize(width, height)
        window.show()
        target = view(window, args)
        if target is not window:
            target.resize(width, height)
            target.show()
        await asyncio.sleep(args.seconds)
        w, h = await _grab_outside_task(target, out)
        print(f"wrote {out} ({w}x{h})")
        return 0

    try:
        return run_qasync(app, lambda: async_with_console(core, body))
    finally:
        if scratch is not None:
            scratch.cleanup()
