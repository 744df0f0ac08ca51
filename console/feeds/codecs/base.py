"""The codec contract: bytes in, `Reading`s out, or a `CodecError` with a reason a person can act on.

A codec never raises anything but `CodecError`: callers (the feed clients, `ingest`) rely on it to
quarantine bad input and keep going. Problems that do not prevent decoding are warnings
(`DecodeResult.warnings`, each naming the field); with `strict=True` the caller turns them into a
rejection.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from console.model import Reading, now_ns

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 512


class CodecError(Exception):
    """Input that cannot be decoded. `kind` groups errors for counting and log limiting."""

    def __init__(self, reason: str, *, field: str | None = None, kind: str = "invalid"):
        self.reason = reason
        self.field = field
        self.kind = kind
        super().__init__(f"{field}: {reason}" if field else reason)


@dataclass
class Warning_:
    """A problem that did not stop decoding (schema violation, suspicious value), naming the field."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass
class DecodeContext:
    """What a codec needs besides the bytes."""

    source: str = "file"
    strict: bool = False
    suffix: str = ""  # file name suffix, a hint for detection (".pb", ".jsonld", ...)
    received_ns: int = field(default_factory=now_ns)
    schemas: Any = None  # console.feeds.codecs.schemas.SchemaRegistry, for --strict FIWARE checks
    seq_start: int = 1  # for formats without sequence numbers: first local seq to assign
    _seq: Iterator[int] | None = field(default=None, repr=False)

    def next_seq(self) -> int:
        if self._seq is None:
            self._seq = itertools.count(self.seq_start)
        return next(self._seq)


@dataclass
class DecodeResult:
    readings: list[Reading] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # informational (e.g. "no schema for type X")
    format: str = ""

    def warn(self, field_name: str, message: str) -> None:
        self.warnings.append(Warning_(field_name, message))


class Codec(Protocol):
    name: str
    binary: bool  # carried in binary frames / files (protobuf), else text (JSON, XML)

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        """Confidence 0..100 that `data` (and its parsed JSON `doc`, or None) is this format."""
        ...

    def decode(self, data: bytes, ctx: DecodeContext, doc: Any = None) -> DecodeResult: ...
