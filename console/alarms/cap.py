"""CAP 1.2 (OASIS Common Alerting Protocol) in and out.

Import (`parse_cap(data)`): untrusted XML is parsed by defusedxml with DTDs, entities and external
references refused (no network, ever). Accepted: CAP 1.2 and 1.1 alerts (default or prefixed
namespace, a UTF-8 byte-order mark, any declared encoding), alerts without `info`, alerts inside an
EDXL-DE 1.0 envelope, and Atom or RSS feeds carrying alerts in their entries (each inner alert is
imported; an index entry that only links to its alert is noted, not fetched). Documents in any
other namespace are refused. Required fields, enumerations, `references`, dates and area geometry
are checked; every problem is a `CapError` naming the alert, the field and the rule. XML
signatures are kept out of the way and not verified (noted).

Export (`compose_warning` + `to_xml`): a public warning composed from an alarm, one `info` per
language (Persian first, then English), written as CAP 1.2 in element order of the OASIS schema;
`validate_xsd` checks a document against an XSD file when one is configured (tests use the OASIS
schema in the shared corpus).

`CODEC` fills the `cap` slot of the feed codecs (`python main.py ingest`, feeds): each alert becomes
a `Reading` on `cap/alert` whose `attrs["cap"]` is the alert; the alarm engine turns those into
alarms (console/alarms/cap_alarms.py).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import msgspec

from console.model import Priority, Reading

NS_CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
NS_CAP11 = "urn:oasis:names:tc:emergency:cap:1.1"
NS_EDXL = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
NS_ATOM = "http://www.w3.org/2005/Atom"
NS_DSIG = "http://www.w3.org/2000/09/xmldsig#"
CAP_NAMESPACES = {NS_CAP12: "1.2", NS_CAP11: "1.1"}
MAX_BYTES = 10 * 1024 * 1024

STATUS = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPE = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPE = ("Public", "Restricted", "Private")
CATEGORY = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
RESPONSE = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")


class CapError(ValueError):
    """A document or alert that cannot be imported; the message says which field and why."""


# -- the alert, as imported or composed --------------------------------------------------------------
class CapArea(msgspec.Struct, frozen=True, kw_only=True):
    desc: str
    polygons: list[list[tuple[float, float]]] = []  # rings of (lat, lon), closed
    circles: list[tuple[float, float, float]] = []  # (lat, lon, radius km)
    geocodes: list[tuple[str, str]] = []  # (valueName, value)
    altitude: float | None = None
    ceiling: float | None = None

    def center(self) -> tuple[float, float] | None:
        if self.circles:
            return self.circles[0][0], self.circles[0][1]
        if self.polygons:
            ring = self.polygons[0][:-1] or self.polygons[0]
            return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
        return None

    def geojson(self) -> list[dict[str, Any]]:
        """Polygons as GeoJSON (lon, lat), circles as 48-gons (GeoJSON has no circle)."""
        out = [
            {"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in ring]]} for ring in self.polygons
        ]
        for lat, lon, km in self.circles:
            out.append(
                {
                    "type": "Polygon",
                    "coordinates": [circle_ring(lat, lon, km * 1000.0)],
                    "radius_m": km * 1000.0,
                }
            )
        return out


class CapInfo(msgspec.Struct, frozen=True, kw_only=True):
    language: str = "en-US"
    categories: list[str]
    event: str
    response_types: list[str] = []
    urgency: str
    severity: str
    certainty: str
    audience: str = ""
    event_codes: list[tuple[str, str]] = []
    effective: int | None = None
    onset: int | None = None
    expires: int | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = []
    areas: list[CapArea] = []


class CapAlert(msgspec.Struct, frozen=True, kw_only=True):
    version: str = "1.2"
    identifier: str
    sender: str
    sent: int  # ns UTC
    sent_text: str = ""  # as written (keeps the sender's offset, for references)
    status: str
    msg_type: str
    source: str = ""
    scope: str
    restriction: str = ""
    addresses: str = ""
    codes: list[str] = []
    note: str = ""
    references: list[tuple[str, str, str]] = []  # (sender, identifier, sent)
    incidents: str = ""
    infos: list[CapInfo] = []
    notes: list[str] = []  # what the importer noticed (signature not verified, Z offset ...)

    @property
    def key(self) -> str:
        return f"{self.sender},{self.identifier}"

    def reference_keys(self) -> list[str]:
        return [f"{s},{i}" for s, i, _ in self.references]

    @property
    def priority(self) -> Priority:
        levels = [Priority.from_cap(i.severity) for i in self.infos if i.severity != "Unknown"]
        return max(levels, default=Priority.MINOR)

    def info_for(self, language: str) -> CapInfo | None:
        """The info block in `language` ("fa", "en"), else the first one."""
        for info in self.infos:
            if info.language.lower().split("-")[0] == language:
                return info
        return self.infos[0] if self.infos else None

    def expires(self) -> int | None:
        ends = [i.expires for i in self.infos if i.expires]
        return max(ends) if ends else None


# -- import -------------------------------------------------------------------------------------------
def _parse_xml(data: bytes) -> ET.Element:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if len(data) > MAX_BYTES:
        raise CapError(
            f"{len(data) / 1e6:.1f} MB is over the {MAX_BYTES / 1e6:.0f} MB limit for one document"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise CapError("empty document")
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        if type(exc).__name__ == "DTDForbidden":
            raise CapError(
                "XML with a DTD (<!DOCTYPE ...>) is refused: DTDs can expand entities and fetch external files"
            ) from None
        raise CapError(f"unsafe XML refused ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        raise CapError(f"malformed XML: {exc}") from None


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


class CapDocument(msgspec.Struct, frozen=True):
    alerts: list[CapAlert]
    wrapper: str  # "alert" | "edxl" | "atom" | "rss"
    notes: list[str] = []


def parse_cap(data: bytes, origin: str = "") -> CapDocument:
    """Every alert of a CAP document (or of its EDXL-DE / Atom / RSS wrapper), validated."""
    root = _parse_xml(data)
    ns, local = _split(root.tag)
    if ns in CAP_NAMESPACES and local == "alert":
        return CapDocument([_alert(root, ns, "alert")], "alert")
    inner: list[tuple[ET.Element, str]] = []
    notes: list[str] = []
    if ns == NS_EDXL and local == "EDXLDistribution":
        wrapper = "edxl"
        for k, el in enumerate(root.iter()):
            ens, elocal = _split(el.tag)
            if ens in CAP_NAMESPACES and elocal == "alert":
                inner.append((el, f"EDXL contentObject alert {k}"))
    elif ns == NS_ATOM and local == "feed":
        wrapper = "atom"
        for n, entry in enumerate(root.findall(f"{{{NS_ATOM}}}entry"), 1):
            entry_id = (entry.findtext(f"{{{NS_ATOM}}}id") or "").strip() or "no id"
            _collect(entry, f"entry {n}", f"entry {n} ({entry_id})", inner, notes)
    elif ns == "" and local == "rss":
        wrapper = "rss"
        for n, item in enumerate(root.iter("item"), 1):
            _collect(item, f"item {n}", f"item {n}", inner, notes)
    else:
        where = f"namespace {ns!r}" if ns else "no namespace"
        raise CapError(
            f"<{local}> in {where} is not CAP (accepted: CAP 1.2 or 1.1 alerts, EDXL-DE 1.0 envelopes, "
            "Atom or RSS feeds of CAP alerts)"
        )
    if not inner:
        raise CapError(f"{wrapper} document carries no CAP alert" + (f" ({notes[0]})" if notes else ""))
    alerts = []
    for el, where in inner:
        try:
            alerts.append(_alert(el, _split(el.tag)[0], where))
        except CapError as exc:
            raise CapError(f"{where}: {exc}") from None
    return CapDocument(alerts, wrapper, notes)


def _collect(container: ET.Element, where: str, label: str, inner: list, notes: list[str]) -> None:
    """The CAP alerts inside one feed entry or item; an entry without one only links to its alert."""
    found = [
        el for el in container.iter() if _split(el.tag)[1] == "alert" and _split(el.tag)[0] in CAP_NAMESPACES
    ]
    if found:
        inner += [(el, where) for el in found]
    else:
        notes.append(f"{label} only links to its alert; not fetched (no network)")


class _Reader:
    """Reads children of one element in one namespace, collecting clear complaints."""

    def __init__(self, el: ET.Element, ns: str, where: str):
        self.el, self.ns, self.where = el, ns, where

    def all(self, name: str) -> list[ET.Element]:
        return self.el.findall(f"{{{self.ns}}}{name}")

    def text(self, name: str, required: bool = False) -> str:
        node = self.el.find(f"{{{self.ns}}}{name}")
        value = (node.text or "").strip() if node is not None else ""
        if required and node is None:
            raise CapError(f"{self.where}: required <{name}> is missing")
        if required and not value:
            raise CapError(f"{self.where}: required <{name}> is empty")
        return value

    def texts(self, name: str) -> list[str]:
        return [(n.text or "").strip() for n in self.all(name)]

    def enum(
        self, name: str, allowed: tuple[str, ...], required: bool = True, legacy: dict[str, str] | None = None
    ) -> str:
        if required and self.el.find(f"{{{self.ns}}}{name}") is None:
            raise CapError(f"{self.where}: required <{name}> is missing")
        value = self.text(name)
        if not value and not required:
            return ""
        if legacy and value in legacy:
            return legacy[value]
        if value not in allowed:
            shown = repr(value) if value else "empty"
            raise CapError(f"{self.where}: <{name}> {shown} is not one of {', '.join(allowed)}")
        return value

    def pairs(self, name: str) -> list[tuple[str, str]]:
        out = []
        for node in self.all(name):
            r = _Reader(node, self.ns, f"{self.where}/{name}")
            out.append((r.text("valueName"), r.text("value")))
        return out


def parse_time(text: str, where: str, notes: list[str] | None = None) -> int:
    """CAP dateTime ("2003-06-17T14:57:00-07:00") → ns UTC. A time without offset is refused."""
    value = text.strip()
    if value.endswith("Z"):
        if notes is not None:
            notes.append(f"{where}: 'Z' offset is not CAP form (-00:00 expected); read as UTC")
        value = value[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CapError(f"{where}: {text!r} is not a CAP date-time (e.g. 2003-06-17T14:57:00-07:00)") from None
    if moment.tzinfo is None:
        raise CapError(f"{where}: {text!r} has no UTC offset")
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


class _Problems:
    """Collects every problem of an alert, so one rejection names them all."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.found: list[str] = []

    def get(self, fn: Any, *args: Any, default: Any = "", **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except CapError as exc:
            self.found.append(str(exc))
            return default

    def raise_any(self) -> None:
        if self.found:
            prefix = f"{self.where}: "
            parts = [p.removeprefix(prefix) for p in self.found]
            more = f" (and {len(parts) - 5} more)" if len(parts) > 5 else ""
            raise CapError(prefix + "; ".join(parts[:5]) + more)


def _alert(el: ET.Element, ns: str, where: str) -> CapAlert:
    r = _Reader(el, ns, where)
    notes: list[str] = []
    identifier = r.text("identifier", True)
    r.where = f"alert {identifier}"
    bad = _Problems(r.where)
    sender = bad.get(r.text, "sender", True)
    sent_text = bad.get(r.text, "sent", True)
    sent = bad.get(parse_time, sent_text, f"{r.where}: <sent>", notes, default=0) if sent_text else 0
    status = bad.get(r.enum, "status", STATUS)
    msg_type = bad.get(r.enum, "msgType", MSG_TYPE)
    scope = bad.get(r.enum, "scope", SCOPE)
    restriction, addresses = r.text("restriction"), r.text("addresses")
    if scope == "Restricted" and not restriction:
        bad.found.append(f"{r.where}: scope Restricted needs a <restriction>")
    if scope == "Private" and not addresses:
        bad.found.append(f"{r.where}: scope Private needs <addresses>")
    references = bad.get(_references, r, msg_type, default=[])
    if any(_split(c.tag)[0] == NS_DSIG for c in el):
        notes.append(f"{r.where}: XML signature present, not verified")
    unknown = sorted({_split(c.tag)[0] for c in el if isinstance(c.tag, str)} - {ns, NS_DSIG})
    if unknown:
        notes.append(
            f"{r.where}: elements in other namespaces ignored: {', '.join(u or '(none)' for u in unknown)}"
        )
    infos = [
        _info(n, ns, f"{r.where}: info {k}", CAP_NAMESPACES[ns], notes, bad)
        for k, n in enumerate(r.all("info"), 1)
    ]
    bad.raise_any()
    return CapAlert(
        version=CAP_NAMESPACES[ns],
        identifier=identifier,
        sender=sender,
        sent=sent,
        sent_text=sent_text,
        status=status,
        msg_type=msg_type,
        source=r.text("source"),
        scope=scope,
        restriction=restriction,
        addresses=addresses,
        codes=r.texts("code"),
        note=r.text("note"),
        references=references,
        incidents=r.text("incidents"),
        infos=[i for i in infos if i is not None],
        notes=notes,
    )


def _references(r: _Reader, msg_type: str) -> list[tuple[str, str, str]]:
    nodes = r.all("references")
    text = r.text("references")
    if nodes and not text:
        raise CapError(
            f"{r.where}: <references> is empty (it must list sender,identifier,sent of earlier alerts)"
        )
    refs = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapError(f"{r.where}: reference {item!r} is not sender,identifier,sent")
        parse_time(parts[2], f"{r.where}: reference {item!r}")
        refs.append((parts[0], parts[1], parts[2]))
    if msg_type in ("Update", "Cancel") and not refs:
        raise CapError(f"{r.where}: msgType {msg_type} needs <references> naming the alert it replaces")
    return refs


def _info(
    el: ET.Element, ns: str, where: str, version: str, notes: list[str], bad: _Problems
) -> CapInfo | None:
    r = _Reader(el, ns, where)
    before = len(bad.found)
    categories = r.texts("category")
    if not categories:
        bad.found.append(f"{where}: at least one <category> is required")
    wrong = [c for c in categories if c not in CATEGORY]
    if wrong:
        bad.found.append(f"{where}: <category> {wrong[0]!r} is not one of {', '.join(CATEGORY)}")
    responses = r.texts("responseType")
    wrong = [c for c in responses if c not in RESPONSE]
    if wrong:
        bad.found.append(f"{where}: <responseType> {wrong[0]!r} is not one of {', '.join(RESPONSE)}")
    legacy = {"Very Likely": "Likely"} if version == "1.1" else None  # CAP 1.1's deprecated value
    times = {}
    for name in ("effective", "onset", "expires"):
        text = r.text(name)
        times[name] = bad.get(parse_time, text, f"{where}: <{name}>", notes, default=None) if text else None
    event = bad.get(r.text, "event", True)
    urgency = bad.get(r.enum, "urgency", URGENCY)
    severity = bad.get(r.enum, "severity", SEVERITY)
    certainty = bad.get(r.enum, "certainty", CERTAINTY, legacy=legacy)
    areas = [
        bad.get(_area, n, ns, f"{where}: area {k}", default=None) for k, n in enumerate(r.all("area"), 1)
    ]
    if len(bad.found) > before:
        return None
    return CapInfo(
        language=r.text("language") or "en-US",
        categories=categories,
        event=event,
        response_types=responses,
        urgency=urgency,
        severity=severity,
        certainty=certainty,
        audience=r.text("audience"),
        event_codes=r.pairs("eventCode"),
        sender_name=r.text("senderName"),
        headline=r.text("headline"),
        description=r.text("description"),
        instruction=r.text("instruction"),
        web=r.text("web"),
        contact=r.text("contact"),
        parameters=r.pairs("parameter"),
        areas=areas,
        **times,
    )


def _point(text: str, where: str) -> tuple[float, float]:
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise CapError(f"{where}: {text!r} is not a lat,lon pair") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        raise CapError(f"{where}: {text!r} is outside WGS 84 ranges")
    return lat, lon


def _area(el: ET.Element, ns: str, where: str) -> CapArea:
    r = _Reader(el, ns, where)
    polygons = []
    for k, text in enumerate(r.texts("polygon"), 1):
        ring = [_point(p, f"{where}: polygon {k}") for p in text.split()]
        if len(ring) < 4:
            raise CapError(f"{where}: polygon {k} has {len(ring)} points; CAP needs at least 4 (closed ring)")
        if ring[0] != ring[-1]:
            raise CapError(f"{where}: polygon {k} is not closed (first and last points differ)")
        polygons.append(ring)
    circles = []
    for k, text in enumerate(r.texts("circle"), 1):
        try:
            center, radius = text.split()
            km = float(radius)
        except ValueError:
            raise CapError(f"{where}: circle {k} {text!r} is not 'lat,lon radius_km'") from None
        if not km >= 0:
            raise CapError(f"{where}: circle {k} has a negative radius")
        circles.append((*_point(center, f"{where}: circle {k}"), km))
    alt, ceil = r.text("altitude"), r.text("ceiling")
    try:
        altitude = float(alt) if alt else None
        ceiling = float(ceil) if ceil else None
    except ValueError:
        raise CapError(f"{where}: altitude/ceiling must be numbers (feet)") from None
    if ceiling is not None and altitude is None:
        raise CapError(f"{where}: <ceiling> needs an <altitude>")
    return CapArea(
        desc=r.text("areaDesc", True),
        polygons=polygons,
        circles=circles,
        geocodes=r.pairs("geocode"),
        altitude=altitude,
        ceiling=ceiling,
    )


def circle_ring(lat: float, lon: float, radius_m: float, points: int = 48) -> list[list[float]]:
    """A circle as a closed GeoJSON ring of (lon, lat)."""
    dlat = radius_m / 111_195.0
    dlon = dlat / max(0.01, math.cos(math.radians(lat)))
    ring = [
        [
            round(lon + dlon * math.cos(2 * math.pi * k / points), 6),
            round(lat + dlat * math.sin(2 * math.pi * k / points), 6),
        ]
        for k in range(points)
    ]
    return [*ring, ring[0]]


# -- export -------------------------------------------------------------------------------------------
class WarningText(msgspec.Struct, frozen=True, kw_only=True):
    """What an operator writes for one language of a public warning."""

    language: str  # "fa-IR", "en-US"
    event: str
    headline: str
    description: str = ""
    instruction: str = ""
    area_desc: str = ""
    sender_name: str = ""


def cap_time(t_ns: int, tz: str = "Asia/Tehran") -> str:
    """CAP form: local time with its offset, no fractions, never 'Z'."""
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromtimestamp(t_ns // 1_000_000_000, ZoneInfo(tz))
    return moment.isoformat(timespec="seconds")


def compose_warning(
    *,
    sender: str,
    texts: list[WarningText],
    severity: str,
    urgency: str = "Immediate",
    certainty: str = "Observed",
    categories: tuple[str, ...] = ("Safety",),
    response_types: tuple[str, ...] = (),
    sent: int,
    expires: int | None = None,
    areas: list[CapArea] | None = None,
    msg_type: str = "Alert",
    references: list[tuple[str, str, str]] | None = None,
    status: str = "Actual",
    note: str = "",
    web: str = "",
    contact: str = "",
    identifier: str | None = None,
    tz: str = "Asia/Tehran",
) -> CapAlert:
    """A CAP 1.2 public warning, one info per language in the order given (Persian first)."""
    if not texts:
        raise CapError("a warning needs the text of at least one language")
    for value, allowed, name in (
        (severity, SEVERITY, "severity"),
        (urgency, URGENCY, "urgency"),
        (certainty, CERTAINTY, "certainty"),
        (msg_type, MSG_TYPE, "msgType"),
        (status, STATUS, "status"),
    ):
        if value not in allowed:
            raise CapError(f"{name} {value!r} is not one of {', '.join(allowed)}")
    for c in categories:
        if c not in CATEGORY:
            raise CapError(f"category {c!r} is not one of {', '.join(CATEGORY)}")
    if msg_type in ("Update", "Cancel") and not references:
        raise CapError(f"an {msg_type} must reference the warning it replaces")
    for t in texts:
        if not t.event.strip() or not t.headline.strip():
            raise CapError(f"{t.language}: event and headline are required")
    areas = areas or []
    infos = []
    for t in texts:
        localized = [msgspec.structs.replace(a, desc=t.area_desc or a.desc) for a in areas]
        infos.append(
            CapInfo(
                language=t.language,
                categories=list(categories),
                event=t.event.strip(),
                response_types=list(response_types),
                urgency=urgency,
                severity=severity,
                certainty=certainty,
                expires=expires,
                sender_name=t.sender_name,
                headline=t.headline.strip(),
                description=t.description.strip(),
                instruction=t.instruction.strip(),
                web=web,
                contact=contact,
                areas=localized,
            )
        )
    return CapAlert(
        identifier=identifier or f"rasad-{uuid.uuid4()}",
        sender=sender,
        sent=sent,
        sent_text=cap_time(sent, tz),
        status=status,
        msg_type=msg_type,
        scope="Public",
        note=note,
        references=list(references or []),
        infos=infos,
    )


def _el(name: str, value: str, indent: str) -> str:
    return f"{indent}<{name}>{escape(value)}</{name}>\n"


def _fmt_point(lat: float, lon: float) -> str:
    return f"{lat:.6f},{lon:.6f}".replace(".000000", ".0")


def to_xml(alert: CapAlert, tz: str = "Asia/Tehran") -> bytes:
    """CAP 1.2 XML (UTF-8), elements in the order of the OASIS schema."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<alert xmlns="{NS_CAP12}">\n']
    i1, i2, i3, i4 = "  ", "    ", "      ", "        "
    out.append(_el("identifier", alert.identifier, i1))
    out.append(_el("sender", alert.sender, i1))
    out.append(_el("sent", alert.sent_text or cap_time(alert.sent, tz), i1))
    out.append(_el("status", alert.status, i1))
    out.append(_el("msgType", alert.msg_type, i1))
    if alert.source:
        out.append(_el("source", alert.source, i1))
    out.append(_el("scope", alert.scope, i1))
    if alert.restriction:
        out.append(_el("restriction", alert.restriction, i1))
    if alert.addresses:
        out.append(_el("addresses", alert.addresses, i1))
    for code in alert.codes:
        out.append(_el("code", code, i1))
    if alert.note:
        out.append(_el("note", alert.note, i1))
    if alert.references:
        out.append(_el("references", " ".join(",".join(r) for r in alert.references), i1))
    if alert.incidents:
        out.append(_el("incidents", alert.incidents, i1))
    for info in alert.infos:
        out.append(f"{i1}<info>\n")
        out.append(_el("language", info.language, i2))
        out += [_el("category", c, i2) for c in info.categories]
        out.append(_el("event", info.event, i2))
        out += [_el("responseType", c, i2) for c in info.response_types]
        out.append(_el("urgency", info.urgency, i2))
        out.append(_el("severity", info.severity, i2))
        out.append(_el("certainty", info.certainty, i2))
        if info.audience:
            out.append(_el("audience", info.audience, i2))
        for name, value in info.event_codes:
            out.append(
                f"{i2}<eventCode>\n{_el('valueName', name, i3)}{_el('value', value, i3)}{i2}</eventCode>\n"
            )
        for name in ("effective", "onset", "expires"):
            value = getattr(info, name)
            if value:
                out.append(_el(name, cap_time(value, tz), i2))
        for name, attr in (
            ("senderName", "sender_name"),
            ("headline", "headline"),
            ("description", "description"),
            ("instruction", "instruction"),
            ("web", "web"),
            ("contact", "contact"),
        ):
            value = getattr(info, attr)
            if value:
                out.append(_el(name, value, i2))
        for name, value in info.parameters:
            out.append(
                f"{i2}<parameter>\n{_el('valueName', name, i3)}{_el('value', value, i3)}{i2}</parameter>\n"
            )
        for area in info.areas:
            out.append(f"{i2}<area>\n")
            out.append(_el("areaDesc", area.desc, i3))
            for ring in area.polygons:
                out.append(_el("polygon", " ".join(_fmt_point(lat, lon) for lat, lon in ring), i3))
            for lat, lon, km in area.circles:
                out.append(_el("circle", f"{_fmt_point(lat, lon)} {km:g}", i3))
            for name, value in area.geocodes:
                out.append(
                    f"{i3}<geocode>\n{_el('valueName', name, i4)}{_el('value', value, i4)}{i3}</geocode>\n"
                )
            if area.altitude is not None:
                out.append(_el("altitude", f"{area.altitude:g}", i3))
            if area.ceiling is not None:
                out.append(_el("ceiling", f"{area.ceiling:g}", i3))
            out.append(f"{i2}</area>\n")
        out.append(f"{i1}</info>\n")
    out.append("</alert>\n")
    return "".join(out).encode("utf-8")


def validate_xsd(xml: bytes, xsd: Path) -> list[str]:
    """Problems found by the XSD at `xsd` (read in place, no network); empty when valid."""

    schema = _schema(str(xsd))
    return [f"{e.path}: {e.reason}" for e in schema.iter_errors(xml.decode("utf-8"))]


_schemas: dict[str, Any] = {}


def _schema(path: str) -> Any:
    import xmlschema

    if path not in _schemas:
        _schemas[path] = xmlschema.XMLSchema(path, allow="local")
    return _schemas[path]


# -- the feed codec -----------------------------------------------------------------------------------
def alert_reading(alert: CapAlert, source: str, seq: int) -> Reading:
    center = next((c for info in alert.infos for a in info.areas if (c := a.center()) is not None), None)
    return Reading(
        source=source,
        seq=seq,
        topic="cap/alert",
        entity=alert.identifier,
        etype="Alert",
        t=alert.sent,
        attrs={
            "cap": msgspec.to_builtins(alert),
            "msgType": alert.msg_type,
            "status": alert.status,
            "sender": alert.sender,
            "severity": alert.priority.cap_severity,
            "event": alert.infos[0].event if alert.infos else "",
        },
        lat=center[0] if center else None,
        lon=center[1] if center else None,
    )


def alert_from_attrs(value: Any) -> CapAlert:
    """The CapAlert carried by a `cap/alert` Reading (or the alert itself)."""
    if isinstance(value, CapAlert):
        return value
    return msgspec.convert(value, CapAlert)


class CapCodec:
    """The `cap` codec of console/feeds/codecs: CAP documents → Readings on `cap/alert`."""

    name = "cap"
    binary = False
    installed = True

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        head = data[:4096]
        if NS_CAP12.encode() in head or NS_CAP11.encode() in head or suffix == ".cap":
            return 90
        if NS_EDXL.encode() in head and b"alert" in data:
            return 80
        if NS_ATOM.encode() in head and (NS_CAP12.encode() in data or NS_CAP11.encode() in data):
            return 80
        return 0

    def decode(self, data: bytes, ctx: Any, doc: Any = None) -> Any:
        from console.feeds.codecs.base import CodecError, DecodeResult

        try:
            parsed = parse_cap(data, ctx.source)
        except CapError as exc:
            raise CodecError(str(exc), kind="cap") from None
        result = DecodeResult(format="cap")
        for alert in parsed.alerts:
            result.readings.append(alert_reading(alert, ctx.source, ctx.next_seq()))
            result.notes += alert.notes
        result.notes += parsed.notes
        return result


CODEC = CapCodec()
