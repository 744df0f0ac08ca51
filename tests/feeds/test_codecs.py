"""Codecs against the real-world corpus: every FIWARE example, GTFS-RT feed and SensorThings example
decodes; every JSONTestSuite n_* file, invalid.pb and XML with a DTD is rejected with a clear reason."""

from __future__ import annotations

import pytest

from console.feeds import codecs
from console.feeds.codecs import CodecError, DecodeContext, decode_document
from console.feeds.codecs.schemas import SchemaRegistry


def _decode(path, fmt="auto", strict=False, schemas=None):
    ctx = DecodeContext(source=f"file:{path.name}", strict=strict, suffix=path.suffix, schemas=schemas)
    return decode_document(path.read_bytes(), fmt, ctx)


FIWARE_MODELS = [
    "AirQualityObserved",
    "Alert",
    "Anomaly",
    "OffStreetParking",
    "ParkingSpot",
    "RoadAccident",
    "TrafficFlowObserved",
    "Vehicle",
    "WaterObserved",
    "WeatherObserved",
]
FLAVOURS = {
    "example.json": "ngsi-v2",
    "example-normalized.json": "ngsi-v2",
    "example.jsonld": "ngsi-ld",
    "example-normalized.jsonld": "ngsi-ld",
}


@pytest.mark.parametrize("model", FIWARE_MODELS)
def test_every_fiware_example_decodes_in_both_flavours(corpus, model):
    topics = set()
    for name, fmt in FLAVOURS.items():
        path = corpus / "fiware" / model / name
        auto = _decode(path)
        assert auto.format == fmt, f"{name}: detected {auto.format}"
        forced = _decode(path, fmt)
        assert len(auto.readings) == len(forced.readings) == 1
        r = auto.readings[0]
        assert r.etype == model and r.entity
        assert r.t > 0
        topics.add(r.topic)
    assert len(topics) == 1  # the four renderings of one model travel on one topic


def test_air_quality_maps_onto_console_vocabulary(corpus):
    r = _decode(corpus / "fiware/AirQualityObserved/example.json").readings[0]
    assert r.topic == "air/station"
    assert r.values["aqi"] == 65 and r.values["humidity"] == pytest.approx(54.0)
    assert "co_raw" in r.values and "co" not in r.values  # no unit given: never under the ppm key
    assert (r.lat, r.lon) == pytest.approx((40.423852777777775, -3.712247222222222))
    norm = _decode(corpus / "fiware/AirQualityObserved/example-normalized.json").readings[0]
    assert norm.attrs["units"]["no2"] == "ppb"  # 69 µg/m³ converted
    assert norm.values["no2"] == pytest.approx(69 * 24.45 / 46.01, abs=0.1)


def test_air_quality_example_violates_its_schema_warning_then_strict_rejection(corpus):
    schemas = SchemaRegistry([corpus / "fiware"])
    path = corpus / "fiware/AirQualityObserved/example.json"
    result = _decode(path, schemas=schemas)
    fields = {w.field for w in result.warnings}
    assert "$.dateObserved" in fields and "$.tsp" in fields
    assert any("integer" in w.message for w in result.warnings if w.field == "$.tsp")
    with pytest.raises(CodecError) as exc:
        _decode(path, strict=True, schemas=schemas)
    assert exc.value.field == "$.dateObserved"
    assert "UTC offset" in str(exc.value)


def test_clean_fiware_example_passes_strict_schema_check(corpus):
    schemas = SchemaRegistry([corpus / "fiware"])
    result = _decode(corpus / "fiware/WeatherObserved/example.json", strict=True, schemas=schemas)
    assert result.readings[0].topic == "weather/station"


