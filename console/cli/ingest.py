"""`python main.py ingest [--format F] [--strict] [--schemas DIR] FILE...`

One normalized JSON object per decoded reading/entity/event on stdout. Exit 0 when every file
decoded, 2 when any file was rejected, with one line per rejected file on stderr: `FILE: reason`.
Warnings (schema violations, suspicious values) go to stderr as `FILE: warning: field: message`;
with --strict the first one rejects the file. Never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import msgspec

from console.catalog import signal_meta
from console.feeds.codecs import CodecError, DecodeContext, decode_document
from console.feeds.codecs.base import MAX_BYTES
from console.feeds.codecs.common import iso_utc
from console.model import Reading

_encoder = msgspec.json.Encoder()


def normalize(reading: Reading, fmt: str) -> dict[str, Any]:
    """A Reading as `ingest` prints it: ISO-8601 UTC time, location, attributes with units."""
    units = reading.attrs.get("units") if isinstance(reading.attrs.get("units"), dict) else {}
    attributes: dict[str, Any] = {}
    for key, value in reading.values.items():
        unit = units.get(key) or signal_meta(reading.etype, key).unit
        attributes[key] = {"value": value, "unit": unit} if unit else {"value": value}
    for key, value in reading.attrs.items():
        if key != "units":
            attributes[key] = {"value": value}
    return {
        "source": reading.source,
        "format": fmt,
        "topic": reading.topic,
        "entity": reading.entity,
        "type": reading.etype,
        "time": iso_utc(reading.t),
        "location": {"lat": reading.lat, "lon": reading.lon} if reading.lat is not None else None,
        "attributes": attributes,
    }


def _read(path: Path) -> bytes:
    if not path.exists():
        raise CodecError("no such file")
    if path.is_dir():
        raise CodecError("is a directory, not a file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CodecError(
            f"{size / 1e6:.1f} MB is over the {MAX_BYTES / 1e6:.0f} MB limit for one document",
            kind="too-large",
        )
    with path.open("rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise CodecError(f"over the {MAX_BYTES / 1e6:.0f} MB limit for one document", kind="too-large")
    return data


def _schemas(args: argparse.Namespace):
    dirs = list(getattr(args, "schemas", None) or [])
    if not dirs:
        from console.settings import load_settings

        dirs = list(load_settings().schema_dirs)
    if not dirs:
        return None
    from console.feeds.codecs.schemas import SchemaRegistry

    return SchemaRegistry([Path(d) for d in dirs if Path(d).is_dir()])


def ingest_file(path: Path, fmt: str, strict: bool, schemas, out, err) -> bool:
    label = str(path)
    try:
        data = _read(path)
        ctx = DecodeContext(
            source=f"file:{path.name}", strict=strict, suffix=path.suffix.lower(), schemas=schemas
        )
        result = decode_document(data, fmt, ctx)
    except CodecError as exc:
        err.write(f"{label}: {exc}\n")
        return False
    except OSError as exc:
        err.write(f"{label}: cannot read: {exc.strerror or exc}\n")
        return False
    except Exception as exc:  # never a traceback
        err.write(f"{label}: internal error: {type(exc).__name__}: {exc}\n")
        return False
    for w in result.warnings:
        err.write(f"{label}: warning: {w}\n")
    for note in dict.fromkeys(result.notes):
        err.write(f"{label}: note: {note}\n")
    for r in result.readings:
        out.write(_encoder.encode(normalize(r, result.format)))
        out.write(b"\n")
    return True


def cmd_ingest(args: argparse.Namespace) -> int:
    out = sys.stdout.buffer
    err = sys.stderr
    strict = bool(args.strict)
    schemas = _schemas(args) if strict or getattr(args, "schemas", None) else None
    if strict and schemas is None:
        err.write("ingest: note: no FIWARE schema folder (--schemas DIR); --strict checks structure only\n")
    ok = True
    try:
        for name in args.files:
            ok = ingest_file(Path(name), args.format, strict, schemas, out, err) and ok
        out.flush()
    except BrokenPipeError:  # `ingest ... | head`: the reader left; stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0 if ok else 2
