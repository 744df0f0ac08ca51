"""A synthetic but plausible Qom: 8 districts, a ring-and-radial road graph (≥200 segments), places.

Deterministic for a seed. Geometry is generated around the real city centre in a local metric
projection, stretched along the city's NE–SW axis; it is not a survey of the real streets.
"""

from __future__ import annotations

import math
import random

from console.city import City, District, Node, Road, Zone
from console.geo import LocalProjection, haversine_m

CENTER = (34.6401, 50.8764)
# The pedestrian precinct around the shrine of Fatima Masumeh (real position): bus lines go round it.
# The alarm rule bus.shrine.zone (resources/rules/qom.toml) watches the same circle.
SHRINE_ZONE = Zone("shrine", "محدودهٔ پیادهٔ حرم", "Shrine pedestrian zone", 34.6416, 50.8790, 250.0)
RING_RADII_M = (1200.0, 2600.0, 4000.0, 5500.0, 7000.0)
RADIALS = 24
STRETCH = (1.25, 0.9)  # x (east), y (north) scale: the city is elongated
ROTATE_DEG = 35.0  # along the NE–SW axis
DISTRICT_POP = (95_000, 160_000, 185_000, 170_000, 150_000, 175_000, 165_000, 140_000)
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _fa(n: int) -> str:
    return str(n).translate(_FA_DIGITS)


