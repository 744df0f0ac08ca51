"""What a feed is configured as (settings.toml `[[feeds]]` tables, or `--feed URL` on the command line)."""

from __future__ import annotations

from typing import Literal

import msgspec


class FeedSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One configured source.

    kind "websocket": url ws://host:port/path, format native (resume, dedup) | ngsi-ld | gtfs-rt.
    kind "mqtt": url mqtt://host:port, topic filter `topic` (default "rasad/#"), format native.
    kind "replay": path of a recording (JSON lines of native frames) or any decodable file, `speed`.
    """

    kind: Literal["websocket", "mqtt", "replay"] = "websocket"
    url: str = ""
    path: str = ""
    format: str = "native"
    name: str = ""  # connection name in logs and the feed-health panel (default: derived from url/path)
    topic: str = "rasad/#"
    speed: float = 1.0
    loop: bool = False
    record: str = ""  # websocket/native: append every batch frame to this file (JSON lines) for replay

    def label(self) -> str:
        return self.name or self.url or self.path


def parse_feed_arg(text: str) -> FeedSpec:
    """`--feed` values: ws://..., wss://..., mqtt://host:port[/topic], file path (replay)."""
    text = text.strip()
    if text.startswith(("ws://", "wss://")):
        fmt = "native"
        if text.rstrip("/").endswith("/ngsi-ld"):
            fmt = "ngsi-ld"
        elif text.rstrip("/").endswith("/gtfs-rt"):
            fmt = "gtfs-rt"
        return FeedSpec(kind="websocket", url=text, format=fmt)
    if text.startswith("mqtt://"):
        rest = text[len("mqtt://") :]
        host, _, topic = rest.partition("/")
        return FeedSpec(kind="mqtt", url=f"mqtt://{host}", topic=topic or "rasad/#")
    return FeedSpec(kind="replay", path=text)
