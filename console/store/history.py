"""History queries: a signal's samples over a time range (for the charts' zoom-out, exports) and an
entity's track (for the map's replay).

A signal's samples come from three tiers, merged in time order: per-minute aggregates (older than
the rollup age; each contributes its minimum and maximum at the middle of its minute), sealed
blocks, and recent rows. `history(..., n_out)` then decimates to at most `n_out` points keeping
each bucket's minimum and maximum in time order (what a line chart needs to show every spike).
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

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


def minmax_decimate(
    t: np.ndarray, v: np.ndarray, t0: int, t1: int, n_out: int
) -> tuple[np.ndarray, np.ndarray]:
    """At most `n_out` points: per time bucket its minimum and maximum, in the order they occurred."""
    n = len(t)
    if n <= n_out or n_out < 2:
        return t.copy(), v.copy()
    buckets = max(1, n_out // 2)
    edges = t0 + (np.arange(buckets + 1, dtype=np.float64) * ((t1 - t0) / buckets))
    starts = np.searchsorted(t, edges[:-1], side="left")
    ends = np.searchsorted(t, edges[1:], side="left")
    ends[-1] = n
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    sizes = ends - starts
    bucket_of = np.repeat(np.arange(len(starts)), sizes)
    vv = v[starts[0] : ends[-1]]
    base = starts[0]
    rel = starts - base
    # NaN never wins: treat it as +inf for the minimum and -inf for the maximum
    lo_v = np.where(np.isnan(vv), np.inf, vv)
    hi_v = np.where(np.isnan(vv), -np.inf, vv)
    mins = np.minimum.reduceat(lo_v, rel)
    maxs = np.maximum.reduceat(hi_v, rel)
    first_min = _first_index(lo_v == mins[bucket_of], bucket_of, len(starts)) + base
    first_max = _first_index(hi_v == maxs[bucket_of], bucket_of, len(starts)) + base
    idx = np.sort(np.unique(np.concatenate((first_min, first_max))))
    return t[idx], v[idx]


def _first_index(mask: np.ndarray, bucket_of: np.ndarray, buckets: int) -> np.ndarray:
    hits = np.flatnonzero(mask)
    first = np.full(buckets, -1, np.int64)
    # reversed assignment leaves the first hit of each bucket
    first[bucket_of[hits[::-1]]] = hits[::-1]
    return first  # every bucket has a hit: its own minimum (maximum) is one of its samples


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
        return minmax_decimate(t, v, t0, t1, n_out)

    def track(self, entity: str, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t, lat, lon) of `entity`'s stored fixes with t0 <= t < t1, in time order."""
        with self.engine.connect() as conn:
            eid = self.ids.entity_id(conn, entity)
            if eid is None:
                return np.empty(0, np.int64), np.empty(0), np.empty(0)
            rows = conn.execute(
                sa.select(positions.c.t, positions.c.lat, positions.c.lon)
                .where(positions.c.entity_id == eid, positions.c.t >= t0, positions.c.t < t1)
                .order_by(positions.c.t)
            ).all()
        n = len(rows)
        return (
            np.fromiter((r[0] for r in rows), np.int64, n),
            np.fromiter((r[1] for r in rows), np.float64, n),
            np.fromiter((r[2] for r in rows), np.float64, n),
        )

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
