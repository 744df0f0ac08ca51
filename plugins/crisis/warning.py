"""Public warnings (CAP 1.2) drafted from an alarm, Qt-free.

`draft_from_alarm` writes a first draft in Persian and English from the alarm, the districts its area
touches and their residents, with the instruction for its priority; the crisis panel opens the alarm
room's CAP composer (widgets/alarm_dialogs.CapComposer) filled with it, the operator edits every text,
and publishing goes through the alarm room's exporter (`AlarmEngine.publish_cap`: the `cap.publish`
role, a reason, CAP 1.2 XML checked by re-import, a `cap-publish` AuditEvent). `cap_unavailable` says
why a console cannot publish (no engine or no exporter) so nothing pretends to.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from console import i18n
from console.model import Operator, Priority
from console.roles import allowed

from .overview import CrisisConfig, Overview

LANGUAGES = {"fa": "fa-IR", "en": "en-US"}
MIN_RADIUS_M = 500.0


@dataclass
class WarningDraft:
    alarm_id: str
    severity: str
    urgency: str = "Immediate"
    certainty: str = "Observed"
    category: str = "Safety"
    expires_h: float = 6.0
    texts: dict[str, dict[str, str]] = field(default_factory=dict)  # "fa"/"en" -> field -> text
    circles: list[tuple[float, float, float]] = field(default_factory=list)  # (lat, lon, radius km)
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)  # rings of (lat, lon)

    def problems(self) -> list[str]:
        """What stops publishing (empty when the draft is complete)."""
        out = []
        for lang in LANGUAGES:
            for name in ("event", "headline"):
                if not self.texts.get(lang, {}).get(name, "").strip():
                    out.append(f"{lang}: {name} is empty")
        if not self.circles and not self.polygons:
            out.append("the warning has no area")
        return out


def draft_from_alarm(
    alarm: Any,
    overview: Overview,
    config: CrisisConfig,
    district_name: Callable[[str, str], str],
    radius_m: float | None,
) -> WarningDraft:
    """A first draft from an alarm: its titles, message, affected districts and population."""
    prio = Priority(int(alarm.priority))
    rows = {d.id: d for d in overview.districts if d.id}
    ids = overview.touched.get(alarm.id) or ([alarm.district] if alarm.district in rows else [])
    named = [rows[i] for i in ids if i in rows]
    draft = WarningDraft(
        alarm_id=alarm.id,
        severity=prio.cap_severity,
        expires_h=config.cap.expires_h,
    )
    people = sum(d.population for d in named)
    for lang in LANGUAGES:
        names = (
            "، ".join(district_name(d.id, lang) for d in named)
            if lang == "fa"
            else ", ".join(district_name(d.id, lang) for d in named)
        )
        instruction = config.cap.instruction.get(prio, ("", ""))
        draft.texts[lang] = {
            "event": alarm.title(lang),
            "headline": i18n.tr("crisis.cap.headline", lang, title=alarm.title(lang), where=names or "—"),
            "description": i18n.tr(
                "crisis.cap.description",
                lang,
                message=alarm.message(lang) or alarm.title(lang),
                where=names or "—",
                people=i18n.number(people, 0, lang),
            ),
            "instruction": instruction[0] if lang == "fa" else instruction[1],
            "area_desc": names or alarm.title(lang),
        }
    if alarm.geometry and alarm.geometry.get("type") == "Polygon":
        draft.polygons = [[(lat, lon) for lon, lat in ring] for ring in alarm.geometry["coordinates"][:1]]
    elif alarm.lat is not None and alarm.lon is not None:
        draft.circles = [(alarm.lat, alarm.lon, max(radius_m or 0.0, MIN_RADIUS_M) / 1000.0)]
    return draft


# -- publishing ----------------------------------------------------------------------------------------
def cap_unavailable(engine: Any) -> str:
    """Why a warning cannot be published from this console ("" when it can)."""
    if engine is None:
        return i18n.tr("crisis.cap.no_engine")
    if importlib.util.find_spec("console.alarms.cap") is None or not callable(
        getattr(engine, "publish_cap", None)
    ):
        return i18n.tr("crisis.cap.no_exporter")
    return ""


def may_publish(operator: Operator) -> bool:
    return allowed(operator, "cap.publish")
