from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from console.city import load_city
from console.clustering import Viewport, cluster_vehicles, latlon_of_px, world_px
from console.entities import EntityState
from console.heatmap import build_heat, grid_axes
from console.mapstyle import AQI_BANDS, KIND_CODE, hex_rgb
from console.mapwire import decode_batch, encode_batch, encode_batch_b64
from console.model import Reading
from tests.map.fleet import Fleet, air_readings

T0 = 1_770_000_000_000_000_000


def test_world_px_matches_leaflet_and_inverts():
    x, y = world_px(0.0, 0.0, 0)
    assert (float(x), float(y)) == (128.0, 128.0)
    x, y = world_px(34.64, 50.88, 13)
    lat, lon = latlon_of_px(x, y, 13)
    assert float(lat) == pytest.approx(34.64) and float(lon) == pytest.approx(50.88)


def test_batch_roundtrip_with_persian_ids_and_clusters():
    city = load_city("qom")
    st = EntityState(city=city)
    fleet = Fleet(city, 300)
    for topic, items in fleet.readings(T0).items():
        st.ingest(topic, items)
    st.ingest(
        "report/137",
        [
            Reading(
                source="137",
                seq=1,
                topic="report/137",
                entity="گزارش-۱",
                etype="CitizenReport",
                t=T0,
                lat=34.64,
                lon=50.88,
                attrs={"status": "new"},
            )
        ],
    )
    diff = st.cursor().take()
    snap = st.snapshot(["bus", "taxi", "service"])
    view = Viewport(12, 50.78, 34.56, 50.98, 34.72)
    frame = cluster_vehicles(snap["slot"], snap["lat"], snap["lon"], snap["kind"], view)
    out = decode_batch(encode_batch_b64(42, diff, frame))
    assert out["seq"] == 42
    assert "گزارش-۱" in out["add_ids"] and len(out["add_ids"]) == 301
    np.testing.assert_array_equal(out["up_slot"], diff.up_slot)
    np.testing.assert_array_equal(out["up_style"], diff.up_style)
    np.testing.assert_allclose(out["up_lat"], diff.up_lat)
    cl = out["clusters"]
    assert int(cl.count.sum()) + len(cl.single) == 300  # every vehicle in view: in a bubble or alone
    assert cl.mix.sum() == cl.count.sum()
    empty = decode_batch(
        encode_batch(
            1,
            st.cursor()
            .take(refresh=False)
            ._replace(
                up_slot=np.zeros(0, np.uint32),
                up_lat=np.zeros(0, np.float32),
                up_lon=np.zeros(0, np.float32),
                up_heading=np.zeros(0, np.uint16),
                up_style=np.zeros(0, np.uint16),
                add_slot=np.zeros(0, np.uint32),
                add_ids=[],
                rm_slot=np.zeros(0, np.uint32),
            ),
        )
    )
    assert empty["clusters"] is None and len(empty["up_slot"]) == 0
    with pytest.raises(ValueError):
        decode_batch(b"\0" * 48)


def test_clusters_respect_visible_fleets_and_zoom():
    city = load_city("qom")
    st = EntityState(city=city)
    for topic, items in Fleet(city, 2000).readings(T0).items():
        st.ingest(topic, items)
    snap = st.snapshot(["bus", "taxi", "service"])
    view = Viewport(11, 50.6, 34.4, 51.2, 34.9)
    all_ = cluster_vehicles(snap["slot"], snap["lat"], snap["lon"], snap["kind"], view)
    buses = cluster_vehicles(snap["slot"], snap["lat"], snap["lon"], snap["kind"], view, visible=("bus",))
    n_bus = int((snap["kind"] == KIND_CODE["bus"]).sum())
    assert int(buses.count.sum()) + len(buses.single) == n_bus
    assert buses.mix[:, 1:].sum() == 0
    close = cluster_vehicles(snap["slot"], snap["lat"], snap["lon"], snap["kind"], view._replace(zoom=16))
    assert len(all_.count) < len(close.count) + len(close.single)  # zoomed in: smaller groups


def test_heat_overlay_colours_and_fades():
    city = load_city("qom")
    st = EntityState(city=city)
    rng = np.random.default_rng(2)
    st.ingest("air/station", air_readings(city, T0, rng))
    bbox = city.bbox
    heat = build_heat(st, bbox, "aqi", size=(96, 80))
    assert heat is not None and heat.stations == 40 and heat.kernel in ("cython", "python")
    img = np.asarray(Image.open(io.BytesIO(heat.png)))
    assert img.shape == (80, 96, 4)
    band_colours = {hex_rgb(c) for _, c, _ in AQI_BANDS}
    opaque = img[img[..., 3] > 0][:, :3]
    assert {tuple(int(v) for v in px) for px in opaque} <= band_colours  # only EPA colours
    lat, lon = grid_axes(bbox, 96, 80)
    assert lat[0] > lat[-1] and lon[0] < lon[-1]  # image rows run north to south
    for metric in ("pm25", "reports"):
        assert (build_heat(st, bbox, metric, size=(32, 32)) is None) == (metric == "reports")


def test_heat_ignores_stale_stations():
    class Clock:
        now = 0.0

        def __call__(self):
            return self.now

    clock = Clock()
    city = load_city("qom")
    st = EntityState(city=city, clock=clock)
    st.ingest("air/station", air_readings(city, T0, np.random.default_rng(2)))
    clock.now = 500.0
    st.refresh()
    assert build_heat(st, city.bbox) is None  # every station silent: no colour painted
