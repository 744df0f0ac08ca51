"""Base maps in the real page: local MBTiles/PMTiles through the rasad: scheme, XYZ offline fallback."""

from __future__ import annotations

import json

import pytest

from tests.map.tiles import tiles_around, write_mbtiles, write_pmtiles

pytestmark = pytest.mark.gui
QOM = (34.6401, 50.8764)


@pytest.fixture(scope="module")
def tile_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("page-tiles")
    tiles = list(tiles_around(*QOM, range(11, 15), radius=2))
    return {
        "mbtiles": write_mbtiles(d / "qom.mbtiles", tiles),
        "pmtiles": write_pmtiles(d / "qom.pmtiles", tiles),
    }


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_local_tiles_are_served_through_the_scheme(harness, tile_files, kind):
    h = harness(base=f"{kind}:{tile_files[kind]}")
    assert h.widget.basemap.kind == kind
    assert h.wait_js("RasadMap.stats()", lambda v: json.loads(v)["tiles"]["loaded"] >= 4, 20)
    srcs = h.js_json(
        "JSON.stringify(Array.from(document.querySelectorAll('img.leaflet-tile-loaded'), i => i.src))"
    )
    assert srcs and all(s.startswith("rasad://tiles/") for s in srcs)
    assert h.web.handler.tiles_served >= 4
    assert all(u.split(":", 1)[0] in ("rasad", "qrc", "data", "blob") for u in h.web.guard.seen())
    label = h.widget.bar.base_label.text()
    assert kind.upper().replace("TILES", "Tiles") in label or kind in label.lower()
    # tiles the file does not hold are a clean 404: the vector map underneath stays
    h.set_view(*QOM, 17)
    assert h.wait_js("RasadMap.stats()", lambda v: json.loads(v)["tiles"]["loaded"] >= 4)
    assert h.web.handler.tiles_served + h.web.handler.tiles_missing > 4


def test_unusable_base_map_falls_back_to_vector_and_says_so(harness, tmp_path):
    h = harness(base=f"mbtiles:{tmp_path / 'missing.mbtiles'}")
    assert h.widget.basemap.kind == "vector" and "does not exist" in h.widget.base_error
    assert h.widget.bar.base_label.property("mapState") == "stale"
    assert "نامعتبر" in h.widget.bar.base_label.text()
    assert h.stats()["tiles"] == {"loaded": 0, "errors": 0}


def test_offline_xyz_source_is_reported_and_the_vector_map_remains(harness):
    # A template on a closed local port: requests are allowed by the guard but nobody answers.
    h = harness(base="xyz:http://127.0.0.1:9/{z}/{x}/{y}.png", lang="en")
    assert h.widget.basemap.kind == "xyz" and h.web.guard.allowed_hosts == {"127.0.0.1"}
    assert h.wait_js("RasadMap.stats()", lambda v: json.loads(v)["tiles"]["errors"] > 0, 20)
    from tests.map.harness import spin

    assert spin(lambda: h.widget.base_offline(), 5)
    assert "unreachable" in h.widget.bar.base_label.text()
    assert (
        h.js(
            "document.querySelectorAll('.leaflet-overlay-pane canvas, .leaflet-rasadBase-pane canvas').length"
        )
        > 0
    )
    assert not h.web.guard.blocked  # only the configured host was contacted


def test_scheme_refuses_paths_outside_its_folders():
    from widgets.map_scheme import MapSchemeHandler

    handler = MapSchemeHandler()
    assert "javascript" in handler._route("app", "/static/rasad/rasad_map.js")[1]
    assert handler._route("app", "/static/leaflet/leaflet.css")[1].startswith("text/css")
    assert handler._route("app", "/static/rasad/../../setup.py") is None
    assert handler._route("app", "/static/nowhere/x.js") is None
    assert handler._route("elsewhere", "/map.html") is None
    assert handler._route("tiles", "/1/2/3") is None  # no tile source configured
    assert handler._route("app", "/static/qwebchannel.js") is not None
