"""Websocket feed client (websockets, asyncio; runs on the qasync loop without blocking the UI).

native   resume from the last seq per source (hello/welcome), dedup by (source, seq), gaps counted
         (and told by the server when it no longer holds them), heartbeat latency, epochs
ngsi-ld  NGSI-LD Notifications per frame; no sequence numbers: dedup by (entity, time)
gtfs-rt  GTFS-Realtime FeedMessage per binary frame; dedup by (entity, time)

Limits: `max_size` per frame (8 MiB), `max_queue` frames buffered by websockets (64), bus
back-pressure (the client stops reading while subscribers hold more than the bus capacity), ping
every 5 s with a 10 s timeout, reconnect with capped exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from urllib.parse import urlparse

from websockets.asyncio.client import connect

from console.feeds import codecs
from console.feeds.base import FeedClient, publish_grouped
from console.feeds.codecs.base import CodecError, DecodeContext
from console.feeds.envelope import Batch, Hello, encoder
from console.feeds.intake import NativeIntake
from console.feeds.recorder import Recorder
from console.feeds.sequencing import SeenKeys
from console.health import FeedState

MAX_FRAME = 8 * 1024 * 1024
SLICE_S = 0.004  # longest run of frame processing before yielding to the loop
STANDARD_TOPIC = {"gtfs-rt": "vehicle/bus", "ngsi-ld": "air/station"}
_ws_log = logging.getLogger("rasad.feeds.ws")  # websockets logs every open/close at INFO
_ws_log.setLevel(logging.WARNING)


class WebSocketFeed(NativeIntake, FeedClient):
    kind = "websocket"

    def __init__(
        self,
        url: str | Callable[[], str],
        bus,
        health,
        quarantine,
        *,
        name: str = "",
        format: str = "native",
        max_size: int = MAX_FRAME,
        max_queue: int = 64,
        ping_interval: float = 5.0,
        ping_timeout: float = 10.0,
        open_timeout: float = 5.0,
        record: str | None = None,
        link_entry: bool = True,
        **kw,
    ):
        if not name:
            parsed = urlparse(url if isinstance(url, str) else url())
            name = f"{format}@{parsed.hostname}:{parsed.port}{parsed.path.rstrip('/')}"
        super().__init__(name, bus, health, quarantine, **kw)
        self._init_intake()
        self._url = url
        self.format = format
        self.max_size = max_size
        self.max_queue = max_queue
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.open_timeout = open_timeout
        self.frames = 0
        self._seen = SeenKeys()
        self._ctx_seq = 1
        self._recorder = Recorder(record) if record else None
        self._ws = None
        if format == "native" and link_entry:
            # until the server says which sources it carries, the link itself is the feed on the panel
            self._link = f"link:{self.name}"
            health.register(
                self._link, title_fa=self.name, title_en=self.name, kind="link", connection=self.name
            )
            self.sources.add(self._link)
        elif format != "native":
            self._adopt(
                self.name, title_fa=self.name, title_en=self.name, topic=STANDARD_TOPIC.get(format, "")
            )

    def expect(self, source: str, title_fa: str, title_en: str, stale_after_s: float) -> None:
        """Pre-register a source this link will carry (the embedded simulator's are known up front)."""
        self._adopt(source, title_fa=title_fa, title_en=title_en, stale_after_s=stale_after_s)

    @property
    def url(self) -> str:
        """Resolved at each connect: the embedded simulator only knows its port once it listens."""
        return self._url if isinstance(self._url, str) else self._url()

    async def async_stop(self) -> None:
        await super().async_stop()
        if self._recorder is not None:
            self._recorder.close()

    # -- a connection -------------------------------------------------------------------------------
    async def _session(self) -> None:
        async with connect(
            self.url,
            compression=None,
            max_size=self.max_size,
            max_queue=self.max_queue,
            ping_interval=self.ping_interval,
            ping_timeout=self.ping_timeout,
            open_timeout=self.open_timeout,
            close_timeout=2.0,
            logger=_ws_log,
        ) as ws:
            self._ws = ws
            sock = ws.transport.get_extra_info("socket") if ws.transport else None
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.format == "native":
                hello = Hello(client=f"rasad-{socket.gethostname()}", resume=self.resume_positions())
                await ws.send(encoder.encode(hello))
            else:
                self._connected()
                self._set_all(FeedState.CONNECTED)
            bus = self.bus
            native = self.format == "native"
            recorder = self._recorder
            clock = asyncio.get_running_loop().time
            slice_end = clock() + SLICE_S
            try:
                async for frame in ws:
                    self.frames += 1
                    if native:
                        decoded = self.on_native(frame)
                        if recorder is not None and isinstance(decoded, Batch):
                            recorder.write(frame if isinstance(frame, bytes) else frame.encode())
                    else:
                        self._on_standard(frame)
                    if bus.backlog() > bus.capacity:
                        await bus.async_wait_capacity()
                    elif clock() >= slice_end:
                        # frames already queued are returned without yielding: give the UI and
                        # the bus pump their turn at least every SLICE_S under a flood
                        await asyncio.sleep(0)
                        slice_end = clock() + SLICE_S
            finally:
                self._ws = None

    def drop_connection(self) -> bool:
        """Cut the current connection abruptly (tests; an operator's 'reconnect now')."""
        ws = self._ws
        if ws is not None and ws.transport is not None:
            ws.transport.abort()
            return True
        return False

    # -- standard formats ---------------------------------------------------------------------------
    def _on_standard(self, data: bytes | str) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        ctx = DecodeContext(source=self.name, seq_start=self._ctx_seq)
        try:
            result = codecs.decode_document(raw, self.format, ctx)
        except CodecError as exc:
            self.quarantine.add(self.name, exc, raw)
            return
        self._ctx_seq += len(result.readings)
        fresh, dups = self._seen.fresh(result.readings)
        publish_grouped(self.bus, fresh)
        self.messages += len(fresh)
        self.health.count(self.name, messages=len(fresh), duplicates=dups)
        note: dict[str, float] = {"last_seq": self._ctx_seq - 1}
        latest = max((r.t for r in fresh), default=None)
        if latest is not None:
            note["latency_ms"] = round(max(0.0, (time.time_ns() - latest) / 1e6), 1)
        self.health.note(self.name, **note)
