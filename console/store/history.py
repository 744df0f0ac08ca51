"""History queries: a signal's samples over a time range (for the charts' zoom-out, exports) and an
entity's track (for the map's replay).

A signal's samples come from three tiers, merged in time order: per-minute aggregates (older than
the rollup age; each contributes its minimum and maximum at the middle of its minute), sealed
blocks, and recent rows. `history(..., n_out)` then decimates to at most `n_out` points keeping
each bucket's minimum and maximum in time order (what a line chart needs to show every spike),
with the charts' own decimation kernel.
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from console import kernels
from console.store.ids import IdCache
from console.store.schema import entity_attrs, positions, reading_blocks, readings, readings_1m
from console.store.tiers import MINUTE_NS, decode_blocks

HALF_MINUTE_NS = MINUTE_NS // 2


def samples(conn: sa.Connection, signal_id: int, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
    """Every stored sample of one signal with t0 <= t < t1, sorted by time (aggregates as min & max)."""
    t_parts: list[np.ndarray] = []
    v_parts: list[np.ndarray] = []
    agg = conn.execute(
        sa.select(readings_1m.c.minute, readings_1m.c.vmin, readings_1m.c.vmax).where(
            readings_1m.c.signal_id == signal_id,
            readings_1m.c.minute + HALF_MINUTE_NS >= t0,
            readings_1m.c.minute + HALF_MINUTE_NS < t1,
        )
    ).all()
    if agg:
        mid = np.fromiter((r[0] for r in agg), np.int64, len(agg)) + HALF_MINUTE_NS
        t_parts.append(np.repeat(mid, 2))
        v_parts.append(np.array([x for r in agg for x in (r[1], r[2])], dtype=np.float64))
    blocks = conn.execute(
        sa.select(reading_blocks.c.t_blob, reading_blocks.c.v_blob)
        .where(
            reading_blocks.c.signal_id == signal_id,
            reading_blocks.c.t_last >= t0,
            reading_blocks.c.t_first < t1,
        )
        .order_by(reading_blocks.c.t_first)
    ).all()
    if blocks:
        t, v = decode_blocks(blocks)
        t_parts.append(t)
        v_parts.append(v)
    hot = conn.execute(
        sa.select(readings.c.t, readings.c.v)
        .where(readings.c.signal_id == signal_id, readings.c.t >= t0, readings.c.t < t1)
        .order_by(readings.c.t)
    ).all()
    if hot:
        t_parts.append(np.fromiter((r[0] for r in hot), np.int64, len(hot)))
        v_parts.append(np.fromiter((r[1] for r in hot), np.float64, len(hot)))
    if not t_parts:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    t = np.concatenate(t_parts) if len(t_parts) > 1 else t_parts[0]
    v = np.concatenate(v_parts) if len(v_parts) > 1 else v_parts[0]
    if len(t) > 1 and not (t[1:] >= t[:-1]).all():  # overlapping tiers (late readings): sort
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
    lo, hi = np.searchsorted(t, [t0, t1], side="left")
    return t[lo:hi], v[lo:hi]


def track_arrays(conn: sa.Connection, entity_id: int, t0: int, t1: int) -> tuple[np.ndarray, ...]:
    """(t, lat, lon) of one entity's fixes with t0 <= t < t1, in time order."""
    rows = conn.execute(
        sa.select(positions.c.t, positions.c.lat, positions.c.lon)
        .where(positions.c.entity_id == entity_id, positions.c.t >= t0, positions.c.t < t1)
        .order_by(positions.c.t)
    ).all()
    n = len(rows)
    return (
        np.fromiter((r[0] for r in rows), np.int64, n),
        np.fromiter((r[1] for r in rows), np.float64, n),
        np.fromiter((r[2] for r in rows), np.float64, n),
    )


