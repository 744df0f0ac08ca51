"""Small MBTiles / PMTiles files built from tiles the tests render themselves (Pillow)."""

from __future__ import annotations

import io
import math
import sqlite3
from pathlib import Path

from PIL import Image, ImageDraw

# One flat colour per zoom level: easy to recognise in a screenshot of the page.
ZOOM_COLOURS = {z: ((37 * z) % 200 + 40, (91 * z) % 200 + 40, (53 * z) % 200 + 40) for z in range(23)}


def tile_png(z: int, x: int, y: int, colour: tuple[int, int, int] | None = None) -> bytes:
    img = Image.new("RGB", (256, 256), colour or ZOOM_COLOURS[z])
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, 255, 255], outline=(255, 255, 255))
    draw.text((8, 8), f"{z}/{x}/{y}", fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def tiles_around(lat: float, lon: float, zooms: range, radius: int = 2):
    for z in zooms:
        n = 1 << z
        cx = int((lon + 180.0) / 360.0 * n)
        cy = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        for x in range(max(0, cx - radius), min(n, cx + radius + 1)):
            for y in range(max(0, cy - radius), min(n, cy + radius + 1)):
                yield z, x, y


def write_mbtiles(path: Path, tiles, name: str = "test tiles", fmt: str = "png") -> Path:
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE metadata (name text, value text);"
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);"
        "CREATE UNIQUE INDEX tile_index on tiles (zoom_level, tile_column, tile_row);"
    )
    zs = set()
    for z, x, y in tiles:
        zs.add(z)
        db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, tile_png(z, x, y)))
    meta = {
        "name": name,
        "format": fmt,
        "minzoom": min(zs),
        "maxzoom": max(zs),
        "attribution": "test-rendered",
    }
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [(k, str(v)) for k, v in meta.items()])
    db.commit()
    db.close()
    return path


def write_pmtiles(path: Path, tiles, name: str = "test tiles") -> Path:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    items = sorted((zxy_to_tileid(z, x, y), tile_png(z, x, y)) for z, x, y in tiles)
    with path.open("wb") as f:
        w = Writer(f)
        for tid, data in items:
            w.write_tile(tid, data)
        w.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_lon_e7": int(50.7 * 1e7),
                "min_lat_e7": int(34.5 * 1e7),
                "max_lon_e7": int(51.0 * 1e7),
                "max_lat_e7": int(34.8 * 1e7),
                "center_zoom": 12,
                "center_lon_e7": int(50.88 * 1e7),
                "center_lat_e7": int(34.64 * 1e7),
            },
            {"name": name, "attribution": "test-rendered"},
        )
    return path
