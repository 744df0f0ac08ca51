"""A TCP proxy that cuts connections at random byte offsets (mid-frame) for resilience tests."""

from __future__ import annotations

import asyncio
import random


class ChaosProxy:
    def __init__(self, upstream_port: int, rng: random.Random, cut_bytes: tuple[int, int] = (4_000, 120_000)):
        self.upstream_port = upstream_port
        self.rng = rng
        self.cut_bytes = cut_bytes
        self.cutting = True
        self.drops = 0
        self.max_drops: int | None = None
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_w))
        budget = self.rng.randint(*self.cut_bytes) if self._armed() else None

        async def downstream() -> None:
            nonlocal budget
            while True:
                chunk = await up_r.read(65536)
                if not chunk:
                    break
                if budget is not None and len(chunk) >= budget:
                    writer.write(chunk[:budget])  # part of a frame, then the line goes dead
                    await writer.drain()
                    self.drops += 1
                    raise ConnectionAbortedError
                if budget is not None:
                    budget -= len(chunk)
                writer.write(chunk)
                await writer.drain()

        async def upstream() -> None:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                up_w.write(chunk)
                await up_w.drain()

        tasks = [asyncio.create_task(downstream()), asyncio.create_task(upstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            for w in (writer, up_w):
                w.transport.abort()
                self._writers.discard(w)

    def _armed(self) -> bool:
        return self.cutting and (self.max_drops is None or self.drops < self.max_drops)
