"""Fire & rescue department for Rasad: shipped as its own package, found via the `rasad.plugins` entry point."""

from __future__ import annotations

from pathlib import Path

from .rules import FireDesk, load_config

STRINGS = {
    "firefighting.summary": {
        "fa": "گزارش‌های باز: {n} — خطر گسترش آتش: {risk}٪",
        "en": "Open reports: {n} — fire-spread risk: {risk}%",
    },
    "firefighting.na": {"fa": "نامعلوم", "en": "unknown"},
}
_desk: FireDesk | None = None


def activate(ctx) -> None:
    global _desk
    desk = FireDesk(load_config(Path(__file__).parent))
    _desk = desk
    ctx.add_strings(STRINGS)
    ctx.subscribe("report/137", desk.on_reports)
    ctx.subscribe("weather/station", desk.on_weather)
    ctx.add_kpi(
        "people",
        "fire_reports_open",
        lambda: float(len(desk.open_reports())),
        title_fa="گزارش‌های باز آتش‌نشانی",
        title_en="Open fire & rescue reports",
    )
    ctx.add_kpi(
        "infrastructure",
        "fire_spread_risk",
        desk.spread_risk,
        title_fa="خطر گسترش آتش",
        title_en="Fire-spread risk",
        unit="0..1",
    )

    def make_panel(parent):
        from .panel import FirePanel  # Qt only when the console has a screen

        return FirePanel(desk, parent)

    ctx.add_panel(make_panel, "آتش‌نشانی", "Fire & rescue")
    ctx.on_dispose(_forget)


def _forget() -> None:
    global _desk
    _desk = None


def deactivate() -> None:
    """Everything registered through ctx is undone by the host; nothing else to release."""
