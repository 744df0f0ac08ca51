"""CAP 1.2: every corpus alert imported or rejected for the expected reason, every XML attack refused
fast, wrappers and namespaces, alerts becoming alarms (updates, cancels, expiry), export validated
against the OASIS XSD, and the `cap` codec of `ingest`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.alarms.cap import (
    CapArea,
    CapError,
    WarningText,
    compose_warning,
    parse_cap,
    to_xml,
    validate_xsd,
)
from console.model import AlarmState, Operator, Priority, Role
from console.roles import PermissionDenied
from tests.alarms.conftest import NS, T0

ROOT = Path(__file__).resolve().parents[2]
TD = "cap/google-cap-library/testdata"
# file -> (alerts imported, None) or (0, reason the corpus README gives for it)
EXPECTED = {
    f"{TD}/amber.atom": (1, None),
    f"{TD}/australia.cap": (1, None),
    f"{TD}/canada.cap": (1, None),
    f"{TD}/canada_errors.cap": (0, "<references> is empty"),
    f"{TD}/canada_signed.cap": (1, None),
    f"{TD}/earthquake-iso8859-1.cap": (1, None),
    f"{TD}/earthquake.cap": (1, None),
    f"{TD}/earthquake_signed.cap": (1, None),
    f"{TD}/invalid.cap": (0, "required <scope> is missing"),
    f"{TD}/no_optional_fields.cap": (1, None),
    f"{TD}/noaa_errors.cap": (0, "<certainty> empty is not one of Observed"),
    f"{TD}/wcatwc-warning.cap": (1, None),
    f"{TD}/weather.atom": (1, None),
    f"{TD}/weather.cap": (1, None),
    f"{TD}/xee.atom": (0, "DTD"),
    f"{TD}/xee.cap": (0, "DTD"),
    "cap/google-cap-library/validator-examples/43b080713727.cap": (1, None),
    "cap/google-cap-library/validator-examples/KAR0-0306112239-SW.cap": (1, None),
    "cap/google-cap-library/validator-examples/thunderstorm.cap": (1, None),
    "cap/ibm-cap/cap_amber_alert_example.xml": (1, None),
}
OASIS_XSD = "cap/ibm-cap/CAP-v1.2.xsd"


def test_every_corpus_alert_imports_or_is_rejected_for_its_reason(corpus):
    found = {
        str(p.relative_to(corpus)) for p in (corpus / "cap").rglob("*") if p.is_file() and p.suffix != ".xsd"
    }
    assert found == set(EXPECTED), "the corpus changed: update EXPECTED"
    for rel, (n, reason) in EXPECTED.items():
        data = (corpus / rel).read_bytes()
        if reason is None:
            doc = parse_cap(data, rel)
            assert len(doc.alerts) == n, rel
            for alert in doc.alerts:
                assert alert.identifier and alert.sender and alert.sent > 0
        else:
            with pytest.raises(CapError, match=reason.replace("(", r"\(").replace(")", r"\)")):
                parse_cap(data, rel)


def test_details_of_real_alerts(corpus):
    canada = parse_cap((corpus / f"{TD}/canada.cap").read_bytes()).alerts[0]
    assert canada.msg_type == "Update" and canada.references
    assert [i.language for i in canada.infos] == ["en-CA", "fr-CA"]
    area = canada.infos[0].areas[0]
    assert area.polygons and area.polygons[0][0] == area.polygons[0][-1]
    assert any(name.startswith("profile:CAP-CP") for name, _ in area.geocodes)
    quake = parse_cap((corpus / f"{TD}/earthquake-iso8859-1.cap").read_bytes()).alerts[0]
    assert quake.version == "1.2" and quake.infos[0].areas
    tsunami = parse_cap((corpus / f"{TD}/wcatwc-warning.cap").read_bytes()).alerts[0]
    assert tsunami.priority is Priority.EXTREME and len(tsunami.infos[0].parameters) == 38
    minimal = parse_cap((corpus / f"{TD}/no_optional_fields.cap").read_bytes()).alerts[0]
    assert minimal.version == "1.1" and minimal.infos == []
    signed = parse_cap((corpus / f"{TD}/canada_signed.cap").read_bytes()).alerts[0]
    assert any("signature present, not verified" in n for n in signed.notes)


def test_every_xml_attack_is_refused_fast(corpus):
    files = sorted(p for p in (corpus / "adversarial/xml").rglob("*") if p.is_file())
    files += [corpus / f"{TD}/xee.cap", corpus / f"{TD}/xee.atom"]
    assert len(files) >= 10
    for path in files:
        data = path.read_bytes()
        start = time.perf_counter()
        with pytest.raises(CapError) as info:
            parse_cap(data)
        took = time.perf_counter() - start
        assert took < 0.1, f"{path.name} took {took * 1000:.0f} ms"
        if b"<!DOCTYPE" in data:
            assert "DTD" in str(info.value), path.name
        else:  # the benign controls are refused for not being CAP, never parsed as alerts
            assert "is not CAP" in str(info.value) or "no CAP alert" in str(info.value), path.name


MINIMAL = """<alert xmlns{prefix}="urn:oasis:names:tc:emergency:cap:{v}">
  <{p}identifier>X-1</{p}identifier><{p}sender>s@example.org</{p}sender><{p}sent>2026-11-25T03:00:00+03:30</{p}sent>
  <{p}status>Actual</{p}status><{p}msgType>Alert</{p}msgType><{p}scope>Public</{p}scope>
  <{p}info><{p}category>Met</{p}category><{p}event>Flood</{p}event><{p}urgency>Immediate</{p}urgency>
  <{p}severity>Extreme</{p}severity><{p}certainty>Observed</{p}certainty>
  <{p}area><{p}areaDesc>Qom river</{p}areaDesc><{p}circle>34.64,50.88 1.5</{p}circle></{p}area></{p}info>
