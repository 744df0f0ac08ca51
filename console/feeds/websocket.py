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

import logging
import socket
import time
from collections.abc import Callable
from urllib.parse import urlparse

import websockets
from websockets.asyncio.client import connect

from console.catalog import TOPICS, stale_after_for
from console.feeds import codecs
from console.feeds.base import FeedClient, publish_grouped
from console.feeds.codecs.base import CodecError, DecodeContext
from console.feeds.codecs.native import decode_frame
from console.feeds.envelope import Batch, Gap, Heartbeat, Hello, Position, Welcome, encoder
from console.feeds.recorder import Recorder
from console.feeds.sequencing import SeenKeys, SeqTracker
from console.health import FeedState
from console.model import now_ns

MAX_FRAME = 8 * 1024 * 1024
_ws_log = logging.getLogger("rasad.feeds.ws")
_ws_log.setLevel(logging.WARNING)


class WebSocketFeed(FeedClient):
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
        self._url = url
        self.format = format
        self.max_size = max_size
        self.max_queue = max_queue
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.open_timeout = open_timeout
        self.trackers: dict[str, SeqTracker] = {}
        self.frames = 0
        self.messages = 0
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
        else:
            self._link = ""
        if format != "native":
            topic = "vehicle/bus" if format == "gtfs-rt" else "air/station"
            health.register(
                self.name,
                title_fa=self.name,
                title_en=self.name,
                kind=format,
                connection=self.name,
                stale_after_s=stale_after_for(TOPICS[topic][0]),
            )
            self.sources.add(self.name)

    def expect(self, source: str, title_fa: str, title_en: str, stale_after_s: float) -> None:
        """Pre-register a source this link will carry (the embedded simulator's are known up front)."""
        self.health.register(
            source,
            title_fa=title_fa,
            title_en=title_en,
            stale_after_s=stale_after_s,
            kind=self.format,
            connection=self.name,
        )
        self.sources.add(source)
        if self._link:
            self.sources.discard(self._link)
            self.health.unregister(self._link)
            self._link = ""

    @property
    def url(self) -> str:
        """Resolved at each connect: the embedded simulator only knows its port once it listens."""
        return self._url if isinstance(self._url, str) else self._url()

    async def async_stop(self) -> None:
        await super().async_stop()
        if self._recorder is not None:
            self._recorder.close()

    # -- a connection ---------------------------------------------------------------------------------
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
                await ws.send(encoder.encode(self._hello()))
            else:
                self._connected()
                self._set_all(FeedState.CONNECTED)
            bus = self.bus
            async for frame in ws:
                self.frames += 1
                if self.format == "native":
                    self._on_native(frame)
                else:
                    self._on_standard(frame)
                if bus.backlog() > bus._capacity:
                    await bus.async_wait_capacity()
        self._ws = None

    def drop_connection(self) -> bool:
        """Cut the current connection abruptly (tests; an operator's 'reconnect now')."""
        ws = self._ws
        if ws is not None and ws.transport is not None:
            ws.transport.abort()
            return True
        return False

    def _hello(self) -> Hello:
        return Hello(
            client=f"rasad-{socket.gethostname()}",
            resume={sid: Position(tr.epoch, tr.last) for sid, tr in self.trackers.items() if tr.epoch},
        )

    # -- native frames ------------------------------------------------------------------------------
    def _on_native(self, data: bytes | str) -> None:
        try:
            frame = decode_frame(data)
        except CodecError as exc:
            self.quarantine.add(self.name, exc, data)
            return
        if isinstance(frame, Batch):
            self._on_batch(frame)
            if self._recorder is not None:
                self._recorder.write(data if isinstance(data, bytes) else data.encode())
        elif isinstance(frame, Welcome):
            self._on_welcome(frame)
        elif isinstance(frame, Gap):
            self._on_gap(frame)
        elif isinstance(frame, Heartbeat):
            lat = (now_ns() - frame.t) / 1e6
            for sid in frame.last:
                if sid in self.sources:
                    self.health.note(sid, latency_ms=round(max(0.0, lat), 1))

    def _on_welcome(self, w: Welcome) -> None:
        for info in w.sources:
            self.health.register(
                info.id,
                title_fa=info.title_fa or info.id,
                title_en=info.title_en or info.id,
                stale_after_s=info.stale_after_s,
                kind="native",
                connection=self.name,
            )
            self.sources.add(info.id)
            tr = self.trackers.get(info.id)
            if tr is not None and tr.epoch and tr.epoch != info.epoch:
                self._once.warning(
                    ("epoch", info.id),
                    "feed %s: source %s restarted its sequence (epoch %s → %s)",
                    self.name,
                    info.id,
                    tr.epoch,
                    info.epoch,
                )
                tr.reset(info.epoch)
        if self._link:
            self.sources.discard(self._link)
            self.health.unregister(self._link)
            self._link = ""
        self._connected()
        self._set_all(FeedState.CONNECTED)
        for sid in self.sources:  # a source silent from here on goes stale after its stale-after
            self.health.touch(sid)

    def _on_batch(self, b: Batch) -> None:
        items = b.items
        if not items:
            return
        src = b.source
        tr = self.trackers.get(src)
        if tr is None:
            tr = self.trackers[src] = SeqTracker(b.epoch)
            tr.last = items[0].seq - 1  # joined mid-stream: what came before is not a gap
            if src not in self.sources:
                self.health.register(src, title_fa=src, title_en=src, kind="native", connection=self.name)
                self.sources.add(src)
                self.health.set_state(src, FeedState.CONNECTED)
        elif tr.epoch != b.epoch:
            self._once.warning(
                ("epoch", src),
                "feed %s: source %s restarted its sequence (epoch %s)",
                self.name,
                src,
                b.epoch,
            )
            tr.reset(b.epoch, items[0].seq - 1)
        if items[-1].source != src or items[0].source != src:
            bad = [r for r in items if r.source != src]
            items = [r for r in items if r.source == src]
            self.quarantine.add(
                src,
                CodecError(f"{len(bad)} item(s) claim another source ({bad[0].source})", kind="wrong-source"),
                b"",
            )
        v = tr.check(items)
        if v.accepted:
            publish_grouped(self.bus, v.accepted)
        n = len(v.accepted)
        self.messages += n
        h = self.health
        h.count(src, messages=n, duplicates=v.duplicates, gaps=v.gaps, missing=v.missing)
        h.note(src, last_seq=tr.last, latency_ms=round(max(0.0, (now_ns() - items[-1].t) / 1e6), 1))
        if v.gaps:
            self._once.warning(("gap", src), "feed %s: %s skipped %d message(s)", self.name, src, v.missing)

    def _on_gap(self, g: Gap) -> None:
        tr = self.trackers.setdefault(g.source, SeqTracker(g.epoch))
        lost = tr.mark_lost(g.first, g.last)
        if lost:
            self.health.count(g.source, gaps=1, missing=lost)
            self._once.warning(
                ("lost", g.source),
                "feed %s: %s lost %d message(s) for good (%s)",
                self.name,
                g.source,
                lost,
                g.reason,
            )

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
        latest = max((r.t for r in fresh), default=None)
        note = {"last_seq": self._ctx_seq - 1}
        if latest is not None:
            note["latency_ms"] = round(max(0.0, (time.time_ns() - latest) / 1e6), 1)
        self.health.note(self.name, **note)


def is_disconnect(exc: BaseException) -> bool:
    return isinstance(exc, websockets.ConnectionClosed | OSError | TimeoutError)
