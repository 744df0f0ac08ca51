"""The public warning an air-pollution episode calls for: composed in Persian and English as CAP 1.2
(status Draft) the moment the episode starts, validated, and saved for a crisis manager.

What it says comes from what is measured at that moment: the stations at or above the episode band,
the highest AQI and where, the dominant pollutant, the districts the area covers and roughly how many
people live there. The advice follows the AQI category (US EPA health messages). The area is the
merged circles around those stations, as CAP polygons. Severity is the alarm's priority.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from console import i18n
from console.airquality import category
from console.alarms.cap import CapArea, WarningText, compose_warning, parse_cap, to_xml, validate_xsd
from console.areas import cap_polygons
from console.capdrafts import CapDraft
from console.catalog import signal_meta
from console.mapstyle import AQI_BANDS
from console.model import now_ns

NS = 1_000_000_000
LANGUAGES = (("fa", "fa-IR"), ("en", "en-US"))
ADVICE = {
    3: "environment.cap.advice_unhealthy",
    4: "environment.cap.advice_very",
    5: "environment.cap.advice_hazardous",
}


def _text(
    desk: Any, episode: Any, live: list, above: list, shares: list, lang: str, code: str
) -> WarningText:
    top = next((s for s in above if s.entity in episode.stations), None) or (
        max(live, key=lambda s: s.aqi) if live else None
    )
    cat = max(2, category(episode.max_aqi))
    pollutant = signal_meta("AirQualityObserved", episode.dominant).title_en if episode.dominant else "—"
    sep = "، " if lang == "fa" else ", "
    districts = sep.join(desk.district_name(sh.district.id, lang) for sh in shares) or "—"
    people = sum(sh.people for sh in shares)
    start = i18n.format_clock(i18n.local_time(episode.started, desk.timezone), lang, seconds=False)
    band = AQI_BANDS[cat][2]
    fmt = {
        "max": round(episode.max_aqi or 0),
        "n": len(above),
        "total": len(live),
        "station": desk.place_name(top.entity, lang, top.row) if top else "—",
        "pollutant": pollutant,
        "districts": districts,
        "people": i18n.number(round(people, -3), 0, lang),
        "start": start,
        "band": i18n.tr(band, lang),
        "floor": round(float(desk.config["episode_aqi"])),
    }
    return WarningText(
        language=code,
        event=i18n.tr("environment.cap.event", lang),
        headline=i18n.tr("environment.cap.headline", lang, **fmt),
        description=i18n.tr("environment.cap.description", lang, **fmt),
        instruction=i18n.tr(ADVICE.get(cat, ADVICE[3]), lang),
        area_desc=i18n.tr("environment.cap.area", lang, districts=districts),
        sender_name=i18n.tr("environment.cap.sender", lang),
    )


def draft_warning(
    desk: Any, episode: Any, tr: Any, live: list, above: list, shares: list, previous: CapDraft | None = None
) -> CapDraft:
    """Compose, check and save the draft warning of an episode that has just started or grown more
    severe. After a published warning, the new draft is an Update that references it."""
    engine = desk.service("alarms")
    sender = engine.cap_sender() if hasattr(engine, "cap_sender") else "rasad@console"
    sent = tr.t or now_ns()
    references = []
    if previous is not None and previous.state == "published" and previous.published_sent:
        references = [
            (str(previous.alert.get("sender", sender)), previous.identifier, previous.published_sent)
        ]
    texts = [_text(desk, episode, live, above, shares, lang, code) for lang, code in LANGUAGES]
    rings = cap_polygons(episode.area)
    areas = [CapArea(desc=texts[0].area_desc, polygons=rings)] if rings else []
    alert = compose_warning(
        sender=sender,
        texts=texts,
        severity=episode.priority.cap_severity,
        urgency="Immediate",
        certainty="Observed",
        categories=("Env", "Health"),
        response_types=("Avoid", "Monitor"),
        sent=sent,
        expires=sent + int(float(desk.config["warning_hours"]) * 3600 * NS),
        areas=areas,
        status="Draft",
        msg_type="Update" if references else "Alert",
        references=references,
        note=f"Drafted by Rasad on alarm {tr.alarm_id}; needs review and publication by a crisis manager.",
        tz=desk.timezone,
    )
    xml = to_xml(alert, desk.timezone)
    problems = []
    try:
        parse_cap(xml)  # our own output must pass our own import
    except ValueError as exc:
        problems.append(f"import check: {exc}")
    schema = getattr(getattr(engine, "config", None), "cap_schema", "") or ""
    if schema:
        problems += validate_xsd(xml, Path(schema))
    draft = CapDraft(
        identifier=alert.identifier,
        created=sent,
        source=f"plugin:{desk.name}",
        alarm_id=tr.alarm_id,
        headline_fa=texts[0].headline,
        headline_en=texts[1].headline,
        severity=episode.priority.cap_severity,
        alert=msgspec.to_builtins(alert),
        xml=xml.decode("utf-8"),
        problems=problems,
        schema=schema,
        updated=sent,
    )
    desk.drafts.save(draft)
    return draft
