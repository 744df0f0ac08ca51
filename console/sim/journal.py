"""Write-ahead journal of everything the simulator emitted, so a killed and restarted simulator
continues each source's sequence (same epoch) and can still replay what clients missed.

One line per emitted batch: a small JSON header, a tab, the encoded messages separated by 0x1E
(JSON text never contains a raw 0x1E), a newline. Lines are written before the messages are
offered to any client; a line cut short by a kill (no newline) was never sent and is dropped on
load. When the file passes `max_bytes` it is rewritten from the replay buffers (compaction).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import msgspec

log = logging.getLogger(__name__)
SEP = b"\x1e"


class _Head(msgspec.Struct):
    s: str  # source
    e: str  # epoch
    q: int  # seq of the first message


_head_dec = msgspec.json.Decoder(_Head)
_enc = msgspec.json.Encoder()


class Journal:
    def __init__(self, folder: Path, *, max_bytes: int = 256 * 1024 * 1024):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "journal.log"
        self.max_bytes = max_bytes
        self._fh = None

    def load(self) -> dict[str, tuple[str, int, list[bytes]]]:
        """{source: (epoch, first seq of the kept tail, messages)}; truncates a torn last line."""
        found: dict[str, tuple[str, int, list[bytes]]] = {}
        if not self.path.exists():
            return found
        data = self.path.read_bytes()
        good = 0
        pos = 0
        while True:
            end = data.find(b"\n", pos)
            if end < 0:
                break
            line = data[pos:end]
            try:
                head_raw, _, body = line.partition(b"\t")
                head = _head_dec.decode(head_raw)
                items = body.split(SEP) if body else []
            except (msgspec.DecodeError, ValueError):
                log.warning(
                    "journal %s: unreadable record at byte %d; keeping what precedes it", self.path, pos
                )
                break
            epoch, first, kept = found.get(head.s, (head.e, head.q, []))
            if epoch != head.e or first + len(kept) != head.q:
                epoch, first, kept = head.e, head.q, []  # a new epoch or a hole: start the tail again
            kept.extend(items)
            found[head.s] = (epoch, first, kept)
            pos = good = end + 1
        if good < len(data):
            log.warning("journal %s: dropping %d bytes of a record cut short", self.path, len(data) - good)
            with self.path.open("r+b") as fh:
                fh.truncate(good)
        return found

    def append(self, source: str, epoch: str, first_seq: int, items: list[bytes]) -> None:
        if self._fh is None:
            self._fh = self.path.open("ab", buffering=0)
        line = _enc.encode(_Head(source, epoch, first_seq)) + b"\t" + SEP.join(items) + b"\n"
        self._fh.write(line)  # unbuffered: in the OS page cache before any client sees the messages

    def size(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def compact(self, tails: dict[str, tuple[str, int, list[bytes]]]) -> None:
        """Rewrite the journal with only what the replay buffers still hold."""
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            for source, (epoch, first, items) in tails.items():
                if items:
                    fh.write(_enc.encode(_Head(source, epoch, first)) + b"\t" + SEP.join(items) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.close()
        tmp.replace(self.path)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
