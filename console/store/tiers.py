"""Readings tiers: seal recent rows into columnar blocks; roll old blocks up into per-minute aggregates.

- `seal(conn, cutoff)`: rows of `readings` older than `cutoff` are removed with
  DELETE ... RETURNING (atomic, so two consoles sealing together never seal a row twice or lose one)
  and stored as blocks of at most BLOCK_MAX samples per signal: t as little-endian int64, v as float64.
- `rollup(conn, cutoff)`: blocks entirely older than `cutoff` become per-minute aggregates
  (n, min, max, sum), merged into rows already there; positions older than `cutoff` are thinned to the
  last fix per entity and minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from console.store.schema import positions, reading_blocks, readings, readings_1m, store_meta

log = logging.getLogger(__name__)

BLOCK_MAX = 8192
MINUTE_NS = 60_000_000_000
SEAL_ROWS_MAX = 500_000  # per pass; the next pass takes the rest
ROLLUP_BLOCKS_MAX = 2000
THIN_ROWS_MAX = 200_000


@dataclass
class TierStats:
    sealed_rows: int = 0
    blocks: int = 0
    rolled_blocks: int = 0
    minutes: int = 0
    thinned_positions: int = 0


def encode_block(t: np.ndarray, v: np.ndarray) -> dict:
    return {
        "t_first": int(t[0]),
        "t_last": int(t[-1]),
        "n": len(t),
        "vmin": float(v.min()),
        "vmax": float(v.max()),
        "t_blob": t.astype("<i8").tobytes(),
        "v_blob": v.astype("<f8").tobytes(),
    }


def decode_blocks(rows) -> tuple[np.ndarray, np.ndarray]:
    """(t, v) of the concatenated blocks (rows with t_blob, v_blob)."""
    t_parts = [r.t_blob for r in rows]
    if not t_parts:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    t = np.frombuffer(b"".join(t_parts), dtype="<i8")
    v = np.frombuffer(b"".join(r.v_blob for r in rows), dtype="<f8")
    return t, v


def _split_by_signal(sid: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of equal signal ids in a sorted array."""
    if len(sid) == 0:
        return []
    edges = np.flatnonzero(np.diff(sid)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(sid)]))
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def seal(conn: sa.Connection, cutoff: int, stats: TierStats | None = None) -> int:
    """Move readings older than `cutoff` into blocks; returns the number of rows sealed."""
    stats = stats or TierStats()
    pick = (
        sa.select(readings.c.signal_id, readings.c.t)
        .where(readings.c.t < cutoff)
        .order_by(readings.c.signal_id, readings.c.t)
        .limit(SEAL_ROWS_MAX)
    )
    keys = conn.execute(pick).all()
    if not keys:
        return 0
    last_sid, last_t = keys[-1]
    # everything up to the last picked key, all of it older than the cutoff
    cond = sa.and_(
        readings.c.t < cutoff,
        sa.or_(
            readings.c.signal_id < last_sid,
            sa.and_(readings.c.signal_id == last_sid, readings.c.t <= last_t),
        ),
    )
    rows = conn.execute(
        sa.delete(readings).where(cond).returning(readings.c.signal_id, readings.c.t, readings.c.v)
    ).all()
    if not rows:
        return 0
    sid = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    t = np.fromiter((r[1] for r in rows), np.int64, len(rows))
    v = np.fromiter((r[2] for r in rows), np.float64, len(rows))
    order = np.lexsort((t, sid))
    sid, t, v = sid[order], t[order], v[order]
    blocks = []
    for start, end in _split_by_signal(sid):
        for s in range(start, end, BLOCK_MAX):
            e = min(end, s + BLOCK_MAX)
            blocks.append({"signal_id": int(sid[s]), **encode_block(t[s:e], v[s:e])})
    conn.execute(sa.insert(reading_blocks), blocks)
    stats.sealed_rows += len(rows)
    stats.blocks += len(blocks)
    return len(rows)


def _upsert_minutes(conn: sa.Connection, rows: list[dict]) -> None:
    if conn.dialect.name == "postgresql":
        ins = postgresql.insert(readings_1m)
        lo, hi = sa.func.least, sa.func.greatest
    else:
        ins = sqlite.insert(readings_1m)
        lo, hi = sa.func.min, sa.func.max
    ex = ins.excluded
    stmt = ins.on_conflict_do_update(
        index_elements=[readings_1m.c.signal_id, readings_1m.c.minute],
        set_={
            "n": readings_1m.c.n + ex.n,
            "vmin": lo(readings_1m.c.vmin, ex.vmin),
            "vmax": hi(readings_1m.c.vmax, ex.vmax),
            "vsum": readings_1m.c.vsum + ex.vsum,
        },
    )
    conn.execute(stmt, rows)


