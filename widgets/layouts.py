"""Named window layouts: dock positions, sizes and visibility saved to JSON in the config dir."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QMainWindow

from console.paths import config_dir

log = logging.getLogger(__name__)
STATE_VERSION = 1
_SAFE = re.compile(r"[^\w\-. ]+", re.UNICODE)


class LayoutStore:
    def __init__(self, folder: Path | None = None):
        self.folder = folder or (config_dir() / "layouts")

    def _path(self, name: str) -> Path:
        clean = _SAFE.sub("_", name).strip() or "default"
        return self.folder / f"{clean}.json"

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        out = []
        for p in sorted(self.folder.glob("*.json")):
            try:
                out.append(json.loads(p.read_text(encoding="utf-8"))["name"])
            except (OSError, ValueError, KeyError):
                continue
        return out

    def save(self, name: str, window: QMainWindow) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        doc = {
            "name": name,
            "version": STATE_VERSION,
            "geometry": bytes(window.saveGeometry().toBase64()).decode("ascii"),
            "state": bytes(window.saveState(STATE_VERSION).toBase64()).decode("ascii"),
            "fullscreen": window.isFullScreen(),
        }
        path = self._path(name)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)
        return path

    def restore(self, name: str, window: QMainWindow) -> bool:
        path = self._path(name)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as exc:
            log.error("layout %s unreadable: %s", path, exc)
            return False
        ok = window.restoreGeometry(QByteArray.fromBase64(doc.get("geometry", "").encode("ascii")))
        ok = (
            window.restoreState(QByteArray.fromBase64(doc.get("state", "").encode("ascii")), STATE_VERSION)
            and ok
        )
        if doc.get("fullscreen"):
            window.showFullScreen()
        return ok