def test_ngsi_ld_notification_and_relationships(corpus):
    import json

    entity = json.loads((corpus / "fiware/AirQualityObserved/example-normalized.jsonld").read_bytes())
    note = {
        "id": "urn:ngsi-ld:Notification:1",
        "type": "Notification",
        "subscriptionId": "urn:ngsi-ld:Subscription:air",
        "notifiedAt": "2026-11-25T00:00:00Z",
        "data": [entity, entity],
    }
    result = decode_document(json.dumps(note).encode(), "auto", DecodeContext(source="ld"))
    assert result.format == "ngsi-ld"
    assert len(result.readings) == 2
    assert [r.seq for r in result.readings] == [1, 2]
    assert result.readings[0].attrs["refPointOfInterest"].startswith("urn:ngsi-ld:PointOfInterest")


def test_every_gtfs_rt_pb_decodes_except_invalid(corpus):
    pbs = sorted((corpus / "gtfs-rt").rglob("*.pb"))
    assert len(pbs) >= 8
    kinds = set()
    for path in pbs:
        if path.name == "invalid.pb":
            with pytest.raises(CodecError) as exc:
                _decode(path)
            assert "corrupt protobuf" in str(exc.value)
            continue
        result = _decode(path)
        assert result.format == "gtfs-rt"
        kinds.update(r.topic for r in result.readings)
    assert kinds == {"vehicle/bus", "transit/trip", "transit/alert"}


def test_gtfs_rt_binary_and_json_renderings_agree(corpus):
    base = corpus / "gtfs-rt/transitland-lib"
    for name in ("ct-vehicle-positions.pb", "ct-trip-updates.pb", "bart-alerts.pb"):
        binary = _decode(base / name)
        rendered = _decode(base / f"{name}.json")
        assert [(r.entity, r.t, r.lat, r.lon, r.values) for r in binary.readings] == [
            (r.entity, r.t, r.lat, r.lon, r.values) for r in rendered.readings
        ]
    vp = _decode(base / "ct-vehicle-positions.pb").readings
    assert len(vp) == 14 and all(37 < r.lat < 38.5 for r in vp)


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("E001.header-timestamp.json", "E001"),
        ("E002.trip_update-stop_time_update.1.json", "E002"),
        ("E020.trip_update-trip-start_time.1.json", "E020"),
        ("E021.trip_update-trip-start_date.3.json", "E021"),
        ("E022.trip_update-stop_time_update.1.json", "E022"),
        ("E026.vehicle_position-position-latitude.1.json", "E026"),
        ("E026.vehicle_position-position-longitude.3.json", "E026"),
        ("E040.trip_update-stop_time_update.json", "E040"),
        ("E043.trip_update-schedule_relationship.json", "E043"),
        ("E044.trip_update-schedule_relationship.1.json", "E044"),
    ],
)
def test_gtfs_rt_validator_rules_warn_then_reject_when_strict(corpus, name, rule):
    path = corpus / "gtfs-rt/transitland-lib/errors" / name
    result = _decode(path)
    assert any(rule in w.message for w in result.warnings), result.warnings
    with pytest.raises(CodecError) as exc:
        _decode(path, strict=True)
    assert rule in str(exc.value) and exc.value.field


def test_every_sensorthings_example_decodes(corpus):
    examples = sorted((corpus / "sensorthings/ogc-bblocks-sta/examples").glob("*.json"))
    assert len(examples) == 7
    for path in examples:
        result = _decode(path)
        assert result.format == "sensorthings", path.name
        assert result.readings, path.name
    obs = _decode(corpus / "sensorthings/ogc-bblocks-sta/examples/Observation__Observation.json").readings[0]
    assert obs.values == {"result": 70.4}
    assert obs.t == 1419998399 * 10**9  # 2014-12-31T11:59:59+08:00 = 03:59:59Z
    coll = _decode(
        corpus
        / "sensorthings/ogc-bblocks-sta/examples/Datastream_Datastream-Values-ObsCollection__pnsc-sta.json"
    )
    assert (
        len(coll.readings) == 3 and coll.readings[0].attrs["result"]["scientificName"] == "Rhopilema nomadica"
    )
    foi = _decode(corpus / "sensorthings/ogc-bblocks-sta/examples/FeatureOfInterest__FeatureOfInterest.json")
    assert (foi.readings[0].lat, foi.readings[0].lon) == (51.05, -114.06)


