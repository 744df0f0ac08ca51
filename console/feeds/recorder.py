"""Recording a session: raw native frames appended to a file (JSON lines) by a writer thread, so the
event loop (the UI thread under qasync) never waits on the disk. Replay with the `replay` feed."""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class Recorder:
    def __init__(self, path: Path | str, max_queue: int = 10_000):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._q: queue.Queue[bytes | None] = queue.Queue(max_queue)
        self.dropped = 0
        self.written = 0
        self._thread = threading.Thread(target=self._loop, name=f"record:{self.path.name}", daemon=True)
        self._thread.start()

    def write(self, frame: bytes) -> None:
        try:
            self._q.put_nowait(frame)
        except queue.Full:
            self.dropped += 1

    def _loop(self) -> None:
        try:
            with self.path.open("ab") as fh:
                while True:
                    item = self._q.get()
                    if item is None:
                        break
                    fh.write(item.rstrip(b"\n") + b"\n")
                    self.written += 1
                    if self._q.empty():
                        fh.flush()
        except OSError as exc:
            log.error("recording to %s stopped: %s", self.path, exc)

    def close(self, timeout: float = 5.0) -> None:
        self._q.put(None)
        self._thread.join(timeout)
