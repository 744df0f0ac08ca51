"""NGSI v2 codec (FIWARE Orion): entities in key-values or normalized form, arrays, notifications
(`{"subscriptionId", "data": [...]}`) and batch updates (`{"actionType", "entities": [...]}`)."""

from __future__ import annotations

from typing import Any

from console.feeds.codecs.base import DecodeContext, DecodeResult
from console.feeds.codecs.fiware import decode_entities, ngsi_shape_score
from console.feeds.codecs.safety import load_json


class NgsiV2Codec:
    name = "ngsi-v2"
    binary = False

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        v2, ld = ngsi_shape_score(doc)
        if not v2 and not ld:
            return 0
        score = 50 + min(v2, 30)
        if suffix == ".json":
            score += 10
        return score if ld < 5 else score - ld * 5

    def decode(self, data: bytes, ctx: DecodeContext, doc: Any = None) -> DecodeResult:
        doc = load_json(data) if doc is None else doc
        return decode_entities(doc, ctx, "v2", self.name)


CODEC = NgsiV2Codec()
