"""Qt application bootstrap: QApplication + qasync loop, theme, language, then the core and the shell."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Awaitable, Callable

from console import i18n
from console.cli.commands import demo_login, settings_from_args
from console.core import Core
from console.logsetup import setup_logging
from console.settings import Settings

log = logging.getLogger("rasad")


def prepare_environment(offscreen: bool = False) -> None:
    """Environment Qt must see before the QApplication exists."""
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--disable-gpu" not in flags and os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --disable-gpu --no-sandbox").strip()


def create_app(settings: Settings, argv: list[str] | None = None):
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    from widgets.theme import apply_direction, apply_theme

    app = QApplication.instance()
    if app is None:
        QCoreApplication.setAttribute(Qt.AA_ShareOpenGLContexts)
        with contextlib.suppress(ImportError):  # WebEngine must be imported before the app exists
            import PySide6.QtWebEngineWidgets  # noqa: F401

            from widgets.map_scheme import register_scheme

            register_scheme()  # the map's rasad: URL scheme, declared before the app exists
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("Rasad")
        app.setOrganizationName("Rasad")
        # The console's coroutine owns the lifetime (stop the core, then leave the loop): closing the
        # last window must not stop the qasync loop while feeds and services are still shutting down.
        app.setQuitOnLastWindowClosed(False)
    apply_theme(app, theme=settings.theme, large_type=settings.large_type)
    i18n.set_lang(settings.lang)
    apply_direction(settings.lang)
    return app


def build_window(core: Core):
    from widgets.shell import MainWindow

    window = MainWindow(core)
    if core.settings.layout and core.settings.layout != "default":
        window.restore_layout(core.settings.layout)
    return window


def settle_heap() -> None:
    """Everything built so far (modules, city, Qt wrappers) lives as long as the console: move it out
    of the collector's sight, so the full collections that heavy feed traffic triggers scan only
    young objects (halves the worst GUI stall under a flood of messages)."""
    gc.collect()
    gc.freeze()


async def async_with_console(
    core: Core,
    body: Callable[[object], Awaitable[int]],
    before_window: Callable[[], Awaitable[bool]] | None = None,
) -> int:
    """Start the core, (sign in,) build the window, run `body(window)`, always stop the core."""
    await core.async_start()
    if before_window is not None and not await before_window():
        await core.async_stop()
        return 0
    window = build_window(core)
    settle_heap()
    try:
        return await body(window)
    finally:
        window.close()
        await core.async_stop()


def run_qasync(app, coro_factory: Callable[[], Awaitable[int]]) -> int:
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return loop.run_until_complete(coro_factory())
    finally:
        asyncio.set_event_loop(None)


def cmd_run_gui(args: argparse.Namespace) -> int:
    from console.cli.store_commands import check_db_arg

    settings = settings_from_args(args)
    check_db_arg(settings.db)
    setup_logging(settings.log_level)
    prepare_environment()
    app = create_app(settings)
    core = Core(settings, load_plugins=not args.no_plugins)
    session = core.services.get("session")
    if session is not None and args.operator:  # --operator: the demo, no password, marked as such
        session.auto_login = demo_login(args, settings)

    async def sign_in() -> bool:
        if session is None or session.operator is not None:
            return True
        from widgets.login import async_sign_in

        return await async_sign_in(session)

    async def body(window) -> int:
        closed = asyncio.Event()
        window.sig_closed.connect(closed.set)
        if settings.fullscreen:
            window.set_fullscreen(True)
        else:
            window.showMaximized()
        if args.seconds:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), args.seconds)
        else:
            await closed.wait()
        return 0

    return run_qasync(app, lambda: async_with_console(core, body, before_window=sign_in))
