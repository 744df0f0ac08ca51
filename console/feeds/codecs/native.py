"""Native envelope codec: Rasad's own frames (see console/feeds/envelope.py), a JSON list of Readings,
or a recording (JSON lines, one frame per line)."""

from __future__ import annotations

import gc
from typing import Any

import msgspec

from console.feeds.codecs.base import CodecError, DecodeContext, DecodeResult
from console.feeds.codecs.safety import load_json, looks_like_json, strip_bom
from console.feeds.envelope import Batch, Gap, Heartbeat, Welcome, frame_decoder
from console.model import Reading


def _path(exc: msgspec.ValidationError) -> tuple[str, str]:
    text = str(exc)
    if " - at `" in text:
        reason, where = text.split(" - at `", 1)
        return reason, where.rstrip("`")
    return text, ""


def _check_items(items: list[Reading], result: DecodeResult, where: str) -> None:
    for i, r in enumerate(items):
        if r.lat is not None and not -90 <= r.lat <= 90:
            result.warn(f"{where}[{i}].lat", f"latitude {r.lat:g} out of range")
        if r.lon is not None and not -180 <= r.lon <= 180:
            result.warn(f"{where}[{i}].lon", f"longitude {r.lon:g} out of range")
        if r.seq < 0:
            result.warn(f"{where}[{i}].seq", f"negative sequence number {r.seq}")


class NativeCodec:
    name = "native"
    binary = False

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        if suffix in (".rasad", ".jsonl") and looks_like_json(data):
            return 80
        if isinstance(doc, dict) and doc.get("type") in ("batch", "welcome", "gap", "hb"):
            return 95
        if (
            isinstance(doc, list)
            and doc
            and isinstance(doc[0], dict)
            and {"source", "seq", "topic"} <= set(doc[0])
        ):
            return 90
        return 0

    def decode(self, data: bytes, ctx: DecodeContext, doc: Any = None) -> DecodeResult:
        result = DecodeResult(format=self.name)
        docs = [doc] if doc is not None else self._documents(data)
        for n, d in enumerate(docs):
            where = f"line {n + 1}" if len(docs) > 1 else "$"
            try:
                if isinstance(d, list):
                    items = msgspec.convert(d, list[Reading])
                    _check_items(items, result, where)
                    result.readings.extend(items)
                    continue
                frame = msgspec.convert(d, Batch | Welcome | Gap | Heartbeat)
            except msgspec.ValidationError as exc:
                reason, path = _path(exc)
                raise CodecError(f"not a Rasad frame: {reason}", field=f"{where}{path[1:]}") from None
            if isinstance(frame, Batch):
                _check_items(frame.items, result, f"{where}.items")
                result.readings.extend(frame.items)
            elif isinstance(frame, Gap):
                result.warn(
                    where, f"recording notes lost messages {frame.first}..{frame.last} of {frame.source}"
                )
        return result

    @staticmethod
    def _documents(data: bytes) -> list[Any]:
        body = strip_bom(data)
        try:
            return [load_json(body)]
        except CodecError as first:
            lines = [ln for ln in body.splitlines() if ln.strip()]
            if len(lines) < 2:
                raise
            docs = []
            for i, line in enumerate(lines, 1):
                try:
                    docs.append(load_json(line))
                except CodecError as exc:
                    raise CodecError(f"line {i}: {exc.reason}", kind=exc.kind) from None
            if not docs:
                raise first from None
            return docs


def decode_frame(data: bytes | str):
    """Fast path for live frames: one frame → Welcome | Batch | Gap | Heartbeat, or CodecError.

    The cyclic garbage collector is held off while one frame decodes: a 500-message frame makes
    ~3,000 objects, which would otherwise trigger several gen-0 collections mid-frame (half the
    decode time). It runs once afterwards instead; nothing decoded here forms cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return frame_decoder.decode(data)
    except msgspec.ValidationError as exc:
        reason, path = _path(exc)
        raise CodecError(f"not a Rasad frame: {reason}", field=path or None, kind="bad-frame") from None
    except msgspec.DecodeError as exc:
        raise CodecError(f"malformed JSON frame: {exc}", kind="bad-json") from None
    except (UnicodeDecodeError, RecursionError) as exc:
        raise CodecError(f"unreadable frame: {type(exc).__name__}", kind="bad-json") from None
    finally:
        if enabled:
            gc.enable()


CODEC = NativeCodec()
