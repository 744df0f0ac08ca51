"""Base maps: where the map's background comes from (Qt-free).

`parse_basemap(spec)` understands:
    "vector" (or "none", "")            no tiles: districts and roads on a dark background
    "xyz:<provider>"                     an xyzservices provider, e.g. "xyz:CartoDB.DarkMatterNoLabels"
    "xyz:https://host/{z}/{x}/{y}.png"   any XYZ template
    "mbtiles:/path/file.mbtiles"         a local MBTiles file (raster tiles)
    "pmtiles:/path/file.pmtiles"         a local PMTiles v3 archive (raster tiles)
    "/path/file.mbtiles|.pmtiles"        the same, by extension
Local files are served to the page through the `rasad://tiles/{z}/{x}/{y}` scheme (widgets/map_scheme);
XYZ templates are fetched by the page itself, from the one host the template names (every other
request is blocked). The vector base map is always drawn underneath, so an offline XYZ source or
a tile a file lacks leaves a useful map, and the map says which source it shows.
"""

from __future__ import annotations

import gzip
import sqlite3
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

MIME = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "avif": "image/avif",
}
VECTOR_FORMATS = {"pbf", "mvt"}


class BaseMapError(ValueError):
    """A base-map setting that cannot be used; the message says what and why."""


class TileSource(Protocol):
    mime: str

    def tile(self, z: int, x: int, y: int) -> bytes | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class BaseMap:
    kind: str  # vector | xyz | mbtiles | pmtiles
    name: str
    url: str = ""  # xyz template the page loads
    path: str = ""  # local tile file
    attribution: str = ""
    min_zoom: int = 0
    max_zoom: int = 19
    tile_format: str = ""
    bounds: tuple[float, float, float, float] | None = None  # (west, south, east, north)
    hosts: tuple[str, ...] = field(default=())  # hosts the page may contact (xyz only)

    @property
    def local(self) -> bool:
        return self.kind in ("vector", "mbtiles", "pmtiles")

    def describe(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "url": self.url if self.kind == "xyz" else ("rasad://tiles/{z}/{x}/{y}" if self.path else ""),
            "attribution": self.attribution,
            "minZoom": self.min_zoom,
            "maxZoom": self.max_zoom,
            "bounds": self.bounds,
        }


VECTOR = BaseMap("vector", "vector")


def parse_basemap(spec: str | None) -> BaseMap:
    spec = (spec or "").strip()
    if spec.lower() in ("", "vector", "none"):
        return VECTOR
    kind, _, rest = spec.partition(":")
    kind = kind.lower()
    if kind in ("http", "https"):
        kind, rest = "xyz", spec
    elif kind not in ("xyz", "mbtiles", "pmtiles"):
        suffix = Path(spec).suffix.lower()
        if suffix in (".mbtiles", ".pmtiles"):
            kind, rest = suffix[1:], spec
        else:
            raise BaseMapError(
                f"base map {spec!r}: expected vector, xyz:<provider|template>, mbtiles:<file> or pmtiles:<file>"
            )
    if kind == "xyz":
        return _xyz(rest.strip())
    path = Path(rest).expanduser()
    source = open_source(kind, path)
    try:
        return source.basemap()
    finally:
        source.close()


def _xyz(rest: str) -> BaseMap:
    if "{z}" in rest or "{x}" in rest:
        url, name, attribution, max_zoom = rest, urlsplit(rest).netloc or rest, "", 19
    else:
        import xyzservices

        try:
            provider = xyzservices.providers.query_name(rest)
        except ValueError:
            raise BaseMapError(f"base map: no xyzservices provider named {rest!r}") from None
        if provider.requires_token():
            raise BaseMapError(f"base map: provider {rest} needs an API key; use a template with the key")
        url = provider.build_url(scale_factor="")
        name, attribution = provider.name, provider.get("attribution", "")
        max_zoom = int(provider.get("max_zoom", 19))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BaseMapError(f"base map: {url!r} is not an http(s) tile template")
    hosts = _hosts(parts.netloc)
    return BaseMap("xyz", name, url=url, attribution=attribution, max_zoom=max_zoom, hosts=hosts)


def _hosts(netloc: str) -> tuple[str, ...]:
    """Expand Leaflet's {s} subdomains (a, b, c) into the hosts the page may contact."""
    host = netloc.split("@")[-1].split(":")[0].lower()
    if "{s}" in host:
        return tuple(host.replace("{s}", s) for s in ("a", "b", "c", "d"))
    return (host,)


def open_source(kind: str, path: Path) -> MBTilesSource | PMTilesSource:
    if not path.is_file():
        raise BaseMapError(f"base map: {path} does not exist")
    return MBTilesSource(path) if kind == "mbtiles" else PMTilesSource(path)


