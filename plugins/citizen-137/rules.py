"""Qt-free logic of the 137 citizen-reports plugin: the triage desk wired to the console.

`CitizenDepartment` owns the `TriageDesk` (triage.py), feeds it from `report/137`, journals every
operator action as an AuditEvent, keeps two map layers (open cases as pins coloured by urgency and
pulsing when overdue; active cluster alarms as circles) and finds the reports behind each cluster
alarm raised by a count-in-area rule on report/137 (its own rules.toml, or the console's rule files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console import i18n
from console.departments import DataClock, Department
from console.maplayers import FeatureStyle, LegendItem, MapFeature, MapLayer, alarm_style
from console.mapstyle import PRIORITY_COLOURS
from console.model import Operator, Priority

from .triage import Case, TriageConfig, TriageDesk, load_config

NAME = "citizen-137"
PINS = "citizen-137.reports"
CLUSTERS = "citizen-137.clusters"
ACTIVE_STATES = ("unack", "acked")


def urgency_colour(urgency: int) -> str:
    return PRIORITY_COLOURS[Priority(min(4, max(1, urgency)))]


@dataclass(frozen=True)
class Cluster:
    """An active cluster alarm of this plugin and the open cases inside its circle."""

    alarm: Any  # console.alarms.alarm.Alarm (a copy)
    radius_m: float
    category: str
    cases: tuple[Case, ...]


class CitizenDepartment(Department):
    def __init__(self, folder: Path):
        super().__init__(name=NAME, folder=folder, topics=())
        self.triage_config: TriageConfig = load_config(folder / "triage.toml")
        self.clock = DataClock()
        self.triage = TriageDesk(self.triage_config, self.clock, on_action=self._journal)
        self.pins = MapLayer(PINS, "گزارش‌های ۱۳۷ در دست بررسی", "137 reports in triage", z=35)
        self.cluster_layer = MapLayer(CLUSTERS, "خوشه‌های گزارش ۱۳۷", "137 report clusters", z=36)

    # -- wiring ----------------------------------------------------------------------------------------
    def activate(self, ctx: Any) -> None:
        super().activate(ctx)  # strings.toml, rules.toml (the cluster rules)
        self.pins.legend = [
            LegendItem(
                urgency_colour(u),
                i18n.tr(f"c137.urgency.{u}", "fa"),
                i18n.tr(f"c137.urgency.{u}", "en"),
                "triangle",
            )
            for u in (4, 3, 2, 1)
        ]
        ctx.subscribe("report/137", self.on_reports, worker=True)  # intake never runs on the UI thread
        self.every(1.0, self.update_layers, "map")  # pins age (overdue) and clusters come and go
        ctx.add_map_layer(self.pins, self.pins.title_fa, self.pins.title_en)
        ctx.add_map_layer(self.cluster_layer, self.cluster_layer.title_fa, self.cluster_layer.title_en)
        ctx.add_kpi(
            "people",
            "c137_open",
            lambda: float(self.triage.stats().open),
            title_fa="گزارش‌های باز ۱۳۷",
            title_en="Open 137 reports",
        )
        ctx.add_kpi(
            "governance",
            "c137_overdue",
            lambda: float(self.triage.stats().overdue),
            title_fa="گزارش‌های ۱۳۷ با مهلت گذشته",
            title_en="Overdue 137 reports",
        )
        ctx.add_kpi(
            "governance",
            "c137_triage_sla",
            self.triage_sla_percent,
            title_fa="بررسی به‌موقع گزارش‌های ۱۳۷",
            title_en="137 reports triaged within service level",
            unit="%",
        )

    def on_reports(self, topic: str, items: list[Any]) -> None:
        """Bus callback (report/137, on its own worker thread): new cases (pins follow within a second)."""
        self.triage.on_reports(topic, items)

    def _journal(self, kind: str, subject: str, detail: dict[str, Any], operator: Operator) -> None:
        self.audit(kind, subject, detail, operator)

    def triage_sla_percent(self) -> float | None:
        share = self.triage.stats().triaged_in_sla
        return None if share is None else round(100.0 * share, 1)

    # -- clusters --------------------------------------------------------------------------------------
    def clusters(self) -> list[Cluster]:
        """Active cluster alarms over 137 reports (this plugin's rules and any other count rule on
        report/137) with the open cases inside each circle."""
        engine = self.service("alarms")
        if engine is None:
            return []
        rules = {r.id: r for r in engine.rules() if r.kind == "count" and r.topic == "report/137"}
        _version, alarms = engine.snapshot()
        out = []
        for a in alarms:
            rule = rules.get(a.rule_id)
            if rule is None or a.state.value not in ACTIVE_STATES or a.lat is None or a.lon is None:
                continue
            category = rule.match.get("category", "")
            cases = self.triage.cases_near(a.lat, a.lon, rule.radius_m, category or None)
            out.append(Cluster(a, rule.radius_m, category, tuple(cases)))
        out.sort(key=lambda c: (-int(c.alarm.priority), -len(c.cases), c.alarm.raised_t))
        return out

    # -- map -------------------------------------------------------------------------------------------
    def update_layers(self, clusters: list[Cluster] | None = None) -> None:
        """Pins for open cases and circles for active clusters (only real changes reach the map)."""
        self.update_pins()
        if clusters is None and self.service("alarms") is not None:
            clusters = self.clusters()
        self.cluster_layer.replace(self._circle(c) for c in clusters or [])

    def update_pins(self) -> None:
        now = self.clock.now()
        self.pins.replace(
            self._pin(c, now) for c in self.triage.cases() if c.lat is not None and c.lon is not None
        )

    def _pin(self, c: Case, now: int) -> MapFeature:
        overdue = self.triage.overdue(c, now)
        cfg, lang = self.triage_config, i18n.lang()
        dept = c.department or c.suggested_department
        return MapFeature.point(
            c.id,
            c.lat,
            c.lon,
            style=FeatureStyle(
                color=urgency_colour(c.urgency),
                fill=urgency_colour(c.urgency),
                fill_opacity=0.9 if c.status == "new" else 0.45,
                symbol="triangle",
                radius_px=5.0 + c.urgency,
                pulse=overdue,
                label=str(len(c.members)) if len(c.members) > 1 else "",
            ),
            title_fa=f"{cfg.category_title(c.category, 'fa')} — {c.report.street}".strip(" —"),
            title_en=f"{cfg.category_title(c.category, 'en')} — {c.id}",
            entity=c.id,
            priority=c.urgency,
            props={  # values in the interface language (the layer is rebuilt every second)
                "c137.prop.status": i18n.tr(f"c137.status.{c.status}"),
                "c137.prop.urgency": i18n.tr(f"c137.urgency.{c.urgency}"),
                "c137.prop.department": cfg.department_title(dept, lang) if dept else "—",
                "c137.prop.reports": len(c.members),
                "c137.prop.overdue": i18n.tr("c137.yes" if overdue else "c137.no"),
                "c137.prop.text": c.report.text,
            },
            t=c.opened_t,
        )

    def _circle(self, cl: Cluster) -> MapFeature:
        a = cl.alarm
        style = alarm_style(a.priority, unacknowledged=a.state.value == "unack")
        return MapFeature.circle_area(
            a.id,
            a.lat,
            a.lon,
            cl.radius_m,
            style=FeatureStyle(color=style.color, fill=style.fill, fill_opacity=0.15, weight=2.0, dash="6 4"),
            title_fa=a.title("fa"),
            title_en=a.title("en"),
            entity=a.id,
            priority=int(a.priority),
            props={"c137.prop.reports": len(cl.cases), "c137.prop.alarm": a.message(i18n.lang())},
            t=a.raised_t,
        )
