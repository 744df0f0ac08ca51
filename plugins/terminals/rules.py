"""Intercity terminals, Qt-free: arrivals and departures boards, delayed and cancelled services,
crowding in the halls.

The boards come from the terminals' information system (`transit/service`: one reading per
service with its scheduled and expected time and state); hall figures from `transit/terminal`.
Per terminal the desk publishes `derived/terminals/board` (TerminalBoard) whenever boards change: values
{delayed (services at least `delayed_min` late and still to go), cancelled (on the board),
on_time_pct (departures of the last and next hour less than `on_time_min` late), max_delay (min)}.
"""

from __future__ import annotations

from typing import Any

from console.departments import Desk, KpiSpec
from console.maplayers import FeatureStyle, MapFeature

NS = 1_000_000_000
DONE = ("departed", "arrived")


class TerminalsDesk(Desk):
    def __init__(self, dept: Any):
        super().__init__(dept)
        self.services = self.table()
        self.halls = self.table()
        self.boards: dict[str, dict[str, float]] = {}
        self.now = 0
        self.hall_layer = self.layer(
            "terminals.halls", "پایانه‌ها", "Terminals", 30,
            ("#3fb950", "عادی", "Normal", "square"),
            ("#d29922", "شلوغ یا با تأخیر", "Crowded or delays", "square"),
            ("#ff6b6b", "ازدحام شدید یا لغو", "Overcrowded or cancellations", "square"),
        )  # fmt: skip

    def subscriptions(self):
        return {"transit/service": self.on_services, "transit/terminal": self.on_halls}

    def layers(self):
        return [self.hall_layer]

    def kpis(self):
        return [
            KpiSpec(
                "mobility",
                "terminals.on_time",
                "حرکت‌های به‌موقع پایانه‌ها",
                "Terminal departures on time",
                self.on_time_pct,
                "%",
            ),
            KpiSpec(
                "people", "terminals.people", "مسافران در سالن‌ها", "People in terminal halls", self.people
            ),
            KpiSpec(
                "mobility", "terminals.cancelled", "سرویس‌های لغوشده", "Cancelled services", self.cancelled
            ),
        ]

    # -- inputs ---------------------------------------------------------------------------------------
    def on_halls(self, topic: str, items: list[Any]) -> None:
        self.halls.on_readings(topic, items)
        with self.lock:
            self._draw()

    def on_services(self, topic: str, items: list[Any]) -> None:
        _readings, now = self.batch(self.services, topic, items)
        if not now:
            return
        with self.lock:
            self.now = max(self.now, now)
            keep = self.param("keep_s", 5400.0) * NS
            for row in self.services.rows():  # services long gone fall off the boards
                if self.now - int(row.reading.attrs.get("expected", row.reading.t)) > keep:
                    self.services.forget(row.entity)
            self.boards = self._boards()
            rows = [self._row(term, st) for term, st in self.boards.items()]
            self._draw()
        self.emit("board", rows, now, etype="TerminalBoard")

    # -- judgement ------------------------------------------------------------------------------------
    def _boards(self) -> dict[str, dict[str, float]]:
        delayed_min, on_time_min = self.param("delayed_min", 15.0), self.param("on_time_min", 10.0)
        boards: dict[str, dict[str, float]] = {}
        hour = 3600 * NS
        for row in self.services.rows():
            if row.stale:
                continue
            a = row.reading.attrs
            st = boards.setdefault(
                str(a.get("terminal", "")), {"delayed": 0.0, "cancelled": 0.0, "max_delay": 0.0}
            )
            delay = row.value("delay") or 0.0
            status = a.get("status", "")
            if status == "cancelled":
                st["cancelled"] += 1
                continue
            if status not in DONE:
                st["max_delay"] = max(st["max_delay"], delay)
                if delay >= delayed_min:
                    st["delayed"] += 1
            if a.get("direction") == "departure" and abs(int(a.get("scheduled", 0)) - self.now) <= hour:
                st["_deps"] = st.get("_deps", 0.0) + 1
                st["_ok"] = st.get("_ok", 0.0) + (delay < on_time_min)
        for st in boards.values():
            deps, ok = st.pop("_deps", 0.0), st.pop("_ok", 0.0)
            if deps:
                st["on_time_pct"] = round(100.0 * ok / deps, 1)
        return boards

    def _row(self, term: str, st: dict[str, float]):
        hall = self.halls.get(term)
        attrs = {"terminal": term}
        lat = lon = None
        if hall is not None:
            a = hall.reading.attrs
            attrs.update(
                name_fa=a.get("name_fa", term), name_en=a.get("name_en", term), district=hall.district
            )
            lat, lon = hall.reading.lat, hall.reading.lon
        return term, dict(st), attrs, lat, lon

    # -- map ------------------------------------------------------------------------------------------
    def _draw(self) -> None:
        feats = []
        for hall in self.halls.rows():
            r = hall.reading
            if r.lat is None:
                continue
            crowding = hall.value("crowding") or 0.0
            board = self.boards.get(hall.entity, {})
            bad = crowding >= self.param("overcrowded_pct", 90.0) or board.get("cancelled", 0) >= 3
            busy = crowding >= self.param("crowded_pct", 70.0) or board.get("delayed", 0) >= 3
            colour = "#ff6b6b" if bad else "#d29922" if busy else "#3fb950"
            feats.append(
                MapFeature.point(
                    hall.entity,
                    r.lat,
                    r.lon,
                    style=FeatureStyle(
                        color=colour,
                        fill=colour,
                        fill_opacity=0.85,
                        radius_px=10,
                        symbol="square",
                        label=f"{crowding:.0f}%",
                    ),
                    title_fa=str(r.attrs.get("name_fa", hall.entity)),
                    title_en=str(r.attrs.get("name_en", hall.entity)),
                    entity=hall.entity,
                    props={
                        "crowding %": crowding,
                        "delayed": board.get("delayed", 0),
                        "cancelled": board.get("cancelled", 0),
                    },
                )
            )
        self.hall_layer.replace(feats)

    # -- views and KPIs -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "services": self.services.rows(),
                "halls": self.halls.rows(),
                "boards": {k: dict(v) for k, v in self.boards.items()},
                "now": self.now,
            }

    def on_time_pct(self) -> float | None:
        with self.lock:
            values = [b["on_time_pct"] for b in self.boards.values() if "on_time_pct" in b]
        return round(sum(values) / len(values), 1) if values else None

    def people(self) -> float | None:
        halls = [h for h in self.halls.rows() if not h.stale and h.value("crowd") is not None]
        return float(sum(h.value("crowd") for h in halls)) if halls else None

    def cancelled(self) -> float | None:
        with self.lock:
            return float(sum(b.get("cancelled", 0) for b in self.boards.values())) if self.boards else None
