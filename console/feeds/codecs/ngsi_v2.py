"""NGSI v2 codec (FIWARE Orion): entities in key-values or normalized form, arrays, notifications
(`{"subscriptionId", "data": [...]}`) and batch updates (`{"actionType", "entities": [...]}`)."""

from __future__ import annotations

from typing import Any

from console.feeds.codecs.fiware import NgsiCodec, ngsi_shape_score


class NgsiV2Codec(NgsiCodec):
    name = "ngsi-v2"
    flavour = "v2"

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        v2, ld = ngsi_shape_score(doc)
        if not v2 and not ld:
            return 0
        score = 50 + min(v2, 30) + (10 if suffix == ".json" else 0)
        return score if ld < 5 else score - ld * 5


CODEC = NgsiV2Codec()
