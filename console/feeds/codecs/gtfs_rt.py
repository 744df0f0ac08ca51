"""GTFS-Realtime codec (gtfs-realtime-bindings): VehiclePositions → vehicle/bus, TripUpdates →
transit/trip, Alerts → transit/alert. Binary `FeedMessage` protobuf, or its protobuf-JSON rendering.

Checks that need no static GTFS run on every feed and become warnings (rejections with --strict),
named after the MobilityData validator rules: E001 (times not POSIX seconds), E002 (stop_time_updates
not sorted), E020/E021 (start_time/start_date format), E022 (times going backwards), E026 (position
out of range), E040 (stop_time_update without stop_sequence or stop_id), E043/E044 (SCHEDULED stop
without arrival/departure, or arrival/departure without time or delay). Rules that need the static
feed (E003, E004, E011, E029 ...) are not checked here.
"""

from __future__ import annotations

import re
from typing import Any

from console.feeds.codecs.base import CodecError, DecodeContext, DecodeResult
from console.feeds.codecs.common import posix_to_ns
from console.feeds.codecs.safety import check_size, looks_like_json
from console.model import Reading

_TIME_RE = re.compile(r"^\d{1,2}:[0-5]\d:[0-5]\d$")
_DATE_RE = re.compile(r"^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_MAX_POSIX = 4_102_444_800  # 2100-01-01: larger values are milliseconds or garbage (E001)


def _pb():
    from google.transit import gtfs_realtime_pb2

    return gtfs_realtime_pb2


def parse_feed(data: bytes, doc: Any = None):
    """bytes (binary or protobuf-JSON) → FeedMessage, or CodecError."""
    pb = _pb()
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError

    check_size(data)
    msg = pb.FeedMessage()
    if doc is not None or looks_like_json(data):
        try:
            if doc is not None:
                json_format.ParseDict(doc, msg)
            else:
                json_format.Parse(data.decode("utf-8"), msg)
        except (json_format.ParseError, UnicodeDecodeError, ValueError) as exc:
            raise CodecError(
                f"not a GTFS-Realtime FeedMessage in protobuf-JSON: {exc}", kind="bad-protobuf"
            ) from None
    else:
        if not data:
            raise CodecError("empty file: not a GTFS-Realtime FeedMessage", kind="bad-protobuf")
        try:
            msg.ParseFromString(data)
        except DecodeError as exc:
            raise CodecError(
                f"corrupt protobuf, not a GTFS-Realtime FeedMessage ({exc})", kind="bad-protobuf"
            ) from None
    if not msg.IsInitialized():
        missing = ", ".join(msg.FindInitializationErrors()) or "header"
        raise CodecError(
            f"GTFS-Realtime FeedMessage missing required field(s): {missing}",
            field=missing,
            kind="bad-protobuf",
        )
    return msg


def _enum_name(enum_type, value: int) -> str:
    try:
        return enum_type.Name(value)
    except ValueError:
        return str(value)


def _text(translated) -> str:
    """A TranslatedString in Persian when present, else English, else the first translation."""
    by_lang = {t.language: t.text for t in translated.translation}
    return by_lang.get("fa") or by_lang.get("en") or by_lang.get("") or next(iter(by_lang.values()), "")


class GtfsRtCodec:
    name = "gtfs-rt"
    binary = True

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        if (
            isinstance(doc, dict)
            and "header" in doc
            and ("entity" in doc or "gtfsRealtimeVersion" in doc.get("header", {}))
        ):
            return 90
        if suffix == ".pb" or (doc is None and data[:1] == b"\x0a"):
            return 70 if suffix == ".pb" else 40
        return 0

    def decode(self, data: bytes, ctx: DecodeContext, doc: Any = None) -> DecodeResult:
        msg = parse_feed(data, doc)
        pb = _pb()
        result = DecodeResult(format=self.name)
        header_t = msg.header.timestamp
        self._check_time(header_t, "header.timestamp", result)
        if header_t == 0:
            result.notes.append("header.timestamp is 0; entity times fall back to the time received")
        fallback = posix_to_ns(header_t) if 0 < header_t < _MAX_POSIX else ctx.received_ns
        for i, ent in enumerate(msg.entity):
            where = f"entity[{i}]"
            if ent.is_deleted:
                continue
            if ent.HasField("vehicle"):
                result.readings.append(
                    self._vehicle(ent, ent.vehicle, where + ".vehicle", fallback, ctx, result, pb)
                )
            if ent.HasField("trip_update"):
                result.readings.append(
                    self._trip(ent, ent.trip_update, where + ".trip_update", fallback, ctx, result, pb)
                )
            if ent.HasField("alert"):
                result.readings.append(
                    self._alert(ent, ent.alert, where + ".alert", fallback, ctx, result, pb)
                )
        return result

    # -- entities ---------------------------------------------------------------------------------
    def _vehicle(self, ent, vp, where, fallback, ctx, result, pb) -> Reading:
        values: dict[str, float] = {}
        attrs: dict[str, Any] = {"feed_entity": ent.id}
        lat = lon = None
        if vp.HasField("position"):
            p = vp.position
            ok = True
            for name, value, limit in (("latitude", p.latitude, 90), ("longitude", p.longitude, 180)):
                if not -limit <= value <= limit:
                    result.warn(
                        f"{where}.position.{name}", f"{value:g} out of range [-{limit}, {limit}] (E026)"
                    )
                    ok = False
                elif value == 0:
                    result.warn(f"{where}.position.{name}", "0: position not set (E026)")
                    ok = False
            if ok:
                lat, lon = p.latitude, p.longitude
            if p.HasField("speed"):
                values["speed"] = round(p.speed * 3.6, 2)  # m/s → km/h
            if p.HasField("bearing"):
                values["heading"] = p.bearing
        if vp.HasField("occupancy_percentage"):
            values["occupancy"] = float(vp.occupancy_percentage)
        if vp.HasField("occupancy_status"):
            attrs["occupancy_status"] = _enum_name(pb.VehiclePosition.OccupancyStatus, vp.occupancy_status)
        if vp.HasField("current_status"):
            attrs["current_status"] = _enum_name(pb.VehiclePosition.VehicleStopStatus, vp.current_status)
        if vp.HasField("congestion_level"):
            attrs["congestion"] = _enum_name(pb.VehiclePosition.CongestionLevel, vp.congestion_level)
        if vp.stop_id:
            attrs["stop_id"] = vp.stop_id
        self._trip_attrs(vp.trip, attrs)
        if vp.vehicle.label:
            attrs["label"] = vp.vehicle.label
        if vp.vehicle.license_plate:
            attrs["plate"] = vp.vehicle.license_plate
        self._check_time(vp.timestamp, f"{where}.timestamp", result)
        t = posix_to_ns(vp.timestamp) if 0 < vp.timestamp < _MAX_POSIX else fallback
        return Reading(
            source=ctx.source,
            seq=ctx.next_seq(),
            topic="vehicle/bus",
            entity=vp.vehicle.id or ent.id,
            etype="Vehicle",
            t=t,
            values=values,
            attrs=attrs,
            lat=lat,
            lon=lon,
        )

    def _trip(self, ent, tu, where, fallback, ctx, result, pb) -> Reading:
        attrs: dict[str, Any] = {"feed_entity": ent.id}
        values: dict[str, float] = {}
        self._trip_attrs(tu.trip, attrs, where=f"{where}.trip", result=result)
        if tu.vehicle.id:
            attrs["vehicle_id"] = tu.vehicle.id
        if tu.HasField("delay"):
            values["delay"] = float(tu.delay)
        stops = []
        last_seq = -1
        last_time = 0
        for j, stu in enumerate(tu.stop_time_update):
            sw = f"{where}.stop_time_update[{j}]"
            if not stu.HasField("stop_sequence") and not stu.stop_id:
                result.warn(sw, "neither stop_sequence nor stop_id (E040)")
            if stu.HasField("stop_sequence"):
                if stu.stop_sequence <= last_seq:
                    result.warn(
                        f"{sw}.stop_sequence",
                        f"{stu.stop_sequence} not after {last_seq}: stop_time_updates not sorted (E002)",
                    )
                last_seq = stu.stop_sequence
            rel = _enum_name(pb.TripUpdate.StopTimeUpdate.ScheduleRelationship, stu.schedule_relationship)
            if rel == "SCHEDULED" and not stu.HasField("arrival") and not stu.HasField("departure"):
                result.warn(sw, "SCHEDULED stop without arrival or departure (E043)")
            stop: dict[str, Any] = {"stop_id": stu.stop_id, "relationship": rel}
            if stu.HasField("stop_sequence"):
                stop["sequence"] = stu.stop_sequence
            for kind in ("arrival", "departure"):
                if not stu.HasField(kind):
                    continue
                ev = getattr(stu, kind)
                if not ev.HasField("time") and not ev.HasField("delay"):
                    result.warn(f"{sw}.{kind}", "neither time nor delay (E044)")
                if ev.HasField("time"):
                    self._check_time(ev.time, f"{sw}.{kind}.time", result)
                    if ev.time and ev.time < last_time:
                        result.warn(f"{sw}.{kind}.time", "earlier than the previous stop's time (E022)")
                    last_time = max(last_time, ev.time)
                    stop[kind] = ev.time
                if ev.HasField("delay"):
                    stop[f"{kind}_delay"] = ev.delay
                    values.setdefault("delay", float(ev.delay))
            stops.append(stop)
        attrs["stops"] = stops
        self._check_time(tu.timestamp, f"{where}.timestamp", result)
        t = posix_to_ns(tu.timestamp) if 0 < tu.timestamp < _MAX_POSIX else fallback
        return Reading(
            source=ctx.source,
            seq=ctx.next_seq(),
            topic="transit/trip",
            entity=tu.trip.trip_id or ent.id,
            etype="TripUpdate",
            t=t,
            values=values,
            attrs=attrs,
        )

    def _alert(self, ent, al, where, fallback, ctx, result, pb) -> Reading:
        attrs: dict[str, Any] = {
            "cause": _enum_name(pb.Alert.Cause, al.cause),
            "effect": _enum_name(pb.Alert.Effect, al.effect),
            "header": _text(al.header_text),
            "description": _text(al.description_text),
        }
        if al.HasField("severity_level"):
            attrs["severity"] = _enum_name(pb.Alert.SeverityLevel, al.severity_level)
        if al.HasField("url"):
            attrs["url"] = _text(al.url)
        attrs["active"] = [{"start": p.start, "end": p.end} for p in al.active_period]
        informed = []
        for sel in al.informed_entity:
            item = {k: getattr(sel, k) for k in ("agency_id", "route_id", "stop_id") if getattr(sel, k)}
            if sel.HasField("trip") and sel.trip.trip_id:
                item["trip_id"] = sel.trip.trip_id
            informed.append(item)
        attrs["informed"] = informed
        starts = [p.start for p in al.active_period if p.start]
        t = posix_to_ns(min(starts)) if starts and min(starts) < _MAX_POSIX else fallback
        return Reading(
            source=ctx.source,
            seq=ctx.next_seq(),
            topic="transit/alert",
            entity=ent.id,
            etype="ServiceAlert",
            t=t,
            attrs=attrs,
        )

    # -- checks -----------------------------------------------------------------------------------
    @staticmethod
    def _trip_attrs(trip, attrs: dict[str, Any], where: str = "", result: DecodeResult | None = None) -> None:
        for key in ("trip_id", "route_id", "start_date", "start_time"):
            value = getattr(trip, key)
            if value:
                attrs[key] = value
        if trip.HasField("direction_id"):
            attrs["direction"] = trip.direction_id
        if result is None:
            return
        if trip.start_time and not _TIME_RE.match(trip.start_time):
            result.warn(f"{where}.start_time", f"{trip.start_time!r} is not HH:MM:SS (E020)")
        if trip.start_date and not _DATE_RE.match(trip.start_date):
            result.warn(f"{where}.start_date", f"{trip.start_date!r} is not YYYYMMDD (E021)")

    @staticmethod
    def _check_time(value: int, where: str, result: DecodeResult) -> None:
        if value >= _MAX_POSIX:
            result.warn(where, f"{value} is not POSIX time in seconds (milliseconds?) (E001)")


CODEC = GtfsRtCodec()
