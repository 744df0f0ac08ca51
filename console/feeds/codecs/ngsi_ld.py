"""NGSI-LD codec (ETSI GS CIM 009): entities key-values or normalized (Property, GeoProperty,
Relationship, LanguageProperty), arrays, and Notifications (`{"type": "Notification", "data": [...]}`),
which is also what the simulator's /ngsi-ld websocket endpoint sends."""

from __future__ import annotations

from typing import Any

from console.feeds.codecs.fiware import NgsiCodec, ngsi_shape_score


class NgsiLdCodec(NgsiCodec):
    name = "ngsi-ld"
    flavour = "ld"

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        v2, ld = ngsi_shape_score(doc)
        if not v2 and not ld:
            return 0
        return 50 + min(ld * 5, 45) + (30 if suffix == ".jsonld" else 0)


CODEC = NgsiLdCodec()
