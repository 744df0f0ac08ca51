"""The native wire protocol (JSON over websocket, MQTT or a recording file), shared by server and client.

Server → client frames (text, one JSON object each, tagged by "type"):
  welcome  {"type":"welcome","server":..,"t":ns,"sources":[SourceInfo..]}    once per connection
  batch    {"type":"batch","source":id,"epoch":e,"items":[Reading..]}        many messages per frame
  gap      {"type":"gap","source":id,"epoch":e,"first":a,"last":b,"reason":..} seqs a..b are lost for good
  hb       {"type":"hb","t":ns,"last":{source: last_seq}}                   about once a second
Client → server:
  hello    {"type":"hello","client":..,"resume":{source:{"epoch":e,"seq":n}},"sources":[..]}

Every item carries its source and a per-source sequence number (1, 2, 3 ...) within an epoch. A
source's epoch changes only when its sequence restarts (a server without a journal restarted), so
(source, epoch, seq) names one message forever. Resume: the client sends the last seq it has
processed per source; the server replays seq+1 onwards from its replay buffer, or says `gap` for
what it no longer holds.
"""

from __future__ import annotations

import msgspec

from console.model import Reading


class SourceInfo(msgspec.Struct, kw_only=True):
    id: str
    topics: list[str]
    title_fa: str = ""
    title_en: str = ""
    stale_after_s: float = 30.0
    epoch: str = ""
    first_seq: int = 0  # oldest seq still in the replay buffer (0: nothing yet)
    last_seq: int = 0


class Position(msgspec.Struct):
    epoch: str
    seq: int


class Hello(msgspec.Struct, tag="hello", tag_field="type", kw_only=True):
    client: str = ""
    resume: dict[str, Position] = {}
    sources: list[str] = []  # empty: every source the server has


class Welcome(msgspec.Struct, tag="welcome", tag_field="type", kw_only=True):
    server: str
    t: int
    sources: list[SourceInfo]


class Batch(msgspec.Struct, tag="batch", tag_field="type", kw_only=True):
    source: str
    epoch: str
    items: list[Reading]


class Gap(msgspec.Struct, tag="gap", tag_field="type", kw_only=True):
    source: str
    epoch: str
    first: int
    last: int
    reason: str = ""


class Heartbeat(msgspec.Struct, tag="hb", tag_field="type", kw_only=True):
    t: int
    last: dict[str, int] = {}


ServerFrame = Welcome | Batch | Gap | Heartbeat

frame_decoder = msgspec.json.Decoder(ServerFrame)
hello_decoder = msgspec.json.Decoder(Hello)
encoder = msgspec.json.Encoder()


def batch_bytes(source: str, epoch: str, encoded_items: list[bytes]) -> bytes:
    """A batch frame from already-encoded Readings (the server encodes each message once)."""
    head = encoder.encode(source), encoder.encode(epoch)
    return (
        b'{"type":"batch","source":'
        + head[0]
        + b',"epoch":'
        + head[1]
        + b',"items":['
        + b",".join(encoded_items)
        + b"]}"
    )
