"""Headless run: the core alone on an asyncio loop, with a periodic status line. Imports no Qt."""

from __future__ import annotations

import asyncio
import logging
import signal
import time

from console.core import Core
from console.settings import Settings

log = logging.getLogger("rasad")


async def async_run_headless(core: Core, seconds: float | None, status_every_s: float = 10.0) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    await core.async_start()
    log.info("headless console running%s", f" for {seconds:g} s" if seconds else " (Ctrl+C to stop)")
    deadline = time.monotonic() + seconds if seconds else None
    try:
        while not stop.is_set():
            timeout = status_every_s
            if deadline is not None:
                timeout = min(timeout, max(0.0, deadline - time.monotonic()))
            try:
                await asyncio.wait_for(stop.wait(), timeout)
            except TimeoutError:
                pass
            log.info("%s", core.status_line())
            if deadline is not None and time.monotonic() >= deadline:
                break
    finally:
        await core.async_stop()
    return 0


def run_headless(
    settings: Settings,
    seconds: float | None,
    load_plugins: bool = True,
    login: tuple[str, tuple[str, ...]] | None = None,
) -> int:
    core = Core(settings, load_plugins=load_plugins)
    session = core.services.get("session")
    if session is not None and login is not None:  # no password prompt headless: a marked demo session
        session.auto_login = login
    return asyncio.run(async_run_headless(core, seconds))
