"""The simulator speaking standards: NGSI-LD notifications and GTFS-Realtime feeds built from the same
Readings as the native stream, so the standard codecs run end-to-end over a real socket.

NGSI-LD (normalized, FIWARE smart-data-models vocabulary): AirQualityObserved, OffStreetParking,
WaterObserved, TrafficFlowObserved. GTFS-Realtime: VehiclePositions of the buses, plus a service
Alert while a scenario's speed drop (an accident) blocks segments.
"""

from __future__ import annotations

import itertools
from typing import Any

import msgspec

from console.feeds.codecs.common import iso_utc
from console.model import Reading

NGSI_LD_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
NGSI_SOURCES = ("sim.air", "sim.parking", "sim.water", "sim.traffic")
_notification_ids = itertools.count(1)
_enc = msgspec.json.Encoder()


def _prop(value: Any, observed: str, unit: str | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"type": "Property", "value": value, "observedAt": observed}
    if unit:
        p["unitCode"] = unit
    return p


def ngsi_ld_entity(r: Reading) -> dict[str, Any] | None:
    at = iso_utc(r.t)
    v = r.values
    e: dict[str, Any] = {"id": f"urn:ngsi-ld:{r.etype}:{r.entity}", "type": r.etype}
    if r.lat is not None:
        e["location"] = {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [r.lon, r.lat]}}
    if r.etype == "AirQualityObserved":
        e["dateObserved"] = {"type": "Property", "value": {"@type": "DateTime", "@value": at}}
        e["airQualityIndex"] = _prop(v["aqi"], at)
        for key, unit in (("pm25", "GQ"), ("pm10", "GQ"), ("no2", "61"), ("o3", "61"), ("co", "59")):
            e[key] = _prop(v[key], at, unit)
    elif r.etype == "OffStreetParking":
        total = int(r.attrs.get("capacity", 0))
        e["availableSpotNumber"] = _prop(int(v["free"]), at)
        e["totalSpotNumber"] = _prop(total, at)
        e["occupancy"] = _prop(round(v["occupancy"] / 100.0, 3), at)
        e["observationDateTime"] = {"type": "Property", "value": at}
    elif r.etype == "WaterObserved":
        e["dateObserved"] = {"type": "Property", "value": at}
        e["height"] = _prop(v["level"], at, "MTR")
        e["flow"] = _prop(v["flow"], at, "MQS")
    elif r.etype == "TrafficFlowObserved":
        e["dateObserved"] = {"type": "Property", "value": at}
        e["averageVehicleSpeed"] = _prop(v["speed"], at, "KMH")
        e["occupancy"] = _prop(round(v["occupancy"] / 100.0, 3), at)
        e["intensity"] = _prop(round(v["flow"] / 12.0), at)  # vehicles in the 5-minute period
    else:
        return None
    if "name_fa" in r.attrs:
        e["name"] = {"type": "Property", "value": r.attrs["name_fa"]}
    return e


def ngsi_ld_notifications(readings: list[Reading], subscription: str, chunk: int = 100) -> list[bytes]:
    entities = [e for e in (ngsi_ld_entity(r) for r in readings) if e is not None]
    out = []
    for i in range(0, len(entities), chunk):
        out.append(
            _enc.encode(
                {
                    "id": f"urn:ngsi-ld:Notification:{next(_notification_ids)}",
                    "type": "Notification",
                    "subscriptionId": subscription,
                    "notifiedAt": iso_utc(readings[0].t),
                    "data": entities[i : i + chunk],
                    "@context": NGSI_LD_CONTEXT,
                }
            )
        )
    return out


def gtfs_rt_feed(buses: list[Reading], t_ns: int, blocked: list[tuple[str, str]] | None = None) -> bytes:
    """A FULL_DATASET FeedMessage: one VehiclePosition per bus; an Alert per blocked segment."""
    from google.transit import gtfs_realtime_pb2 as pb

    msg = pb.FeedMessage()
    msg.header.gtfs_realtime_version = "2.0"
    msg.header.incrementality = pb.FeedHeader.FULL_DATASET
    msg.header.timestamp = t_ns // 1_000_000_000
    for r in buses:
        ent = msg.entity.add()
        ent.id = r.entity
        vp = ent.vehicle
        vp.vehicle.id = r.entity
        route = r.attrs.get("route")
        if route:
            vp.trip.route_id = route
        if r.lat is not None:
            vp.position.latitude = r.lat
            vp.position.longitude = r.lon
        vp.position.speed = r.values.get("speed", 0.0) / 3.6
        vp.position.bearing = r.values.get("heading", 0.0)
        if "occupancy" in r.values:
            vp.occupancy_percentage = int(r.values["occupancy"])
        vp.timestamp = r.t // 1_000_000_000
    for seg_id, name_fa in blocked or []:
        ent = msg.entity.add()
        ent.id = f"alert-{seg_id}"
        al = ent.alert
        al.cause = pb.Alert.ACCIDENT
        al.effect = pb.Alert.SIGNIFICANT_DELAYS
        tr = al.header_text.translation.add()
        tr.language, tr.text = "fa", f"تصادف در {name_fa}؛ تأخیر در خطوط عبوری"
        tr = al.header_text.translation.add()
        tr.language, tr.text = "en", f"Accident on {seg_id}: delays on lines through it"
        sel = al.informed_entity.add()
        sel.stop_id = seg_id
    return msg.SerializeToString()
