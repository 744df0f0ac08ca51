"""Timing helpers for benchmarks on shared, noisy cores: contenders are timed in interleaved rounds
(so a burst of load from a neighbour hits all of them alike) and the best run of each is kept, with
the median alongside."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np


@dataclass
class Timing:
    best: float
    median: float
    runs: int


def interleaved(
    contenders: dict[str, Callable[[], object]], rounds: int, warmup: int = 1
) -> dict[str, Timing]:
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    runs: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - start)
    return {name: Timing(min(ts), statistics.median(ts), len(ts)) for name, ts in runs.items()}


def read_bandwidth(
    arr: np.ndarray, threads: int, pool: ThreadPoolExecutor | None = None
) -> Callable[[], object]:
    """A probe that streams `arr` once with `threads` threads (numpy sums release the GIL)."""
    if threads <= 1:
        return lambda: np.add.reduce(arr)
    parts = np.array_split(arr, threads)
    ex = pool or ThreadPoolExecutor(threads)

    def probe() -> float:
        return sum(f.result() for f in [ex.submit(np.add.reduce, p) for p in parts])

    return probe