class MBTilesSource:
    """MBTiles 1.3: SQLite `tiles(zoom_level, tile_column, tile_row)` in TMS order, `metadata(name, value)`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            rows = self._db.execute("SELECT name, value FROM metadata").fetchall()
            self._db.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise BaseMapError(f"base map: {self.path} is not an MBTiles file ({exc})") from None
        self._lock = threading.Lock()
        self.meta = {str(k): str(v) for k, v in rows}
        self.format = self.meta.get("format", "png").lower()
        if self.format in VECTOR_FORMATS:
            raise BaseMapError(
                f"base map: {self.path.name} holds vector tiles ({self.format}); Rasad draws raster tiles, "
                "use the vector base map instead"
            )
        self.mime = MIME.get(self.format, "image/png")

    def basemap(self) -> BaseMap:
        zooms = self._db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        bounds = None
        if "bounds" in self.meta:
            try:
                bounds = tuple(float(v) for v in self.meta["bounds"].split(","))
            except ValueError:
                bounds = None
        return BaseMap(
            "mbtiles",
            self.meta.get("name") or self.path.stem,
            path=str(self.path),
            attribution=self.meta.get("attribution", ""),
            min_zoom=int(self.meta.get("minzoom", zooms[0] or 0)),
            max_zoom=int(self.meta.get("maxzoom", zooms[1] or 19)),
            tile_format=self.format,
            bounds=bounds if bounds and len(bounds) == 4 else None,
        )

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        tms_y = (1 << z) - 1 - y
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                (z, x, tms_y),
            ).fetchone()
        if row is None:
            return None
        data = bytes(row[0])
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data

    def close(self) -> None:
        self._db.close()


class PMTilesSource:
    """PMTiles v3 (the `pmtiles` package), memory-mapped, with directories cached."""

    TYPES = {2: "png", 3: "jpg", 4: "webp", 5: "avif"}

    def __init__(self, path: Path):
        from pmtiles.reader import MmapSource, Reader
        from pmtiles.tile import Compression, MagicNumberNotFound, SpecVersionUnsupported

        self.path = Path(path)
        self._file = self.path.open("rb")
        try:
            self._get = MmapSource(self._file)
            self._reader = Reader(self._get)
            self.header = self._reader.header()
            self.meta = self._reader.metadata()
        except (MagicNumberNotFound, SpecVersionUnsupported, ValueError, OSError) as exc:
            self._file.close()
            raise BaseMapError(f"base map: {self.path} is not a PMTiles v3 archive ({exc!r})") from None
        ttype = getattr(self.header["tile_type"], "value", self.header["tile_type"])
        if ttype not in self.TYPES:
            self._file.close()
            raise BaseMapError(
                f"base map: {self.path.name} holds vector or unknown tiles (type {ttype}); "
                "Rasad draws raster tiles, use the vector base map instead"
            )
        self.format = self.TYPES[ttype]
        self.mime = MIME[self.format]
        self._gzip = self.header["tile_compression"] == Compression.GZIP
        self._dirs = lru_cache(maxsize=64)(self._directory)
        self._lock = threading.Lock()

    def _directory(self, offset: int, length: int):
        from pmtiles.tile import Compression, deserialize_directory

        raw = self._get(offset, length)
        if self.header["internal_compression"] != Compression.GZIP:  # the package only reads gzipped dirs
            raw = gzip.compress(raw, compresslevel=1)
        return deserialize_directory(raw)

    def basemap(self) -> BaseMap:
        h = self.header
        bounds = (h["min_lon_e7"] / 1e7, h["min_lat_e7"] / 1e7, h["max_lon_e7"] / 1e7, h["max_lat_e7"] / 1e7)
        return BaseMap(
            "pmtiles",
            str(self.meta.get("name") or self.path.stem),
            path=str(self.path),
            attribution=str(self.meta.get("attribution", "")),
            min_zoom=int(h["min_zoom"]),
            max_zoom=int(h["max_zoom"]),
            tile_format=self.format,
            bounds=bounds if bounds != (0.0, 0.0, 0.0, 0.0) else None,
        )

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        from pmtiles.tile import find_tile, zxy_to_tileid

        if not (0 <= z <= 30 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
            return None
        tile_id = zxy_to_tileid(z, x, y)
        h = self.header
        offset, length = h["root_offset"], h["root_length"]
        with self._lock:
            for _ in range(4):
                entry = find_tile(self._dirs(offset, length), tile_id)
                if entry is None:
                    return None
                if entry.run_length == 0:
                    offset, length = h["leaf_directory_offset"] + entry.offset, entry.length
                    continue
                data = self._get(h["tile_data_offset"] + entry.offset, entry.length)
                return gzip.decompress(data) if self._gzip else bytes(data)
        return None

    def close(self) -> None:
        self._file.close()
