from __future__ import annotations

import io
import sqlite3

import pytest
from PIL import Image

from console.basemap import VECTOR, BaseMapError, MBTilesSource, PMTilesSource, open_source, parse_basemap
from tests.map.tiles import ZOOM_COLOURS, tiles_around, write_mbtiles, write_pmtiles

QOM = (34.64, 50.88)


@pytest.fixture(scope="module")
def tile_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiles")
    tiles = list(tiles_around(*QOM, range(10, 14), radius=1))
    return write_mbtiles(d / "qom.mbtiles", tiles), write_pmtiles(d / "qom.pmtiles", tiles), tiles


def _colour(png: bytes) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel((128, 128))


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_local_sources_serve_the_tiles_they_hold(tile_files, kind):
    mb, pm, tiles = tile_files
    path = mb if kind == "mbtiles" else pm
    bm = parse_basemap(f"{kind}:{path}")
    assert bm.kind == kind and bm.local and bm.min_zoom == 10 and bm.max_zoom == 13
    assert bm.name == "test tiles" and bm.attribution == "test-rendered"
    src = open_source(kind, path)
    assert src.mime == "image/png"
    for z, x, y in tiles[:: max(1, len(tiles) // 12)]:
        assert _colour(src.tile(z, x, y)) == ZOOM_COLOURS[z]
    assert src.tile(5, 0, 0) is None and src.tile(13, 0, 0) is None
    assert src.tile(40, 1, 1) is None
    src.close()
    assert parse_basemap(str(path)).kind == kind  # by extension


def test_parse_vector_and_xyz():
    assert parse_basemap("") is VECTOR and parse_basemap("none") is VECTOR
    osm = parse_basemap("xyz:OpenStreetMap.Mapnik")
    assert osm.kind == "xyz" and osm.hosts == ("tile.openstreetmap.org",) and "{z}" in osm.url
    custom = parse_basemap("https://{s}.tiles.example/{z}/{x}/{y}.png")
    assert custom.hosts[0] == "a.tiles.example" and not custom.local


@pytest.mark.parametrize(
    "spec, words",
    [
        ("xyz:No.Such.Provider", "no xyzservices provider"),
        ("xyz:CartoDB.DarkMatter", "API key"),
        ("xyz:ftp://x/{z}/{x}/{y}", "not an http"),
        ("mbtiles:/nonexistent/file.mbtiles", "does not exist"),
        ("tiles.zip", "expected vector"),
    ],
)
def test_bad_specs_say_why(spec, words):
    with pytest.raises(BaseMapError, match=words):
        parse_basemap(spec)


def test_not_a_tile_file_and_vector_tiles_are_refused(tmp_path):
    junk = tmp_path / "junk.mbtiles"
    junk.write_bytes(b"hello, not sqlite" * 100)
    with pytest.raises(BaseMapError, match="not an MBTiles"):
        MBTilesSource(junk)
    with pytest.raises(BaseMapError, match="not a PMTiles"):
        PMTilesSource(junk)
    vec = tmp_path / "vec.mbtiles"
    write_mbtiles(vec, [(10, 1, 1)], fmt="pbf")
    with pytest.raises(BaseMapError, match="vector tiles"):
        MBTilesSource(vec)
    empty = tmp_path / "empty.mbtiles"
    sqlite3.connect(empty).executescript("CREATE TABLE metadata (name text, value text);")
    with pytest.raises(BaseMapError):
        MBTilesSource(empty)
