"""Gates every untrusted document passes before a codec sees it: size, JSON strictness, depth, XML DTDs.

- Size: over 10 MB is refused before parsing.
- JSON: strict RFC 8259 (msgspec): NaN/Infinity, comments, trailing commas, bad UTF-8 are refused
  with a reason naming the byte; a UTF-8 byte-order mark is ignored; nesting deeper than 512 is refused.
- XML: any DOCTYPE (DTD) is refused, so entity bombs and external entities never expand; the XML
  is parsed by defusedxml with entities and external references forbidden.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from console.feeds.codecs.base import MAX_BYTES, MAX_DEPTH, CodecError

_BOM = b"\xef\xbb\xbf"
_NON_FINITE = re.compile(rb"-?(NaN|Infinity|inf|nan|Inf)")
_BYTE_POS = re.compile(r"\(byte (\d+)\)")
_json = msgspec.json.Decoder()


def check_size(data: bytes, limit: int = MAX_BYTES) -> None:
    if len(data) > limit:
        raise CodecError(
            f"{len(data) / 1e6:.1f} MB is over the {limit / 1e6:.0f} MB limit for one document",
            kind="too-large",
        )


def strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(_BOM) else data


def looks_like_json(data: bytes) -> bool:
    head = strip_bom(data).lstrip()[:1]
    return head in (b"{", b"[")


def looks_like_xml(data: bytes) -> bool:
    head = strip_bom(data).lstrip()[:5]
    return head.startswith(b"<")


def load_json(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON strictly; raise CodecError with a clear reason."""
    check_size(data)
    body = strip_bom(data)
    if not body.strip():
        raise CodecError("empty document: no JSON value", kind="bad-json")
    try:
        doc = _json.decode(body)
    except RecursionError:
        raise CodecError(f"JSON nesting deeper than {max_depth} levels", kind="too-deep") from None
    except UnicodeDecodeError as exc:
        raise CodecError(f"not valid UTF-8 at byte {exc.start}", kind="bad-encoding") from None
    except msgspec.DecodeError as exc:
        raise CodecError(_json_reason(body, str(exc)), kind="bad-json") from None
    except msgspec.ValidationError as exc:  # numbers out of range (1e400)
        raise CodecError(f"JSON {exc}".replace(" - at `", " at `"), kind="bad-json") from None
    depth = json_depth(doc, max_depth)
    if depth > max_depth:
        raise CodecError(f"JSON nesting deeper than {max_depth} levels", kind="too-deep")
    return doc


def _json_reason(body: bytes, message: str) -> str:
    m = _BYTE_POS.search(message)
    if m:
        pos = int(m.group(1))
        if _NON_FINITE.match(body, pos) or _NON_FINITE.match(body, max(0, pos - 1)):
            return f"NaN/Infinity is not a JSON number (byte {pos})"
    message = message.replace("JSON is malformed: ", "malformed JSON: ")
    if message == "Input data was truncated":
        return "JSON ends early (truncated document)"
    return message


def json_depth(doc: Any, limit: int = MAX_DEPTH) -> int:
    """Maximum nesting depth of a parsed document; stops counting once past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def parse_xml(data: bytes):
    """Parse untrusted XML into an ElementTree root; any DTD, entity or external reference is refused."""
    import xml.etree.ElementTree as ET

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    check_size(data)
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        name = type(exc).__name__
        if name == "DTDForbidden":
            raise CodecError(
                "XML with a DTD (<!DOCTYPE ...>) is refused: DTDs can expand entities and fetch external files",
                kind="xml-dtd",
            ) from None
        raise CodecError(f"unsafe XML refused ({name}): {exc}", kind="xml-unsafe") from None
    except ET.ParseError as exc:
        raise CodecError(f"malformed XML: {exc}", kind="bad-xml") from None