def build_qom(seed: int = 1405) -> City:
    rng = random.Random(seed)
    proj = LocalProjection(*CENTER)
    rot = math.radians(ROTATE_DEG)

    def xy_to_latlon(r: float, theta: float) -> tuple[float, float]:
        x, y = r * math.cos(theta) * STRETCH[0], r * math.sin(theta) * STRETCH[1]
        xr, yr = x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot)
        lat, lon = proj.to_latlon(xr, yr)
        return float(lat), float(lon)

    # -- road graph: node (ring k, radial j) plus a hub near the centre --------------------------------
    nodes: dict[int, Node] = {}
    jitter = {
        (k, j): (rng.uniform(-0.06, 0.06), rng.uniform(-0.05, 0.05))
        for k in range(len(RING_RADII_M))
        for j in range(RADIALS)
    }

    def nid(k: int, j: int) -> int:
        return k * RADIALS + (j % RADIALS) + 1

    for k, radius in enumerate(RING_RADII_M):
        for j in range(RADIALS):
            dr, dt = jitter[(k, j)]
            lat, lon = xy_to_latlon(radius * (1 + dr), 2 * math.pi * j / RADIALS + dt / (k + 1))
            nodes[nid(k, j)] = Node(nid(k, j), lat, lon)
    hub_ids = []
    for h in range(6):
        lat, lon = xy_to_latlon(450.0, 2 * math.pi * h / 6)
        hub_ids.append(10_000 + h)
        nodes[10_000 + h] = Node(10_000 + h, lat, lon)

    districts = _districts(xy_to_latlon, rng)
    city_stub = City("qom", "قم", "Qom", CENTER, districts, {}, [])

    roads: list[Road] = []

    def add_road(a: int, b: int, cls: str, name_fa: str, name_en: str) -> None:
        na, nb = nodes[a], nodes[b]
        mid_lat, mid_lon = (na.lat + nb.lat) / 2, (na.lon + nb.lon) / 2
        d = city_stub.district_at(mid_lat, mid_lon)
        limit, lanes = {"ring": (80.0, 3), "arterial": (60.0, 2), "local": (40.0, 1)}[cls]
        roads.append(
            Road(
                f"seg-{len(roads) + 1:03d}",
                a,
                b,
                name_fa,
                name_en,
                cls,
                haversine_m(na.lat, na.lon, nb.lat, nb.lon),
                limit,
                lanes,
                d.id if d else "outside",
            )
        )

    for k in range(len(RING_RADII_M)):
        cls = "ring" if k in (1, 3) else "local"
        for j in range(RADIALS):
            add_road(nid(k, j), nid(k, j + 1), cls, f"کمربند {_fa(k + 1)}", f"Ring {k + 1}")
    for j in range(RADIALS):
        cls = "arterial" if j % 2 == 0 else "local"
        name = (
            (f"محور {_fa(j // 2 + 1)}", f"Axis {j // 2 + 1}")
            if cls == "arterial"
            else (f"خیابان {_fa(j + 1)}", f"Street {j + 1}")
        )
        add_road(hub_ids[(j * 6) // RADIALS], nid(0, j), cls, *name)
        for k in range(len(RING_RADII_M) - 1):
            add_road(nid(k, j), nid(k + 1, j), cls, *name)
    for h in range(6):
        add_road(hub_ids[h], hub_ids[(h + 1) % 6], "local", "میدان مرکزی", "Central square")

    city = City("qom", "قم", "Qom", CENTER, districts, nodes, roads, synthetic=True, no_bus=[SHRINE_ZONE])
    city.places = _places(city, rng)
    return city


def _districts(xy_to_latlon, rng: random.Random) -> list[District]:
    out: list[District] = []
    inner_r = 1900.0
    outer_r = 7000.0 * 1.12
    steps = 48
    # District 1: the historic centre.
    ring = [xy_to_latlon(inner_r, 2 * math.pi * i / steps) for i in range(steps)]
    out.append(
        District(
            "d1", "منطقهٔ ۱", "District 1", tuple((lon, lat) for lat, lon in ring + ring[:1]), DISTRICT_POP[0]
        )
    )
    # Districts 2..8: sectors of the annulus with wobbly outer edges.
    sectors = 7
    for s in range(sectors):
        a0, a1 = 2 * math.pi * s / sectors, 2 * math.pi * (s + 1) / sectors
        sub = 12
        outer = [
            xy_to_latlon(outer_r * (1 + rng.uniform(-0.05, 0.05)), a0 + (a1 - a0) * i / sub)
            for i in range(sub + 1)
        ]
        inner = [xy_to_latlon(inner_r, a1 - (a1 - a0) * i / sub) for i in range(sub + 1)]
        pts = outer + inner
        pts.append(pts[0])
        n = s + 2
        out.append(
            District(
                f"d{n}",
                f"منطقهٔ {_fa(n)}",
                f"District {n}",
                tuple((lon, lat) for lat, lon in pts),
                DISTRICT_POP[s + 1],
            )
        )
    return out


def _places(city: City, rng: random.Random) -> dict[str, list[dict]]:
    """Fixed sites: sensors, lots, substations, gauges, terminals, parks, with a district each."""
    road_nodes = sorted(city.nodes)
    ring_nodes = [n for n in road_nodes if n < 10_000]

    def pick(kind: str, count: int, name_fa: str, name_en: str, spread_m: float = 250.0) -> list[dict]:
        chosen = rng.sample(ring_nodes, min(count, len(ring_nodes)))
        if count > len(chosen):
            chosen += [rng.choice(ring_nodes) for _ in range(count - len(chosen))]
        items = []
        for i, n in enumerate(chosen, 1):
            node = city.nodes[n]
            lat = node.lat + rng.uniform(-spread_m, spread_m) / 111_000
            lon = node.lon + rng.uniform(-spread_m, spread_m) / 92_000
            d = city.district_at(lat, lon)
            items.append(
                {
                    "id": f"{kind}-{i:02d}",
                    "lat": lat,
                    "lon": lon,
                    "district": d.id if d else "outside",
                    "name_fa": f"{name_fa} {_fa(i)}",
                    "name_en": f"{name_en} {i}",
                }
            )
        return items

    return {
        "air": pick("aq", 40, "ایستگاه هوا", "Air station"),
        "parking": pick("park", 30, "پارکینگ", "Parking"),
        "substation": pick("sub", 12, "پست برق", "Substation"),
        "solar": pick("solar", 8, "نیروگاه خورشیدی", "Solar plant", 1200.0),
        "gauge": pick("gauge", 20, "سنجهٔ تراز آب", "Water gauge"),
        "weather": pick("wx", 4, "ایستگاه هواشناسی", "Weather station"),
        "terminal": pick("term", 4, "پایانه", "Terminal"),
        "green": pick("green", 16, "بوستان", "Park"),
    }
