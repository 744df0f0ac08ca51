"""NGSI-LD codec (ETSI GS CIM 009): entities key-values or normalized (Property, GeoProperty,
Relationship, LanguageProperty), arrays, and Notifications (`{"type": "Notification", "data": [...]}`),
which is also what the simulator's /ngsi-ld websocket endpoint sends."""

from __future__ import annotations

from typing import Any

from console.feeds.codecs.base import DecodeContext, DecodeResult
from console.feeds.codecs.fiware import decode_entities, ngsi_shape_score
from console.feeds.codecs.safety import load_json


class NgsiLdCodec:
    name = "ngsi-ld"
    binary = False

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        v2, ld = ngsi_shape_score(doc)
        if not v2 and not ld:
            return 0
        score = 50 + min(ld * 5, 45)
        if suffix == ".jsonld":
            score += 30
        return score

    def decode(self, data: bytes, ctx: DecodeContext, doc: Any = None) -> DecodeResult:
        doc = load_json(data) if doc is None else doc
        return decode_entities(doc, ctx, "ld", self.name)


CODEC = NgsiLdCodec()
