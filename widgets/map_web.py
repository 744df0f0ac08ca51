"""The map's web view: its own off-the-record profile, the `rasad:` scheme, the request guard, the channel.

The page renderer is a separate process: if it dies, the view reloads the page and the map widget
re-sends everything (it never holds the only copy of anything).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from console.basemap import BaseMap, TileSource, open_source
from widgets.map_bridge import MapBridge
from widgets.map_scheme import PAGE_URL, SCHEME, MapSchemeHandler, RequestGuard

log = logging.getLogger(__name__)


class _Page(QWebEnginePage):
    def javaScriptConsoleMessage(self, level, message, line, source):
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            log.warning("map page: %s (%s:%d)", message, source, line)


class MapWebView(QWebEngineView):
    sig_crashed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.profile = QWebEngineProfile()  # off the record: no disk cache, no cookies
        self.handler = MapSchemeHandler(self.profile)
        self.guard = RequestGuard(self.profile)
        self.profile.installUrlSchemeHandler(SCHEME, self.handler)
        self.profile.setUrlRequestInterceptor(self.guard)
        self._page = _Page(self.profile, self)
        s = self._page.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False)
        s.setAttribute(QWebEngineSettings.WebAttribute.PluginsEnabled, False)
        s.setAttribute(QWebEngineSettings.WebAttribute.ShowScrollBars, False)
        self.setPage(self._page)
        self._page.setBackgroundColor("#0b1119")
        self.bridge = MapBridge(self)
        self.channel = QWebChannel(self._page)
        self.channel.registerObject("bridge", self.bridge)
        self._page.setWebChannel(self.channel)
        self._page.renderProcessTerminated.connect(self._on_render_terminated)
        self.tiles: TileSource | None = None
        self.crashes = 0

    def set_basemap(self, basemap: BaseMap) -> None:
        """Tiles for the scheme handler (local files) and the hosts the guard lets through (XYZ)."""
        if self.tiles is not None:
            self.tiles.close()
            self.tiles = None
        if basemap.kind in ("mbtiles", "pmtiles"):
            from pathlib import Path

            self.tiles = open_source(basemap.kind, Path(basemap.path))
        self.handler.tiles = self.tiles
        self.guard.allowed_hosts = set(basemap.hosts)

    def load_page(self, html: str) -> None:
        self.handler.page_html = html.encode("utf-8")
        self.load(QUrl(PAGE_URL))

    def js(self, code: str, callback: Callable[[object], None] | None = None) -> None:
        if self._page is None:
            return
        if callback is None:
            self._page.runJavaScript(code, 0)
        else:
            self._page.runJavaScript(code, 0, callback)

    def _on_render_terminated(self, status, code) -> None:
        self.crashes += 1
        log.error("map page renderer ended (%s, exit %s); reloading", status, code)
        self.sig_crashed.emit()
        QTimer.singleShot(1000, self.reload)

    def shutdown(self) -> None:
        if self.tiles is not None:
            self.tiles.close()
            self.tiles = None
        if self._page is not None and shiboken6.isValid(self._page):
            self._page.renderProcessTerminated.disconnect(self._on_render_terminated)


def dispose(view: MapWebView) -> None:
    """Delete the view (and with it its page), then the profile: WebEngine needs that order, and a
    view left alive without its page would quietly make a page on the default profile."""
    view.shutdown()
    profile = view.profile
    if shiboken6.isValid(view):
        shiboken6.delete(view)
    if profile is not None and shiboken6.isValid(profile):
        shiboken6.delete(profile)
