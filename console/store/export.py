"""Open-data export: a series, a layer, a track, alarm transitions or the journal as CSV or GeoJSON.

CSV is UTF-8 with a byte-order mark (so spreadsheet programs show Persian text right), RFC 4180
quoting, times as ISO 8601 UTC with milliseconds. GeoJSON is RFC 7946 (WGS 84, [lon, lat]).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa

from console.store.history import samples, series_table, track_arrays
from console.store.ids import IdCache
from console.store.schema import alarm_transitions, entities, entity_attrs, journal, positions, signals


class ExportError(ValueError):
    """A one-line, user-presentable reason an export cannot be made."""


def iso(t_ns: int) -> str:
    return (
        dt.datetime.fromtimestamp(t_ns / 1e9, dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class Table:
    """Rows for CSV plus, where the rows have a place, GeoJSON features."""

    def __init__(self, header: Sequence[str], rows: list[Sequence[Any]], geo: list[dict] | None = None):
        self.header = list(header)
        self.rows = rows
        self.geo = geo

    def csv_text(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(self.header)
        w.writerows(self.rows)
        return buf.getvalue()

    def geojson_text(self) -> str:
        if self.geo is None:
            raise ExportError("this export has no geometry; use CSV")
        doc = {"type": "FeatureCollection", "features": self.geo}
        return json.dumps(doc, ensure_ascii=False, indent=1)


def _feature(lon: float | None, lat: float | None, props: dict, line: list | None = None) -> dict:
    if line is not None:
        geometry: dict | None = {"type": "LineString", "coordinates": line}
    elif lat is None or lon is None:
        geometry = None
    else:
        geometry = {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def series(conn: sa.Connection, signal: str, t0: int, t1: int) -> Table:
    ids = IdCache()
    sid = ids.signal_id(conn, signal)
    if sid is None:
        raise ExportError(f"no stored series named {signal!r} (names look like ENTITY/KEY)")
    entity = conn.execute(sa.select(signals.c.entity).where(signals.c.id == sid)).scalar()
    rows = series_table(conn, sid, t0, t1)
    eid = ids.entity_id(conn, entity)
    # each sample placed at the entity's last fix at or before it (sensors have one; vehicles move)
    tt, lat, lon = track_arrays(conn, eid, 0, t1) if eid is not None else (np.empty(0, np.int64),) * 3
    at = np.searchsorted(tt, [r[0] for r in rows], side="right") - 1
    header = ["time_utc", "value", "count", "min", "max"]
    out, geo = [], []
    for (t, v, n, lo, hi), k in zip(rows, at, strict=True):
        out.append([iso(t), v, n, lo, hi])
        props = {"series": signal, "time_utc": iso(t), "value": v, "count": n, "min": lo, "max": hi}
        geo.append(_feature(float(lon[k]) if k >= 0 else None, float(lat[k]) if k >= 0 else None, props))
    return Table(header, out, geo)


def _layer_entities(conn: sa.Connection, layer: str) -> list[sa.Row]:
    rows = conn.execute(
        sa.select(entities)
        .where(sa.or_(entities.c.topic == layer, entities.c.etype == layer))
        .order_by(entities.c.name)
    ).all()
    if not rows:
        raise ExportError(
            f"no stored entities on layer {layer!r} (a topic such as vehicle/bus, or an entity type)"
        )
    return rows


def layer(conn: sa.Connection, name: str, t0: int, t1: int) -> Table:
    """Each entity of a topic (or entity type) as it was at `t1`: last fix, latest values, attributes."""
    ents = _layer_entities(conn, name)
    keys_by_entity: dict[str, list[tuple[int, str]]] = {}
    for sid, entity, key in conn.execute(
        sa.select(signals.c.id, signals.c.entity, signals.c.key).where(
            signals.c.entity.in_([e.name for e in ents])
        )
    ):
        keys_by_entity.setdefault(entity, []).append((sid, key))
    all_keys = sorted({k for v in keys_by_entity.values() for _, k in v})
    header = ["entity", "etype", "topic", "time_utc", "lat", "lon", *all_keys, "attrs"]
    out, geo = [], []
    for e in ents:
        fix = conn.execute(
            sa.select(positions.c.t, positions.c.lat, positions.c.lon)
            .where(positions.c.entity_id == e.id, positions.c.t >= t0, positions.c.t < t1)
            .order_by(positions.c.t.desc())
            .limit(1)
        ).first()
        values: dict[str, float] = {}
        last_t = fix[0] if fix else None
        for sid, key in keys_by_entity.get(e.name, []):
            t, v = samples(conn, sid, t0, t1)
            if len(v):
                values[key] = float(v[-1])
                last_t = max(last_t or 0, int(t[-1]))
        if fix is None and not values:
            continue
        attrs_text = conn.execute(
            sa.select(entity_attrs.c.attrs)
            .where(entity_attrs.c.entity_id == e.id, entity_attrs.c.t < t1)
            .order_by(entity_attrs.c.t.desc())
            .limit(1)
        ).scalar()
        attrs = json.loads(attrs_text) if attrs_text else {}
        lat, lon = (fix[1], fix[2]) if fix else (None, None)
        when = iso(last_t) if last_t else ""
        out.append(
            [
                e.name,
                e.etype,
                e.topic,
                when,
                lat,
                lon,
                *(values.get(k, "") for k in all_keys),
                attrs_text or "",
            ]
        )
        geo.append(
            _feature(
                lon,
                lat,
                {"entity": e.name, "etype": e.etype, "topic": e.topic, "time_utc": when, **values, **attrs},
            )
        )
    return Table(header, out, geo)


def track(conn: sa.Connection, entity: str, t0: int, t1: int) -> Table:
    eid = IdCache().entity_id(conn, entity)
    if eid is None:
        raise ExportError(f"no stored entity named {entity!r}")
    t, lat, lon = track_arrays(conn, eid, t0, t1)
    if not len(t):
        raise ExportError(f"{entity!r} has no positions between those times")
    rows = [[iso(int(a)), float(b), float(c)] for a, b, c in zip(t, lat, lon, strict=True)]
    line = [[round(float(c), 7), round(float(b), 7)] for b, c in zip(lat, lon, strict=True)]
    props = {
        "entity": entity,
        "start_utc": rows[0][0],
        "end_utc": rows[-1][0],
        "times_utc": [r[0] for r in rows],
    }
    return Table(["time_utc", "lat", "lon"], rows, [_feature(None, None, props, line=line)])


# every column of a recorded transition except the internal found_state, in table order
_ALARM_COLS = tuple(c.name for c in alarm_transitions.c if c.name != "found_state")


def alarms(conn: sa.Connection, t0: int, t1: int) -> Table:
    cols = [alarm_transitions.c[c] for c in _ALARM_COLS]
    rows = conn.execute(
        sa.select(*cols)
        .where(alarm_transitions.c.t >= t0, alarm_transitions.c.t < t1)
        .order_by(alarm_transitions.c.seq)
    ).mappings()
    header = ["time_utc" if c == "t" else c for c in _ALARM_COLS]
    out, geo = [], []
    for r in rows:
        values = [iso(r["t"]) if c == "t" else r[c] for c in _ALARM_COLS]
        out.append(values)
        geo.append(_feature(r["lon"], r["lat"], dict(zip(header, values, strict=True))))
    return Table(header, out, geo)


def journal_entries(conn: sa.Connection, t0: int, t1: int) -> Table:
    rows = conn.execute(
        sa.select(journal).where(journal.c.t >= t0, journal.c.t < t1).order_by(journal.c.seq)
    ).mappings()
    header = ["seq", "time_utc", "kind", "operator", "console", "subject", "detail", "prev_hash", "hash"]
    out = [
        [
            r["seq"],
            iso(r["t"]),
            r["kind"],
            r["operator"],
            r["console"],
            r["subject"],
            r["detail"],
            r["prev_hash"],
            r["hash"],
        ]
        for r in rows
    ]
    return Table(header, out, None)


def write(table: Table, fmt: str, out: Any) -> int:
    """Write to a path or a text stream; returns the number of rows."""
    text = table.geojson_text() if fmt == "geojson" else table.csv_text()
    if hasattr(out, "write"):
        out.write(text)
    else:
        enc = "utf-8-sig" if fmt == "csv" else "utf-8"
        with open(out, "w", encoding=enc, newline="") as fh:
            fh.write(text)
    return len(table.rows)


def names(conn: sa.Connection, column: sa.Column, like: str = "", limit: int = 20) -> list[str]:
    stmt = sa.select(column).order_by(column).limit(limit)
    if like:
        stmt = stmt.where(column.like(f"%{like}%"))
    return list(conn.execute(stmt).scalars())
