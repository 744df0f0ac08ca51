"""Publish the simulator's batches to an MQTT broker (aiomqtt), one topic per source.

Topic `<prefix>/<source>` (e.g. rasad/sim.bus), payload: a native batch frame, QoS 1. While the
broker is unreachable, frames wait in a bounded queue (oldest dropped, counted) and the bridge
reconnects with capped exponential backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from console.feeds.envelope import batch_bytes
from console.logsetup import LogOnce
from console.model import Reading
from console.sim.server import SimServer

log = logging.getLogger(__name__)
_once = LogOnce(log)


class MqttBridge:
    def __init__(
        self, server: SimServer, host: str, port: int, *, prefix: str = "rasad", max_frames: int = 20_000
    ):
        self.server = server
        self.host, self.port = host, port
        self.prefix = prefix
        self.queue: deque[tuple[str, bytes]] = deque()
        self.max_frames = max_frames
        self.dropped = 0
        self.published = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        server.on_tick(self._on_tick)

    def _on_tick(self, out: dict[str, list[Reading]], t_ns: int) -> None:
        enc = self.server._enc.encode
        for sid, readings in out.items():
            for i in range(0, len(readings), self.server.max_batch):
                chunk = readings[i : i + self.server.max_batch]
                epoch = self.server.logs[sid].epoch
                self.queue.append((sid, batch_bytes(sid, epoch, [enc(r) for r in chunk])))
        while len(self.queue) > self.max_frames:
            self.queue.popleft()
            self.dropped += 1
        self._wake.set()

    async def async_start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sim-mqtt")

    async def async_stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        import aiomqtt

        delay = 0.2
        while True:
            try:
                async with aiomqtt.Client(
                    self.host, self.port, identifier=f"rasad-sim-{self.server.port}"
                ) as client:
                    if _once.clear(("mqtt", self.host, self.port)):
                        log.info("MQTT bridge: connected to %s:%d again", self.host, self.port)
                    delay = 0.2
                    while True:
                        while self.queue:
                            sid, payload = self.queue[0]
                            await client.publish(f"{self.prefix}/{sid}", payload, qos=1)
                            self.queue.popleft()
                            self.published += 1
                        self._wake.clear()
                        await self._wake.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker down, refused, dropped
                _once.warning(
                    ("mqtt", self.host, self.port),
                    "MQTT bridge: %s:%d unreachable (%s); retrying",
                    self.host,
                    self.port,
                    exc,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
