"""MQTT feed client (aiomqtt): native batch frames on a topic filter, QoS 1 with a persistent session.

The broker keeps what arrives while the console is away (clean_session off, fixed client id), so a
reconnect resumes without loss. A message is acknowledged only after it is on the bus (paho's
manual ack): one received but not yet processed when the link dies is redelivered by the broker,
and dedup by (source, seq) absorbs the repeat. The broker's in-flight window (unacknowledged
messages) is also the back-pressure. Gaps (the publisher dropped frames) are detected by sequence.
"""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from console.feeds.base import FeedClient
from console.feeds.intake import NativeIntake
from console.health import FeedState


class MqttFeed(NativeIntake, FeedClient):
    kind = "mqtt"

    def __init__(
        self,
        url: str,
        bus,
        health,
        quarantine,
        *,
        name: str = "",
        topic: str = "rasad/#",
        client_id: str | None = None,
        keepalive: int = 10,
        max_queued: int = 20_000,
        **kw,
    ):
        parsed = urlparse(url if "://" in url else f"mqtt://{url}")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 1883
        super().__init__(name or f"mqtt@{self.host}:{self.port}", bus, health, quarantine, **kw)
        self._init_intake()
        self.topic = topic
        self.client_id = (
            client_id or f"rasad-{socket.gethostname()}-{abs(hash((self.host, self.port, topic))) % 10**8}"
        )
        self.keepalive = keepalive
        self.max_queued = max_queued
        self._link = f"link:{self.name}"
        health.register(self._link, title_fa=self.name, title_en=self.name, kind="link", connection=self.name)
        self.sources.add(self._link)
        self._client = None

    async def _session(self) -> None:
        import aiomqtt

        client = aiomqtt.Client(
            self.host,
            self.port,
            identifier=self.client_id,
            clean_session=False,
            keepalive=self.keepalive,
            max_queued_incoming_messages=self.max_queued,
            timeout=5,
        )
        paho = client._client
        paho.manual_ack_set(True)  # ack after the bus has it, never on receipt
        async with client:
            self._client = client
            await client.subscribe(self.topic, qos=1)
            self._connected()
            self._set_all(FeedState.CONNECTED)
            for sid in self.sources:
                self.health.touch(sid)
            bus = self.bus
            try:
                async for message in client.messages:
                    payload = message.payload
                    if not isinstance(payload, bytes | bytearray):
                        payload = str(payload).encode()
                    self.on_native(bytes(payload))
                    if message.qos:
                        paho.ack(message.mid, message.qos)
                    if bus.backlog() > bus.capacity:
                        await bus.async_wait_capacity()
            finally:
                self._client = None

    def drop_connection(self) -> bool:
        client = self._client
        if client is None:
            return False
        sock = client._client.socket()  # paho's socket: cut it, as a network failure would
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
            return True
        return False