def minute_aggregates(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """(minute, n, min, max, sum) per UTC minute of sorted samples."""
    minute = (t // MINUTE_NS) * MINUTE_NS
    starts = np.concatenate(([0], np.flatnonzero(np.diff(minute)) + 1))
    n = np.diff(np.concatenate((starts, [len(t)])))
    return (
        minute[starts],
        n,
        np.minimum.reduceat(v, starts),
        np.maximum.reduceat(v, starts),
        np.add.reduceat(v, starts),
    )


def rollup(conn: sa.Connection, cutoff: int, stats: TierStats | None = None) -> int:
    """Blocks wholly older than `cutoff` → per-minute aggregates; returns blocks rolled up."""
    stats = stats or TierStats()
    blocks = conn.execute(
        sa.select(reading_blocks)
        .where(reading_blocks.c.t_last < cutoff)
        .order_by(reading_blocks.c.signal_id, reading_blocks.c.t_first)
        .limit(ROLLUP_BLOCKS_MAX)
    ).all()
    if blocks:
        out: list[dict] = []
        by_signal: dict[int, list] = {}
        for b in blocks:
            by_signal.setdefault(b.signal_id, []).append(b)
        for sid, rows in by_signal.items():
            t, v = decode_blocks(rows)
            order = np.argsort(t, kind="stable")
            minute, n, vmin, vmax, vsum = minute_aggregates(t[order], v[order])
            out.extend(
                {
                    "signal_id": sid,
                    "minute": int(m),
                    "n": int(c),
                    "vmin": float(a),
                    "vmax": float(b_),
                    "vsum": float(s),
                }
                for m, c, a, b_, s in zip(minute, n, vmin, vmax, vsum, strict=True)
            )
        _upsert_minutes(conn, out)
        conn.execute(sa.delete(reading_blocks).where(reading_blocks.c.id.in_([b.id for b in blocks])))
        stats.rolled_blocks += len(blocks)
        stats.minutes += len(out)
    stats.thinned_positions += thin_positions(conn, cutoff)
    return len(blocks)


def _meta_get(conn: sa.Connection, key: str, default: int = 0) -> int:
    value = conn.execute(sa.select(store_meta.c.value).where(store_meta.c.key == key)).scalar()
    return int(value) if value is not None else default


def _meta_set(conn: sa.Connection, key: str, value: int) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    ins = dialect.insert(store_meta).values(key=key, value=str(value))
    conn.execute(ins.on_conflict_do_update(index_elements=[store_meta.c.key], set_={"value": str(value)}))


def thin_positions(conn: sa.Connection, cutoff: int) -> int:
    """Keep the last position per entity and minute for fixes older than `cutoff` (minute-aligned)."""
    upto = (cutoff // MINUTE_NS) * MINUTE_NS
    since = _meta_get(conn, "positions_thinned_upto")
    if upto <= since:
        return 0
    rows = conn.execute(
        sa.select(positions.c.entity_id, positions.c.t)
        .where(positions.c.t >= since, positions.c.t < upto)
        .order_by(positions.c.entity_id, positions.c.t)
        .limit(THIN_ROWS_MAX)
    ).all()
    if len(rows) == THIN_ROWS_MAX:  # partial pass: stop at the last complete minute seen
        upto = (rows[-1][1] // MINUTE_NS) * MINUTE_NS
        rows = [r for r in rows if r[1] < upto]
    if rows:
        eid = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        t = np.fromiter((r[1] for r in rows), np.int64, len(rows))
        minute = t // MINUTE_NS
        last_of_group = np.ones(len(t), bool)
        last_of_group[:-1] = (eid[1:] != eid[:-1]) | (minute[1:] != minute[:-1])
        drop = [
            {"e": int(a), "t": int(b)} for a, b in zip(eid[~last_of_group], t[~last_of_group], strict=True)
        ]
        if drop:
            conn.execute(
                sa.delete(positions).where(
                    positions.c.entity_id == sa.bindparam("e"), positions.c.t == sa.bindparam("t")
                ),
                drop,
            )
    else:
        drop = []
    _meta_set(conn, "positions_thinned_upto", upto)
    return len(drop)
