"""The simulator's websocket server (a real `websockets` server on loopback or any address).

Paths:
  /          native frames with resume (see console/feeds/envelope.py); binary frames of UTF-8 JSON
  /ngsi-ld   NGSI-LD Notifications (text frames), live only: air, parking, water, traffic
  /gtfs-rt   GTFS-Realtime FeedMessages (binary frames), live only: bus positions, accident alerts

The world ticks on the event loop at `speed` simulated seconds per real second (speed <= 0: as fast
as possible). Each tick's messages are encoded once, written to the journal when there is one,
appended to the per-source replay buffers, and then every connected client's sender is woken.
A client is served from its own cursor into the buffers, so a slow client only lags itself;
when it falls behind what the buffer holds it is told (`gap`) instead of silently skipping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import websockets
from websockets.asyncio.server import ServerConnection, serve

from console.feeds.envelope import (
    Gap,
    Heartbeat,
    Hello,
    SourceInfo,
    Welcome,
    batch_bytes,
    encoder,
    hello_decoder,
)
from console.logsetup import LogOnce
from console.model import Reading, now_ns
from console.sim.journal import Journal
from console.sim.replay import SourceLog
from console.sim.standard import NGSI_SOURCES, gtfs_rt_feed, ngsi_ld_notifications
from console.sim.world import SOURCES, World

log = logging.getLogger(__name__)
_once = LogOnce(log)
_ws_log = logging.getLogger("rasad.sim.ws")  # websockets logs every open/close at INFO: keep it quiet
_ws_log.setLevel(logging.WARNING)
MAX_BATCH = 500
HEARTBEAT_S = 1.0
MAX_FRAME = 8 * 1024 * 1024


class SimServer:
    def __init__(
        self,
        world: World,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        journal_dir: Path | str | None = None,
        buffer_bytes: int = 16 * 1024 * 1024,
        max_batch: int = MAX_BATCH,
        name: str = "rasad-sim",
    ):
        self.world = world
        self.host = host
        self.port = port
        self.speed = speed
        self.max_batch = max_batch
        self.name = name
        self.journal = Journal(Path(journal_dir)) if journal_dir else None
        epoch = f"{world.seed}-{world.start_ns // 1_000_000:x}"
        self.logs: dict[str, SourceLog] = {
            s.id: SourceLog(s.id, epoch, max_bytes=buffer_bytes) for s in SOURCES
        }
        if self.journal is not None:
            self._restore()
        self._data = asyncio.Event()
        self._server = None
        self._ticker: asyncio.Task | None = None
        self._clients: set[ServerConnection] = set()
        self._listeners: list[Callable[[dict[str, list[Reading]], int], None]] = []
        self._last: dict[str, list[Reading]] = {}
        self._enc = msgspec.json.Encoder()
        self.emitted = 0
        self.ticks = 0
        self.paused = False
        self.rebase_clock = True

    # -- lifecycle ----------------------------------------------------------------------------------
    def _restore(self) -> None:
        tails = self.journal.load()
        for sid, (epoch, first, items) in tails.items():
            if sid not in self.logs:
                continue
            lg = self.logs[sid]
            lg.epoch = epoch
            lg.extend(first, items)
            lg.snapshot_seq = lg.next_seq
            self.world.next_seq[sid] = lg.next_seq
        if tails:
            log.info(
                "journal: resumed %d sources (%s)",
                len(tails),
                ", ".join(f"{s}@{self.logs[s].last_seq}" for s in tails if s in self.logs),
            )

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    async def async_start(self) -> None:
        self._data = asyncio.Event()
        self._server = await serve(
            self._handler,
            self.host,
            self.port,
            compression=None,
            max_size=64 * 1024,  # clients only send a hello
            ping_interval=10,
            ping_timeout=20,
            write_limit=4 * 1024 * 1024,
            logger=_ws_log,
        )
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]
        self._ticker = asyncio.create_task(self._run(), name="sim-ticker")
        log.info(
            "simulator serving %s (scenario %s, %d vehicles, speed %g)",
            self.url,
            self.world.scenario.name,
            self.world.fleet.count,
            self.speed,
        )

    async def async_stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 3)
            self._server = None
        if self.journal is not None:
            self.journal.close()

    def on_tick(self, fn: Callable[[dict[str, list[Reading]], int], None]) -> None:
        """Call fn(readings by source, t_ns) after every tick (MQTT bridge, tests)."""
        self._listeners.append(fn)

    # -- the world ----------------------------------------------------------------------------------
    def advance(self, ticks: int = 1) -> int:
        """Run ticks synchronously (prefill for benchmarks and tests); returns messages emitted."""
        n = 0
        for _ in range(ticks):
            n += self._tick()
        return n

    def _tick(self) -> int:
        t = self.world.t_ns()
        out = self.world.step()
        self.ticks += 1
        n = 0
        enc = self._enc.encode
        for sid, readings in out.items():
            if not readings:
                continue
            items = [enc(r) for r in readings]
            lg = self.logs[sid]
            first = readings[0].seq
            if self.journal is not None:
                self.journal.append(sid, lg.epoch, first, items)
            lg.extend(first, items)
            lg.snapshot_seq = (
                self.world.round_start[sid] if sid != "sim.137" else max(lg.first_seq, lg.last_seq - 49)
            )
            n += len(items)
        self.emitted += n
        self._last = out
        for fn in self._listeners:
            try:
                fn(out, t)
            except Exception as exc:
                _once.error(
                    ("tick-listener", getattr(fn, "__qualname__", fn)),
                    "simulator tick listener failed: %r",
                    exc,
                )
        if self.journal is not None and self.journal.size() > self.journal.max_bytes:
            self.journal.compact({s: (lg.epoch, lg.first_seq, lg.all_items()) for s, lg in self.logs.items()})
        ev, self._data = self._data, asyncio.Event()
        ev.set()
        return n

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        if self.world.tick == 0 and self.rebase_clock:
            self.world.rebase(now_ns())  # message times follow the wall clock from the first tick
        start = loop.time()
        k = 0
        while True:
            if not self.paused:
                self._tick()
            k += 1
            if self.speed <= 0:
                await asyncio.sleep(0)
                continue
            target = start + k * self.world.dt / self.speed
            delay = target - loop.time()
            if delay < -5.0:  # far behind (machine suspended, overloaded): do not burst, move on
                _once.warning("sim-behind", "simulator %.1f s behind real time; skipping ahead", -delay)
                start += -delay
                delay = 0.0
            await asyncio.sleep(max(0.0, delay))

    # -- clients ------------------------------------------------------------------------------------
    async def _handler(self, ws: ServerConnection) -> None:
        path = ws.request.path.split("?", 1)[0].rstrip("/") if ws.request else ""
        self._clients.add(ws)
        try:
            if path in ("", "/native"):
                await self._serve_native(ws)
            elif path == "/ngsi-ld":
                await self._serve_live(ws, self._ngsi_frames)
            elif path == "/gtfs-rt":
                await self._serve_live(ws, self._gtfs_frames)
            else:
                await ws.close(1008, f"unknown path {path}; use /, /ngsi-ld or /gtfs-rt")
        except websockets.ConnectionClosed:
            pass
        finally:
            self._clients.discard(ws)

    def source_infos(self) -> list[SourceInfo]:
        out = []
        for s in SOURCES:
            lg = self.logs[s.id]
            out.append(
                SourceInfo(
                    id=s.id,
                    topics=[s.topic],
                    title_fa=s.title_fa,
                    title_en=s.title_en,
                    stale_after_s=s.stale_after_s,
                    epoch=lg.epoch,
                    first_seq=lg.first_seq,
                    last_seq=lg.last_seq if len(lg) else 0,
                )
            )
        return out

    async def _serve_native(self, ws: ServerConnection) -> None:
        try:
            raw = await asyncio.wait_for(ws.recv(), 5.0)
            hello = hello_decoder.decode(raw)
        except TimeoutError:
            hello = Hello()
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await ws.close(1003, f"bad hello: {exc}"[:120])
            return
        wanted = [lg for sid, lg in self.logs.items() if not hello.sources or sid in hello.sources]
        await ws.send(encoder.encode(Welcome(server=self.name, t=now_ns(), sources=self.source_infos())))
        cursors: dict[str, int] = {}
        for lg in wanted:
            pos = hello.resume.get(lg.source)
            if pos is not None and pos.epoch == lg.epoch and pos.seq <= lg.last_seq:
                cursors[lg.source] = pos.seq
            elif pos is not None and pos.epoch == lg.epoch:
                cursors[lg.source] = lg.last_seq  # nothing newer yet
            else:
                cursors[lg.source] = max(lg.snapshot_seq, lg.first_seq or lg.snapshot_seq) - 1
        last_hb = time.monotonic()
        closed = asyncio.ensure_future(ws.wait_closed())
        try:
            await self._native_loop(ws, wanted, cursors, last_hb, closed)
        finally:
            closed.cancel()

    async def _native_loop(self, ws, wanted, cursors, last_hb, closed) -> None:
        while True:
            ev = self._data
            sent = False
            for lg in wanted:
                cur = cursors[lg.source]
                first, items = lg.since(cur, self.max_batch)
                if first > cur + 1 and (items or lg.first_seq > cur + 1):
                    await ws.send(
                        encoder.encode(
                            Gap(
                                source=lg.source,
                                epoch=lg.epoch,
                                first=cur + 1,
                                last=first - 1,
                                reason="no longer buffered",
                            )
                        )
                    )
                    cursors[lg.source] = cur = first - 1
                if items:
                    await ws.send(batch_bytes(lg.source, lg.epoch, items))
                    cursors[lg.source] = first + len(items) - 1
                    sent = True
            now = time.monotonic()
            if now - last_hb >= HEARTBEAT_S:
                await ws.send(
                    encoder.encode(
                        Heartbeat(t=now_ns(), last={lg.source: lg.last_seq for lg in wanted if len(lg)})
                    )
                )
                last_hb = now
            if not sent:
                waiter = asyncio.ensure_future(ev.wait())
                await asyncio.wait({waiter, closed}, timeout=HEARTBEAT_S, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if closed.done():
                    return

    async def _serve_live(
        self, ws: ServerConnection, frames: Callable[[dict[str, list[Reading]]], list[bytes | str]]
    ) -> None:
        closed = asyncio.ensure_future(ws.wait_closed())
        try:
            while True:
                waiter = asyncio.ensure_future(self._data.wait())
                await asyncio.wait({waiter, closed}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if closed.done():
                    return
                for frame in frames(self._last):
                    await ws.send(frame)
        finally:
            closed.cancel()

    def _ngsi_frames(self, out: dict[str, list[Reading]]) -> list[str]:
        readings = [r for sid in NGSI_SOURCES for r in out.get(sid, [])]
        if not readings:
            return []
        return [
            b.decode("utf-8") for b in ngsi_ld_notifications(readings, "urn:ngsi-ld:Subscription:rasad-sim")
        ]

    def _gtfs_frames(self, out: dict[str, list[Reading]]) -> list[bytes]:
        buses = out.get("sim.bus")
        if not buses:
            return []
        s = self.world.s
        blocked = []
        for i, ev in enumerate(self.world.scenario.events):
            if ev.kind == "speed_drop" and ev.segments and ev.active(s):
                weights = self.world.effects.weights[i]
                for seg in ev.segments:
                    ri = self.world.graph.road_index.get(seg)
                    if ri is not None and weights[ri] > 0:
                        blocked.append((seg, self.world.graph.roads[ri].name_fa))
        return [gtfs_rt_feed(buses, buses[0].t, blocked)]

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def kick_clients(self) -> int:
        """Drop every connection abruptly (tests of the client's reconnect)."""
        clients = list(self._clients)
        for ws in clients:
            if ws.transport is not None:
                ws.transport.abort()
        return len(clients)