</alert>"""


def minimal(v="1.2", prefix=""):
    text = MINIMAL.format(v=v, prefix=f":{prefix}" if prefix else "", p=f"{prefix}:" if prefix else "")
    return text.replace("<alert", f"<{prefix}:alert" if prefix else "<alert").replace(
        "</alert>", f"</{prefix}:alert>" if prefix else "</alert>"
    )


def test_bom_prefixes_versions_wrappers_and_foreign_namespaces():
    assert parse_cap(b"\xef\xbb\xbf" + minimal().encode()).alerts[0].identifier == "X-1"
    prefixed = parse_cap(minimal(prefix="cap").encode()).alerts[0]
    assert prefixed.priority is Priority.EXTREME and prefixed.infos[0].areas[0].circles == [
        (34.64, 50.88, 1.5)
    ]
    assert parse_cap(minimal("1.1").encode()).alerts[0].version == "1.1"
    body = minimal().replace("X-1", "{id}")
    edxl = (
        '<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0"><distributionID>d1</distributionID>'
        + "".join(
            f"<contentObject><xmlContent><embeddedXMLContent>{body.format(id=f'E-{k}')}</embeddedXMLContent></xmlContent></contentObject>"
            for k in range(2)
        )
        + "</EDXLDistribution>"
    )
    doc = parse_cap(edxl.encode())
    assert doc.wrapper == "edxl" and [a.identifier for a in doc.alerts] == ["E-0", "E-1"]
    rss = f'<rss version="2.0"><channel><title>t</title><item>{body.format(id="R-1")}</item><item><link>http://x/a.cap</link></item></channel></rss>'
    doc = parse_cap(rss.encode())
    assert [a.identifier for a in doc.alerts] == ["R-1"] and "not fetched" in doc.notes[0]
    with pytest.raises(CapError, match=r"urn:oasis:names:tc:emergency:cap:1\.0.*is not CAP"):
        parse_cap(minimal().replace("cap:1.2", "cap:1.0").encode())
    with pytest.raises(CapError, match="is not CAP"):
        parse_cap(b'<alert xmlns="http://example.org/other"><identifier>1</identifier></alert>')
    with pytest.raises(CapError, match="malformed XML"):
        parse_cap(minimal().encode()[:-20])


def test_field_checks_name_the_field():
    bad = minimal().replace("Immediate", "Soon").replace("34.64,50.88 1.5", "34.64;50.88 x")
    with pytest.raises(CapError, match=r"alert X-1: info 1: <urgency> 'Soon' is not one of .*circle 1"):
        parse_cap(bad.encode())
    update = minimal().replace("<msgType>Alert", "<msgType>Update")
    with pytest.raises(CapError, match="msgType Update needs <references>"):
        parse_cap(update.encode())
    naive = minimal().replace("2026-11-25T03:00:00+03:30", "2026-11-25T03:00:00")
    with pytest.raises(CapError, match="has no UTC offset"):
        parse_cap(naive.encode())
    ring = minimal().replace(
        "<circle>34.64,50.88 1.5</circle>", "<polygon>34.6,50.8 34.7,50.8 34.7,50.9</polygon>"
    )
    with pytest.raises(CapError, match="polygon 1 has 3 points"):
        parse_cap(ring.encode())


# -- alerts become alarms ---------------------------------------------------------------------------------
def cap_alert(identifier, msg_type="Alert", refs="", severity="Severe", expires=None, status="Actual"):
    text = minimal().replace("X-1", identifier).replace("<msgType>Alert", f"<msgType>{msg_type}")
    text = text.replace("Extreme", severity).replace("<status>Actual", f"<status>{status}")
    if refs:
        text = text.replace("<info>", f"<references>{refs}</references><info>")
    if expires:
        text = text.replace("<area>", f"<expires>{expires}</expires><area>")
    return parse_cap(text.encode()).alerts[0]


def test_alerts_updates_cancels_and_expiry_as_alarms(make_rig, clock):
    from console.city import load_city

    rig = make_rig(city=load_city("qom"))
    clock.at(0)
    rig.engine.apply_cap([cap_alert("A-1", severity="Severe")])
    a = rig.engine.get("cap:s@example.org,A-1")
    assert a.state is AlarmState.UNACK and a.priority is Priority.SEVERE and a.kind == "cap"
    assert (
        a.geometry["geometries"][0]["radius_m"] == 1500.0 and a.district
    )  # placed on the map and in a district
    assert a.title_en == "Flood" and "Qom river" in a.message_en
    ref = "s@example.org,A-1,2026-11-25T03:00:00+03:30"
    rig.engine.apply_cap([cap_alert("A-2", "Update", ref, severity="Extreme")])
    a = rig.engine.get("cap:s@example.org,A-1")
    assert a.priority is Priority.EXTREME and a.cap["thread"] == ["A-1", "A-2"]
    assert len([x for x in rig.engine.snapshot()[1] if x.kind == "cap"]) == 1  # one alarm per thread
    rig.engine.apply_cap([cap_alert("A-3", "Cancel", "s@example.org,A-2,2026-11-25T03:00:00+03:30")])
    a = rig.engine.get("cap:s@example.org,A-1")
    assert a.state is AlarmState.RTN_UNACK  # cancelled, still to be acknowledged
    assert rig.transitions(a.id)[-1].note.startswith("cancelled by sender")
    # tests and exercises are not alarms; an alert that expires clears by itself
    rig.engine.apply_cap([cap_alert("T-1", status="Exercise")])
    assert rig.engine.get("cap:s@example.org,T-1") is None and rig.engine.stats["cap_ignored"] == 1
    rig.engine.apply_cap([cap_alert("B-1", expires="2035-01-01T00:00:00+03:30")])
    clock.t = 2_051_216_000 * NS  # past 2035-01-01
    rig.tick()
    assert rig.engine.get("cap:s@example.org,B-1").state is AlarmState.RTN_UNACK
    assert rig.transitions("cap:s@example.org,B-1")[-1].note == "expired"


def test_cap_readings_from_the_bus_become_alarms(make_rig, corpus):
    from console.feeds.codecs import DecodeContext, decode_document

    rig = make_rig()
    old = decode_document(
        (corpus / f"{TD}/weather.cap").read_bytes(), "auto", DecodeContext(source="file:weather.cap")
    )
    assert old.format == "cap" and [r.topic for r in old.readings] == ["cap/alert"]
    rig.engine.process("cap/alert", old.readings)
    past = rig.engine.get(f"cap:{old.readings[0].attrs['sender']},{old.readings[0].entity}")
    assert past.state is AlarmState.NORMAL  # expired in 2012: recorded, not raised
    fresh = decode_document(minimal().encode(), "auto", DecodeContext(source="mqtt:cap"))
    rig.engine.start()
    rig.bus.publish_many("cap/alert", fresh.readings)
    assert rig.bus.drain_workers(5)
    assert rig.state("cap:s@example.org,X-1") == "unack"


# -- export ---------------------------------------------------------------------------------------------------
CREW = Operator(name="maryam", roles=frozenset({Role.CRISIS_MANAGER}))


def warning(**kw):
    texts = [
        WarningText(
            language="fa-IR",
            event="سیلاب",
            headline="هشدار سیلاب در حاشیهٔ رودخانهٔ قم",
            description="تراز آب به آستانهٔ سیلاب رسیده است.",
            instruction="از بستر رودخانه دور شوید.",
            area_desc="حاشیهٔ رودخانهٔ قم، محدودهٔ پل حجتیه",
        ),
        WarningText(
            language="en-US",
            event="Flood",
            headline="Flood warning along the Qom river",
            description="The water level has reached flood stage.",
            instruction="Keep away from the river bed.",
            area_desc="Qom river banks near the Hojatiyeh bridge",
        ),
    ]
    area = CapArea(
        desc="",
        circles=[(34.6401, 50.8764, 1.2)],
        polygons=[[(34.63, 50.87), (34.65, 50.87), (34.65, 50.89), (34.63, 50.87)]],
    )
    args = dict(
        sender="crisis@qom.example",
        texts=texts,
        severity="Extreme",
        sent=T0,
        expires=T0 + 6 * 3600 * NS,
        areas=[area],
        categories=("Met", "Safety"),
        response_types=("Avoid",),
    )
    args.update(kw)
    return compose_warning(**args)


def test_export_is_valid_cap_12_against_the_oasis_xsd(corpus):
    alert = warning()
    xml = to_xml(alert)
    for xsd in (OASIS_XSD, "cap/google-cap-library/schema/cap12.xsd"):
        assert validate_xsd(xml, corpus / xsd) == [], xsd
    back = parse_cap(xml).alerts[0]
    assert [i.language for i in back.infos] == ["fa-IR", "en-US"]
    assert back.infos[0].headline == "هشدار سیلاب در حاشیهٔ رودخانهٔ قم"
    assert back.infos[0].areas[0].desc.startswith("حاشیهٔ") and back.infos[1].areas[0].circles == [
        (34.6401, 50.8764, 1.2)
    ]
    assert back.priority is Priority.EXTREME and back.sent == T0 and back.sent_text.endswith("+03:30")
    update = warning(msg_type="Update", references=[(alert.sender, alert.identifier, alert.sent_text)])
    assert validate_xsd(to_xml(update), corpus / OASIS_XSD) == []
    assert parse_cap(to_xml(update)).alerts[0].references[0][1] == alert.identifier
    with pytest.raises(CapError, match="must reference"):
        warning(msg_type="Cancel")
    with pytest.raises(CapError, match="severity 'Huge'"):
        warning(severity="Huge")


def test_xsd_catches_what_it_should(corpus):
    xml = to_xml(warning()).replace(b"<scope>Public</scope>", b"")
    assert validate_xsd(xml, corpus / OASIS_XSD)


def test_publishing_needs_role_and_reason_and_is_audited(make_rig, tmp_path, corpus):
    import msgspec

    from console.alarms.config import AlarmConfig

    rig = make_rig(config=AlarmConfig(band_rules=False, console="d1", cap_schema=str(corpus / OASIS_XSD)))
    alert = warning()
    op = Operator(name="sara", roles=frozenset({Role.OPERATOR}))
    with pytest.raises(PermissionDenied):
        rig.engine.publish_cap(alert, op, "flood")
    with pytest.raises(PermissionDenied, match="needs a reason"):
        rig.engine.publish_cap(alert, CREW, " ")
    path = rig.engine.publish_cap(alert, CREW, "river at flood stage", tmp_path / "w.xml")
    assert parse_cap(path.read_bytes()).alerts[0].identifier == alert.identifier
    audit = rig.audits()[-1]
    assert (audit.kind, audit.operator, audit.subject) == ("cap-publish", "maryam", alert.identifier)
    assert audit.detail["reason"] == "river at flood stage"
    broken = msgspec.structs.replace(alert, scope="Nowhere")
    with pytest.raises(CapError):
        rig.engine.publish_cap(broken, CREW, "x", tmp_path / "bad.xml")
    assert not (tmp_path / "bad.xml").exists()


def test_ingest_cli_cap(corpus, tmp_path):
    files = [
        corpus / f"{TD}/canada.cap",
        corpus / f"{TD}/amber.atom",
        corpus / f"{TD}/invalid.cap",
        corpus / f"{TD}/xee.cap",
    ]
    out = subprocess.run(
        [sys.executable, "main.py", "ingest", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = [json.loads(ln) for ln in out.stdout.splitlines()]
    assert [ln["topic"] for ln in lines] == ["cap/alert", "cap/alert"]
    assert lines[0]["attributes"]["msgType"]["value"] == "Update"
    rejected = [ln for ln in out.stderr.splitlines() if ": note:" not in ln and ": warning:" not in ln]
    assert len(rejected) == 2
    assert rejected[0].endswith("invalid.cap: alert 12345: required <scope> is missing")
    assert "xee.cap: XML with a DTD" in rejected[1]
