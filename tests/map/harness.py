"""Drive a real MapWidget (real QtWebEngine page, real QWebChannel) from tests and the benchmark."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop

from console.core import Core
from console.settings import MapSettings, Settings


def spin(cond: Callable[[], Any], timeout: float = 20.0, step_ms: int = 10) -> bool:
    """Run the Qt event loop until `cond()` is truthy or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.AllEvents, step_ms)
        time.sleep(0.001)


class MapHarness:
    def __init__(self, size: tuple[int, int] = (1400, 900), lang: str = "fa", **map_settings: Any):
        from console import i18n
        from widgets.map_view import MapWidget

        i18n.set_lang(lang)
        defaults = {"batch_hz": 20.0}  # tests pump by hand; a fast timer only helps
        self.settings = Settings(lang=lang, map=MapSettings(**{**defaults, **map_settings}))
        self.core = Core(self.settings, load_plugins=False, entry_point_plugins=False)
        self.state = self.core.services["entities"]
        self.widget = MapWidget(self.core)
        self.widget.resize(*size)
        self.widget.show()
        self.ready = spin(lambda: self.widget.ready, 60)
        if not self.ready:
            raise RuntimeError(f"map page did not become ready; page errors: {self.widget.web.bridge.errors}")

    @property
    def web(self):
        return self.widget.web

    def js(self, code: str, timeout: float = 10.0) -> Any:
        box: list[Any] = []
        self.web.js(code, box.append)
        if not spin(lambda: box, timeout):
            raise TimeoutError(f"no answer from the page for: {code[:80]}")
        return box[0]

    def wait_js(self, code: str, pred: Callable[[Any], bool], timeout: float = 10.0) -> bool:
        """Poll `code` in the page until `pred(result)` holds. Polls are spaced out: a page asked
        questions back to back does not get to run the channel messages it is waiting for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            spin(lambda: False, 0.1)
            if pred(self.js(code)):
                return True
        return False

    def js_json(self, code: str) -> Any:
        return json.loads(self.js(code))

    def feed(self, batches: dict[str, list] | list, topic: str | None = None) -> None:
        if isinstance(batches, list):
            batches = {topic: batches}
        for t, items in batches.items():
            self.state.ingest(t, items)

    def flush(self, timeout: float = 10.0) -> bool:
        """Send everything pending to the page and wait until it is drawn (acked)."""
        spin(lambda: self.widget.inflight is None, timeout)
        self.widget.pump()
        return spin(lambda: self.widget.inflight is None, timeout)

    def entity(self, entity: str) -> dict | None:
        return self.js_json(f"RasadMap.entity({json.dumps(entity)})")

    def stats(self) -> dict:
        return self.js_json("RasadMap.stats()")

    def set_view(self, lat: float, lon: float, zoom: int) -> None:
        self.js(f"RasadMap.map().setView([{lat}, {lon}], {zoom}, {{animate: false}}); 1")
        spin(lambda: self.widget.view is not None and self.widget.view.zoom == zoom, 10)

    def renderer_rss_kb(self) -> int | None:
        pid = self.web.page().renderProcessPid()
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def close(self) -> None:
        self.widget.shutdown()
        self.widget.close()
        self.widget.deleteLater()
        self.core.bus.close()
        QCoreApplication.processEvents()