def decimate(t: np.ndarray, v: np.ndarray, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """At most `n_out` points keeping each time bucket's minimum and maximum (console.kernels.minmax,
    the charts' own decimator: Cython, or its numpy twin)."""
    if len(t) <= n_out:
        return t, v
    idx = np.unique(kernels.minmax(t, v, max(2, n_out // 2 * 2)))
    return t[idx], v[idx]


class History:
    """The history provider: `history(signal, t0, t1, n_out)` and `track(entity, t0, t1)`."""

    def __init__(self, engine: sa.Engine, ids: IdCache | None = None):
        self.engine = engine
        self.ids = ids or IdCache()

    def samples(self, signal: str, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        with self.engine.connect() as conn:
            sid = self.ids.signal_id(conn, signal)
            if sid is None:
                return np.empty(0, np.int64), np.empty(0, np.float64)
            return samples(conn, sid, t0, t1)

    def history(self, signal: str, t0: int, t1: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
        """(t int64 ns, v float64) of `signal` in [t0, t1), decimated to at most `n_out` points."""
        t, v = self.samples(signal, t0, t1)
        return decimate(t, v, n_out)

    def track(self, entity: str, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t, lat, lon) of `entity`'s stored fixes with t0 <= t < t1, in time order."""
        with self.engine.connect() as conn:
            eid = self.ids.entity_id(conn, entity)
            if eid is None:
                return np.empty(0, np.int64), np.empty(0), np.empty(0)
            return track_arrays(conn, eid, t0, t1)

    def trail(self, entity: str, since_ns: int, until_ns: int):
        """console.entities.HistoryProvider: stored fixes with since <= t <= until as a Trail, speed and
        heading taken from the entity's `speed`/`heading` values at the same instants (NaN if none)."""
        from console.entities import Trail

        t, lat, lon = self.track(entity, since_ns, until_ns + 1)
        if not len(t):
            return None
        extra = []
        for key in ("speed", "heading"):
            ts, vs = self.samples(f"{entity}/{key}", since_ns, until_ns + 1)
            out = np.full(len(t), np.nan, np.float32)
            if len(ts):
                i = np.minimum(np.searchsorted(ts, t), len(ts) - 1)
                hit = ts[i] == t
                out[hit] = vs[i[hit]]
            extra.append(out)
        return Trail(t, lat, lon, extra[0], extra[1])

    def attrs_at(self, entity: str, t: int) -> str | None:
        """The entity's non-numeric attributes (JSON) as they were at time t."""
        with self.engine.connect() as conn:
            eid = self.ids.entity_id(conn, entity)
            if eid is None:
                return None
            return conn.execute(
                sa.select(entity_attrs.c.attrs)
                .where(entity_attrs.c.entity_id == eid, entity_attrs.c.t <= t)
                .order_by(entity_attrs.c.t.desc())
                .limit(1)
            ).scalar()


def series_table(
    conn: sa.Connection, signal_id: int, t0: int, t1: int
) -> list[tuple[int, float, int, float, float]]:
    """Export rows (t, value, count, min, max) in time order: one per stored sample, one per rolled-up
    minute (value = its mean, t = the minute's start)."""
    rows = [
        (m, s / n, n, lo, hi)
        for m, n, lo, hi, s in conn.execute(
            sa.select(
                readings_1m.c.minute,
                readings_1m.c.n,
                readings_1m.c.vmin,
                readings_1m.c.vmax,
                readings_1m.c.vsum,
            )
            .where(
                readings_1m.c.signal_id == signal_id, readings_1m.c.minute >= t0, readings_1m.c.minute < t1
            )
            .order_by(readings_1m.c.minute)
        )
    ]
    blocks = conn.execute(
        sa.select(reading_blocks.c.t_blob, reading_blocks.c.v_blob).where(
            reading_blocks.c.signal_id == signal_id,
            reading_blocks.c.t_last >= t0,
            reading_blocks.c.t_first < t1,
        )
    ).all()
    t, v = decode_blocks(blocks)
    keep = (t >= t0) & (t < t1)
    rows += [(int(a), float(b), 1, float(b), float(b)) for a, b in zip(t[keep], v[keep], strict=True)]
    hot = conn.execute(
        sa.select(readings.c.t, readings.c.v).where(
            readings.c.signal_id == signal_id, readings.c.t >= t0, readings.c.t < t1
        )
    ).all()
    rows += [(a, b, 1, b, b) for a, b in hot]
    rows.sort(key=lambda r: r[0])
    return rows
