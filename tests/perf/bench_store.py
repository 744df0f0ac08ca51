"""Storage benchmarks.

1. Readings through the write-behind writer (submit → queue → writer thread → batched transactions)
   beside raw sqlite3 `executemany` of the same rows into the same schema, same pragmas (WAL,
   synchronous=NORMAL), same batch size, in the same run. Target: >= 0.6x of raw.
2. A chart's zoom-out: one signal with 1,000,000 stored samples (written through the writer, then
   sealed into blocks as the store's maintenance does after `store_seal_after_s`), queried and
   decimated to 2,000 points. Target: <= 200 ms. The same query over the rows before sealing is
   reported beside it for comparison.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from console.bus import FeedBus
from console.model import Reading
from console.settings import Settings
from console.store import Store, tiers
from console.store.db import Database
from tests.perf.report import Report

T0 = 1_780_000_020_000_000_000
S = 1_000_000_000
N_READINGS = 200_000
SIGNALS = 500
BATCH = 5000
HISTORY_N = 1_000_000


def _readings(n: int) -> list[Reading]:
    return [
        Reading(
            source="bench",
            seq=i,
            topic="water/gauge",
            entity=f"gauge-{i % SIGNALS}",
            etype="WaterObserved",
            t=T0 + (i // SIGNALS) * S,
            values={"level": float(i % 977)},
        )
        for i in range(n)
    ]


def _store(folder: Path, name: str) -> tuple[Store, FeedBus]:
    bus = FeedBus()
    # the data is dated in the past: no background sealing or rollup, the bench seals explicitly
    settings = Settings(
        db=f"sqlite:///{folder / name}",
        console_id="bench",
        store_batch_max=BATCH,
        store_seal_after_s=1e9,
        store_rollup_after_s=0,
    )
    store = Store(settings, bus)
    store.open()
    assert store.wait_ready(30)
    return store, bus


def bench_writer(report: Report, folder: Path) -> None:
    readings = _readings(N_READINGS)
    store, bus = _store(folder, "writer.db")
    store.writer.write_batch(readings[:SIGNALS])  # names → ids once, as in a running console
    work = readings[SIGNALS:]
    t0 = time.perf_counter()
    for i in range(0, len(work), BATCH):
        store.writer.submit(work[i : i + BATCH])
    assert store.writer.flush(120)
    ours = len(work) / (time.perf_counter() - t0)
    store.close()
    bus.close()

    db = Database(f"sqlite:///{folder / 'raw.db'}")
    db.migrate()
    db.dispose()
    ids = {f"gauge-{k}/level": k + 1 for k in range(SIGNALS)}
    rows = [(ids[f"{r.entity}/level"], r.t, r.values["level"]) for r in work]
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    t0 = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT OR IGNORE INTO readings (signal_id, t, v) VALUES (?, ?, ?)", rows[i : i + BATCH]
        )
        conn.execute("COMMIT")
    raw = len(rows) / (time.perf_counter() - t0)
    conn.close()
    ratio = ours / raw
    report.add(
        "store",
        f"readings via writer ({len(work):,} rows, batches of {BATCH})",
        ours,
        "rows/s",
        peer="sqlite3 executemany (pre-built rows)",
        peer_value=raw,
        ratio=ratio,
        target=">= 0.6x",
        passed=ratio >= 0.6,
    )


def bench_history(report: Report, folder: Path) -> None:
    store, bus = _store(folder, "history.db")
    rng = np.random.default_rng(1)
    values = np.cumsum(rng.normal(0, 1, HISTORY_N))
    for i in range(0, HISTORY_N, 20_000):
        store.writer.submit(
            [
                Reading(
                    source="bench",
                    seq=k,
                    topic="water/gauge",
                    entity="gauge-1",
                    etype="WaterObserved",
                    t=T0 + k * S,
                    values={"level": float(values[k])},
                )
                for k in range(i, min(HISTORY_N, i + 20_000))
            ]
        )
    assert store.writer.flush(300)
    t1 = T0 + HISTORY_N * S

    def timed() -> tuple[float, int]:
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            t, v = store.history("gauge-1/level", T0, t1, 2000)
            best = min(best, time.perf_counter() - t0)
        assert v.max() == values.max() and v.min() == values.min()
        return best * 1000, len(t)

    rows_ms, _ = timed()
    with store.db.bulk.begin() as conn:
        while tiers.seal(conn, t1) == tiers.SEAL_ROWS_MAX:
            pass
    sealed_ms, n_out = timed()
    store.close()
    bus.close()
    report.add(
        "store",
        f"history 1,000,000 samples → {n_out} points (sealed blocks)",
        sealed_ms,
        "ms",
        peer="same query over unsealed rows",
        peer_value=rows_ms,
        ratio=rows_ms / sealed_ms,
        target="<= 200 ms",
        passed=sealed_ms <= 200,
    )


def run(report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="rasad-bench-store-") as d:
        bench_writer(report, Path(d))
        bench_history(report, Path(d))


if __name__ == "__main__":
    r = Report()
    run(r)
    print(r.table())
