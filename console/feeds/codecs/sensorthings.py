"""OGC SensorThings API (1.0/1.1) codec: Observations (single, collections `{"value": [...]}`,
`$expand`ed under a Datastream, and the dataArray extension), plus Datastreams, Things, Sensors,
Locations and FeaturesOfInterest as entity descriptions on "sensor/entity".

An Observation becomes a Reading on "sensor/observation": numeric `result` → values["result"] (unit
from its Datastream's unitOfMeasurement when known), any other result → attrs["result"]; time from
phenomenonTime (end of an interval), else resultTime.
"""

from __future__ import annotations

from typing import Any

from console.feeds.codecs.base import CodecError, DecodeContext, DecodeResult
from console.feeds.codecs.common import geojson_point, is_number, parse_time
from console.feeds.codecs.safety import load_json
from console.model import Reading

_NAV = "@iot.navigationLink"


def kind_of(obj: dict[str, Any]) -> str | None:
    """Which STA entity a JSON object is, from its members."""
    if "result" in obj and ("phenomenonTime" in obj or "resultTime" in obj or "@iot.id" in obj):
        return "Observation"
    if "dataArray" in obj and "components" in obj:
        return "DataArray"
    if "unitOfMeasurement" in obj or "observationType" in obj or "unitOfMeasurements" in obj:
        return "Datastream"
    if "feature" in obj and "encodingType" in obj:
        return "FeatureOfInterest"
    if "location" in obj and "encodingType" in obj:
        return "Location"
    if "encodingType" in obj and "metadata" in obj:
        return "Sensor"
    if "definition" in obj and "name" in obj and "@iot.id" in obj:
        return "ObservedProperty"
    if "@iot.id" in obj and ("properties" in obj or f"Datastreams{_NAV}" in obj or f"Locations{_NAV}" in obj):
        return "Thing"
    return None


