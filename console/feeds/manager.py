"""The feeds service: builds the configured sources (or the embedded simulator and a client to it),
starts and stops them with the core, and answers "what is connected" for the status views."""

from __future__ import annotations

import logging
from typing import Any

from console.feeds.config import FeedSpec
from console.feeds.quarantine import Quarantine

log = logging.getLogger("rasad.feeds")


class FeedManager:
    def __init__(self, core: Any):
        self.core = core
        self.settings = core.settings
        self.quarantine = Quarantine(core.bus, core.health)
        self.clients: list[Any] = []
        self.simulator = None

    def build(self) -> None:
        specs = list(self.settings.feeds)
        if not specs and self.settings.simulator:
            self._embedded_simulator()
        for spec in specs:
            self.clients.append(self._client(spec))

    def _embedded_simulator(self) -> None:
        from console.feeds.websocket import WebSocketFeed
        from console.sim.server import SimServer
        from console.sim.world import SOURCES, World

        s = self.settings
        world = World(scenario=s.scenario, seed=s.seed, vehicles=s.vehicles, timezone=s.timezone)
        self.simulator = SimServer(world, host="127.0.0.1", port=0, speed=s.sim_speed)
        server = self.simulator
        client = WebSocketFeed(
            lambda: server.url,
            self.core.bus,
            self.core.health,
            self.quarantine,
            name="sim",
            link_entry=False,
            record=s.record or None,
        )
        for src in SOURCES:
            client.expect(src.id, src.title_fa, src.title_en, src.stale_after_s)
        self.clients.append(client)

    def _client(self, spec: FeedSpec):
        bus, health, q = self.core.bus, self.core.health, self.quarantine
        if spec.kind == "websocket":
            from console.feeds.websocket import WebSocketFeed

            return WebSocketFeed(
                spec.url, bus, health, q, name=spec.name, format=spec.format, record=spec.record or None
            )
        if spec.kind == "mqtt":
            from console.feeds.mqtt import MqttFeed

            return MqttFeed(spec.url, bus, health, q, name=spec.name, topic=spec.topic)
        from console.feeds.replay import ReplayFeed

        return ReplayFeed(
            spec.path, bus, health, q, name=spec.name, speed=spec.speed, loop=spec.loop, format=spec.format
        )

    async def async_start(self) -> None:
        if self.simulator is not None:
            await self.simulator.async_start()
        for c in self.clients:
            await c.async_start()

    async def async_stop(self) -> None:
        for c in reversed(self.clients):
            await c.async_stop()
        if self.simulator is not None:
            await self.simulator.async_stop()


def build_feeds(core: Any) -> FeedManager:
    """Called from Core._build_services: registers "quarantine", "simulator" (when embedded), "feeds"."""
    manager = FeedManager(core)
    manager.build()
    core.add_service("quarantine", manager.quarantine, lifecycle=False)
    if manager.simulator is not None:
        core.add_service("simulator", manager.simulator, lifecycle=False)
    core.add_service("feeds", manager)
    return manager
