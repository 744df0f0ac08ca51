"""Codec registry: one module per format, registered by name, plus format detection and the strict gate.

    decode_document(data, "auto", DecodeContext(source="file:x.json", strict=False))

runs the safety gates (size, strict JSON, depth, XML without DTD), picks the codec (by name or by
sniffing), decodes, and with `strict` turns the first warning into a rejection naming the field.
Every failure is a `CodecError`; nothing else escapes.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from console.feeds.codecs.base import Codec, CodecError, DecodeContext, DecodeResult
from console.feeds.codecs.safety import (
    check_size,
    load_json,
    looks_like_json,
    looks_like_xml,
    parse_xml,
    strip_bom,
)

log = logging.getLogger(__name__)

# name -> module holding CODEC. "cap" is a slot the alarms room fills (console/feeds/codecs/cap.py).
CODEC_MODULES: dict[str, str] = {
    "native": "console.feeds.codecs.native",
    "ngsi-v2": "console.feeds.codecs.ngsi_v2",
    "ngsi-ld": "console.feeds.codecs.ngsi_ld",
    "gtfs-rt": "console.feeds.codecs.gtfs_rt",
    "sensorthings": "console.feeds.codecs.sensorthings",
    "cap": "console.feeds.codecs.cap",
}
XML_FORMATS = ("cap",)
_codecs: dict[str, Codec] = {}

__all__ = ["CodecError", "DecodeContext", "DecodeResult", "decode_document", "get", "names", "register"]


def register(codec: Codec, name: str | None = None) -> None:
    """Install or replace a codec (e.g. the alarms room's CAP codec) under its name."""
    _codecs[name or codec.name] = codec


def names() -> list[str]:
    return list(CODEC_MODULES) + [n for n in _codecs if n not in CODEC_MODULES]


def get(name: str) -> Codec:
    codec = _codecs.get(name)
    if codec is None:
        module = CODEC_MODULES.get(name)
        if module is None:
            raise CodecError(f"unknown format {name!r}; known: {', '.join(names())}", kind="no-codec")
        codec = importlib.import_module(module).CODEC
        _codecs[name] = codec
    return codec


def _best(candidates: list[str], data: bytes, doc: Any, suffix: str) -> str | None:
    scored = [(get(n).sniff(data, doc, suffix), n) for n in candidates]
    scored = [s for s in scored if s[0] > 0]
    return max(scored)[1] if scored else None


def detect(data: bytes, suffix: str = "") -> tuple[str, Any]:
    """(format name, parsed JSON document or None). Runs the safety gates on the way."""
    check_size(data)
    if not strip_bom(data).strip():
        raise CodecError("empty document", kind="empty")
    if looks_like_xml(data):
        root = parse_xml(data)
        name = _best(list(XML_FORMATS), data, None, suffix)
        if name is None:
            raise CodecError(
                f"XML document <{root.tag}> of no known format (CAP expected)", kind="unknown-format"
            )
        return name, None
    if looks_like_json(data):
        try:
            doc = load_json(data)
        except CodecError:
            if suffix in (".jsonl", ".rasad") or data.count(b"\n{") >= 1:
                return "native", None  # a recording: JSON lines, checked line by line
            raise
        json_formats = [n for n in names() if n not in XML_FORMATS and n != "gtfs-rt"] + ["gtfs-rt"]
        name = _best(json_formats, data, doc, suffix)
        if name is None:
            raise CodecError(
                "JSON of no known format (not native, NGSI v2, NGSI-LD, GTFS-RT JSON or SensorThings)",
                kind="unknown-format",
            )
        return name, doc
    if suffix == ".pb" or get("gtfs-rt").sniff(data, None, suffix):
        return "gtfs-rt", None
    raise CodecError(
        "unrecognised data: neither JSON, XML nor a GTFS-Realtime protobuf", kind="unknown-format"
    )


def decode_document(data: bytes, fmt: str = "auto", ctx: DecodeContext | None = None) -> DecodeResult:
    ctx = ctx or DecodeContext()
    if fmt == "auto":
        fmt, doc = detect(data, ctx.suffix)
    else:
        codec = get(fmt)
        check_size(data)
        doc = None
        if fmt in XML_FORMATS or (not codec.binary and looks_like_xml(data)):
            parse_xml(data)
        elif fmt != "native" and looks_like_json(data):
            doc = load_json(data)
    codec = get(fmt)
    try:
        result = codec.decode(data, ctx, doc)
    except CodecError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise CodecError(
            f"document too complex to decode ({type(exc).__name__})", kind="too-complex"
        ) from None
    except Exception as exc:  # a codec bug must not become a traceback: report it as a rejection
        log.debug("codec %s failed", fmt, exc_info=True)
        raise CodecError(f"{fmt} decoder failed: {type(exc).__name__}: {exc}", kind="codec-bug") from None
    result.format = result.format or fmt
    if ctx.strict and result.warnings:
        first = result.warnings[0]
        more = f" (+{len(result.warnings) - 1} more)" if len(result.warnings) > 1 else ""
        raise CodecError(f"{first.message}{more}", field=first.field, kind="schema")
    return result


def suffix_of(path: Path) -> str:
    return path.suffix.lower()
