"""Logging: one format for console and file, and a limiter so a failing source logs once, not per message."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str = "INFO", log_file: Path | None = None) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(fh)
    root.setLevel(level.upper())


class LogOnce:
    """Logs a (key) condition at most once per `interval` seconds, counting what it suppressed.

    `LogOnce(log).warning(("feed-a", "bad-json"), "feed-a: bad JSON: %s", err)` logs the first
    occurrence, then at most once a minute with a count of the occurrences it kept quiet about.
    `interval=None` logs a key only once until `clear(key)` (recovery).
    """

    def __init__(self, logger: logging.Logger, interval: float | None = 60.0, clock=time.monotonic):
        self._log = logger
        self._interval = interval
        self._clock = clock
        self._seen: dict[object, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def _should(self, key: object) -> tuple[bool, int]:
        now = self._clock()
        with self._lock:
            last = self._seen.get(key)
            if last is None:
                self._seen[key] = (now, 0)
                return True, 0
            t, suppressed = last
            if self._interval is not None and now - t >= self._interval:
                self._seen[key] = (now, 0)
                return True, suppressed
            self._seen[key] = (t, suppressed + 1)
            return False, 0

    def log(self, level: int, key: object, msg: str, *args: object) -> bool:
        ok, suppressed = self._should(key)
        if ok:
            if suppressed:
                msg = f"{msg} (+{suppressed} similar since last report)"
            self._log.log(level, msg, *args)
        return ok

    def warning(self, key: object, msg: str, *args: object) -> bool:
        return self.log(logging.WARNING, key, msg, *args)

    def error(self, key: object, msg: str, *args: object) -> bool:
        return self.log(logging.ERROR, key, msg, *args)

    def clear(self, key: object) -> bool:
        """Forget `key`; returns True when it had been reported (so the caller logs recovery once)."""
        with self._lock:
            return self._seen.pop(key, None) is not None
