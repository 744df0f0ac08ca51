"""Intercity terminals: timetabled coach and rail services with delays, cancellations and crowds.

Each terminal (city place kind "terminal"; the third is the railway station, the others coach
terminals) has a rolling timetable of departures and arrivals at five-minute marks of local time,
denser by day. Every service carries a delay drawn when it is timetabled (most on time, a few
late); traffic trouble in the city (a scenario's speed drop or heavy rain) adds delay to coaches
still to come, heavy rain cancels some coaches and an earthquake cancels a share of the coaches and
suspends rail for track inspection while people crowd the halls to leave the city.

Published every 30 s:
- `transit/service` (TransitService): one reading per service on the board (30 min back to 2 h
  ahead): values {delay (min)}; attrs {terminal, direction: departure|arrival, city_fa/city_en,
  operator_fa/operator_en, service_no, platform, mode: coach|rail, scheduled, expected (int ns),
  status: scheduled|boarding|delayed|departed|arrived|cancelled}.
- `transit/terminal` (Terminal): per terminal: values {passengers (pax/h through the terminal),
  departures (/h), delay (mean min over the next hour's departures), crowd (people in the hall),
  crowding (% of the hall's capacity)}; attrs {name_fa, name_en, district, mode, capacity}.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from console.sim.effects import EffectState
from console.sim.physics import activity
from console.sim.sensors import Clock, Row, Sites

# city, Persian name, weight
CITIES = (
    ("Tehran", "تهران", 10),
    ("Isfahan", "اصفهان", 4),
    ("Kashan", "کاشان", 3),
    ("Mashhad", "مشهد", 3),
    ("Shiraz", "شیراز", 2),
    ("Yazd", "یزد", 2),
    ("Arak", "اراک", 3),
    ("Saveh", "ساوه", 2),
    ("Qazvin", "قزوین", 1),
    ("Rasht", "رشت", 1),
    ("Tabriz", "تبریز", 1),
    ("Kerman", "کرمان", 1),
    ("Hamadan", "همدان", 1),
    ("Ahvaz", "اهواز", 1),
)
COACH_OPERATORS = (
    ("Iran Peyma", "ایران‌پیما"),
    ("Hamsafar", "همسفر"),
    ("Seir-o-Safar", "سیروسفر"),
    ("Royal Safar", "رویال سفر"),
    ("Adl", "عدل"),
)
RAIL_OPERATORS = (("RAJA", "رجا"), ("Fadak", "فدک"))
BOARD_BEFORE_S = 1800.0
BOARD_AFTER_S = 7200.0
BOARDING_S = 1200.0  # boarding opens 20 minutes before departure
HORIZON_S = 3 * 3600.0
RAIL_INDEX = 2


@dataclass
class Service:
    id: str
    terminal: int
    departure: bool
    scheduled_s: float  # simulated seconds
    city: int
    operator: tuple[str, str]
    platform: int
    pax: int
    delay_min: float
    service_no: str
    cancelled: bool = False

    @property
    def expected_s(self) -> float:
        return self.scheduled_s + self.delay_min * 60.0


class Intercity(Sites):
    def __init__(self, places: list[dict], rng: np.random.Generator):
        super().__init__(places, rng)
        self.hour0 = 0.0
        self.rail = [i == RAIL_INDEX for i in range(self.n)]
        self.capacity = [1500 if r else int(rng.integers(900, 1800)) for r in self.rail]
        self.services: list[Service] = []
        self.next_s = [[0.0, 0.0] for _ in range(self.n)]  # next timetable slot: [arrival, departure]
        self.count = 0
        self.s = 0.0
        self.lingering = np.zeros(self.n)  # passengers of cancelled services still in the hall
        self.surge = np.zeros(self.n)  # people arriving to leave the city after an earthquake
        self._quake_seen = False
        w = np.array([c[2] for c in CITIES], dtype=float)
        self._city_p = w / w.sum()

    def timetable(self, hour0: float) -> None:
        """(Re)build the boards for a clock starting at local hour `hour0` (before the first tick)."""
        self.hour0 = hour0
        self.services.clear()
        first = (-hour0 * 3600.0) % 300.0 - BOARD_BEFORE_S  # slots on five-minute marks of local time
        self.next_s = [[first, first] for _ in range(self.n)]
        self._fill(0.0)

    # -- timetable --------------------------------------------------------------------------------
    def _hour(self, s: float) -> float:
        return (self.hour0 + s / 3600.0) % 24.0

    def _per_hour(self, i: int, s: float) -> float:
        base = 1.2 if self.rail[i] else 3.0 + 6.0 * self.size_of(i)
        return base * (0.25 + 0.75 * activity(self._hour(s)) / 0.85)

    def size_of(self, i: int) -> float:
        return (self.capacity[i] - 900) / 900.0

    def _fill(self, s: float) -> None:
        rng = self.rng
        for i in range(self.n):
            for d in (0, 1):
                while self.next_s[i][d] < s + HORIZON_S:
                    at = self.next_s[i][d]
                    gap = 3600.0 / max(0.3, self._per_hour(i, at)) * rng.uniform(0.7, 1.3)
                    self.next_s[i][d] = at + max(300.0, round(gap / 300.0) * 300.0)
                    self._timetable(i, bool(d), at)

    def _timetable(self, i: int, departure: bool, at: float) -> None:
        rng = self.rng
        self.count += 1
        u = rng.random()
        delay = (
            0.0 if u < 0.75 else rng.uniform(1, 8) if u < 0.94 else rng.uniform(8, 20) if u < 0.99 else 28.0
        )
        operators = RAIL_OPERATORS if self.rail[i] else COACH_OPERATORS
        self.services.append(
            Service(
                id=f"{self.ids[i]}-{'D' if departure else 'A'}{self.count:05d}",
                terminal=i,
                departure=departure,
                scheduled_s=at,
                city=int(rng.choice(len(CITIES), p=self._city_p)),
                operator=operators[int(rng.integers(len(operators)))],
                platform=int(rng.integers(1, 5 if self.rail[i] else 21)),
                pax=int(rng.integers(150, 400)) if self.rail[i] else int(rng.integers(18, 44)),
                delay_min=float(round(delay)),
                service_no=str(int(rng.integers(100, 1000))),
            )
        )

    # -- one tick ---------------------------------------------------------------------------------
    def update(self, s: float, dt: float, clock: Clock, fx: EffectState) -> None:
        self.s = s
        self._fill(s)
        rng = self.rng
        trouble = 1.0 - float(np.mean(fx.road_factor)) + 0.3 * min(1.0, fx.rain_mm_h / 30.0)
        quake = fx.quake is not None and not self._quake_seen
        self._quake_seen = self._quake_seen or fx.quake is not None
        for svc in self.services:
            if svc.cancelled or svc.expected_s <= s or svc.scheduled_s > s + BOARD_AFTER_S:
                continue
            rail = self.rail[svc.terminal]
            if quake and rng.random() < (0.8 if rail else 0.3):
                self._cancel(svc)
                continue
            if not rail and fx.rain_mm_h > 25.0 and rng.random() < 0.002 * dt:
                self._cancel(svc)
                continue
            if not rail and trouble > 0.05:
                svc.delay_min += dt / 60.0 * trouble * 1.5
        self.lingering *= np.exp(-dt / 1800.0)
        if fx.quake is not None:
            self.surge += dt * np.array([0.1 if r else 0.35 for r in self.rail]) * fx.quake[2] / 5.6
        self.surge *= np.exp(-dt / 3600.0)
        # forget services that left the board
        self.services = [v for v in self.services if v.expected_s > s - BOARD_BEFORE_S - 600.0]

    def _cancel(self, svc: Service) -> None:
        svc.cancelled = True
        if svc.departure:
            self.lingering[svc.terminal] += svc.pax * 0.7

    # -- output -------------------------------------------------------------------------------------
    def crowd(self, i: int) -> float:
        """People in the hall: passengers waiting for the next departures, arrivals leaving, the rest."""
        s, people = self.s, 0.0
        for v in self.services:
            if v.terminal != i or v.cancelled:
                continue
            if v.departure:
                before = v.expected_s - s  # passengers come 45 to 5 minutes before departure
                people += v.pax * float(np.clip((2700.0 - before) / 2400.0, 0.0, 1.0)) * (before > 0)
            elif 0 <= s - v.expected_s < 900.0:
                people += v.pax * (1.0 - (s - v.expected_s) / 900.0)
        return people * 1.3 + float(self.lingering[i]) + float(self.surge[i])  # companions

    def rows(self) -> Iterator[Row]:
        s = self.s
        for i in range(self.n):
            hour = [v for v in self.services if v.terminal == i and abs(v.scheduled_s - s) <= 1800.0]
            next_dep = [
                v
                for v in self.services
                if v.terminal == i and v.departure and not v.cancelled and 0 <= v.scheduled_s - s <= 3600.0
            ]
            crowd = self.crowd(i)
            yield self.row(
                i,
                {
                    "passengers": float(sum(v.pax for v in hour if not v.cancelled)),
                    "departures": float(sum(1 for v in hour if v.departure and not v.cancelled)),
                    "delay": float(round(np.mean([v.delay_min for v in next_dep]))) if next_dep else 0.0,
                    "crowd": float(round(crowd)),
                    "crowding": float(round(100.0 * crowd / self.capacity[i])),
                },
                name_en=self.places[i]["name_en"],
                mode="rail" if self.rail[i] else "coach",
                capacity=self.capacity[i],
            )

    def service_rows(self, t_of) -> Iterator[Row]:
        """The boards: every service from 30 minutes back to 2 hours ahead. `t_of(s)` -> ns."""
        s = self.s
        for v in sorted(self.services, key=lambda v: (v.terminal, v.scheduled_s)):
            if not (s - BOARD_BEFORE_S <= v.expected_s and v.scheduled_s <= s + BOARD_AFTER_S):
                continue
            name_en, name_fa, _w = CITIES[v.city]
            yield (
                v.id,
                {"delay": float(round(v.delay_min))},
                {
                    "terminal": self.ids[v.terminal],
                    "direction": "departure" if v.departure else "arrival",
                    "city_fa": name_fa,
                    "city_en": name_en,
                    "operator_en": v.operator[0],
                    "operator_fa": v.operator[1],
                    "service_no": v.service_no,
                    "platform": v.platform,
                    "mode": "rail" if self.rail[v.terminal] else "coach",
                    "scheduled": t_of(v.scheduled_s),
                    "expected": t_of(v.expected_s),
                    "status": self._status(v, s),
                    "district": self.places[v.terminal]["district"],
                },
                None,
                None,
            )

    @staticmethod
    def _status(v: Service, s: float) -> str:
        if v.cancelled:
            return "cancelled"
        if v.expected_s <= s:
            return "departed" if v.departure else "arrived"
        if v.delay_min >= 10:
            return "delayed"
        if v.departure and v.expected_s - s <= BOARDING_S:
            return "boarding"
        return "scheduled"
