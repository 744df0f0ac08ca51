"""Sound per priority (QtMultimedia), repeating until the alarm is acknowledged or silenced.

What should sound is the engine's decision (`AlarmEngine.audible()`: the highest priority among
unacknowledged, annunciated, not silenced alarms, flood summaries included); this widget only plays
it. Silence stops the sound only: alarms stay unacknowledged and keep flashing. Tones are the
project's own (console/alarms/tones.py). Without an audio device the indicator says so, visibly.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl, Signal

from console.alarms.tones import ensure_tones
from console.model import Priority

log = logging.getLogger(__name__)


class Annunciator(QObject):
    sig_state = Signal(str)  # "playing:<priority>" | "quiet" | "unavailable"

    def __init__(self, engine: Any, parent: QObject | None = None, poll_ms: int = 250):
        super().__init__(parent)
        self.engine = engine
        self.playing: Priority | None = None
        self.available = True
        self._effects: dict[Priority, Any] = {}
        try:
            from PySide6.QtMultimedia import QSoundEffect

            for priority, path in ensure_tones().items():
                fx = QSoundEffect(self)
                fx.setSource(QUrl.fromLocalFile(str(path)))
                fx.setLoopCount(QSoundEffect.Loop.Infinite.value)
                fx.setVolume(0.9 if priority is Priority.EXTREME else 0.7)
                self._effects[priority] = fx
        except (ImportError, OSError) as exc:
            self.available = False
            log.warning("alarm sound unavailable: %s", exc)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.update)
        self._timer.start(poll_ms)

    def sound_ok(self) -> bool:
        """Whether the sound system can play (QSoundEffect reports Error without an audio device)."""
        if not self.available or not self._effects:
            return False
        from PySide6.QtMultimedia import QSoundEffect

        return all(fx.status() != QSoundEffect.Error for fx in self._effects.values())

    def update(self) -> None:
        want = self.engine.audible()
        if want == self.playing:
            return
        if self.playing is not None and self.playing in self._effects:
            self._effects[self.playing].stop()
        self.playing = want
        if want is not None and want in self._effects:
            self._effects[want].play()
        self.sig_state.emit(self.state())

    def state(self) -> str:
        if not self.sound_ok():
            return "unavailable"
        return f"playing:{self.playing.name.lower()}" if self.playing is not None else "quiet"

    def is_playing(self) -> bool:
        fx = self._effects.get(self.playing) if self.playing is not None else None
        return bool(fx is not None and fx.isPlaying())

    def stop(self) -> None:
        self._timer.stop()
        for fx in self._effects.values():
            fx.stop()
