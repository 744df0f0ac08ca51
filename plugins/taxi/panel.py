"""The taxi management panel (Qt): supply and demand per district, payment terminals."""

from __future__ import annotations

from console import i18n
from widgets.department_panel import (
    DISTRICT_NAME,
    Bar,
    Column,
    DepartmentPanel,
    Tile,
    band,
    level_colour,
    word,
)

from .rules import TaxiDesk


class TaxiPanel(DepartmentPanel):
    tile_columns = 6
    keep_order = True  # most urgent first, as filled

    def build(self) -> None:
        self.bars, _ = self.add_bars_table(
            "districts",
            "مناطق",
            "Districts",
            [
                DISTRICT_NAME,
                Column("free", "تاکسی آزاد", "Free taxis", "number"),
                Column("hired", "در سفر", "Hired", "number"),
                Column("waiting", "مسافر منتظر", "People waiting", "number"),
                Column("requests", "درخواست در ساعت", "Requests per hour", "number"),
                Column("wait", "انتظار (دقیقه)", "Wait (min)", "number", 1),
                Column("gave_up", "منصرف‌شده (۱۵ دقیقه)", "Gave up (15 min)", "number"),
                Column("shortage", "منتظر به ازای تاکسی آزاد", "Waiting per free taxi", "number", 1),
                Column("payment", "پرداخت قطع ٪", "Payment offline %", "number"),
            ],
        )
        self.add_table(
            "terminals",
            "پایانه‌های پرداخت",
            "Payment terminals",
            [
                Column("entity", "تاکسی", "Taxi"),
                Column("payment", "پایانهٔ پرداخت", "Payment terminal"),
                Column("status", "وضعیت تاکسی", "Taxi"),
                Column("speed", "سرعت", "Speed (km/h)", "number"),
            ],
        )

    def fill(self, desk: TaxiDesk, snap: dict) -> None:
        stats = snap["stats"]
        lang = i18n.lang()
        short, severe = desk.param("shortage", 2.0), desk.param("severe_shortage", 4.0)
        rows, bars = [], []
        for d, st in sorted(stats.items(), key=lambda kv: (kv[0] != "all", kv[0])):
            index = st.get("shortage")
            level = band(index, short, severe)
            name = i18n.tr("taxi.city") if d == "all" else desk.districts.name(d, lang)
            rows.append(
                {
                    "entity": "" if d == "all" else d,
                    "name": name,
                    "free": st.get("free"),
                    "hired": st.get("hired"),
                    "waiting": st.get("waiting"),
                    "requests": st.get("requests_h"),
                    "wait": st.get("wait_min"),
                    "gave_up": st.get("abandoned"),
                    "shortage": index,
                    "payment": st.get("payment_offline_pct"),
                    "_colour": level_colour(level) if level in ("warn", "alarm") else "",
                }
            )
            if d != "all":
                bars.append(
                    Bar(
                        d,
                        name,
                        st.get("free"),
                        max(1.0, max((s.get("free", 0) for k, s in stats.items() if k != "all"), default=1)),
                        level_colour(level) if level in ("warn", "alarm") else "#f4d35e",
                        i18n.tr(
                            "taxi.bar",
                            free=i18n.number(st.get("free")),
                            waiting=i18n.number(st.get("waiting")),
                        ),
                    )
                )
        self.bars.set_bars(bars)
        self.set_rows("districts", rows)
        issues = [r for r in snap["taxis"] if r.reading.attrs.get("payment", "ok") != "ok" or r.stale]
        self.set_rows(
            "terminals",
            [
                {
                    "entity": r.entity,
                    "payment": word("dept.status", "stale" if r.stale else r.reading.attrs.get("payment")),
                    "status": word("taxi.status", r.reading.attrs.get("status")),
                    "speed": r.value("speed"),
                    "_colour": level_colour(
                        "stale"
                        if r.stale
                        else "alarm"
                        if r.reading.attrs.get("payment") == "fault"
                        else "warn"
                    ),
                }
                for r in sorted(issues, key=lambda r: r.entity)
            ],
        )
        city = stats.get("all", {})
        n_short = sum(1 for d, st in stats.items() if d != "all" and (st.get("shortage") or 0) >= short)
        total = city.get("free", 0) + city.get("hired", 0)
        offline = city.get("payment_offline_pct")
        self.set_tiles(
            [
                Tile(
                    "free",
                    "تاکسی آزاد",
                    "Free taxis",
                    city.get("free"),
                    status="ok" if city.get("free") else "warn" if city else "none",
                ),
                Tile(
                    "hired",
                    "در سفر",
                    "Hired",
                    None if not total else 100.0 * city.get("hired", 0) / total,
                    "%",
                ),
                Tile(
                    "waiting",
                    "مسافر منتظر",
                    "People waiting",
                    city.get("waiting"),
                    status="warn"
                    if (city.get("waiting") or 0) > 20
                    else "ok"
                    if "waiting" in city
                    else "none",
                ),
                Tile(
                    "short",
                    "مناطق دچار کمبود",
                    "Districts short of taxis",
                    float(n_short) if stats else None,
                    status="alarm" if n_short else "ok" if stats else "none",
                ),
                Tile(
                    "wait",
                    "بیشترین انتظار",
                    "Longest wait",
                    city.get("wait_min"),
                    i18n.tr("dept.unit.min"),
                    1,
                ),
                Tile(
                    "pay",
                    "پرداخت برقرار",
                    "Payment online",
                    None if offline is None else 100.0 - offline,
                    "%",
                    status=band(offline, 5, 10),
                ),
            ]
        )
        self.show_provenance(snap["taxis"])