class SensorThingsCodec:
    name = "sensorthings"
    binary = False

    def sniff(self, data: bytes, doc: Any, suffix: str) -> int:
        if isinstance(doc, dict):
            if "@iot.id" in doc or "@iot.count" in doc or "@iot.selfLink" in doc:
                return 90
            if "dataArray" in doc or any(k.endswith(_NAV) for k in doc):
                return 85
            if isinstance(doc.get("value"), list) and doc["value"] and isinstance(doc["value"][0], dict):
                first = doc["value"][0]
                if kind_of(first):
                    return 80
        return 0

    def decode(self, data: bytes, ctx: DecodeContext, doc: Any = None) -> DecodeResult:
        doc = load_json(data) if doc is None else doc
        result = DecodeResult(format=self.name)
        if not isinstance(doc, dict):
            raise CodecError(f"a SensorThings document is a JSON object, not {type(doc).__name__}")
        if isinstance(doc.get("value"), list) and kind_of(doc) is None:
            for i, obj in enumerate(doc["value"]):
                self._one(obj, f"$.value[{i}]", ctx, result, datastream=None)
        else:
            self._one(doc, "$", ctx, result, datastream=None)
        if not result.readings and not result.warnings:
            raise CodecError("no SensorThings entity found (no Observation, Datastream, Thing, Sensor ...)")
        return result

    # ---------------------------------------------------------------------------------------------
    def _one(
        self, obj: Any, where: str, ctx: DecodeContext, result: DecodeResult, datastream: dict | None
    ) -> None:
        if not isinstance(obj, dict):
            result.warn(where, f"expected a JSON object, got {type(obj).__name__}")
            return
        kind = kind_of(obj)
        if kind is None:
            result.warn(where, "not a recognisable SensorThings entity")
            return
        if kind == "Observation":
            result.readings.append(self._observation(obj, where, ctx, result, datastream))
            return
        if kind == "DataArray":
            self._data_array(obj, where, ctx, result)
            return
        result.readings.append(self._entity(obj, kind, where, ctx, result))
        if kind == "Datastream" and isinstance(obj.get("Observations"), list):
            for i, o in enumerate(obj["Observations"]):
                self._one(o, f"{where}.Observations[{i}]", ctx, result, datastream=obj)

    def _observation(
        self, obj: dict, where: str, ctx: DecodeContext, result: DecodeResult, ds: dict | None
    ) -> Reading:
        t = None
        for key in ("phenomenonTime", "resultTime"):
            if obj.get(key) is not None:
                t = parse_time(obj[key], f"{where}.{key}", result)
                if t is not None:
                    break
        if t is None:
            result.notes.append(f"{where}: observation without a time; using the time received")
            t = ctx.received_ns
        values: dict[str, float] = {}
        attrs: dict[str, Any] = {}
        res = obj.get("result")
        if is_number(res):
            values["result"] = float(res)
        elif res is not None:
            attrs["result"] = res
        if ds is None and isinstance(obj.get("Datastream"), dict):
            ds = obj["Datastream"]
        unit = _unit(ds) if ds else ""
        if unit:
            attrs["units"] = {"result": unit}
        for key in ("resultQuality", "validTime", "parameters"):
            if key in obj:
                attrs[key] = obj[key]
        oid = obj.get("@iot.id")
        entity = (
            _entity_id("Datastream", ds.get("@iot.id"))
            if ds and "@iot.id" in ds
            else _entity_id("Observation", oid)
        )
        if oid is not None:
            attrs["observation_id"] = oid
        lat = lon = None
        foi = obj.get("FeatureOfInterest")
        if isinstance(foi, dict) and isinstance(foi.get("feature"), dict):
            geom = foi["feature"].get("geometry", foi["feature"])
            lat, lon = geojson_point(geom, f"{where}.FeatureOfInterest.feature", result)
        return Reading(
            source=ctx.source,
            seq=ctx.next_seq(),
            topic="sensor/observation",
            entity=entity,
            etype="Observation",
            t=t,
            values=values,
            attrs=attrs,
            lat=lat,
            lon=lon,
        )

    def _data_array(self, obj: dict, where: str, ctx: DecodeContext, result: DecodeResult) -> None:
        comps = obj.get("components")
        rows = obj.get("dataArray")
        if not isinstance(comps, list) or not all(isinstance(c, str) for c in comps):
            raise CodecError("dataArray 'components' must be a list of names", field=f"{where}.components")
        if not isinstance(rows, list):
            raise CodecError("'dataArray' must be a list of rows", field=f"{where}.dataArray")
        ds = obj.get("Datastream") if isinstance(obj.get("Datastream"), dict) else None
        if ds is None:
            link = obj.get(f"Datastream{_NAV}")
            ds = {"@iot.id": link} if link else None
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(comps):
                result.warn(
                    f"{where}.dataArray[{i}]",
                    f"row has {len(row) if isinstance(row, list) else '?'} values for {len(comps)} components",
                )
                continue
            self._one(
                dict(zip(comps, row, strict=True)) | {"@iot.id": None},
                f"{where}.dataArray[{i}]",
                ctx,
                result,
                ds,
            )

    def _entity(self, obj: dict, kind: str, where: str, ctx: DecodeContext, result: DecodeResult) -> Reading:
        attrs: dict[str, Any] = {"kind": kind}
        for key, value in obj.items():
            if key.endswith(_NAV) or key in ("@iot.selfLink", "Observations"):
                continue
            attrs[key] = value
        unit = _unit(obj) if kind == "Datastream" else ""
        if unit:
            attrs["units"] = {"result": unit}
        lat = lon = None
        geom = None
        if kind == "FeatureOfInterest" and isinstance(obj.get("feature"), dict):
            geom = obj["feature"].get("geometry", obj["feature"])
        elif kind == "Location" and isinstance(obj.get("location"), dict):
            geom = obj["location"].get("geometry", obj["location"])
        if geom is not None:
            lat, lon = geojson_point(
                geom, f"{where}.{'feature' if kind == 'FeatureOfInterest' else 'location'}", result
            )
        t = None
        if kind == "Datastream" and obj.get("phenomenonTime"):
            t = parse_time(obj["phenomenonTime"], f"{where}.phenomenonTime", result)
        return Reading(
            source=ctx.source,
            seq=ctx.next_seq(),
            topic="sensor/entity",
            entity=_entity_id(kind, obj.get("@iot.id")),
            etype=kind,
            t=t or ctx.received_ns,
            attrs=attrs,
            lat=lat,
            lon=lon,
        )


def _unit(ds: dict) -> str:
    uom = ds.get("unitOfMeasurement")
    if isinstance(uom, dict):
        return str(uom.get("symbol") or uom.get("name") or "")
    return ""


def _entity_id(kind: str, iot_id: Any) -> str:
    return f"sta:{kind}:{iot_id}" if iot_id is not None else f"sta:{kind}"


CODEC = SensorThingsCodec()
