"""The CAP 1.2 codec slot. The alarms room fills it (CAP in and out lives with the alarms).

Until then, a CAP document is rejected with a clear reason instead of being guessed at. The XML
safety gate (no DTD, no entities, no external references) runs before this codec in every case, so
hostile XML is refused for what it is even while the slot is empty.

To install the real codec, replace `CODEC` here with an object that has `name = "cap"`,
`binary = False`, `sniff(data, doc, suffix)` and `decode(data, ctx, doc=None) -> DecodeResult`
(Readings on "cap/alert"), raising only `CodecError`.
"""

from __future__ import annotations

from typing import Any

from console.feeds.codecs.base import CodecError, DecodeContext, DecodeResult

CAP_NAMESPACES = (b"urn:oasis:names:tc:emergency:cap:1.2", b"urn:oasis:names:tc:emergency:cap:1.1")


class CapSlot:
    name = "cap"
    binary = False
    installed = False

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        head = data[:4096]
        if any(ns in head for ns in CAP_NAMESPACES) or suffix == ".cap":
            return 90
        return 0

    def decode(self, data: bytes, ctx: DecodeContext, doc: Any = None) -> DecodeResult:
        raise CodecError("CAP codec not installed (the alarms module provides it)", kind="no-codec")


CODEC = CapSlot()
