"""Everything the map page loads comes through here: the `rasad:` URL scheme and a request guard.

- `rasad://app/map.html`                 the generated page
- `rasad://app/static/leaflet/...`       Leaflet from the XStatic-Leaflet package
- `rasad://app/static/markercluster/...` Leaflet.markercluster from XStatic-Leaflet-MarkerCluster
- `rasad://app/static/qwebchannel.js`    Qt's own qwebchannel.js (qrc:///qtwebchannel/qwebchannel.js)
- `rasad://app/static/rasad/...`         resources/map/ (our script and style)
- `rasad://tiles/{z}/{x}/{y}`            tiles of a local MBTiles/PMTiles base map

`RequestGuard` sees every request the page makes: it records them (tests scan the list) and blocks
anything that is not `rasad:`, `qrc:`, `data:` or `blob:` unless its host is one the configured
XYZ base map needs. So the page cannot reach the internet behind the operator's back.
`register_scheme()` must run before the QApplication exists (widgets/app.py create_app does it).
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from console.basemap import TileSource
from console.logsetup import LogOnce
from console.paths import resource

log = logging.getLogger(__name__)
_once = LogOnce(log)

SCHEME = b"rasad"
PAGE_URL = "rasad://app/map.html"
LOCAL_SCHEMES = ("rasad", "qrc", "data", "blob")
_registered = False


def register_scheme() -> None:
    """Declare `rasad:` to Chromium (once, before the QApplication is created)."""
    global _registered
    if _registered:
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.ContentSecurityPolicyIgnored
        | QWebEngineUrlScheme.Flag.CorsEnabled
    )
    QWebEngineUrlScheme.registerScheme(scheme)
    _registered = True


def is_registered() -> bool:
    return _registered


def _static_roots() -> dict[str, Path]:
    import xstatic.pkg.leaflet as leaflet
    import xstatic.pkg.leaflet_markercluster as markercluster

    return {
        "leaflet": Path(leaflet.BASE_DIR),
        "markercluster": Path(markercluster.BASE_DIR),
        "rasad": resource("map"),
    }


def _qrc_bytes(path: str) -> bytes | None:
    f = QFile(path)
    if not f.open(QIODevice.ReadOnly):
        return None
    try:
        return bytes(f.readAll().data())
    finally:
        f.close()


class MapSchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves the page, its static files and local tiles; unknown paths are a clean 404."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.page_html = b""
        self.tiles: TileSource | None = None
        self.roots = _static_roots()
        self.served = 0
        self.tiles_served = 0
        self.tiles_missing = 0
        self._qwebchannel = _qrc_bytes(":/qtwebchannel/qwebchannel.js")

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        host, path = url.host(), url.path()
        try:
            found = self._route(host, path)
        except Exception as exc:  # a bad tile file must not take the page down
            _once.error(("scheme", host), "map: serving %s failed: %r", url.toString(), exc)
            found = None
        if found is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        data, mime = found
        buf = QBuffer(job)
        buf.setData(QByteArray(data))
        buf.open(QIODevice.ReadOnly)
        job.reply(mime.encode(), buf)
        self.served += 1

    def _route(self, host: str, path: str) -> tuple[bytes, str] | None:
        if host == "tiles":
            return self._tile(path)
        if host != "app":
            return None
        if path == "/map.html":
            return self.page_html, "text/html; charset=utf-8"
        if path == "/static/qwebchannel.js":
            return (self._qwebchannel, "application/javascript") if self._qwebchannel else None
        parts = path.strip("/").split("/", 2)
        if len(parts) != 3 or parts[0] != "static" or parts[1] not in self.roots:
            return None
        root = self.roots[parts[1]].resolve()
        target = (root / parts[2]).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
        mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if mime in ("text/javascript", "application/javascript", "text/css"):
            mime += "; charset=utf-8"
        return target.read_bytes(), mime

    def _tile(self, path: str) -> tuple[bytes, str] | None:
        if self.tiles is None:
            return None
        try:
            z, x, y = (int(p) for p in path.strip("/").split("/")[:3])
        except ValueError:
            return None
        data = self.tiles.tile(z, x, y)
        if data is None:
            self.tiles_missing += 1
            return None
        self.tiles_served += 1
        return data, self.tiles.mime


class RequestGuard(QWebEngineUrlRequestInterceptor):
    """Records every request of the page; blocks the ones that would leave the machine."""

    def __init__(self, parent: QObject | None = None, on_blocked: Callable[[str], None] | None = None):
        super().__init__(parent)
        self.allowed_hosts: set[str] = set()
        self.requests: deque[str] = deque(maxlen=5000)
        self.blocked: deque[str] = deque(maxlen=500)
        self.total = 0
        self._lock = threading.Lock()
        self._on_blocked = on_blocked

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        text = url.toString()
        scheme = url.scheme().lower()
        with self._lock:
            self.total += 1
            self.requests.append(text)
        if scheme in LOCAL_SCHEMES:
            return
        if scheme in ("http", "https") and url.host().lower() in self.allowed_hosts:
            return
        info.block(True)
        with self._lock:
            self.blocked.append(text)
        _once.warning(
            ("map-blocked", url.host()), "map: blocked a request to %s (not a configured source)", text
        )
        if self._on_blocked is not None:
            self._on_blocked(text)

    def seen(self) -> list[str]:
        with self._lock:
            return list(self.requests)
