"""File replay source: a recorded session (JSON lines of native frames, from `record`) or any file a
codec can decode (a corpus file), played onto the bus at a chosen speed, honouring the gaps between
message times (speed 0: as fast as possible). Sequence checks run as for a live feed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from console.feeds import codecs
from console.feeds.base import FeedClient, publish_grouped
from console.feeds.codecs.base import CodecError, DecodeContext
from console.feeds.envelope import Batch
from console.feeds.intake import NativeIntake
from console.health import FeedState


class ReplayFeed(NativeIntake, FeedClient):
    kind = "replay"

    def __init__(
        self,
        path: str,
        bus,
        health,
        quarantine,
        *,
        name: str = "",
        speed: float = 1.0,
        loop: bool = False,
        format: str = "auto",
        **kw,
    ):
        self.path = Path(path)
        super().__init__(name or f"replay:{self.path.name}", bus, health, quarantine, **kw)
        self._init_intake()
        self.speed = speed
        self.loop = loop
        self.format = format
        self.finished = asyncio.Event()
        self._adopt(self.name, title_fa=f"بازپخش {self.path.name}", title_en=f"Replay {self.path.name}")

    async def _session(self) -> None:
        while True:
            frames = await asyncio.to_thread(self._load)
            self._connected()
            self._set_all(FeedState.CONNECTED)
            await self._play(frames)
            if not self.loop:
                break
            self.trackers.clear()
        self._set_all(FeedState.IDLE, "replay finished")
        self.finished.set()
        await asyncio.Event().wait()  # stay idle until stopped (a finished replay is not a failure)

    def _load(self) -> list[bytes | list]:
        """Native recordings stay frames (for sequence checks); other files decode to one batch."""
        data = self.path.read_bytes()
        if self.format in ("auto", "native") and (
            self.path.suffix in (".jsonl", ".rasad") or data.lstrip()[:16].startswith(b'{"type":"batch"')
        ):
            return [line for line in data.splitlines() if line.strip()]
        try:
            result = codecs.decode_document(
                data, self.format, DecodeContext(source=self.name, suffix=self.path.suffix.lower())
            )
        except CodecError as exc:
            self.quarantine.add(self.name, exc, data)
            return []
        return [result.readings]

    async def _play(self, frames: list[bytes | list]) -> None:
        prev_t = None
        for frame in frames:
            if isinstance(frame, list):
                publish_grouped(self.bus, frame)
                self.health.count(self.name, messages=len(frame))
                continue
            decoded = self.on_native(frame)
            if isinstance(decoded, Batch) and decoded.items:
                self.health.count(self.name, messages=len(decoded.items))
                t = decoded.items[0].t
                if prev_t is not None and self.speed > 0 and t > prev_t:
                    await asyncio.sleep(min(60.0, (t - prev_t) / 1e9 / self.speed))
                prev_t = t
            else:
                await asyncio.sleep(0)