def test_sensorthings_data_array_with_units():
    doc = b"""{"value": [{"Datastream": {"@iot.id": 7, "unitOfMeasurement": {"symbol": "degC"}},
      "components": ["id", "phenomenonTime", "result"], "dataArray@iot.count": 2,
      "dataArray": [[1, "2026-01-01T00:00:00Z", 20.5], [2, "2026-01-01T00:01:00Z", 21.0]]}]}"""
    result = decode_document(doc, "sensorthings", DecodeContext(source="sta"))
    assert [r.values["result"] for r in result.readings] == [20.5, 21.0]
    assert all(
        r.entity == "sta:Datastream:7" and r.attrs["units"] == {"result": "degC"} for r in result.readings
    )


def test_every_jsontestsuite_n_file_is_rejected_with_a_reason(corpus):
    files = sorted((corpus / "adversarial/json/JSONTestSuite/n").glob("n_*.json"))
    assert len(files) >= 40
    for path in files:
        with pytest.raises(CodecError) as exc:
            _decode(path)
        assert len(str(exc.value)) > 8, path.name
    reasons = {p.name: str(_reject(p)) for p in files}
    assert "NaN/Infinity" in reasons["n_number_NaN.json"]
    assert "NaN/Infinity" in reasons["n_number_infinity.json"]
    assert "NaN/Infinity" in reasons["n_number_minus_infinity.json"]
    assert "deeper than 512" in reasons["n_structure_100000_opening_arrays.json"]


def _reject(path):
    try:
        _decode(path)
    except CodecError as exc:
        return exc
    raise AssertionError(f"{path.name} was accepted")


def test_depth_limit_is_512():
    ok = b"[" * 500 + b"]" * 500
    decode_document(b'{"type":"batch","source":"x","epoch":"e","items":[]}', "native")
    from console.feeds.codecs.safety import load_json

    load_json(ok)
    with pytest.raises(CodecError, match="deeper than 512"):
        load_json(b"[" * 513 + b"]" * 513)


def test_size_limit(tmp_path):
    big = b'{"id": "x", "type": "T", "pad": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    with pytest.raises(CodecError, match="10 MB limit"):
        decode_document(big, "auto")


def test_xml_with_dtd_is_refused_and_cap_slot_is_filled(corpus):
    for name in ("xmlbomb.xml", "external.xml", "quadratic.xml", "cyclic.xml"):
        with pytest.raises(CodecError, match="DTD"):
            _decode(corpus / "adversarial/xml/defusedxml" / name)
    with pytest.raises(CodecError, match="DTD"):
        _decode(corpus / "cap/google-cap-library/testdata/xee.cap")
    # the alarms room fills the slot: alerts decode to readings on cap/alert, bad alerts say why
    assert [r.topic for r in _decode(corpus / "cap/google-cap-library/testdata/canada.cap").readings] == [
        "cap/alert"
    ]
    assert _decode(corpus / "cap/ibm-cap/cap_amber_alert_example.xml", "cap").format == "cap"
    with pytest.raises(CodecError, match="required <scope> is missing"):
        _decode(corpus / "cap/google-cap-library/testdata/invalid.cap")
    assert "cap" in codecs.names()


def test_codec_bug_becomes_a_rejection_not_a_traceback():
    class Broken:
        name = "broken"
        binary = False

        def sniff(self, data, doc, suffix):
            return 0

        def decode(self, data, ctx, doc=None):
            raise KeyError("oops")

    codecs.register(Broken())
    try:
        with pytest.raises(CodecError, match="broken decoder failed"):
            decode_document(b"{}", "broken")
    finally:
        codecs._codecs.pop("broken", None)
